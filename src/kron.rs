//! vec(abᵀ), Kronecker products and `unvec`.
//!
//! Three ways to flatten the outer product `a bᵀ` (a of length m, b of length n) into one
//! vector, and how they relate:
//!
//! | flattening                        | element `i`, `j` sits at | equals        |
//! |-----------------------------------|--------------------------|---------------|
//! | vec(abᵀ), column-major            | `i + j·m`                | `kron(b, a)`  |
//! | row-major flatten of abᵀ          | `i·n + j`                | `kron(a, b)`  |
//!
//! Neither is the elementwise (Hadamard) product `[a₁b₁, a₂b₂, …]`, which needs m = n and has
//! only n elements, not m·n:
//!
//! ```
//! use outerprod::{kron, vec_outer};
//! let (a, b) = ([1, 2, 3], [10, 20]);
//! assert_eq!(vec_outer(&a, &b), [10, 20, 30, 20, 40, 60]); // columns of abᵀ: a·10, then a·20
//! assert_eq!(kron(&b, &a), vec_outer(&a, &b));             // vec(abᵀ) = kron(b, a)
//! assert_eq!(kron(&a, &b), [10, 20, 20, 40, 30, 60]);      // rows of abᵀ = kron(a, b)
//! ```
//!
//! Every vector function here is one call of the row-major outer-product kernel: vec(abᵀ) is
//! the row-major `b aᵀ`, and kron(x, y) is the row-major `x yᵀ`.

use std::borrow::Cow;

use crate::arch;
use crate::error::{ErrorKind, ShapeError};
use crate::matrix::{self, Matrix};
use crate::outer::check_out_len;
use crate::scalar::{Scalar, ScalarKind};
use crate::view::{MatMut, MatRef};

/// vec(abᵀ): the outer product flattened column by column, so element `i + j·m` is
/// `a[i]·b[j]` (m = `a.len()`). This is `kron(b, a)`, not `kron(a, b)`, and not the
/// elementwise product.
///
/// ```
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// use outerprod::{kron, vec_outer};
/// let a = [1, 2, 3];
/// let b = [4, 5];
/// let v = vec_outer(&a, &b);
/// for i in 0..3 {
///     for j in 0..2 {
///         assert_eq!(v[i + j * 3], a[i] * b[j]);
///     }
/// }
/// assert_eq!(v, kron(&b, &a));
/// # Ok(()) }
/// ```
///
/// # Panics
/// When `m·n` overflows `usize` or cannot be allocated; [`vec_outer_into`] never panics.
#[track_caller]
pub fn vec_outer<T: Scalar>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = alloc(b.len(), a.len(), "vec_outer");
    arch::outer_row_major(&mut out, b, a);
    out
}

/// Writes vec(abᵀ) into `out` without allocating: `out[i + j·m] = a[i]·b[j]`.
///
/// # Errors
/// `LengthMismatch` naming `out` when `out.len() != a.len()·b.len()` (`Overflow` when that
/// product does not fit in `usize`). `out` is untouched on error.
///
/// ```
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let (a, b) = ([1.0, 2.0], [3.0, 4.0, 5.0]);
/// let mut out = [0.0; 6];
/// outerprod::vec_outer_into(&mut out, &a, &b)?;
/// let expect: Vec<f64> = (0..6).map(|k| a[k % 2] * b[k / 2]).collect();
/// assert_eq!(out.to_vec(), expect);
/// assert!(outerprod::vec_outer_into(&mut out[..5], &a, &b).is_err());
/// # Ok(()) }
/// ```
pub fn vec_outer_into<T: Scalar>(out: &mut [T], a: &[T], b: &[T]) -> Result<(), ShapeError> {
    check_out_len(out.len(), a.len(), b.len())?;
    arch::outer_row_major(out, b, a);
    Ok(())
}

