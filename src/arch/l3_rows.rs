//! How an outer product that lives in L3 writes rows of 2 KiB up to a column block, where the
//! spread walk writes one row at a time ([`SpreadWrite::RowByRow`], the default on Intel):
//! that way, or four rows a quarter apart at once ([`SpreadWrite::FourRows`]), whichever a
//! start-up timing finds faster on the running core. Every element is the same one product
//! either way, so the choice never changes a result.
//!
//! The two Intel guests measured disagree, f32 against a fill of the same buffer, 1 thread:
//! - Emerald Rapids (paired harness, `walk_for` in `outer.rs`): 1024×1024 one row at a time
//!   0.93–0.99, four rows at once 0.76–0.87.
//! - Model-167 guest with 480 MiB of L3 (harness, the two walks on the same output, two
//!   offsets; `benches/peers/ab-outer-l2/l3-walks.md`): four rows at once over one row at a
//!   time, rows of 1 KiB 0.94–1.00 (f32 and f64), 1.5 KiB 1.00–1.04, 2 KiB 0.98–1.09, 3 KiB to
//!   24 KiB (a block there) 1.08–1.13; at 2 threads rows of 1 KiB 0.92–0.96, 2 to 8 KiB
//!   1.01–1.08.
//!
//! Rows shorter than 2 KiB keep one row at a time (the faster on both), and rows longer than a
//! block keep their four streams (`four_streams` in `outer.rs`; the two walks ran alike there
//! on the model-167 guest, 22.5 against 22.9 GB/s at 256×8192 f32). Stacks of products
//! (`kron_mat`) and the spread walk below L3 keep [`Thresholds::spread_write`].

use std::sync::OnceLock;

use super::outer::{on_one_thread, walk_for};
use super::{block_elems, default_thresholds, detected, l3_kernels, timing};
use super::{LongRowWrite, SpreadWrite, Thresholds};

/// Rows of at least this many bytes (up to a column block) take the measured choice.
const LONG_ROW_MIN_BYTES: usize = 2048;

/// Rounds of the measurement ([`timing::fastest_of_two`]), one timed call each: a call on the
/// 4 MiB output takes about 170 µs at L3 rates, so the whole timing (with its untimed calls
/// and the output's first touch) takes about 5 ms (4.6–6.5 on the model-167 guest).
const ROUNDS: usize = 4;

/// How an outer product in L3 with rows of `row_bytes` (column blocks of `block_bytes`)
/// writes them: [`Thresholds::spread_write`], but for rows of [`LONG_ROW_MIN_BYTES`] up to a
/// block where that is [`SpreadWrite::RowByRow`], which take [`Thresholds::long_row_write`].
pub(crate) fn spread_write(
    row_bytes: usize,
    block_bytes: usize,
    thresholds: Thresholds,
) -> SpreadWrite {
    if thresholds.spread_write != SpreadWrite::RowByRow
        || row_bytes < LONG_ROW_MIN_BYTES
        || row_bytes > block_bytes
    {
        return thresholds.spread_write;
    }
    match thresholds.long_row_write {
        LongRowWrite::RowByRow => SpreadWrite::RowByRow,
        LongRowWrite::FourRows => SpreadWrite::FourRows,
        LongRowWrite::Measured => measured(),
    }
}

/// [`LongRowWrite::Measured`]: the writing [`measure`] found faster, once per process.
pub fn measured() -> SpreadWrite {
    static CHOICE: OnceLock<SpreadWrite> = OnceLock::new();
    *CHOICE.get_or_init(measure)
}

/// Times one row at a time and four rows at once taking turns on one f32 output of twice the
/// L2 size (4 MiB for a 2 MiB L2) with rows of 4 KiB, on the kernels of the L3 band, and
/// returns the faster, keeping one row at a time unless four rows at once are ahead by more
/// than the noise ([`timing::second_is_faster`]). One row at a time without timing anything
/// where there is no L3 band (that output would be streamed) or under Miri.
fn measure() -> SpreadWrite {
    let thresholds = default_thresholds();
    let bytes = thresholds.spread_min_bytes.saturating_mul(2);
    if cfg!(miri) || bytes >= thresholds.streaming_min_bytes {
        return SpreadWrite::RowByRow;
    }
    let block = block_elems::<f32>();
    let n = block.min(1024);
    let m = (bytes / (n * 4)).max(4);
    let a: Vec<f32> = (0..m).map(|i| 1.0 + i as f32 / m as f32).collect();
    let b: Vec<f32> = (0..n).map(|j| 0.5 + j as f32 / n as f32).collect();
    let mut out = vec![0.0f32; m * n];
    let path = l3_kernels(detected(), true);
    let walks = [SpreadWrite::RowByRow, SpreadWrite::FourRows].map(|spread_write| {
        walk_for::<f32>(
            true,
            n,
            block,
            Thresholds {
                spread_write,
                ..thresholds
            },
        )
    });
    let times = timing::fastest_of_two(ROUNDS, 1, &mut |way| {
        on_one_thread(path, &mut out, &a, &b, walks[way])
    });
    if timing::second_is_faster(times) {
        SpreadWrite::FourRows
    } else {
        SpreadWrite::RowByRow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(spread_write: SpreadWrite, long_row_write: LongRowWrite) -> Thresholds {
        Thresholds {
            spread_write,
            long_row_write,
            ..default_thresholds()
        }
    }

    #[test]
    fn only_long_rows_up_to_a_block_under_row_by_row_take_the_choice() {
        let block = 24 * 1024;
        let t = with(SpreadWrite::RowByRow, LongRowWrite::FourRows);
        // (row bytes, writing)
        let cases = [
            (1024, SpreadWrite::RowByRow),
            (2047, SpreadWrite::RowByRow),
            (2048, SpreadWrite::FourRows),
            (4096, SpreadWrite::FourRows),
            (block, SpreadWrite::FourRows),
            (block + 4, SpreadWrite::RowByRow),
        ];
        for (row, want) in cases {
            assert_eq!(spread_write(row, block, t), want, "rows of {row} bytes");
        }
        let t = with(SpreadWrite::RowByRow, LongRowWrite::RowByRow);
        assert_eq!(spread_write(4096, block, t), SpreadWrite::RowByRow);
        // Where the default is four rows at once, the choice is not consulted.
        for choice in [LongRowWrite::RowByRow, LongRowWrite::Measured] {
            let t = with(SpreadWrite::FourRows, choice);
            for row in [1024, 4096, block + 4] {
                assert_eq!(spread_write(row, block, t), SpreadWrite::FourRows);
            }
        }
    }

    /// Runs the timing (its kernels and walks on a real output) and checks that the choice is
    /// made once.
    #[test]
    fn the_measurement_runs_once() {
        let choice = measured();
        assert_eq!(measured(), choice);
    }
}
