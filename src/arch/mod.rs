//! Runtime CPU-feature dispatch, tuning thresholds, and the kernel boundary of outer and ger.
//!
//! The features are detected once per process and cached; each public call reads the active
//! [`KernelPath`] and [`Thresholds`] once, on the calling thread, and passes them down, so worker
//! threads never re-detect. Tests and benches can force a path on the current thread with
//! [`with_kernel_path`] (and the thresholds with [`with_thresholds`]) to compare the SIMD kernels
//! against the portable ones bit for bit.
//!
//! Files: `outer.rs` and `ger.rs` hold the blocking and threading drivers, generic over a row
//! kernel; `portable.rs` holds the plain-Rust row kernels (also the generic path for every
//! non-float type); `x86.rs` the SSE2, AVX2 and AVX-512 row kernels behind `#[target_feature]`;
//! `baseline.rs` the physical fill and read-modify-write passes the benches compare against;
//! `small.rs` the loops of outer products too small for the dispatch; `zeroed.rs` zero-filled
//! output buffers from `alloc_zeroed`; `alias.rs` moves a reused vector that would 4 KiB-alias
//! the output rows. Two choices differ between cores and are timed once per process
//! (`timing.rs`): `l2_kernels.rs` picks the kernels of AVX-512 outer products and rank-1
//! updates that live in L2, `l3_rows.rs` the walk of long rows of outer products that live in
//! L3.

pub(crate) mod alias;
pub(crate) mod baseline;
pub(crate) mod ger;
pub(crate) mod l2_kernels;
pub(crate) mod l3_rows;
pub(crate) mod outer;
pub(crate) mod portable;
pub(crate) mod small;
pub(crate) mod timing;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86;
pub(crate) mod zeroed;

use std::any::TypeId;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::scalar::Scalar;
use crate::view::{MatMut, VecRef};

/// A family of kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KernelPath {
    /// Plain Rust that the compiler auto-vectorises for the baseline target (SSE2 on x86_64,
    /// NEON on aarch64), with ordinary stores only. Always available.
    Portable,
    /// x86_64 SSE2 intrinsics (128-bit), with non-temporal stores for large outputs. Available
    /// on every x86_64 CPU.
    Sse2,
    /// x86_64 AVX2 + FMA kernels (`#[target_feature]` functions, 256-bit), with non-temporal
    /// stores for large outputs.
    Avx2Fma,
    /// x86_64 AVX-512F kernels (512-bit): outer products, rank-1 updates and fills (with
    /// non-temporal stores for large outputs) and the GEMM microkernels; GEMM's vector ×
    /// matrix kernels stay on AVX2, and so do outer products and rank-1 updates that live in
    /// L3, larger than L2 and smaller than the streaming threshold (measured faster there).
    /// Needs AVX-512F, AVX2 and FMA; detected as the default only where the core also has
    /// AVX-512 VBMI2 (Ice Lake and later, Zen 4 and later), see [`detected`].
    Avx512,
}

impl KernelPath {
    /// Bytes per vector of the path's outer-product kernels (the portable path: what the
    /// baseline target vectorises, 16).
    pub(crate) fn vector_bytes(self) -> usize {
        match self {
            KernelPath::Portable | KernelPath::Sse2 => 16,
            KernelPath::Avx2Fma => 32,
            KernelPath::Avx512 => 64,
        }
    }

    /// Whether this CPU can run the path.
    pub fn is_available(self) -> bool {
        match self {
            KernelPath::Portable => true,
            KernelPath::Sse2 => cfg!(target_arch = "x86_64"),
            KernelPath::Avx2Fma => has_avx2_fma(),
            KernelPath::Avx512 => has_avx2_fma() && has_avx512f(),
        }
    }

    /// Every path, in order of preference from the most portable.
    pub const ALL: [KernelPath; 4] = [
        KernelPath::Portable,
        KernelPath::Sse2,
        KernelPath::Avx2Fma,
        KernelPath::Avx512,
    ];
}

fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn has_avx512f() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether 512-bit kernels are the default here, not only available: AVX-512F and VBMI2.
/// VBMI2 stands for "a core that does not slow its clock for 512-bit multiplies": Intel's
/// first AVX-512 server cores (Skylake-SP, Cascade Lake, Cooper Lake) lack it and, by Intel's
/// optimisation manual, run 512-bit floating-point work at a lower licence frequency that
/// lingers after the kernel returns and slows the caller's own code; Ice Lake and later, and
/// AMD Zen 4 and later, have it. (Not measured on those older cores: there they keep the AVX2
/// path, which `with_kernel_path` can still override.) On an Emerald Rapids guest, scalar
/// code timed right after 50 ms of 512-bit stores ran at the speed it had after 256-bit ones.
fn prefers_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        KernelPath::Avx512.is_available() && std::arch::is_x86_feature_detected!("avx512vbmi2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The best path this CPU supports, detected once ([`KernelPath::Avx512`] only on cores that
/// keep their clock under it, see `prefers_avx512`).
pub fn detected() -> KernelPath {
    static DETECTED: OnceLock<KernelPath> = OnceLock::new();
    *DETECTED.get_or_init(|| {
        if prefers_avx512() {
            KernelPath::Avx512
        } else if has_avx2_fma() {
            KernelPath::Avx2Fma
        } else if KernelPath::Sse2.is_available() {
            KernelPath::Sse2
        } else {
            KernelPath::Portable
        }
    })
}

/// The size-dependent choices of the outer and ger drivers, in bytes of the output (outer) or
/// of `A` (ger).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Thresholds {
    /// Outputs of at least this many bytes are written with non-temporal (streaming) stores,
    /// which skip the read-for-ownership a normal store does on a line not yet in cache. Below
    /// it the output is expected to stay in cache and normal stores are faster. Default: just
    /// above the last-level cache, at most 16 MiB on Intel and 32 MiB elsewhere (a
    /// socket-wide LLC is not one core's).
    pub streaming_min_bytes: usize,
    /// Work of at least this many bytes is split across the threads of the current rayon pool,
    /// when the call is made from one of that pool's threads (inside `ThreadPool::install` or
    /// a parallel iterator), where a fork-join costs a few microseconds.
    pub parallel_min_bytes: usize,
    /// The same for a call from a thread outside the pool, typically the program's main
    /// thread. Rayon then hands the work to the pool and puts the caller to sleep until it is
    /// done, which costs more (see [`COLD_PARALLEL_MIN_BYTES`]).
    pub cold_parallel_min_bytes: usize,
    /// Outer products and rank-1 updates of at most this many bytes (of output, or of `A`) run
    /// plain loops on the calling thread, without the kernel dispatch; 0 sends every call to
    /// the kernels (how the tests reach the SIMD code on the smallest shapes). Outer products
    /// whose rows are shorter than one vector keep the small loops, also above it, unless
    /// they stream or are large enough for their permute kernel.
    pub small_max_bytes: usize,
    /// Outer products (with ordinary stores) whose output takes at least this many bytes per
    /// thread, and rank-1 updates whose `A` takes at least twice as many (a repeated update
    /// finds part of a smaller share in L2), work on four rows a quarter of that range apart, as
    /// four long streams, instead of four adjacent rows: each line missing from cache is read
    /// first (the write-allocate of a store, or ger's own read), and four streams keep more
    /// of those reads in flight. 0 spreads every range of four rows or more. Default: the
    /// per-core L2 size (ranges that fit in L2 gain nothing from it). How an outer product's
    /// rows longer than a column block are written above this size depends on
    /// [`spread_write`](Self::spread_write). With [`SpreadWrite::RowByRow`], outer products
    /// whose rows take 2 KiB up to a column block spread from an eighth of this size (in L2
    /// too, where that walk was measured faster on Intel); on x86 that changes rows of a
    /// whole number of vectors, since ragged rows in pieces of 64 KiB and more take the flat
    /// kernel, which has no walk. Threaded rank-1 updates whose share per thread is at most
    /// this size and that have only a few rows (columns, column-major) a piece may split
    /// their elements in row order rather than whole rows, so that the threads get equal
    /// shares.
    pub spread_min_bytes: usize,
    /// How an outer product writes its rows above `spread_min_bytes`: four at once (four
    /// concurrent streams) or one row segment at a time. Default: [`default_spread_write`].
    pub spread_write: SpreadWrite,
    /// Which kernels the [`KernelPath::Avx512`] path gives an outer product or a rank-1
    /// update that lives in L2: each thread's share above L1d and below `spread_min_bytes`
    /// (for a rank-1 update below 1.5 times it, where its L3 band starts), ordinary stores,
    /// rows longer than 512 bytes. Default: [`L2Kernels::Measured`].
    pub l2_kernels: L2Kernels,
    /// How an outer product whose share per thread lives in L3 writes rows of 2 KiB up to a
    /// column block where `spread_write` is [`SpreadWrite::RowByRow`]. Default:
    /// [`LongRowWrite::Measured`].
    pub long_row_write: LongRowWrite,
}

