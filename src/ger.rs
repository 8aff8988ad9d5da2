//! Rank-1 updates with BLAS semantics: [`ger`] (`A ← A + α x yᵀ`), [`gerc`]
//! (`A ← A + α x conj(y)ᵀ`) and [`syr`] (`A ← A + α x xᵀ` on one triangle).
//!
//! All three follow the reference BLAS order of business: arguments are validated first
//! (errors instead of `XERBLA`), then the call returns at once when the update is empty or
//! α = 0, leaving A bit for bit as it was; otherwise each touched element becomes
//! `A[i][j] + x[i]·(α·y[j])`, the reference BLAS formula. Unlike the Netlib reference `xGER`
//! and `xSYR`, which skip a column when `y[j] = 0` (`x[j] = 0`), every element is updated, so
//! a NaN or ∞ in x reaches A as the formula says (as optimised BLAS libraries do). The work
//! itself is done by the crate's rank-1 kernel, which uses no fused multiply-add, so `f32`/`f64`
//! results equal the reference formula bit for bit on every kernel path.

use crate::arch;
use crate::error::{ErrorKind, ShapeError};
use crate::layout::Triangle;
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
///
/// // Any layout: the top-left 2×2 block of a 3×3 column-major buffer, with y read back to
/// // front (BLAS incy = -1).
/// let mut buf = [0; 9];
/// let block = MatMut::new(&mut buf, 0, 2, 2, 1, 3)?;
/// let y = [1, 10];
/// ger(1, VecRef::from(&[1, 2]), VecRef::new(&y, 1, 2, -1)?, block)?;
/// assert_eq!(buf, [10, 20, 0, 1, 2, 0, 0, 0, 0]);
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

/// `A ← A + α x conj(y)ᵀ` (BLAS `CGERC`/`ZGERC`) for complex elements, on an m×n view of any
/// layout with strided `x` (length m) and `y` (length n). Same checks and quick returns as
/// [`ger`]; for the unconjugated complex update (`CGERU`) call [`ger`].
///
/// It conjugates `y` into a scratch vector of n elements, then runs the rank-1 kernel.
///
/// # Errors
/// `InvalidStride` naming `x` or `y` when its stride is 0; `DimensionMismatch` naming `x` or
/// `y` when its length is not A's rows or columns.
///
/// ```
/// use num_complex::Complex;
/// use outerprod::{gerc, MatMut, VecRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let c = |re, im| Complex::new(re, im);
/// let x = [c(1.0, 1.0), c(0.0, 2.0)];
/// let y = [c(3.0, -1.0)];
/// let alpha = c(0.5, 0.0);
/// let mut a = [c(1.0, 0.0); 2]; // 2×1
/// gerc(alpha, VecRef::from(&x), VecRef::from(&y), MatMut::row_major(&mut a, 2, 1)?)?;
/// for i in 0..2 {
///     assert_eq!(a[i], c(1.0, 0.0) + x[i] * (alpha * y[0].conj()));
/// }
/// # Ok(()) }
/// ```
#[cfg(feature = "complex")]
pub fn gerc<F>(
    alpha: num_complex::Complex<F>,
    x: VecRef<'_, num_complex::Complex<F>>,
    y: VecRef<'_, num_complex::Complex<F>>,
    a: MatMut<'_, num_complex::Complex<F>>,
) -> Result<(), ShapeError>
where
    F: Scalar + std::ops::Neg<Output = F>,
{
    check_rank1_args(&x, &y, a.rows(), a.cols())?;
    if a.is_empty() || num_traits::Zero::is_zero(&alpha) {
        return Ok(());
    }
    let y_conj: Vec<_> = (0..y.len()).map(|j| y.get(j).conj()).collect();
    arch::ger(alpha, x, VecRef::from(&y_conj), a);
    Ok(())
}

