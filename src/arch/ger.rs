//! The rank-1 update driver: `A ← A + α x yᵀ` as a loop over the "outer" dimension of `A` (the
//! one with the larger stride) around a row kernel (`Rank1Row`) over the contiguous "inner" one.
//!
//! Row-major `A` (unit column stride): outer = rows, the scalar of row i is `x[i]`, and the
//! inner vector is `temp = α·y`, computed on the fly from `y` (gathered into a buffer first
//! when strided). Column-major `A` (unit row stride): outer = columns, the scalar
//! of column j is `temp_j = α·y[j]`, and the inner vector is `x` (gathered when strided).
//! Negative strides of `A` are first turned positive by reversing `A` together with `x` or `y`,
//! which permutes the elements without changing any of them. `A` with no unit stride takes the
//! portable strided kernel.
//!
//! Large float updates of column-major `A` run the row-major loop instead, `x` scaled by
//! exactly 1 (`SAME_LOOP_MIN_BYTES`).
//!
//! The inner vector is copied away from 4 KiB aliasing with the rows of `A`, and float updates
//! on one thread whose `A` lives in L2 take it on the rows' offset from a cache line, copying
//! it there when it is not (`run`, `alias::with_placed`).
//!
//! Either way each element gets `A[i][j] + x[i]·temp_j` with `temp_j = α·y[j]`: BLAS order,
//! three roundings, no FMA (see `arch::ger`).

use std::mem::size_of;
use std::ops::Range;

use super::alias::{new_call, with_placed};
use super::{block_elems, l3_kernels, lives_in_l3, split_for, FloatKernels, FourRows};
use super::{KernelPath, Thresholds};
use crate::scalar::{Scalar, ScalarKind};
use crate::view::{MatMut, VecRef};

/// Which factor comes first in the product `x[i]·temp_j`, as the kernel sees it. IEEE
/// multiplication is commutative, so the float kernels ignore it; the generic kernel keeps
/// BLAS's order for element types where the order could matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProductOrder {
    /// `s·t`: the row scalar is `x[i]` (row-oriented).
    ScalarFirst,
    /// `t·s`: the inner vector is `x` (column-oriented).
    VectorFirst,
}

/// Updates one contiguous (or, for the portable kernel, strided) row of the outer loop.
pub(crate) trait Rank1Row<T: Copy + std::ops::Mul<Output = T>> {
    /// `a[k·inc] = a[k·inc] + s·t_k` for `k < v.len()` (in `order`), where `t_k = scale·v[k]`
    /// when `scale` is given and `v[k]` otherwise.
    ///
    /// # Safety
    /// `a` addresses `v.len()` elements at stride `inc`, valid for reads and writes and
    /// touched by nobody else during the call; SIMD kernels need `inc == 1`; the CPU supports
    /// the kernel's target features.
    unsafe fn row(a: *mut T, inc: isize, s: T, v: &[T], scale: Option<T>, order: ProductOrder);

    /// How many rows [`rows4`](Self::rows4) wants at once: 4 for kernels that share the loads
    /// of `v` between rows, 1 for those that do not.
    const GROUP: usize = 1;

    /// [`row`](Self::row) on four disjoint rows with scalars `s`.
    ///
    /// # Safety
    /// As [`row`](Self::row), for each of the four rows.
    #[inline(always)]
    unsafe fn rows4(
        a: [*mut T; 4],
        inc: isize,
        s: [T; 4],
        v: &[T],
        scale: Option<T>,
        order: ProductOrder,
    ) {
        for r in 0..4 {
            // SAFETY: forwarded contract.
            unsafe { Self::row(a[r], inc, s[r], v, scale, order) };
        }
    }

    /// [`rows4`](Self::rows4) on every group of `groups`: rows `outer + groups.rows(g)` of
    /// `job`, columns `c0 .. c0 + v.len()` (`v` is that part of `job.v`). Kernels override it
    /// to walk the groups with pointers and make the per-call tests once.
    ///
    /// # Safety
    /// The groups' rows lie in `outer .. job.outer_len` and the columns in `job.v`; the rows
    /// are this thread's alone; the CPU supports the kernel's target features.
    #[inline(always)]
    unsafe fn groups(job: &Rank1Job<'_, T>, outer: usize, c0: usize, v: &[T], groups: FourRows) {
        for g in 0..groups.count {
            let idx = groups.rows(g).map(|o| outer + o);
            let (a, s) = (idx.map(|o| job.row_ptr(o, c0)), idx.map(|o| job.scalar(o)));
            // SAFETY: four distinct rows of the validated, exclusively borrowed view, in a
            // block the caller gave to this thread alone.
            unsafe { Self::rows4(a, job.inner_stride, s, v, job.v_scale, job.order) };
        }
    }
}

impl<T: Copy + std::ops::Mul<Output = T>> Rank1Job<'_, T> {
    /// The scalar of outer index `o < outer_len`: `s[o]`, times `s_scale` when given.
    #[inline(always)]
    pub(crate) fn scalar(&self, o: usize) -> T {
        debug_assert!(o < self.outer_len);
        // SAFETY: o < outer_len, so the scalar's offset is inside the validated `x`/`y`.
        let raw = unsafe { *self.s.offset(o as isize * self.s_stride) };
        match self.s_scale {
            Some(alpha) => alpha * raw,
            None => raw,
        }
    }

    /// The address of element (`o`, `c`) of `A`, for `o < outer_len` and `c < v.len()`.
    #[inline(always)]
    pub(crate) fn row_ptr(&self, o: usize, c: usize) -> *mut T {
        debug_assert!(o < self.outer_len && c < self.v.len());
        let off = o as isize * self.outer_stride + c as isize * self.inner_stride;
        // SAFETY: (o, c) is inside A, whose addresses were validated when its view was built.
        unsafe { self.a.offset(off) }
    }
}