/// The Kronecker product of two vectors: `out[i·len(y) + j] = x[i]·y[j]`, which is the
/// row-major flattening of `x yᵀ`.
///
/// ```
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let (x, y) = ([1, -2], [3, 4, 5]);
/// let k = outerprod::kron(&x, &y);
/// let expect: Vec<i32> = x.iter().flat_map(|&xi| y.iter().map(move |&yj| xi * yj)).collect();
/// assert_eq!(k, expect); // [3, 4, 5, -6, -8, -10]
/// assert_eq!(k, outerprod::outer(&x, &y).into_vec());
/// # Ok(()) }
/// ```
///
/// # Panics
/// When `len(x)·len(y)` overflows `usize` or cannot be allocated; [`kron_into`] never panics.
#[track_caller]
pub fn kron<T: Scalar>(x: &[T], y: &[T]) -> Vec<T> {
    let mut out = alloc(x.len(), y.len(), "kron");
    arch::outer_row_major(&mut out, x, y);
    out
}

/// Writes the vector Kronecker product `kron(x, y)` into `out` without allocating.
///
/// # Errors
/// `LengthMismatch` naming `out` when `out.len() != x.len()·y.len()` (`Overflow` when that
/// product does not fit in `usize`). `out` is untouched on error.
///
/// ```
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let (x, y) = ([2, 3], [1, 10]);
/// let mut out = [0; 4];
/// outerprod::kron_into(&mut out, &x, &y)?;
/// assert_eq!(out, [x[0] * y[0], x[0] * y[1], x[1] * y[0], x[1] * y[1]]);
/// # Ok(()) }
/// ```
pub fn kron_into<T: Scalar>(out: &mut [T], x: &[T], y: &[T]) -> Result<(), ShapeError> {
    check_out_len(out.len(), x.len(), y.len())?;
    arch::outer_row_major(out, x, y);
    Ok(())
}

/// The Kronecker product A ⊗ B of an m×n `a` and a p×q `b`: the (m·p)×(n·q) matrix whose
/// element `(i·p + k, j·q + l)` is `a[(i, j)]·b[(k, l)]`. The views may have any strides.
///
/// ```
/// use outerprod::{kron_mat, MatRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = [1, 2, 3, 4]; // [[1, 2], [3, 4]]
/// let b = [0, 5, 6, 7]; // [[0, 5], [6, 7]]
/// let (av, bv) = (MatRef::row_major(&a, 2, 2)?, MatRef::row_major(&b, 2, 2)?);
/// let k = kron_mat(av, bv);
/// assert_eq!(k.shape(), (4, 4));
/// for r in 0..4 {
///     for c in 0..4 {
///         assert_eq!(k[(r, c)], av.get(r / 2, c / 2) * bv.get(r % 2, c % 2));
///     }
/// }
/// # Ok(()) }
/// ```
///
/// Row `i·p + k` of the result is the row-major outer product of row i of A and row k of B,
/// so the result is written as m·p outer products by the outer-product kernels, split between
/// the threads of the current rayon pool and written with streaming stores when large, as
/// one outer product of the same size would be (when B's rows are shorter than a vector,
/// only rows of the result of 8 KiB and more are streamed). Special shapes go other ways:
///
/// - B's rows shorter than a vector (f32 and f64, from 2 columns to one fewer than a vector
///   holds: 15 f32 or 7 f64 on AVX-512 machines, 7 or 3 on AVX2) and a result that fits in
///   L2: a kernel of its own, which spreads A's elements over the lanes by a permute. For
///   column counts that do not divide a vector it needs B of at most 17–170 rows (by column
///   count and vector) and results of 16 KiB or more per four vectors of its lane period.
/// - B's rows of one to four whole vectors (f32 and f64: 16, 32, 48 or 64 f32 columns on
///   AVX-512 machines, 8, 16, 24 or 32 on AVX2; half that of f64): a kernel of its own,
///   which keeps B's row in registers for a whole row of the result and writes with aligned
///   stores wherever the output starts (streaming ones when the result is large).
/// - B's rows longer than a vector but not a whole number of vectors, shorter than eight
///   (f32 and f64 on AVX-512 machines: 17 to 127 f32 columns, 9 to 63 f64): a kernel of its
///   own, whose vectors, all stored aligned, join the end of one segment `A[i, j]·B[k, :]`
///   and the start of the next (streaming stores when the result is large).
/// - A of one column: one outer product, A's column times B's rows end to end.
/// - B of one row: one outer product, A's rows end to end times B's row.
/// - B of one column (f32 and f64): block i of the result, rows `i·p .. i·p + p`, is one
///   outer product, B's column times row i of A. Its elements are computed as
///   `B[k, 0]·A[i, j]`, equal to `A[i, j]·B[k, 0]` except that, where both are NaN, which of
///   the two NaNs the result carries is not specified (as for any float product in Rust).
///
/// [`kron_mat_into`] does the same for a row- or column-major `out`.
///
/// # Panics
/// When the result's size overflows `usize` or cannot be allocated; [`kron_mat_into`] never
/// panics.
#[track_caller]
pub fn kron_mat<T: Scalar>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> Matrix<T> {
    let (rows, cols) = kron_shape("b", &a, &b).unwrap_or_else(|e| panic!("kron_mat: {e}"));
    let mut data = alloc(rows, cols, "kron_mat");
    kron_row_major(&mut data, a, b);
    Matrix::from_parts(rows, cols, data)
}

