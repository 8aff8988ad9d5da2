//! [`Activation`]: elementwise nonlinearities and their derivatives.

use crate::error::{ErrorKind, ShapeError};
use crate::scalar::Float;

/// An elementwise activation `a = f(z)` with its derivative `f′(z)`.
///
/// ```
/// use outerprod::grad::Activation;
/// let z = 0.5f64;
/// assert_eq!(Activation::Relu.apply(-z), 0.0);
/// assert_eq!(Activation::Tanh.apply(z), z.tanh());
/// assert_eq!(Activation::Sigmoid.derivative(z),
///            (1.0 / (1.0 + (-z).exp())) * (1.0 - 1.0 / (1.0 + (-z).exp())));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Activation {
    /// `f(z) = z`, `f′(z) = 1`.
    #[default]
    Identity,
    /// `f(z) = max(z, 0)`, `f′(z) = 0` for `z ≤ 0` (the subgradient 0 at 0) and 1 otherwise.
    /// A NaN stays NaN and passes the gradient on, as in PyTorch (`torch.relu`,
    /// `threshold_backward`) and numpy's `maximum`, so a diverging network shows NaN instead
    /// of training on with zeros.
    Relu,
    /// `f(z) = tanh z`, `f′(z) = 1 − tanh² z`.
    Tanh,
    /// `f(z) = 1 / (1 + e⁻ᶻ)`, `f′(z) = f(z)(1 − f(z))`; evaluated without overflow for any z.
    Sigmoid,
}

impl Activation {
    /// `f(z)`.
    ///
    /// ```
    /// use outerprod::grad::Activation;
    /// assert_eq!(Activation::Relu.apply(3.0f32), 3.0);
    /// assert_eq!(Activation::Sigmoid.apply(0.0f64), 0.5);
    /// assert_eq!(Activation::Sigmoid.apply(-1000.0f64), 0.0); // no overflow in e¹⁰⁰⁰
    /// ```
    #[inline]
    pub fn apply<T: Float>(self, z: T) -> T {
        match self {
            Activation::Identity => z,
            // `z <= 0` rather than `z > 0`, so that a NaN comes through as NaN (as with
            // PyTorch's relu and numpy's `maximum`) instead of hiding as 0.
            Activation::Relu => {
                if z <= T::zero() {
                    T::zero()
                } else {
                    z
                }
            }
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => {
                if z >= T::zero() {
                    T::one() / (T::one() + (-z).exp())
                } else {
                    let e = z.exp();
                    e / (T::one() + e)
                }
            }
        }
    }

    /// `f′(z)`.
    ///
    /// ```
    /// use outerprod::grad::Activation;
    /// let z = 0.3f64;
    /// assert_eq!(Activation::Identity.derivative(z), 1.0);
    /// assert_eq!(Activation::Relu.derivative(z), 1.0);
    /// assert_eq!(Activation::Relu.derivative(-z), 0.0);
    /// assert_eq!(Activation::Tanh.derivative(z), 1.0 - z.tanh() * z.tanh());
    /// ```
    #[inline]
    pub fn derivative<T: Float>(self, z: T) -> T {
        self.derivative_from(z, self.apply(z))
    }

    /// `f′(z)` given both `z` and `a = f(z)`: tanh and sigmoid read their derivative off `a`.
    #[inline]
    fn derivative_from<T: Float>(self, z: T, a: T) -> T {
        match self {
            Activation::Identity => T::one(),
            // PyTorch's `threshold_backward`: 0 where z ≤ 0, the gradient passed on elsewhere
            // (a NaN z included).
            Activation::Relu => {
                if z <= T::zero() {
                    T::zero()
                } else {
                    T::one()
                }
            }
            Activation::Tanh => T::one() - a * a,
            Activation::Sigmoid => a * (T::one() - a),
        }
    }

    /// `a[i] = f(z[i])` for every element.
    ///
    /// # Errors
    /// `LengthMismatch` naming `a` when `a.len() != z.len()`.
    ///
    /// ```
    /// use outerprod::grad::Activation;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let z = [-1.0, 2.0];
    /// let mut a = [0.0; 2];
    /// Activation::Relu.forward_into(&z, &mut a)?;
    /// assert_eq!(a, [0.0, 2.0]);
    /// # Ok(()) }
    /// ```
    pub fn forward_into<T: Float>(self, z: &[T], a: &mut [T]) -> Result<(), ShapeError> {
        check_len("a", a.len(), z.len())?;
        if self == Activation::Identity {
            a.copy_from_slice(z);
            return Ok(());
        }
        for (a, &z) in a.iter_mut().zip(z) {
            *a = self.apply(z);
        }
        Ok(())
    }

