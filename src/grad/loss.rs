//! Losses: each returns the loss averaged over the batch and its gradient `∂L/∂Y`.

use crate::error::{ErrorKind, ShapeError};
use crate::grad::dense::check_shape;
use crate::matrix::Matrix;
use crate::scalar::Float;
use crate::view::{MatMut, MatRef};

/// Mean squared error over a batch: `L = (1/batch) Σᵢ ‖pᵢ − tᵢ‖²` (summed over the outputs of an
/// example, averaged over the examples), and `∂L/∂P = 2(P − T)/batch`.
///
/// For one example with one output this is `L = (y − t)²` with `dL/dy = 2(y − t)`. An empty
/// batch has loss 0.
///
/// # Errors
/// `DimensionMismatch` naming `target` when its shape differs from `pred`'s.
///
/// ```
/// use outerprod::grad::mse;
/// use outerprod::Matrix;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let p = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?;
/// let t = Matrix::from_rows(&[[1.5, 2.0], [2.0, 4.0]])?;
/// let (loss, grad) = mse(p.view(), t.view())?;
/// assert_eq!(loss, ((-0.5f64).powi(2) + 1.0f64.powi(2)) / 2.0);
/// assert_eq!(grad.as_slice(), &[2.0 * -0.5 / 2.0, 0.0, 2.0 * 1.0 / 2.0, 0.0]);
/// # Ok(()) }
/// ```
pub fn mse<T: Float>(
    pred: MatRef<'_, T>,
    target: MatRef<'_, T>,
) -> Result<(T, Matrix<T>), ShapeError> {
    check_shape(
        "target",
        &target,
        pred.rows(),
        pred.cols(),
        "(the shape of `pred`)",
    )?;
    let mut grad = Matrix::try_zeros(pred.rows(), pred.cols())?;
    let loss = mse_into(pred, target, grad.view_mut())?;
    Ok((loss, grad))
}

/// [`mse`] writing the gradient into a caller-owned view of `pred`'s shape.
///
/// # Errors
/// `DimensionMismatch` naming `target` or `grad` when its shape differs from `pred`'s.
///
/// ```
/// use outerprod::grad::mse_into;
/// use outerprod::{MatMut, MatRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let mut g = [0.0; 1];
/// let loss = mse_into(MatRef::row_major(&[3.0], 1, 1)?, MatRef::row_major(&[1.0], 1, 1)?,
///                     MatMut::row_major(&mut g, 1, 1)?)?;
/// assert_eq!((loss, g[0]), ((3.0f64 - 1.0).powi(2), 2.0 * (3.0 - 1.0)));
/// # Ok(()) }
/// ```
pub fn mse_into<T: Float>(
    pred: MatRef<'_, T>,
    target: MatRef<'_, T>,
    mut grad: MatMut<'_, T>,
) -> Result<T, ShapeError> {
    let (batch, n) = pred.shape();
    check_shape("target", &target, batch, n, "(the shape of `pred`)")?;
    check_shape("grad", &grad.rb(), batch, n, "(the shape of `pred`)")?;
    if batch == 0 {
        return Ok(T::zero());
    }
    let inv = T::one() / count::<T>(batch)?;
    let two_inv = (T::one() + T::one()) * inv;
    let mut sum = T::zero();
    for i in 0..batch {
        for j in 0..n {
            let d = pred.get(i, j) - target.get(i, j);
            sum = sum + d * d;
            grad.set(i, j, two_inv * d);
        }
    }
    Ok(sum * inv)
}

/// Softmax cross-entropy over logits: `L = (1/batch) Σᵢ (log Σⱼ e^{zᵢⱼ} − zᵢ,yᵢ)` with the
/// log-sum-exp taken after subtracting each row's maximum (no overflow for any finite logits),
/// and `∂L/∂Z = (softmax(Z) − onehot(y))/batch`. An empty batch has loss 0.
///
/// # Errors
/// `LengthMismatch` naming `labels` when `labels.len() != logits.rows()`; `InvalidValue` naming
/// `labels` when a label is not below the number of classes (`logits.cols()`).
///
/// ```
/// use outerprod::grad::softmax_cross_entropy;
/// use outerprod::Matrix;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let z = Matrix::from_rows(&[[1.0f64, 2.0, 3.0]])?;
/// let (loss, grad) = softmax_cross_entropy(z.view(), &[2])?;
/// let sum = 1f64.exp() + 2f64.exp() + 3f64.exp();
/// assert!((loss - (sum.ln() - 3.0)).abs() < 1e-15);
/// let want = [1f64.exp() / sum, 2f64.exp() / sum, 3f64.exp() / sum - 1.0];
/// assert!(grad.as_slice().iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-15));
/// # Ok(()) }
/// ```
pub fn softmax_cross_entropy<T: Float>(
    logits: MatRef<'_, T>,
    labels: &[usize],
) -> Result<(T, Matrix<T>), ShapeError> {
    check_labels(&logits, labels)?;
    let mut grad = Matrix::try_zeros(logits.rows(), logits.cols())?;
    let loss = softmax_cross_entropy_into(logits, labels, grad.view_mut())?;
    Ok((loss, grad))
}

