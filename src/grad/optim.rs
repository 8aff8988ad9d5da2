//! Optimizers: the [`Optimizer`] trait, [`Sgd`] with momentum and [`Adam`], updating
//! parameters in place.

use crate::error::{ErrorKind, ShapeError};
use crate::scalar::Float;

/// Updates parameter tensors in place from their gradients.
///
/// Each tensor has a `slot` number, stable across calls, that keys its optimizer state
/// (momentum, moment estimates); [`Mlp::step`](crate::grad::Mlp::step) gives layer l's weights
/// slot 2l and its bias slot 2l + 1. State is created on a slot's first update.
///
/// ```
/// use outerprod::grad::{Optimizer, Sgd, SgdConfig};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let mut opt = Sgd::new(SgdConfig { learning_rate: 0.1, momentum: 0.0, ..Default::default() })?;
/// let mut p = [1.0, 2.0];
/// opt.update(0, &mut p, &[10.0, -10.0])?;
/// assert_eq!(p, [1.0 - 0.1 * 10.0, 2.0 + 0.1 * 10.0]);
/// # Ok(()) }
/// ```
pub trait Optimizer<T: Float> {
    /// One update of the tensor `slot`: `params` moves against `grads`.
    ///
    /// # Errors
    /// `LengthMismatch` naming `grads` when `grads.len() != params.len()`, or naming `params`
    /// when the slot's state was created for a tensor of another length.
    fn update(&mut self, slot: usize, params: &mut [T], grads: &[T]) -> Result<(), ShapeError>;

    /// The current learning rate.
    fn learning_rate(&self) -> T;

    /// Changes the learning rate (for a schedule); state is kept.
    ///
    /// # Errors
    /// `InvalidValue` naming `learning_rate` unless it is finite and positive.
    fn set_learning_rate(&mut self, learning_rate: T) -> Result<(), ShapeError>;
}

/// Settings of [`Sgd`]. `Default`: learning rate 0.01, momentum 0.9, no weight decay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdConfig<T> {
    /// Step size η > 0.
    pub learning_rate: T,
    /// Momentum μ ∈ [0, 1); 0 is plain SGD.
    pub momentum: T,
    /// L2 penalty λ ≥ 0, added to the gradient as λ·p.
    pub weight_decay: T,
}

impl<T: Float> Default for SgdConfig<T> {
    fn default() -> Self {
        SgdConfig {
            learning_rate: c(0.01),
            momentum: c(0.9),
            weight_decay: T::zero(),
        }
    }
}

/// Stochastic gradient descent with (heavy-ball) momentum: `g ← ∇ + λp`, `v ← μv + g`,
/// `p ← p − ηv` (the PyTorch form; with μ = 0 it is `p ← p − η g`).
///
/// ```
/// use outerprod::grad::{Optimizer, Sgd, SgdConfig};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let (lr, mu) = (0.5, 0.9);
/// let mut opt = Sgd::new(SgdConfig { learning_rate: lr, momentum: mu, weight_decay: 0.0 })?;
/// let mut p = [0.0];
/// opt.update(0, &mut p, &[1.0])?; // v = 1
/// opt.update(0, &mut p, &[1.0])?; // v = μ·1 + 1
/// assert_eq!(p, [-lr * 1.0 - lr * (mu * 1.0 + 1.0)]);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Sgd<T> {
    config: SgdConfig<T>,
    velocity: Vec<Option<Vec<T>>>,
}

impl<T: Float> Sgd<T> {
    /// An optimizer with the given settings.
    ///
    /// # Errors
    /// `InvalidValue` naming `learning_rate`, `momentum` or `weight_decay` when it is outside
    /// its range or not finite.
    ///
    /// ```
    /// use outerprod::grad::{Sgd, SgdConfig};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let opt = Sgd::new(SgdConfig { learning_rate: 0.1, momentum: 0.9, ..SgdConfig::default() })?;
    /// assert_eq!(opt.config().momentum, 0.9);
    /// assert!(Sgd::new(SgdConfig { learning_rate: -1.0, ..SgdConfig::<f64>::default() }).is_err());
    /// # Ok(()) }
    /// ```
    pub fn new(config: SgdConfig<T>) -> Result<Self, ShapeError> {
        check_lr(config.learning_rate)?;
        check_range("momentum", config.momentum, "in [0, 1)", |m| {
            m >= T::zero() && m < T::one()
        })?;
        check_range("weight_decay", config.weight_decay, "≥ 0", |w| {
            w >= T::zero()
        })?;
        Ok(Sgd {
            config,
            velocity: Vec::new(),
        })
    }

