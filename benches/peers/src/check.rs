//! Sampled correctness checks: every implementation's output is checked once per case, so a table
//! never shows the speed of a wrong answer (a mis-loaded library, a bad CPU path).

use rand::{rngs::StdRng, Rng, SeedableRng};

/// Checks `got(i, j)` against `want(i, j)` (value, tolerance) at the four corners and 252 random
/// positions of an m×n result.
pub fn sampled(
    what: &str,
    m: usize,
    n: usize,
    got: impl Fn(usize, usize) -> f64,
    want: impl Fn(usize, usize) -> (f64, f64),
) -> Result<(), String> {
    if m == 0 || n == 0 {
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(0x5eed ^ (m * 31 + n) as u64);
    let mut pts = vec![(0, 0), (m - 1, 0), (0, n - 1), (m - 1, n - 1)];
    pts.extend((0..252).map(|_| (rng.random_range(0..m), rng.random_range(0..n))));
    for (i, j) in pts {
        let g = got(i, j);
        let (w, tol) = want(i, j);
        if !(g - w).abs().le(&tol) {
            return Err(format!(
                "{what}: element ({i}, {j}) is {g:e}, expected {w:e} (tolerance {tol:e})"
            ));
        }
    }
    Ok(())
}

/// Test data in [-1, 1) from a seeded generator.
pub fn data<T: crate::elem::El>(len: usize, seed: u64) -> Vec<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..len)
        .map(|_| T::of(rng.random_range(-1.0..1.0)))
        .collect()
}