/// `A ← A + α x xᵀ` (BLAS `xSYR`) on the chosen triangle of the n×n view `a`: with
/// [`Triangle::Upper`] only the elements `(i, j)` with `i ≤ j` are read and written, with
/// [`Triangle::Lower`] only those with `i ≥ j`; the other triangle is left exactly as it was.
/// `a` may have any layout and `x` any non-zero stride.
///
/// Each touched element becomes `A[i][j] + x[i]·(α·x[j])`, as in the reference BLAS. Quick
/// return (A untouched) when n = 0 or α = 0.
///
/// # Errors
/// `DimensionMismatch` naming `a` when it is not square; `InvalidStride` naming `x` when its
/// stride is 0; `DimensionMismatch` naming `x` when its length is not n.
///
/// ```
/// use outerprod::{syr, MatMut, Triangle, VecRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let x = [1, 2, 3];
/// let mut a = [-1; 9];
/// syr(2, VecRef::from(&x), MatMut::row_major(&mut a, 3, 3)?, Triangle::Upper)?;
/// for i in 0..3 {
///     for j in 0..3 {
///         let want = if i <= j { -1 + x[i] * (2 * x[j]) } else { -1 };
///         assert_eq!(a[i * 3 + j], want);
///     }
/// }
/// # Ok(()) }
/// ```
pub fn syr<T: Scalar>(
    alpha: T,
    x: VecRef<'_, T>,
    a: MatMut<'_, T>,
    triangle: Triangle,
) -> Result<(), ShapeError> {
    let n = a.rows();
    if a.cols() != n {
        return Err(ShapeError::new(
            ErrorKind::DimensionMismatch,
            "a",
            "a square matrix",
            format!("{}×{}", a.rows(), a.cols()),
        ));
    }
    check_rank1_args(&x, &x, n, n)?;
    if n == 0 || alpha == T::zero() {
        return Ok(());
    }
    // A contiguous copy of a strided x, so that every piece below is a unit-stride slice
    // (the kernel would otherwise gather it again for each piece).
    let gathered: Vec<T>;
    let xs: &[T] = match x.as_slice() {
        Some(s) => s,
        None => {
            gathered = x.to_vec();
            &gathered
        }
    };
    syr_recursive(alpha, xs, a, 0..n, triangle)
}

/// Diagonal blocks of at most this many rows are updated here, row by row; everything else is
/// in rectangles handed to the rank-1 kernel (about n/16 calls). 8, 16, 32 and 64 measured
/// within noise of each other (n = 256 and 1024, f64, one thread); 32 is in the middle.
const SYR_BLOCK: usize = 32;

/// The triangle over `rows × rows`: split in half, the off-diagonal quarter is one rectangular
/// rank-1 update and the two diagonal halves recurse. The rectangles are as large as
/// possible (the first is (n/2)×(n/2)), so the kernel can block and thread them as it does
/// for [`ger`].
fn syr_recursive<T: Scalar>(
    alpha: T,
    xs: &[T],
    mut a: MatMut<'_, T>,
    rows: std::ops::Range<usize>,
    triangle: Triangle,
) -> Result<(), ShapeError> {
    let (lo, hi) = (rows.start, rows.end);
    if hi - lo <= SYR_BLOCK {
        return syr_diagonal_block(alpha, xs, a, rows, triangle);
    }
    let mid = lo + (hi - lo) / 2;
    let (top, bottom) = (mid - lo, hi - mid);
    match triangle {
        // Rows lo..mid, columns mid..hi: A[i][j] += x[i]·(α·x[j]).
        Triangle::Upper => arch::ger(
            alpha,
            VecRef::from(&xs[lo..mid]),
            VecRef::from(&xs[mid..hi]),
            a.rb_mut().submatrix(lo, mid, top, bottom)?,
        ),
        // Rows mid..hi, columns lo..mid.
        Triangle::Lower => arch::ger(
            alpha,
            VecRef::from(&xs[mid..hi]),
            VecRef::from(&xs[lo..mid]),
            a.rb_mut().submatrix(mid, lo, bottom, top)?,
        ),
    }
    syr_recursive(alpha, xs, a.rb_mut(), lo..mid, triangle)?;
    syr_recursive(alpha, xs, a, mid..hi, triangle)
}

/// The triangle of the diagonal block `rows × rows` of `a`, one row (or column) at a time
/// along the contiguous direction of `a`, each element getting the kernel's formula
/// `A[i][j] + x[i]·(α·x[j])`. Done here rather than by the kernel because the pieces are short
/// (at most SYR_BLOCK elements) and a kernel call per piece would cost more than the work.
fn syr_diagonal_block<T: Scalar>(
    alpha: T,
    xs: &[T],
    mut a: MatMut<'_, T>,
    rows: std::ops::Range<usize>,
    triangle: Triangle,
) -> Result<(), ShapeError> {
    let by_rows = a.col_stride().unsigned_abs() <= a.row_stride().unsigned_abs();
    let (r0, r1) = (rows.start, rows.end);
    for t in rows {
        // Upper by rows: row t, columns t..r1. Upper by columns: column t, rows r0..=t.
        // Lower is the mirror image.
        let run = match (triangle, by_rows) {
            (Triangle::Upper, true) | (Triangle::Lower, false) => t..r1,
            (Triangle::Upper, false) | (Triangle::Lower, true) => r0..t + 1,
        };
        let (start, len) = (run.start, run.len());
        let mut piece = if by_rows {
            a.rb_mut().submatrix(t, start, 1, len)?
        } else {
            a.rb_mut().submatrix(start, t, len, 1)?.transpose()
        };
        // The piece is now 1×len: element k is (t, start + k) by rows, (start + k, t) by
        // columns.
        let xt = xs[t];
        let update = |v: &mut T, xk: T| {
            *v = if by_rows {
                *v + xt * (alpha * xk)
            } else {
                *v + xk * (alpha * xt)
            }
        };
        match piece.as_row_major_slice_mut() {
            Some(row) => row
                .iter_mut()
                .zip(&xs[run])
                .for_each(|(v, &xk)| update(v, xk)),
            None => (0..len).for_each(|k| update(piece.get_mut(0, k), xs[start + k])),
        }
    }
    Ok(())
}

