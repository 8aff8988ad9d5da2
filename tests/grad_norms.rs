//! Per-example gradient norms and DP-SGD clipping against materialised per-example gradients.

use outerprod::grad::{
    clip_per_example, per_example_norms, softmax_cross_entropy, Accumulate, Activation, Dense,
    DenseGrads, Mlp,
};
use outerprod::{ErrorKind, Matrix};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Matrix<f64> {
    Matrix::from_fn(rows, cols, |_, _| rng.random_range(-2.0..2.0))
}

/// Example i's gradient (dW, db) = (δᵢ xᵢᵀ, δᵢ), materialised.
fn materialise(layer: &Dense<f64>, x: &Matrix<f64>, dy: &Matrix<f64>, i: usize) -> Vec<f64> {
    let one = |m: &Matrix<f64>| Matrix::from_vec(1, m.cols(), m.row(i).to_vec()).unwrap();
    let g = layer.backward(one(x).view(), one(dy).view()).unwrap();
    let mut v = g.weights().as_slice().to_vec();
    v.extend(g.bias());
    v
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

#[test]
fn norms_match_materialised_per_example_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for (batch, inp, out) in [(1, 1, 1), (7, 5, 3), (16, 33, 9)] {
        let layer = Dense::new(random(out, inp, &mut rng), vec![0.0; out]).unwrap();
        let x = random(batch, inp, &mut rng);
        let dy = random(batch, out, &mut rng);
        let mut norms = vec![0.0; batch];
        per_example_norms(x.view(), dy.view(), &mut norms).unwrap();
        for (i, &n) in norms.iter().enumerate() {
            let want = norm(&materialise(&layer, &x, &dy, i));
            assert!(
                (n - want).abs() <= 1e-13 * want,
                "{batch}×{inp}→{out}, row {i}"
            );
        }
    }
}

#[test]
fn clipped_gemm_equals_sum_of_clipped_materialised_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (batch, inp, out) = (12, 6, 4);
    let layer = Dense::new(random(out, inp, &mut rng), vec![0.0; out]).unwrap();
    let x = random(batch, inp, &mut rng);
    let dy = random(batch, out, &mut rng);
    let c = 7.0;
    let mut clipped = Matrix::zeros(batch, out);
    let n_clipped = clip_per_example(x.view(), dy.view(), c, clipped.view_mut()).unwrap();
    let mut g = DenseGrads::for_layer(&layer);
    layer
        .backward_into(
            x.view(),
            clipped.view(),
            &mut g,
            Accumulate::Overwrite,
            None,
        )
        .unwrap();

    let mut want = vec![0.0; out * inp + out];
    let mut count = 0;
    for i in 0..batch {
        let gi = materialise(&layer, &x, &dy, i);
        let n = norm(&gi);
        let f = if n > c { c / n } else { 1.0 };
        count += usize::from(f < 1.0);
        for (w, v) in want.iter_mut().zip(&gi) {
            *w += f * v;
        }
    }
    // the bound matters for some rows and not others in this draw
    assert!(count > 0 && count < batch, "{count}");
    assert_eq!(n_clipped, count);
    let mut got = g.weights().as_slice().to_vec();
    got.extend(g.bias());
    for (a, b) in got.iter().zip(&want) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

#[test]
fn mlp_clipped_backward_clips_each_examples_whole_gradient() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut net = Mlp::init(&[5, 6, 3], Activation::Tanh, Activation::Identity, &mut rng).unwrap();
    let x = random(10, 5, &mut rng);
    let labels: Vec<usize> = (0..10).map(|i| i % 3).collect();
    let c = 0.4;

    // Reference: each example alone, its full gradient (all layers) materialised and clipped.
    // The batch loss is a mean, so example i's share of the batch gradient is gᵢ/batch.
    let mut want = vec![0.0; net.num_params()];
    let mut count = 0;
    for i in 0..10 {
        let xi = Matrix::from_vec(1, 5, x.row(i).to_vec()).unwrap();
        let logits = net.forward(xi.view()).unwrap().to_matrix();
        let (_, dy) = softmax_cross_entropy(logits.view(), &labels[i..=i]).unwrap();
        net.backward(dy.view(), Accumulate::Overwrite).unwrap();
        let gi: Vec<f64> = net.grads_to_vec().iter().map(|g| g / 10.0).collect();
        let n = norm(&gi);
        let f = if n > c { c / n } else { 1.0 };
        count += usize::from(f < 1.0);
        for (w, v) in want.iter_mut().zip(&gi) {
            *w += f * v;
        }
    }
    assert!(count > 0 && count < 10, "{count}");

    let logits = net.forward(x.view()).unwrap().to_matrix();
    let (_, dy) = softmax_cross_entropy(logits.view(), &labels).unwrap();
    let n = net
        .backward_clipped(dy.view(), c, Accumulate::Overwrite)
        .unwrap();
    assert_eq!(n, count);
    for (a, b) in net.grads_to_vec().iter().zip(&want) {
        assert!((a - b).abs() < 1e-13, "{a} vs {b}");
    }

    // A bound above every norm leaves the ordinary gradient.
    net.backward_clipped(dy.view(), 1e9, Accumulate::Overwrite)
        .unwrap();
    let clipped_free = net.grads_to_vec();
    net.backward(dy.view(), Accumulate::Overwrite).unwrap();
    assert_eq!(clipped_free, net.grads_to_vec());
}