/// One rank-1 update in canonical form, shared (read-only) by the worker threads.
pub(crate) struct Rank1Job<'v, T> {
    /// Element (outer 0, inner 0) of `A`.
    pub(crate) a: *mut T,
    /// Distance between consecutive outer indices (rows when row-oriented).
    pub(crate) outer_stride: isize,
    /// Distance between consecutive inner elements (1 except on the strided fallback).
    pub(crate) inner_stride: isize,
    /// Number of outer indices.
    pub(crate) outer_len: usize,
    /// The per-outer-index scalars before `s_scale`: `x` or `y`, element 0 and stride.
    pub(crate) s: *const T,
    pub(crate) s_stride: isize,
    /// `Some(α)` when the scalars are `α·y[j]` (column-oriented).
    pub(crate) s_scale: Option<T>,
    /// The contiguous inner vector (`y`, `α·y` or `x`).
    pub(crate) v: &'v [T],
    /// `Some(α)` when the inner vector is raw `y` and the kernel forms `α·y[j]` itself.
    pub(crate) v_scale: Option<T>,
    pub(crate) order: ProductOrder,
    /// Groups of four outer indices are taken a quarter of each piece's range apart, as four
    /// long streams, rather than four adjacent ones (see `run_block`).
    pub(crate) spread: bool,
    /// The four-row x86 loops prefetch `A` ahead of themselves: set when a thread's share of
    /// `A` is larger than L1d, so that the lines come from L2 or further. In L1 they only
    /// cost: 64×64 f64 read 0.64–0.67 of the read+write pass with them (one run), 0.88–0.94
    /// without (two).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub(crate) prefetch: bool,
}

// SAFETY: the job is the one wrapper through which raw pointers into `A`, `x` and `y` cross
// threads. `A` is a validated non-aliasing view, each worker updates a disjoint block of it
// (disjoint outer or inner ranges), `s` is only read, and all workers are joined before the
// borrows behind the pointers end. T: Send + Sync (Scalar) makes sharing the elements sound.
unsafe impl<T: Scalar> Sync for Rank1Job<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Scalar> Send for Rank1Job<'_, T> {}

impl<'v, T: Scalar> Rank1Job<'v, T> {
    /// The same job seen with element type `U` when `U` is `T`.
    fn cast<U: Scalar>(&self) -> Option<Rank1Job<'v, U>> {
        let v = super::cast_slice::<T, U>(self.v)?;
        let same = |t: T| super::cast_slice::<T, U>(std::slice::from_ref(&t)).map(|u| u[0]);
        Some(Rank1Job {
            a: self.a.cast::<U>(),
            outer_stride: self.outer_stride,
            inner_stride: self.inner_stride,
            outer_len: self.outer_len,
            s: self.s.cast::<U>(),
            s_stride: self.s_stride,
            s_scale: self.s_scale.and_then(same),
            v,
            v_scale: self.v_scale.and_then(same),
            order: self.order,
            spread: self.spread,
            prefetch: self.prefetch,
        })
    }
}

/// Rank-1 rows shorter than this spread into four streams (see `run_block`); longer ones are
/// four streams already. Interleaved A/B on Zen 3, spread against adjacent rows: 1 and 2 KiB
/// rows (8192×256) 1.05–1.99×; 4 and 8 KiB rows (1024²) 0.95–1.06×; 16 KiB rows (4096² f32)
/// 0.92× at 1 and 2 threads.
const SPREAD_ROW_BYTES: usize = 4096;

/// The walk and the kernels of an update whose thread share is `share` bytes of `A` (of
/// `bytes` in all): `(spread, in_l3)`, where `spread` sends short rows four at a time a
/// quarter of a piece apart (see `run_block`) and `in_l3` hands the `Avx512` path's work to the
/// AVX2 kernels ([`l3_kernels`]).
///
/// Both start above the L2 size (`spread_min_bytes`), at [`L3_KERNELS_MIN_L2_HALVES`] and
/// [`SPREAD_MIN_L2_HALVES`] halves of it: an update of the same `A` again finds part of a share
/// of up to about 1.5 L2 in L2, where the 512-bit kernels are the faster, and the spread walk
/// did not pay below 2 L2 on the Emerald Rapids guest (measured there: see the constants).
/// The streaming bound is the one of [`lives_in_l3`].
fn bands(bytes: usize, share: usize, thresholds: Thresholds) -> (bool, bool) {
    let half_l2 = thresholds.spread_min_bytes / 2;
    // Forced to 0 (tests), `spread_min_bytes` still spreads every share; usize::MAX none.
    let spread = share >= half_l2.saturating_mul(SPREAD_MIN_L2_HALVES);
    let in_l3 = share >= l3_band_start(thresholds) && lives_in_l3(bytes, share, thresholds);
    (spread, in_l3)
}