    /// The settings.
    ///
    /// ```
    /// use outerprod::grad::{Sgd, SgdConfig};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let opt = Sgd::new(SgdConfig { learning_rate: 0.05, ..SgdConfig::default() })?;
    /// assert_eq!(opt.config().learning_rate, 0.05);
    /// # Ok(()) }
    /// ```
    pub fn config(&self) -> &SgdConfig<T> {
        &self.config
    }
}

impl<T: Float> Default for Sgd<T> {
    fn default() -> Self {
        Sgd {
            config: SgdConfig::default(),
            velocity: Vec::new(),
        }
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    fn update(&mut self, slot: usize, params: &mut [T], grads: &[T]) -> Result<(), ShapeError> {
        check_grads(params, grads)?;
        let v = state(&mut self.velocity, slot, params.len())?;
        let SgdConfig {
            learning_rate: lr,
            momentum: mu,
            weight_decay: wd,
        } = self.config;
        for ((p, &g), v) in params.iter_mut().zip(grads).zip(v.iter_mut()) {
            let g = g + wd * *p;
            *v = mu * *v + g;
            *p = *p - lr * *v;
        }
        Ok(())
    }

    fn learning_rate(&self) -> T {
        self.config.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: T) -> Result<(), ShapeError> {
        check_lr(learning_rate)?;
        self.config.learning_rate = learning_rate;
        Ok(())
    }
}

/// Settings of [`Adam`]. `Default`: learning rate 0.001, β₁ = 0.9, β₂ = 0.999, ε = 1e-8, no weight
/// decay (Kingma & Ba, 2015).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig<T> {
    /// Step size η > 0.
    pub learning_rate: T,
    /// Decay of the first-moment estimate, β₁ ∈ [0, 1).
    pub beta1: T,
    /// Decay of the second-moment estimate, β₂ ∈ [0, 1).
    pub beta2: T,
    /// ε > 0 in the denominator.
    pub epsilon: T,
    /// L2 penalty λ ≥ 0, added to the gradient as λ·p (coupled, as scikit-learn's `alpha`).
    pub weight_decay: T,
}

impl<T: Float> Default for AdamConfig<T> {
    fn default() -> Self {
        AdamConfig {
            learning_rate: c(1e-3),
            beta1: c(0.9),
            beta2: c(0.999),
            epsilon: c(1e-8),
            weight_decay: T::zero(),
        }
    }
}

/// Adam: `g ← ∇ + λp`, `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`,
/// `p ← p − η·m̂/(√v̂ + ε)` with the bias corrections `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v/(1 − β₂ᵗ)`; t
/// counts the updates of each slot. The step is evaluated as `torch.optim.Adam` evaluates it,
/// `η/(1 − β₁ᵗ) · m/(√v/√(1 − β₂ᵗ) + ε)`, so ε enters as given however small.
///
/// ```
/// use outerprod::grad::{Adam, AdamConfig, Optimizer};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let cfg = AdamConfig::default();
/// let mut opt = Adam::new(cfg)?;
/// let mut p = [1.0f64];
/// opt.update(0, &mut p, &[0.25])?;
/// // first step: m̂ = g, v̂ = g², so the step is η·g/(|g| + ε)
/// assert!((p[0] - (1.0 - cfg.learning_rate * 0.25 / (0.25 + cfg.epsilon))).abs() < 1e-15);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<T> {
    config: AdamConfig<T>,
    first: Vec<Option<Vec<T>>>,
    second: Vec<Option<Vec<T>>>,
    steps: Vec<i32>,
}

impl<T: Float> Adam<T> {
    /// An optimizer with the given settings.
    ///
    /// # Errors
    /// `InvalidValue` naming the offending field when it is outside its range or not finite.
    ///
    /// ```
    /// use outerprod::grad::{Adam, AdamConfig};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let opt = Adam::new(AdamConfig { learning_rate: 1e-3, ..AdamConfig::default() })?;
    /// assert_eq!(opt.config().learning_rate, 1e-3);
    /// assert!(Adam::new(AdamConfig { beta1: 1.0, ..AdamConfig::<f64>::default() }).is_err());
    /// # Ok(()) }
    /// ```
    pub fn new(config: AdamConfig<T>) -> Result<Self, ShapeError> {
        check_lr(config.learning_rate)?;
        let unit = |b: T| b >= T::zero() && b < T::one();
        check_range("beta1", config.beta1, "in [0, 1)", unit)?;
        check_range("beta2", config.beta2, "in [0, 1)", unit)?;
        check_range("epsilon", config.epsilon, "> 0", |e| e > T::zero())?;
        check_range("weight_decay", config.weight_decay, "≥ 0", |w| {
            w >= T::zero()
        })?;
        Ok(Adam {
            config,
            first: Vec::new(),
            second: Vec::new(),
            steps: Vec::new(),
        })
    }

