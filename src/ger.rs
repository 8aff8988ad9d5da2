//! Rank-1 updates with BLAS semantics: `ger` (`A ← A + α x yᵀ`).

use crate::arch;
use crate::error::{ErrorKind, ShapeError};
use crate::scalar::Scalar;
use crate::view::{MatMut, VecRef};

/// `A ← A + α x yᵀ` (BLAS `xGER`) on an m×n view of any layout, with strided `x` (length m)
/// and `y` (length n).
///
/// Arguments are checked first, as BLAS does; then the call returns at once when m = 0,
/// n = 0 or α = 0, leaving A untouched (a NaN in A stays a NaN).
///
/// # Errors
/// `InvalidStride` naming `x` or `y` when its stride is 0 (BLAS `incx = 0`);
/// `DimensionMismatch` naming `x` or `y` when its length is not A's rows or columns.
///
/// ```
/// use outerprod::{ger, MatMut, VecRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let mut a = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
/// let x = [1.0, 2.0];
/// let y = [3.0, 4.0, 5.0];
/// ger(2.0, VecRef::from(&x), VecRef::from(&y), MatMut::row_major(&mut a, 2, 3)?)?;
/// let expect: Vec<f64> = (0..6).map(|k| 1.0 + 2.0 * x[k / 3] * y[k % 3]).collect();
/// assert_eq!(a.to_vec(), expect);
/// # Ok(()) }
/// ```
pub fn ger<T: Scalar>(
    alpha: T,
    x: VecRef<'_, T>,
    y: VecRef<'_, T>,
    a: MatMut<'_, T>,
) -> Result<(), ShapeError> {
    check_rank1_args(&x, &y, a.rows(), a.cols())?;
    if a.is_empty() || alpha == T::zero() {
        return Ok(());
    }
    arch::ger(alpha, x, y, a);
    Ok(())
}

/// BLAS argument rules shared by the rank-1 updates: non-zero strides, matching lengths.
pub(crate) fn check_rank1_args<T>(
    x: &VecRef<'_, T>,
    y: &VecRef<'_, T>,
    m: usize,
    n: usize,
) -> Result<(), ShapeError> {
    for (name, v, want, dim) in [("x", x, m, "rows"), ("y", y, n, "columns")] {
        if v.stride() == 0 {
            return Err(ShapeError::new(
                ErrorKind::InvalidStride,
                name,
                "a non-zero stride (BLAS forbids inc = 0)",
                "stride 0",
            ));
        }
        if v.len() != want {
            return Err(ShapeError::new(
                ErrorKind::DimensionMismatch,
                name,
                format!("length {want} (the {dim} of `a`)"),
                format!("length {}", v.len()),
            ));
        }
    }
    Ok(())
}
