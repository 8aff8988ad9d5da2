//! Which kernels the AVX-512 path gives an outer product or a rank-1 update that lives in L2:
//! the faster of its own and the AVX2 ones, timed once on the running core (on an outer
//! product), because the two cores measured disagree.
//!
//! f32 256×256 (256 KiB), 1 thread, GB/s of the same output:
//! - Emerald Rapids guest (peer bench, `emr-outer-8496c36-1.md`): AVX-512 45.0, AVX2 42.6,
//!   256-bit fill 46.1 (2 threads 66.6, 62.6, 70.3); f64 46.4 against 45.2 (2 threads 75.4
//!   against 77.6).
//! - Model-167 guest with 480 MiB of L3 (harness, buffers on a line and 16 bytes off, two
//!   rounds each): AVX-512 49.9–53.3, AVX2 55.9–57.1, fill 57.0–57.2; f64 45.9–48.7 against
//!   54.2–56.0. Over 14 shapes from 64 KiB to 1 MiB with rows longer than 512 bytes (f32
//!   128×192 to 512×512, f64 96×96 to 512×256), at two to eight offsets, 72 cells: AVX2
//!   1.01–1.26× AVX-512 in 71, 0.97 in one (f64 128×128 16 bytes off; 1.11 in the other
//!   round). In L1 (up to 48 KiB there) AVX-512 is ahead (64×128 f32: 170–173 against
//!   144–160), and so it is in L2 on rows of 512 bytes off a line (128×128 f32: 51.3 against
//!   43.8–48.9). An AVX-512 kernel that multiplied in 256-bit halves and stored 512 bits ran
//!   at 0.88–1.03 of the AVX2 kernel in L2 and lost in L1 (0.63–0.84): the extra shuffles.
//!   Harness and output: `benches/peers/ab-outer-l2/`.
//!
//! On the model-167 guest 512-bit multiplies issue about 7 % slower than 256-bit ones (12
//! independent chains), which points at a lower clock while they run, and an L2-bound loop
//! would follow it; on Emerald Rapids the AVX-512 kernels win in L2 all the same (why was not
//! measured there). Which way it goes is a property of the core, so it is measured (see
//! [`measure`]) rather than guessed from the CPU's name, which a virtual machine may report
//! wrongly (that guest reports a desktop model number with a server's L3). Every
//! element is the same one product on both kernels, so the choice never changes a result.
//!
//! Rank-1 updates (`ger`) follow the same choice, on any number of threads, for shares up to
//! the start of their L3 band (1.5 L2, `ger::L3_KERNELS_MIN_L2_HALVES`): a lower clock under
//! 512-bit multiplies would slow any L2-bound loop. On the model-167 guest (harness, 1 thread)
//! `ger` in L2 ran at 111–113 GB/s of `A` read and written on the AVX2 kernels with `v` on the
//! rows' offset from a line (which `ger` arranges on one thread, see `alias::with_placed`),
//! 105–106 with it 16 bytes off, and 107–108 on the AVX-512 kernels either way. Beyond one
//! thread and one L2 it holds too (a harness timing both choices and OpenBLAS in turn in one
//! process, two runs, `benches/peers/ger-l2-choice/`): at 2 threads, shares of 128 KiB to
//! 2.5 MiB (256² f32 and f64, 512² f64, 128×1024 f32, 1024² f32, 1024×512 f64, 1280×1024
//! f32), the AVX-512 kernels ran at 0.957–1.012 of the AVX2 ones (median 0.982, 5 of 28
//! cells at 1.0 or above); at 1 thread, shares of 2–2.5 MiB (512 and 640 × 1024 f32, 256×1024
//! f64), at 0.952–1.010 (median 0.99). On the Emerald Rapids guest the AVX-512 kernels were
//! the faster for `ger` on shares of 2–2.5 MiB (see `ger::L3_KERNELS_MIN_L2_HALVES`) and for
//! outer products in L2, so the measured choice should keep them there (the start-up timing
//! has not run on that guest); smaller `ger` shares were not compared there.

