//! Portable kernels: plain loops over slices that the compiler auto-vectorises for the
//! baseline target. They are also the generic path for every non-float element type.

use crate::scalar::Scalar;
use crate::view::{MatMut, VecRef};

/// Row-major outer product: row i of `out` is `a[i]·b`.
pub(crate) fn outer_row_major<T: Scalar>(out: &mut [T], a: &[T], b: &[T]) {
    if b.is_empty() {
        return;
    }
    for (row, &ai) in out.chunks_exact_mut(b.len()).zip(a) {
        for (o, &bj) in row.iter_mut().zip(b) {
            *o = ai * bj;
        }
    }
}

/// `A ← A + α x yᵀ`, one column of A at a time with `temp = α·y[j]` as BLAS does.
pub(crate) fn ger<T: Scalar>(alpha: T, x: VecRef<'_, T>, y: VecRef<'_, T>, mut a: MatMut<'_, T>) {
    for j in 0..y.len() {
        let temp = alpha * y.get(j);
        for i in 0..x.len() {
            *a.get_mut(i, j) = a.get(i, j) + x.get(i) * temp;
        }
    }
}