/// The kernels of an update of `bytes`, `share` of them a thread, with inner rows of
/// `inner_bytes`, on `path`: in the L3 band (`in_l3`, from [`bands`]) the AVX2 kernels
/// ([`l3_kernels`]); below it, on the AVX-512 path, those `Thresholds::l2_kernels` names (the
/// AVX2 ones on the model-167 guest). The number of threads does not enter: on that guest the
/// AVX2 kernels were also the faster at 2 threads and on shares up to 1.5 L2 (`l2_kernels`).
fn update_kernels(
    path: KernelPath,
    bytes: usize,
    share: usize,
    inner_bytes: usize,
    in_l3: bool,
    thresholds: Thresholds,
) -> KernelPath {
    if in_l3 {
        return l3_kernels(path, true);
    }
    let top = l3_band_start(thresholds);
    super::l2_kernels::in_l2(path, bytes, share, inner_bytes, top, thresholds)
}

/// The share a thread at which the L3 band of [`bands`] starts ([`L3_KERNELS_MIN_L2_HALVES`]
/// halves of L2); below it, shares above L1d take the L2 choice of kernels.
fn l3_band_start(thresholds: Thresholds) -> usize {
    (thresholds.spread_min_bytes / 2).saturating_mul(L3_KERNELS_MIN_L2_HALVES)
}

/// A thread's share of `A` takes the AVX2 kernels of the L3 band ([`l3_kernels`]) from this
/// many halves of L2 (1.5 L2). Below, a repeated update finds much of its share in L2 and takes
/// the L2 choice of kernels ([`update_kernels`]): on the Emerald Rapids guest the 512-bit
/// kernels ran faster there, on the model-167 guest the AVX2 ones (`l2_kernels`). Emerald
/// Rapids guest (L2 2 MiB), `ger-paired`:
/// - the AVX-512 kernels with adjacent rows over the AVX2 kernels with spread ones, one to
///   five runs per shape: shares of 2 MiB 0.99–1.15 (1 thread: 512×1024 f32, 512×512 f64; 2
///   threads: 1024² f32, 1024×512 f64), 2.5 MiB 1.07–1.16, 3–3.75 MiB 0.95–1.10; the AVX2
///   kernels with adjacent rows 1.00–1.02 at 2 MiB, so the kernels carry the gain;
/// - this rule against `L2` for both bands, three runs of each build taking turns, against
///   OpenBLAS: 1024² f32 at 2 threads 0.84–0.93 → 0.96–1.12, 1280×1024 f32 0.93–0.96 →
///   1.02–1.07, 1024×512 f64 0.86–0.93 → 0.96–1.12, 1280×512 f64 0.92–0.96 → 1.00–1.08; at 1
///   thread 2–2.5 MiB (512 and 640 × 1024 f32, × 512 f64) 0.90–1.03 → 0.94–1.13; 3 MiB and up
///   alike but column-major 768×1024 f32 (rows of 3 KiB, now the adjacent walk) 0.93–0.99 →
///   1.03–1.06. Table: BENCHMARKS.md, "`ger` around the L2 size".
///
/// From 4 MiB up the L3 band's earlier measurements (1024² to 2048×4096 at 1 thread) had the
/// AVX2 kernels ahead by 0.01–0.11.
const L3_KERNELS_MIN_L2_HALVES: usize = 3;

/// Short rows of `A` take the spread walk from this many halves of L2 of a thread's share
/// (2 L2). Emerald Rapids guest, 1 thread, column-major f32 with rows of 2.5–3.75 KiB (640 to
/// 960 × 1024), shares of 2.5–3.75 MiB: adjacent rows over spread ones 1.04–1.09 (one run
/// at 640, two at the others); at 8 MiB (8192×256, 4096×512, 2730×768) 1.00–1.04, the same
/// kernels. The spread walk was measured to pay on Zen 3 from DRAM (see
/// [`SPREAD_ROW_BYTES`]), where 2 L2 is 1 MiB.
const SPREAD_MIN_L2_HALVES: usize = 4;

/// Column-major (column-oriented) `f32`/`f64` updates of at least this many bytes of `A` run
/// the row-major loop: `x` is scaled by exactly 1 in the loop, which changes no value
/// (`1·x[i]` is `x[i]`, NaN payloads too), and the kernels form each scalar `α·y[j]` as they
/// reach its column, so every element is still `A[i][j] + x[i]·(α·y[j])`. The loop that
/// scales only the scalars, with the same loads and stores and one multiply fewer, ran behind
/// on the Emerald Rapids guest where `A` stayed in L3; why is not known (no performance
/// counters), but one loop for both layouts cannot leave either behind:
/// - one 4096² f32 buffer viewed both ways, column-major over row-major: 0.96–0.97 (1
///   thread) and 0.95–0.96 (2 threads) with its own loop, 0.99–1.01 and 0.99 with this one
///   (three runs);
/// - peer bench `ger-paired`, three runs of each build taking turns, column-major against
///   the read+write pass: 4096² f32 0.93–1.12 → 0.97–1.00 (1 thread; 1.12 in a run where A
///   came partly from memory) and 0.93–0.95 → 0.97–0.98 (2 threads), 8192×256 f32
///   0.92–0.96 → 1.00–1.02 and f64 0.97–0.99 → 0.99–1.01 (1 thread); against OpenBLAS 4096²
///   f32 0.97–1.00 → 0.99–1.02; 1024² and the row-major cells alike.
///
/// Those runs formed the scalars once into a buffer before the loop. That pass, one thread
/// alone before the split, cost short columns dearly; forming them in the kernels instead
/// (model-167 guest, `ger-paired`, two runs of each build taking turns, f32) took 16×16384
/// from 59–64 to 87–100 GB/s at 1 thread and from 55–56 to 147 at 2, and 64×4096 from 93–98
/// to 110–117 and from 127–134 to 182–192; 1024² and 4096² moved by ±0.03 of OpenBLAS.
/// Below 1 MiB the gap did not show.
const SAME_LOOP_MIN_BYTES: usize = 1 << 20;

