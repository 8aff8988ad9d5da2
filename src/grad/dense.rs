//! [`Dense`]: the fully connected layer `Y = X Wᵀ + 1 bᵀ`, its forward and backward passes.

use rand::Rng;
use rand_distr::StandardNormal;

use crate::error::{ErrorKind, ShapeError};
use crate::gemm::{gemm, gemm_with_a_row_sums};
use crate::ger::ger;
use crate::matrix::Matrix;
use crate::outer::try_outer;
use crate::scalar::Float;
use crate::view::{MatMut, MatRef, VecRef};

/// How a weight matrix is initialised from a random number generator. Biases start at zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Init {
    /// Glorot & Bengio (2010): `W ~ U(−a, a)` with `a = √(6 / (in + out))`, which keeps the
    /// variance of activations and gradients level through tanh, sigmoid and identity layers.
    XavierUniform,
    /// He et al. (2015): `W ~ N(0, 2 / in)`, the ReLU counterpart (ReLU zeroes half the inputs,
    /// so the variance is doubled to compensate).
    HeNormal,
}

/// Whether a backward pass overwrites the gradient buffers or adds to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Accumulate {
    /// `dW ← dYᵀX`, `db ← Σ_rows dY` (the GEMM runs with β = 0).
    Overwrite,
    /// `dW ← dW + dYᵀX`, `db ← db + Σ_rows dY` (β = 1): gradient accumulation over
    /// micro-batches.
    Add,
}

/// A fully connected layer: weights `W` (out × in, row-major) and bias `b` (length out),
/// computing `Y = X Wᵀ + 1 bᵀ` for a batch `X` of shape (batch, in). See the
/// [module conventions](crate::grad).
///
/// ```
/// use outerprod::grad::Dense;
/// use outerprod::Matrix;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])?,
///                        vec![0.5, 0.0, -0.5])?;
/// let x = Matrix::from_rows(&[[1.0, -1.0]])?;
/// let y = layer.forward(x.view())?;
/// assert_eq!(y.as_slice(), &[1.0 - 2.0 + 0.5, 3.0 - 4.0, 5.0 - 6.0 - 0.5]);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<T> {
    weights: Matrix<T>,
    bias: Vec<T>,
}

/// The parameter gradients of one [`Dense`] layer: `dW` (out × in) and `db` (length out).
///
/// This is also the caller-owned buffer that [`Dense::backward_into`] fills or accumulates into.
///
/// ```
/// use outerprod::grad::{Dense, DenseGrads};
/// use outerprod::Matrix;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let layer = Dense::new(Matrix::<f64>::zeros(2, 3), vec![0.0; 2])?;
/// let g = DenseGrads::for_layer(&layer);
/// assert_eq!((g.weights().shape(), g.bias().len()), ((2, 3), 2));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DenseGrads<T> {
    weights: Matrix<T>,
    bias: Vec<T>,
}

/// Everything a backward pass of a [`Dense`] layer returns: `dW`, `db` and `dX`.
///
/// ```
/// use outerprod::grad::Dense;
/// use outerprod::Matrix;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let layer = Dense::new(Matrix::from_rows(&[[2.0, 3.0]])?, vec![0.0])?;
/// let x = Matrix::from_rows(&[[1.0, 4.0]])?;
/// let dy = Matrix::from_rows(&[[0.5]])?;
/// let g = layer.backward(x.view(), dy.view())?;
/// assert_eq!(g.weights().as_slice(), &[0.5 * 1.0, 0.5 * 4.0]); // δ xᵀ
/// assert_eq!(g.bias(), &[0.5]);
/// assert_eq!(g.input().as_slice(), &[0.5 * 2.0, 0.5 * 3.0]); // δ W
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DenseBackward<T> {
    params: DenseGrads<T>,
    input: Matrix<T>,
}

