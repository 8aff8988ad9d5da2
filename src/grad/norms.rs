//! Per-example gradient norms of a dense layer and per-example clipping (DP-SGD), without
//! materialising the per-example gradients.
//!
//! Example i contributes `gᵢ = (δᵢ xᵢᵀ, δᵢ)` to `(dW, db)`. Since `‖δᵢ xᵢᵀ‖_F = ‖δᵢ‖·‖xᵢ‖`
//! (the Frobenius norm of an outer product is the product of the norms), its squared norm is
//! `‖gᵢ‖² = ‖δᵢ‖²(‖xᵢ‖² + 1)`: O(in + out) work per example instead of O(in·out). Clipping
//! scales row i of dY by `min(1, C/‖gᵢ‖)`; because `gᵢ` is linear in `δᵢ`, one GEMM on the scaled
//! dY then yields `Σᵢ min(1, C/‖gᵢ‖) gᵢ`.

use crate::error::{ErrorKind, ShapeError};
use crate::grad::dense::check_shape;
use crate::scalar::Float;
use crate::view::{MatMut, MatRef};

/// Adds `‖gᵢ‖² = ‖δᵢ‖²(‖xᵢ‖² + 1)`, the squared norm of example i's weight-and-bias gradient, to
/// `acc[i]` for every row i; summing over the layers of a network gives the squared norm of
/// each example's whole gradient.
///
/// # Errors
/// `DimensionMismatch` naming `dy` when it has not as many rows as `x`; `LengthMismatch` naming
/// `acc` when its length is not the batch size.
///
/// ```
/// use outerprod::grad::per_example_sq_norms_add;
/// use outerprod::Matrix;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let x = Matrix::from_rows(&[[3.0, 4.0]])?;   // ‖x‖² = 25
/// let dy = Matrix::from_rows(&[[1.0, 2.0]])?;  // ‖δ‖² = 5
/// let mut acc = [1.0];
/// per_example_sq_norms_add(x.view(), dy.view(), &mut acc)?;
/// assert_eq!(acc, [1.0 + 5.0 * (25.0 + 1.0)]);
/// # Ok(()) }
/// ```
pub fn per_example_sq_norms_add<T: Float>(
    x: MatRef<'_, T>,
    dy: MatRef<'_, T>,
    acc: &mut [T],
) -> Result<(), ShapeError> {
    check_rows(&x, &dy)?;
    check_batch_len("acc", acc.len(), x.rows())?;
    for (i, a) in acc.iter_mut().enumerate() {
        let xx = sq_norm_row(&x, i);
        let dd = sq_norm_row(&dy, i);
        *a = *a + dd * (xx + T::one());
    }
    Ok(())
}

/// The norm of each example's gradient `gᵢ = (δᵢ xᵢᵀ, δᵢ)` of a dense layer,
/// `‖gᵢ‖ = ‖δᵢ‖·√(‖xᵢ‖² + 1)`, written to `out[i]`, with δᵢ row i of `dy` as given (after a mean
/// loss that is ‖∇ℓᵢ‖/B: see [`clip_per_example`]).
///
/// # Errors
/// As [`per_example_sq_norms_add`], with `out` in place of `acc`.
///
/// ```
/// use outerprod::grad::per_example_norms;
/// use outerprod::{outer, Matrix};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let x = Matrix::from_rows(&[[1.0, 2.0], [0.0, -1.0]])?;
/// let dy = Matrix::from_rows(&[[3.0], [0.5]])?;
/// let mut norms = [0.0; 2];
/// per_example_norms(x.view(), dy.view(), &mut norms)?;
/// for i in 0..2 {
///     let gw = outer(dy.row(i), x.row(i)); // the materialised δᵢ xᵢᵀ
///     let sq: f64 = gw.as_slice().iter().chain(dy.row(i)).map(|v| v * v).sum();
///     assert!((norms[i] - sq.sqrt()).abs() < 1e-15);
/// }
/// # Ok(()) }
/// ```
pub fn per_example_norms<T: Float>(
    x: MatRef<'_, T>,
    dy: MatRef<'_, T>,
    out: &mut [T],
) -> Result<(), ShapeError> {
    check_rows(&x, &dy)?;
    check_batch_len("out", out.len(), x.rows())?;
    out.fill(T::zero());
    per_example_sq_norms_add(x, dy, out)?;
    for v in out.iter_mut() {
        *v = v.sqrt();
    }
    Ok(())
}