/// Writes A ⊗ B into `out`, a view of any layout, without allocating the result (it copies
/// A or B into row-major scratch when they are not row-major, or, for a column-major `out`,
/// when Aᵀ or Bᵀ is not; when `out` is neither row- nor column-major it also uses one
/// result row).
///
/// # Errors
/// `DimensionMismatch` naming `out` when it is not (m·p)×(n·q); `Overflow` naming `out` when
/// m·p or n·q does not fit in `usize`. `out` is untouched on error.
///
/// ```
/// use outerprod::{kron_mat, kron_mat_into, MatMut, MatRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = [1.0, 2.0]; // 1×2
/// let b = [3.0, 4.0]; // 2×1
/// let mut out = [0.0; 4]; // 2×2, column-major
/// let (av, bv) = (MatRef::row_major(&a, 1, 2)?, MatRef::row_major(&b, 2, 1)?);
/// kron_mat_into(MatMut::col_major(&mut out, 2, 2)?, av, bv)?;
/// assert_eq!(out, [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]);
/// assert_eq!(kron_mat(av, bv).vec(), out.to_vec());
/// # Ok(()) }
/// ```
pub fn kron_mat_into<T: Scalar>(
    mut out: MatMut<'_, T>,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
) -> Result<(), ShapeError> {
    let (rows, cols) = kron_shape("out", &a, &b)?;
    if out.shape() != (rows, cols) {
        return Err(ShapeError::new(
            ErrorKind::DimensionMismatch,
            "out",
            format!(
                "a {rows}×{cols} matrix (= {}·{} × {}·{})",
                a.rows(),
                b.rows(),
                a.cols(),
                b.cols()
            ),
            format!("{}×{}", out.rows(), out.cols()),
        ));
    }
    if let Some(dst) = out.as_row_major_slice_mut() {
        kron_row_major(dst, a, b);
    } else if let Some(dst) = out.rb_mut().transpose().as_row_major_slice_mut() {
        // A column-major `out` is the row-major (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ.
        kron_row_major(dst, a.transpose(), b.transpose());
    } else {
        kron_rows(a, b, |r, row| {
            for (c, &v) in row.iter().enumerate() {
                out.set(r, c, v);
            }
        });
    }
    Ok(())
}

