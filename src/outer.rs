//! The outer product `a bᵀ` into a new [`Matrix`] or a caller's buffer.

use crate::arch;
use crate::error::{ErrorKind, ShapeError};
use crate::layout::Layout;
use crate::matrix::{self, Matrix};
use crate::scalar::Scalar;

/// The m×n outer product `a bᵀ` (m = `a.len()`, n = `b.len()`): element `(i, j)` is
/// `a[i]·b[j]`, stored row-major.
///
/// ```
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// use outerprod::{outer, Matrix};
/// let (a, b) = ([1, 2, 3], [4, 5, 6]);
/// let m = outer(&a, &b);
/// assert_eq!(m, Matrix::from_rows(&[[4, 5, 6], [8, 10, 12], [12, 15, 18]])?);
/// assert_eq!(m, Matrix::from_fn(3, 3, |i, j| a[i] * b[j]));
/// # Ok(()) }
/// ```
///
/// Each call allocates a fresh m×n buffer. For large outputs the first touch of that memory
/// costs more than the products themselves, so repeated products should reuse a buffer with
/// [`outer_into`].
///
/// # Panics
/// When `m·n` overflows `usize` or the result cannot be allocated; [`try_outer`] returns an
/// error instead.
#[track_caller]
pub fn outer<T: Scalar>(a: &[T], b: &[T]) -> Matrix<T> {
    try_outer(a, b).unwrap_or_else(|e| panic!("outer: {e}"))
}

/// [`outer`] that reports an impossible size or a failed allocation as an error.
///
/// # Errors
/// `Overflow` when `m·n` (or its size in bytes) overflows; `Allocation` when the allocator
/// refuses.
///
/// ```
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let m = outerprod::try_outer(&[1.0, 2.0], &[3.0])?;
/// assert_eq!(m.as_slice(), &[3.0, 6.0]);
/// # Ok(()) }
/// ```
pub fn try_outer<T: Scalar>(a: &[T], b: &[T]) -> Result<Matrix<T>, ShapeError> {
    let mut data = matrix::try_zeroed(a.len(), b.len())?;
    arch::outer_row_major(&mut data, a, b);
    Ok(Matrix::from_parts(a.len(), b.len(), data))
}

/// Writes `a bᵀ` row-major into `out` (`out[i·n + j] = a[i]·b[j]`) without allocating.
///
/// # Errors
/// `LengthMismatch` naming `out` when `out.len() != a.len()·b.len()`.
///
/// ```
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let mut out = [0; 6];
/// outerprod::outer_into(&mut out, &[1, 2], &[3, 4, 5])?;
/// assert_eq!(out, [3, 4, 5, 6, 8, 10]);
/// # Ok(()) }
/// ```
#[inline]
pub fn outer_into<T: Scalar>(out: &mut [T], a: &[T], b: &[T]) -> Result<(), ShapeError> {
    outer_into_layout(out, a, b, Layout::RowMajor)
}

/// Writes `a bᵀ` into `out` in the given layout. Column-major output is vec(abᵀ), which is the
/// row-major product `b aᵀ`, so both layouts run the same kernel.
///
/// # Errors
/// `LengthMismatch` naming `out` when `out.len() != a.len()·b.len()`.
///
/// ```
/// use outerprod::{outer_into_layout, Layout};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let mut out = [0; 6];
/// outer_into_layout(&mut out, &[1, 2], &[3, 4, 5], Layout::ColMajor)?;
/// assert_eq!(out, [3, 6, 4, 8, 5, 10]); // columns of abᵀ one after another
/// # Ok(()) }
/// ```
#[inline]
pub fn outer_into_layout<T: Scalar>(
    out: &mut [T],
    a: &[T],
    b: &[T],
    layout: Layout,
) -> Result<(), ShapeError> {
    check_out_len(out.len(), a.len(), b.len())?;
    match layout {
        Layout::RowMajor => arch::outer_row_major(out, a, b),
        Layout::ColMajor => arch::outer_row_major(out, b, a),
    }
    Ok(())
}

/// `Ok` when a buffer of `len` elements holds exactly m·n; the error names `out`.
#[inline]
pub(crate) fn check_out_len(len: usize, m: usize, n: usize) -> Result<(), ShapeError> {
    match m.checked_mul(n) {
        Some(need) if need == len => Ok(()),
        _ => Err(out_len_error(len, m, n)),
    }
}

/// The error of [`check_out_len`], out of line so that the check itself inlines.
#[cold]
#[inline(never)]
fn out_len_error(len: usize, m: usize, n: usize) -> ShapeError {
    match m.checked_mul(n) {
        Some(need) => ShapeError::new(
            ErrorKind::LengthMismatch,
            "out",
            format!("{need} (= {m} × {n})"),
            len.to_string(),
        ),
        None => ShapeError::new(
            ErrorKind::Overflow,
            "out",
            "a length m × n that fits in usize",
            format!("{m} × {n}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    #[test]
    fn matches_reference_on_tile_edges() {
        for m in [0, 1, 2, 3, 7, 8, 9, 17, 65] {
            for n in [0, 1, 2, 3, 7, 8, 9, 17, 65] {
                let a: Vec<i64> = (0..m as i64).map(|i| i * 7 - 3).collect();
                let b: Vec<i64> = (0..n as i64).map(|j| 5 - j * 11).collect();
                assert_eq!(outer(&a, &b), reference::outer(&a, &b), "{m}×{n}");
            }
        }
    }

    #[test]
    fn col_major_is_vec_of_outer() {
        let (a, b) = ([1, 2, 3], [4, 5]);
        let mut out = [0; 6];
        outer_into_layout(&mut out, &a, &b, Layout::ColMajor).unwrap();
        assert_eq!(out.to_vec(), outer(&a, &b).vec());
    }

    #[test]
    fn wrong_buffer_is_an_error_naming_out() {
        let mut out = [0; 5];
        let e = outer_into(&mut out, &[1, 2], &[3, 4, 5]).unwrap_err();
        assert_eq!((e.kind(), e.argument()), (ErrorKind::LengthMismatch, "out"));
        assert!(e.to_string().contains("expected 6 (= 2 × 3), got 5"));
    }
}
