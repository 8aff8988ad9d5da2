//! [`Rank1`]: the outer product as a lazy operator.
//!
//! `a bᵀ` has m·n elements but only m + n degrees of freedom. Applying it to a vector needs
//! one dot product and one scaling, `(a bᵀ) x = a (b·x)`, so every method here runs in
//! O(m + n) time and allocates at most the m- or n-element result.

use crate::error::{ErrorKind, ShapeError};
use crate::matrix::Matrix;
use crate::outer::outer;
use crate::scalar::{Float, Scalar};

/// The m×n matrix `a bᵀ`, kept as its two factors and never formed unless asked
/// ([`to_matrix`](Self::to_matrix)).
///
/// ```
/// use outerprod::Rank1;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let (a, b) = ([1, 2, 3], [4, 5]);
/// let r = Rank1::new(&a, &b);
/// let x = [1, -1];
/// let y = r.apply(&x)?; // a (b·x) = a · (4 − 5), without forming the matrix
/// let m = r.to_matrix();
/// let expect: Vec<i32> = (0..3).map(|i| m[(i, 0)] * x[0] + m[(i, 1)] * x[1]).collect();
/// assert_eq!(y, expect); // [-1, -2, -3]
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Rank1<'a, T> {
    a: &'a [T],
    b: &'a [T],
}

impl<'a, T: Scalar> Rank1<'a, T> {
    /// The operator `a bᵀ`: `a.len()` rows, `b.len()` columns.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let r = outerprod::Rank1::new(&[1.0, 2.0], &[3.0, 4.0, 5.0]);
    /// assert_eq!((r.rows(), r.cols()), (2, 3));
    /// # Ok(()) }
    /// ```
    pub fn new(a: &'a [T], b: &'a [T]) -> Self {
        Rank1 { a, b }
    }

    /// Number of rows m (`a.len()`).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// assert_eq!(outerprod::Rank1::new(&[1, 2, 3], &[4]).rows(), 3);
    /// # Ok(()) }
    /// ```
    pub fn rows(&self) -> usize {
        self.a.len()
    }

    /// Number of columns n (`b.len()`).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// assert_eq!(outerprod::Rank1::new(&[1, 2, 3], &[4]).cols(), 1);
    /// # Ok(()) }
    /// ```
    pub fn cols(&self) -> usize {
        self.b.len()
    }

    /// `(rows, cols)`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// assert_eq!(outerprod::Rank1::new(&[1, 2, 3], &[4, 5]).shape(), (3, 2));
    /// # Ok(()) }
    /// ```
    pub fn shape(&self) -> (usize, usize) {
        (self.a.len(), self.b.len())
    }