    /// The settings.
    ///
    /// ```
    /// use outerprod::grad::{Adam, AdamConfig};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let opt = Adam::new(AdamConfig { beta2: 0.99, ..AdamConfig::default() })?;
    /// assert_eq!(opt.config().beta2, 0.99);
    /// # Ok(()) }
    /// ```
    pub fn config(&self) -> &AdamConfig<T> {
        &self.config
    }
}

impl<T: Float> Default for Adam<T> {
    fn default() -> Self {
        Adam {
            config: AdamConfig::default(),
            first: Vec::new(),
            second: Vec::new(),
            steps: Vec::new(),
        }
    }
}

impl<T: Float> Optimizer<T> for Adam<T> {
    fn update(&mut self, slot: usize, params: &mut [T], grads: &[T]) -> Result<(), ShapeError> {
        check_grads(params, grads)?;
        let m = state(&mut self.first, slot, params.len())?;
        let v = state(&mut self.second, slot, params.len())?;
        if self.steps.len() <= slot {
            self.steps.resize(slot + 1, 0);
        }
        self.steps[slot] = self.steps[slot].saturating_add(1);
        let t = self.steps[slot];
        let AdamConfig {
            learning_rate: lr,
            beta1: b1,
            beta2: b2,
            epsilon: eps,
            weight_decay: wd,
        } = self.config;
        let one = T::one();
        // PyTorch's form, η/(1 − β₁ᵗ) · m/(√v/√(1 − β₂ᵗ) + ε): ε is added as given, so a tiny
        // ε cannot underflow to 0 (folding it into ε·√(1 − β₂ᵗ) could, making 0/0 = NaN).
        let step = lr / (one - b1.powi(t));
        let c2 = (one - b2.powi(t)).sqrt();
        for (((p, &g), m), v) in params
            .iter_mut()
            .zip(grads)
            .zip(m.iter_mut())
            .zip(v.iter_mut())
        {
            let g = g + wd * *p;
            *m = b1 * *m + (one - b1) * g;
            *v = b2 * *v + (one - b2) * g * g;
            *p = *p - step * (*m / (v.sqrt() / c2 + eps));
        }
        Ok(())
    }

    fn learning_rate(&self) -> T {
        self.config.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: T) -> Result<(), ShapeError> {
        check_lr(learning_rate)?;
        self.config.learning_rate = learning_rate;
        Ok(())
    }
}

/// The state vector of `slot`, created (zeroed) on first use; `None` marks a slot not yet
/// used, so that a slot first used with an empty tensor keeps that length too.
fn state<T: Float>(
    states: &mut Vec<Option<Vec<T>>>,
    slot: usize,
    len: usize,
) -> Result<&mut Vec<T>, ShapeError> {
    if states.len() <= slot {
        states.resize_with(slot + 1, || None);
    }
    let s = states[slot].get_or_insert_with(|| vec![T::zero(); len]);
    if s.len() != len {
        return Err(ShapeError::new(
            ErrorKind::LengthMismatch,
            "params",
            format!("length {} (the tensor first seen in slot {slot})", s.len()),
            format!("length {len}"),
        ));
    }
    Ok(s)
}

fn check_grads<T>(params: &[T], grads: &[T]) -> Result<(), ShapeError> {
    if grads.len() != params.len() {
        return Err(ShapeError::new(
            ErrorKind::LengthMismatch,
            "grads",
            format!("length {} (the length of `params`)", params.len()),
            format!("length {}", grads.len()),
        ));
    }
    Ok(())
}

fn check_lr<T: Float>(lr: T) -> Result<(), ShapeError> {
    check_range("learning_rate", lr, "finite and > 0", |l| l > T::zero())
}

