//! The kernels run on the caller's rayon pool and never touch the global one.
//!
//! rayon creates its global pool lazily, and `build_global` fails once it exists. So after
//! running every threaded kernel inside a custom pool, a successful `build_global` proves that
//! none of them reached for the global pool (which would oversubscribe the machine). This file
//! holds a single test so that nothing else in the process can create the global pool first.
#![cfg(feature = "rayon")]

use outerprod::{gemm, ger, outer_into, MatMut, MatRef, VecRef};

#[test]
fn kernels_stay_inside_the_callers_pool() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        let (m, n, k) = (384, 320, 256);
        let a: Vec<f64> = (0..m * k).map(|i| (i % 13) as f64 - 6.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i % 7) as f64 - 3.0).collect();
        let mut c = vec![0.0; m * n];
        gemm(
            1.0,
            MatRef::row_major(&a, m, k).unwrap(),
            MatRef::row_major(&b, k, n).unwrap(),
            0.0,
            MatMut::row_major(&mut c, m, n).unwrap(),
        )
        .unwrap();

        let x: Vec<f32> = (0..2048).map(|i| i as f32).collect();
        let y: Vec<f32> = (0..1024).map(|i| 1.0 / (1.0 + i as f32)).collect();
        let mut out = vec![0.0f32; x.len() * y.len()];
        outer_into(&mut out, &x, &y).unwrap();
        ger(
            2.0,
            VecRef::from(&x[..]),
            VecRef::from(&y[..]),
            MatMut::row_major(&mut out, x.len(), y.len()).unwrap(),
        )
        .unwrap();
    });
    assert!(
        rayon::ThreadPoolBuilder::new().build_global().is_ok(),
        "a kernel used rayon's global pool instead of the caller's"
    );
}
