//! [`check_gradients`]: compares an analytic gradient with central finite differences.

use crate::error::{ErrorKind, ShapeError};
use crate::scalar::Float;

/// Settings of [`check_gradients`].
///
/// `Default`: `step = ε^(1/3)` (the step that balances the central difference's truncation
/// error, of order step², against the rounding error of L, of order ε/step: about 6e-6 in f64,
/// 5e-3 in f32) and `floor = 1e-3`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck<T> {
    /// Relative step: parameter p is moved by `h = step·max(1, |p|)` each way.
    pub step: T,
    /// Smallest denominator of the relative error. Entries whose gradient is below it in
    /// magnitude are judged by `|analytic − numeric| / floor`, so the rounding noise of L on a
    /// gradient that is (nearly) zero does not read as a large relative error.
    pub floor: T,
}

impl<T: Float> Default for GradCheck<T> {
    fn default() -> Self {
        GradCheck {
            step: T::epsilon().cbrt(),
            floor: T::from_f64(1e-3).unwrap_or_else(T::epsilon),
        }
    }
}

/// What [`check_gradients`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheckReport<T> {
    max_rel_error: T,
    max_abs_error: T,
    worst_index: usize,
    numeric: Vec<T>,
}

impl<T: Float> GradCheckReport<T> {
    /// `maxᵢ |aᵢ − nᵢ| / max(|aᵢ|, |nᵢ|, floor)` over all parameters (0 when there are none).
    ///
    /// ```
    /// use outerprod::grad::{check_gradients, GradCheck};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// // L(p) = p₀·p₁ has ∇L = (p₁, p₀) = (2, 1) at p = (1, 2).
    /// let report = check_gradients(&[1.0f64, 2.0], &[2.0, 1.0], GradCheck::default(), |p| Ok(p[0] * p[1]))?;
    /// assert!(report.max_rel_error() < 1e-9);
    /// # Ok(()) }
    /// ```
    pub fn max_rel_error(&self) -> T {
        self.max_rel_error
    }

    /// `maxᵢ |aᵢ − nᵢ|`.
    ///
    /// ```
    /// use outerprod::grad::{check_gradients, GradCheck};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// // L(p) = p₀·p₁ has ∇L = (p₁, p₀) = (2, 1) at p = (1, 2).
    /// let report = check_gradients(&[1.0f64, 2.0], &[2.0, 1.0], GradCheck::default(), |p| Ok(p[0] * p[1]))?;
    /// assert!(report.max_abs_error() < 1e-9);
    /// # Ok(()) }
    /// ```
    pub fn max_abs_error(&self) -> T {
        self.max_abs_error
    }

    /// The parameter index with the largest relative error.
    ///
    /// ```
    /// use outerprod::grad::{check_gradients, GradCheck};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// // L(p) = p₀·p₁ has ∇L = (p₁, p₀) = (2, 1) at p = (1, 2).
    /// let report = check_gradients(&[1.0f64, 2.0], &[2.0, 1.0], GradCheck::default(), |p| Ok(p[0] * p[1]))?;
    /// assert!(report.worst_index() < 2);
    /// # Ok(()) }
    /// ```
    pub fn worst_index(&self) -> usize {
        self.worst_index
    }

    /// The finite-difference gradient, one entry per parameter.
    ///
    /// ```
    /// use outerprod::grad::{check_gradients, GradCheck};
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// // L(p) = p₀·p₁ has ∇L = (p₁, p₀) = (2, 1) at p = (1, 2).
    /// let report = check_gradients(&[1.0f64, 2.0], &[2.0, 1.0], GradCheck::default(), |p| Ok(p[0] * p[1]))?;
    /// assert!((report.numeric()[0] - 2.0).abs() < 1e-9 && (report.numeric()[1] - 1.0).abs() < 1e-9);
    /// # Ok(()) }
    /// ```
    pub fn numeric(&self) -> &[T] {
        &self.numeric
    }
}

