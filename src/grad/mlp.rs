//! [`Mlp`]: a stack of dense layers and activations with `forward`, `backward` and `step`.

use rand::Rng;

use crate::error::{ErrorKind, ShapeError};
use crate::grad::activation::Activation;
use crate::grad::dense::{check_shape, Accumulate, Dense, DenseGrads, Init};
use crate::grad::norms::{check_max_norm, clip_factor, per_example_sq_norms_add};
use crate::grad::optim::Optimizer;
use crate::matrix::Matrix;
use crate::scalar::Float;
use crate::view::{MatMut, MatRef};

/// A multilayer perceptron: layer l computes `aₗ = fₗ(aₗ₋₁ Wₗᵀ + 1 bₗᵀ)` with `a₀ = X`.
///
/// [`forward`](Self::forward) keeps the activations of the batch for
/// [`backward`](Self::backward), which fills the gradients that [`step`](Self::step) hands to an
/// [`Optimizer`]. All buffers are reused from batch to batch.
///
/// ```
/// use outerprod::grad::{softmax_cross_entropy, Accumulate, Activation, Adam, AdamConfig, Mlp};
/// use outerprod::Matrix;
/// use rand::SeedableRng;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let mut net = Mlp::<f64>::init(&[2, 8, 2], Activation::Tanh, Activation::Identity, &mut rng)?;
/// let x = Matrix::from_rows(&[[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])?;
/// let y = [0, 1, 1, 0]; // XOR
/// let mut opt = Adam::new(AdamConfig { learning_rate: 0.05, ..Default::default() })?;
/// let mut first = None;
/// let mut loss = 0.0;
/// for _ in 0..200 {
///     let logits = net.forward(x.view())?;
///     let (l, grad) = softmax_cross_entropy(logits, &y)?;
///     first.get_or_insert(l);
///     loss = l;
///     net.backward(grad.view(), Accumulate::Overwrite)?;
///     net.step(&mut opt)?;
/// }
/// assert!(loss < 0.1 * first.unwrap());
/// let out = net.predict(x.view())?;
/// for (i, &label) in y.iter().enumerate() {
///     assert!(out[(i, label)] > out[(i, 1 - label)]); // XOR learned
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp<T> {
    layers: Vec<Dense<T>>,
    activations: Vec<Activation>,
    grads: Vec<DenseGrads<T>>,
    cache: Cache<T>,
}

/// Per-batch buffers: the input, pre-activations zₗ, activations aₗ and the deltas ∂L/∂zₗ.
#[derive(Clone, Debug, PartialEq)]
struct Cache<T> {
    batch: Option<usize>,
    input: Vec<T>,
    pre: Vec<Vec<T>>,
    post: Vec<Vec<T>>,
    delta: Vec<Vec<T>>,
}

impl<T: Float> Mlp<T> {
    /// A network from its layers and the activation after each.
    ///
    /// # Errors
    /// `InvalidValue` naming `layers` when there are none; `LengthMismatch` naming
    /// `activations` when there is not one per layer; `DimensionMismatch` naming `layers` when
    /// a layer's inputs differ from the previous layer's outputs.
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let l1 = Dense::new(Matrix::from_rows(&[[1.0, -1.0]])?, vec![0.0])?;
    /// let l2 = Dense::new(Matrix::from_rows(&[[2.0]])?, vec![1.0])?;
    /// let net = Mlp::new(vec![l1, l2], vec![Activation::Relu, Activation::Identity])?;
    /// let x = Matrix::from_rows(&[[3.0, 1.0], [1.0, 3.0]])?;
    /// assert_eq!(net.predict(x.view())?.as_slice(), &[2.0 * (3.0 - 1.0) + 1.0, 1.0]);
    /// # Ok(()) }
    /// ```
    pub fn new(layers: Vec<Dense<T>>, activations: Vec<Activation>) -> Result<Self, ShapeError> {
        if layers.is_empty() {
            return Err(ShapeError::new(
                ErrorKind::InvalidValue,
                "layers",
                "at least one layer",
                "none",
            ));
        }
        if activations.len() != layers.len() {
            return Err(ShapeError::new(
                ErrorKind::LengthMismatch,
                "activations",
                format!("length {} (one per layer)", layers.len()),
                format!("length {}", activations.len()),
            ));
        }
        for (l, pair) in layers.windows(2).enumerate() {
            if pair[1].inputs() != pair[0].outputs() {
                return Err(ShapeError::new(
                    ErrorKind::DimensionMismatch,
                    "layers",
                    format!(
                        "layer {} with {} inputs (the outputs of layer {l})",
                        l + 1,
                        pair[0].outputs()
                    ),
                    format!("{} inputs", pair[1].inputs()),
                ));
            }
        }
        let n = layers.len();
        Ok(Mlp {
            grads: layers.iter().map(DenseGrads::for_layer).collect(),
            layers,
            activations,
            cache: Cache {
                batch: None,
                input: Vec::new(),
                pre: vec![Vec::new(); n],
                post: vec![Vec::new(); n],
                delta: vec![Vec::new(); n],
            },
        })
    }