/// Runs the outer indices `outer` and the inner indices `inner` of `job` with kernel `K`, in
/// inner blocks of `block` elements so the block of `v` stays in L1 across the outer loop.
///
/// # Safety
/// `job` describes a valid update (see [`Rank1Job`]); the ranges lie inside it; nobody else
/// touches this block of `A` during the call; the CPU supports `K`'s features.
#[inline(always)]
pub(crate) unsafe fn run_block<T: Scalar, K: Rank1Row<T>>(
    job: &Rank1Job<'_, T>,
    outer: Range<usize>,
    inner: Range<usize>,
    block: usize,
) {
    debug_assert!(outer.end <= job.outer_len && inner.end <= job.v.len());
    // Four rows at a time whenever the kernel can, whatever their relative alignment: the
    // shared loads of `v` matter more than aligning rows 1–3 (measured at 1000×1000 f32:
    // 31–45 GB/s one row at a time, 57–65 four at a time, against 76–85 for the in-place pass).
    let group = if K::GROUP == 4 { 4 } else { 1 };
    // With `job.spread`, whole rows shorter than SPREAD_ROW_BYTES go four at a time a quarter
    // of this range apart, rows o, o + q, o + 2q, o + 3q: four long streams keep more of the
    // reads of `A` in flight than four adjacent short rows (read-modify-write passes over 16
    // and 64 MiB on Zen 3: 1.9× four adjacent 2 KiB rows; 1.04× from L3).
    let row_bytes = (inner.end - inner.start) * std::mem::size_of::<T>();
    let spread = job.spread && inner.end - inner.start <= block && row_bytes < SPREAD_ROW_BYTES;
    let groups = FourRows::new(outer.end - outer.start, spread);
    let mut c0 = inner.start;
    while c0 < inner.end {
        let c1 = (c0 + block).min(inner.end);
        let v = &job.v[c0..c1];
        let mut o = outer.start;
        if group == 4 {
            // SAFETY: the groups cover rows outer.start .. outer.start + 4·count ≤ outer.end,
            // columns c0..c1, the block the caller gave to this thread alone.
            unsafe { K::groups(job, outer.start, c0, v, groups) };
            o = outer.start + 4 * groups.count;
        }
        while o < outer.end {
            let (a, s) = (job.row_ptr(o, c0), job.scalar(o));
            // SAFETY: as above, one row.
            unsafe { K::row(a, job.inner_stride, s, v, job.v_scale, job.order) };
            o += 1;
        }
        c0 = c1;
    }
}

/// Normalises the strides, builds the job (gathering a strided inner vector), and runs it on
/// one or more threads.
pub(crate) fn run<T: Scalar>(
    path: KernelPath,
    thresholds: Thresholds,
    alpha: T,
    mut x: VecRef<'_, T>,
    mut y: VecRef<'_, T>,
    mut a: MatMut<'_, T>,
) {
    let (m, n) = a.shape();
    if m == 0 || n == 0 {
        return;
    }
    // Reversing rows of A together with x (columns with y) permutes the updates without
    // changing any of them, and leaves every stride of A non-negative.
    if a.row_stride() < 0 && m > 1 {
        a = a.reverse_rows();
        x = x.reverse();
    }
    if a.col_stride() < 0 && n > 1 {
        a = a.reverse_cols();
        y = y.reverse();
    }
    // The stride of a unit dimension (of A, x or y) is never followed, and a view may carry
    // any value there, isize::MIN included: take 0, so no stride arithmetic below overflows.
    let unit_free = |len: usize, stride: isize| if len == 1 { 0 } else { stride };
    let (rs, cs) = (unit_free(m, a.row_stride()), unit_free(n, a.col_stride()));
    let row_oriented = n > 1 && (m == 1 || cs <= rs);
    let bytes = m * n * size_of::<T>();
    // The walk and the kernels follow one thread's share; the pieces are smaller.
    let split = split_for(bytes, thresholds);
    let (share, pieces) = (split.share(bytes), split.pieces);
    let (spread, in_l3) = bands(bytes, share, thresholds);
    let inner_bytes = if row_oriented { n } else { m } * size_of::<T>();
    let path = update_kernels(path, bytes, share, inner_bytes, in_l3, thresholds);
    let l1d = super::cache_sizes().l1d;
    let prefetch = share > l1d;
    let gathered: Vec<T>;
    let job = if row_oriented {
        // A strided y is gathered as it is, not as α·y, so that the loop is the one of a
        // contiguous y: the loop with α·y formed beforehand ran at 0.95–0.96 of it (4096²
        // f32, one buffer, three runs, 1 and 2 threads; see `SAME_LOOP_MIN_BYTES`).
        let v = match y.as_slice() {
            Some(y) => y,
            None => {
                gathered = y.to_vec();
                gathered.as_slice()
            }
        };
        Rank1Job {
            a: a.as_mut_ptr(),
            outer_stride: rs,
            inner_stride: cs,
            outer_len: m,
            s: x.as_ptr(),
            s_stride: unit_free(m, x.stride()),
            s_scale: None,
            v,
            v_scale: Some(alpha),
            order: ProductOrder::ScalarFirst,
            spread,
            prefetch,
        }
    } else {
        let v = match x.as_slice() {
            Some(x) => x,
            None => {
                gathered = x.to_vec();
                gathered.as_slice()
            }
        };
        // Large float updates run the row-major loop (see `SAME_LOOP_MIN_BYTES`): x scaled
        // by exactly 1 in the loop; the kernels form each scalar α·y[j] as they reach it.
        let same_loop = bytes >= SAME_LOOP_MIN_BYTES && ScalarKind::of::<T>() != ScalarKind::Other;
        Rank1Job {
            a: a.as_mut_ptr(),
            outer_stride: cs,
            inner_stride: rs,
            outer_len: n,
            s: y.as_ptr(),
            s_stride: unit_free(n, y.stride()),
            s_scale: Some(alpha),
            v,
            v_scale: same_loop.then_some(T::one()),
            order: ProductOrder::VectorFirst,
            spread,
            prefetch,
        }
    };
    let (outer_len, inner_len) = (job.outer_len, job.v.len());
    let blk = block_elems::<T>();
    // `v` moves away from 4 KiB aliasing with the rows (`alias::with_placed`), in one copy
    // per thread. On one thread, the SIMD float kernels on contiguous rows and a share in L2
    // also take it on the rows' offset from a line. Threaded updates do not: a copy per piece
    // for the line did not pay in the peer bench, with the AVX2 kernels nor with the AVX-512
    // ones (BENCHMARKS.md, "`ger` in L2 on the AVX2 kernels"), nor one per thread in a harness
    // (benches/peers/ger-2t-l2). Elsewhere it was not measured.
    let on_line = split.threads == 1
        && matches!(path, KernelPath::Avx2Fma | KernelPath::Avx512)
        && ScalarKind::of::<T>() != ScalarKind::Other
        && job.inner_stride == 1
        && share > l1d
        && !in_l3;
    let rows = (stride_bytes::<T>(job.outer_stride), outer_len);
    let call = if pieces == 1 { 0 } else { new_call() };
    let job = &job;
    let work = |o: Range<usize>, i: Range<usize>| {
        with_placed(call, job.v, job.a, rows, on_line, |v| {
            dispatch(path, &Rank1Job { v, ..*job }, o, i, blk)
        })
    };
    let line = (64 / size_of::<T>().max(1)).max(1);
    if pieces == 1 {
        work(0..outer_len, 0..inner_len);
    } else if splits_in_row_order(outer_len, split, share, thresholds) {
        par_row_order(outer_len, inner_len, pieces, line, size_of::<T>(), &work);
    } else if outer_len >= pieces {
        super::par_ranges(
            outer_len,
            pieces,
            1,
            inner_len * size_of::<T>(),
            &|o0, o1| work(o0..o1, 0..inner_len),
        );
    } else {
        // Few long rows (say 2×10⁶): split along them, on cache-line multiples.
        super::par_ranges(
            inner_len,
            pieces,
            line,
            outer_len * size_of::<T>(),
            &|i0, i1| work(0..outer_len, i0..i1),
        );
    }
}

