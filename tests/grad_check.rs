//! Finite-difference checks (f64, relative error < 1e-6) of every layer, activation and loss of
//! the gradient module, and of a 2-layer MLP.

use outerprod::grad::{
    check_gradients, mse, softmax_cross_entropy, Accumulate, Activation, Dense, GradCheck, Mlp,
};
use outerprod::{MatRef, Matrix, ShapeError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const TOL: f64 = 1e-6;
const ACTIVATIONS: [Activation; 4] = [
    Activation::Identity,
    Activation::Relu,
    Activation::Tanh,
    Activation::Sigmoid,
];

fn random(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Matrix<f64> {
    Matrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
}

/// Applies an activation to a whole matrix.
fn activate(act: Activation, z: &Matrix<f64>) -> Matrix<f64> {
    let mut a = Matrix::zeros(z.rows(), z.cols());
    act.forward_into(z.as_slice(), a.as_mut_slice()).unwrap();
    a
}

/// Layout of the checked vector: W (row-major), b, X (row-major).
fn split(p: &[f64], out: usize, inp: usize) -> (Matrix<f64>, Vec<f64>, Matrix<f64>) {
    let (w, rest) = p.split_at(out * inp);
    let (b, x) = rest.split_at(out);
    (
        Matrix::from_vec(out, inp, w.to_vec()).unwrap(),
        b.to_vec(),
        Matrix::from_vec(x.len() / inp, inp, x.to_vec()).unwrap(),
    )
}

/// L = Σ r ⊙ f(X Wᵀ + 1bᵀ): checks dW, db and dX of a dense layer followed by `act`.
fn check_dense_with(act: Activation, seed: u64) -> f64 {
    let (batch, inp, out) = (5, 4, 3);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let w = random(out, inp, &mut rng);
    let b: Vec<f64> = (0..out).map(|_| rng.random_range(-0.5..0.5)).collect();
    let x = random(batch, inp, &mut rng);
    let r = random(batch, out, &mut rng);
    let layer = Dense::new(w.clone(), b.clone()).unwrap();
    let z = layer.forward(x.view()).unwrap();
    // ReLU has a kink at 0: the check is only meaningful away from it (h ≈ 6e-6 here).
    assert!(
        z.as_slice().iter().all(|v| v.abs() > 1e-3),
        "seed puts z near a kink"
    );
    let a = activate(act, &z);
    let mut dz = r.clone();
    act.backward_in_place(z.as_slice(), a.as_slice(), dz.as_mut_slice())
        .unwrap();
    let g = layer.backward(x.view(), dz.view()).unwrap();

    let mut params = w.as_slice().to_vec();
    params.extend(&b);
    params.extend(x.as_slice());
    let mut analytic = g.weights().as_slice().to_vec();
    analytic.extend(g.bias());
    analytic.extend(g.input().as_slice());
    let report = check_gradients(&params, &analytic, GradCheck::default(), |p| {
        let (w, b, x) = split(p, out, inp);
        let a = activate(act, &Dense::new(w, b)?.forward(x.view())?);
        Ok(a.as_slice()
            .iter()
            .zip(r.as_slice())
            .map(|(a, r)| a * r)
            .sum())
    })
    .unwrap();
    report.max_rel_error()
}

#[test]
fn dense_layer_with_every_activation() {
    for act in ACTIVATIONS {
        let e = check_dense_with(act, 1);
        assert!(e < TOL, "{act:?}: max relative error {e:e}");
    }
}

#[test]
fn single_sample_forms_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (inp, out) = (6, 4);
    let w = random(out, inp, &mut rng);
    let b = vec![0.1, -0.2, 0.3, 0.0];
    let x: Vec<f64> = (0..inp).map(|_| rng.random_range(-1.0..1.0)).collect();
    let r: Vec<f64> = (0..out).map(|_| rng.random_range(-1.0..1.0)).collect();
    let layer = Dense::new(w.clone(), b.clone()).unwrap();
    let g = layer.backward_sample(&x, &r).unwrap(); // L = r·y, so δ = r
    let mut params = w.as_slice().to_vec();
    params.extend(&b);
    params.extend(&x);
    let mut analytic = g.weights().as_slice().to_vec();
    analytic.extend(g.bias());
    analytic.extend(g.input().as_slice());
    let report = check_gradients(&params, &analytic, GradCheck::default(), |p| {
        let (w, b, x) = split(p, out, inp);
        let y = Dense::new(w, b)?.forward_sample(x.as_slice())?;
        Ok(y.iter().zip(&r).map(|(y, r)| y * r).sum())
    })
    .unwrap();
    assert!(report.max_rel_error() < TOL, "{}", report.max_rel_error());
}

#[test]
fn mse_gradient() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let p = random(4, 3, &mut rng);
    let t = random(4, 3, &mut rng);
    let (_, g) = mse(p.view(), t.view()).unwrap();
    let report = check_gradients(p.as_slice(), g.as_slice(), GradCheck::default(), |q| {
        Ok(mse(MatRef::row_major(q, 4, 3)?, t.view())?.0)
    })
    .unwrap();
    assert!(report.max_rel_error() < TOL, "{}", report.max_rel_error());
}