/// The writing of [`Thresholds::long_row_write`]. Both write the same products, so the choice
/// changes the speed only, never a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LongRowWrite {
    /// The faster of the two on this core, timed once per process at the first such call
    /// (about 5 ms on a 4 MiB output; [`measured_long_row_write`] runs it). On an Emerald
    /// Rapids guest one row at a time was the faster, on a model-167 guest four rows at once.
    Measured,
    /// One row at a time ([`SpreadWrite::RowByRow`]).
    RowByRow,
    /// Four rows a quarter apart at once ([`SpreadWrite::FourRows`]).
    FourRows,
}

/// The writing [`LongRowWrite::Measured`] stands for on this core, timing it on the first
/// call.
pub fn measured_long_row_write() -> SpreadWrite {
    l3_rows::measured()
}

/// The kernels of [`Thresholds::l2_kernels`]. Both compute the same elements, so the choice
/// changes the speed only, never a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum L2Kernels {
    /// The faster of the two on this core, timed once per process at the first such call
    /// (under a millisecond; [`measured_l2_kernels`] runs it) on an outer product, which
    /// also decides for rank-1 updates. On an Emerald Rapids guest the AVX-512 kernels were
    /// the faster in L2 for outer products (for rank-1 updates measured only around the L2
    /// size), on a model-167 guest the AVX2 ones for both, at 1 and 2 threads.
    Measured,
    /// The AVX-512 kernels.
    Avx512,
    /// The AVX2 kernels.
    Avx2,
}

/// The kernels [`L2Kernels::Measured`] stands for on this core ([`KernelPath::Avx512`] or
/// [`KernelPath::Avx2Fma`]), timing them on the first call.
pub fn measured_l2_kernels() -> KernelPath {
    l2_kernels::measured()
}

/// How an outer product writes its rows above [`Thresholds::spread_min_bytes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpreadWrite {
    /// Rows `g, g + q, g + 2q, g + 3q` together, by the four-row kernel: four store streams at
    /// once. Rows longer than a column block are not spread: whole-line ones (up to 16 blocks)
    /// are written whole, four adjacent rows at a time, ragged ones in column blocks.
    FourRows,
    /// The same rows in the same order, one row at a time: one store stream at a time. Rows
    /// longer than a column block: each chunk of the output (all of it on one thread,
    /// pieces of 128 KiB or more when threaded, and in a stack of products such as
    /// `kron_mat` each product's part of one) is cut in four quarters, written 2 KiB of each
    /// in turn (the same pattern, four streams taking turns).
    RowByRow,
}

/// The spread walk's writing per CPU vendor, from the two machines measured (outer products
/// that live in L3, 1 thread). Zen 3 (AMD): four concurrent streams, measured as fills of 8
/// and 16 MiB at 1.2× and 1.6× one stream. Emerald Rapids (Intel), paired harness, f32
/// 1024×1024 and 8192×256 at two buffer offsets against a fill of the same buffer: four rows
/// at once 0.76–0.87, one row at a time in the same order 0.93–0.99 (a plain row loop
/// 0.98–1.09). Other cores of each vendor follow their vendor's measured machine, untested.
pub fn default_spread_write() -> SpreadWrite {
    #[cfg(target_arch = "x86_64")]
    if x86::is_intel() {
        return SpreadWrite::RowByRow;
    }
    SpreadWrite::FourRows
}

/// Outputs above the last-level cache, or above this many bytes where the LLC is larger, are
/// written with streaming stores ([`Thresholds::streaming_min_bytes`]); the cap per vendor is
/// [`streaming_cap_bytes`]. A large LLC shared by a whole server socket is not this core's to
/// fill. On Zen 3 (32 MiB L3 per CCX) ordinary stores won up to the LLC (16 MiB: 2.0–2.4× the
/// streaming fill), so the cap sits at that LLC's size and changes nothing there.
pub(crate) const STREAMING_CAP_BYTES: usize = 32 * 1024 * 1024;

/// [`STREAMING_CAP_BYTES`] on Intel, whose LLC is one per socket, shared by every core on it.
/// Two 2-vCPU server guests, f32 outer products on 1 thread against the streaming rate of
/// the same buffer: on Emerald Rapids (260 MiB of L3 reported) ordinary stores ran at
/// 0.90–1.06 of it from 4 to 16 MiB, 0.82 at 32 MiB and 0.46 at 64 MiB; on Sapphire Rapids
/// (105 MiB) at 1.02–1.10 up to 12 MiB, 0.74–1.01 at 14–16 MiB, 0.56–0.61 at 20, 0.49–0.51
/// at 24 and 0.46–0.48 at 32 (paired medians of several runs; on 2 threads 1.06–1.12 at 16
/// and 20 MiB, 0.82–1.00 at 24, 0.56–0.57 at 32). With the cap,
/// `ger` of 16–32 MiB no longer [lives in L3](lives_in_l3) and keeps AVX-512 there: on the
/// Sapphire Rapids guest it ran at 1.01–1.07 of the AVX2 kernels (24 and 32 MiB, 1 thread).
pub(crate) const INTEL_STREAMING_CAP_BYTES: usize = 16 * 1024 * 1024;