/// Opacus (`max_grad_norm = C`, mean reduction) clips each example's own gradient ∇ℓᵢ to C and
/// averages. The crate's mean losses hand over rows ∇ℓᵢ/B, so the documented conversion is
/// `max_norm = C/B`; this checks it against that definition, example by example.
#[test]
fn a_mean_loss_with_the_bound_over_the_batch_clips_like_opacus() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut net = Mlp::init(&[4, 5, 3], Activation::Relu, Activation::Identity, &mut rng).unwrap();
    let batch = 8;
    let x = random(batch, 4, &mut rng);
    let labels: Vec<usize> = (0..batch).map(|i| (i * 7) % 3).collect();
    let c = 3.0;

    let mut want = vec![0.0; net.num_params()];
    let mut own_norms = Vec::new();
    for i in 0..batch {
        let xi = Matrix::from_vec(1, 4, x.row(i).to_vec()).unwrap();
        let logits = net.forward(xi.view()).unwrap().to_matrix();
        // a batch of one: dy is ∇ℓᵢ itself
        let (_, dy) = softmax_cross_entropy(logits.view(), &labels[i..=i]).unwrap();
        net.backward(dy.view(), Accumulate::Overwrite).unwrap();
        let gi = net.grads_to_vec();
        let n = norm(&gi);
        own_norms.push(n);
        let f = if n > c { c / n } else { 1.0 };
        for (w, v) in want.iter_mut().zip(&gi) {
            *w += f * v / batch as f64;
        }
    }
    let count = own_norms.iter().filter(|&&n| n > c).count();
    assert!(count > 0 && count < batch, "{own_norms:?}");

    let logits = net.forward(x.view()).unwrap().to_matrix();
    let (_, dy) = softmax_cross_entropy(logits.view(), &labels).unwrap();
    let clipped = net
        .backward_clipped(dy.view(), c / batch as f64, Accumulate::Overwrite)
        .unwrap();
    assert_eq!(clipped, count);
    for (a, b) in net.grads_to_vec().iter().zip(&want) {
        assert!((a - b).abs() < 1e-13, "{a} vs {b}");
    }
}

/// A layer of no outputs has no per-example rows to scale: an error-free no-op, not a panic.
#[test]
fn clipped_backward_through_a_layer_of_no_outputs() {
    let l1 = Dense::new(Matrix::<f64>::zeros(0, 2), vec![]).unwrap();
    let l2 = Dense::new(Matrix::<f64>::zeros(1, 0), vec![0.5]).unwrap();
    let mut net = Mlp::new(vec![l1, l2], vec![Activation::Relu, Activation::Identity]).unwrap();
    net.forward(Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]).unwrap().view())
        .unwrap();
    let dy = Matrix::from_rows(&[[1.0], [-3.0]]).unwrap();
    // ‖gᵢ‖ = |δᵢ| (the bias alone): example 1 is clipped to norm 1
    let n = net
        .backward_clipped(dy.view(), 1.0, Accumulate::Overwrite)
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(net.gradients()[1].bias(), &[1.0 - 1.0]);
}

#[test]
fn bad_arguments_are_errors() {
    let x = Matrix::<f64>::zeros(3, 2);
    let dy = Matrix::<f64>::zeros(4, 2);
    let mut out = vec![0.0; 3];
    let e = per_example_norms(x.view(), dy.view(), &mut out).unwrap_err();
    assert_eq!(
        (e.kind(), e.argument()),
        (ErrorKind::DimensionMismatch, "dy")
    );
    let dy = Matrix::<f64>::zeros(3, 2);
    let e = per_example_norms(x.view(), dy.view(), &mut out[..2]).unwrap_err();
    assert_eq!(e.argument(), "out");
    let mut c = Matrix::zeros(3, 2);
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = clip_per_example(x.view(), dy.view(), bad, c.view_mut()).unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::InvalidValue, "max_norm")
        );
    }
    let mut c = Matrix::zeros(3, 1);
    let e = clip_per_example(x.view(), dy.view(), 1.0, c.view_mut()).unwrap_err();
    assert_eq!(e.argument(), "clipped");
}