/// Checks `analytic = ∂L/∂p` at `params` by central differences:
/// `nᵢ = (L(p + hᵢeᵢ) − L(p − hᵢeᵢ)) / 2hᵢ`, calling `loss` twice per parameter with a perturbed
/// copy of `params`. Works for any layer and loss: `loss` maps the flat parameter vector to the
/// scalar loss however it likes.
///
/// # Errors
/// `LengthMismatch` naming `analytic` when its length differs from `params`'; `InvalidValue`
/// naming `config` when the step or floor is not finite and positive; any error `loss` returns.
///
/// ```
/// use outerprod::grad::{check_gradients, GradCheck};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// // L(p) = p₀² p₁ + sin p₁, ∇L = (2 p₀ p₁, p₀² + cos p₁)
/// let p = [1.5f64, -0.5];
/// let analytic = [2.0 * p[0] * p[1], p[0] * p[0] + p[1].cos()];
/// let report = check_gradients(&p, &analytic, GradCheck::default(), |q| {
///     Ok(q[0] * q[0] * q[1] + q[1].sin())
/// })?;
/// assert!(report.max_rel_error() < 1e-9);
/// # Ok(()) }
/// ```
pub fn check_gradients<T, F>(
    params: &[T],
    analytic: &[T],
    config: GradCheck<T>,
    mut loss: F,
) -> Result<GradCheckReport<T>, ShapeError>
where
    T: Float,
    F: FnMut(&[T]) -> Result<T, ShapeError>,
{
    if analytic.len() != params.len() {
        return Err(ShapeError::new(
            ErrorKind::LengthMismatch,
            "analytic",
            format!("length {} (one entry per parameter)", params.len()),
            format!("length {}", analytic.len()),
        ));
    }
    for v in [config.step, config.floor] {
        if !(v.is_finite() && v > T::zero()) {
            return Err(ShapeError::new(
                ErrorKind::InvalidValue,
                "config",
                "a finite, positive step and floor",
                format!("step {}, floor {}", config.step, config.floor),
            ));
        }
    }
    let mut p = params.to_vec();
    let mut report = GradCheckReport {
        max_rel_error: T::zero(),
        max_abs_error: T::zero(),
        worst_index: 0,
        numeric: Vec::with_capacity(params.len()),
    };
    for (i, &a) in analytic.iter().enumerate() {
        let p0 = params[i];
        let h = config.step * p0.abs().max(T::one());
        // Use the step that is actually representable around p0.
        let (up, down) = (p0 + h, p0 - h);
        p[i] = up;
        let l_up = loss(&p)?;
        p[i] = down;
        let l_down = loss(&p)?;
        p[i] = p0;
        let n = (l_up - l_down) / (up - down);
        report.numeric.push(n);
        let abs = (a - n).abs();
        let rel = abs / a.abs().max(n.abs()).max(config.floor);
        report.max_abs_error = report.max_abs_error.max(abs);
        // A NaN (a broken gradient) must not hide behind max(): it counts as infinite.
        let rel = if rel.is_nan() { T::infinity() } else { rel };
        if rel > report.max_rel_error {
            report.max_rel_error = rel;
            report.worst_index = i;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_gradient_is_caught() {
        let p = [0.7f64, 1.3];
        let wrong = [2.0 * p[0], 2.0 * p[1] * 1.01]; // 1 % off in the second entry
        let r = check_gradients(&p, &wrong, GradCheck::default(), |q| {
            Ok(q[0] * q[0] + q[1] * q[1])
        })
        .unwrap();
        assert_eq!(r.worst_index(), 1);
        assert!((r.max_rel_error() - 0.01 / 1.01).abs() < 1e-6);
    }

    #[test]
    fn nan_gradient_reports_infinite_error() {
        let r =
            check_gradients(&[1.0f64], &[f64::NAN], GradCheck::default(), |q| Ok(q[0])).unwrap();
        assert!(r.max_rel_error().is_infinite());
    }

    #[test]
    fn errors_name_the_argument() {
        let e = check_gradients(&[1.0f64], &[], GradCheck::default(), |q| Ok(q[0])).unwrap_err();
        assert_eq!(e.argument(), "analytic");
        let bad = GradCheck {
            step: 0.0,
            floor: 1e-3,
        };
        let e = check_gradients(&[1.0f64], &[1.0], bad, |q| Ok(q[0])).unwrap_err();
        assert_eq!(e.argument(), "config");
    }
}