/// Per-example clipping (DP-SGD): writes `dY` with row i scaled by `min(1, C/‖gᵢ‖)` into
/// `clipped`, where `‖gᵢ‖` is example i's weight-and-bias gradient norm and C = `max_norm`.
/// A backward pass on `clipped` ([`Dense::backward_into`](crate::grad::Dense::backward_into))
/// then gives `Σᵢ min(1, C/‖gᵢ‖) gᵢ` in one GEMM. Returns how many examples were clipped.
///
/// # Mean losses and Opacus
/// The rows of `dy` are taken as they are. The crate's losses
/// ([`softmax_cross_entropy`](crate::grad::softmax_cross_entropy),
/// [`mse`](crate::grad::mse)) return the gradient of the batch *mean*, so after them row i is
/// ∇ℓᵢ/B (B the batch size) and `‖gᵢ‖` is ‖∇ℓᵢ‖/B. Opacus's `max_grad_norm = C` bounds each
/// example's own ‖∇ℓᵢ‖ by C and then averages; the same `Σᵢ min(1, C/‖∇ℓᵢ‖) ∇ℓᵢ/B` comes from
/// `max_norm = C/B` here (and B times [`per_example_norms`] are Opacus's norms). For example,
/// four examples whose own gradients have norm 1.0 give norms of 0.25 after a mean loss;
/// Opacus's C = 0.5 is `max_norm = 0.125`, which halves all four, while `max_norm = 0.5` would
/// clip none.
///
/// The factor is exactly `min(1, C/‖gᵢ‖)` (Opacus divides by ‖gᵢ‖ + 10⁻⁶). A row whose norm is
/// NaN keeps the factor 1 and is not counted as clipped; its NaN reaches the sum either way.
///
/// # Errors
/// `InvalidValue` naming `max_norm` unless it is finite and positive; `DimensionMismatch`
/// naming `dy` or `clipped` on a shape mismatch.
///
/// ```
/// use outerprod::grad::clip_per_example;
/// use outerprod::Matrix;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let x = Matrix::from_rows(&[[0.0, 0.0], [3.0, 0.0]])?;
/// let dy = Matrix::from_rows(&[[0.5], [2.0]])?; // ‖g₀‖ = 0.5, ‖g₁‖ = 2·√10
/// let mut clipped = Matrix::zeros(2, 1);
/// let n = clip_per_example(x.view(), dy.view(), 1.0, clipped.view_mut())?;
/// assert_eq!(n, 1);
/// assert_eq!(clipped[(0, 0)], 0.5); // under the bound: unchanged
/// assert!((clipped[(1, 0)] - 2.0 / (2.0 * 10f64.sqrt())).abs() < 1e-15);
/// # Ok(()) }
/// ```
pub fn clip_per_example<T: Float>(
    x: MatRef<'_, T>,
    dy: MatRef<'_, T>,
    max_norm: T,
    mut clipped: MatMut<'_, T>,
) -> Result<usize, ShapeError> {
    check_max_norm(max_norm)?;
    check_rows(&x, &dy)?;
    check_shape(
        "clipped",
        &clipped.rb(),
        dy.rows(),
        dy.cols(),
        "(the shape of `dy`)",
    )?;
    let mut n_clipped = 0;
    for i in 0..x.rows() {
        let norm = (sq_norm_row(&dy, i) * (sq_norm_row(&x, i) + T::one())).sqrt();
        let f = clip_factor(norm, max_norm);
        if f < T::one() {
            n_clipped += 1;
        }
        for j in 0..dy.cols() {
            clipped.set(i, j, f * dy.get(i, j));
        }
    }
    Ok(n_clipped)
}

/// `min(1, C/‖g‖)`; 1 for a zero gradient.
pub(crate) fn clip_factor<T: Float>(norm: T, max_norm: T) -> T {
    if norm > max_norm {
        max_norm / norm
    } else {
        T::one()
    }
}

pub(crate) fn check_max_norm<T: Float>(max_norm: T) -> Result<(), ShapeError> {
    if max_norm.is_finite() && max_norm > T::zero() {
        Ok(())
    } else {
        Err(ShapeError::new(
            ErrorKind::InvalidValue,
            "max_norm",
            "a finite clipping bound > 0",
            format!("{max_norm}"),
        ))
    }
}

fn sq_norm_row<T: Float>(m: &MatRef<'_, T>, i: usize) -> T {
    (0..m.cols()).fold(T::zero(), |s, j| {
        let v = m.get(i, j);
        s + v * v
    })
}

fn check_rows<T>(x: &MatRef<'_, T>, dy: &MatRef<'_, T>) -> Result<(), ShapeError> {
    if dy.rows() != x.rows() {
        return Err(ShapeError::new(
            ErrorKind::DimensionMismatch,
            "dy",
            format!("{} rows (the batch size of `x`)", x.rows()),
            format!("{}×{}", dy.rows(), dy.cols()),
        ));
    }
    Ok(())
}

fn check_batch_len(name: &'static str, len: usize, batch: usize) -> Result<(), ShapeError> {
    if len != batch {
        return Err(ShapeError::new(
            ErrorKind::LengthMismatch,
            name,
            format!("length {batch} (the batch size)"),
            format!("length {len}"),
        ));
    }
    Ok(())
}
