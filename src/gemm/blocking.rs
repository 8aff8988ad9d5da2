//! Cache blocking: KC/MC/NC derived from the running CPU's cache sizes, and the work thresholds.
//!
//! The BLIS recipe (Low, Igual, Smith, Quintana-Ortí, "Analytical modeling is enough for
//! high-performance BLIS", 2016), simplified:
//! - a KC×NR micro-panel of packed B stays in L1 while MR×KC micro-panels of A stream past it,
//!   so (MR + NR)·KC·size ≈ 7/8 of L1d (one B and one A micro-panel, room left for the C tile);
//! - the MC×KC block of packed A stays in L2, so MC·KC·size ≈ L2/2;
//! - the KC×NC block of packed B stays in L3, so KC·NC·size ≈ L3/2 (capped, since L3 is shared).
//!
//! KC depends only on the cache sizes and the kernel, never on the thread count, so that every
//! element of C sees the same sequence of operations for any number of threads.

use std::sync::OnceLock;

/// Below this many multiply-adds (m·n·k), f32/f64 products on the AVX2+FMA path take the small
/// path: the microkernel reads A and B in place (no packing) on the calling thread. Measured on
/// the 2-core Zen 4 box (row-major cubes, median CPU time per call, small vs packed): 16³ 0.53
/// vs 0.83 µs f64, 0.23 vs 0.60 µs f32; 64³ 11.9 vs 13.2 µs f64, 6.2 vs 7.1 µs f32; 80³ 24.2 vs
/// 27.1 µs f64, 11.6 vs 14.4 µs f32; 96³ 44.0 vs 41.4 µs f64 (packing pays from here), 20.7 vs
/// 21.8 µs f32. So cubes up to 80³ take the small path.
pub(crate) const SMALL_WORK_SIMD: usize = 81 * 81 * 81;

/// The same threshold for every other type and for the portable path, whose small path is the
/// plain loops: the packed engine with the reference kernel already beats them at 8³ (f64
/// portable: 0.46 vs 0.58 µs; 16³: 1.5 vs 2.2 µs), so only tiny products take the loops.
pub(crate) const SMALL_WORK_GENERIC: usize = 8 * 8 * 8;

/// Below this many multiply-adds the blocked path runs on the calling thread only. A rayon
/// fork-join costs a few microseconds; 64³ f64 takes about 15 µs on one core.
pub(crate) const PARALLEL_WORK: usize = 96 * 96 * 96;

/// Data cache sizes in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CacheSizes {
    pub(crate) l1d: usize,
    pub(crate) l2: usize,
    pub(crate) l3: usize,
}

impl CacheSizes {
    /// Used where the OS does not say (and to fill any level it does not report): a typical
    /// current x86 core.
    pub(crate) const DEFAULT: CacheSizes = CacheSizes {
        l1d: 32 << 10,
        l2: 1 << 20,
        l3: 8 << 20,
    };
}

/// The caches of CPU 0, read once from `/sys/devices/system/cpu/cpu0/cache` on Linux.
pub(crate) fn cache_sizes() -> CacheSizes {
    static SIZES: OnceLock<CacheSizes> = OnceLock::new();
    *SIZES.get_or_init(|| read_sysfs().unwrap_or(CacheSizes::DEFAULT))
}