impl<T: Float> Dense<T> {
    /// A layer with the given weights (out × in) and bias (length out).
    ///
    /// # Errors
    /// `LengthMismatch` naming `bias` when `bias.len() != weights.rows()`.
    ///
    /// ```
    /// use outerprod::grad::Dense;
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0f32, 2.0, 3.0]])?, vec![0.0])?;
    /// assert_eq!((layer.inputs(), layer.outputs()), (3, 1));
    /// assert!(Dense::new(Matrix::from_rows(&[[1.0f32, 2.0]])?, vec![0.0; 2]).is_err());
    /// # Ok(()) }
    /// ```
    pub fn new(weights: Matrix<T>, bias: Vec<T>) -> Result<Self, ShapeError> {
        if bias.len() != weights.rows() {
            return Err(ShapeError::new(
                ErrorKind::LengthMismatch,
                "bias",
                format!("length {} (the rows of `weights`, out)", weights.rows()),
                format!("length {}", bias.len()),
            ));
        }
        Ok(Dense { weights, bias })
    }

    /// A layer with `inputs` inputs and `outputs` outputs, weights drawn by `init` from `rng`
    /// and zero bias. Seed the generator (for example `rand_chacha::ChaCha8Rng::seed_from_u64`)
    /// for reproducible weights.
    ///
    /// # Errors
    /// `Overflow` or `Allocation` when the out × in weight matrix cannot exist.
    ///
    /// ```
    /// use outerprod::grad::{Dense, Init};
    /// use rand::SeedableRng;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    /// let layer = Dense::<f64>::init(30, 20, Init::XavierUniform, &mut rng)?;
    /// let a = (6.0f64 / (30.0 + 20.0)).sqrt();
    /// assert!(layer.weights().as_slice().iter().all(|w| w.abs() <= a));
    /// assert!(layer.bias().iter().all(|&b| b == 0.0));
    /// # Ok(()) }
    /// ```
    pub fn init<R: Rng + ?Sized>(
        inputs: usize,
        outputs: usize,
        init: Init,
        rng: &mut R,
    ) -> Result<Self, ShapeError> {
        let mut weights = Matrix::try_zeros(outputs, inputs)?;
        let fan_in = inputs as f64;
        let fan_out = outputs as f64;
        match init {
            Init::XavierUniform => {
                let a = (6.0 / (fan_in + fan_out)).sqrt();
                for w in weights.as_mut_slice() {
                    *w = from_f64(rng.random_range(-a..=a));
                }
            }
            Init::HeNormal => {
                let std = (2.0 / fan_in).sqrt();
                for w in weights.as_mut_slice() {
                    let z: f64 = rng.sample(StandardNormal);
                    *w = from_f64(std * z);
                }
            }
        }
        Ok(Dense {
            weights,
            bias: vec![T::zero(); outputs],
        })
    }

    /// Number of inputs (the columns of `W`).
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let mut layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?, vec![0.5, -0.5])?;
    /// assert_eq!(layer.inputs(), 3);
    /// # Ok(()) }
    /// ```
    pub fn inputs(&self) -> usize {
        self.weights.cols()
    }

    /// Number of outputs (the rows of `W`, the length of `b`).
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let mut layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?, vec![0.5, -0.5])?;
    /// assert_eq!(layer.outputs(), 2);
    /// # Ok(()) }
    /// ```
    pub fn outputs(&self) -> usize {
        self.weights.rows()
    }

    /// The weights `W`, out × in.
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let mut layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?, vec![0.5, -0.5])?;
    /// assert_eq!(layer.weights()[(1, 2)], 6.0);
    /// # Ok(()) }
    /// ```
    pub fn weights(&self) -> &Matrix<T> {
        &self.weights
    }

    /// The bias `b`.
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let mut layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?, vec![0.5, -0.5])?;
    /// assert_eq!(layer.bias(), &[0.5, -0.5]);
    /// # Ok(()) }
    /// ```
    pub fn bias(&self) -> &[T] {
        &self.bias
    }

    /// The weights as a mutable row-major slice (the shape cannot change).
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let mut layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?, vec![0.5, -0.5])?;
    /// layer.weights_mut()[5] = 9.0; // row-major: (1, 2)
    /// assert_eq!(layer.weights()[(1, 2)], 9.0);
    /// # Ok(()) }
    /// ```
    pub fn weights_mut(&mut self) -> &mut [T] {
        self.weights.as_mut_slice()
    }

    /// The bias, mutably.
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let mut layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?, vec![0.5, -0.5])?;
    /// layer.bias_mut()[1] = 0.0;
    /// assert_eq!(layer.bias(), &[0.5, 0.0]);
    /// # Ok(()) }
    /// ```
    pub fn bias_mut(&mut self) -> &mut [T] {
        &mut self.bias
    }

    /// The weights and the bias, mutably at once (for an optimizer step).
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let mut layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?, vec![0.5, -0.5])?;
    /// let (w, b) = layer.params_mut();
    /// w[0] -= 0.5;
    /// b[0] -= 0.5;
    /// assert_eq!((layer.weights()[(0, 0)], layer.bias()[0]), (0.5, 0.0));
    /// # Ok(()) }
    /// ```
    pub fn params_mut(&mut self) -> (&mut [T], &mut [T]) {
        (self.weights.as_mut_slice(), &mut self.bias)
    }

    /// `Y = X Wᵀ + 1 bᵀ` for a batch `X` of shape (batch, in), any strides.
    ///
    /// # Errors
    /// `DimensionMismatch` naming `x` when `x.cols() != in`.
    ///
    /// ```
    /// use outerprod::grad::Dense;
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 1.0]])?, vec![10.0])?;
    /// let x = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?;
    /// assert_eq!(layer.forward(x.view())?.as_slice(), &[1.0 + 2.0 + 10.0, 3.0 + 4.0 + 10.0]);
    /// # Ok(()) }
    /// ```
    pub fn forward(&self, x: MatRef<'_, T>) -> Result<Matrix<T>, ShapeError> {
        self.check_x(&x)?;
        let mut y = Matrix::try_zeros(x.rows(), self.outputs())?;
        self.forward_into(x, y.view_mut())?;
        Ok(y)
    }

    /// [`forward`](Self::forward) into a caller-owned (batch, out) view `y`, which is
    /// overwritten.
    ///
    /// # Errors
    /// `DimensionMismatch` naming `x` when `x.cols() != in`, or naming `y` when `y` is not
    /// (batch, out).
    ///
    /// ```
    /// use outerprod::grad::Dense;
    /// use outerprod::{MatMut, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[2.0], [3.0]])?, vec![1.0, -1.0])?;
    /// let x = Matrix::from_rows(&[[5.0]])?;
    /// let mut y = [f64::NAN; 2];
    /// layer.forward_into(x.view(), MatMut::row_major(&mut y, 1, 2)?)?;
    /// assert_eq!(y, [2.0 * 5.0 + 1.0, 3.0 * 5.0 - 1.0]);
    /// # Ok(()) }
    /// ```
    pub fn forward_into(&self, x: MatRef<'_, T>, mut y: MatMut<'_, T>) -> Result<(), ShapeError> {
        self.check_x(&x)?;
        check_shape("y", &y.rb(), x.rows(), self.outputs(), "(batch, out)")?;
        // Broadcast b into every row, then let the GEMM add X Wᵀ on top (β = 1).
        let out = self.outputs();
        if let Some(rows) = y.as_row_major_slice_mut() {
            rows.chunks_exact_mut(out.max(1))
                .for_each(|row| row.copy_from_slice(&self.bias));
        } else {
            for i in 0..y.rows() {
                for (j, &b) in self.bias.iter().enumerate() {
                    y.set(i, j, b);
                }
            }
        }
        gemm(T::one(), x, self.weights.transpose(), T::one(), y)
    }

    /// `y = W x + b` for one example `x` (length in); the batch of one.
    ///
    /// # Errors
    /// `LengthMismatch` naming `x` when `x.len() != in`.
    ///
    /// ```
    /// use outerprod::grad::Dense;
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0], [0.0, -1.0]])?, vec![0.5, 0.5])?;
    /// assert_eq!(layer.forward_sample(&[3.0, 4.0])?, vec![3.0 + 8.0 + 0.5, -4.0 + 0.5]);
    /// # Ok(()) }
    /// ```
    pub fn forward_sample(&self, x: &[T]) -> Result<Vec<T>, ShapeError> {
        self.check_sample_len("x", x.len(), self.inputs(), "in")?;
        let mut y = self.bias.clone();
        let xr = MatRef::row_major(x, 1, x.len())?;
        let yr = MatMut::row_major(&mut y, 1, self.outputs())?;
        gemm(T::one(), xr, self.weights.transpose(), T::one(), yr)?;
        Ok(y)
    }

    /// The gradients of a batch: `dW = dYᵀX`, `db = Σ_rows dY`, `dX = dY W`, for `x` of shape
    /// (batch, in) and `dy = ∂L/∂Y` of shape (batch, out).
    ///
    /// # Errors
    /// `DimensionMismatch` naming `x` or `dy` on a shape mismatch.
    ///
    /// ```
    /// use outerprod::grad::Dense;
    /// use outerprod::{outer, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]])?,
    ///                        vec![0.0; 2])?;
    /// let x = Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?;
    /// let dy = Matrix::from_rows(&[[1.0, -1.0], [0.5, 2.0]])?;
    /// let g = layer.backward(x.view(), dy.view())?;
    /// // dW = δ₀x₀ᵀ + δ₁x₁ᵀ, a sum of outer products
    /// let mut want = outer(dy.row(0), x.row(0));
    /// for (w, v) in want.as_mut_slice().iter_mut().zip(outer(dy.row(1), x.row(1)).as_slice()) {
    ///     *w += v;
    /// }
    /// assert_eq!(g.weights(), &want);
    /// assert_eq!(g.bias(), &[1.0 + 0.5, -1.0 + 2.0]);
    /// assert_eq!(g.input().row(1), &[0.5 * 1.0, 2.0, 0.5 * 2.0]); // δ₁ᵀ W
    /// # Ok(()) }
    /// ```
    pub fn backward(
        &self,
        x: MatRef<'_, T>,
        dy: MatRef<'_, T>,
    ) -> Result<DenseBackward<T>, ShapeError> {
        self.check_x(&x)?;
        self.check_dy(&x, &dy)?;
        let mut params = DenseGrads::try_for_layer(self)?;
        let mut input = Matrix::try_zeros(x.rows(), self.inputs())?;
        self.backward_into(
            x,
            dy,
            &mut params,
            Accumulate::Overwrite,
            Some(input.view_mut()),
        )?;
        Ok(DenseBackward { params, input })
    }

    /// The backward pass into caller-owned buffers: `dW` and `db` go into `grads`
    /// (overwritten or accumulated, as `accumulate` says), and `dX = dY W` into `dx` when it is
    /// given (the first layer of a network does not need it, and skipping it saves a GEMM).
    ///
    /// `dW` is one GEMM with A = dYᵀ (a transposed view of `dy`), and `db` is summed while that
    /// GEMM packs dYᵀ, so the bias gradient costs no separate pass over `dy`.
    ///
    /// # Errors
    /// `DimensionMismatch` naming `x`, `dy`, `grads` or `dx` on a shape mismatch; nothing is
    /// written then.
    ///
    /// ```
    /// use outerprod::grad::{Accumulate, Dense, DenseGrads};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 1.0]])?, vec![0.0])?;
    /// let x = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?;
    /// let dy = Matrix::from_rows(&[[1.0], [-1.0]])?;
    /// let mut g = DenseGrads::for_layer(&layer);
    /// // Two micro-batches of one row each accumulate to the full-batch gradient.
    /// for i in 0..2 {
    ///     let xi = x.view().submatrix(i, 0, 1, 2)?;
    ///     let dyi = dy.view().submatrix(i, 0, 1, 1)?;
    ///     layer.backward_into(xi, dyi, &mut g, Accumulate::Add, None)?;
    /// }
    /// let full = layer.backward(x.view(), dy.view())?;
    /// assert_eq!(g.weights(), full.weights()); // [1 − 3, 2 − 4]
    /// assert_eq!(g.bias(), &[1.0 - 1.0]);
    /// # Ok(()) }
    /// ```
    pub fn backward_into(
        &self,
        x: MatRef<'_, T>,
        dy: MatRef<'_, T>,
        grads: &mut DenseGrads<T>,
        accumulate: Accumulate,
        dx: Option<MatMut<'_, T>>,
    ) -> Result<(), ShapeError> {
        self.check_x(&x)?;
        self.check_dy(&x, &dy)?;
        self.check_grads(grads)?;
        if let Some(dx) = &dx {
            check_shape("dx", &dx.rb(), x.rows(), self.inputs(), "(batch, in)")?;
        }
        let beta = match accumulate {
            Accumulate::Overwrite => {
                grads.bias.fill(T::zero());
                T::zero()
            }
            Accumulate::Add => T::one(),
        };
        gemm_with_a_row_sums(
            T::one(),
            dy.transpose(),
            x,
            beta,
            grads.weights.view_mut(),
            &mut grads.bias,
        )?;
        if let Some(dx) = dx {
            gemm(T::one(), dy, self.weights.view(), T::zero(), dx)?;
        }
        Ok(())
    }

    /// The gradients of one example: `dW = δ xᵀ` computed by [`outer`](crate::outer),
    /// `db = δ`, and `dx = Wᵀ δ` (stored as a 1 × in matrix).
    ///
    /// # Errors
    /// `LengthMismatch` naming `x` (length in) or `delta` (length out).
    ///
    /// ```
    /// use outerprod::grad::Dense;
    /// use outerprod::{outer, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?, vec![0.0; 2])?;
    /// let (x, delta) = ([5.0, 6.0], [1.0, -2.0]);
    /// let g = layer.backward_sample(&x, &delta)?;
    /// assert_eq!(g.weights(), &outer(&delta, &x));
    /// assert_eq!(g.bias(), &delta);
    /// assert_eq!(g.input().as_slice(), &[1.0 * 1.0 - 2.0 * 3.0, 1.0 * 2.0 - 2.0 * 4.0]);
    /// # Ok(()) }
    /// ```
    pub fn backward_sample(&self, x: &[T], delta: &[T]) -> Result<DenseBackward<T>, ShapeError> {
        self.check_sample_len("x", x.len(), self.inputs(), "in")?;
        self.check_sample_len("delta", delta.len(), self.outputs(), "out")?;
        let weights = try_outer(delta, x)?;
        let mut input = Matrix::try_zeros(1, self.inputs())?;
        self.sample_input_grad(delta, input.as_mut_slice())?;
        Ok(DenseBackward {
            params: DenseGrads {
                weights,
                bias: delta.to_vec(),
            },
            input,
        })
    }

    /// Adds the gradients of one example to `grads` with a rank-1 update
    /// ([`ger`](crate::ger): `dW ← dW + δ xᵀ`) and `db ← db + δ`; writes `dx = Wᵀ δ` into `dx`
    /// when it is given.
    ///
    /// # Errors
    /// `LengthMismatch` naming `x`, `delta` or `dx`; `DimensionMismatch` naming `grads`.
    ///
    /// ```
    /// use outerprod::grad::{Dense, DenseGrads};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::<f64>::zeros(1, 2), vec![0.0])?;
    /// let mut g = DenseGrads::for_layer(&layer);
    /// layer.backward_sample_into(&[1.0, 2.0], &[3.0], &mut g, None)?;
    /// layer.backward_sample_into(&[4.0, 5.0], &[-1.0], &mut g, None)?;
    /// assert_eq!(g.weights().as_slice(), &[3.0 * 1.0 - 4.0, 3.0 * 2.0 - 5.0]);
    /// assert_eq!(g.bias(), &[3.0 - 1.0]);
    /// # Ok(()) }
    /// ```
    pub fn backward_sample_into(
        &self,
        x: &[T],
        delta: &[T],
        grads: &mut DenseGrads<T>,
        dx: Option<&mut [T]>,
    ) -> Result<(), ShapeError> {
        self.check_sample_len("x", x.len(), self.inputs(), "in")?;
        self.check_sample_len("delta", delta.len(), self.outputs(), "out")?;
        self.check_grads(grads)?;
        if let Some(dx) = &dx {
            self.check_sample_len("dx", dx.len(), self.inputs(), "in")?;
        }
        ger(
            T::one(),
            VecRef::from(delta),
            VecRef::from(x),
            grads.weights.view_mut(),
        )?;
        for (g, &d) in grads.bias.iter_mut().zip(delta) {
            *g = *g + d;
        }
        if let Some(dx) = dx {
            self.sample_input_grad(delta, dx)?;
        }
        Ok(())
    }

    /// `dX = dY W` alone (the part of the backward pass a network needs before its parameter
    /// gradients, e.g. to clip per example). Shapes are the caller's invariant.
    pub(crate) fn input_grad_into(
        &self,
        dy: MatRef<'_, T>,
        dx: MatMut<'_, T>,
    ) -> Result<(), ShapeError> {
        gemm(T::one(), dy, self.weights.view(), T::zero(), dx)
    }

    /// `dx = Wᵀ δ`, as the 1 × out by out × in product `δᵀ W`.
    fn sample_input_grad(&self, delta: &[T], dx: &mut [T]) -> Result<(), ShapeError> {
        let d = MatRef::row_major(delta, 1, delta.len())?;
        let out = MatMut::row_major(dx, 1, self.inputs())?;
        gemm(T::one(), d, self.weights.view(), T::zero(), out)
    }

    fn check_x(&self, x: &MatRef<'_, T>) -> Result<(), ShapeError> {
        if x.cols() != self.inputs() {
            return Err(ShapeError::new(
                ErrorKind::DimensionMismatch,
                "x",
                format!("(batch, {}) (the layer's inputs)", self.inputs()),
                format!("{}×{}", x.rows(), x.cols()),
            ));
        }
        Ok(())
    }

    fn check_dy(&self, x: &MatRef<'_, T>, dy: &MatRef<'_, T>) -> Result<(), ShapeError> {
        check_shape("dy", dy, x.rows(), self.outputs(), "(batch, out)")
    }

    fn check_grads(&self, grads: &DenseGrads<T>) -> Result<(), ShapeError> {
        if grads.weights.shape() != self.weights.shape() || grads.bias.len() != self.bias.len() {
            return Err(ShapeError::new(
                ErrorKind::DimensionMismatch,
                "grads",
                format!(
                    "dW {}×{} and db of length {} (the layer's shapes)",
                    self.outputs(),
                    self.inputs(),
                    self.outputs()
                ),
                format!(
                    "dW {}×{} and db of length {}",
                    grads.weights.rows(),
                    grads.weights.cols(),
                    grads.bias.len()
                ),
            ));
        }
        Ok(())
    }

    fn check_sample_len(
        &self,
        name: &'static str,
        len: usize,
        want: usize,
        what: &str,
    ) -> Result<(), ShapeError> {
        if len != want {
            return Err(ShapeError::new(
                ErrorKind::LengthMismatch,
                name,
                format!("length {want} (the layer's {what})"),
                format!("length {len}"),
            ));
        }
        Ok(())
    }
}