use std::sync::OnceLock;

use super::{block_elems, cache_sizes, default_thresholds, l3_kernels, lives_in_l3};
use super::{outer, timing, KernelPath};
use super::{L2Kernels, Thresholds};

/// Rows of at most this many bytes keep the AVX-512 kernels in L2 (see the module comment:
/// rows of 512 bytes off a line ran faster on them).
const SHORT_ROW_MAX_BYTES: usize = 512;

/// Rounds of the measurement ([`timing::fastest_of_two`]).
const ROUNDS: usize = 9;

/// Calls timed together in one round (about 20 µs at L2 rates, well above the clock's
/// resolution).
const TIMED_CALLS: usize = 4;

/// The kernels for an outer product of `bytes`, `share` of them per thread, rows of
/// `row_bytes`, on `path`: the AVX2 kernels in L3 ([`l3_kernels`]); in L2, on the AVX-512
/// path, those of [`Thresholds::l2_kernels`]; `path` otherwise.
pub(crate) fn outer_kernels(
    path: KernelPath,
    bytes: usize,
    share: usize,
    row_bytes: usize,
    thresholds: Thresholds,
) -> KernelPath {
    if lives_in_l3(bytes, share, thresholds) {
        return l3_kernels(path, true);
    }
    let top = thresholds.spread_min_bytes;
    in_l2(path, bytes, share, row_bytes, top, thresholds)
}

/// The kernels for work below L3 of `bytes`, `share` of them per thread, rows of
/// `row_bytes`, on `path`: on the AVX-512 path, where the share lives in L2 below `top` bytes
/// (see [`lives_in_l2`]), those of [`Thresholds::l2_kernels`]; `path` otherwise. `top` is the
/// L2 size (`Thresholds::spread_min_bytes`) for outer products and the start of the L3 band
/// for rank-1 updates, where a repeated update finds much of a share a little over L2 in L2.
pub(crate) fn in_l2(
    path: KernelPath,
    bytes: usize,
    share: usize,
    row_bytes: usize,
    top: usize,
    thresholds: Thresholds,
) -> KernelPath {
    if path != KernelPath::Avx512
        || !lives_in_l2(bytes, share, row_bytes, cache_sizes().l1d, top, thresholds)
    {
        return path;
    }
    match thresholds.l2_kernels {
        L2Kernels::Avx512 => KernelPath::Avx512,
        L2Kernels::Avx2 => KernelPath::Avx2Fma,
        L2Kernels::Measured => measured(),
    }
}

/// Whether work takes the L2 choice: each thread's share above L1d (`l1d` bytes) and below
/// `top`, ordinary stores, and rows longer than [`SHORT_ROW_MAX_BYTES`].
fn lives_in_l2(
    bytes: usize,
    share: usize,
    row_bytes: usize,
    l1d: usize,
    top: usize,
    thresholds: Thresholds,
) -> bool {
    share > l1d
        && share < top
        && bytes < thresholds.streaming_min_bytes
        && row_bytes > SHORT_ROW_MAX_BYTES
}

/// [`L2Kernels::Measured`]: the kernels [`measure`] found faster, once per process.
pub fn measured() -> KernelPath {
    static CHOICE: OnceLock<KernelPath> = OnceLock::new();
    *CHOICE.get_or_init(measure)
}