/// The cap on the streaming threshold for this CPU's vendor: [`INTEL_STREAMING_CAP_BYTES`]
/// on Intel, [`STREAMING_CAP_BYTES`] elsewhere (measured on Zen 3; other vendors untested).
pub(crate) fn streaming_cap_bytes() -> usize {
    #[cfg(target_arch = "x86_64")]
    if x86::is_intel() {
        return INTEL_STREAMING_CAP_BYTES;
    }
    STREAMING_CAP_BYTES
}

/// Below this many bytes of output (or of `A` for ger) every call runs on the calling thread.
///
/// Measured on the 2-core Zen 4 development machine (see BENCHMARKS-history.md): a rayon
/// `join` costs a few microseconds, during which one core writes ~200 KiB into cache, and 2
/// threads first beat 1 thread from about 256 KiB of f32/f64 output. 64×64 (16–32 KiB) always
/// runs sequentially.
pub const PARALLEL_MIN_BYTES: usize = 256 * 1024;

/// Default for [`Thresholds::cold_parallel_min_bytes`]. Measured on the 2-core development
/// machine (Zen 3), f32 outer products, best of 40 batches: 256×256 (256 KiB) ran at 43.5 GB/s
/// on one thread, 65.8 GB/s on two from inside a pool, but 25.6 GB/s on two from the main
/// thread (about 15 µs of hand-over per call); 512×512 (1 MiB) 44.2 / 78.5 / 45.5 GB/s;
/// 724×724 (2 MiB) 43.4 GB/s on one thread against 52.8 on two from the main thread.
pub const COLD_PARALLEL_MIN_BYTES: usize = 2 * 1024 * 1024;

/// Default for [`Thresholds::streaming_min_bytes`]: outputs larger than the last-level cache.
/// They cannot stay in cache, so the write-allocate read of a normal store is pure waste for
/// them. (Half the LLC was tried first: a 16 MiB f64 8192×256 output, which fits in the 32 MiB
/// L3, then ran at 0.44× of a normal-store fill, the speed of the streaming fill; see
/// BENCHMARKS-history.md.)
pub fn default_thresholds() -> Thresholds {
    Thresholds {
        streaming_min_bytes: cache_sizes()
            .llc
            .min(streaming_cap_bytes())
            .saturating_add(1),
        parallel_min_bytes: PARALLEL_MIN_BYTES,
        cold_parallel_min_bytes: COLD_PARALLEL_MIN_BYTES,
        small_max_bytes: SMALL_MAX_BYTES,
        spread_min_bytes: cache_sizes().l2,
        spread_write: default_spread_write(),
        l2_kernels: L2Kernels::Measured,
        long_row_write: LongRowWrite::Measured,
    }
}

thread_local! {
    static FORCED: Cell<Option<KernelPath>> = const { Cell::new(None) };
    static FORCED_THRESHOLDS: Cell<Option<Thresholds>> = const { Cell::new(None) };
}

/// The path a call starting on this thread uses: a forced one if set, else [`detected`].
#[inline]
pub(crate) fn active() -> KernelPath {
    FORCED.with(Cell::get).unwrap_or_else(detected)
}

/// The thresholds a call starting on this thread uses: forced ones if set, else the defaults.
#[inline]
pub(crate) fn thresholds() -> Thresholds {
    FORCED_THRESHOLDS.with(Cell::get).unwrap_or_else(|| {
        static DEFAULT: OnceLock<Thresholds> = OnceLock::new();
        *DEFAULT.get_or_init(default_thresholds)
    })
}

/// Runs `f` with `path` forced for calls made from this thread (for tests and benches).
///
/// # Panics
/// When the CPU cannot run `path`: a test that asks for a kernel must not silently run another.
#[track_caller]
pub fn with_kernel_path<R>(path: KernelPath, f: impl FnOnce() -> R) -> R {
    assert!(
        path.is_available(),
        "kernel path {path:?} is not available on this CPU"
    );
    struct Restore(Option<KernelPath>);
    impl Drop for Restore {
        fn drop(&mut self) {
            FORCED.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(FORCED.with(|c| c.replace(Some(path))));
    f()
}

/// Runs `f` with `thresholds` forced for calls made from this thread (for tests that must reach
/// the streaming-store or the threaded code on small inputs, and for benches that measure the
/// thresholds).
pub fn with_thresholds<R>(thresholds: Thresholds, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Thresholds>);
    impl Drop for Restore {
        fn drop(&mut self) {
            FORCED_THRESHOLDS.with(|c| c.set(self.0));
        }
    }
    THRESHOLDS_EVER_FORCED.store(true, Ordering::Relaxed);
    let _restore = Restore(FORCED_THRESHOLDS.with(|c| c.replace(Some(thresholds))));
    f()
}

/// Set by the first [`with_thresholds`] of the process, on any thread: until then no thread
/// has forced thresholds, and [`small_max_bytes`] need not look at its own.
static THRESHOLDS_EVER_FORCED: AtomicBool = AtomicBool::new(false);

/// [`Thresholds::small_max_bytes`] of the calls starting on this thread. Read on every call,
/// so it skips the default-thresholds `OnceLock` (the default is a constant) and, while no
/// thread ever forced thresholds, the thread-local too. (An 8×8 f32 `outer_into` with the
/// loops of `small.rs` is 158 instructions, against 221 for a naive double loop; callgrind.)
#[inline]
fn small_max_bytes() -> usize {
    if !THRESHOLDS_EVER_FORCED.load(Ordering::Relaxed) {
        return SMALL_MAX_BYTES;
    }
    FORCED_THRESHOLDS
        .with(Cell::get)
        .map_or(SMALL_MAX_BYTES, |t| t.small_max_bytes)
}

/// Which store instructions a kernel writes its output with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stores {
    /// Ordinary stores: the line is read into cache first (write-allocate), then written.
    Normal,
    /// Non-temporal (streaming) stores where the path has them: whole lines go to memory
    /// without being read first. The portable path uses ordinary stores.
    NonTemporal,
}

/// Data cache sizes in bytes, detected once (CPUID on x86_64), with defaults elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CacheSizes {
    /// Level-1 data cache per core.
    pub(crate) l1d: usize,
    /// Level-2 cache per core.
    #[allow(dead_code)]
    pub(crate) l2: usize,
    /// Last-level cache (shared).
    pub(crate) llc: usize,
}

/// Used when detection fails: a common desktop/server shape.
const DEFAULT_CACHES: CacheSizes = CacheSizes {
    l1d: 32 * 1024,
    l2: 1024 * 1024,
    llc: 32 * 1024 * 1024,
};

/// The detected cache sizes.
#[inline]
pub(crate) fn cache_sizes() -> CacheSizes {
    static SIZES: OnceLock<CacheSizes> = OnceLock::new();
    *SIZES.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            x86::detect_caches().unwrap_or(DEFAULT_CACHES)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            DEFAULT_CACHES
        }
    })
}