impl<T: Float> DenseGrads<T> {
    /// Zero gradients shaped like `layer`'s parameters.
    ///
    /// # Panics
    /// Only when the allocation fails (the layer already holds a buffer of the same size).
    ///
    /// ```
    /// use outerprod::{grad::{Dense, DenseGrads}, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?, vec![0.5, -0.5])?;
    /// let g = DenseGrads::for_layer(&layer);
    /// assert_eq!(g.weights().shape(), (2, 3));
    /// assert!(g.bias().iter().all(|&v| v == 0.0));
    /// # Ok(()) }
    /// ```
    pub fn for_layer(layer: &Dense<T>) -> Self {
        DenseGrads {
            weights: Matrix::zeros(layer.outputs(), layer.inputs()),
            bias: vec![T::zero(); layer.outputs()],
        }
    }

    fn try_for_layer(layer: &Dense<T>) -> Result<Self, ShapeError> {
        Ok(DenseGrads {
            weights: Matrix::try_zeros(layer.outputs(), layer.inputs())?,
            bias: vec![T::zero(); layer.outputs()],
        })
    }

    /// Sets every gradient to zero (before accumulating a new batch with [`Accumulate::Add`]).
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?, vec![0.0, 0.0])?;
    /// let (x, dy) = (Matrix::from_rows(&[[1.0, -1.0]])?, Matrix::from_rows(&[[0.5, 2.0]])?);
    /// let g = layer.backward(x.view(), dy.view())?;
    /// let (mut params, _) = g.into_parts();
    /// params.zero();
    /// assert!(params.weights().as_slice().iter().chain(params.bias()).all(|&v| v == 0.0));
    /// # Ok(()) }
    /// ```
    pub fn zero(&mut self) {
        self.weights.as_mut_slice().fill(T::zero());
        self.bias.fill(T::zero());
    }

    /// Multiplies every gradient by `s` (for example `1/n` after accumulating n micro-batches).
    ///
    /// ```
    /// use outerprod::grad::{Accumulate, Dense, DenseGrads};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0]])?, vec![0.0])?;
    /// let (x, dy) = (Matrix::from_rows(&[[2.0]])?, Matrix::from_rows(&[[3.0]])?);
    /// let mut g = DenseGrads::for_layer(&layer);
    /// for _ in 0..4 {
    ///     layer.backward_into(x.view(), dy.view(), &mut g, Accumulate::Add, None)?;
    /// }
    /// g.scale(0.25); // the mean over 4 micro-batches
    /// assert_eq!((g.weights()[(0, 0)], g.bias()[0]), (3.0 * 2.0, 3.0));
    /// g.zero();
    /// assert_eq!((g.weights()[(0, 0)], g.bias()[0]), (0.0, 0.0));
    /// # Ok(()) }
    /// ```
    pub fn scale(&mut self, s: T) {
        for g in self.weights.as_mut_slice().iter_mut().chain(&mut self.bias) {
            *g = *g * s;
        }
    }
}

