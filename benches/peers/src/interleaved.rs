//! Interleaved measurements of outerprod against itself, for the two ratios that the shared
//! machine's swings in load distort most: 2-thread/1-thread scaling and gemm's layout
//! robustness; and `ger` against the read+modify+write pass over the same buffer.
//!
//! The other groups time one configuration for its whole budget, then the next, so two cells
//! of a ratio are taken seconds to minutes apart. Here every configuration of a comparison
//! runs one batch of calls (at least `BATCH`) in turn, round after round, so a burst of load
//! hits all of them alike; each configuration reports the median rate over its batches.
//! Every result is checked once (256 sampled entries) before it is timed.

use std::time::{Duration, Instant};

use rayon::ThreadPool;

use outerprod::{gemm, outer_into, MatMut, MatRef};

use crate::check;
use crate::elem::El;
use crate::ger::Rank1;
use crate::harness::Cfg;
use crate::paired::pool;
use crate::physical;

/// Shortest batch of back-to-back calls.
const BATCH: Duration = Duration::from_millis(50);

/// Rounds of batches per comparison (each configuration gets this many batches).
const ROUNDS: usize = 15;

/// One configuration of a comparison: the pool its batches run in, and one call.
type Config<'a> = (&'a ThreadPool, &'a mut (dyn FnMut() + Send));

/// Runs `configs.len()` configurations in turn, `ROUNDS` times, each time a batch of at least
/// [`BATCH`]; returns each one's median rate (`work` units per second / 10⁹).
///
/// A whole batch runs inside its pool's `install`, so every call starts on a pool thread, as
/// in the per-case tables; a call from outside the pool would pay rayon's hand-over to the
/// pool (about 15 µs) each time, more than a 64×64 product takes.
fn interleave(work: f64, configs: &mut [Config<'_>]) -> Vec<f64> {
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); configs.len()];
    for r in 0..ROUNDS {
        for q in 0..configs.len() {
            // Rotate the starting configuration, so none always runs right after another.
            let i = (q + r) % configs.len();
            let (pool, call) = &mut configs[i];
            let rate = pool.install(|| {
                let t0 = Instant::now();
                let mut calls = 0u32;
                while calls < 2 || t0.elapsed() < BATCH {
                    call();
                    calls += 1;
                }
                work * f64::from(calls) / t0.elapsed().as_secs_f64() / 1e9
            });
            rates[i].push(rate);
        }
    }
    rates
        .into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect()
}

/// C = AB with the given layouts of A, B, C (row-major when true), on the current pool.
fn gemm_call<T: El>(s: (usize, usize, usize), a: &[T], b: &[T], c: &mut [T], lay: [bool; 3]) {
    let (m, n, k) = s;
    fn view<T: El>(d: &[T], r: usize, cl: usize, row: bool) -> MatRef<'_, T> {
        if row {
            MatRef::row_major(d, r, cl)
        } else {
            MatRef::col_major(d, r, cl)
        }
        .expect("view")
    }
    let cv = if lay[2] {
        MatMut::row_major(c, m, n)
    } else {
        MatMut::col_major(c, m, n)
    }
    .expect("view");
    gemm(
        T::of(1.0),
        view(a, m, k, lay[0]),
        view(b, k, n, lay[1]),
        T::of(0.0),
        cv,
    )
    .expect("gemm");
}

/// Checks C = AB at 256 sampled entries.
fn check_gemm<T: El>(s: (usize, usize, usize), a: &[T], b: &[T], c: &[T], lay: [bool; 3]) {
    let (m, n, k) = s;
    let at = |row: bool, i: usize, j: usize, rows: usize, cols: usize| {
        if row {
            i * cols + j
        } else {
            i + j * rows
        }
    };
    check::sampled(
        "gemm",
        m,
        n,
        |i, j| c[at(lay[2], i, j, m, n)].f(),
        |i, j| {
            let (mut sum, mut abs) = (0.0, 0.0);
            for p in 0..k {
                let x = a[at(lay[0], i, p, m, k)].f() * b[at(lay[1], p, j, k, n)].f();
                sum += x;
                abs += x.abs();
            }
            (sum, 2.0 * (k as f64 + 2.0) * T::eps() * abs + 1e-30)
        },
    )
    .unwrap_or_else(|e| panic!("interleaved gemm {m}×{n}×{k} {lay:?}: {e}"));
}

