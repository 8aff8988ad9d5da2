//! The skinny routes of [`gemm`](super::gemm): products with a dimension of 1, which gain
//! nothing from packing.
//!
//! - m = 1 (or n = 1, as `Cᵀ = BᵀAᵀ`): a vector × matrix product. B with contiguous rows is
//!   read as axpys over its rows, B with contiguous columns as one dot product per column
//!   (`kernel_gemv`); then `C ← α·acc + β·C` (C not read when β = 0). Sequential, so the
//!   result does not depend on the thread count. Any other B falls back to the general routes.
//! - k = 1: the rank-1 update `C ← α a bᵀ + βC`. β = 1 is exactly [`crate::arch::ger`]
//!   (`C[i][j] + a[i]·(α·b[j])`); other β ≠ 0 scale C by β first. β = 0 writes
//!   `a[i]·(α·b[j])` without reading C: the same two roundings as `ger`'s product term (α = 1
//!   and contiguous vectors allocate nothing; otherwise an m- or n-element copy). Each
//!   element is computed independently, so threads do not change any bit.

use crate::arch::{self, KernelPath};
use crate::scalar::Scalar;
use crate::view::{MatMut, MatRef, VecRef};

use super::driver;
use super::kernel_gemv::{axpy_rows, dot};

/// Columns of C per pass of the row-axpy kernel: the accumulator (1 KiB of f32) stays in L1.
const AXPY_COLS: usize = 256;

/// `c ← α·a·B + β·c` for a 1×k `a`, k×n `B` and 1×n `c` (k, n ≥ 1, α ≠ 0). Returns `false`
/// without touching anything when `a` is not contiguous or B has neither contiguous rows nor
/// contiguous columns. Allocates nothing.
pub(super) fn vector_matrix<T: Scalar>(
    path: KernelPath,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) -> bool {
    debug_assert!(a.rows() == 1 && c.rows() == 1 && b.rows() == a.cols());
    let (k, n) = (b.rows(), b.cols());
    let Some(a_row) = a.row(0).as_slice() else {
        return false;
    };
    let rows_contiguous = b.col_stride() == 1 || n == 1;
    let cols_contiguous = b.row_stride() == 1 || k == 1;
    let mut c_row = c.row_mut(0);
    if rows_contiguous {
        let mut acc = [T::zero(); AXPY_COLS];
        for j0 in (0..n).step_by(AXPY_COLS) {
            let cols = j0..n.min(j0 + AXPY_COLS);
            let acc = &mut acc[..cols.len()];
            axpy_rows(path, acc, a_row, b, cols);
            for (j, &x) in acc.iter().enumerate() {
                let v = finish(alpha, x, beta, || c_row.rb().get(j0 + j));
                c_row.set(j0 + j, v);
            }
        }
        true
    } else if cols_contiguous {
        for j in 0..n {
            let x = dot(path, a_row, b.col(j).as_slice().unwrap_or(&[]));
            let v = finish(alpha, x, beta, || c_row.rb().get(j));
            c_row.set(j, v);
        }
        true
    } else {
        false
    }
}

/// `α·x + β·old` (`α·x` without reading `old` when β = 0), as the other routes write C.
#[inline]
fn finish<T: Scalar>(alpha: T, x: T, beta: T, old: impl FnOnce() -> T) -> T {
    if beta == T::zero() {
        alpha * x
    } else {
        alpha * x + beta * old()
    }
}

/// A vector's elements as a contiguous slice (borrowed when they already are).
fn contiguous<'a, T: Scalar>(v: VecRef<'a, T>) -> std::borrow::Cow<'a, [T]> {
    match v.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(v.to_vec()),
    }
}

/// `C ← α a bᵀ + βC` for an m×1 `a`, 1×n `b` and m×n `C` (m, n ≥ 1, α ≠ 0).
pub(super) fn rank1<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
) {
    debug_assert!(a.cols() == 1 && b.rows() == 1 && !c.is_empty() && alpha != T::zero());
    let (x, y) = (a.col(0), b.row(0));
    if beta != T::zero() {
        driver::scale(beta, &mut c);
        arch::ger(alpha, x, y, c);
        return;
    }
    // β = 0: C is written, never read. With α = 1 (the dense-layer case) α·b[j] = b[j]
    // exactly and a contiguous b is used in place; otherwise α·b is formed once (n elements).
    let x = contiguous(x);
    let temp = match y.as_slice() {
        Some(s) if alpha == T::one() => std::borrow::Cow::Borrowed(s),
        _ => std::borrow::Cow::Owned((0..y.len()).map(|j| alpha * y.get(j)).collect()),
    };
    if let Some(out) = c.as_row_major_slice_mut() {
        arch::outer_row_major(out, &x, &temp);
        return;
    }
    let mut ct = c.rb_mut().transpose();
    if let Some(out) = ct.as_row_major_slice_mut() {
        // Column-major C: element (j, i) of Cᵀ is temp[j]·x[i], the same product.
        arch::outer_row_major(out, &temp, &x);
        return;
    }
    for (j, &t) in temp.iter().enumerate() {
        for (i, &xi) in x.iter().enumerate() {
            c.set(i, j, xi * t);
        }
    }
}