impl<T> DenseGrads<T> {
    /// `dW`, out × in.
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?, vec![0.0, 0.0])?;
    /// let (x, dy) = (Matrix::from_rows(&[[1.0, -1.0]])?, Matrix::from_rows(&[[0.5, 2.0]])?);
    /// let g = layer.backward(x.view(), dy.view())?;
    /// let (params, _) = g.into_parts();
    /// // dW = dYᵀX: the outer product of dy and x for one sample
    /// assert_eq!(params.weights().as_slice(), &[0.5 * 1.0, 0.5 * -1.0, 2.0 * 1.0, 2.0 * -1.0]);
    /// # Ok(()) }
    /// ```
    pub fn weights(&self) -> &Matrix<T> {
        &self.weights
    }

    /// `db`, length out.
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?, vec![0.0, 0.0])?;
    /// let (x, dy) = (Matrix::from_rows(&[[1.0, -1.0]])?, Matrix::from_rows(&[[0.5, 2.0]])?);
    /// let g = layer.backward(x.view(), dy.view())?;
    /// let (params, _) = g.into_parts();
    /// assert_eq!(params.bias(), &[0.5, 2.0]); // db = Σ_rows dY
    /// # Ok(()) }
    /// ```
    pub fn bias(&self) -> &[T] {
        &self.bias
    }

    /// `(dW, db)`.
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?, vec![0.0, 0.0])?;
    /// let (x, dy) = (Matrix::from_rows(&[[1.0, -1.0]])?, Matrix::from_rows(&[[0.5, 2.0]])?);
    /// let g = layer.backward(x.view(), dy.view())?;
    /// let (params, _) = g.into_parts();
    /// let (dw, db) = params.into_parts();
    /// assert_eq!((dw.shape(), db.len()), ((2, 2), 2));
    /// # Ok(()) }
    /// ```
    pub fn into_parts(self) -> (Matrix<T>, Vec<T>) {
        (self.weights, self.bias)
    }
}