/// 1 and `t` threads in turn on gemm and outer products; prints a table of medians.
fn scaling<T: El>(t: usize) {
    println!(
        "\n#### scaling {} — 1 vs {t} threads, interleaved (median GFLOP/s or GB/s)\n",
        T::NAME
    );
    println!("| case | 1 thread | {t} threads | ratio |");
    println!("|---|---:|---:|---:|");
    for s in [(1024, 1024, 1024), (2048, 2048, 256)] {
        let (m, n, k) = s;
        let a: Vec<T> = check::data(m * k, 21);
        let b: Vec<T> = check::data(k * n, 22);
        let mut c: Vec<T> = vec![T::of(0.0); m * n];
        let lay = [true; 3];
        gemm_call(s, &a, &b, &mut c, lay);
        check_gemm(s, &a, &b, &c, lay);
        let (p1, pt) = (pool(1), pool(t));
        let mut c1 = c.clone();
        let rates = interleave(
            2.0 * (m * n * k) as f64,
            &mut [
                (&p1, &mut || gemm_call(s, &a, &b, &mut c1, lay)),
                (&pt, &mut || gemm_call(s, &a, &b, &mut c, lay)),
            ],
        );
        println!(
            "| gemm {m}×{n}×{k} | {:.1} | {:.1} | **{:.2}** |",
            rates[0],
            rates[1],
            rates[1] / rates[0]
        );
    }
    for (m, n) in [(64, 64), (256, 256), (1024, 1024), (8192, 256)] {
        let a: Vec<T> = check::data(m, 23);
        let b: Vec<T> = check::data(n, 24);
        // Both outputs are halves of one allocation, so they share their alignment modulo
        // 64 bytes (m·n·size is a multiple of 64 here). Separate allocations could differ:
        // 64×64 f32 into a buffer 16 bytes off a 64-byte boundary ran at 0.83–0.88 of the
        // rate into an aligned one, which the 1- vs 2-thread ratio then measured instead.
        let mut both: Vec<T> = vec![T::of(0.0); 2 * m * n];
        let (o1, ot) = both.split_at_mut(m * n);
        outer_into(o1, &a, &b).expect("outer");
        check::sampled(
            "outer",
            m,
            n,
            |i, j| o1[i * n + j].f(),
            |i, j| {
                let e = (a[i] * b[j]).f();
                (e, 4.0 * T::eps() * e.abs())
            },
        )
        .unwrap_or_else(|e| panic!("interleaved outer {m}×{n}: {e}"));
        let (p1, pt) = (pool(1), pool(t));
        let bytes = (m * n * std::mem::size_of::<T>()) as f64;
        let rates = interleave(
            bytes,
            &mut [
                (&p1, &mut || outer_into(o1, &a, &b).expect("outer")),
                (&pt, &mut || outer_into(ot, &a, &b).expect("outer")),
            ],
        );
        println!(
            "| outer {m}×{n} (GB/s) | {:.1} | {:.1} | **{:.2}** |",
            rates[0],
            rates[1],
            rates[1] / rates[0]
        );
        // The write limit's own scaling at the same size: a 256-bit-store fill.
        let rates = interleave(
            bytes,
            &mut [
                (&p1, &mut || physical::fill256(o1)),
                (&pt, &mut || physical::fill256(ot)),
            ],
        );
        println!(
            "| 256-bit fill, same bytes (GB/s) | {:.1} | {:.1} | {:.2} |",
            rates[0],
            rates[1],
            rates[1] / rates[0]
        );
    }
}