/// [`softmax_cross_entropy`] writing the gradient into a caller-owned view of `logits`' shape.
///
/// # Errors
/// As [`softmax_cross_entropy`], plus `DimensionMismatch` naming `grad`.
///
/// ```
/// use outerprod::grad::softmax_cross_entropy_into;
/// use outerprod::{MatMut, MatRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let z = [1000.0f64, 1000.0]; // e¹⁰⁰⁰ overflows; the shifted sum does not
/// let mut g = [0.0; 2];
/// let loss = softmax_cross_entropy_into(MatRef::row_major(&z, 1, 2)?, &[0],
///                                       MatMut::row_major(&mut g, 1, 2)?)?;
/// assert_eq!((loss, g), (2f64.ln(), [0.5 - 1.0, 0.5]));
/// # Ok(()) }
/// ```
pub fn softmax_cross_entropy_into<T: Float>(
    logits: MatRef<'_, T>,
    labels: &[usize],
    mut grad: MatMut<'_, T>,
) -> Result<T, ShapeError> {
    let (batch, classes) = logits.shape();
    check_labels(&logits, labels)?;
    check_shape(
        "grad",
        &grad.rb(),
        batch,
        classes,
        "(the shape of `logits`)",
    )?;
    if batch == 0 {
        return Ok(T::zero());
    }
    let inv = T::one() / count::<T>(batch)?;
    let mut total = T::zero();
    for (i, &label) in labels.iter().enumerate() {
        let max = (0..classes)
            .map(|j| logits.get(i, j))
            .fold(T::neg_infinity(), T::max);
        let mut sum = T::zero();
        for j in 0..classes {
            let e = (logits.get(i, j) - max).exp();
            grad.set(i, j, e);
            sum = sum + e;
        }
        // log Σ e^{z} − z_y = log Σ e^{z − max} − (z_y − max)
        total = total + sum.ln() - (logits.get(i, label) - max);
        let scale = inv / sum;
        for j in 0..classes {
            let p = grad.get(i, j) * scale;
            let v = if j == label { p - inv } else { p };
            grad.set(i, j, v);
        }
    }
    Ok(total * inv)
}

fn check_labels<T>(logits: &MatRef<'_, T>, labels: &[usize]) -> Result<(), ShapeError> {
    if labels.len() != logits.rows() {
        return Err(ShapeError::new(
            ErrorKind::LengthMismatch,
            "labels",
            format!("length {} (the rows of `logits`)", logits.rows()),
            format!("length {}", labels.len()),
        ));
    }
    if let Some((i, &l)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| l >= logits.cols())
    {
        return Err(ShapeError::new(
            ErrorKind::InvalidValue,
            "labels",
            format!(
                "class indices below {} (the columns of `logits`)",
                logits.cols()
            ),
            format!("labels[{i}] = {l}"),
        ));
    }
    Ok(())
}

/// `n` as `T` (the batch size divides the loss).
fn count<T: Float>(n: usize) -> Result<T, ShapeError> {
    T::from_usize(n).ok_or_else(|| {
        ShapeError::new(
            ErrorKind::Overflow,
            "batch",
            "a batch size representable in the element type",
            n.to_string(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_gradient_rows_sum_to_zero_and_loss_is_shift_invariant() {
        let z = Matrix::from_rows(&[[0.3f64, -1.2, 2.0, 0.0], [5.0, 5.0, -3.0, 1.0]]).unwrap();
        let shifted = Matrix::from_fn(2, 4, |i, j| z[(i, j)] + 100.0);
        let (l1, g1) = softmax_cross_entropy(z.view(), &[2, 0]).unwrap();
        let (l2, g2) = softmax_cross_entropy(shifted.view(), &[2, 0]).unwrap();
        assert!((l1 - l2).abs() < 1e-12);
        for i in 0..2 {
            assert!(g1.row(i).iter().sum::<f64>().abs() < 1e-15);
            for j in 0..4 {
                assert!((g1[(i, j)] - g2[(i, j)]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn bad_labels_are_errors() {
        let z = Matrix::<f64>::zeros(2, 3);
        let e = softmax_cross_entropy(z.view(), &[0]).unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::LengthMismatch, "labels")
        );
        let e = softmax_cross_entropy(z.view(), &[0, 3]).unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::InvalidValue, "labels")
        );
        assert!(e.to_string().contains("labels[1] = 3"));
    }

    #[test]
    fn empty_batch_has_zero_loss() {
        let z = Matrix::<f32>::zeros(0, 3);
        assert_eq!(softmax_cross_entropy(z.view(), &[]).unwrap().0, 0.0);
        assert_eq!(mse(z.view(), z.view()).unwrap().0, 0.0);
    }
}