impl<T> DenseBackward<T> {
    /// `dW = dYᵀ X`, out × in.
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?, vec![0.0, 0.0])?;
    /// let (x, dy) = (Matrix::from_rows(&[[1.0, -1.0]])?, Matrix::from_rows(&[[0.5, 2.0]])?);
    /// let g = layer.backward(x.view(), dy.view())?;
    /// assert_eq!(g.weights().as_slice(), &[0.5 * 1.0, 0.5 * -1.0, 2.0 * 1.0, 2.0 * -1.0]); // dYᵀX
    /// # Ok(()) }
    /// ```
    pub fn weights(&self) -> &Matrix<T> {
        &self.params.weights
    }

    /// `db = Σ_rows dY`.
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?, vec![0.0, 0.0])?;
    /// let (x, dy) = (Matrix::from_rows(&[[1.0, -1.0]])?, Matrix::from_rows(&[[0.5, 2.0]])?);
    /// let g = layer.backward(x.view(), dy.view())?;
    /// assert_eq!(g.bias(), &[0.5, 2.0]); // Σ_rows dY
    /// # Ok(()) }
    /// ```
    pub fn bias(&self) -> &[T] {
        &self.params.bias
    }

    /// `dX = dY W`, (batch, in).
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?, vec![0.0, 0.0])?;
    /// let (x, dy) = (Matrix::from_rows(&[[1.0, -1.0]])?, Matrix::from_rows(&[[0.5, 2.0]])?);
    /// let g = layer.backward(x.view(), dy.view())?;
    /// // dX = dY W = [0.5·1 + 2·3, 0.5·2 + 2·4]
    /// assert_eq!(g.input().as_slice(), &[0.5 * 1.0 + 2.0 * 3.0, 0.5 * 2.0 + 2.0 * 4.0]);
    /// # Ok(()) }
    /// ```
    pub fn input(&self) -> &Matrix<T> {
        &self.input
    }

    /// The parameter gradients and `dX`.
    ///
    /// ```
    /// use outerprod::{grad::Dense, Matrix};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?, vec![0.0, 0.0])?;
    /// let (x, dy) = (Matrix::from_rows(&[[1.0, -1.0]])?, Matrix::from_rows(&[[0.5, 2.0]])?);
    /// let g = layer.backward(x.view(), dy.view())?;
    /// let (params, dx) = g.into_parts();
    /// assert_eq!((params.bias(), dx.shape()), (&[0.5, 2.0][..], (1, 2)));
    /// # Ok(()) }
    /// ```
    pub fn into_parts(self) -> (DenseGrads<T>, Matrix<T>) {
        (self.params, self.input)
    }
}