    /// A freshly initialised network with layer widths `sizes` (`[in, hidden…, out]`),
    /// activation `hidden` after every layer but the last and `output` after the last. Layers
    /// followed by ReLU get [`Init::HeNormal`], the others [`Init::XavierUniform`].
    ///
    /// # Errors
    /// `InvalidValue` naming `sizes` when it has fewer than two entries; allocation errors.
    ///
    /// ```
    /// use outerprod::grad::{Activation, Mlp};
    /// use rand::SeedableRng;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let net = Mlp::<f32>::init(&[64, 32, 10], Activation::Relu, Activation::Identity, &mut rng)?;
    /// assert_eq!(net.num_params(), 64 * 32 + 32 + 32 * 10 + 10);
    /// # Ok(()) }
    /// ```
    pub fn init<R: Rng + ?Sized>(
        sizes: &[usize],
        hidden: Activation,
        output: Activation,
        rng: &mut R,
    ) -> Result<Self, ShapeError> {
        if sizes.len() < 2 {
            return Err(ShapeError::new(
                ErrorKind::InvalidValue,
                "sizes",
                "at least two widths (inputs and outputs)",
                format!("{sizes:?}"),
            ));
        }
        let n = sizes.len() - 1;
        let activations: Vec<Activation> = (0..n)
            .map(|l| if l + 1 == n { output } else { hidden })
            .collect();
        let layers = sizes
            .windows(2)
            .zip(&activations)
            .map(|(w, &act)| {
                let init = match act {
                    Activation::Relu => Init::HeNormal,
                    _ => Init::XavierUniform,
                };
                Dense::init(w[0], w[1], init, rng)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Mlp::new(layers, activations)
    }

    /// The layers.
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let l1 = Dense::new(Matrix::from_rows(&[[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])?, vec![0.0, 0.1])?; // 3 → 2
    /// let l2 = Dense::new(Matrix::from_rows(&[[1.0, -1.0]])?, vec![0.5])?; // 2 → 1
    /// let mut net = Mlp::new(vec![l1, l2], vec![Activation::Relu, Activation::Identity])?;
    /// assert_eq!(net.layers().len(), 2);
    /// assert_eq!(net.layers()[1].bias(), &[0.5]);
    /// # Ok(()) }
    /// ```
    pub fn layers(&self) -> &[Dense<T>] {
        &self.layers
    }

    /// The activation after each layer.
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let l1 = Dense::new(Matrix::from_rows(&[[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])?, vec![0.0, 0.1])?; // 3 → 2
    /// let l2 = Dense::new(Matrix::from_rows(&[[1.0, -1.0]])?, vec![0.5])?; // 2 → 1
    /// let mut net = Mlp::new(vec![l1, l2], vec![Activation::Relu, Activation::Identity])?;
    /// assert_eq!(net.activations(), &[Activation::Relu, Activation::Identity]);
    /// # Ok(()) }
    /// ```
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// The gradients left by the last [`backward`](Self::backward), one per layer.
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let l1 = Dense::new(Matrix::from_rows(&[[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])?, vec![0.0, 0.1])?; // 3 → 2
    /// let l2 = Dense::new(Matrix::from_rows(&[[1.0, -1.0]])?, vec![0.5])?; // 2 → 1
    /// let mut net = Mlp::new(vec![l1, l2], vec![Activation::Relu, Activation::Identity])?;
    /// let x = Matrix::from_rows(&[[1.0, 2.0, 3.0]])?;
    /// net.forward(x.view())?;
    /// let dy = Matrix::from_rows(&[[1.0]])?;
    /// net.backward(dy.view(), outerprod::grad::Accumulate::Overwrite)?;
    /// // The output layer's db is Σ_rows dY.
    /// assert_eq!(net.gradients()[1].bias(), &[1.0]);
    /// # Ok(()) }
    /// ```
    pub fn gradients(&self) -> &[DenseGrads<T>] {
        &self.grads
    }

    /// Width of the input.
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let l1 = Dense::new(Matrix::from_rows(&[[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])?, vec![0.0, 0.1])?; // 3 → 2
    /// let l2 = Dense::new(Matrix::from_rows(&[[1.0, -1.0]])?, vec![0.5])?; // 2 → 1
    /// let mut net = Mlp::new(vec![l1, l2], vec![Activation::Relu, Activation::Identity])?;
    /// assert_eq!(net.inputs(), 3);
    /// # Ok(()) }
    /// ```
    pub fn inputs(&self) -> usize {
        self.layers[0].inputs()
    }

    /// Width of the output.
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let l1 = Dense::new(Matrix::from_rows(&[[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])?, vec![0.0, 0.1])?; // 3 → 2
    /// let l2 = Dense::new(Matrix::from_rows(&[[1.0, -1.0]])?, vec![0.5])?; // 2 → 1
    /// let mut net = Mlp::new(vec![l1, l2], vec![Activation::Relu, Activation::Identity])?;
    /// assert_eq!(net.outputs(), 1);
    /// # Ok(()) }
    /// ```
    pub fn outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].outputs()
    }

    /// Number of scalar parameters (all weights and biases).
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let l1 = Dense::new(Matrix::from_rows(&[[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])?, vec![0.0, 0.1])?; // 3 → 2
    /// let l2 = Dense::new(Matrix::from_rows(&[[1.0, -1.0]])?, vec![0.5])?; // 2 → 1
    /// let mut net = Mlp::new(vec![l1, l2], vec![Activation::Relu, Activation::Identity])?;
    /// assert_eq!(net.num_params(), 2 * (3 + 1) + 1 * (2 + 1));
    /// # Ok(()) }
    /// ```
    pub fn num_params(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.outputs() * (l.inputs() + 1))
            .sum()
    }

    /// All parameters in one vector: layer by layer, `W` row-major then `b`.
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let l1 = Dense::new(Matrix::from_rows(&[[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])?, vec![0.0, 0.1])?; // 3 → 2
    /// let l2 = Dense::new(Matrix::from_rows(&[[1.0, -1.0]])?, vec![0.5])?; // 2 → 1
    /// let mut net = Mlp::new(vec![l1, l2], vec![Activation::Relu, Activation::Identity])?;
    /// assert_eq!(net.params_to_vec(), vec![1.0, 0.0, 2.0, 0.0, 1.0, -1.0, 0.0, 0.1, 1.0, -1.0, 0.5]);
    /// # Ok(()) }
    /// ```
    pub fn params_to_vec(&self) -> Vec<T> {
        let mut v = Vec::with_capacity(self.num_params());
        for l in &self.layers {
            v.extend_from_slice(l.weights().as_slice());
            v.extend_from_slice(l.bias());
        }
        v
    }

    /// All gradients in the order of [`params_to_vec`](Self::params_to_vec).
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let l1 = Dense::new(Matrix::from_rows(&[[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])?, vec![0.0, 0.1])?; // 3 → 2
    /// let l2 = Dense::new(Matrix::from_rows(&[[1.0, -1.0]])?, vec![0.5])?; // 2 → 1
    /// let mut net = Mlp::new(vec![l1, l2], vec![Activation::Relu, Activation::Identity])?;
    /// assert_eq!(net.grads_to_vec(), vec![0.0; net.num_params()]); // nothing computed yet
    /// # Ok(()) }
    /// ```
    pub fn grads_to_vec(&self) -> Vec<T> {
        let mut v = Vec::with_capacity(self.num_params());
        for g in &self.grads {
            v.extend_from_slice(g.weights().as_slice());
            v.extend_from_slice(g.bias());
        }
        v
    }

    /// Overwrites all parameters from a vector laid out as [`params_to_vec`](Self::params_to_vec).
    ///
    /// # Errors
    /// `LengthMismatch` naming `params` when its length is not [`num_params`](Self::num_params).
    ///
    /// ```
    /// use outerprod::grad::{Activation, Mlp};
    /// use rand::SeedableRng;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    /// let mut net = Mlp::<f64>::init(&[2, 3, 1], Activation::Tanh, Activation::Identity, &mut rng)?;
    /// let doubled: Vec<f64> = net.params_to_vec().iter().map(|p| 2.0 * p).collect();
    /// net.set_params(&doubled)?;
    /// assert_eq!(net.params_to_vec(), doubled);
    /// assert_eq!(net.layers()[1].bias(), &doubled[2 * 3 + 3 + 3..]); // layer 1's W is 1×3
    /// assert!(net.set_params(&doubled[1..]).is_err());
    /// # Ok(()) }
    /// ```
    pub fn set_params(&mut self, params: &[T]) -> Result<(), ShapeError> {
        if params.len() != self.num_params() {
            return Err(ShapeError::new(
                ErrorKind::LengthMismatch,
                "params",
                format!("length {} (the number of parameters)", self.num_params()),
                format!("length {}", params.len()),
            ));
        }
        let mut rest = params;
        for l in &mut self.layers {
            let (w, b) = l.params_mut();
            let (pw, r) = rest.split_at(w.len());
            let (pb, r) = r.split_at(b.len());
            w.copy_from_slice(pw);
            b.copy_from_slice(pb);
            rest = r;
        }
        Ok(())
    }

    /// The output for a batch `x` of shape (batch, in), without touching the training buffers.
    ///
    /// # Errors
    /// `DimensionMismatch` naming `x` when `x.cols()` is not the input width.
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, -2.0]])?, vec![0.5])?;
    /// let net = Mlp::new(vec![layer], vec![Activation::Sigmoid])?;
    /// let x = Matrix::from_rows(&[[3.0, 1.0]])?;
    /// let z: f64 = 3.0 - 2.0 + 0.5;
    /// assert_eq!(net.predict(x.view())?.as_slice(), &[1.0 / (1.0 + (-z).exp())]);
    /// # Ok(()) }
    /// ```
    pub fn predict(&self, x: MatRef<'_, T>) -> Result<Matrix<T>, ShapeError> {
        let mut a: Option<Matrix<T>> = None;
        for (layer, &act) in self.layers.iter().zip(&self.activations) {
            let input = a.as_ref().map_or(x, Matrix::view);
            let mut z = layer.forward(input)?;
            if act != Activation::Identity {
                z.as_mut_slice().iter_mut().for_each(|v| *v = act.apply(*v));
            }
            a = Some(z);
        }
        // `new` guarantees at least one layer.
        a.ok_or_else(|| {
            ShapeError::new(
                ErrorKind::InvalidValue,
                "layers",
                "at least one layer",
                "none",
            )
        })
    }

    /// The forward pass for training: computes and keeps every layer's pre-activation and
    /// activation for the batch `x` (batch, in), and returns the output (batch, out).
    ///
    /// # Errors
    /// `DimensionMismatch` naming `x` when `x.cols()` is not the input width.
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 1.0], [1.0, -1.0]])?, vec![0.0; 2])?;
    /// let mut net = Mlp::new(vec![layer], vec![Activation::Relu])?;
    /// let x = Matrix::from_rows(&[[1.0, 2.0]])?;
    /// let y = net.forward(x.view())?;
    /// assert_eq!((y.get(0, 0), y.get(0, 1)), (1.0 + 2.0, 0.0)); // relu(−1) = 0
    /// # Ok(()) }
    /// ```
    pub fn forward(&mut self, x: MatRef<'_, T>) -> Result<MatRef<'_, T>, ShapeError> {
        if x.cols() != self.inputs() {
            return Err(ShapeError::new(
                ErrorKind::DimensionMismatch,
                "x",
                format!("(batch, {}) (the network's inputs)", self.inputs()),
                format!("{}×{}", x.rows(), x.cols()),
            ));
        }
        let (batch, out) = (x.rows(), self.outputs());
        let c = &mut self.cache;
        c.batch = None;
        c.input.resize(batch * x.cols(), T::zero());
        copy_view(x, &mut c.input);
        for (l, (layer, &act)) in self.layers.iter().zip(&self.activations).enumerate() {
            let width = layer.outputs();
            let (done, rest) = c.post.split_at_mut(l);
            let a_prev: &[T] = if l == 0 { &c.input } else { &done[l - 1] };
            let xin = MatRef::row_major(a_prev, batch, layer.inputs())?;
            c.pre[l].resize(batch * width, T::zero());
            layer.forward_into(xin, MatMut::row_major(&mut c.pre[l], batch, width)?)?;
            rest[0].resize(batch * width, T::zero());
            act.forward_into(&c.pre[l], &mut rest[0])?;
        }
        c.batch = Some(batch);
        let last = &c.post[self.layers.len() - 1];
        MatRef::row_major(last, batch, out)
    }

    /// The backward pass for the batch of the last [`forward`](Self::forward): given
    /// `dy = ∂L/∂output` (batch, out), fills (or, with [`Accumulate::Add`], adds to) every
    /// layer's `dW` and `db`.
    ///
    /// # Errors
    /// `InvalidValue` naming `dy` when no forward pass preceded it; `DimensionMismatch` naming
    /// `dy` when it is not (batch, out).
    ///
    /// ```
    /// use outerprod::grad::{Accumulate, Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[2.0, 0.0], [0.0, -3.0]])?, vec![0.0; 2])?;
    /// let mut net = Mlp::new(vec![layer], vec![Activation::Relu])?;
    /// let x = Matrix::from_rows(&[[1.0, 1.0]])?; // z = [2, −3]
    /// net.forward(x.view())?;
    /// let dy = Matrix::from_rows(&[[1.0, 1.0]])?;
    /// net.backward(dy.view(), Accumulate::Overwrite)?;
    /// // δ = dy ⊙ relu′(z) = [1, 0]; dW = δ xᵀ
    /// assert_eq!(net.gradients()[0].weights().as_slice(), &[1.0, 1.0, 0.0, 0.0]);
    /// net.backward(dy.view(), Accumulate::Add)?;
    /// assert_eq!(net.gradients()[0].bias(), &[2.0, 0.0]);
    /// # Ok(()) }
    /// ```
    pub fn backward(
        &mut self,
        dy: MatRef<'_, T>,
        accumulate: Accumulate,
    ) -> Result<(), ShapeError> {
        let batch = self.deltas(dy)?;
        self.param_grads(batch, accumulate)
    }

    /// DP-SGD's backward pass: like [`backward`](Self::backward), but each example's whole
    /// gradient (all layers) is scaled by `min(1, C/‖gᵢ‖)` with C = `max_norm` before the
    /// examples are summed. The norms come from `‖δᵢ xᵢᵀ‖_F = ‖δᵢ‖·‖xᵢ‖` per layer, so no
    /// per-example gradient is ever materialised, and each layer still does one GEMM.
    /// Returns how many examples were clipped. Row i of `dy` is taken as example i's share as
    /// given: after a mean loss it is ∇ℓᵢ/B, and Opacus's `max_grad_norm = C` is
    /// `max_norm = C/B` (see [`clip_per_example`](crate::grad::clip_per_example)).
    ///
    /// # Errors
    /// As [`backward`](Self::backward), plus `InvalidValue` naming `max_norm` unless it is
    /// finite and positive.
    ///
    /// ```
    /// use outerprod::grad::{Accumulate, Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0, 1.0]])?, vec![0.0])?;
    /// let mut net = Mlp::new(vec![layer], vec![Activation::Identity])?;
    /// let x = Matrix::from_rows(&[[3.0, 4.0], [0.0, 0.0]])?;
    /// net.forward(x.view())?;
    /// let dy = Matrix::from_rows(&[[1.0], [0.5]])?;
    /// // ‖g₀‖ = 1·√(25 + 1), ‖g₁‖ = 0.5·√(0 + 1): only example 0 exceeds C = 1
    /// let clipped = net.backward_clipped(dy.view(), 1.0, Accumulate::Overwrite)?;
    /// assert_eq!(clipped, 1);
    /// let f = 1.0 / 26f64.sqrt();
    /// let g = &net.gradients()[0];
    /// assert!((g.weights()[(0, 0)] - f * 3.0).abs() < 1e-15);
    /// assert!((g.bias()[0] - (f + 0.5)).abs() < 1e-15);
    /// # Ok(()) }
    /// ```
    pub fn backward_clipped(
        &mut self,
        dy: MatRef<'_, T>,
        max_norm: T,
        accumulate: Accumulate,
    ) -> Result<usize, ShapeError> {
        check_max_norm(max_norm)?;
        let batch = self.deltas(dy)?;
        let mut sq = vec![T::zero(); batch];
        for (l, layer) in self.layers.iter().enumerate() {
            let x = self.cache.layer_input(l, batch, layer.inputs())?;
            let d = MatRef::row_major(&self.cache.delta[l], batch, layer.outputs())?;
            per_example_sq_norms_add(x, d, &mut sq)?;
        }
        let factors: Vec<T> = sq
            .iter()
            .map(|&s| clip_factor(s.sqrt(), max_norm))
            .collect();
        for (delta, layer) in self.cache.delta.iter_mut().zip(&self.layers) {
            // `max(1)`: a layer of no outputs has an empty delta (and no rows to scale).
            for (row, &f) in delta.chunks_exact_mut(layer.outputs().max(1)).zip(&factors) {
                row.iter_mut().for_each(|v| *v = *v * f);
            }
        }
        self.param_grads(batch, accumulate)?;
        Ok(factors.iter().filter(|&&f| f < T::one()).count())
    }

    /// Sets every gradient to zero.
    ///
    /// ```
    /// use outerprod::grad::{Activation, Dense, Mlp};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let l1 = Dense::new(Matrix::from_rows(&[[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])?, vec![0.0, 0.1])?; // 3 → 2
    /// let l2 = Dense::new(Matrix::from_rows(&[[1.0, -1.0]])?, vec![0.5])?; // 2 → 1
    /// let mut net = Mlp::new(vec![l1, l2], vec![Activation::Relu, Activation::Identity])?;
    /// net.forward(Matrix::from_rows(&[[1.0, 2.0, 3.0]])?.view())?;
    /// net.backward(Matrix::from_rows(&[[1.0]])?.view(), outerprod::grad::Accumulate::Overwrite)?;
    /// assert!(net.grads_to_vec().iter().any(|&g| g != 0.0));
    /// net.zero_grad();
    /// assert!(net.grads_to_vec().iter().all(|&g| g == 0.0));
    /// # Ok(()) }
    /// ```
    pub fn zero_grad(&mut self) {
        self.grads.iter_mut().for_each(DenseGrads::zero);
    }

    /// One optimizer step on every parameter from the current gradients (layer l's weights are
    /// slot 2l, its bias slot 2l + 1). The gradients are left as they are.
    ///
    /// # Errors
    /// Whatever the optimizer reports (for example a slot whose state has another length).
    ///
    /// ```
    /// use outerprod::grad::{Accumulate, Activation, Dense, Mlp, Sgd, SgdConfig};
    /// use outerprod::Matrix;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let layer = Dense::new(Matrix::from_rows(&[[1.0]])?, vec![0.0])?;
    /// let mut net = Mlp::new(vec![layer], vec![Activation::Identity])?;
    /// net.forward(Matrix::from_rows(&[[2.0]])?.view())?;
    /// net.backward(Matrix::from_rows(&[[0.5]])?.view(), Accumulate::Overwrite)?;
    /// let lr = 0.1;
    /// let mut sgd = Sgd::new(SgdConfig { learning_rate: lr, momentum: 0.0, weight_decay: 0.0 })?;
    /// net.step(&mut sgd)?;
    /// assert_eq!(net.layers()[0].weights()[(0, 0)], 1.0 - lr * 0.5 * 2.0); // w − η·δx
    /// assert_eq!(net.layers()[0].bias(), &[-lr * 0.5]);
    /// # Ok(()) }
    /// ```
    pub fn step<O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) -> Result<(), ShapeError> {
        for (l, (layer, g)) in self.layers.iter_mut().zip(&self.grads).enumerate() {
            let (w, b) = layer.params_mut();
            optimizer.update(2 * l, w, g.weights().as_slice())?;
            optimizer.update(2 * l + 1, b, g.bias())?;
        }
        Ok(())
    }

    /// Fills `cache.delta[l] = ∂L/∂zₗ` for every layer, top down; returns the batch size.
    fn deltas(&mut self, dy: MatRef<'_, T>) -> Result<usize, ShapeError> {
        let Some(batch) = self.cache.batch else {
            return Err(ShapeError::new(
                ErrorKind::InvalidValue,
                "dy",
                "a gradient for the batch of a preceding `forward`",
                "a call with no forward pass before it",
            ));
        };
        let (out, n) = (self.outputs(), self.layers.len());
        check_shape("dy", &dy, batch, out, "(batch of the last forward, out)")?;
        let c = &mut self.cache;
        c.delta[n - 1].resize(batch * out, T::zero());
        copy_view(dy, &mut c.delta[n - 1]);
        self.activations[n - 1].backward_in_place(
            &c.pre[n - 1],
            &c.post[n - 1],
            &mut c.delta[n - 1],
        )?;
        for l in (1..n).rev() {
            let (lower, upper) = c.delta.split_at_mut(l);
            let layer = &self.layers[l];
            let dz = MatRef::row_major(&upper[0], batch, layer.outputs())?;
            let da = &mut lower[l - 1];
            da.resize(batch * layer.inputs(), T::zero());
            layer.input_grad_into(dz, MatMut::row_major(da, batch, layer.inputs())?)?;
            self.activations[l - 1].backward_in_place(&c.pre[l - 1], &c.post[l - 1], da)?;
        }
        Ok(batch)
    }

    /// `dWₗ = δₗᵀ aₗ₋₁` and `dbₗ = Σ_rows δₗ` from the deltas, one fused GEMM per layer.
    fn param_grads(&mut self, batch: usize, accumulate: Accumulate) -> Result<(), ShapeError> {
        for l in 0..self.layers.len() {
            let layer = &self.layers[l];
            let x = self.cache.layer_input(l, batch, layer.inputs())?;
            let d = MatRef::row_major(&self.cache.delta[l], batch, layer.outputs())?;
            layer.backward_into(x, d, &mut self.grads[l], accumulate, None)?;
        }
        Ok(())
    }
}

