//! Group `ger-paired` (issue 3): `outerprod::ger` against OpenBLAS `cblas_?ger` and the
//! in-place read+modify+write pass, in short alternating batches on the same A.
//!
//! The `ger` group times each implementation for its whole budget before the next, so the two
//! sides of a ratio are taken up to a second apart, and this host's swings (the same 4096² f32
//! update at 20 GB/s in one run and 42 in the next) land on one side only. Here the three take
//! turns batch by batch ([`BATCH`], [`ROUNDS`] rounds, the first of each round rotating), and
//! each ratio is the median over rounds of the ratio within a round.
//!
//! With more than one thread, OpenBLAS's idle workers busy-wait for about 2²⁸ cycles after
//! each call and would hold the core that the next batch needs, so every OpenBLAS batch is
//! followed by an untimed sleep of [`COOL_DOWN`] (as in the `ger` group). On the Emerald
//! Rapids guest a batch right after such a sleep ran slow for tens of milliseconds. In a
//! 4096² f32 `ger` at 2 threads, outerprod's batch right after the sleep read 0.79–0.83 of
//! OpenBLAS; the same call two places later in the same rounds read 1.02–1.04. After 250 and
//! 400 ms of sleep it read 0.55 and 0.57, and the batch after it 0.62 and 0.75. So the
//! implementation that follows a sleep first runs untimed for [`SETTLE`]. Without that, the
//! same one would always pay, since the rotation keeps the cyclic order.

use std::time::{Duration, Instant};

use crate::cblas::Blas;
use crate::check;
use crate::elem::El;
use crate::ger::Rank1;
use crate::harness::Cfg;
use crate::outer::SIZES;
use crate::physical;

/// Shortest batch of back-to-back calls.
const BATCH: Duration = Duration::from_millis(20);

/// Rounds: each implementation runs this many batches.
const ROUNDS: usize = 31;

/// Untimed pause after an OpenBLAS batch when more than one thread runs.
const COOL_DOWN: Duration = Duration::from_millis(120);

/// Untimed calls of the next implementation after a [`COOL_DOWN`] (30–120 ms all measured
/// alike in the 4096² f32 case above).
const SETTLE: Duration = Duration::from_millis(50);

/// Batches of the three implementations in turn; per-round rates (GB/s) of each. After a
/// batch of `calls[cool]`, sleeps [`COOL_DOWN`] when `cool` is given, and the next batch
/// starts with [`SETTLE`] of untimed calls.
fn rounds(bytes: f64, calls: &mut [&mut dyn FnMut()], cool: Option<usize>) -> Vec<Vec<f64>> {
    let mut rates = vec![Vec::with_capacity(ROUNDS); calls.len()];
    let mut slept = false;
    for r in 0..ROUNDS {
        for q in 0..calls.len() {
            let i = (q + r) % calls.len();
            if std::mem::take(&mut slept) {
                let t0 = Instant::now();
                while t0.elapsed() < SETTLE {
                    calls[i]();
                }
            }
            let t0 = Instant::now();
            let mut done = 0u32;
            while done < 2 || t0.elapsed() < BATCH {
                calls[i]();
                done += 1;
            }
            rates[i].push(bytes * f64::from(done) / t0.elapsed().as_secs_f64() / 1e9);
            if cool == Some(i) {
                std::thread::sleep(COOL_DOWN);
                slept = true;
            }
        }
    }
    rates
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median over rounds of `num[r] / den[r]`.
fn paired(num: &[f64], den: &[f64]) -> f64 {
    median(num.iter().zip(den).map(|(a, b)| a / b).collect())
}

/// Runs the group for one element type; prints one table per thread count.
pub fn run<T: El>(cfg: &Cfg, ob: Option<&Blas>) {
    let Some(ob) = ob else {
        println!("\n(OpenBLAS not loaded: group `ger-paired` skipped)");
        return;
    };
    for &t in &cfg.threads {
        table::<T>(cfg, ob, t);
    }
}

/// The table of one element type at `threads` threads (outerprod's pool, OpenBLAS's threads
/// and the RMW pass alike).
fn table<T: El>(cfg: &Cfg, ob: &Blas, threads: usize) {
    ob.set_threads(threads);
    println!(
        "\n#### ger {} — {threads} thread(s) — paired batches (median GB/s of A read + written; ratios: median of per-round ratios)\n",
        T::NAME
    );
    println!("| case | outerprod ger | OpenBLAS ?ger | RMW pass | outerprod / OpenBLAS | outerprod / RMW | OpenBLAS / RMW |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool");
    for &(m, n) in &SIZES {
        for row in [true, false] {
            let label = format!("{m}×{n} {}", if row { "row-major" } else { "col-major" });
            if !cfg.wants_case(&label) {
                continue;
            }
            let problem = Rank1::<T>::new(m, n, row, 1e-6, 27);
            let start: Vec<T> = check::data(m * n, 29);
            let ours = |a: &mut [T]| problem.outerprod(a);
            let theirs = |a: &mut [T]| problem.cblas(ob, a);
            // Each result checked once, from the same start, before anything is timed.
            for (name, f) in [
                ("outerprod ger", &ours as &(dyn Fn(&mut [T]) + Sync)),
                ("OpenBLAS", &theirs),
            ] {
                let mut a = start.clone();
                pool.install(|| f(&mut a));
                problem
                    .check(name, &start, &a)
                    .unwrap_or_else(|e| panic!("ger-paired {label}: {e}"));
            }
            // All three work on one buffer, so they find the same bytes in cache.
            let mut a = start.clone();
            let bytes = (2 * m * n * std::mem::size_of::<T>()) as f64;
            let rates = pool.install(|| {
                let a = std::cell::RefCell::new(&mut a[..]);
                rounds(
                    bytes,
                    &mut [
                        &mut || ours(&mut a.borrow_mut()),
                        &mut || theirs(&mut a.borrow_mut()),
                        &mut || physical::rmw(&mut a.borrow_mut()),
                    ],
                    (threads > 1).then_some(1),
                )
            });
            println!(
                "| {label} | {:.1} | {:.1} | {:.1} | **{:.2}** | {:.2} | {:.2} |",
                median(rates[0].clone()),
                median(rates[1].clone()),
                median(rates[2].clone()),
                paired(&rates[0], &rates[1]),
                paired(&rates[0], &rates[2]),
                paired(&rates[1], &rates[2]),
            );
        }
    }
}
