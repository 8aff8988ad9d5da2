//! Plain reference implementations: the definitions, written as the obvious loops.
//!
//! Every fast kernel is tested against these. They are `#[doc(hidden)]` public so that benches
//! and integration tests can use them; they are not part of the supported API.

use crate::matrix::Matrix;
use crate::scalar::Scalar;
use crate::view::{MatMut, MatRef, VecRef};

/// `out[i][j] = a[i]·b[j]`, row-major.
pub fn outer<T: Scalar>(a: &[T], b: &[T]) -> Matrix<T> {
    Matrix::from_fn(a.len(), b.len(), |i, j| a[i] * b[j])
}

/// `A ← A + α x yᵀ`, element by element, in the order BLAS's reference `xGER` uses
/// (`temp = α·y[j]`, then `A[i][j] += x[i]·temp`).
pub fn ger<T: Scalar>(alpha: T, x: VecRef<'_, T>, y: VecRef<'_, T>, mut a: MatMut<'_, T>) {
    assert_eq!((a.rows(), a.cols()), (x.len(), y.len()));
    for j in 0..y.len() {
        let temp = alpha * y.get(j);
        for i in 0..x.len() {
            let v = a.get(i, j) + x.get(i) * temp;
            a.set(i, j, v);
        }
    }
}

/// `C ← αAB + βC` by the triple loop, accumulating each dot product in `T`. When `β = 0`, C is
/// not read.
pub fn gemm<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
) {
    assert_eq!(a.cols(), b.rows());
    assert_eq!((c.rows(), c.cols()), (a.rows(), b.cols()));
    for i in 0..c.rows() {
        for j in 0..c.cols() {
            let mut acc = T::zero();
            for p in 0..a.cols() {
                acc = acc + a.get(i, p) * b.get(p, j);
            }
            let scaled = if beta == T::zero() {
                alpha * acc
            } else {
                alpha * acc + beta * c.get(i, j)
            };
            c.set(i, j, scaled);
        }
    }
}

/// `C ← αAB + βC` for `f32` with every dot product accumulated in `f64`, the accurate
/// reference that f32 kernels are compared against. Returns the f64 result (not rounded to f32).
pub fn gemm_f32_in_f64(
    alpha: f32,
    a: MatRef<'_, f32>,
    b: MatRef<'_, f32>,
    beta: f32,
    c: MatRef<'_, f32>,
) -> Matrix<f64> {
    Matrix::from_fn(c.rows(), c.cols(), |i, j| {
        let acc: f64 = (0..a.cols())
            .map(|p| a.get(i, p) as f64 * b.get(p, j) as f64)
            .sum();
        let base = if beta == 0.0 {
            0.0
        } else {
            beta as f64 * c.get(i, j) as f64
        };
        alpha as f64 * acc + base
    })
}

/// kron(x, y) for vectors: `out[i·len(y) + j] = x[i]·y[j]`.
pub fn kron_vec<T: Scalar>(x: &[T], y: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(x.len() * y.len());
    for &xi in x {
        for &yj in y {
            out.push(xi * yj);
        }
    }
    out
}

/// kron(A, B) for matrices: element `(i·p + k, j·q + l)` is `A[i][j]·B[k][l]`, B being p×q.
pub fn kron<T: Scalar>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> Matrix<T> {
    let (p, q) = b.shape();
    Matrix::from_fn(a.rows() * p, a.cols() * q, |r, c| {
        a.get(r / p, c / q) * b.get(r % p, c % q)
    })
}