    /// The left factor `a`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// assert_eq!(outerprod::Rank1::new(&[1, 2], &[3]).left(), &[1, 2]);
    /// # Ok(()) }
    /// ```
    pub fn left(&self) -> &'a [T] {
        self.a
    }

    /// The right factor `b`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// assert_eq!(outerprod::Rank1::new(&[1, 2], &[3]).right(), &[3]);
    /// # Ok(()) }
    /// ```
    pub fn right(&self) -> &'a [T] {
        self.b
    }

    /// The transpose `b aᵀ`, also lazy.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let r = outerprod::Rank1::new(&[1, 2], &[3, 4, 5]);
    /// assert_eq!(r.transpose().get(2, 1), r.get(1, 2));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn transpose(&self) -> Rank1<'a, T> {
        Rank1 {
            a: self.b,
            b: self.a,
        }
    }

    /// Element `(i, j)`, `a[i]·b[j]`.
    ///
    /// # Panics
    /// When `i ≥ rows` or `j ≥ cols`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let (a, b) = ([1, 2], [3, 4, 5]);
    /// assert_eq!(outerprod::Rank1::new(&a, &b).get(1, 2), a[1] * b[2]);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn get(&self, i: usize, j: usize) -> T {
        assert!(
            i < self.a.len() && j < self.b.len(),
            "Rank1::get: index ({i}, {j}) out of bounds for a {}×{} operator",
            self.a.len(),
            self.b.len()
        );
        self.a[i] * self.b[j]
    }

    /// `(a bᵀ) x = a (b·x)` for `x` of length n, in O(m + n): a new vector of length m.
    ///
    /// The dot product `b·x` is summed left to right, then each `a[i]` is multiplied by it.
    /// For floats this can differ from forming the matrix first: in the last bits through
    /// rounding, and in kind where the matrix would overflow or meet ∞·0 (a = [∞], b = [1, 0],
    /// x = [1, 0] gives [∞] here, while `(abᵀ)x` sums ∞·1 + (∞·0)·0 = NaN).
    ///
    /// # Errors
    /// `DimensionMismatch` naming `x` when `x.len() != cols`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let (a, b, x) = ([1, 2], [3, 4, 5], [1, 0, 2]);
    /// let y = outerprod::Rank1::new(&a, &b).apply(&x)?;
    /// let m = outerprod::outer(&a, &b);
    /// let expect: Vec<i32> = (0..2).map(|i| (0..3).map(|j| m[(i, j)] * x[j]).sum()).collect();
    /// assert_eq!(y, expect); // [13, 26]
    /// # Ok(()) }
    /// ```
    pub fn apply(&self, x: &[T]) -> Result<Vec<T>, ShapeError> {
        let mut out = vec![T::zero(); self.a.len()];
        self.apply_into(&mut out, x)?;
        Ok(out)
    }

    /// [`apply`](Self::apply) into a caller's buffer of length m, without allocating.
    ///
    /// # Errors
    /// `DimensionMismatch` naming `x` when `x.len() != cols`; `LengthMismatch` naming `out`
    /// when `out.len() != rows`. `out` is untouched on error.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let (a, b, x) = ([2.0, -1.0], [1.0, 3.0], [4.0, 0.5]);
    /// let mut y = [0.0; 2];
    /// outerprod::Rank1::new(&a, &b).apply_into(&mut y, &x)?;
    /// let bx = b[0] * x[0] + b[1] * x[1];
    /// assert_eq!(y, [a[0] * bx, a[1] * bx]);
    /// # Ok(()) }
    /// ```
    pub fn apply_into(&self, out: &mut [T], x: &[T]) -> Result<(), ShapeError> {
        scaled_copy(out, self.a, self.b, x, ("columns", "rows"))
    }

    /// `(a bᵀ)ᵀ x = b (a·x)` for `x` of length m, in O(m + n): a new vector of length n.
    /// As with [`apply`](Self::apply), the result can differ from the matrix product in the
    /// last bits, and in kind where that product would overflow or meet ∞·0.
    ///
    /// # Errors
    /// `DimensionMismatch` naming `x` when `x.len() != rows`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let (a, b, x) = ([1, 2], [3, 4, 5], [1, -1]);
    /// let y = outerprod::Rank1::new(&a, &b).apply_transpose(&x)?;
    /// let m = outerprod::outer(&a, &b);
    /// let expect: Vec<i32> = (0..3).map(|j| (0..2).map(|i| m[(i, j)] * x[i]).sum()).collect();
    /// assert_eq!(y, expect); // [-3, -4, -5]
    /// # Ok(()) }
    /// ```
    pub fn apply_transpose(&self, x: &[T]) -> Result<Vec<T>, ShapeError> {
        let mut out = vec![T::zero(); self.b.len()];
        self.apply_transpose_into(&mut out, x)?;
        Ok(out)
    }

    /// [`apply_transpose`](Self::apply_transpose) into a caller's buffer of length n.
    ///
    /// # Errors
    /// `DimensionMismatch` naming `x` when `x.len() != rows`; `LengthMismatch` naming `out`
    /// when `out.len() != cols`. `out` is untouched on error.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let (a, b, x) = ([1, 2], [3, 4, 5], [2, 1]);
    /// let mut y = [0; 3];
    /// outerprod::Rank1::new(&a, &b).apply_transpose_into(&mut y, &x)?;
    /// let ax = a[0] * x[0] + a[1] * x[1];
    /// assert_eq!(y, [b[0] * ax, b[1] * ax, b[2] * ax]);
    /// # Ok(()) }
    /// ```
    pub fn apply_transpose_into(&self, out: &mut [T], x: &[T]) -> Result<(), ShapeError> {
        scaled_copy(out, self.b, self.a, x, ("rows", "columns"))
    }

    /// The trace, the sum of the diagonal elements `Σᵢ a[i]·b[i]` for i < min(m, n) (for a
    /// square operator, `b·a`). Summed left to right; 0 for an empty operator.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let (a, b) = ([1, 2, 3], [4, 5, 6]);
    /// let m = outerprod::outer(&a, &b);
    /// assert_eq!(outerprod::Rank1::new(&a, &b).trace(), m[(0, 0)] + m[(1, 1)] + m[(2, 2)]);
    /// # Ok(()) }
    /// ```
    pub fn trace(&self) -> T {
        self.a
            .iter()
            .zip(self.b)
            .fold(T::zero(), |acc, (&ai, &bi)| acc + ai * bi)
    }

    /// The dense m×n matrix `a bᵀ` (row-major), formed by [`outer`].
    ///
    /// # Panics
    /// When m·n overflows `usize` or cannot be allocated (see [`outer`]).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let (a, b) = ([1, 2], [3, 4]);
    /// let m = outerprod::Rank1::new(&a, &b).to_matrix();
    /// assert_eq!(m.as_slice(), &[a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn to_matrix(&self) -> Matrix<T> {
        outer(self.a, self.b)
    }
}