fn read_sysfs() -> Option<CacheSizes> {
    let mut sizes = CacheSizes {
        l1d: 0,
        l2: 0,
        l3: 0,
    };
    for index in 0..8 {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{index}");
        let read = |name: &str| std::fs::read_to_string(format!("{dir}/{name}")).ok();
        let Some(level) = read("level") else { break };
        let (Some(kind), Some(size)) = (read("type"), read("size")) else {
            continue;
        };
        let Some(bytes) = parse_size(&size) else {
            continue;
        };
        match (level.trim(), kind.trim()) {
            ("1", "Data" | "Unified") => sizes.l1d = bytes,
            ("2", "Data" | "Unified") => sizes.l2 = bytes,
            ("3", "Data" | "Unified") => sizes.l3 = bytes,
            _ => {}
        }
    }
    let d = CacheSizes::DEFAULT;
    let pick = |v: usize, lo: usize, hi: usize, def: usize| {
        if (lo..=hi).contains(&v) {
            v
        } else {
            def
        }
    };
    Some(CacheSizes {
        l1d: pick(sizes.l1d, 8 << 10, 1 << 20, d.l1d),
        l2: pick(sizes.l2, 64 << 10, 64 << 20, d.l2),
        l3: pick(sizes.l3, 1 << 20, 1 << 30, d.l3),
    })
}

/// Parses sysfs sizes such as `32K`, `1024K`, `32M` or `65536`.
fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let (digits, mult) = match s.as_bytes().last()? {
        b'K' | b'k' => (&s[..s.len() - 1], 1 << 10),
        b'M' | b'm' => (&s[..s.len() - 1], 1 << 20),
        b'G' | b'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    digits.parse::<usize>().ok()?.checked_mul(mult)
}

/// Cache block sizes for one kernel: KC (depth), MC (rows of A per L2 block), NC (columns of B
/// per L3 block). MC is a multiple of MR and NC of NR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Blocking {
    pub(crate) kc: usize,
    pub(crate) mc: usize,
    pub(crate) nc: usize,
}

/// KC/MC/NC for an MR×NR kernel on elements of `elem_size` bytes, from the detected caches.
pub(crate) fn blocking(mr: usize, nr: usize, elem_size: usize) -> Blocking {
    blocking_for(cache_sizes(), mr, nr, elem_size)
}

/// The formula behind [`blocking`], separated so tests can feed it any cache sizes.
pub(crate) fn blocking_for(caches: CacheSizes, mr: usize, nr: usize, elem_size: usize) -> Blocking {
    let s = elem_size.max(1);
    // One B and one A micro-panel in L1 with an eighth left for C and the stack. (Half of L1
    // for B alone gave KC = 336 for f64 8×6, and 1024³ ran ~20% slower than at KC = 256.)
    let kc = (caches.l1d / 8 * 7 / ((mr + nr) * s)).clamp(32, 1024) / 16 * 16;
    let mc = (caches.l2 / 2 / (kc * s)).clamp(mr, 4096) / mr * mr;
    let nc = (caches.l3 / 2 / (kc * s)).clamp(nr, 4096) / nr * nr;
    Blocking { kc, mc, nc }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("32K\n"), Some(32 << 10));
        assert_eq!(parse_size("32M"), Some(32 << 20));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size(""), None);
    }

    #[test]
    fn detected_sizes_are_sane() {
        let c = cache_sizes();
        assert!(
            c.l1d >= 8 << 10 && c.l2 >= c.l1d && c.l3 >= 1 << 20,
            "{c:?}"
        );
    }

    #[test]
    fn blocks_are_multiples_of_the_tile_and_fit_the_caches() {
        for caches in [
            CacheSizes::DEFAULT,
            cache_sizes(),
            CacheSizes {
                l1d: 48 << 10,
                l2: 2 << 20,
                l3: 96 << 20,
            },
        ] {
            for (mr, nr, s) in [(8, 6, 8), (16, 6, 4), (4, 4, 16), (4, 4, 1)] {
                let b = blocking_for(caches, mr, nr, s);
                assert!(b.kc >= 32 && b.kc.is_multiple_of(16), "{b:?}");
                assert!(b.mc >= mr && b.mc.is_multiple_of(mr), "{b:?}");
                assert!(b.nc >= nr && b.nc.is_multiple_of(nr), "{b:?}");
                assert!(b.kc * nr * s <= caches.l1d, "{b:?}");
                assert!(b.mc * b.kc * s <= caches.l2 || b.mc == mr, "{b:?}");
            }
        }
    }
}
