//! The gradient of a dense layer on one sample, with numbers.
//!
//! ```text
//! cargo run --example dense_gradient
//! ```
//!
//! Part 1: a layer with 3 inputs and 2 outputs receives `δ = ∂L/∂y`; its weight gradient is the
//! outer product `dW = δ xᵀ`. Part 2: for `y = w·x + b` and `L = (y − t)²` the chain rule gives
//! `dL/dy = 2(y − t)` and `dL/dw = 2(y − t)·x`; the example computes it with the crate and
//! checks it against central finite differences. The numbers are asserted by the doc test in
//! the `grad` module docs.

use std::error::Error;

use outerprod::grad::{check_gradients, mse, Dense, GradCheck};
use outerprod::{outer, Matrix};

fn main() -> Result<(), Box<dyn Error>> {
    // Part 1: dW = δ xᵀ.
    let x = [1.0, 2.0, 3.0];
    let delta = [0.5, -1.0];
    let dw = outer(&delta, &x);
    println!("x  = {x:?}");
    println!("δ  = {delta:?}");
    println!("dW = δ xᵀ =\n{dw:.1}");
    let layer = Dense::new(Matrix::<f64>::zeros(2, 3), vec![0.0; 2])?;
    let g = layer.backward_sample(&x, &delta)?;
    assert_eq!(g.weights(), &dw, "Dense::backward_sample is outer(δ, x)");
    println!(
        "(Dense::backward_sample gives the same dW, and db = δ = {:?})\n",
        g.bias()
    );

    // Part 2: y = w·x + b, L = (y − t)².
    let w = [0.5, -1.0, 0.25];
    let (b, t) = (0.1, 1.0);
    let layer = Dense::new(Matrix::from_vec(1, 3, w.to_vec())?, vec![b])?;
    let y = layer.forward_sample(&x)?[0];
    let (loss, dl_dy) = mse(
        Matrix::from_vec(1, 1, vec![y])?.view(),
        Matrix::from_vec(1, 1, vec![t])?.view(),
    )?;
    let dl_dy = dl_dy.as_slice()[0];
    let g = layer.backward_sample(&x, &[dl_dy])?;
    println!("w = {w:?}, b = {b}, t = {t}");
    println!("y = w·x + b = {y:.4}");
    println!("L = (y − t)² = {loss:.4}");
    println!("dL/dy = 2(y − t) = {dl_dy:.4}");
    println!(
        "dL/dw = 2(y − t)·x = {:?}",
        g.weights()
            .as_slice()
            .iter()
            .map(|v| (v * 1e4).round() / 1e4)
            .collect::<Vec<_>>()
    );
    println!("dL/db = 2(y − t) = {:.4}", g.bias()[0]);

    // Finite differences over (w, b).
    let mut params = w.to_vec();
    params.push(b);
    let mut analytic = g.weights().as_slice().to_vec();
    analytic.push(g.bias()[0]);
    let report = check_gradients(&params, &analytic, GradCheck::default(), |p| {
        let y: f64 = p[..3].iter().zip(&x).map(|(w, x)| w * x).sum::<f64>() + p[3];
        Ok((y - t) * (y - t))
    })?;
    println!(
        "finite differences: {:?}  (max relative error {:.1e})",
        report
            .numeric()
            .iter()
            .map(|v| (v * 1e4).round() / 1e4)
            .collect::<Vec<_>>(),
        report.max_rel_error()
    );
    if report.max_rel_error() > 1e-6 {
        return Err("finite differences disagree with the chain rule".into());
    }
    Ok(())
}