impl<T: Float> Rank1<'_, T> {
    /// The Frobenius norm ‖a bᵀ‖_F = ‖a‖₂·‖b‖₂, in O(m + n).
    ///
    /// Each 2-norm is computed with scaling (as LAPACK's `xNRM2` does), so it neither
    /// overflows for elements near the largest float nor underflows to 0 for tiny ones: the
    /// result is finite and accurate whenever the true norm is representable. A NaN anywhere
    /// gives NaN; otherwise an infinite element gives +∞ (and 0·∞ = NaN when the other factor
    /// is zero, matching the matrix, whose elements are then NaN).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let (a, b) = ([3.0f64, 4.0], [1.0, 2.0, 2.0]);
    /// let r = outerprod::Rank1::new(&a, &b);
    /// let m = r.to_matrix();
    /// let by_def = m.as_slice().iter().map(|v| v * v).sum::<f64>().sqrt(); // 15
    /// assert!((r.frobenius_norm() - by_def).abs() <= 1e-12 * by_def);
    /// // no overflow where squaring would give ∞:
    /// let big = [1e200, 1e200];
    /// let r = outerprod::Rank1::new(&big, &[1e-200]);
    /// assert!((r.frobenius_norm() - 2f64.sqrt()).abs() < 1e-15);
    /// # Ok(()) }
    /// ```
    pub fn frobenius_norm(&self) -> T {
        norm2(self.a) * norm2(self.b)
    }
}

/// The Euclidean norm with scaling by the largest magnitude (no overflow or underflow in the
/// squares).
fn norm2<T: Float>(v: &[T]) -> T {
    let mut scale = T::zero();
    for &x in v {
        let ax = x.abs();
        if ax.is_nan() {
            return ax;
        }
        if ax > scale {
            scale = ax;
        }
    }
    if scale == T::zero() || scale.is_infinite() {
        return scale;
    }
    let sum = v.iter().fold(T::zero(), |acc, &x| {
        let t = x / scale;
        acc + t * t
    });
    scale * sum.sqrt()
}