fn check_range<T: Float>(
    name: &'static str,
    value: T,
    want: &str,
    ok: impl Fn(T) -> bool,
) -> Result<(), ShapeError> {
    if value.is_finite() && ok(value) {
        Ok(())
    } else {
        Err(ShapeError::new(
            ErrorKind::InvalidValue,
            name,
            want,
            format!("{value}"),
        ))
    }
}

fn c<T: Float>(v: f64) -> T {
    T::from_f64(v).unwrap_or_else(T::nan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_matches_the_textbook_form() {
        let cfg = AdamConfig::<f64> {
            weight_decay: 0.01,
            ..Default::default()
        };
        let mut opt = Adam::new(cfg).unwrap();
        let mut p = vec![0.5, -1.0, 2.0];
        let (mut m, mut v, mut q) = (vec![0.0; 3], vec![0.0; 3], p.clone());
        for t in 1..=5 {
            let g: Vec<f64> = q.iter().map(|x| x * x - 0.3 * t as f64).collect();
            opt.update(3, &mut p, &g).unwrap();
            for j in 0..3 {
                let g = g[j] + cfg.weight_decay * q[j];
                m[j] = cfg.beta1 * m[j] + (1.0 - cfg.beta1) * g;
                v[j] = cfg.beta2 * v[j] + (1.0 - cfg.beta2) * g * g;
                let mh = m[j] / (1.0 - cfg.beta1.powi(t));
                let vh = v[j] / (1.0 - cfg.beta2.powi(t));
                q[j] -= cfg.learning_rate * mh / (vh.sqrt() + cfg.epsilon);
            }
            for j in 0..3 {
                assert!((p[j] - q[j]).abs() < 1e-14, "t={t}: {} vs {}", p[j], q[j]);
            }
        }
    }

    #[test]
    fn adam_with_the_smallest_epsilon_leaves_a_zero_gradient_alone() {
        // ε·√(1 − β₂) underflows to 0 here; ε itself must stay in the denominator.
        let mut opt = Adam::new(AdamConfig::<f32> {
            epsilon: 1e-45,
            ..Default::default()
        })
        .unwrap();
        let mut p = [1.0f32, -2.0];
        opt.update(0, &mut p, &[0.0, 0.0]).unwrap();
        assert_eq!(p, [1.0, -2.0]);
        let mut opt = Adam::new(AdamConfig::<f64> {
            epsilon: 5e-324,
            ..Default::default()
        })
        .unwrap();
        let mut p = [0.5f64];
        opt.update(0, &mut p, &[0.0]).unwrap();
        assert_eq!(p, [0.5]);
    }

    #[test]
    fn a_slot_first_used_empty_keeps_its_length() {
        let mut opt = Sgd::<f64>::default();
        opt.update(2, &mut [], &[]).unwrap();
        let e = opt.update(2, &mut [0.0; 3], &[1.0; 3]).unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::LengthMismatch, "params")
        );
        let mut opt = Adam::<f32>::default();
        opt.update(0, &mut [], &[]).unwrap();
        assert!(opt.update(0, &mut [0.0], &[1.0]).is_err());
    }

    #[test]
    fn sgd_momentum_converges_on_a_quadratic() {
        // f(p) = ½‖p − 3‖², ∇ = p − 3
        let mut opt = Sgd::<f64>::default();
        let mut p = [0.0, 10.0];
        for _ in 0..500 {
            let g = [p[0] - 3.0, p[1] - 3.0];
            opt.update(0, &mut p, &g).unwrap();
        }
        assert!(p.iter().all(|x| (x - 3.0).abs() < 1e-6), "{p:?}");
    }

    #[test]
    fn invalid_settings_and_lengths_are_errors() {
        let e = Sgd::new(SgdConfig {
            learning_rate: -1.0,
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::InvalidValue, "learning_rate")
        );
        let e = Adam::new(AdamConfig {
            beta2: 1.0f32,
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.argument(), "beta2");
        let mut opt = Adam::<f64>::default();
        assert_eq!(
            opt.update(0, &mut [0.0; 2], &[0.0]).unwrap_err().argument(),
            "grads"
        );
        opt.update(0, &mut [0.0; 2], &[0.0; 2]).unwrap();
        assert_eq!(
            opt.update(0, &mut [0.0; 3], &[0.0; 3])
                .unwrap_err()
                .argument(),
            "params"
        );
        assert!(opt.set_learning_rate(f64::NAN).is_err());
    }
}
