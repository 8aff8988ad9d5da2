//! The rank-k engine: `C ← αAB + βC`, a sum of k outer products.
//!
//! (Interim version: validated, generic, unblocked. The packed, register-blocked, threaded
//! engine replaces the body of [`gemm`] without changing its contract.)

use crate::error::{ErrorKind, ShapeError};
use crate::scalar::Scalar;
use crate::view::{MatMut, MatRef};

/// `C ← αAB + βC` for m×k `A`, k×n `B` and m×n `C`, each with any strides.
///
/// BLAS semantics: when β = 0, C is not read (a NaN already in C does not survive); when α = 0
/// or k = 0, C is only scaled by β; when m = 0 or n = 0 the call returns at once. C cannot
/// alias A or B: the borrow checker forbids it, since C is a `MatMut` and A, B are `MatRef`s.
///
/// # Errors
/// `DimensionMismatch` naming `b` when `B.rows() != A.cols()`, or naming `c` when C is not m×n.
///
/// ```
/// use outerprod::{gemm, MatMut, MatRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = [1.0, 2.0, 3.0, 4.0]; // 2×2 row-major
/// let b = [5.0, 6.0, 7.0, 8.0];
/// let mut c = [1.0; 4];
/// gemm(1.0, MatRef::row_major(&a, 2, 2)?, MatRef::row_major(&b, 2, 2)?, 0.5,
///      MatMut::row_major(&mut c, 2, 2)?)?;
/// assert_eq!(c, [19.5, 22.5, 43.5, 50.5]); // AB + 0.5·C
/// # Ok(()) }
/// ```
pub fn gemm<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
) -> Result<(), ShapeError> {
    check_gemm_dims(&a, &b, &c)?;
    if c.is_empty() {
        return Ok(());
    }
    let k = a.cols();
    for i in 0..c.rows() {
        for j in 0..c.cols() {
            let scaled_c = if beta == T::zero() {
                T::zero()
            } else {
                beta * c.get(i, j)
            };
            let ab = if alpha == T::zero() || k == 0 {
                None
            } else {
                Some((0..k).fold(T::zero(), |acc, p| acc + a.get(i, p) * b.get(p, j)))
            };
            let v = match ab {
                Some(ab) if beta == T::zero() => alpha * ab,
                Some(ab) => alpha * ab + scaled_c,
                None => scaled_c,
            };
            c.set(i, j, v);
        }
    }
    Ok(())
}

/// Checks that A is m×k, B is k×n and C is m×n.
pub(crate) fn check_gemm_dims<T>(
    a: &MatRef<'_, T>,
    b: &MatRef<'_, T>,
    c: &MatMut<'_, T>,
) -> Result<(), ShapeError> {
    if b.rows() != a.cols() {
        return Err(ShapeError::new(
            ErrorKind::DimensionMismatch,
            "b",
            format!(
                "{} rows (the columns of `a`, {}×{})",
                a.cols(),
                a.rows(),
                a.cols()
            ),
            format!("{}×{}", b.rows(), b.cols()),
        ));
    }
    if c.shape() != (a.rows(), b.cols()) {
        return Err(ShapeError::new(
            ErrorKind::DimensionMismatch,
            "c",
            format!("{}×{} (rows of `a` × columns of `b`)", a.rows(), b.cols()),
            format!("{}×{}", c.rows(), c.cols()),
        ));
    }
    Ok(())
}