/// `out = s · (t·x)`: the shared body of `apply` (s = a, t = b) and `apply_transpose`.
fn scaled_copy<T: Scalar>(
    out: &mut [T],
    s: &[T],
    t: &[T],
    x: &[T],
    (x_dim, out_dim): (&str, &str),
) -> Result<(), ShapeError> {
    if x.len() != t.len() {
        return Err(ShapeError::new(
            ErrorKind::DimensionMismatch,
            "x",
            format!("length {} (the operator's {x_dim})", t.len()),
            format!("length {}", x.len()),
        ));
    }
    if out.len() != s.len() {
        return Err(ShapeError::new(
            ErrorKind::LengthMismatch,
            "out",
            format!("length {} (the operator's {out_dim})", s.len()),
            format!("length {}", out.len()),
        ));
    }
    let dot = t
        .iter()
        .zip(x)
        .fold(T::zero(), |acc, (&ti, &xi)| acc + ti * xi);
    for (o, &si) in out.iter_mut().zip(s) {
        *o = si * dot;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    fn matvec(m: &Matrix<i64>, x: &[i64]) -> Vec<i64> {
        (0..m.rows())
            .map(|i| (0..m.cols()).map(|j| m[(i, j)] * x[j]).sum())
            .collect()
    }

    #[test]
    fn apply_matches_dense_matrix_on_integers() {
        for (m, n) in [(0, 0), (0, 3), (3, 0), (1, 1), (2, 5), (9, 4), (17, 16)] {
            let a: Vec<i64> = (0..m as i64).map(|i| 3 * i - 7).collect();
            let b: Vec<i64> = (0..n as i64).map(|j| 5 - 2 * j).collect();
            let r = Rank1::new(&a, &b);
            let dense = reference::outer(&a, &b);
            assert_eq!(r.to_matrix(), dense);
            let x: Vec<i64> = (0..n as i64).map(|j| j * j - 4).collect();
            assert_eq!(r.apply(&x).unwrap(), matvec(&dense, &x));
            let z: Vec<i64> = (0..m as i64).map(|i| 2 - i).collect();
            let dense_t = dense.transpose().to_matrix();
            assert_eq!(r.apply_transpose(&z).unwrap(), matvec(&dense_t, &z));
            let diag: i64 = (0..m.min(n)).map(|i| dense[(i, i)]).sum();
            assert_eq!(r.trace(), diag);
            for i in 0..m {
                for j in 0..n {
                    assert_eq!(r.get(i, j), dense[(i, j)]);
                }
            }
        }
    }

    #[test]
    fn wrong_lengths_are_errors_naming_the_argument() {
        let r = Rank1::new(&[1, 2, 3], &[4, 5]);
        let e = r.apply(&[1, 2, 3]).unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::DimensionMismatch, "x")
        );
        assert!(e.to_string().contains("expected length 2"), "{e}");
        let e = r.apply_transpose(&[1, 2]).unwrap_err();
        assert_eq!(e.argument(), "x");
        let mut out = [7; 2];
        let e = r.apply_into(&mut out, &[1, 2]).unwrap_err();
        assert_eq!((e.kind(), e.argument()), (ErrorKind::LengthMismatch, "out"));
        assert_eq!(out, [7; 2]);
    }

    #[test]
    #[should_panic(expected = "out of bounds for a 3×2 operator")]
    fn get_out_of_range_panics_with_shape() {
        Rank1::new(&[1, 2, 3], &[4, 5]).get(0, 2);
    }

    #[test]
    fn frobenius_norm_is_robust() {
        let by_def = |a: &[f64], b: &[f64]| {
            reference::outer(a, b)
                .as_slice()
                .iter()
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt()
        };
        let (a, b) = ([1.0, -2.0, 2.0], [0.5, 1.5, -3.0, 0.25]);
        let got = Rank1::new(&a, &b).frobenius_norm();
        assert!((got - by_def(&a, &b)).abs() <= 4.0 * f64::EPSILON * got);
        // Squares overflow (1e300² = ∞) and underflow (1e-300² = 0) but the norm does not.
        let (big, tiny) = ([3e300f64, 4e300], [3e-300, 4e-300]);
        let got = Rank1::new(&big, &tiny).frobenius_norm();
        assert!((got - 25.0).abs() <= 8.0 * f64::EPSILON * 25.0, "{got}");
        assert_eq!(Rank1::<f32>::new(&[], &[1.0]).frobenius_norm(), 0.0);
        assert!(Rank1::new(&[f64::NAN, f64::INFINITY], &[1.0])
            .frobenius_norm()
            .is_nan());
        assert_eq!(
            Rank1::new(&[f64::NEG_INFINITY], &[2.0]).frobenius_norm(),
            f64::INFINITY
        );
        let sub = f32::from_bits(1); // the smallest subnormal
        let got = Rank1::new(&[sub, sub], &[1.0f32]).frobenius_norm();
        assert_eq!(got, sub * 2f32.sqrt());
    }
}
