//! Start-up timing of two ways to do the same work, for the choices that differ between cores
//! and are measured once per process (`l2_kernels.rs`, `l3_rows.rs`). Both ways must write the
//! same results; only the faster is kept.

use std::time::{Duration, Instant};

/// The fastest of `rounds` timings of `calls` calls of each way of the work, `work(0)` and
/// `work(1)`, taking turns (0, 1, 0, …), each timing after one untimed call of the same way.
/// Each way keeps its fastest round, so a round slowed by another process on the core does
/// not count. The untimed call matters: on the model-167 guest, timing the AVX2 kernels right
/// after the AVX-512 ones (no such call) found them no faster in nine processes out of nine,
/// where with it they were 0.90–0.91 of AVX-512's time, as in longer runs of each: what the
/// first kernel leaves behind (its clock, it seems) slows the first calls of the next.
pub(crate) fn fastest_of_two(
    rounds: usize,
    calls: usize,
    work: &mut dyn FnMut(usize),
) -> [Duration; 2] {
    let mut fastest = [Duration::MAX; 2];
    for _ in 0..rounds {
        for (way, fastest) in fastest.iter_mut().enumerate() {
            work(way);
            let start = Instant::now();
            for _ in 0..calls {
                work(way);
            }
            *fastest = (*fastest).min(start.elapsed());
        }
    }
    fastest
}

/// The second way is kept when its fastest round takes at most this share of the first's (in
/// hundredths): a tie, or a difference within the noise, keeps the first, which each caller
/// makes the choice measured best before (AVX-512 in L2, one row at a time in L3).
const SECOND_MAX_PERCENT: u32 = 97;

/// Whether the second way is clearly the faster ([`SECOND_MAX_PERCENT`]).
pub(crate) fn second_is_faster(times: [Duration; 2]) -> bool {
    times[1] * 100 <= times[0] * SECOND_MAX_PERCENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_round_runs_each_way_once_untimed_then_timed() {
        let mut runs = [0; 2];
        let times = fastest_of_two(3, 4, &mut |way| runs[way] += 1);
        assert_eq!(runs, [15, 15]);
        assert!(times.iter().all(|t| *t < Duration::MAX));
    }

    #[test]
    fn the_second_only_when_clearly_faster() {
        let us = Duration::from_micros;
        assert!(second_is_faster([us(100), us(90)]));
        assert!(second_is_faster([us(100), us(97)]));
        assert!(!second_is_faster([us(100), us(98)]));
        assert!(!second_is_faster([us(100), us(100)]));
        assert!(!second_is_faster([us(100), us(120)]));
    }
}