impl<T> Cache<T> {
    /// The input of layer l (X for the first layer, aₗ₋₁ after it) as a (batch, cols) view.
    fn layer_input(
        &self,
        l: usize,
        batch: usize,
        cols: usize,
    ) -> Result<MatRef<'_, T>, ShapeError> {
        let data = if l == 0 {
            &self.input
        } else {
            &self.post[l - 1]
        };
        MatRef::row_major(data, batch, cols)
    }
}

/// Copies a view into a row-major slice of the same shape.
fn copy_view<T: Copy>(src: MatRef<'_, T>, dst: &mut [T]) {
    debug_assert_eq!(dst.len(), src.rows() * src.cols());
    if let Some(s) = src.as_row_major_slice() {
        dst.copy_from_slice(s);
        return;
    }
    let cols = src.cols();
    for (i, row) in dst
        .chunks_exact_mut(cols.max(1))
        .take(src.rows())
        .enumerate()
    {
        for (j, v) in row.iter_mut().enumerate() {
            *v = src.get(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn net(seed: u64) -> Mlp<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        Mlp::init(&[3, 4, 2], Activation::Tanh, Activation::Identity, &mut rng).unwrap()
    }

    #[test]
    fn construction_errors_name_the_argument() {
        let l = |i, o| Dense::new(Matrix::<f64>::zeros(o, i), vec![0.0; o]).unwrap();
        let e = Mlp::<f64>::new(vec![], vec![]).unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::InvalidValue, "layers")
        );
        let e = Mlp::new(vec![l(2, 3)], vec![]).unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::LengthMismatch, "activations")
        );
        let e = Mlp::new(vec![l(2, 3), l(4, 1)], vec![Activation::Relu; 2]).unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::DimensionMismatch, "layers")
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let e = Mlp::<f64>::init(&[3], Activation::Relu, Activation::Identity, &mut rng);
        assert_eq!(e.unwrap_err().argument(), "sizes");
    }

    #[test]
    fn backward_needs_a_matching_forward() {
        let mut n = net(1);
        let dy = Matrix::<f64>::zeros(2, 2);
        let e = n.backward(dy.view(), Accumulate::Overwrite).unwrap_err();
        assert_eq!((e.kind(), e.argument()), (ErrorKind::InvalidValue, "dy"));
        n.forward(Matrix::zeros(3, 3).view()).unwrap();
        let e = n.backward(dy.view(), Accumulate::Overwrite).unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::DimensionMismatch, "dy")
        );
        let e = n.forward(Matrix::zeros(3, 2).view()).unwrap_err();
        assert_eq!(e.argument(), "x");
        // a rejected forward changes nothing: the batch of 3 is still there
        let dy3 = Matrix::<f64>::zeros(3, 2);
        n.backward(dy3.view(), Accumulate::Overwrite).unwrap();
    }

    #[test]
    fn buffers_reused_across_batch_sizes_give_fresh_results() {
        let x5 = Matrix::from_fn(5, 3, |i, j| (i as f64 - 2.0) * 0.3 + j as f64 * 0.1);
        let x2 = Matrix::from_fn(2, 3, |i, j| i as f64 * 0.5 - j as f64 * 0.2);
        let dy2 = Matrix::from_fn(2, 2, |i, j| (i + 2 * j) as f64 - 1.0);
        let mut used = net(2);
        let mut fresh = used.clone();
        used.forward(x5.view()).unwrap();
        used.backward(
            Matrix::from_fn(5, 2, |_, _| 1.0).view(),
            Accumulate::Overwrite,
        )
        .unwrap();
        let a = used.forward(x2.view()).unwrap().to_matrix();
        let b = fresh.forward(x2.view()).unwrap().to_matrix();
        assert_eq!(a, b);
        assert_eq!(a, used.predict(x2.view()).unwrap());
        used.backward(dy2.view(), Accumulate::Overwrite).unwrap();
        fresh.backward(dy2.view(), Accumulate::Overwrite).unwrap();
        assert_eq!(used.grads_to_vec(), fresh.grads_to_vec());
    }
}