fn from_f64<T: Float>(v: f64) -> T {
    T::from_f64(v).unwrap_or_else(T::nan)
}

/// `Ok` when `m` is `rows × cols`; otherwise a `DimensionMismatch` naming `name`.
pub(crate) fn check_shape<T>(
    name: &'static str,
    m: &MatRef<'_, T>,
    rows: usize,
    cols: usize,
    what: &str,
) -> Result<(), ShapeError> {
    if m.shape() != (rows, cols) {
        return Err(ShapeError::new(
            ErrorKind::DimensionMismatch,
            name,
            format!("{rows}×{cols} {what}"),
            format!("{}×{}", m.rows(), m.cols()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;
    use rand::SeedableRng;

    fn random(rows: usize, cols: usize, seed: u64) -> Matrix<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        Matrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
    }

    #[test]
    fn forward_matches_reference_gemm_plus_bias() {
        for (batch, inp, out) in [(0, 3, 2), (1, 1, 1), (5, 7, 3), (17, 9, 13)] {
            let w = random(out, inp, 1);
            let b: Vec<f64> = (0..out).map(|j| j as f64 - 1.5).collect();
            let x = random(batch, inp, 2);
            let layer = Dense::new(w.clone(), b.clone()).unwrap();
            let y = layer.forward(x.view()).unwrap();
            let mut want = Matrix::from_fn(batch, out, |_, j| b[j]);
            reference::gemm(1.0, x.view(), w.transpose(), 1.0, want.view_mut());
            for (a, e) in y.as_slice().iter().zip(want.as_slice()) {
                assert!((a - e).abs() <= 1e-12 * (1.0 + e.abs()));
            }
        }
    }

    #[test]
    fn backward_matches_sum_of_materialised_outer_products() {
        let (batch, inp, out) = (6, 5, 4);
        let layer = Dense::new(random(out, inp, 3), vec![0.0; out]).unwrap();
        let x = random(batch, inp, 4);
        let dy = random(batch, out, 5);
        let g = layer.backward(x.view(), dy.view()).unwrap();
        let mut dw = Matrix::<f64>::zeros(out, inp);
        let mut db = vec![0.0; out];
        for i in 0..batch {
            let gi = reference::outer(dy.row(i), x.row(i));
            for (a, v) in dw.as_mut_slice().iter_mut().zip(gi.as_slice()) {
                *a += v;
            }
            for (a, v) in db.iter_mut().zip(dy.row(i)) {
                *a += v;
            }
        }
        let mut dx = Matrix::<f64>::zeros(batch, inp);
        reference::gemm(1.0, dy.view(), layer.weights().view(), 0.0, dx.view_mut());
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(p, q)| (p - q).abs() < 1e-12);
        assert!(close(g.weights().as_slice(), dw.as_slice()));
        assert!(close(g.bias(), &db));
        assert!(close(g.input().as_slice(), dx.as_slice()));
    }

    #[test]
    fn overwrite_ignores_nan_in_buffers_and_add_accumulates() {
        let layer = Dense::new(random(3, 2, 6), vec![0.0; 3]).unwrap();
        let x = random(4, 2, 7);
        let dy = random(4, 3, 8);
        let mut g = DenseGrads::for_layer(&layer);
        g.weights.as_mut_slice().fill(f64::NAN);
        g.bias.fill(f64::NAN);
        layer
            .backward_into(x.view(), dy.view(), &mut g, Accumulate::Overwrite, None)
            .unwrap();
        let once = g.clone();
        assert!(once.weights.as_slice().iter().all(|v| v.is_finite()));
        layer
            .backward_into(x.view(), dy.view(), &mut g, Accumulate::Add, None)
            .unwrap();
        for (a, b) in g.weights.as_slice().iter().zip(once.weights.as_slice()) {
            assert_eq!(*a, 2.0 * b);
        }
        for (a, b) in g.bias.iter().zip(&once.bias) {
            assert_eq!(*a, 2.0 * b);
        }
    }

    #[test]
    fn shape_errors_name_the_argument() {
        let layer = Dense::new(Matrix::<f64>::zeros(3, 2), vec![0.0; 3]).unwrap();
        let x = Matrix::<f64>::zeros(4, 2);
        let bad_x = Matrix::<f64>::zeros(4, 3);
        let dy = Matrix::<f64>::zeros(4, 3);
        let bad_dy = Matrix::<f64>::zeros(5, 3);
        assert_eq!(layer.forward(bad_x.view()).unwrap_err().argument(), "x");
        assert_eq!(
            layer
                .backward(x.view(), bad_dy.view())
                .unwrap_err()
                .argument(),
            "dy"
        );
        let mut small =
            DenseGrads::for_layer(&Dense::new(Matrix::zeros(2, 2), vec![0.0; 2]).unwrap());
        let e = layer
            .backward_into(x.view(), dy.view(), &mut small, Accumulate::Add, None)
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::DimensionMismatch, "grads")
        );
        let mut dx = Matrix::<f64>::zeros(4, 3);
        let mut g = DenseGrads::for_layer(&layer);
        let e = layer
            .backward_into(
                x.view(),
                dy.view(),
                &mut g,
                Accumulate::Add,
                Some(dx.view_mut()),
            )
            .unwrap_err();
        assert_eq!(e.argument(), "dx");
        assert_eq!(
            layer
                .backward_sample(&[1.0], &[0.0; 3])
                .unwrap_err()
                .argument(),
            "x"
        );
        assert_eq!(
            layer
                .backward_sample(&[1.0; 2], &[0.0; 2])
                .unwrap_err()
                .argument(),
            "delta"
        );
    }

    #[test]
    fn he_init_has_the_documented_variance() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let layer = Dense::<f64>::init(200, 300, Init::HeNormal, &mut rng).unwrap();
        let w = layer.weights().as_slice();
        let var = w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64;
        // 60 000 draws: the sample variance is within a few percent of 2/200.
        assert!((var / (2.0 / 200.0) - 1.0).abs() < 0.05, "{var}");
    }
}
