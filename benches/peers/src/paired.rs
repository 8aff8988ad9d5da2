//! Alternating batches for the `*-paired` groups: implementations take turns on the same
//! buffer in short batches, round after round, and each ratio is the median over rounds of
//! the ratio within a round. A burst of load on this shared host then lands on both sides of
//! a ratio instead of on one.

use std::time::{Duration, Instant};

use rayon::ThreadPool;

/// Shortest batch of back-to-back calls.
pub const BATCH: Duration = Duration::from_millis(20);

/// Rounds: each implementation runs this many batches.
pub const ROUNDS: usize = 31;

/// What follows a batch of an implementation, before the next implementation's timed batch.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Nothing: the next batch starts at once.
    Nothing,
    /// [`SETTLE`] of untimed calls of the next implementation: after a fill with streaming
    /// stores, which leaves the buffer in memory rather than in cache.
    Settle,
    /// An untimed sleep of [`COOL_DOWN`], then [`SETTLE`]: after OpenBLAS at more than one
    /// thread, whose idle workers busy-wait for about 2²⁸ cycles and would hold the core the
    /// next batch needs.
    CoolDown,
}

/// Untimed pause of [`After::CoolDown`].
const COOL_DOWN: Duration = Duration::from_millis(120);

/// Untimed calls of the next implementation after a [`COOL_DOWN`] or a streaming fill. On
/// the Emerald Rapids guest a batch right after such a sleep ran slow for tens of
/// milliseconds: in a 4096² f32 `ger` at 2 threads outerprod's batch right after it read
/// 0.79–0.83 of OpenBLAS, the same call two places later in the same rounds 1.02–1.04; after
/// 250 and 400 ms of sleep 0.55 and 0.57, and the batch after it 0.62 and 0.75. Settling
/// 30–120 ms made those alike. Right after the NT fill of a 16 MiB f64 buffer, the row-major
/// 8192×256 product read 0.80–0.90 of the 256-bit fill (three runs). With the fills' order
/// swapped it read 1.03 (two runs), and the 256-bit fill, now right after the NT fill, ran at
/// 18.4–20.4 GB/s against 20.5–23.9 in the other order (f32 and f64).
const SETTLE: Duration = Duration::from_millis(50);

/// Calls between two reads of the clock: enough for about this long, so that small calls
/// (8×8, tens of nanoseconds) are not timed together with a clock read each.
const CLOCK_EVERY: Duration = Duration::from_micros(20);

/// Runs the `calls` in turn, [`ROUNDS`] batches each, the first of each round rotating;
/// returns the per-round rates of each (`work` units per call / 10⁹ per second).
///
/// After each batch of `calls[i]` comes `after[i]`. The rotation keeps the cyclic order, so
/// without it the same implementation would always pay for what the one before it left.
pub fn rounds(work: f64, calls: &mut [&mut dyn FnMut()], after: &[After]) -> Vec<Vec<f64>> {
    assert_eq!(calls.len(), after.len());
    let inner: Vec<u32> = calls.iter_mut().map(|c| calls_per_read(c)).collect();
    let mut rates = vec![Vec::with_capacity(ROUNDS); calls.len()];
    let mut settle = false;
    for r in 0..ROUNDS {
        for q in 0..calls.len() {
            let i = (q + r) % calls.len();
            if std::mem::take(&mut settle) {
                let t0 = Instant::now();
                while t0.elapsed() < SETTLE {
                    calls[i]();
                }
            }
            let t0 = Instant::now();
            let mut done = 0u32;
            while done < 2 || t0.elapsed() < BATCH {
                for _ in 0..inner[i] {
                    calls[i]();
                }
                done += inner[i];
            }
            rates[i].push(work * f64::from(done) / t0.elapsed().as_secs_f64() / 1e9);
            if after[i] == After::CoolDown {
                std::thread::sleep(COOL_DOWN);
            }
            settle = after[i] != After::Nothing;
        }
    }
    rates
}

/// How many calls of `call` take about [`CLOCK_EVERY`] (at least 1), from 2 ms of calls.
fn calls_per_read(call: &mut dyn FnMut()) -> u32 {
    let t0 = Instant::now();
    let mut n = 0u32;
    while t0.elapsed() < Duration::from_millis(2) {
        call();
        n += 1;
    }
    let per_call = t0.elapsed().as_secs_f64() / f64::from(n);
    (CLOCK_EVERY.as_secs_f64() / per_call).clamp(1.0, 1e6) as u32
}

/// The median of `v`.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The median over rounds of `num[r] / den[r]`.
pub fn ratio(num: &[f64], den: &[f64]) -> f64 {
    median(num.iter().zip(den).map(|(a, b)| a / b).collect())
}

/// A rayon pool of `threads` threads.
pub fn pool(threads: usize) -> ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool")
}