/// Elements of the reused vector kept hot per column block: half of L1d, so the block stays in
/// L1 while the rows of the output (or of `A`) stream past it. (Measured on 256 rows of 8192
/// f32, the column-major 8192×256 product: 0.75× of a fill with 16 KiB blocks, 0.55× with
/// the whole 32 KiB row of `b` read from L2.)
fn block_elems<T>() -> usize {
    (cache_sizes().l1d / 2 / std::mem::size_of::<T>().max(1)).max(64)
}

/// Whether work of `bytes`, `share_bytes` per thread, lives in L3: each share at least
/// `spread_min_bytes` (the per-core L2 by default) and the whole below `streaming_min_bytes`
/// (so written with ordinary stores). Every line it touches then comes from L3 (or memory)
/// and, for a store, is read for ownership first. Rank-1 updates add a margin above L2 (see
/// `ger::bands`).
pub(crate) fn lives_in_l3(bytes: usize, share_bytes: usize, thresholds: Thresholds) -> bool {
    share_bytes >= thresholds.spread_min_bytes && bytes < thresholds.streaming_min_bytes
}

/// The kernels for a call (outer product, rank-1 update): `path`, except that
/// [`KernelPath::Avx512`] hands work that [lives in L3](lives_in_l3) to the AVX2 kernels. On Intel Emerald Rapids (1 thread, paired
/// harness, buffers aligned and 16 bytes off), in that band:
/// - outer products against a 256-bit fill of the same buffer: AVX2 kernels 0.97–1.19,
///   AVX-512 0.81–1.04 (f32 and f64, 1024×1024, 2048×2048, 8192×256), AVX2 ahead in 22 of 23
///   paired cells, the other within 0.01;
/// - `ger` against a 256-bit read+modify+write pass: AVX2 0.93–1.04, AVX-512 0.91–1.00 (f32
///   and f64, 1024×1024 to 2048×4096 and 8192×256, row- and column-major A), AVX2 ahead by
///   0.01–0.11 in 21 of 22 cells, the other tied.
///
/// Above it, from DRAM, AVX-512 was the faster (`ger` 4096×4096: 0.96–1.16 against
/// 0.92–1.11; outer products use non-temporal stores there, alike on both), and in L1 and L2
/// too. Fills of 128, 256 and 512 bits ran alike in L3, while the 512-bit read+modify+write
/// pass ran at 0.95–0.99 of the 256-bit one: 512-bit loads and stores of lines that come from
/// L3 lose a few per cent there. The cause is not identified (no performance counters on that
/// guest).
pub(crate) fn l3_kernels(path: KernelPath, in_l3: bool) -> KernelPath {
    if path == KernelPath::Avx512 && in_l3 {
        KernelPath::Avx2Fma
    } else {
        path
    }
}

/// `out[i·n + j] = a[i]·b[j]` with `out.len() == a.len()·b.len()`: the row-major outer product.
///
/// Every element is one rounded product, so all paths, blockings and thread counts give
/// bitwise-identical results.
///
/// Inlined, so that the size test sits in the caller; the large-product driver behind it
/// stays out of line.
#[inline]
pub(crate) fn outer_row_major<T: Scalar>(out: &mut [T], a: &[T], b: &[T]) {
    debug_assert_eq!(out.len(), a.len() * b.len());
    if std::mem::size_of_val(out) <= small_max_bytes() {
        // A few dozen products: plain loops finish before the dispatch would.
        return small::outer(out, a, b);
    }
    outer::run(out, a, b);
}

/// Makes the streaming stores of this thread visible before its later stores (`sfence`); a
/// no-op where the kernels have no streaming stores.
pub(crate) fn store_fence() {
    #[cfg(target_arch = "x86_64")]
    x86::store_fence();
}

/// Product `r` of `out` (rows of `width` elements) is the row-major `a_r b_rᵀ` with
/// `(a_r, b_r) = factors(r)`, where `b_r` depends only on `r % period`: a stack of
/// equal-shape outer products, such as the rows of a Kronecker product (`period` rows of B),
/// with threads and store kind chosen once for the whole output.
pub(crate) fn outer_stack<'f, T, F>(out: &mut [T], width: usize, period: usize, factors: &F)
where
    T: Scalar + 'f,
    F: Fn(usize) -> (&'f [T], &'f [T]) + Sync,
{
    outer::run_stack(out, width, period, factors);
}

/// A ⊗ B into the row-major `out` (A: rows of `n` of the row-major `a`; B: rows of `q` of
/// the row-major `b`) with a Kronecker row kernel, when B's rows are one to four whole
/// vectors or (AVX-512) longer than a vector and shorter than eight (any output size), or
/// shorter than a vector with the output in L2; `false`, writing nothing, otherwise (see
/// `outer::run_kron_rows`).
pub(crate) fn kron_rows<T: Scalar>(out: &mut [T], a: &[T], n: usize, b: &[T], q: usize) -> bool {
    outer::run_kron_rows(out, a, n, b, q)
}

/// Default for [`Thresholds::small_max_bytes`]. Measured in the peer bench
/// (BENCHMARKS-history.md): at 8×8 f32 (256 B) the dispatched outer kernel ran at 8.6 GB/s
/// against 19.7 GB/s for a naive double loop, while at 64×64 (16 KiB) it wins 62.6 to 47.4;
/// an 8×8 f64 rank-1 update cost about 990 instructions a call through the dispatcher
/// (callgrind), most of them set-up, and ran at 0.73–0.86× OpenBLAS, against 1.5–1.9× (about
/// 670 instructions, view construction included) with the plain loop. Every element gets the same
/// roundings on either side, so results are identical.
pub const SMALL_MAX_BYTES: usize = 1024;

/// `A ← A + α x yᵀ` on validated views of matching shape (α ≠ 0, non-empty).
///
/// Each element becomes `A[i][j] + x[i]·(α·y[j])` with three separately rounded operations, in
/// BLAS reference order (`temp = α·y[j]` first). No path contracts the multiply and the add
/// into an FMA: the update is memory-bound, so an FMA saves no time (measured with an AVX2
/// row kernel, f32, GB/s of A, mul+add vs FMA, three runs each: 64²: 68/68, 66/71, 71/68;
/// 256²: 70/71, 72/72, 71/71; 1024²: 76/75, 66/68, 66/69; 4096²: 13.3/13.8, 12.6/12.9,
/// 13.1/13.3, i.e. within noise), and without it every path (portable, SSE2, AVX2) matches
/// the reference implementation and Netlib's `xGER` bit for bit.
pub(crate) fn ger<T: Scalar>(alpha: T, x: VecRef<'_, T>, y: VecRef<'_, T>, a: MatMut<'_, T>) {
    debug_assert_eq!((a.rows(), a.cols()), (x.len(), y.len()));
    if a.rows() * a.cols() * std::mem::size_of::<T>() <= small_max_bytes() {
        return ger::small(alpha, x, y, a);
    }
    ger::run(active(), thresholds(), alpha, x, y, a);
}

