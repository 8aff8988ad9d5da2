//! Gradients of dense layers, built on the outer-product and rank-k kernels.
//!
//! # Conventions
//!
//! Everything is row-major and **rows are examples**.
//!
//! | quantity | shape | meaning |
//! |---|---|---|
//! | `W` | (out, in) | weights of a [`Dense`] layer |
//! | `b` | out | bias |
//! | `X` | (batch, in) | one input example per row |
//! | `Y = X Wᵀ + 1 bᵀ` | (batch, out) | one output per row |
//! | `dY = ∂L/∂Y` | (batch, out) | the upstream gradient |
//! | `dW = dYᵀ X` | (out, in) | `Σᵢ δᵢ xᵢᵀ`: a sum of `batch` outer products |
//! | `db = Σ_rows dY` | out | `Σᵢ δᵢ` |
//! | `dX = dY W` | (batch, in) | passed on to the layer below |
//!
//! One sample is the batch of one, where `dW = δ xᵀ` is exactly [`outer`](crate::outer)`(δ, x)`.
//! The batch `dW` is one [`gemm`](crate::gemm) with A = dYᵀ (a transposed view, no copy), and the
//! bias gradient is summed while that GEMM packs dYᵀ, so `db` costs no extra pass over `dY`.
//!
//! Losses are averaged over the batch (and summed over the outputs of one example), so the
//! gradient a loss hands back already carries the `1/batch` factor, and `dW`, `db` are the
//! gradients of the mean loss.
//!
//! # The chain rule on one sample, with numbers
//!
//! A layer with 3 inputs and 2 outputs, input `x = [1, 2, 3]` and upstream gradient
//! `δ = [0.5, −1]`: `dW = δ xᵀ` (the first part of `examples/dense_gradient.rs`).
//!
//! ```
//! use outerprod::grad::Dense;
//! use outerprod::{outer, Matrix};
//! # fn main() -> Result<(), outerprod::ShapeError> {
//! let (x, delta) = ([1.0, 2.0, 3.0], [0.5, -1.0]);
//! let dw = outer(&delta, &x);
//! for i in 0..2 {
//!     for j in 0..3 {
//!         assert_eq!(dw[(i, j)], delta[i] * x[j]); // [[0.5, 1, 1.5], [−1, −2, −3]]
//!     }
//! }
//! let layer = Dense::new(Matrix::<f64>::zeros(2, 3), vec![0.0; 2])?;
//! assert_eq!(layer.backward_sample(&x, &delta)?.weights(), &dw);
//! # Ok(()) }
//! ```
//!
//! For `y = w·x + b` and the squared loss `L = (y − t)²`: `dL/dy = 2(y − t)` and
//! `dL/dw = 2(y − t)·x`, which is the outer product `δ xᵀ` with `δ = [2(y − t)]`.
//! (`examples/dense_gradient.rs` prints the same numbers and checks them by finite differences.)
//!
//! ```
//! use outerprod::grad::{mse, Dense};
//! use outerprod::{outer, Matrix};
//! # fn main() -> Result<(), outerprod::ShapeError> {
//! let (x, w, b, t) = ([1.0, 2.0, 3.0], [0.5, -1.0, 0.25], 0.1, 1.0);
//! let layer = Dense::new(Matrix::from_vec(1, 3, w.to_vec())?, vec![b])?;
//! let y = layer.forward_sample(&x)?[0];
//! assert_eq!(y, 0.5 * 1.0 - 1.0 * 2.0 + 0.25 * 3.0 + 0.1); // w·x + b = −0.65
//!
//! let (loss, dl_dy) = mse(Matrix::from_vec(1, 1, vec![y])?.view(),
//!                         Matrix::from_vec(1, 1, vec![t])?.view())?;
//! assert_eq!(loss, (y - t) * (y - t)); // (−1.65)² = 2.7225
//! let delta = dl_dy.as_slice().to_vec();
//! assert_eq!(delta, [2.0 * (y - t)]); // −3.3
//!
//! let g = layer.backward_sample(&x, &delta)?;
//! assert_eq!(g.weights().as_slice(), &[2.0 * (y - t) * x[0], 2.0 * (y - t) * x[1],
//!                                      2.0 * (y - t) * x[2]]); // −3.3, −6.6, −9.9
//! assert_eq!(g.weights(), &outer(&delta, &x)); // dW = δ xᵀ
//! assert_eq!(g.bias(), &[2.0 * (y - t)][..]);
//! # Ok(()) }
//! ```
//!
//! # Pieces
//!
//! - [`Dense`]: forward, backward (allocating, and `_into` accumulating with β = 1 for
//!   micro-batches), single-sample forms on [`outer`](crate::outer) and [`ger`](crate::ger).
//! - [`Activation`]: identity, ReLU, tanh, sigmoid and their derivatives.
//! - [`mse`] and [`softmax_cross_entropy`]: each returns the loss and its gradient.
//! - [`Optimizer`], [`Sgd`] (momentum) and [`Adam`], updating parameters in place.
//! - [`Mlp`]: dense layers with activations, `forward`, `backward`, `step`.
//! - [`per_example_norms`] and [`clip_per_example`]: DP-SGD style per-example gradient norms
//!   and clipping without materialising per-example gradients.
//! - [`check_gradients`]: central finite differences, reporting the max relative error.

mod activation;
mod check;
mod dense;
mod loss;
mod mlp;
mod norms;
mod optim;

pub use activation::Activation;
pub use check::{check_gradients, GradCheck, GradCheckReport};
pub use dense::{Accumulate, Dense, DenseBackward, DenseGrads, Init};
pub use loss::{mse, mse_into, softmax_cross_entropy, softmax_cross_entropy_into};
pub use mlp::Mlp;
pub use norms::{clip_per_example, per_example_norms, per_example_sq_norms_add};
pub use optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
