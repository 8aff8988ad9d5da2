//! Many callers at once: plain threads, a user's `par_iter`, and custom pools of several sizes.
//! Each must finish (no deadlock) and give exactly the single-threaded result.
#![cfg(feature = "rayon")]

use outerprod::{gemm, ger, outer_into, MatMut, MatRef, VecRef};
use rayon::prelude::*;

/// One job: a gemm big enough for the blocked, threaded path, then an outer and a ger.
fn job(seed: u64) -> (Vec<f32>, Vec<f64>) {
    let (m, n, k) = (130, 97, 150);
    let v = |i: usize, s: u64| ((i as u64 * 2654435761 + s * 97) % 1009) as f32 / 1009.0 - 0.5;
    let a: Vec<f32> = (0..m * k).map(|i| v(i, seed)).collect();
    let b: Vec<f32> = (0..k * n).map(|i| v(i, seed + 1)).collect();
    let mut c: Vec<f32> = (0..m * n).map(|i| v(i, seed + 2)).collect();
    gemm(
        0.5,
        MatRef::row_major(&a, m, k).unwrap(),
        MatRef::col_major(&b, k, n).unwrap(),
        -1.0,
        MatMut::row_major(&mut c, m, n).unwrap(),
    )
    .unwrap();

    let x: Vec<f64> = (0..700).map(|i| v(i, seed + 3) as f64).collect();
    let y: Vec<f64> = (0..300).map(|i| v(i, seed + 4) as f64).collect();
    let mut o = vec![0.0; x.len() * y.len()];
    outer_into(&mut o, &x, &y).unwrap();
    ger(
        -0.25,
        VecRef::from(&y[..]),
        VecRef::new(&x, x.len() - 1, x.len(), -1).unwrap(),
        MatMut::col_major(&mut o, y.len(), x.len()).unwrap(),
    )
    .unwrap();
    (c, o)
}

fn sequential(seeds: &[u64]) -> Vec<(Vec<f32>, Vec<f64>)> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| seeds.iter().map(|&s| job(s)).collect())
}

#[test]
fn many_os_threads_at_once() {
    let seeds: Vec<u64> = (0..8).collect();
    let expect = sequential(&seeds);
    let got: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = seeds.iter().map(|&i| s.spawn(move || job(i))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(got == expect, "results differ from the single-threaded run");
}

#[test]
fn inside_a_users_par_iter() {
    let seeds: Vec<u64> = (10..26).collect();
    let expect = sequential(&seeds);
    let got: Vec<_> = seeds.par_iter().map(|&s| job(s)).collect();
    assert!(got == expect);
}

#[test]
fn inside_custom_pools_of_every_size() {
    let seeds: Vec<u64> = (40..44).collect();
    let expect = sequential(&seeds);
    for threads in [1, 2, 3, 5] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let got: Vec<_> = pool.install(|| seeds.par_iter().map(|&s| job(s)).collect());
        assert!(got == expect, "{threads} threads");
    }
}
