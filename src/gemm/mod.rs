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

/// `C ← αAB + βC` (as [`gemm`]) and also `a_row_sums[i] += Σₚ A[i, p]` for every row of A.
///
/// The dense-layer backward pass uses it for `dW = dYᵀX` with the bias gradient `db = Σ_rows dY`
/// (the row sums of `a = dYᵀ`), so the bias costs no extra pass over dY. The sums are added
/// whatever α and β are, and also when C is empty.
///
/// # Errors
/// As [`gemm`], and `LengthMismatch` naming `a_row_sums` when its length is not m.
#[allow(dead_code)]
pub(crate) fn gemm_with_a_row_sums<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    a_row_sums: &mut [T],
) -> Result<(), ShapeError> {
    check_gemm_dims(&a, &b, &c)?;
    check_row_sums_len(&a, a_row_sums)?;
    for (i, s) in a_row_sums.iter_mut().enumerate() {
        for p in 0..a.cols() {
            *s = *s + a.get(i, p);
        }
    }
    gemm(alpha, a, b, beta, c)
}

fn check_row_sums_len<T>(a: &MatRef<'_, T>, sums: &[T]) -> Result<(), ShapeError> {
    if sums.len() != a.rows() {
        return Err(ShapeError::new(
            ErrorKind::LengthMismatch,
            "a_row_sums",
            format!("{} elements (the rows of `a`)", a.rows()),
            format!("{}", sums.len()),
        ));
    }
    Ok(())
}