/// Whether a threaded update of `outer_len` rows (outer indices), `share` bytes a thread,
/// splits its elements in row order (`par_row_order`) rather than whole rows, or, with fewer
/// rows than pieces, columns. It does when each share fits in L2 (`spread_min_bytes`, the
/// per-core L2 by default), there are [`ROW_ORDER_MIN_ROWS`] rows or more but fewer than
/// [`ROW_ORDER_ROWS_A_PIECE`] a piece, and either whole rows would not split evenly between
/// the threads or there are fewer rows than pieces.
///
/// Uneven halves leave one thread idle early; it steals a piece of the other's, and which
/// piece it steals changes from call to call, so a repeated update of the same `A` finds
/// that piece's lines in the other core's L2 (an instrumented build counted 0.12–0.28 of the
/// pieces changing thread from one call to the next at 7×37449 and 13×20164 in 11 of 12
/// runs, 0.003–0.012 at 32×8192, whose rows split evenly). A split of
/// the columns keeps the halves even but cuts every row at each piece boundary, likely where
/// the cores again trade lines. Split in row order, the halves are even to a cache line and
/// share at most one row.
///
/// Model-167 guest (2 MiB L2 a core), standalone harness, f32 row-major, 2 threads, median
/// GB/s over five or seven rounds of each split taking turns (1 thread: 89–104 at 1 MiB):
/// - 1 MiB, six pieces, odd rows, whole rows → row order: 7×37449 29 → 113, 9×29127 40 →
///   117, 11×23831 57 → 122, 13×20164 34 → 121, 15×17476 80 → 125, 21×12483 93 → 132;
///   column-major 37449×7, 20164×13 and 17476×15: 27, 35 and 85 → 115, 124 and 128;
/// - 1 MiB, even rows, which whole rows split evenly: 6×43690 119 → 106, 8×32767 124 → 79,
///   12×21845 124 → 80, so those keep whole rows;
/// - about 2 MiB, 14 or 16 pieces, columns → row order: 6×87381 54 → 111, 7×74898 81 → 117,
///   8×65536 96 → 117, 10×52428 65 → 110, 13×40330 69 → 116, 15×34952 55 → 115;
/// - below [`ROW_ORDER_MIN_ROWS`] rows the column split was mostly the faster: 2×131071 125
///   → 88, 3×174762 133 → 107, 4×65535 135 → 78, 5×52428 121 → 80 (but 5×104857 93 → 120);
/// - 0.5 MiB, four pieces, odd rows, which the rule also takes: 7×18724 92 → 85, 13×10082
///   105 → 92, a loss within this host's spread elsewhere but not tested further.
///
/// Where a share leaves L2 (7×150000, 100×100000) whole rows ran 5–7 % faster, and stealing
/// moves no line that was in L2 anyway, so the rule stops at L2. Peer bench: BENCHMARKS.md,
/// "`ger` splits a few rows in row order".
fn splits_in_row_order(
    outer_len: usize,
    split: super::Split,
    share: usize,
    thresholds: Thresholds,
) -> bool {
    let pieces = split.pieces;
    share <= thresholds.spread_min_bytes
        && outer_len >= ROW_ORDER_MIN_ROWS
        && outer_len < ROW_ORDER_ROWS_A_PIECE.saturating_mul(pieces)
        && (outer_len < pieces || !outer_len.is_multiple_of(split.threads.max(1)))
}

