//! Dense-layer forward and backward (f32), with FLOP throughput.
//!
//! ```text
//! cargo bench --bench dense -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Shapes (batch, in, out) = (1, 784, 128), (64, 784, 128), (256, 1024, 1024).
//! - `dense_forward`: `Y = X Wᵀ + 1bᵀ`, 2·batch·in·out FLOPs.
//! - `dense_backward`: `dW = dYᵀX`, `db = Σ_rows dY`, `dX = dY W`, counted as 4·batch·in·out
//!   FLOPs. `fused` is `Dense::backward_into` (db summed while dYᵀ is packed); `unfused` is the
//!   same two GEMMs through the public `gemm` plus a separate pass over dY for db.
//! - `dense_backward_params`: dW and db only (no dX), where the saved pass over dY is the
//!   largest share; 2·batch·in·out FLOPs.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use outerprod::grad::{Accumulate, Dense, DenseGrads};
use outerprod::{gemm, MatRef, Matrix};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

const SHAPES: [(usize, usize, usize); 3] = [(1, 784, 128), (64, 784, 128), (256, 1024, 1024)];

fn random(rows: usize, cols: usize, seed: u64) -> Matrix<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Matrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0f32..1.0))
}

fn label((b, i, o): (usize, usize, usize)) -> String {
    format!("{b}x{i}x{o}")
}

/// The unfused backward: dW and dX through the public GEMM, db in its own pass over dY.
fn unfused(
    layer: &Dense<f32>,
    x: MatRef<'_, f32>,
    dy: &Matrix<f32>,
    dw: &mut Matrix<f32>,
    db: &mut [f32],
    dx: Option<&mut Matrix<f32>>,
) {
    gemm(1.0, dy.transpose(), x, 0.0, dw.view_mut()).unwrap();
    db.fill(0.0);
    for i in 0..dy.rows() {
        for (s, &v) in db.iter_mut().zip(dy.row(i)) {
            *s += v;
        }
    }
    if let Some(dx) = dx {
        gemm(1.0, dy.view(), layer.weights().view(), 0.0, dx.view_mut()).unwrap();
    }
}

fn bench_dense(c: &mut Criterion) {
    let mut fwd = c.benchmark_group("dense_forward");
    for &shape in &SHAPES {
        let (b, i, o) = shape;
        let layer = Dense::new(random(o, i, 1), vec![0.1; o]).unwrap();
        let x = random(b, i, 2);
        let mut y = Matrix::zeros(b, o);
        fwd.throughput(Throughput::Elements((2 * b * i * o) as u64));
        if b * i * o > 1 << 26 {
            fwd.sample_size(10);
        }
        fwd.bench_function(BenchmarkId::from_parameter(label(shape)), |bn| {
            bn.iter(|| {
                layer
                    .forward_into(black_box(x.view()), y.view_mut())
                    .unwrap()
            })
        });
    }
    fwd.finish();

    for (group, with_dx) in [("dense_backward", true), ("dense_backward_params", false)] {
        let mut g = c.benchmark_group(group);
        for &shape in &SHAPES {
            let (b, i, o) = shape;
            let layer = Dense::new(random(o, i, 1), vec![0.1; o]).unwrap();
            let x = random(b, i, 2);
            let dy = random(b, o, 3);
            let mut grads = DenseGrads::for_layer(&layer);
            let mut dx = Matrix::zeros(b, i);
            let mut dw = Matrix::zeros(o, i);
            let mut db = vec![0.0; o];
            let gemms = if with_dx { 4 } else { 2 };
            g.throughput(Throughput::Elements((gemms * b * i * o) as u64));
            if b * i * o > 1 << 26 {
                g.sample_size(10);
            }
            g.bench_function(BenchmarkId::new("fused", label(shape)), |bn| {
                bn.iter(|| {
                    let dxv = with_dx.then(|| dx.view_mut());
                    layer
                        .backward_into(x.view(), dy.view(), &mut grads, Accumulate::Overwrite, dxv)
                        .unwrap()
                })
            });
            g.bench_function(BenchmarkId::new("unfused", label(shape)), |bn| {
                bn.iter(|| {
                    let dxm = if with_dx { Some(&mut dx) } else { None };
                    unfused(&layer, x.view(), &dy, &mut dw, &mut db, dxm)
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench_dense);
criterion_main!(benches);