/// Times the AVX-512 and AVX2 kernels taking turns on one 256×256 f32 output (256 KiB: above
/// L1 and inside L2 on every core with AVX-512) and returns the faster, keeping AVX-512 unless
/// AVX2 is ahead by more than the noise ([`timing::second_is_faster`]). Under a millisecond;
/// AVX-512 without timing anything where the CPU lacks it (or under Miri). (The same
/// fastest-round timing, run as separate processes on the model-167 guest, gave AVX2 0.90–0.91
/// of AVX-512's time on this shape; see `benches/peers/ab-outer-l2/harness-runs.md`.)
fn measure() -> KernelPath {
    let paths = [KernelPath::Avx512, KernelPath::Avx2Fma];
    if cfg!(miri) || !paths.iter().all(|p| p.is_available()) {
        return KernelPath::Avx512;
    }
    const SIDE: usize = 256;
    let a: Vec<f32> = (0..SIDE).map(|i| 1.0 + i as f32 / 256.0).collect();
    let b: Vec<f32> = (0..SIDE).map(|j| 0.5 + j as f32 / 512.0).collect();
    let mut out = vec![0.0f32; SIDE * SIDE];
    let thresholds = default_thresholds();
    let walk = outer::product_walk::<f32>(
        std::mem::size_of_val(&out[..]),
        std::mem::size_of_val(&out[..]),
        SIDE,
        block_elems::<f32>(),
        thresholds,
    );
    let times = timing::fastest_of_two(ROUNDS, TIMED_CALLS, &mut |way| {
        outer::on_one_thread(paths[way], &mut out, &a, &b, walk)
    });
    if timing::second_is_faster(times) {
        KernelPath::Avx2Fma
    } else {
        KernelPath::Avx512
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thresholds(l2: usize, llc: usize) -> Thresholds {
        Thresholds {
            spread_min_bytes: l2,
            streaming_min_bytes: llc,
            ..default_thresholds()
        }
    }

    #[test]
    fn the_l2_band_is_above_l1_below_the_spread_size_on_long_rows() {
        let (l1d, l2, llc) = (48 << 10, 2 << 20, 16 << 20);
        let t = thresholds(l2, llc);
        // (bytes, share, row bytes, in the band)
        let cases = [
            (256 << 10, 256 << 10, 1024, true),
            (256 << 10, 128 << 10, 1024, true),
            (l1d + 4, l1d + 4, 1024, true),
            (l1d, l1d, 1024, false),
            (2 << 20, l2 - 4, 4096, true),
            (4 << 20, l2, 4096, false),
            (256 << 10, 256 << 10, 512, false),
            (256 << 10, 256 << 10, 516, true),
            (64 << 20, 256 << 10, 1024, false),
        ];
        for (bytes, share, row, want) in cases {
            assert_eq!(
                lives_in_l2(bytes, share, row, l1d, l2, t),
                want,
                "{bytes} bytes, {share} a thread, rows of {row}"
            );
        }
    }

    #[test]
    fn forced_choices_and_other_paths_skip_the_measurement() {
        let t = Thresholds {
            l2_kernels: L2Kernels::Avx2,
            ..thresholds(2 << 20, 16 << 20)
        };
        let l1d = cache_sizes().l1d;
        let (bytes, row) = (l1d * 2, 1024);
        assert_eq!(
            outer_kernels(KernelPath::Avx512, bytes, bytes, row, t),
            KernelPath::Avx2Fma
        );
        let t = Thresholds {
            l2_kernels: L2Kernels::Avx512,
            ..t
        };
        assert_eq!(
            outer_kernels(KernelPath::Avx512, bytes, bytes, row, t),
            KernelPath::Avx512
        );
        for path in [KernelPath::Portable, KernelPath::Sse2, KernelPath::Avx2Fma] {
            assert_eq!(outer_kernels(path, bytes, bytes, row, t), path);
        }
        // In L3 the AVX2 kernels, whatever the L2 choice.
        assert_eq!(
            outer_kernels(KernelPath::Avx512, 4 << 20, 2 << 20, row, t),
            KernelPath::Avx2Fma
        );
    }

    /// Runs the timing (both kernels on a real output); its choice can only be one of the
    /// two, so what this checks is that the timing runs and is made once.
    #[test]
    fn the_measurement_picks_one_of_the_two() {
        let path = measured();
        assert!(
            [KernelPath::Avx512, KernelPath::Avx2Fma].contains(&path),
            "{path:?}"
        );
        assert_eq!(measured(), path, "measured once");
    }
}