/// From this many rows a piece up, whole rows split well enough (see
/// [`splits_in_row_order`]).
const ROW_ORDER_ROWS_A_PIECE: usize = 4;

/// Below this many rows the column split stays (see [`splits_in_row_order`]).
const ROW_ORDER_MIN_ROWS: usize = 6;

/// Splits the `outer × inner` elements of an update (`unit_bytes` each) into `pieces` ranges in
/// row order, cut on multiples of `align` elements, and calls `work(rows, columns)` for the
/// blocks of each ([`row_spans`]), in parallel. Kept out of line as a precaution, so that the
/// common split by whole rows compiles as before; 1024² (whole rows) ran alike with it inlined
/// and out of line.
#[inline(never)]
fn par_row_order<F: Fn(Range<usize>, Range<usize>) + Sync>(
    outer: usize,
    inner: usize,
    pieces: usize,
    align: usize,
    unit_bytes: usize,
    work: &F,
) {
    super::par_ranges(outer * inner, pieces, align, unit_bytes, &|f0, f1| {
        for (rows, columns) in row_spans(f0, f1, inner).into_iter().flatten() {
            work(rows, columns);
        }
    });
}

/// The part of `A` that elements `f0..f1` cover, counted in row order over rows (outer
/// indices) of `n` elements: at most three blocks of (rows, columns), the end of a first row,
/// whole rows, and the start of a last row.
fn row_spans(f0: usize, f1: usize, n: usize) -> [Option<(Range<usize>, Range<usize>)>; 3] {
    debug_assert!(n > 0 && f0 <= f1);
    let (r0, c0, r1, c1) = (f0 / n, f0 % n, f1 / n, f1 % n);
    if r0 == r1 {
        return [(c0 < c1).then_some((r0..r0 + 1, c0..c1)), None, None];
    }
    let whole = if c0 > 0 { r0 + 1 } else { r0 };
    [
        (c0 > 0).then_some((r0..r0 + 1, c0..n)),
        (whole < r1).then_some((whole..r1, 0..n)),
        (c1 > 0).then_some((r1..r1 + 1, 0..c1)),
    ]
}

/// Bytes between consecutive rows (or columns) of `A` for a non-negative element stride.
fn stride_bytes<T>(stride: isize) -> usize {
    stride.unsigned_abs() * size_of::<T>()
}

/// A small update as a plain double loop over `A` in memory order: `A[i][j] + x[i]·(α·y[j])`
/// for every element, the same three roundings as every kernel.
pub(crate) fn small<T: Scalar>(alpha: T, x: VecRef<'_, T>, y: VecRef<'_, T>, mut a: MatMut<'_, T>) {
    let (m, n) = a.shape();
    let (rs, cs) = (a.row_stride(), a.col_stride());
    let (xp, xs, yp, ys) = (x.as_ptr(), x.stride(), y.as_ptr(), y.stride());
    let p = a.as_mut_ptr();
    debug_assert!(x.len() == m && y.len() == n);
    // SAFETY: (whole body) i < m and j < n, so every offset is an element of the validated
    // views: A is exclusively borrowed and alias-free (each (i, j) its own address), x and y
    // are only read.
    unsafe {
        if cs == 1 && ys == 1 && n <= SMALL_ROW {
            // Contiguous rows and y, the usual case: α·y once into a scratch row (the same
            // values the loop below forms per element), so each element costs one multiply
            // and one add (8×8 f64: about 680 → 544 instructions a call, callgrind; with the
            // fixed-size lines of `small_lines`, 470 → 383 in a harness whose naive double
            // loop takes 510).
            let mut scratch = [const { std::mem::MaybeUninit::<T>::uninit() }; SMALL_ROW];
            for (d, j) in scratch.iter_mut().zip(0..n) {
                d.write(alpha * *yp.add(j));
            }
            debug_assert!(n <= scratch.len());
            // The first n elements were just written.
            let t = std::slice::from_raw_parts(scratch.as_ptr().cast::<T>(), n);
            small_lines(p, rs, m, |i| *xp.offset(i * xs), t);
        } else if rs == 1 && xs == 1 {
            // Contiguous columns and x: column j gains α·y[j] times x, the same product
            // x[i]·(α·y[j]) with its factors swapped (exact: IEEE multiplication commutes), so
            // the loop vectorises as the row case does. (8×8 f64 col-major, one harness: 566
            // instructions a call with the strided loop below, 385 this way, as row-major;
            // in six peer-bench runs the strided loop had ranged 0.88–1.57× faer.)
            let x = std::slice::from_raw_parts(xp, m);
            small_lines(p, cs, n, |j| alpha * *yp.offset(j * ys), x);
        } else if cs.unsigned_abs() <= rs.unsigned_abs() {
            // Along rows: the update of row i is x[i] times the scaled row y.
            for i in 0..m as isize {
                let (xi, row) = (*xp.offset(i * xs), p.offset(i * rs));
                for j in 0..n as isize {
                    let q = row.offset(j * cs);
                    *q = *q + xi * (alpha * *yp.offset(j * ys));
                }
            }
        } else {
            for j in 0..n as isize {
                let (t, col) = (alpha * *yp.offset(j * ys), p.offset(j * cs));
                for i in 0..m as isize {
                    let q = col.offset(i * rs);
                    *q = *q + *xp.offset(i * xs) * t;
                }
            }
        }
    }
}