/// The per-path kernel table of f32 and f64.
pub(crate) trait FloatKernels: Scalar {
    /// One chunk of an outer product (see `outer::chunk`).
    fn outer_chunk(
        path: KernelPath,
        stores: Stores,
        out: &mut [Self],
        first: usize,
        a: &[Self],
        b: &[Self],
        walk: outer::Walk,
    );
    /// One chunk of an outer product whose rows are shorter than a vector of `path` (see
    /// `outer::short_rows`): the permute kernel where the path has one, else the small loops
    /// (ordinary stores).
    fn outer_short(
        path: KernelPath,
        stores: Stores,
        out: &mut [Self],
        first: usize,
        a: &[Self],
        b: &[Self],
    );
    /// The flat range `first .. first + out.len()` of the row-major A ⊗ B (A rows of `n`,
    /// B rows of `q`) by a Kronecker row kernel; callers check the path and shape with
    /// `outer::kron_rows_fit` first, and stream only rows of B of a vector or more
    /// (`outer::kron_long_rows`).
    #[allow(clippy::too_many_arguments)]
    fn kron_rows(
        path: KernelPath,
        stores: Stores,
        out: &mut [Self],
        first: usize,
        a: &[Self],
        n: usize,
        b: &[Self],
        q: usize,
    );
    /// The whole product `a bᵀ` with ordinary stores on the calling thread, when its rows
    /// (at most `block` long) fit the whole-product kernel; `false`, writing nothing,
    /// otherwise (see `outer::run`).
    fn outer_whole(
        path: KernelPath,
        out: &mut [Self],
        a: &[Self],
        b: &[Self],
        block: usize,
    ) -> bool;
    /// One block of a rank-1 update with unit inner stride (see `ger::run_block`).
    fn rank1(
        path: KernelPath,
        job: &ger::Rank1Job<'_, Self>,
        outer: std::ops::Range<usize>,
        inner: std::ops::Range<usize>,
        block: usize,
    );
    /// The fill baseline.
    fn fill(path: KernelPath, out: &mut [Self], value: Self, stores: Stores);
    /// The read-modify-write baseline.
    fn add_in_place(path: KernelPath, a: &mut [Self], value: Self);
}

