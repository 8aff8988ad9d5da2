//! Dense forward/backward against the reference loops: random shapes, every stride pattern of
//! X and dY (row-major, column-major, negative strides), f32 against an f64 reference,
//! single-sample forms, micro-batch accumulation, and 1 vs 2 threads.

use outerprod::grad::{Accumulate, Dense, DenseGrads};
use outerprod::{reference, MatRef, Matrix};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random<T: From<f32>>(rows: usize, cols: usize, seed: u64) -> Matrix<T> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Matrix::from_fn(rows, cols, |_, _| T::from(rng.random_range(-1.0f32..1.0)))
}

/// How a logical (rows × cols) operand is stored.
#[derive(Clone, Copy, Debug)]
enum Store {
    RowMajor,
    ColMajor,
    ReversedRows,
    Padded,
}

/// Backing data for `m` in the given storage; `view` rebuilds the logical matrix from it.
fn store(m: &Matrix<f64>, how: Store) -> (Vec<f64>, usize, isize, isize) {
    let (r, c) = m.shape();
    match how {
        Store::RowMajor => (m.as_slice().to_vec(), 0, c as isize, 1),
        Store::ColMajor => (
            m.transpose().to_matrix().into_vec(),
            0,
            1,
            r.max(1) as isize,
        ),
        Store::ReversedRows => {
            let rev = Matrix::from_fn(r, c, |i, j| m[(r - 1 - i, j)]);
            (rev.into_vec(), r.saturating_sub(1) * c, -(c as isize), 1)
        }
        Store::Padded => {
            let ld = c + 3;
            let mut d = vec![f64::NAN; r * ld + 1];
            for i in 0..r {
                for j in 0..c {
                    d[1 + i * ld + j] = m[(i, j)];
                }
            }
            (d, 1, ld as isize, 1)
        }
    }
}