/// Rows of [`small`] up to this many elements take the scratch-row loop.
const SMALL_ROW: usize = 64;

/// `lines` contiguous lines of `t.len()` elements, line `i` at `p + i·stride`, each gaining
/// `s(i)·t`: the rows of [`small`] (`s(i) = x[i]`, `t = α·y`) or its columns (`s(j) = α·y[j]`,
/// `t = x`). Lines of 4, 8, 12 or 16 elements are fixed-size arrays, which compile to
/// straight-line vector code without the per-line loop checks of a slice loop.
///
/// # Safety
/// Every line is `t.len()` elements of `A`, exclusively borrowed, disjoint from the other
/// lines and from `t`.
#[inline(always)]
unsafe fn small_lines<T: Scalar>(
    p: *mut T,
    stride: isize,
    lines: usize,
    s: impl Fn(isize) -> T,
    t: &[T],
) {
    // SAFETY: forwarded contract.
    unsafe {
        match t.len() {
            4 => fixed_lines::<T, 4>(p, stride, lines, s, t),
            8 => fixed_lines::<T, 8>(p, stride, lines, s, t),
            12 => fixed_lines::<T, 12>(p, stride, lines, s, t),
            16 => fixed_lines::<T, 16>(p, stride, lines, s, t),
            n => {
                for i in 0..lines as isize {
                    let line = std::slice::from_raw_parts_mut(p.offset(i * stride), n);
                    let si = s(i);
                    for (q, &tj) in line.iter_mut().zip(t) {
                        *q = *q + si * tj;
                    }
                }
            }
        }
    }
}

/// [`small_lines`] for lines of exactly `N` elements.
///
/// # Safety
/// As [`small_lines`], with `t.len() == N`.
#[inline(always)]
unsafe fn fixed_lines<T: Scalar, const N: usize>(
    p: *mut T,
    stride: isize,
    lines: usize,
    s: impl Fn(isize) -> T,
    t: &[T],
) {
    debug_assert_eq!(t.len(), N);
    let t: &[T; N] = t.try_into().expect("t has N elements");
    for i in 0..lines as isize {
        // SAFETY: line i is N elements of A (caller), and `[T; N]` has T's alignment.
        let line = unsafe { &mut *p.offset(i * stride).cast::<[T; N]>() };
        let si = s(i);
        let old = *line;
        *line = std::array::from_fn(|j| old[j] + si * t[j]);
    }
}