    /// The chain rule through the activation, in place: `grad[i] ← grad[i]·f′(z[i])`, turning
    /// `∂L/∂a` into `∂L/∂z`. `a` must hold `f(z)` as [`forward_into`](Self::forward_into)
    /// wrote it (tanh and sigmoid take their derivative from it).
    ///
    /// # Errors
    /// `LengthMismatch` naming `a` or `grad` when its length differs from `z.len()`.
    ///
    /// ```
    /// use outerprod::grad::Activation;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let z = [0.5f64, -0.25];
    /// let a = [z[0].tanh(), z[1].tanh()];
    /// let mut g = [2.0, 3.0];
    /// Activation::Tanh.backward_in_place(&z, &a, &mut g)?;
    /// assert_eq!(g, [2.0 * (1.0 - a[0] * a[0]), 3.0 * (1.0 - a[1] * a[1])]);
    /// # Ok(()) }
    /// ```
    pub fn backward_in_place<T: Float>(
        self,
        z: &[T],
        a: &[T],
        grad: &mut [T],
    ) -> Result<(), ShapeError> {
        check_len("a", a.len(), z.len())?;
        check_len("grad", grad.len(), z.len())?;
        if self == Activation::Identity {
            return Ok(());
        }
        for ((g, &z), &a) in grad.iter_mut().zip(z).zip(a) {
            *g = *g * self.derivative_from(z, a);
        }
        Ok(())
    }
}

fn check_len(name: &'static str, len: usize, want: usize) -> Result<(), ShapeError> {
    if len != want {
        return Err(ShapeError::new(
            ErrorKind::LengthMismatch,
            name,
            format!("length {want} (the length of `z`)"),
            format!("length {len}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Activation; 4] = [
        Activation::Identity,
        Activation::Relu,
        Activation::Tanh,
        Activation::Sigmoid,
    ];

    #[test]
    fn derivative_matches_central_difference() {
        for act in ALL {
            for z in [-3.0, -0.7, -0.01, 0.02, 0.4, 2.5f64] {
                let h = 1e-6;
                let fd = (act.apply(z + h) - act.apply(z - h)) / (2.0 * h);
                let d = act.derivative(z);
                // central difference error ≈ h²·f‴/6 + ε·f/h, below 1e-9 here
                assert!((fd - d).abs() < 1e-8, "{act:?} at {z}: {fd} vs {d}");
            }
        }
    }

    #[test]
    fn a_nan_comes_through_every_activation() {
        for act in ALL {
            assert!(act.apply(f64::NAN).is_nan(), "{act:?}");
            let mut g = [1.0f32];
            act.backward_in_place(&[f32::NAN], &[act.apply(f32::NAN)], &mut g)
                .unwrap();
            // ReLU passes the gradient on (PyTorch), as the identity does; tanh and sigmoid
            // give NaN from a = NaN.
            let passes = matches!(act, Activation::Relu | Activation::Identity);
            assert!(if passes { g[0] == 1.0 } else { g[0].is_nan() }, "{act:?}");
        }
        assert_eq!(Activation::Relu.derivative(0.0f64), 0.0);
        assert_eq!(Activation::Relu.apply(-0.0f64).to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn sigmoid_is_finite_and_symmetric_at_extremes() {
        for z in [-800.0f64, -40.0, 0.0, 40.0, 800.0] {
            let s = Activation::Sigmoid.apply(z);
            assert!(s.is_finite());
            assert!((s + Activation::Sigmoid.apply(-z) - 1.0).abs() < 1e-15);
        }
        assert_eq!(Activation::Sigmoid.apply(-800.0f32), 0.0);
    }

    #[test]
    fn slice_forms_check_lengths() {
        let mut a = [0.0; 2];
        let e = Activation::Relu
            .forward_into(&[1.0; 3], &mut a)
            .unwrap_err();
        assert_eq!((e.kind(), e.argument()), (ErrorKind::LengthMismatch, "a"));
        let e = Activation::Relu
            .backward_in_place(&[1.0; 2], &[1.0; 2], &mut [0.0; 3])
            .unwrap_err();
        assert_eq!(e.argument(), "grad");
    }
}