fn store_strategy() -> impl Strategy<Value = Store> {
    prop_oneof![
        Just(Store::RowMajor),
        Just(Store::ColMajor),
        Just(Store::ReversedRows),
        Just(Store::Padded)
    ]
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(p, q)| (p - q).abs() <= tol * (1.0 + q.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn forward_and_backward_match_reference_for_any_strides(
        batch in 0usize..12, inp in 1usize..12, out in 1usize..12,
        sx in store_strategy(), sd in store_strategy(), seed in 0u64..1000,
    ) {
        let w = random::<f64>(out, inp, seed);
        let b: Vec<f64> = (0..out).map(|j| 0.25 * j as f64 - 1.0).collect();
        let x = random::<f64>(batch, inp, seed + 1);
        let dy = random::<f64>(batch, out, seed + 2);
        let layer = Dense::new(w.clone(), b.clone()).unwrap();
        let (xd, xo, xr, xc) = store(&x, sx);
        let xv = MatRef::new(&xd, xo, batch, inp, xr, xc).unwrap();
        let (dd, d_o, dr, dc) = store(&dy, sd);
        let dv = MatRef::new(&dd, d_o, batch, out, dr, dc).unwrap();
        prop_assert_eq!(xv.to_matrix(), x.clone());

        let y = layer.forward(xv).unwrap();
        let mut want_y = Matrix::from_fn(batch, out, |_, j| b[j]);
        reference::gemm(1.0, x.view(), w.transpose(), 1.0, want_y.view_mut());
        prop_assert!(close(y.as_slice(), want_y.as_slice(), 1e-13));

        let g = layer.backward(xv, dv).unwrap();
        let mut dw = Matrix::zeros(out, inp);
        reference::gemm(1.0, dy.transpose(), x.view(), 0.0, dw.view_mut());
        let db: Vec<f64> = (0..out).map(|j| (0..batch).map(|i| dy[(i, j)]).sum()).collect();
        let mut dx = Matrix::zeros(batch, inp);
        reference::gemm(1.0, dy.view(), w.view(), 0.0, dx.view_mut());
        prop_assert!(close(g.weights().as_slice(), dw.as_slice(), 1e-13));
        prop_assert!(close(g.bias(), &db, 1e-13));
        prop_assert!(close(g.input().as_slice(), dx.as_slice(), 1e-13));
    }

    #[test]
    fn micro_batches_accumulate_to_the_full_batch(
        batch in 1usize..20, split in 0usize..20, seed in 0u64..1000,
    ) {
        let split = split.min(batch);
        let layer = Dense::new(random::<f64>(5, 7, seed), vec![0.0; 5]).unwrap();
        let x = random::<f64>(batch, 7, seed + 1);
        let dy = random::<f64>(batch, 5, seed + 2);
        let full = layer.backward(x.view(), dy.view()).unwrap();
        let mut g = DenseGrads::for_layer(&layer);
        g.scale(f64::NAN); // Overwrite must not read these
        for (i, (start, len)) in [(0, split), (split, batch - split)].into_iter().enumerate() {
            let acc = if i == 0 { Accumulate::Overwrite } else { Accumulate::Add };
            let xs = x.view().submatrix(start, 0, len, 7).unwrap();
            let ds = dy.view().submatrix(start, 0, len, 5).unwrap();
            layer.backward_into(xs, ds, &mut g, acc, None).unwrap();
        }
        prop_assert!(close(g.weights().as_slice(), full.weights().as_slice(), 1e-13));
        prop_assert!(close(g.bias(), full.bias(), 1e-13));
    }
}

#[test]
fn single_sample_forms_equal_the_batch_of_one() {
    let layer = Dense::new(random::<f64>(9, 13, 1), (0..9).map(|j| j as f64).collect()).unwrap();
    let x = random::<f64>(1, 13, 2);
    let d = random::<f64>(1, 9, 3);
    let batch = layer.backward(x.view(), d.view()).unwrap();
    let one = layer.backward_sample(x.as_slice(), d.as_slice()).unwrap();
    // δᵢxⱼ is a single rounded product on both paths.
    assert_eq!(one.weights(), batch.weights());
    assert_eq!(one.bias(), batch.bias());
    assert!(close(
        one.input().as_slice(),
        batch.input().as_slice(),
        1e-14
    ));
    assert_eq!(
        layer.forward_sample(x.as_slice()).unwrap(),
        layer.forward(x.view()).unwrap().into_vec()
    );

    // ger accumulation over the rows of a batch equals the batch gradient.
    let xs = random::<f64>(6, 13, 4);
    let ds = random::<f64>(6, 9, 5);
    let mut g = DenseGrads::for_layer(&layer);
    let mut dx = vec![0.0; 13];
    for i in 0..6 {
        layer
            .backward_sample_into(xs.row(i), ds.row(i), &mut g, Some(&mut dx))
            .unwrap();
    }
    let full = layer.backward(xs.view(), ds.view()).unwrap();
    assert!(close(
        g.weights().as_slice(),
        full.weights().as_slice(),
        1e-13
    ));
    assert!(close(g.bias(), full.bias(), 1e-13));
    assert!(close(&dx, full.input().row(5), 1e-13));
}

#[test]
fn f32_backward_is_within_k_epsilon_of_the_f64_reference() {
    let (batch, inp, out) = (67, 129, 33);
    let w = random::<f32>(out, inp, 7);
    let x = random::<f32>(batch, inp, 8);
    let dy = random::<f32>(batch, out, 9);
    let layer = Dense::new(w.clone(), vec![0.0; out]).unwrap();
    let g = layer.backward(x.view(), dy.view()).unwrap();
    let to64 = |m: &Matrix<f32>| Matrix::from_fn(m.rows(), m.cols(), |i, j| m[(i, j)] as f64);
    let (w64, x64, d64) = (to64(&w), to64(&x), to64(&dy));
    let mut dw = Matrix::zeros(out, inp);
    reference::gemm(1.0, d64.transpose(), x64.view(), 0.0, dw.view_mut());
    let mut dx = Matrix::zeros(batch, inp);
    reference::gemm(1.0, d64.view(), w64.view(), 0.0, dx.view_mut());
    // |error| ≤ k·ε·Σ|a||b| ≤ k·ε·k for entries in [−1, 1]
    let bound = |k: usize| (k * k) as f64 * f32::EPSILON as f64;
    for (a, b) in g.weights().as_slice().iter().zip(dw.as_slice()) {
        assert!((*a as f64 - b).abs() <= bound(batch));
    }
    for (a, b) in g.input().as_slice().iter().zip(dx.as_slice()) {
        assert!((*a as f64 - b).abs() <= bound(out));
    }
    for (j, &s) in g.bias().iter().enumerate() {
        let want: f64 = (0..batch).map(|i| d64[(i, j)]).sum();
        assert!((s as f64 - want).abs() <= bound(batch));
    }
}

#[cfg(feature = "rayon")]
#[test]
fn one_and_two_threads_give_bitwise_equal_gradients() {
    let (batch, inp, out) = (128, 300, 257);
    let layer = Dense::new(random::<f32>(out, inp, 10), vec![0.5; out]).unwrap();
    let x = random::<f32>(batch, inp, 11);
    let dy = random::<f32>(batch, out, 12);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let y = layer.forward(x.view()).unwrap();
            (y, layer.backward(x.view(), dy.view()).unwrap())
        })
    };
    assert_eq!(run(1), run(2));
}