/// BLAS argument rules shared by the rank-1 updates: non-zero strides, matching lengths.
#[inline]
pub(crate) fn check_rank1_args<T>(
    x: &VecRef<'_, T>,
    y: &VecRef<'_, T>,
    m: usize,
    n: usize,
) -> Result<(), ShapeError> {
    // The common case in a few compares; the error is built out of line.
    if x.stride() != 0 && y.stride() != 0 && x.len() == m && y.len() == n {
        Ok(())
    } else {
        Err(rank1_args_error(x, y, m, n))
    }
}

/// The error of [`check_rank1_args`]: the first of `x`, `y` with a zero stride or the wrong
/// length.
#[cold]
#[inline(never)]
fn rank1_args_error<T>(x: &VecRef<'_, T>, y: &VecRef<'_, T>, m: usize, n: usize) -> ShapeError {
    for (name, v, want, dim) in [("x", x, m, "rows"), ("y", y, n, "columns")] {
        if v.stride() == 0 {
            return ShapeError::new(
                ErrorKind::InvalidStride,
                name,
                "a non-zero stride (BLAS forbids inc = 0)",
                "stride 0",
            );
        }
        if v.len() != want {
            return ShapeError::new(
                ErrorKind::DimensionMismatch,
                name,
                format!("length {want} (the {dim} of `a`)"),
                format!("length {}", v.len()),
            );
        }
    }
    unreachable!("rank1_args_error called on valid arguments")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    /// A buffer of `len` distinct values.
    fn buf(len: usize, seed: i64) -> Vec<i64> {
        (0..len as i64).map(|k| (k * 37 + seed) % 23 - 11).collect()
    }

    #[test]
    fn ger_matches_reference_on_strided_layouts() {
        // (rows, cols, offset, row stride, col stride) into a 40-element buffer.
        let layouts = [
            (3, 4, 0, 4, 1),    // row-major
            (3, 4, 0, 1, 3),    // col-major
            (3, 4, 2, 1, 5),    // col-major with padding (lda = 5)
            (3, 4, 39, -9, -2), // both reversed, non-unit
            (4, 3, 5, 2, 9),    // interleaved but not aliasing
        ];
        for (m, n, off, rs, cs) in layouts {
            for (xs, ys) in [(1, 1), (2, -1), (-3, 2)] {
                let xd = buf(12, 1);
                let yd = buf(12, 2);
                let x_off = if xs < 0 {
                    ((m - 1) as isize * -xs) as usize
                } else {
                    0
                };
                let y_off = if ys < 0 {
                    ((n - 1) as isize * -ys) as usize
                } else {
                    0
                };
                let x = VecRef::new(&xd, x_off, m, xs).unwrap();
                let y = VecRef::new(&yd, y_off, n, ys).unwrap();
                let (mut got, mut want) = (buf(40, 3), buf(40, 3));
                ger(-3, x, y, MatMut::new(&mut got, off, m, n, rs, cs).unwrap()).unwrap();
                reference::ger(-3, x, y, MatMut::new(&mut want, off, m, n, rs, cs).unwrap());
                assert_eq!(got, want, "{m}×{n} strides ({rs}, {cs}), x {xs}, y {ys}");
            }
        }
    }

    #[test]
    fn ger_checks_arguments_before_quick_return() {
        let mut a: [f64; 0] = [];
        let z = VecRef::new(&[1.0], 0, 0, 0).unwrap();
        let e = ger(
            0.0,
            z,
            VecRef::from(&[]),
            MatMut::row_major(&mut a, 0, 0).unwrap(),
        );
        let e = e.unwrap_err();
        assert_eq!((e.kind(), e.argument()), (ErrorKind::InvalidStride, "x"));
        let mut a = [f64::NAN; 2];
        let e = ger(
            0.0,
            VecRef::from(&[1.0, 2.0, 3.0]),
            VecRef::from(&[1.0]),
            MatMut::row_major(&mut a, 2, 1).unwrap(),
        )
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::DimensionMismatch, "x")
        );
        assert!(e.to_string().contains("expected length 2"), "{e}");
    }

    #[test]
    fn alpha_zero_leaves_nan_in_a() {
        let mut a = [f64::NAN, 1.0];
        let x = [f64::INFINITY];
        ger(
            0.0,
            VecRef::from(&x),
            VecRef::from(&[1.0, 2.0]),
            MatMut::row_major(&mut a, 1, 2).unwrap(),
        )
        .unwrap();
        assert!(a[0].is_nan());
        assert_eq!(a[1].to_bits(), 1.0f64.to_bits());
    }

    #[test]
    fn syr_touches_only_its_triangle_in_every_layout() {
        for n in [0, 1, 2, 3, 5, 64, 65, 130] {
            let xd = buf(2 * n + 1, 4);
            let x = VecRef::new(&xd, 2 * n, n, -2).unwrap();
            // Row-major, column-major, and both strides negative with lda = n + 1 (so the
            // buffer has gaps that must stay untouched).
            let len = n * (n + 2) + 10;
            for (off, rs, cs) in [
                (0, n as isize, 1),
                (0, 1, n as isize),
                (len - 1, -1, -(n as isize) - 1),
            ] {
                for tri in [Triangle::Upper, Triangle::Lower] {
                    let mut got = buf(len, 5);
                    let before = got.clone();
                    syr(2, x, MatMut::new(&mut got, off, n, n, rs, cs).unwrap(), tri).unwrap();
                    let mut want = before.clone();
                    {
                        let mut a = MatMut::new(&mut want, off, n, n, rs, cs).unwrap();
                        for i in 0..n {
                            for j in 0..n {
                                let inside = match tri {
                                    Triangle::Upper => i <= j,
                                    Triangle::Lower => i >= j,
                                };
                                if inside {
                                    let v = a.get(i, j) + x.get(i) * (2 * x.get(j));
                                    a.set(i, j, v);
                                }
                            }
                        }
                    }
                    assert_eq!(got, want, "n = {n}, strides ({rs}, {cs}), {tri:?}");
                }
            }
        }
    }

    #[test]
    fn syr_rejects_non_square_and_bad_x() {
        let mut a = [0; 6];
        let x = [1, 2];
        let e = syr(
            1,
            VecRef::from(&x),
            MatMut::row_major(&mut a, 2, 3).unwrap(),
            Triangle::Upper,
        )
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::DimensionMismatch, "a")
        );
        let e = syr(
            1,
            VecRef::from(&[1, 2, 3]),
            MatMut::row_major(&mut a[..4], 2, 2).unwrap(),
            Triangle::Lower,
        )
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::DimensionMismatch, "x")
        );
        let x0 = VecRef::new(&x, 0, 2, 0).unwrap();
        let e = syr(
            1,
            x0,
            MatMut::row_major(&mut a[..4], 2, 2).unwrap(),
            Triangle::Lower,
        )
        .unwrap_err();
        assert_eq!((e.kind(), e.argument()), (ErrorKind::InvalidStride, "x"));
        assert_eq!(a, [0; 6]);
    }

    #[cfg(feature = "complex")]
    #[test]
    fn gerc_conjugates_y() {
        use num_complex::Complex;
        let x: Vec<Complex<f64>> = (0..3)
            .map(|k| Complex::new(k as f64, 1.0 - k as f64))
            .collect();
        let y: Vec<Complex<f64>> = (0..2)
            .map(|k| Complex::new(2.0 - k as f64, k as f64 + 0.5))
            .collect();
        let alpha = Complex::new(0.5, -2.0);
        let mut got = vec![Complex::new(1.0, 1.0); 6];
        let mut want = got.clone();
        gerc(
            alpha,
            VecRef::from(&x),
            VecRef::from(&y),
            MatMut::col_major(&mut got, 3, 2).unwrap(),
        )
        .unwrap();
        let y_conj: Vec<_> = y.iter().map(|v| v.conj()).collect();
        reference::ger(
            alpha,
            VecRef::from(&x),
            VecRef::from(&y_conj),
            MatMut::col_major(&mut want, 3, 2).unwrap(),
        );
        assert_eq!(got, want);
        let e = gerc(
            alpha,
            VecRef::from(&y),
            VecRef::from(&y),
            MatMut::col_major(&mut got, 3, 2).unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.argument(), "x");
    }
}