/// `unvec(v, rows, cols)`: the `rows × cols` matrix whose column-major flattening is `v`, the
/// inverse of [`Matrix::vec`]: element `(i, j)` is `v[i + j·rows]`.
///
/// # Errors
/// `LengthMismatch` naming `v` when `v.len() != rows·cols`; `Overflow` when `rows·cols`
/// overflows `usize`.
///
/// ```
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// use outerprod::{outer, unvec, vec_outer};
/// let (a, b) = ([1, 2, 3], [4, 5]);
/// let m = unvec(&vec_outer(&a, &b), 3, 2)?;
/// assert_eq!(m, outer(&a, &b));
/// assert_eq!(m[(2, 1)], a[2] * b[1]);
/// assert!(unvec(&[1, 2, 3], 2, 2).is_err());
/// # Ok(()) }
/// ```
pub fn unvec<T: Copy>(v: &[T], rows: usize, cols: usize) -> Result<Matrix<T>, ShapeError> {
    let need = matrix::element_count(rows, cols)?;
    if v.len() != need {
        return Err(ShapeError::new(
            ErrorKind::LengthMismatch,
            "v",
            format!("{need} elements (= {rows} × {cols})"),
            v.len().to_string(),
        ));
    }
    let mut data = Vec::with_capacity(need);
    // Only when non-empty: an empty matrix of very many rows would loop over them all.
    if need > 0 {
        for i in 0..rows {
            data.extend((0..cols).map(|j| v[i + j * rows]));
        }
    }
    Ok(Matrix::from_parts(rows, cols, data))
}