#[test]
fn softmax_cross_entropy_gradient_including_large_logits() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for scale in [1.0, 30.0] {
        let z = Matrix::from_fn(5, 4, |_, _| scale * rng.random_range(-1.0..1.0));
        let labels = [0, 3, 1, 1, 2];
        let (_, g) = softmax_cross_entropy(z.view(), &labels).unwrap();
        let report = check_gradients(z.as_slice(), g.as_slice(), GradCheck::default(), |q| {
            Ok(softmax_cross_entropy(MatRef::row_major(q, 5, 4)?, &labels)?.0)
        })
        .unwrap();
        assert!(
            report.max_rel_error() < TOL,
            "scale {scale}: {}",
            report.max_rel_error()
        );
    }
}

/// The loss of `net` on (x, labels) with the given parameters.
fn mlp_loss(
    net: &Mlp<f64>,
    p: &[f64],
    x: &Matrix<f64>,
    labels: &[usize],
) -> Result<f64, ShapeError> {
    let mut net = net.clone();
    net.set_params(p)?;
    let logits = net.predict(x.view())?;
    Ok(softmax_cross_entropy(logits.view(), labels)?.0)
}

#[test]
fn two_layer_mlp_with_every_hidden_activation() {
    for hidden in ACTIVATIONS {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut net = Mlp::init(&[6, 7, 4], hidden, Activation::Identity, &mut rng).unwrap();
        let x = random(8, 6, &mut rng);
        let labels: Vec<usize> = (0..8).map(|i| (i * 3) % 4).collect();
        let logits = net.forward(x.view()).unwrap().to_matrix();
        let (_, dy) = softmax_cross_entropy(logits.view(), &labels).unwrap();
        net.backward(dy.view(), Accumulate::Overwrite).unwrap();
        let params = net.params_to_vec();
        let report = check_gradients(&params, &net.grads_to_vec(), GradCheck::default(), |p| {
            mlp_loss(&net, p, &x, &labels)
        })
        .unwrap();
        assert!(
            report.max_rel_error() < TOL,
            "{hidden:?}: {:e} at parameter {}",
            report.max_rel_error(),
            report.worst_index()
        );
    }
}

#[test]
fn three_layer_mlp_with_mse_and_sigmoid_output() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut net = Mlp::init(
        &[3, 5, 4, 2],
        Activation::Tanh,
        Activation::Sigmoid,
        &mut rng,
    )
    .unwrap();
    let x = random(6, 3, &mut rng);
    let t = random(6, 2, &mut rng);
    let out = net.forward(x.view()).unwrap().to_matrix();
    let (_, dy) = mse(out.view(), t.view()).unwrap();
    net.backward(dy.view(), Accumulate::Overwrite).unwrap();
    let report = check_gradients(
        &net.params_to_vec(),
        &net.grads_to_vec(),
        GradCheck::default(),
        |p| {
            let mut n = net.clone();
            n.set_params(p)?;
            Ok(mse(n.predict(x.view())?.view(), t.view())?.0)
        },
    )
    .unwrap();
    assert!(report.max_rel_error() < TOL, "{:e}", report.max_rel_error());
}

#[test]
fn check_catches_a_wrong_layer_gradient() {
    // The same check with dW off by 0.1 % in one entry must fail the 1e-6 bound.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let layer = Dense::new(random(2, 3, &mut rng), vec![0.0; 2]).unwrap();
    let x = random(4, 3, &mut rng);
    let r = random(4, 2, &mut rng);
    let g = layer.backward(x.view(), r.view()).unwrap();
    let mut analytic = g.weights().as_slice().to_vec();
    analytic[4] *= 1.001;
    let report = check_gradients(
        layer.weights().as_slice(),
        &analytic,
        GradCheck::default(),
        |p| {
            let l = Dense::new(Matrix::from_vec(2, 3, p.to_vec())?, vec![0.0; 2])?;
            let y = l.forward(x.view())?;
            Ok(y.as_slice()
                .iter()
                .zip(r.as_slice())
                .map(|(y, r)| y * r)
                .sum())
        },
    )
    .unwrap();
    assert_eq!(report.worst_index(), 4);
    assert!(report.max_rel_error() > 1e-4);
}