macro_rules! float_kernels {
    ($t:ty, $z_outer:ident, $avx_outer:ident, $sse_outer:ident, $z_whole:ident,
     $avx_whole:ident, $sse_whole:ident, $z_rank1:ident, $avx_rank1:ident, $sse_rank1:ident,
     $z_fill:ident, $avx_fill:ident, $sse_fill:ident, $z_rmw:ident, $avx_rmw:ident,
     $sse_rmw:ident, $z_short:ident, $avx_short:ident, $z_kron:ident, $avx_kron:ident) => {
        impl FloatKernels for $t {
            #[inline]
            fn kron_rows(
                path: KernelPath,
                stores: Stores,
                out: &mut [$t],
                first: usize,
                a: &[$t],
                n: usize,
                b: &[$t],
                q: usize,
            ) {
                debug_assert!(path.is_available());
                // (The size condition was checked on the whole output; this is one piece.)
                debug_assert!(outer::kron_rows_fit::<$t>(
                    path,
                    usize::MAX,
                    n,
                    b.len() / q,
                    q
                ));
                let stream = stores == Stores::NonTemporal;
                debug_assert!(!stream || outer::kron_long_rows::<$t>(path, q));
                match path {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: `active()` only yields available paths (with_kernel_path
                    // asserts); the caller checked the shape with `kron_rows_fit`.
                    KernelPath::Avx512 => unsafe { x86::$z_kron(out, first, a, n, b, q, stream) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    KernelPath::Avx2Fma => unsafe {
                        x86::$avx_kron(out, first, a, n, b, q, stream)
                    },
                    _ => unreachable!("kron_rows_fit admits only the AVX-512 and AVX2 paths"),
                }
            }

            #[inline]
            fn outer_short(
                path: KernelPath,
                stores: Stores,
                out: &mut [$t],
                first: usize,
                a: &[$t],
                b: &[$t],
            ) {
                debug_assert!(path.is_available());
                let done = match path {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: `active()` only yields available paths (with_kernel_path
                    // asserts); the caller passes rows shorter than a vector of the path.
                    KernelPath::Avx512 => unsafe { x86::$z_short(out, first, a, b, stores) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    KernelPath::Avx2Fma => unsafe { x86::$avx_short(out, first, a, b, stores) },
                    _ => false,
                };
                if !done {
                    small::outer_range(out, first, a, b);
                }
            }

            #[inline]
            fn outer_whole(
                path: KernelPath,
                out: &mut [$t],
                a: &[$t],
                b: &[$t],
                block: usize,
            ) -> bool {
                debug_assert!(path.is_available());
                match path {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: `active()` only yields available paths (with_kernel_path asserts).
                    KernelPath::Avx512 => unsafe { x86::$z_whole(out, a, b, block) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    KernelPath::Avx2Fma => unsafe { x86::$avx_whole(out, a, b, block) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: SSE2 is part of the x86_64 baseline.
                    KernelPath::Sse2 => unsafe { x86::$sse_whole(out, a, b, block) },
                    _ => false,
                }
            }

            #[inline]
            fn outer_chunk(
                path: KernelPath,
                stores: Stores,
                out: &mut [$t],
                first: usize,
                a: &[$t],
                b: &[$t],
                walk: outer::Walk,
            ) {
                debug_assert!(path.is_available());
                match path {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: `active()` only yields available paths (with_kernel_path asserts).
                    KernelPath::Avx512 => unsafe { x86::$z_outer(out, first, a, b, walk, stores) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    KernelPath::Avx2Fma => unsafe {
                        x86::$avx_outer(out, first, a, b, walk, stores)
                    },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: SSE2 is part of the x86_64 baseline.
                    KernelPath::Sse2 => unsafe { x86::$sse_outer(out, first, a, b, walk, stores) },
                    _ => portable::outer_chunk(out, first, a, b, walk),
                }
            }

            fn rank1(
                path: KernelPath,
                job: &ger::Rank1Job<'_, $t>,
                outer: std::ops::Range<usize>,
                inner: std::ops::Range<usize>,
                block: usize,
            ) {
                debug_assert!(path.is_available() && job.inner_stride == 1);
                match path {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: available path (as above); the job and block come from ger::run.
                    KernelPath::Avx512 => unsafe { x86::$z_rank1(job, outer, inner, block) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    KernelPath::Avx2Fma => unsafe { x86::$avx_rank1(job, outer, inner, block) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: SSE2 is baseline; the job and block come from ger::run.
                    KernelPath::Sse2 => unsafe { x86::$sse_rank1(job, outer, inner, block) },
                    _ => portable::rank1(job, outer, inner, block),
                }
            }

            fn fill(path: KernelPath, out: &mut [$t], value: $t, stores: Stores) {
                debug_assert!(path.is_available());
                match path {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: available path (as above).
                    KernelPath::Avx512 => unsafe { x86::$z_fill(out, value, stores) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    KernelPath::Avx2Fma => unsafe { x86::$avx_fill(out, value, stores) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: SSE2 is baseline.
                    KernelPath::Sse2 => unsafe { x86::$sse_fill(out, value, stores) },
                    _ => portable::fill(out, value),
                }
            }

            fn add_in_place(path: KernelPath, a: &mut [$t], value: $t) {
                debug_assert!(path.is_available());
                match path {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: available path (as above).
                    KernelPath::Avx512 => unsafe { x86::$z_rmw(a, value) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    KernelPath::Avx2Fma => unsafe { x86::$avx_rmw(a, value) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: SSE2 is baseline.
                    KernelPath::Sse2 => unsafe { x86::$sse_rmw(a, value) },
                    _ => portable::add_in_place(a, value),
                }
            }
        }
    };
}

float_kernels!(
    f32,
    outer_chunk_avx512_f32,
    outer_chunk_avx2_f32,
    outer_chunk_sse2_f32,
    outer_try_whole_avx512_f32,
    outer_try_whole_avx2_f32,
    outer_try_whole_sse2_f32,
    rank1_avx512_f32,
    rank1_avx2_f32,
    rank1_sse2_f32,
    fill_avx512_f32,
    fill_avx2_f32,
    fill_sse2_f32,
    add_in_place_avx512_f32,
    add_in_place_avx2_f32,
    add_in_place_sse2_f32,
    outer_short_avx512_f32,
    outer_short_avx2_f32,
    kron_rows_avx512_f32,
    kron_rows_avx2_f32
);
float_kernels!(
    f64,
    outer_chunk_avx512_f64,
    outer_chunk_avx2_f64,
    outer_chunk_sse2_f64,
    outer_try_whole_avx512_f64,
    outer_try_whole_avx2_f64,
    outer_try_whole_sse2_f64,
    rank1_avx512_f64,
    rank1_avx2_f64,
    rank1_sse2_f64,
    fill_avx512_f64,
    fill_avx2_f64,
    fill_sse2_f64,
    add_in_place_avx512_f64,
    add_in_place_avx2_f64,
    add_in_place_sse2_f64,
    outer_short_avx512_f64,
    outer_short_avx2_f64,
    kron_rows_avx512_f64,
    kron_rows_avx2_f64
);

/// `s` as a `&[U]` when `U` is `T` (the slice twin of the views' `cast`).
#[inline]
pub(crate) fn cast_slice<T: 'static, U: 'static>(s: &[T]) -> Option<&[U]> {
    (TypeId::of::<T>() == TypeId::of::<U>()).then(|| {
        debug_assert_eq!(TypeId::of::<T>(), TypeId::of::<U>());
        // SAFETY: T and U are the same type (equal TypeIds), so this is the identity.
        unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<U>(), s.len()) }
    })
}

/// `s` as a `&mut [U]` when `U` is `T`.
#[inline]
pub(crate) fn cast_slice_mut<T: 'static, U: 'static>(s: &mut [T]) -> Option<&mut [U]> {
    (TypeId::of::<T>() == TypeId::of::<U>()).then(|| {
        debug_assert_eq!(TypeId::of::<T>(), TypeId::of::<U>());
        // SAFETY: T and U are the same type (equal TypeIds), so this is the identity, and the
        // exclusive borrow moves from `s` to the result.
        unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<U>(), s.len()) }
    })
}

/// Bytes of work the forking thread takes beyond an even share at the first split of
/// [`par_ranges`] and [`par_chunks_mut`], capped at an eighth of the whole.
///
/// `rayon::join` runs its first half on the calling thread at once; the second half waits
/// until another worker steals it, about a microsecond later even when that worker is awake
/// (rdtsc marks inside a 2-thread 256×256 f32 `ger` on the Sapphire Rapids guest: the helper
/// started its half 1.0–1.1 µs into a 6.9–7.6 µs call), and with two even pieces the caller
/// then waits for it. Moving h bytes from the thief to the caller closes a gap of 2h divided
/// by one core's rate (30–60 KiB per µs in cache); the thief also ran its half slower in
/// those marks (5.1–5.5 µs against 3.6–3.9), so the size was chosen by measurement.
///
/// Emerald Rapids guest, 2 threads, 256×256 f32 `ger` against OpenBLAS in alternating
/// batches, two or three runs per share: the caller's half at 50 % (no head start)
/// 0.93–0.99, at 55 % 0.97–1.11, at 60 % 1.03–1.19, at 65 % 1.00–1.18, at 70 % 0.92–1.03
/// (32 KiB is 62.5 % there). With this head start, eight runs against seven without: f32
/// row-major 1.01–1.20 (before 0.93–1.08), column-major 1.02–1.23 (0.93–0.99); f64 (four
/// pieces) row-major 1.00–1.10 (0.97–1.07), column-major 0.95–1.02 (0.93–1.07); 1024² to
/// 4096², 8192×256 and the outer products unchanged within the noise. Later splits run on
/// threads that are already working, and from four pieces up the pieces balance themselves.
pub(crate) const FORKER_HEAD_START_BYTES: usize = 32 * 1024;

/// The extra units of `unit_bytes` each that the forking thread takes at the first split of
/// `len` units (see [`FORKER_HEAD_START_BYTES`]).
fn head_start(len: usize, unit_bytes: usize) -> usize {
    let total = len.saturating_mul(unit_bytes.max(1));
    FORKER_HEAD_START_BYTES.min(total / 8) / unit_bytes.max(1)
}

/// Splits `0..len` (units of `unit_bytes` bytes of work each) into `pieces` ranges whose
/// interior boundaries are multiples of `align`, and calls `f(start, end)` for each, in
/// parallel. `pieces == 1` runs `f` on this thread. The first range is the forking thread's
/// and takes a [head start](FORKER_HEAD_START_BYTES).
pub(crate) fn par_ranges<F>(len: usize, pieces: usize, align: usize, unit_bytes: usize, f: &F)
where
    F: Fn(usize, usize) + Sync,
{
    fn go<F: Fn(usize, usize) + Sync>(
        start: usize,
        end: usize,
        pieces: usize,
        align: usize,
        extra: usize,
        f: &F,
    ) {
        if pieces <= 1 || end - start <= align {
            f(start, end);
            return;
        }
        let left = pieces / 2;
        let raw = start + (end - start) * left / pieces + extra;
        let mid = (raw.div_ceil(align) * align).clamp(start, end);
        crate::threading::join(
            || go(start, mid, left, align, 0, f),
            || go(mid, end, pieces - left, align, 0, f),
        );
    }
    let extra = head_start(len, unit_bytes);
    go(0, len, pieces, align.max(1), extra, f);
}

/// Splits `out` into `pieces` chunks and calls `f(chunk, first)` for each, in parallel, where
/// `first` is the chunk's index in `out`. Interior boundaries fall on 64-byte-aligned
/// addresses, so no two threads write the same cache line (and streaming stores fill whole
/// lines). The first chunk is the forking thread's and takes a
/// [head start](FORKER_HEAD_START_BYTES).
pub(crate) fn par_chunks_mut<T, F>(out: &mut [T], pieces: usize, f: &F)
where
    T: Send,
    F: Fn(&mut [T], usize) + Sync,
{
    fn go<T: Send, F: Fn(&mut [T], usize) + Sync>(
        out: &mut [T],
        first: usize,
        pieces: usize,
        extra: usize,
        f: &F,
    ) {
        let size = std::mem::size_of::<T>().max(1);
        let line = (64 / size).max(1);
        if pieces <= 1 || out.len() <= 2 * line {
            f(out, first);
            return;
        }
        let left = pieces / 2;
        let raw = (out.len() * left / pieces + extra).min(out.len());
        // Elements from `out`'s start to the next 64-byte boundary at or after `raw`.
        let addr = out.as_ptr() as usize + raw * size;
        let mid = (raw + (addr.next_multiple_of(64) - addr) / size).min(out.len());
        let (l, r) = out.split_at_mut(mid);
        crate::threading::join(
            || go(l, first, left, 0, f),
            || go(r, first + mid, pieces - left, 0, f),
        );
    }
    let extra = head_start(out.len(), std::mem::size_of::<T>());
    go(out, 0, pieces, extra, f);
}

/// Calls `f(i, &mut items[i])` for every item, in parallel (the halves joined recursively).
pub(crate) fn par_each_mut<I, F>(items: &mut [I], f: &F)
where
    I: Send,
    F: Fn(usize, &mut I) + Sync,
{
    fn go<I: Send, F: Fn(usize, &mut I) + Sync>(items: &mut [I], first: usize, f: &F) {
        match items {
            [] => {}
            [item] => f(first, item),
            _ => {
                let mid = items.len() / 2;
                let (l, r) = items.split_at_mut(mid);
                crate::threading::join(|| go(l, first, f), || go(r, first + mid, f));
            }
        }
    }
    go(items, 0, f);
}

/// The rows `0..len` of one thread's range taken four at a time, as the outer and rank-1
/// drivers walk them: group `g < count` is the rows `rows(g)`; the rows from `4·count` on are
/// left over. Adjacent groups are rows 4g..4g+4; spread groups are rows g, g + q, g + 2q,
/// g + 3q with q = len / 4, so that the four rows of every group advance as four long
/// streams through the range (see [`Thresholds::spread_min_bytes`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FourRows {
    /// Number of groups.
    pub(crate) count: usize,
    /// First row of group g: g·step.
    pub(crate) step: usize,
    /// Distance between the rows of a group.
    pub(crate) gap: usize,
}

impl FourRows {
    /// Groups over `len` rows, spread or adjacent.
    pub(crate) fn new(len: usize, spread: bool) -> Self {
        let count = len / 4;
        let (step, gap) = if spread { (1, count) } else { (4, 1) };
        FourRows { count, step, gap }
    }

    /// The four rows of group `g`, in increasing order.
    #[inline(always)]
    pub(crate) fn rows(self, g: usize) -> [usize; 4] {
        let first = g * self.step;
        [
            first,
            first + self.gap,
            first + 2 * self.gap,
            first + 3 * self.gap,
        ]
    }
}

/// How work of `bytes` is shared out (outer products and rank-1 updates): among `threads`
/// threads, each share sizing the walk and the kernels (see `lives_in_l3`), in `pieces` pieces
/// that the pool's threads take as they come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Split {
    pub(crate) threads: usize,
    pub(crate) pieces: usize,
}

impl Split {
    /// Bytes of one thread's share.
    pub(crate) fn share(self, bytes: usize) -> usize {
        bytes / self.threads.max(1)
    }
}

/// Bytes a piece of threaded work aims at.
///
/// With one piece per thread, a worker that has gone idle starts its half late (a rayon fork
/// of two empty closures on this 2-vCPU guest took a median 12–16 µs when the other worker had
/// been idle for 20–100 µs, 0.06 µs back to back), and the caller, done with its own half,
/// waits for it. With pieces of about this size the threads take pieces as they come, so the
/// caller keeps working meanwhile (the intent; the gains below are measured, the mechanism
/// is not).
/// Emerald Rapids guest, 2 threads, paired harness, median GB/s with one piece per thread →
/// with these pieces:
/// - outer products, f32: 512×512 (1 MiB) 42.4 → 70.2, 1024×1024 39.6 → 53.0, 2048×2048
///   39.9 → 45.6, 8192×256 41.1 → 46.2, vec(abᵀ) 8192×256 35.8 → 43.2; f64 1024×1024 41.9 →
///   46.2, vec(abᵀ) 8192×256 34.4 → 40.0; 4096×4096 (DRAM) 41.5 → 43.0;
/// - `ger`, f32: 1024×1024 row-major 97.4 → 120.4, column-major 72.7 → 118.2, 8192×256
///   75.4–76.9 → 92.8–93.6, 16×65536 (split along the rows) 78.2 → 113.4; f64 1024×1024
///   81.3 → 94.7.
///
/// Smaller pieces lost where the work is small: 256×256 f32 (256 KiB) in pieces of 8–32 KiB
/// ran at 40.8–51.6 against 55.3 in two. Measured on that guest only: on Zen 3, whose walk
/// spreads four rows a quarter of a piece apart (`SpreadWrite::FourRows`), those streams are
/// now as long as a piece rather than a thread's share, untested there.
const PIECE_BYTES: usize = 128 * 1024;

/// Most pieces per thread (so that a huge call does not queue millions of tiny jobs).
const MAX_PIECES_PER_THREAD: usize = 32;

/// The [`Split`] of `bytes` of work under `thresholds` and the current pool.
#[inline]
pub(crate) fn split_for(bytes: usize, thresholds: Thresholds) -> Split {
    let threads = threads_for(bytes, thresholds);
    if threads == 1 {
        return Split { threads, pieces: 1 };
    }
    let per_thread = (bytes / threads / PIECE_BYTES).clamp(1, MAX_PIECES_PER_THREAD);
    Split {
        threads,
        pieces: threads * per_thread,
    }
}

/// How many threads to share `bytes` of work among under `thresholds` and the current pool.
#[inline]
fn threads_for(bytes: usize, thresholds: Thresholds) -> usize {
    let min = if crate::threading::on_pool_thread() {
        thresholds.parallel_min_bytes
    } else {
        thresholds.cold_parallel_min_bytes
    };
    if bytes < min {
        return 1;
    }
    let threads = crate::threading::current_num_threads().max(1);
    // Each piece gets at least half the threshold, so a forced tiny threshold in tests still
    // splits, while default calls never hand a thread less than ~128 KiB.
    let by_size = (bytes / (thresholds.parallel_min_bytes / 2).max(1)).max(1);
    threads.min(by_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detected_caches_are_plausible() {
        let c = cache_sizes();
        assert!(c.l1d >= 4 * 1024 && c.l1d <= c.l2 && c.l2 <= c.llc, "{c:?}");
        assert!(default_thresholds().streaming_min_bytes >= c.l2 / 2);
    }

    #[test]
    fn streaming_starts_above_the_llc_or_the_vendor_cap() {
        let (llc, cap) = (cache_sizes().llc, streaming_cap_bytes());
        #[cfg(target_arch = "x86_64")]
        assert_eq!(cap == INTEL_STREAMING_CAP_BYTES, x86::is_intel());
        assert!(cap <= STREAMING_CAP_BYTES);
        assert_eq!(default_thresholds().streaming_min_bytes, llc.min(cap) + 1);
    }

    #[test]
    fn only_avx512_work_that_lives_in_l3_changes_kernels() {
        let t = default_thresholds();
        let (l2, stream) = (t.spread_min_bytes, t.streaming_min_bytes);
        let avx512 = KernelPath::Avx512;
        let kernels = |bytes, share| l3_kernels(avx512, lives_in_l3(bytes, share, t));
        assert_eq!(kernels(l2, l2), KernelPath::Avx2Fma);
        assert_eq!(kernels(stream - 1, l2), KernelPath::Avx2Fma);
        // A share within L2, or a whole that streams from memory, keeps the path.
        assert_eq!(kernels(2 * l2, l2 - 1), avx512);
        assert_eq!(kernels(stream, stream / 2), avx512);
        for path in [KernelPath::Portable, KernelPath::Sse2, KernelPath::Avx2Fma] {
            assert_eq!(l3_kernels(path, lives_in_l3(l2, l2, t)), path);
        }
    }

    #[test]
    fn four_row_groups_cover_each_row_once() {
        for len in [0, 3, 4, 7, 8, 13, 64] {
            for spread in [false, true] {
                let groups = FourRows::new(len, spread);
                let mut seen: Vec<usize> = (0..groups.count).flat_map(|g| groups.rows(g)).collect();
                for g in 0..groups.count {
                    let r = groups.rows(g);
                    assert!(r.windows(2).all(|w| w[1] - w[0] == groups.gap), "{r:?}");
                }
                seen.sort_unstable();
                assert_eq!(
                    seen,
                    (0..4 * (len / 4)).collect::<Vec<_>>(),
                    "{len} {spread}"
                );
            }
        }
        assert_eq!(FourRows::new(8, true).rows(1), [1, 3, 5, 7]);
        assert_eq!(FourRows::new(8, false).rows(1), [4, 5, 6, 7]);
    }

    #[test]
    fn forced_thresholds_are_scoped() {
        let before = thresholds();
        let forced = Thresholds {
            streaming_min_bytes: 0,
            parallel_min_bytes: 1,
            cold_parallel_min_bytes: 1,
            small_max_bytes: 0,
            spread_min_bytes: 0,
            spread_write: SpreadWrite::RowByRow,
            l2_kernels: L2Kernels::Avx2,
            long_row_write: LongRowWrite::FourRows,
        };
        with_thresholds(forced, || {
            assert_eq!(thresholds(), forced);
            assert_eq!(small_max_bytes(), 0);
        });
        assert_eq!(thresholds(), before);
        assert_eq!(small_max_bytes(), before.small_max_bytes);
    }

    #[test]
    fn par_ranges_cover_everything_once() {
        use std::sync::Mutex;
        let cases = [(0, 3, 1, 4), (10, 3, 4, 4), (1000, 2, 16, 4), (7, 8, 1, 4)];
        // Units large enough that the forking thread's head start moves the first split.
        let heavy = [
            (1000, 2, 16, 1024),
            (300, 4, 1, 1024),
            (10, 2, 1, 16 * 1024),
        ];
        for (len, pieces, align, unit) in cases.into_iter().chain(heavy) {
            let seen = Mutex::new(vec![0u8; len]);
            par_ranges(len, pieces, align, unit, &|a, b| {
                let mut s = seen.lock().unwrap();
                for k in a..b {
                    s[k] += 1;
                }
            });
            assert!(
                seen.into_inner().unwrap().iter().all(|&c| c == 1),
                "{len} {pieces}"
            );
        }
    }

    #[test]
    fn the_forking_thread_takes_a_head_start_at_the_first_split() {
        use std::sync::Mutex;
        // 1000 units of 1 KiB in two pieces: the first gets 500 + 32 units, aligned up to 16.
        let ranges = Mutex::new(Vec::new());
        par_ranges(1000, 2, 16, 1024, &|a, b| {
            ranges.lock().unwrap().push((a, b))
        });
        let mut ranges = ranges.into_inner().unwrap();
        ranges.sort();
        assert_eq!(ranges, [(0, 544), (544, 1000)]);
        // Capped at an eighth of the whole: 64 units of 1 KiB move by 8.
        assert_eq!(head_start(64, 1024), 8);
        assert_eq!(head_start(1 << 20, 4), FORKER_HEAD_START_BYTES / 4);
        assert_eq!(head_start(0, 0), 0);

        // Chunks of 1 KiB items (one per line): 300 items, the first chunk 150 + 32.
        let mut items = vec![[0u8; 1024]; 300];
        let chunks = Mutex::new(Vec::new());
        par_chunks_mut(&mut items, 2, &|c: &mut [[u8; 1024]], first| {
            c.iter_mut().for_each(|item| item[0] += 1);
            chunks.lock().unwrap().push((first, c.len()));
        });
        let mut chunks = chunks.into_inner().unwrap();
        chunks.sort();
        assert_eq!(chunks, [(0, 182), (182, 118)]);
        assert!(items.iter().all(|item| item[0] == 1));
    }

    #[test]
    fn par_each_mut_visits_every_item_once_with_its_index() {
        for len in [0, 1, 2, 7] {
            let mut items = vec![(usize::MAX, 0u8); len];
            par_each_mut(&mut items, &|i, item: &mut (usize, u8)| {
                *item = (i, item.1 + 1)
            });
            let want: Vec<(usize, u8)> = (0..len).map(|i| (i, 1)).collect();
            assert_eq!(items, want, "{len}");
        }
    }

    #[test]
    fn threads_follow_the_pool_and_threshold() {
        let t = default_thresholds();
        assert_eq!(threads_for(t.parallel_min_bytes - 1, t), 1);
        assert!(threads_for(usize::MAX / 2, t) <= crate::threading::current_num_threads());
        assert!(t.cold_parallel_min_bytes >= t.parallel_min_bytes);
        // The test thread is not a pool thread: between the two thresholds it stays alone.
        if !crate::threading::on_pool_thread() {
            assert_eq!(threads_for(t.cold_parallel_min_bytes - 1, t), 1);
        }
    }

    // Without the `rayon` feature every call runs on the calling thread (one piece).
    #[cfg(feature = "rayon")]
    #[test]
    fn pieces_are_whole_shares_of_about_piece_bytes() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let t = Thresholds {
            parallel_min_bytes: 0,
            cold_parallel_min_bytes: 0,
            ..default_thresholds()
        };
        pool.install(|| {
            let one = Split {
                threads: 2,
                pieces: 2,
            };
            assert_eq!(split_for(1024, t), one);
            assert_eq!(split_for(2 * PIECE_BYTES - 1, t), one);
            let sixteen = split_for(16 * PIECE_BYTES, t);
            assert_eq!((sixteen.threads, sixteen.pieces), (2, 16));
            assert_eq!(sixteen.share(16 * PIECE_BYTES), 8 * PIECE_BYTES);
            let most = split_for(usize::MAX / 2, t);
            assert_eq!(most.pieces, 2 * MAX_PIECES_PER_THREAD);
        });
        // One thread: one piece, whatever the size.
        let alone = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        alone.install(|| assert_eq!(split_for(usize::MAX / 2, t).pieces, 1));
    }
}