/// A buffer of `m·n` zeros, or a panic naming the caller.
#[track_caller]
fn alloc<T: Scalar>(m: usize, n: usize, what: &str) -> Vec<T> {
    matrix::try_zeroed(m, n).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// `(m·p, n·q)`, or `Overflow` naming `argument`.
fn kron_shape<T>(
    argument: &'static str,
    a: &MatRef<'_, T>,
    b: &MatRef<'_, T>,
) -> Result<(usize, usize), ShapeError> {
    let rows = a.rows().checked_mul(b.rows());
    let cols = a.cols().checked_mul(b.cols());
    match (rows, cols) {
        (Some(r), Some(c)) if r.checked_mul(c).is_some() => Ok((r, c)),
        _ => Err(ShapeError::new(
            ErrorKind::Overflow,
            argument,
            "a Kronecker product whose element count fits in usize",
            format!("{}·{} × {}·{}", a.rows(), b.rows(), a.cols(), b.cols()),
        )),
    }
}

/// Writes A ⊗ B into the row-major buffer `dst` of exactly (m·p)·(n·q) elements: row
/// `i·p + k` is kron(A[i, :], B[k, :]), the row-major outer product of the two rows, so the
/// whole result is a stack of m·p outer products of one shape, written by the outer-product
/// driver with its threads and store kind chosen for the whole result. A and B are read in
/// place when row-major, else from row-major copies ([`Rows`]).
///
/// With one column in A the result is a single outer product instead: the blocks
/// `A[i, 0]·B` follow each other, so element `(i·p + k)·q + l` is `A[i, 0]·B[k, l]`, the
/// row-major `A[:, 0] vec_r(B)ᵀ` with `vec_r(B)` B's rows end to end. As a stack it would be
/// m·p products of a single row each, a call per row; as one product it takes the outer
/// product's walks (Sapphire Rapids guest, f32, 1 thread, GB/s, stack → one product: 8×1 ⊗
/// 8×8 1.0 → 13.5, 64×1 ⊗ 64×64 5.6 → 26.8, 2×1 ⊗ 512×1024 7.3 → 9.8, 8×1 ⊗ 8192×64
/// 5.0 → 6.4, 16×1 ⊗ 512×1024 (streamed) 2.0, or 6.9–7.5 with the flat kernel's copy of `b`
/// fixed, → 12.5).
///
/// With one row in B, the result is one outer product too: element `(i, j·q + l)` sits at
/// `(i·n + j)·q + l`, so the result is the row-major `vec_r(A) B[0, :]ᵀ`, where the stack
/// would make m products of rows of q elements (Sapphire Rapids guest, f32, new rate over
/// old, 1 thread / 2 threads, three runs: 64×64 ⊗ 1×2 1.58–1.94 / 1.82–2.76, 2048×2048 ⊗ 1×2
/// 1.69–1.88 / 2.04–2.34; one run: 32×32 ⊗ 1×3 1.8 / 1.6, 512×512 ⊗ 1×4 1.1 / 1.3, 64×64 ⊗
/// 1×16 1.1 / 1.0).
///
/// With one column in B (f32 and f64), the p rows of block i are the row-major product
/// `B[:, 0] A[i, :]ᵀ`, so the result is a stack of m products of rows n long rather than m·p
/// products of rows of one element, which the small loops wrote with ordinary stores at any
/// size. Sapphire Rapids guest, f32, 1 thread, new rate over old in four runs: 32×32 ⊗ 8×1
/// 4.3–7.0, 64×64 ⊗ 16×1 3.0–4.0, 2048×2048 ⊗ 2×1 (32 MiB, streamed) 1.5–1.7, in L3 (512×512 ⊗
/// 8×1, 8 MiB) alike, 0.92–1.15; two runs: 16×16 ⊗ 4×1 2.8 / 3.9, 256×256 ⊗ 4×1 1.6 / 2.3.
fn kron_row_major<T: Scalar>(dst: &mut [T], a: MatRef<'_, T>, b: MatRef<'_, T>) {
    let width = a.cols() * b.cols();
    debug_assert_eq!(dst.len(), a.rows() * b.rows() * width);
    if dst.is_empty() {
        return;
    }
    if a.cols() == 1 {
        arch::outer_row_major(dst, &first_column(a), &Rows::of(b).data);
        return;
    }
    if b.rows() == 1 {
        // Element (i, j·q + l) sits at (i·n + j)·q + l: A's rows end to end times B's row.
        arch::outer_row_major(dst, &Rows::of(a).data, &Rows::of(b).data);
        return;
    }
    if b.cols() == 1 && ScalarKind::of::<T>() != ScalarKind::Other {
        // Block i is the product B[:, 0] A[i, :]ᵀ: each element is B[k, 0]·A[i, j] rather
        // than A[i, j]·B[k, 0], the same value for floats (only which NaN a product of two
        // NaNs carries may differ), so this route is kept to f32 and f64.
        let (b_col, a_rows) = (first_column(b), Rows::of(a));
        let (block, m) = (b.rows() * a.cols(), a.rows());
        arch::outer_stack(dst, block, m, &|i| (&b_col[..], a_rows.row(i)));
        return;
    }
    let (a_rows, b_rows) = (Rows::of(a), Rows::of(b));
    if arch::kron_rows(dst, &a_rows.data, a.cols(), &b_rows.data, b.cols()) {
        return;
    }
    let p = b.rows();
    arch::outer_stack(dst, width, p, &|r| (a_rows.row(r / p), b_rows.row(r % p)));
}

/// Column 0 of `m` as a slice: borrowed when its elements are adjacent, else a copy.
fn first_column<T: Scalar>(m: MatRef<'_, T>) -> Cow<'_, [T]> {
    let column = m.col(0);
    column
        .as_slice()
        .map_or_else(|| column.to_vec().into(), Cow::Borrowed)
}

/// The rows of a matrix view as slices of one row-major buffer: the view's own elements when
/// it is row-major, else a row-major copy. (A row is then one multiply and a slice, once per
/// product of the stack; through the view's checked row accessor it was about 30
/// instructions.)
struct Rows<'a, T: Clone> {
    data: Cow<'a, [T]>,
    cols: usize,
}

impl<'a, T: Scalar> Rows<'a, T> {
    fn of(m: MatRef<'a, T>) -> Self {
        let data = m
            .as_row_major_slice()
            .map_or_else(|| m.to_matrix().into_vec().into(), Cow::Borrowed);
        Rows {
            data,
            cols: m.cols(),
        }
    }

    fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// Hands each row `r` of A ⊗ B, in order, to `emit` through a scratch buffer (for an `out`
/// of arbitrary strides).
fn kron_rows<T: Scalar>(a: MatRef<'_, T>, b: MatRef<'_, T>, mut emit: impl FnMut(usize, &[T])) {
    if a.is_empty() || b.is_empty() {
        return;
    }
    let (a_rows, b_rows, p) = (Rows::of(a), Rows::of(b), b.rows());
    let mut row = vec![T::zero(); a.cols() * b.cols()];
    for r in 0..a.rows() * p {
        arch::outer_row_major(&mut row, a_rows.row(r / p), b_rows.row(r % p));
        emit(r, &row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    const LENS: [usize; 8] = [0, 1, 2, 3, 7, 8, 9, 17];

    fn seq(n: usize, mul: i64, add: i64) -> Vec<i64> {
        (0..n as i64).map(|i| i * mul + add).collect()
    }

    #[test]
    fn vector_products_match_reference() {
        for m in LENS {
            for n in LENS {
                let (a, b) = (seq(m, 3, -5), seq(n, -7, 2));
                let k = reference::kron_vec(&a, &b);
                assert_eq!(kron(&a, &b), k, "kron {m}, {n}");
                assert_eq!(vec_outer(&b, &a), k, "vec_outer {n}, {m}");
                assert_eq!(vec_outer(&a, &b), reference::outer(&a, &b).vec());
                let mut out = vec![0; m * n];
                kron_into(&mut out, &a, &b).unwrap();
                assert_eq!(out, k);
                vec_outer_into(&mut out, &b, &a).unwrap();
                assert_eq!(out, k);
            }
        }
    }

    #[test]
    fn wrong_buffers_are_errors_and_leave_out_alone() {
        let mut out = [9; 5];
        let e = vec_outer_into(&mut out, &[1, 2], &[3, 4, 5]).unwrap_err();
        assert_eq!((e.kind(), e.argument()), (ErrorKind::LengthMismatch, "out"));
        assert!(kron_into(&mut out, &[1, 2], &[3, 4, 5]).is_err());
        assert_eq!(out, [9; 5]);
    }

    #[test]
    fn matrix_kron_matches_reference_on_strided_views() {
        let data: Vec<i64> = (0..60).map(|x| x * 5 - 31).collect();
        for (m, n) in [(0, 2), (1, 1), (2, 3), (3, 1), (4, 4)] {
            for (p, q) in [(1, 0), (1, 1), (2, 2), (3, 2), (1, 5)] {
                // A: transposed and reversed; B: non-unit strides.
                let a = MatRef::new(&data, 59, m, n, -1, -6).unwrap();
                let b = MatRef::new(&data, 3, p, q, 7, 2).unwrap();
                let want = reference::kron(a, b);
                assert_eq!(kron_mat(a, b), want, "{m}×{n} ⊗ {p}×{q}");
                let mut buf = vec![0; m * p * n * q];
                let out = MatMut::col_major(&mut buf, m * p, n * q).unwrap();
                kron_mat_into(out, a, b).unwrap();
                assert_eq!(buf, want.vec());
            }
        }
    }

    #[test]
    fn kron_mat_into_rejects_wrong_shape() {
        let a = Matrix::from_rows(&[[1, 2]]).unwrap();
        let mut buf = [0; 4];
        let out = MatMut::row_major(&mut buf, 4, 1).unwrap();
        let e = kron_mat_into(out, a.view(), a.view()).unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::DimensionMismatch, "out")
        );
        assert!(e.to_string().contains("1×4"), "{e}");
    }

    #[test]
    fn unvec_inverts_vec() {
        let m = Matrix::from_fn(3, 4, |i, j| (i * 10 + j) as i32);
        assert_eq!(unvec(&m.vec(), 3, 4).unwrap(), m);
        let e = unvec(&m.vec(), 4, 4).unwrap_err();
        assert_eq!((e.kind(), e.argument()), (ErrorKind::LengthMismatch, "v"));
        assert_eq!(
            unvec::<i32>(&[], usize::MAX, 2).unwrap_err().kind(),
            ErrorKind::Overflow
        );
        assert_eq!(unvec::<i32>(&[], 0, 5).unwrap().shape(), (0, 5));
    }
}