/// The 8 row/column-major combinations of A, B and C at 1024³ in turn, on `t` threads.
fn layouts<T: El>(t: usize) {
    let s = (1024, 1024, 1024);
    let a: Vec<T> = check::data(s.0 * s.2, 25);
    let b: Vec<T> = check::data(s.2 * s.1, 26);
    let lays: Vec<[bool; 3]> = (0..8)
        .map(|l| [l & 4 == 0, l & 2 == 0, l & 1 == 0])
        .collect();
    let mut cs: Vec<Vec<T>> = lays.iter().map(|_| vec![T::of(0.0); s.0 * s.1]).collect();
    for (lay, c) in lays.iter().zip(&mut cs) {
        gemm_call(s, &a, &b, c, *lay);
        check_gemm(s, &a, &b, c, *lay);
    }
    let pool = pool(t);
    let mut calls: Vec<Box<dyn FnMut() + Send + '_>> = lays
        .iter()
        .zip(cs.iter_mut())
        .map(|(lay, c)| {
            let (a, b, lay) = (&a, &b, *lay);
            Box::new(move || gemm_call(s, a, b, c, lay)) as Box<dyn FnMut() + Send>
        })
        .collect();
    let mut configs: Vec<Config<'_>> = calls.iter_mut().map(|f| (&pool, &mut **f as _)).collect();
    let rates = interleave(2.0 * (s.0 * s.1 * s.2) as f64, &mut configs);
    let best = rates.iter().copied().fold(0.0, f64::max);
    println!(
        "\n#### gemm layouts 1024³ {} — {t} thread(s), interleaved (median GFLOP/s)\n",
        T::NAME
    );
    println!("| A | B | C | GFLOP/s | ratio to the best layout |");
    println!("|---|---|---|---:|---:|");
    let name = |r: bool| if r { "row" } else { "col" };
    for (lay, r) in lays.iter().zip(&rates) {
        println!(
            "| {} | {} | {} | {r:.1} | {:.2} |",
            name(lay[0]),
            name(lay[1]),
            name(lay[2]),
            r / best
        );
    }
}

/// `ger` and the in-place read+modify+write pass in turn on the same A, on `t` threads. (The
/// RMW pass adds 10⁻³⁰ to every element, which leaves the values as they were.)
fn ger_vs_rmw<T: El>(t: usize) {
    println!(
        "\n#### ger against the RMW pass — {} {t} thread(s), interleaved (median GB/s of A read + written)\n",
        T::NAME
    );
    println!("| case | ger | RMW pass | ratio |");
    println!("|---|---:|---:|---:|");
    let pool = pool(t);
    for (m, n) in [(1024, 1024), (4096, 4096)] {
        for row in [true, false] {
            let problem = Rank1::<T>::new(m, n, row, 1e-6, 27);
            let start: Vec<T> = check::data(m * n, 29);
            let mut a = start.clone();
            let call = |a: &mut [T]| problem.outerprod(a);
            pool.install(|| call(&mut a));
            problem
                .check("ger", &start, &a)
                .unwrap_or_else(|e| panic!("interleaved ger {m}×{n}: {e}"));
            let bytes = (2 * m * n * std::mem::size_of::<T>()) as f64;
            // Both passes work on the same buffer, so they find the same bytes in cache.
            let a = std::sync::Mutex::new(a);
            let lock = || a.lock().expect("A");
            let rates = interleave(
                bytes,
                &mut [
                    (&pool, &mut || call(&mut lock())),
                    (&pool, &mut || physical::rmw(&mut lock())),
                ],
            );
            println!(
                "| {m}×{n} {} | {:.1} | {:.1} | **{:.2}** |",
                if row { "row-major" } else { "col-major" },
                rates[0],
                rates[1],
                rates[0] / rates[1]
            );
        }
    }
}

/// Runs the group for one element type.
pub fn run<T: El>(cfg: &Cfg) {
    let t = cfg.threads.iter().copied().max().unwrap_or(1);
    if t > 1 {
        scaling::<T>(t);
    }
    for &t in &cfg.threads {
        layouts::<T>(t);
    }
    for &t in &cfg.threads {
        ger_vs_rmw::<T>(t);
    }
}