/// Routes one block to the kernel for `T`, `path` and the inner stride.
fn dispatch<T: Scalar>(
    path: KernelPath,
    job: &Rank1Job<'_, T>,
    outer: Range<usize>,
    inner: Range<usize>,
    blk: usize,
) {
    if job.inner_stride == 1 {
        match ScalarKind::of::<T>() {
            ScalarKind::F32 => {
                if let Some(j) = job.cast::<f32>() {
                    return f32::rank1(path, &j, outer, inner, blk);
                }
            }
            ScalarKind::F64 => {
                if let Some(j) = job.cast::<f64>() {
                    return f64::rank1(path, &j, outer, inner, blk);
                }
            }
            ScalarKind::Other => {}
        }
    }
    super::portable::rank1(job, outer, inner, blk);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    #[test]
    fn bands_start_at_one_and_a_half_and_two_l2() {
        let t = Thresholds {
            spread_min_bytes: 2 << 20,
            streaming_min_bytes: 64 << 20,
            ..crate::arch::default_thresholds()
        };
        let mib = 1 << 20;
        // (share, spread, in_l3) with the whole at 32 MiB, below the streaming bound.
        for (share, want) in [
            (2 * mib, (false, false)),
            (3 * mib - 1, (false, false)),
            (3 * mib, (false, true)),
            (4 * mib - 1, (false, true)),
            (4 * mib, (true, true)),
        ] {
            assert_eq!(bands(32 * mib, share, t), want, "share {share}");
        }
        // From the streaming bound the kernels stay; the walk does not depend on it.
        assert_eq!(bands(64 * mib, 4 * mib, t), (true, false));
        // Forced thresholds keep their meaning: 0 spreads (and, below streaming, is L3)
        // everything, usize::MAX nothing.
        let zero = Thresholds {
            spread_min_bytes: 0,
            ..t
        };
        assert_eq!(bands(1024, 1, zero), (true, true));
        let never = Thresholds {
            spread_min_bytes: usize::MAX,
            ..t
        };
        assert_eq!(bands(32 * mib, 16 * mib, never), (false, false));
    }

    #[test]
    fn shares_below_the_l3_band_take_the_l2_choice_at_any_thread_count() {
        use crate::arch::L2Kernels;
        let mib = 1 << 20;
        let t = Thresholds {
            spread_min_bytes: 2 * mib,
            streaming_min_bytes: 64 * mib,
            l2_kernels: L2Kernels::Avx2,
            ..crate::arch::default_thresholds()
        };
        let (avx512, avx2) = (KernelPath::Avx512, KernelPath::Avx2Fma);
        let l1d = crate::arch::cache_sizes().l1d;
        let kernels = |path, bytes, share, row, t| {
            let (_, in_l3) = bands(bytes, share, t);
            update_kernels(path, bytes, share, row, in_l3, t)
        };
        // (bytes, share a thread, inner row bytes, kernels with the AVX2 choice)
        let cases = [
            (256 << 10, 256 << 10, 1024, avx2),       // one thread in L2
            (256 << 10, 128 << 10, 1024, avx2),       // two threads in L2
            (4 * mib, 2 * mib, 4096, avx2),           // two threads, a share of one L2
            (3 * mib - 64, 3 * mib - 64, 4096, avx2), // just below the L3 band
            (6 * mib, 3 * mib, 4096, avx2),           // the L3 band's own AVX2 kernels
            (128 * mib, 2 * mib, 4096, avx512),       // from memory
            (l1d, l1d, 1024, avx512),                 // in L1
            (256 << 10, 128 << 10, 512, avx512),      // short rows
        ];
        // The AVX-512 choice keeps AVX-512 below the band; other paths are never changed.
        let keep = Thresholds {
            l2_kernels: L2Kernels::Avx512,
            ..t
        };
        for (bytes, share, row, want) in cases {
            let got = kernels(avx512, bytes, share, row, t);
            assert_eq!(got, want, "{bytes} bytes, {share} a thread, rows of {row}");
            let in_l3 = bands(bytes, share, t).1;
            let want_kept = if in_l3 { avx2 } else { avx512 };
            assert_eq!(kernels(avx512, bytes, share, row, keep), want_kept);
            assert_eq!(kernels(avx2, bytes, share, row, t), avx2);
            assert_eq!(
                kernels(KernelPath::Sse2, bytes, share, row, t),
                KernelPath::Sse2
            );
        }
    }

    fn view<T: Scalar>(buf: &mut [T], m: usize, n: usize, row_major: bool) -> MatMut<'_, T> {
        if row_major {
            MatMut::row_major(buf, m, n)
        } else {
            MatMut::col_major(buf, m, n)
        }
        .unwrap()
    }

    /// [`small`] on every line length around the fixed-size ones, both layouts and a strided
    /// `x`, bitwise against the reference (distinct products, so a misplaced line shows).
    fn check<T: Scalar + std::fmt::Debug>(of: impl Fn(i32) -> T) {
        let alpha = of(3);
        for m in [0, 1, 3, 4, 8, 13, 16, 17, 65] {
            for n in [0, 1, 3, 4, 5, 8, 11, 12, 15, 16, 17, 64, 65] {
                let xs: Vec<T> = (0..2 * m as i32).map(|i| of(1 + i)).collect();
                let y: Vec<T> = (0..n as i32).map(|j| of(100 + 3 * j)).collect();
                let start: Vec<T> = (0..(m * n) as i32).map(|e| of(1000 + e)).collect();
                for (row_major, sx) in [(true, 1), (false, 1), (false, 2), (true, 2)] {
                    let x = VecRef::new(&xs, 0, m, sx).unwrap();
                    let y = VecRef::new(&y, 0, n, 1).unwrap();
                    let (mut got, mut want) = (start.clone(), start.clone());
                    small(alpha, x, y, view(&mut got, m, n, row_major));
                    reference::ger(alpha, x, y, view(&mut want, m, n, row_major));
                    assert_eq!(got, want, "{m}×{n} row-major {row_major} x stride {sx}");
                }
            }
        }
    }

    #[test]
    fn row_order_takes_odd_rows_and_rows_fewer_than_the_pieces_in_l2() {
        let mut t = crate::arch::default_thresholds();
        t.spread_min_bytes = 1 << 21;
        let (six, sixteen) = (
            crate::arch::Split {
                threads: 2,
                pieces: 6,
            },
            crate::arch::Split {
                threads: 2,
                pieces: 16,
            },
        );
        let takes = |rows: usize, split, share| splits_in_row_order(rows, split, share, t);
        // Six pieces: odd row counts from 6 up to 4 a piece; even ones split evenly.
        for (rows, want) in [(5, false), (6, false), (7, true), (8, false), (23, true)] {
            assert_eq!(takes(rows, six, 1 << 19), want, "{rows} rows, six pieces");
        }
        assert!(!takes(25, six, 1 << 19));
        // Sixteen pieces: every count from 6 up to the pieces, then odd ones.
        for (rows, want) in [(5, false), (6, true), (10, true), (16, false), (17, true)] {
            assert_eq!(
                takes(rows, sixteen, 1 << 20),
                want,
                "{rows} rows, sixteen pieces"
            );
        }
        // Shares larger than L2 keep whole rows.
        assert!(!takes(7, six, (1 << 21) + 1));
    }

    #[test]
    fn row_spans_cover_each_element_once_in_order() {
        for n in [1, 2, 7, 16] {
            for f0 in 0..3 * n + 2 {
                for f1 in f0..3 * n + 3 {
                    let mut next = f0;
                    for (rows, cols) in row_spans(f0, f1, n).into_iter().flatten() {
                        assert!(!rows.is_empty() && !cols.is_empty() && cols.end <= n);
                        assert!(rows.len() == 1 || cols == (0..n), "{n} {f0} {f1}");
                        for r in rows {
                            for c in cols.clone() {
                                assert_eq!(r * n + c, next, "{n} {f0} {f1}");
                                next += 1;
                            }
                        }
                    }
                    assert_eq!(next, f1, "{n} {f0} {f1}");
                }
            }
        }
    }

    #[test]
    fn small_matches_the_reference_on_every_line_length() {
        check::<f64>(f64::from);
        check::<f32>(|v| v as f32);
        check::<i64>(i64::from);
    }
}
