//! The outer-product driver: splits the flat output across threads, blocks the columns so the
//! reused slice of `b` stays in L1 while output rows stream past it, and calls a row kernel
//! (`OuterRow`) for every row segment.
//!
//! The driver body is `#[inline(always)]` and generic over the row kernel, so the x86 wrappers
//! instantiate it inside their `#[target_feature]` functions and the whole loop nest is compiled
//! for AVX2 or SSE2, not only the innermost row.

use std::mem::size_of_val;

use super::alias::{new_call, with_placed};
use super::l2_kernels::outer_kernels;
use super::{
    active, cast_slice, cast_slice_mut, par_chunks_mut, par_each_mut, split_for, thresholds,
};
use super::{block_elems, l3_kernels, lives_in_l3, FloatKernels, FourRows, KernelPath};
use super::{SpreadWrite, Stores, Thresholds};
use crate::scalar::{Scalar, ScalarKind};

/// Writes one row segment of an outer product.
pub(crate) trait OuterRow<T: Copy> {
    /// `out[k] = ai·b[k]` for every `k`, with the given store kind where the kernel has it.
    ///
    /// # Safety
    /// `out.len() == b.len()`, and the CPU supports the kernel's target features (the
    /// dispatcher checked them with `KernelPath::is_available`).
    unsafe fn row(out: &mut [T], ai: T, b: &[T], stores: Stores);

    /// Columns `c0 .. c0 + seg.len()` of the rows of every group of `groups` in `body`, the
    /// whole-row part of a chunk (rows of `n` elements, scalars `rows`, `seg = b[c0..]`).
    /// Kernels override it to load each piece of `b` once for four rows and to walk the
    /// groups with pointers, which keeps the per-group cost to a few instructions.
    ///
    /// # Safety
    /// As [`row`](Self::row), with `body.len() == rows.len()·n`, `c0 + seg.len() ≤ n` and
    /// `4·groups.count ≤ rows.len()`.
    #[inline(always)]
    unsafe fn groups(
        body: &mut [T],
        n: usize,
        c0: usize,
        rows: &[T],
        seg: &[T],
        groups: FourRows,
        stores: Stores,
    ) {
        // SAFETY: forwarded contract.
        unsafe { groups_by_row::<T, Self>(body, n, c0, rows, seg, groups, stores) }
    }
}

/// [`OuterRow::groups`] one row at a time with [`OuterRow::row`]: the default, and the
/// fallback of kernels whose four-row path does not apply.
///
/// # Safety
/// As [`OuterRow::groups`].
#[inline(always)]
pub(crate) unsafe fn groups_by_row<T: Copy, K: OuterRow<T> + ?Sized>(
    body: &mut [T],
    n: usize,
    c0: usize,
    rows: &[T],
    seg: &[T],
    groups: FourRows,
    stores: Stores,
) {
    let c1 = c0 + seg.len();
    for g in 0..groups.count {
        for i in groups.rows(g) {
            // SAFETY: forwarded contract, the columns c0..c1 of one row.
            unsafe { K::row(&mut body[i * n + c0..i * n + c1], rows[i], seg, stores) };
        }
    }
}

/// How [`chunk`] walks the output.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Walk {
    /// Column block, in elements: longer rows are written a block of columns at a time, so
    /// that the block of `b` stays in L1.
    pub(crate) block: usize,
    /// `Some`: rows go four at a time a quarter of the chunk apart rather than four adjacent
    /// ones, each group written as the [`SpreadWrite`] says (see [`walk_for`], which sets it).
    pub(crate) spread: Option<SpreadWrite>,
    /// Whether a chunk written with streaming stores ends with a store fence, which makes
    /// them visible before the chunk's thread reports it done. [`run_stack`] clears it and
    /// fences once per piece instead of once per product.
    pub(crate) fence: bool,
    /// `Some(len)`: the chunk is written as four flat streams a quarter of it apart, `len`
    /// elements of each in turn, whatever its rows ([`four_streams`]). [`walk_for`] sets it
    /// for rows longer than a block in L3 with [`SpreadWrite::RowByRow`].
    pub(crate) streams: Option<usize>,
}

/// Fills the flat range `first .. first + out.len()` of the row-major `a.len() × b.len()` outer
/// product into `out`: a partial first row, whole rows (in column blocks of `walk.block`
/// elements when longer), then a partial last row.
///
/// # Safety
/// As [`OuterRow::row`]: the CPU supports `K`'s features. `b` is non-empty and the range lies
/// inside the product (checked with `debug_assert!`; slice indexing checks it again).
#[inline(always)]
pub(crate) unsafe fn chunk<T: Copy, K: OuterRow<T>>(
    out: &mut [T],
    first: usize,
    a: &[T],
    b: &[T],
    walk: Walk,
    stores: Stores,
) {
    let (n, block) = (b.len(), walk.block);
    debug_assert!(n > 0 && first + out.len() <= a.len() * n);
    if let Some(turn) = walk.streams {
        // SAFETY: forwarded contract.
        return unsafe { four_streams::<T, K>(out, first, a, b, turn, stores) };
    }
    // (A division costs tens of cycles: skip it for the common whole-product chunk.)
    let (mut i, j0) = if first == 0 {
        (0, 0)
    } else {
        (first / n, first % n)
    };
    let mut rest = out;
    if j0 != 0 {
        let len = (n - j0).min(rest.len());
        let (head, tail) = rest.split_at_mut(len);
        // SAFETY: head.len() == len == b[j0..j0 + len].len(); features as promised by our caller.
        unsafe { K::row(head, a[i], &b[j0..j0 + len], stores) };
        rest = tail;
        i += 1;
    }
    // The whole product (the usual chunk) has a.len() full rows: no division.
    let full = if i == 0 && rest.len() == a.len() * n {
        a.len()
    } else {
        rest.len() / n
    };
    let (body, tail) = rest.split_at_mut(full * n);
    let rows = &a[i..i + full];
    // Four rows at a time, adjacent or spread (`walk.spread`: rows g, g + q, g + 2q, g + 3q
    // for g < q = full / 4); the rows left over go one by one.
    let groups = FourRows::new(full, walk.spread.is_some());
    // Whole rows when they fit the block, else column blocks of every row in turn.
    // (A plain loop: `step_by` divides to count its steps.)
    let mut c0 = 0;
    while c0 < n {
        let c1 = (c0 + block.max(1)).min(n);
        let seg = &b[c0..c1];
        // SAFETY: body holds rows.len() rows of n elements; c1 ≤ n; 4·count ≤ rows.len().
        unsafe {
            if walk.spread == Some(SpreadWrite::RowByRow) {
                groups_by_row::<T, K>(body, n, c0, rows, seg, groups, stores);
            } else {
                K::groups(body, n, c0, rows, seg, groups, stores);
            }
        }
        for (i, &ai) in rows.iter().enumerate().skip(4 * groups.count) {
            // SAFETY: both sides are the columns c0..c1 of one row.
            unsafe { K::row(&mut body[i * n + c0..i * n + c1], ai, seg, stores) };
        }
        c0 = c1;
    }
    if !tail.is_empty() {
        let len = tail.len();
        // SAFETY: tail.len() == len == b[..len].len(), and len < n.
        unsafe { K::row(tail, a[i + full], &b[..len], stores) };
    }
}

/// The flat range `first .. first + out.len()` of the row-major `a.len() × b.len()` outer
/// product, as [`chunk`] writes it, in four streams: the range is cut in quarters (at cache
/// lines, or up to one element before one where the element size does not divide the
/// distance to it), and `turn` elements of each quarter are written in turn, row by
/// row where a turn crosses the end of a row. Each element is still the one product
/// `a[i]·b[j]`. The chunk is a threaded piece of one product, or the part of one product of
/// a stack ([`run_stack`]) in a piece.
///
/// For rows longer than a column block in L3 on Intel ([`walk_for`]), where every line
/// written is first read for ownership. There four streams taking turns wrote faster than
/// one row segment at a time (see [`STREAM_TURN_BYTES`]), as the spread rows of shorter
/// rows already did. More of those reads in flight at once is the likely reason; it is not
/// measured (the guest has no performance counters).
///
/// # Safety
/// As [`chunk`].
#[inline(always)]
unsafe fn four_streams<T: Copy, K: OuterRow<T>>(
    out: &mut [T],
    first: usize,
    a: &[T],
    b: &[T],
    turn: usize,
    stores: Stores,
) {
    let (n, len) = (b.len(), out.len());
    let turn = turn.max(1);
    // Quarter q starts at the first element at or after q·len/4 that begins a cache line
    // (in address terms, so that the turns of streams 1–3 start on lines); where the
    // element size does not divide the distance, at the last element that starts before
    // that line. Either way the starts never decrease and stay within `len`, so the
    // quarters cut the range without gap or overlap.
    let size = std::mem::size_of::<T>().max(1);
    let base = out.as_ptr() as usize;
    let start = |q: usize| {
        let raw = len * q / 4;
        let addr = base + raw * size;
        (raw + (addr.next_multiple_of(64) - addr) / size).min(len)
    };
    let mut at = [0, start(1), start(2), start(3)];
    let end = [at[1], at[2], at[3], len];
    // Row and column of each stream's next element (one division per stream and chunk).
    let mut row = [0; 4];
    let mut col = [0; 4];
    for q in 0..4 {
        let g = first + at[q];
        (row[q], col[q]) = (g / n, g % n);
    }
    loop {
        let mut more = false;
        for q in 0..4 {
            let stop = (at[q] + turn).min(end[q]);
            while at[q] < stop {
                let l = (n - col[q]).min(stop - at[q]);
                debug_assert!(row[q] < a.len() && col[q] + l <= n);
                // SAFETY: `l` elements of one row: out[at..at + l] holds elements (row, col)
                // onwards of the product, b[col..col + l] their factors; features as
                // promised by our caller.
                unsafe {
                    K::row(
                        &mut out[at[q]..at[q] + l],
                        a[row[q]],
                        &b[col[q]..col[q] + l],
                        stores,
                    )
                };
                at[q] += l;
                col[q] += l;
                if col[q] == n {
                    (row[q], col[q]) = (row[q] + 1, 0);
                }
            }
            more |= at[q] < end[q];
        }
        if !more {
            break;
        }
    }
}

/// The store kind and thread count for the output (under the path and thresholds of the
/// calling thread), then the kernel on each chunk.
#[inline]
pub(crate) fn run<T: Scalar>(out: &mut [T], a: &[T], b: &[T]) {
    if out.is_empty() {
        return;
    }
    // Read here rather than passed in: the thresholds are five words, which a call passes
    // through memory.
    let (path, thresholds) = (active(), thresholds());
    let bytes = size_of_val(out);
    let block = block_elems::<T>();
    if bytes <= DIRECT_MAX_BYTES
        && bytes < thresholds.streaming_min_bytes
        && bytes < thresholds.spread_min_bytes
        && bytes
            < thresholds
                .parallel_min_bytes
                .min(thresholds.cold_parallel_min_bytes)
        && whole(path, out, a, b, block)
    {
        return;
    }
    run_general(out, a, b, path, thresholds);
}

/// [`run`] past the direct whole-product kernel: short rows, threads, streaming stores and
/// the chunk walk. Out of line, so that the direct call of a small product does not pay for
/// its frame: with `run` in one piece, 64×64 f32 (16 bytes off a line) ran at 0.88 of a fill
/// against 0.90 split, 8×64 at 0.71 against 0.77 (Sapphire Rapids guest, paired medians).
#[inline(never)]
fn run_general<T: Scalar>(
    out: &mut [T],
    a: &[T],
    b: &[T],
    path: KernelPath,
    thresholds: Thresholds,
) {
    let bytes = size_of_val(out);
    let block = block_elems::<T>();
    let stores = if bytes >= thresholds.streaming_min_bytes {
        Stores::NonTemporal
    } else {
        Stores::Normal
    };
    if short_rows::<T>(path, b.len()) {
        let pieces = split_for(bytes, thresholds).pieces;
        let work = |chunk: &mut [T], first: usize| short(path, stores, chunk, first, a, b);
        par_chunks_mut(out, pieces, &work);
        return;
    }
    // The walk and the kernels follow one thread's share; the pieces are smaller.
    let split = split_for(bytes, thresholds);
    let share = split.share(bytes);
    let walk = product_walk::<T>(bytes, share, b.len(), block, thresholds);
    let path = outer_kernels(path, bytes, share, size_of_val(b), thresholds);
    // `b` moves away from 4 KiB aliasing with the rows (`alias::with_placed`), in one copy
    // per thread; the pieces place it against the whole output's first row.
    let rows = (size_of_val(b), a.len());
    let first_row = out.as_ptr() as usize;
    if split.pieces == 1 {
        with_placed(0, b, out.as_ptr(), rows, false, |b| {
            dispatch(path, stores, out, 0, a, b, walk)
        });
    } else {
        let call = new_call();
        let work = |chunk: &mut [T], first: usize| {
            with_placed(call, b, first_row as *const T, rows, false, |b| {
                dispatch(path, stores, chunk, first, a, b, walk)
            })
        };
        par_chunks_mut(out, split.pieces, &work);
    }
}

/// `a bᵀ` into `out` on the calling thread with `path`'s kernels, ordinary stores and `walk`,
/// past the choices of kernels and walk by band: what the start-up timings
/// ([`l2_kernels::measured`](super::l2_kernels::measured),
/// [`l3_rows::measured`](super::l3_rows::measured)) run.
pub(super) fn on_one_thread<T: Scalar>(
    path: KernelPath,
    out: &mut [T],
    a: &[T],
    b: &[T],
    walk: Walk,
) {
    debug_assert_eq!(out.len(), a.len() * b.len());
    dispatch(path, Stores::Normal, out, 0, a, b, walk);
}

/// The walk of one outer product of `bytes`, `share` of them per thread, rows of `n`
/// elements: [`walk_for`] in L3 ([`lives_in_l3`], with the measured writing of long rows,
/// [`l3_rows::spread_write`](super::l3_rows::spread_write)) and where the spread walk
/// reaches below it ([`spreads_in_l2`]).
pub(super) fn product_walk<T>(
    bytes: usize,
    share: usize,
    n: usize,
    block: usize,
    thresholds: Thresholds,
) -> Walk {
    if lives_in_l3(bytes, share, thresholds) {
        let size = std::mem::size_of::<T>();
        let spread_write = super::l3_rows::spread_write(n * size, block * size, thresholds);
        return walk_for::<T>(
            true,
            n,
            block,
            Thresholds {
                spread_write,
                ..thresholds
            },
        );
    }
    let spread = spreads_in_l2::<T>(bytes, share, n, block, thresholds);
    walk_for::<T>(spread, n, block, thresholds)
}

/// Whether an outer product below the L3 band ([`lives_in_l3`]) takes the spread walk all
/// the same: where that walk writes one row at a time ([`SpreadWrite::RowByRow`], Intel),
/// for rows of [`L2_SPREAD_MIN_ROW_BYTES`] up to a block and from an eighth of
/// `spread_min_bytes` per thread (256 KiB of a 2 MiB L2). The L3 kernel choice does not
/// follow it. Ragged rows (not a whole number of vectors) in pieces of 64 KiB and more take
/// the flat kernel on x86, which has no walk, so there the rule changes only rows of whole
/// vectors.
///
/// Intel Emerald Rapids guest, harness, the row-major product against a plain fill of the
/// same buffer, default walk (four adjacent rows at a time) → spread walk, three runs,
/// 1 thread / 2 threads:
/// - f64 256² (512 KiB, rows of 2 KiB): 0.99–1.11 → 1.03–1.15 / 0.85–0.91 → 0.93–0.98;
/// - f32 512² (1 MiB, 2 KiB): 0.95–0.99 → 1.01–1.05 / 1.15–1.25 → 1.16–1.41;
/// - f64 512² (2 MiB, 4 KiB), 2 threads (spread already at 1): 0.81–1.10 → 0.95–1.22.
///
/// Rows of 1 KiB gained nothing: f32 256² 0.89–0.98 → 0.87–0.97 at 1 thread. Rows written
/// one at a time but four adjacent ones, not spread, lost to the default walk (f64 256²
/// 0.91–0.96 against 0.99 at 1 thread and 0.72–0.76 against 0.85 at 2): it is the four
/// streams a quarter apart that pay, not the row at a time. (The same runs had 362² cells,
/// f64 and f32; their ragged rows take the flat kernel both ways, so those compared the
/// same code and are left out.)
fn spreads_in_l2<T>(
    bytes: usize,
    share: usize,
    n: usize,
    block: usize,
    thresholds: Thresholds,
) -> bool {
    thresholds.spread_write == SpreadWrite::RowByRow
        && share >= thresholds.spread_min_bytes / 8
        && bytes < thresholds.streaming_min_bytes
        && n * std::mem::size_of::<T>() >= L2_SPREAD_MIN_ROW_BYTES
        && n <= block
}

/// Rows of at least this many bytes take the spread walk below the L3 band (see
/// [`spreads_in_l2`]).
const L2_SPREAD_MIN_ROW_BYTES: usize = 2048;

/// Whether rows of `n` elements are shorter than one vector of `path`, which its row kernels
/// would write one element at a time. They take the permute kernel (`x86::outer_short`,
/// AVX2 and AVX-512: whole aligned vectors across rows, streamed for DRAM-sized outputs)
/// where it pays, and the small loops (broadcast, multiply and store of up to four elements
/// at a time) otherwise. f32 on the AVX-512 path of the Sapphire Rapids guest, 1 thread,
/// GB/s, row kernels → small loops (a fill: about 40): 65536×3 2.8–3.4 → 16.2–26.5,
/// 65536×4 2.5–4.3 → 11.2–21.4, 32768×8 10.6–11.6 → 21.5–36.9; then small loops → permute
/// kernel (paired): 65536×3 16.4–20.7 → 29.3–30.4, 65536×4 10.4–16.8 → 19.8–29.2; from
/// DRAM, against a streaming fill of 13–16, 4194304×4 6.1–6.6 → 11.3–12.9 and 1048576×12
/// 6.4–7.3 → 12.6–14.5 (the reads of `a`, a quarter of the bytes written at 4 columns,
/// bound it). At 16 columns (one vector) the row kernels won, 38.7–41.5 against 23.9.
fn short_rows<T>(path: KernelPath, n: usize) -> bool {
    n * std::mem::size_of::<T>() < path.vector_bytes() && n <= super::small::PIECES_MAX
}

/// A stack of outer products of one shape, `out.len() / width` of them end to end, product
/// `r` being the row-major `a_r b_rᵀ` with `(a_r, b_r) = factors(r)` and `width = |a_r|·|b_r|`
/// (the rows of a Kronecker product of matrices), where `b_r` depends only on `r % period`
/// (the row of B). The threads, the store kind, the walk and the kernels are chosen once, for
/// the whole output, as [`run`] does for one product; the pieces cut across product
/// boundaries, and each product, or the part of it in a piece, goes to the kernel. Products
/// whose rows are shorter than a vector ([`short_rows`]), and stacks of at most
/// `small_max_bytes` in all with ordinary stores, take the small loops instead, but for
/// streamed stacks of products of [`SHORT_STACK_NT_MIN_BYTES`] and more with short rows,
/// which take the permute kernel with streaming stores. When the `b_r`
/// would no longer be in cache when next used, the products go in the order of `b_r` instead
/// ([`b_major`]).
///
/// Small products in a larger stack take the kernels. Against the small loops for products
/// up to `small_max_bytes` (the rule for a single product), Sapphire Rapids guest, f32
/// `kron_mat_into`, GB/s 1 thread / 2 threads, small loops → kernels: 64×2 ⊗ 16×16
/// (products of 128 bytes) 2.8 → 3.4 / 2.8 → 3.4, 64×4 ⊗ 16×16 5.0 → 6.4 / 7.6 → 8.6,
/// 32×4 ⊗ 32×32 (512 bytes) 9.0 → 11.9 / 11.8 → 15.9, 16×16 ⊗ 16×16 (1 KiB) 12.0 → 17.3 /
/// 16.7 → 22.0, 8×8 ⊗ 32×32 12.9 → 21.1 / 18.2 → 24.2; f64 16×8 ⊗ 16×16 12.6 → 20.8 / 16.4
/// → 26.2, 64×4 ⊗ 16×8 (256 bytes) 7.7 → 6.9 / 10.3 → 9.2. The old code timed against
/// itself in the same runs spread 0.93–1.16 (1 thread) and 0.92–1.38 (2 threads).
pub(crate) fn run_stack<'f, T, F>(out: &mut [T], width: usize, period: usize, factors: &F)
where
    T: Scalar + 'f,
    F: Fn(usize) -> (&'f [T], &'f [T]) + Sync,
{
    if out.is_empty() || width == 0 {
        return;
    }
    debug_assert_eq!(out.len() % width, 0);
    debug_assert!(period > 0 && (out.len() / width).is_multiple_of(period));
    let (path, thresholds) = (active(), thresholds());
    let bytes = size_of_val(out);
    let b0 = factors(0).1;
    let (n, row_bytes) = (b0.len(), size_of_val(b0));
    // Rows shorter than a vector take the small loops, with ordinary stores, but in streamed
    // stacks of long products, which take the permute kernel ([`SHORT_STACK_NT_MIN_BYTES`]).
    let short = short_rows::<T>(path, n);
    let streamed = bytes >= thresholds.streaming_min_bytes;
    let short_kernel =
        short && streamed && width * std::mem::size_of::<T>() >= SHORT_STACK_NT_MIN_BYTES;
    let stores = if streamed && (!short || short_kernel) {
        Stores::NonTemporal
    } else {
        Stores::Normal
    };
    let split = split_for(bytes, thresholds);
    let in_l3 = lives_in_l3(bytes, split.share(bytes), thresholds);
    // The products follow each other in memory, so the plain walk of each already writes the
    // whole output in address order. In L3 with `RowByRow` (Intel), though, the four-row
    // kernels' four adjacent streams lose to one row at a time once rows reach
    // `STACK_ROW_BY_ROW_MIN_BYTES`, so those products are walked a row at a time, as `run`
    // walks one product there; shorter rows keep the plain walk. Rows longer than a column
    // block take `run`'s four streams over each product's part of a piece. Against the
    // column blocks row by row they replaced (8 MiB `kron_mat_into` outputs, Emerald Rapids,
    // against a fill, 1 thread): f32 8×2 ⊗ 16×8192 0.79–0.80 → 0.88–0.91, f64 4×4 ⊗ 16×4096
    // 0.80–0.83 → 0.93–0.95, ragged f32 4×4 ⊗ 16×7000 0.80 → 0.93–0.94; one loss, f64
    // 2×1 ⊗ 64×8192 (rows of 64 KiB one per product, B read back from L3) 0.71–0.72 →
    // 0.67. More in BENCHMARKS-history.md ("Stacks of long rows").
    let row_by_row = in_l3
        && thresholds.spread_write == SpreadWrite::RowByRow
        && row_bytes >= STACK_ROW_BY_ROW_MIN_BYTES;
    let walk = Walk {
        // A fence after every product cost 10–15% on 64 MiB stacks of 16 KiB products.
        fence: false,
        ..walk_for::<T>(row_by_row, n, block_elems::<T>(), thresholds)
    };
    let path = l3_kernels(path, in_l3);
    // The call per product is paid either way: the kernels beat the small loops on all but
    // stacks small as a whole (measured above).
    let small_loops = short || stores == Stores::Normal && bytes <= thresholds.small_max_bytes;
    // Rows of B that would come back from L3 for every row of A: go by rows of B instead.
    if !small_loops && b_major::<T>(out.len() / width / period, period, width, n, thresholds) {
        let product = |part: &mut [T], r: usize| {
            let (a, b) = factors(r);
            debug_assert_eq!(a.len() * b.len(), width);
            dispatch(path, stores, part, 0, a, b, walk);
        };
        let fence = stores == Stores::NonTemporal;
        by_b_row(out, width, period, split.pieces, fence, &product);
        return;
    }
    let work = |chunk: &mut [T], first: usize| {
        let (mut r, mut offset) = (first / width, first % width);
        let mut rest = chunk;
        while !rest.is_empty() {
            let (part, tail) = rest.split_at_mut((width - offset).min(rest.len()));
            let (a, b) = factors(r);
            debug_assert_eq!(a.len() * b.len(), width);
            if short_kernel {
                self::short(path, stores, part, offset, a, b);
            } else if small_loops {
                super::small::outer_range(part, offset, a, b);
            } else {
                dispatch(path, stores, part, offset, a, b, walk);
            }
            (rest, r, offset) = (tail, r + 1, 0);
        }
        if stores == Stores::NonTemporal {
            super::store_fence();
        }
    };
    par_chunks_mut(out, split.pieces, &work);
}

/// A ⊗ B into the row-major `out`, A the rows of `n` elements of the row-major `a` and B
/// the rows of `q` of the row-major `b`, by a Kronecker row kernel on each thread's piece,
/// when [`kron_rows_fit`] and the output is larger than `small_max_bytes`; otherwise
/// `false`, and nothing is written. The kernels:
/// - rows of B shorter than a vector: the short-row kernel (`x86::kron_short`, or
///   `x86::kron_short_periodic` for rows that do not divide a vector), where [`run_stack`]
///   would write each row of the result as a product of rows shorter than a vector with the
///   small loops; outputs in L2 only (ordinary stores);
/// - rows of one to four whole vectors ([`kron_vector_rows`]): `x86::kron_vectors`, or
///   `x86::kron_vectors_joined` when the output is off a vector boundary (aligned stores
///   throughout), where [`run_stack`] would pay its chunk set-up and dispatch for every row
///   of the result; any size, with streaming stores from `streaming_min_bytes` on (every
///   vector store is aligned), as an outer product of the same size would be written;
/// - rows longer than a vector but not a whole number of them ([`kron_span_rows`], AVX-512
///   only): `x86::kron_spans`, aligned stores throughout, where [`run_stack`] would write
///   each segment with unaligned stores and a ragged end; any size, streamed as above
///   (measured at the end).
///
/// Rows of whole vectors, Sapphire Rapids guest, f32 `kron_mat_into` (AVX-512 path unless
/// named), GB/s 1 thread / 2 threads, stack → kernel, one run, output 16 bytes off a line:
/// 16×16 ⊗ 16×16 (256 KiB) 19.5 → 29.4 / 31.3 → 50.8, 8×8 ⊗ 16×16 12.2 → 21.0 / 12.5 →
/// 23.7, 32×4 ⊗ 4×32 14.4 → 29.0 / 15.1 → 29.5, 16×16 ⊗ 16×32 22.6 → 25.6 / 39.1 → 42.0,
/// 8×8 ⊗ 4×64 (four vectors) 29.6 → 29.4 / 30.1 → 32.3; 32 and 48 bytes off, 16×16 ⊗ 16×16
/// 1.54–1.77 / 1.57–1.69 times the stack; on a line 1.07 / 1.14 (the stack's stores are
/// aligned there too); AVX2 16×16 ⊗ 16×16 1.39 / 1.33, 16×16 ⊗ 8×8 1.53 / 1.52; f64 16×16 ⊗
/// 16×8 1.56 / 1.59, 8×8 ⊗ 16×8 1.87 / 1.89. An outer product of the same bytes ran at
/// 28.6–33.3 / 41.8–50.1 on 256 KiB. In L3 and streamed (two runs, same harness, output 16
/// bytes off, new rate over the old): 64×64 ⊗ 16×16 (4 MiB) 0.95–1.05 / 1.09–1.12, 32×32 ⊗
/// 16×64 1.05–1.06 / 1.11–1.12, 128×128 ⊗ 8×16 (8 MiB) 1.05–1.10 / 1.05–1.07, 32×64 ⊗
/// 32×32 1.05–1.07 / 1.09–1.11, 2×32 ⊗ 2048×16 1.01–1.08 / 1.09–1.10; 64 MiB: 256×256 ⊗
/// 16×16 1.05–1.48 / 1.22–1.45, 4×64 ⊗ 4096×16 (B's rows ordered as in [`b_major`] before)
/// 1.69–1.81 / 1.86–1.87, 2×64 ⊗ 8192×16 1.70–1.91 / 1.85–1.96, 512×512 ⊗ 4×16 1.05–1.54
/// / 1.03–1.49, 64×64 ⊗ 64×64 (four vectors) 1.05–1.20 / 1.00–1.08; 32 MiB 128×128 ⊗ 16×32
/// 1.03–1.14 / 1.08–1.12 (the old code's rate moved from run to run; the new one stayed
/// near the outer product's, 0.97–1.07 of it). Rows shorter than a vector, Sapphire Rapids guest,
/// `kron_mat_into`, GB/s
/// 1 thread / 2 threads, small loops → this kernel, four runs: f32 64×64 ⊗ 2×2 (64 KiB)
/// 9.6–16.1 → 17.6–20.1 / 9.7–15.8 → 17.7–21.0, 32×32 ⊗ 4×4 7.0–10.5 → 15.0–18.0 / 7.0–8.6 →
/// 15.1–19.5, 128×128 ⊗ 2×2 (256 KiB) 12.0–18.7 → 21.6–24.3 / 17.2–20.0 → 27.1–31.3; three
/// runs: 256×128 ⊗ 2×4 (1 MiB) 9.2–12.7 → 21.8–24.2 / 15.9–17.4 → 32.3–34.6, f64 64×64 ⊗ 2×2
/// 10.6–16.2 → 21.4–23.3 / 11.3–16.1 → 20.7–23.3; two runs: 16×16 ⊗ 4×4 (rows of
/// 4 vectors) 5.1–7.6 → 7.5–8.4 / 5.3–9.0 → 7.5–10.3; the AVX2 kernel alike, one run (f32
/// 32×32 ⊗ 4×4 6.5 → 15.0).
/// The old rates moved with the run (the output's placement) more than the new ones. Then,
/// with the divisions per row taken out of the row loop and a last overlapping vector for
/// rows that W does not divide (both had cost as much as the vectors of short rows), and
/// the periodic form for q not dividing W, f32, 1 thread, new over old, two runs: 64×64 ⊗
/// 2×2 2.14–2.17, 32×32 ⊗ 4×4 2.41–2.66, 16×16 ⊗ 4×4 1.60–1.70, 20×30 ⊗ 2×2 (rows of 60)
/// 1.61–1.67; periodic: 64×64 ⊗ 3×3 1.75–1.93, 64×32 ⊗ 3×5 1.90–2.12, 128×128 ⊗ 4×3
/// 1.94–1.95, 32×32 ⊗ 3×3 1.43–1.76, 40×20 ⊗ 3×3 1.04–1.50; f64 64×64 ⊗ 3×3 1.67 and the
/// AVX2 kernels 1.37–1.86 (one run).
/// Outputs in L3 keep the small loops: there the short-row kernel ran at 0.89–0.93 of them (1 thread)
/// and 0.70–0.78 (2 threads), f32 512×512 ⊗ 2×2 and 128×128 ⊗ 8×8 (4 MiB, one run). The
/// cause is not established: aligned stores did not change it (BENCHMARKS-history.md).
///
/// Rows between whole vectors (AVX-512), Sapphire Rapids guest, `kron_mat_into`, kernel
/// rate over the stack's, 1 thread / 2 threads, two paired runs, output on a line and 16
/// bytes off: in L2, f32 16×16 ⊗ 16×17 1.13–1.68 / 1.04–1.30, 16×16 ⊗ 16×24 0.97–1.37 /
/// 1.03–1.18, 16×16 ⊗ 8×40 0.94–1.44 / 0.97–1.13, 8×8 ⊗ 16×63 1.24–1.58 / 1.24–1.62, f64
/// 16×16 ⊗ 16×9 1.07–1.50 / 1.06–1.23, 16×16 ⊗ 16×12 0.90–1.19 / 0.91–1.07; in L3, f32
/// 64×64 ⊗ 16×17 1.28–1.47 / 1.24–1.55, 32×32 ⊗ 16×40 0.95–0.96 / 1.13–1.36, 64×64 ⊗ 16×24
/// and f64 64×64 ⊗ 16×12 0.89–1.03 / 0.98–1.03; streamed (16 bytes off), f32 256×256 ⊗
/// 16×24 1.08–1.23 / 1.12–1.18, 128×128 ⊗ 32×17 1.49 / 1.19–1.21, f64 256×256 ⊗ 16×12
/// 1.13–1.16 / 1.11–1.13. The stack's rate (and at 1 thread the kernel's) moved with the
/// run; in L2 the kernel ran at 0.48–1.00 (f32) and 0.42–0.85 (f64) of an outer product of
/// the same bytes at 1 thread (BENCHMARKS-history.md). On the AVX2 path the kernel lost (see
/// [`kron_span_rows`]).
pub(crate) fn run_kron_rows<T: Scalar>(
    out: &mut [T],
    a: &[T],
    n: usize,
    b: &[T],
    q: usize,
) -> bool {
    let (path, thresholds) = (active(), thresholds());
    let bytes = size_of_val(out);
    let split = split_for(bytes, thresholds);
    let streamed = bytes >= thresholds.streaming_min_bytes;
    // Rows of a vector or more take their kernel at any size; shorter ones only in L2.
    let any_size = kron_long_rows::<T>(path, q);
    if ScalarKind::of::<T>() == ScalarKind::Other
        || bytes <= thresholds.small_max_bytes
        || (streamed || lives_in_l3(bytes, split.share(bytes), thresholds)) && !any_size
        || !kron_rows_fit::<T>(path, bytes, n, b.len() / q, q)
    {
        return false;
    }
    debug_assert!(n > 0 && q > 0 && out.len() == a.len() * b.len());
    let stores = if streamed {
        Stores::NonTemporal
    } else {
        Stores::Normal
    };
    let work = |chunk: &mut [T], first: usize| {
        match ScalarKind::of::<T>() {
            ScalarKind::F32 => kron_rows_as::<T, f32>(path, stores, chunk, first, a, n, b, q),
            ScalarKind::F64 => kron_rows_as::<T, f64>(path, stores, chunk, first, a, n, b, q),
            ScalarKind::Other => unreachable!("checked above"),
        }
        if stores == Stores::NonTemporal {
            super::store_fence();
        }
    };
    par_chunks_mut(out, split.pieces, &work);
    true
}

/// [`FloatKernels::kron_rows`] for `F`, which is `T`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn kron_rows_as<T: 'static, F: FloatKernels>(
    path: KernelPath,
    stores: Stores,
    out: &mut [T],
    first: usize,
    a: &[T],
    n: usize,
    b: &[T],
    q: usize,
) {
    match as_float::<T, F>(out, a, b) {
        Some((o, a, b)) => F::kron_rows(path, stores, o, first, a, n, b, q),
        None => unreachable!("F is T"),
    }
}

/// Whether `path` has a Kronecker row kernel ([`run_kron_rows`]) for p rows of B of `q`
/// elements of `T` and rows of A of `n` elements, W being the vector's lanes: rows of B of
/// one to `x86::KRON_VECTORS_MAX` whole vectors ([`kron_vector_rows`]); rows between whole
/// vectors ([`kron_span_rows`]); or shorter ones (`2 ≤ q < W`) with
/// `n·q ≥ W` (a result row of at least one vector), where, when `q` does not divide W, B's
/// pattern table must also stay within [`KRON_TABLE_MAX_BYTES`] and the output of `bytes`
/// reach `x86::kron_short_min_bytes`.
#[cfg(target_arch = "x86_64")]
pub(crate) fn kron_rows_fit<T>(
    path: KernelPath,
    bytes: usize,
    n: usize,
    p: usize,
    q: usize,
) -> bool {
    if kron_long_rows::<T>(path, q) {
        return true;
    }
    let size = std::mem::size_of::<T>().max(1);
    let w = path.vector_bytes() / size;
    matches!(path, KernelPath::Avx512 | KernelPath::Avx2Fma)
        && q >= 2
        && q < w
        && n.saturating_mul(q) >= w
        && super::x86::kron_short_table_len(p, q, w).saturating_mul(size) <= KRON_TABLE_MAX_BYTES
        && bytes >= super::x86::kron_short_min_bytes(q, w)
}

/// Whether rows of B of `q` elements of `T` are a vector or longer and have a Kronecker
/// row kernel of `path` at every output size, streamed when large: whole vectors
/// ([`kron_vector_rows`]) or between whole vectors ([`kron_span_rows`]).
pub(crate) fn kron_long_rows<T>(path: KernelPath, q: usize) -> bool {
    kron_vector_rows::<T>(path, q) || kron_span_rows::<T>(path, q)
}

/// Whether rows of B of `q` elements of `T` are one to `x86::KRON_VECTORS_MAX` whole
/// vectors of `path`, on a path with the whole-vector Kronecker kernel (`x86::kron_vectors`).
#[cfg(target_arch = "x86_64")]
fn kron_vector_rows<T>(path: KernelPath, q: usize) -> bool {
    let w = path.vector_bytes() / std::mem::size_of::<T>().max(1);
    matches!(path, KernelPath::Avx512 | KernelPath::Avx2Fma)
        && q >= w
        && q.is_multiple_of(w)
        && q / w <= super::x86::KRON_VECTORS_MAX
}

/// Whether rows of B of `q` elements of `T` are longer than a vector of `path` and not a
/// whole number of them, below `x86::KRON_SPANS_MAX` vectors, on the AVX-512 path (the
/// kernel for them, `x86::kron_spans`). The AVX2 path keeps the stack: with 8 lanes most
/// vectors are joined, and AVX2 builds the joined factor through a small array; f32 16×16
/// ⊗ 16×9, 16×16 ⊗ 16×17 and 8×8 ⊗ 16×63 ran at 0.49–0.83 of the stack (Sapphire Rapids
/// guest, 1 thread, one run); with two masked loads in place of the array 0.45–0.85 (f32
/// and f64, two runs), and reading B from a table of its rows with their first W elements
/// appended (no joined loads) 0.58–1.11.
#[cfg(target_arch = "x86_64")]
fn kron_span_rows<T>(path: KernelPath, q: usize) -> bool {
    let w = path.vector_bytes() / std::mem::size_of::<T>().max(1);
    path == KernelPath::Avx512
        && q > w
        && !q.is_multiple_of(w)
        && q < super::x86::KRON_SPANS_MAX * w
}

/// No Kronecker kernel for rows between whole vectors off x86_64.
#[cfg(not(target_arch = "x86_64"))]
fn kron_span_rows<T>(_path: KernelPath, _q: usize) -> bool {
    false
}

/// No whole-vector Kronecker kernel off x86_64.
#[cfg(not(target_arch = "x86_64"))]
fn kron_vector_rows<T>(_path: KernelPath, _q: usize) -> bool {
    false
}

/// No Kronecker row kernel off x86_64.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn kron_rows_fit<T>(
    _path: KernelPath,
    _bytes: usize,
    _n: usize,
    _p: usize,
    _q: usize,
) -> bool {
    false
}

/// The largest table of B's lane patterns (p rows × P vectors, built per thread's piece) for
/// rows of B that do not divide a vector: half of a 32 KiB L1d, so that it stays there
/// beside the rows being written. Larger B (many rows) keeps the small loops.
const KRON_TABLE_MAX_BYTES: usize = 16 * 1024;

/// Whether a stack of `groups · period` products of `width` elements, `period` rows of B of
/// `n` elements each, is written [`by_b_row`] rather than in address order. In address order
/// a row of B comes back `period` products later, after about `period · (width + n)` elements
/// have passed through the caches; from L2's size on, it is read from L3 again for every row
/// of A. Sapphire Rapids guest, `kron_mat_into`, GB/s 1 thread / 2 threads, address order →
/// by rows of B: f32 2×2 ⊗ 512×1024 (8 MiB) 9.9 → 10.7 / 21.0 → 23.7, 4×2 ⊗ 512×512
/// 9.1–11.5 → 9.9–13.5 / 15.7–24.3 → 21.0–27.2, 2×2 ⊗ 1024×1024 (16 MiB) 5.5–7.5 →
/// 5.7–7.6 / 16.2–24.0 → 21.2–26.6 (three runs each); f64 4×2 ⊗ 256×512 9.9–10.9 →
/// 12.4–13.1 / 19.3–22.5 → 22.1–26.1 (three runs; a fourth, noisier: 7.5 → 11.2 / 18.7 →
/// 13.1), 2×2 ⊗ 512×512 10.2 → 11.7 / 18.4 → 18.5. Below L2 the address order stayed: forced, 16×2 ⊗ 256×512 (1.5 MiB between
/// uses) lost at 1 thread (0.84–0.95), though it gained at 2 (1.14–1.48).
fn b_major<T>(
    groups: usize,
    period: usize,
    width: usize,
    n: usize,
    thresholds: Thresholds,
) -> bool {
    let size = std::mem::size_of::<T>();
    let reuse = period
        .saturating_mul(width.saturating_add(n))
        .saturating_mul(size);
    groups >= 2 && reuse >= thresholds.spread_min_bytes && width * size >= B_MAJOR_MIN_PRODUCT_BYTES
}

/// Streamed stacks ([`run_stack`]) of products with rows shorter than a vector take the
/// permute kernel with streaming stores from this product size on, rather than the small
/// loops with ordinary stores. Each product begins and ends off a line (its head and tail
/// elements are plain stores), which costs more than streaming saves on short products:
/// Sapphire Rapids guest, f32 `kron_mat_into` into 64 MiB and 128 MiB outputs, B of 2
/// columns, GB/s 1 thread / 2 threads, small loops → kernel: products of 512 bytes
/// (1024×64 ⊗ 256×2) 5.0 → 1.3 / 8.6 → 2.6, 2 KiB 4.8 → 3.8 / 8.6 → 7.2, 4 KiB 4.6 → 5.5 /
/// 8.9 → 11.5, 8 KiB (256×1024 ⊗ 64×2) 4.9 → 8.8 / 9.4 → 16.4, 16 KiB (2048×2048 ⊗ 2×2)
/// 4.9 → 8.1–8.4 / 9.5 → 15.7; 12 KiB (f32 1024×1024 ⊗ 3×3) 4.8 → 7.1–7.5 / 9.3 → 16.1–16.3.
const SHORT_STACK_NT_MIN_BYTES: usize = 8 * 1024;

/// Products smaller than this keep the address order (see [`b_major`]): by rows of B,
/// products of 256 bytes to 1 KiB ran alike (0.96–1.03 at 1 thread, f32, B of 1–2 MiB, A of
/// one or two columns), their cost being the call per product rather than the reads of B.
const B_MAJOR_MIN_PRODUCT_BYTES: usize = 2048;

/// Rows of A whose products with one row of B are written together by [`by_b_row`]: a row of
/// B is read once from L3 per this many rows of A, and as many output streams are written in
/// turn. f32 8×1 ⊗ 512×512 (measured before an A of one column became one outer product),
/// 1 thread, against the address order: 1.29 with 4, 1.45 with 8, 1.52 with 16 (one run, the
/// machine noisy).
const B_MAJOR_GROUPS: usize = 8;

/// Runs `product(part, r)` on every product `r` of the stack `out` (products of `width`
/// elements, `out.len() / width / period` groups of `period`, product `r` using row
/// `r % period` of B), ordered so that each row of B is used for [`B_MAJOR_GROUPS`] rows of A
/// in a row: for each batch of that many groups, for each row `k` of B, product `g·period + k`
/// of every group `g` of the batch. The rows of B are cut into `pieces` ranges run in
/// parallel; a piece writes the same products of every group. With `fence`, every piece ends
/// with a store fence. Each element is still one product, so the order changes no result.
fn by_b_row<T, F>(
    out: &mut [T],
    width: usize,
    period: usize,
    pieces: usize,
    fence: bool,
    product: &F,
) where
    T: Send,
    F: Fn(&mut [T], usize) + Sync,
{
    let pieces = pieces.clamp(1, period);
    // Piece q takes the rows bound(q) .. bound(q + 1) of B.
    let bound = |q: usize| period * q / pieces;
    let groups = out.len() / width / period;
    let mut parts: Vec<Vec<&mut [T]>> = (0..pieces).map(|_| Vec::with_capacity(groups)).collect();
    for block in out.chunks_exact_mut(period * width) {
        let mut rest = block;
        for (q, piece) in parts.iter_mut().enumerate() {
            let (head, tail) = rest.split_at_mut((bound(q + 1) - bound(q)) * width);
            piece.push(head);
            rest = tail;
        }
    }
    let run = |q: usize, blocks: &mut Vec<&mut [T]>| {
        let k0 = bound(q);
        for (batch, first) in blocks
            .chunks_mut(B_MAJOR_GROUPS)
            .zip((0..).step_by(B_MAJOR_GROUPS))
        {
            for k in k0..bound(q + 1) {
                let at = (k - k0) * width;
                for (g, block) in batch.iter_mut().enumerate() {
                    product(&mut block[at..at + width], (first + g) * period + k);
                }
            }
        }
        if fence {
            super::store_fence();
        }
    };
    par_each_mut(&mut parts, &run);
}

/// Rows of a stack of products ([`run_stack`]) from this many bytes are written one row at a
/// time in L3 when the spread walk writes rows that way ([`SpreadWrite::RowByRow`]); the
/// four-row kernels write four such rows at once, four streams a row apart. Sapphire Rapids
/// guest, `kron_mat_into` into a 4 MiB f32 or 8 MiB f64 output, GB/s four rows at once →
/// one at a time (two interleaved runs each, 1 thread / 2 threads): f32 4×4 ⊗ 256×256 (rows
/// of 1 KiB) 17.1–17.4 → 22.1–22.5 / 33.9–40.7 → 47.3–49.2, 1×4 ⊗ 1024×256 16.0–16.3 →
/// 19.7–20.3 / 35.5–36.0 → 44.0–44.4, 4×2 ⊗ 256×512 (2 KiB) 19.5–20.0 → 21.5–22.2; f64 8×8
/// ⊗ 128×128 (1 KiB) 18.5 → 21.0–21.2 / 35.5–36.1 → 40.3–40.6, 4×4 ⊗ 256×256 18.7 →
/// 20.7–21.2; an outer product of the same bytes 23–26 (1 thread). Rows of 4 KiB ran alike
/// both ways (0.69–0.72 of that outer product); rows of 128–512 bytes lost one at a time
/// (f32 32×32 ⊗ 32×32 21.1 → 15.8, 16×16 ⊗ 64×64 20.9 → 15.5 GB/s), and at 512 bytes the
/// plain walk already runs at the outer product's rate.
const STACK_ROW_BY_ROW_MIN_BYTES: usize = 1024;

/// In-cache products of at most this many bytes (ordinary stores, one thread) go straight to
/// the whole-product kernel when their rows fit it, without the chunk set-up: on Intel
/// Emerald Rapids that set-up took 7–11 ns of a 47 ns call at 8×64 f32 and about 16 ns of
/// 190 at 64×64 (0.67–0.70 → 0.74–0.80 of a fill, paired medians). The chunk walk would
/// pick the same kernel for them, and they need no copy of `b` away from 4 KiB aliasing
/// (`alias::with_placed` acts only on 64 rows or more of at least 2 KiB each).
const DIRECT_MAX_BYTES: usize = 32 * 1024;

/// `a bᵀ` into `out` by [`FloatKernels::outer_whole`] for f32 and f64; `false` for other
/// types, or when the rows do not fit that kernel.
#[inline(always)]
fn whole<T: Scalar>(path: KernelPath, out: &mut [T], a: &[T], b: &[T], block: usize) -> bool {
    match ScalarKind::of::<T>() {
        ScalarKind::F32 => as_float::<T, f32>(out, a, b)
            .is_some_and(|(o, a, b)| f32::outer_whole(path, o, a, b, block)),
        ScalarKind::F64 => as_float::<T, f64>(out, a, b)
            .is_some_and(|(o, a, b)| f64::outer_whole(path, o, a, b, block)),
        ScalarKind::Other => false,
    }
}

/// The output and both vectors as slices of `F`, when `T` is `F`.
#[inline(always)]
fn as_float<'o, 'v, T: 'static, F: 'static>(
    out: &'o mut [T],
    a: &'v [T],
    b: &'v [T],
) -> Option<(&'o mut [F], &'v [F], &'v [F])> {
    Some((cast_slice_mut(out)?, cast_slice(a)?, cast_slice(b)?))
}

/// The turn of each of the [`four_streams`], in bytes. On Intel Emerald Rapids, 2 threads,
/// the spread rows of the row-major 8192×256 product (1 KiB for f32, 2 KiB for f64) wrote at
/// 1.04–1.24× a fill of the same buffer in L3, where vec(abᵀ) of the same shape, rows of 32
/// and 64 KiB in column blocks, read 0.89–1.01 (peer bench, four runs). With four streams,
/// vec(abᵀ) 8192×256 against a plain fill (harness, one run per turn, 1 thread / 2
/// threads): turns of 512 bytes 0.97–1.02 /
/// 1.17–1.18, 1 KiB 1.02–1.03 / 1.08–1.17, 2 KiB 1.00–1.03 / 1.08–1.32, 4 KiB 0.99–1.06 /
/// 1.05–1.25, against 0.90–1.00 / 0.97–1.02 for the column blocks.
const STREAM_TURN_BYTES: usize = 2048;

/// Rows longer than this many column blocks stay in column blocks above L2 too (their row of
/// `b` would no longer stay in L2 across a group of four rows).
const WHOLE_ROW_MAX_BLOCKS: usize = 16;

/// How the pieces of a thread's share, rows of `n` elements of `T`, are walked; `in_l3` is
/// [`lives_in_l3`] of the call, or [`spreads_in_l2`] where the spread walk extends below L3.
///
/// In L1 and L2 (but for that extension), and with non-temporal stores (which read
/// nothing), rows go four adjacent ones at a time, in column blocks of `block` elements when
/// longer. In L3 (ordinary stores past L2) every line written is first read for ownership,
/// and the walk follows [`Thresholds::spread_write`]:
///
/// - [`SpreadWrite::RowByRow`] (Intel): one row at a time, rows in the order g, g + q,
///   g + 2q, g + 3q (q a quarter of the piece). Rows longer than `block` are written as
///   [`four_streams`]: the piece in quarters, [`STREAM_TURN_BYTES`] of each in turn, which
///   is the same pattern as those spread rows when they are 1–2 KiB long.
///
///   Before the four streams, those long rows went in column blocks of a third of L1d,
///   every row's block in turn, so that the block of `b` stayed in L1. On Intel Emerald
///   Rapids (paired harness, 1 thread, against a fill of the same buffer), against the
///   `FourRows` walk below: vec(abᵀ) 8192×256 and 16384×256, f32 and f64, 0.94–1.01 against
///   0.76–1.03; ragged rows (1000×7000 f32, 1000×3500 f64) 0.91–0.97 against 0.72–0.81;
///   whole-line rows of 24 KiB to 512 KiB 0.90–0.97 against 0.87–1.01. Column blocks
///   written four rows at a time, four stores to four rows per vector of `b`, ran at
///   0.76–0.79 (f32 vec(abᵀ)). Four streams against those column blocks, same guest, peer
///   bench `outer-paired --cases 8192×256`, three runs of each build taking turns, vec(abᵀ)
///   over the row-major product of the same round: f64 0.83–0.85 → 0.96–0.98 (1 thread) and
///   0.81–0.91 → 0.95–0.96 (2 threads), f32 0.80–0.92 → 0.91–0.94 (2 threads), f32 at 1
///   thread unchanged (0.92–1.02 → 0.92–0.93). In a harness (one run each, against a
///   plain fill) 256×16384 f32 and ragged 512×6400 f32 rows ran alike or faster.
/// - [`SpreadWrite::FourRows`] (elsewhere): rows up to a block go four at a time a quarter of
///   the piece apart, four long sequential streams that keep more of those reads in flight
///   than one (fills of 8 and 16 MiB on Zen 3: four interleaved streams ran at 1.2× and 1.6×
///   one stream, four adjacent 2 KiB rows at 0.9× and 0.85×). Longer rows are not spread
///   (0.2–0.5× on vec(abᵀ) 8192×256); those that are a whole number of cache lines (up to
///   [`WHOLE_ROW_MAX_BLOCKS`] blocks) are written whole, four adjacent rows at a time, which
///   on Zen 3 ran 1.03–1.12× faster than column blocks (vec(abᵀ) 8192×256 and 16384×256,
///   512×16384, f32 and f64, 1 and 2 threads; one cell of sixteen at 0.96). Ragged ones keep
///   their column blocks: whole, they would take the flat kernel, built for rows up to a
///   block.
pub(super) fn walk_for<T>(in_l3: bool, n: usize, block: usize, thresholds: Thresholds) -> Walk {
    if in_l3 && thresholds.spread_write == SpreadWrite::RowByRow {
        let turn = STREAM_TURN_BYTES / std::mem::size_of::<T>().max(1);
        return Walk {
            block,
            spread: Some(SpreadWrite::RowByRow),
            fence: true,
            streams: (n > block).then_some(turn),
        };
    }
    let whole_lines = (n * std::mem::size_of::<T>()).is_multiple_of(64);
    if in_l3 && whole_lines && n > block && n <= WHOLE_ROW_MAX_BLOCKS * block {
        Walk {
            block: n,
            spread: None,
            fence: true,
            streams: None,
        }
    } else {
        Walk {
            block,
            spread: (in_l3 && n <= block).then_some(thresholds.spread_write),
            fence: true,
            streams: None,
        }
    }
}

/// Routes one chunk of a product with rows shorter than a vector ([`short_rows`]) to the
/// permute kernel for `T` and `path`, or to the small loops.
#[inline(always)]
fn short<T: Scalar>(
    path: KernelPath,
    stores: Stores,
    out: &mut [T],
    first: usize,
    a: &[T],
    b: &[T],
) {
    match ScalarKind::of::<T>() {
        ScalarKind::F32 => match as_float::<T, f32>(out, a, b) {
            Some((o, a, b)) => f32::outer_short(path, stores, o, first, a, b),
            None => unreachable!("ScalarKind::F32 means T is f32"),
        },
        ScalarKind::F64 => match as_float::<T, f64>(out, a, b) {
            Some((o, a, b)) => f64::outer_short(path, stores, o, first, a, b),
            None => unreachable!("ScalarKind::F64 means T is f64"),
        },
        ScalarKind::Other => super::small::outer_range(out, first, a, b),
    }
}

/// Routes one chunk to the kernel for `T` and `path`. (Inlined: each call level pushes
/// registers and arguments, stores that queue behind the previous call's output.)
#[inline(always)]
fn dispatch<T: Scalar>(
    path: KernelPath,
    stores: Stores,
    out: &mut [T],
    first: usize,
    a: &[T],
    b: &[T],
    walk: Walk,
) {
    match ScalarKind::of::<T>() {
        ScalarKind::F32 => match as_float::<T, f32>(out, a, b) {
            Some((o, a, b)) => f32::outer_chunk(path, stores, o, first, a, b, walk),
            None => unreachable!("ScalarKind::F32 means T is f32"),
        },
        ScalarKind::F64 => match as_float::<T, f64>(out, a, b) {
            Some((o, a, b)) => f64::outer_chunk(path, stores, o, first, a, b, walk),
            None => unreachable!("ScalarKind::F64 means T is f64"),
        },
        ScalarKind::Other => super::portable::outer_chunk(out, first, a, b, walk),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row kernel that writes a code of (row, column) and fails on an element written
    /// twice, so the test sees which element each call wrote.
    struct Mark;

    thread_local! {
        /// Where each `Mark` row segment started (address) and its length.
        static WRITES: std::cell::RefCell<Vec<(usize, usize)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }

    impl OuterRow<u64> for Mark {
        unsafe fn row(out: &mut [u64], ai: u64, b: &[u64], _stores: Stores) {
            assert_eq!(out.len(), b.len());
            WRITES.with(|w| w.borrow_mut().push((out.as_ptr() as usize, out.len())));
            for (o, &bj) in out.iter_mut().zip(b) {
                assert_eq!(*o, 0, "element written twice");
                *o = ai * 1_000_000 + bj;
            }
        }
    }

    /// A 12-byte element (size does not divide a cache line): `[a_i, b_j, 1]`.
    impl OuterRow<[u32; 3]> for Mark {
        unsafe fn row(out: &mut [[u32; 3]], ai: [u32; 3], b: &[[u32; 3]], _stores: Stores) {
            assert_eq!(out.len(), b.len());
            for (o, bj) in out.iter_mut().zip(b) {
                assert_eq!(o[2], 0, "element written twice");
                *o = [ai[0], bj[0], 1];
            }
        }
    }

    /// The thresholds of an Intel core with a 2 MiB L2, streaming from 16 MiB.
    fn intel_thresholds() -> Thresholds {
        Thresholds {
            spread_write: SpreadWrite::RowByRow,
            long_row_write: super::super::LongRowWrite::RowByRow,
            spread_min_bytes: 2 << 20,
            streaming_min_bytes: 16 << 20,
            ..super::super::default_thresholds()
        }
    }

    /// The spread walk below L3: only with `RowByRow`, from an eighth of `spread_min_bytes`
    /// per thread, for rows of 2 KiB up to a block, and not for streamed outputs.
    #[test]
    fn the_spread_walk_reaches_into_l2_only_where_it_was_measured() {
        let t = intel_thresholds();
        let kib = 1024;
        let block = 3072;
        // f64 256×256 on two threads: 512 KiB, 256 KiB each, rows of 2 KiB.
        assert!(spreads_in_l2::<f64>(512 * kib, 256 * kib, 256, block, t));
        assert!(!spreads_in_l2::<f64>(512 * kib, 255 * kib, 256, block, t));
        // Rows of exactly a block still spread; rows of 1 KiB, or longer than the block, not.
        assert!(spreads_in_l2::<f64>(
            64 * block * 8,
            64 * block * 8,
            block,
            block,
            t
        ));
        assert!(!spreads_in_l2::<f32>(512 * kib, 512 * kib, 256, block, t));
        assert!(!spreads_in_l2::<f64>(
            512 * kib,
            512 * kib,
            block + 1,
            block,
            t
        ));
        // Streamed, or the four-row walk.
        assert!(!spreads_in_l2::<f64>(16 << 20, 8 << 20, 256, block, t));
        let four = Thresholds {
            spread_write: SpreadWrite::FourRows,
            ..t
        };
        assert!(!spreads_in_l2::<f64>(
            512 * kib,
            512 * kib,
            256,
            block,
            four
        ));
        // A threshold of usize::MAX turns spreading off here too.
        let never = Thresholds {
            spread_min_bytes: usize::MAX,
            ..t
        };
        assert!(!spreads_in_l2::<f64>(8 << 20, 8 << 20, 256, block, never));
    }

    /// The walk `run_general` hands the kernels: four adjacent rows in L2, the spread walk
    /// from 256 KiB per thread for rows of 2 KiB up to a block and in L3, and the four
    /// streams only for L3 rows longer than a block.
    #[test]
    fn each_product_gets_the_walk_of_its_band() {
        let t = intel_thresholds();
        let (kib, block) = (1024, 3072);
        let walk = |bytes, share, n, t| product_walk::<f64>(bytes, share, n, block, t);
        // f64 128×128 on one thread: 128 KiB, rows of 1 KiB, four adjacent rows.
        let w = walk(128 * kib, 128 * kib, 128, t);
        assert_eq!((w.spread, w.streams, w.block), (None, None, block));
        // f64 256×256 on two threads, in L2: spread, rows whole.
        let w = walk(512 * kib, 256 * kib, 256, t);
        assert_eq!((w.spread, w.streams), (Some(SpreadWrite::RowByRow), None));
        // Rows longer than a block in L2: column blocks, four adjacent rows.
        let w = walk(512 * kib, 512 * kib, block + 1, t);
        assert_eq!((w.spread, w.streams), (None, None));
        // vec(abᵀ) 8192×256 f64 (16 MiB, in L3 below a higher streaming threshold): streams
        // of 2 KiB turns.
        let high = Thresholds {
            streaming_min_bytes: 64 << 20,
            ..t
        };
        let w = walk(16 << 20, 8 << 20, 8192, high);
        assert_eq!(w.spread, Some(SpreadWrite::RowByRow));
        assert_eq!(w.streams, Some(STREAM_TURN_BYTES / 8));
        // The same in L3 with rows up to a block: spread rows, no streams.
        let w = walk(16 << 20, 8 << 20, 256, high);
        assert_eq!((w.spread, w.streams), (Some(SpreadWrite::RowByRow), None));
        // Those rows (2 KiB) four at once where that was measured faster; shorter ones (1 KiB)
        // and rows in L2 keep one at a time.
        let long_four = Thresholds {
            long_row_write: super::super::LongRowWrite::FourRows,
            ..high
        };
        let w = walk(16 << 20, 8 << 20, 256, long_four);
        assert_eq!((w.spread, w.streams), (Some(SpreadWrite::FourRows), None));
        let w = walk(16 << 20, 8 << 20, 128, long_four);
        assert_eq!((w.spread, w.streams), (Some(SpreadWrite::RowByRow), None));
        let w = walk(512 * kib, 256 * kib, 256, long_four);
        assert_eq!((w.spread, w.streams), (Some(SpreadWrite::RowByRow), None));
        let w = walk(16 << 20, 8 << 20, 8192, long_four);
        assert_eq!(w.streams, Some(STREAM_TURN_BYTES / 8));
        // FourRows: no streams; whole-line long rows are written whole.
        let four = Thresholds {
            spread_write: SpreadWrite::FourRows,
            ..high
        };
        let w = walk(16 << 20, 8 << 20, 8192, four);
        assert_eq!((w.spread, w.streams, w.block), (None, None, 8192));
    }

    /// The order of the writes of `four_streams`: one turn of each quarter in turn, the
    /// quarters starting on cache lines. `Mark` logs where each row segment starts.
    #[test]
    fn four_streams_take_turns_a_quarter_apart() {
        let (m, n, turn) = (16, 200, 64);
        let a: Vec<u64> = (1..=m as u64).collect();
        let b: Vec<u64> = (1..=n as u64).collect();
        let mut out = vec![0u64; m * n];
        WRITES.with(|w| w.borrow_mut().clear());
        // SAFETY: the whole product; `Mark` needs no CPU feature.
        unsafe { four_streams::<u64, Mark>(&mut out, 0, &a, &b, turn, Stores::Normal) };
        let base = out.as_ptr() as usize;
        let writes: Vec<(usize, usize)> = WRITES.with(|w| w.borrow().clone());
        let offsets: Vec<(usize, usize)> =
            writes.iter().map(|&(p, l)| ((p - base) / 8, l)).collect();
        // Merge row segments that continue each other into turns.
        let mut turns: Vec<(usize, usize)> = Vec::new();
        for (at, l) in offsets {
            match turns.last_mut() {
                Some((s, len)) if *s + *len == at => *len += l,
                _ => turns.push((at, l)),
            }
        }
        let len = m * n;
        for (q, &(at, l)) in turns.iter().take(4).enumerate() {
            let want = len * q / 4;
            assert!(
                at >= want && at < want + 8,
                "turn {q} at {at}, quarter at {want}"
            );
            assert!(
                (at * 8 + base).is_multiple_of(64) || q == 0,
                "turn {q} off a line"
            );
            assert_eq!(l, turn, "turn {q}");
        }
        // The fifth turn continues the first quarter.
        assert_eq!(turns[4].0, turn);
        assert_eq!(turns.iter().map(|t| t.1).sum::<usize>(), len);
    }

    /// Every element of every chunk exactly once and as (row, column) of the product, for
    /// chunks shorter than four lines, chunks that start and end inside rows, rows shorter
    /// and longer than a turn, and turns that do not divide the rows.
    #[test]
    fn four_streams_write_every_element_of_the_chunk_once() {
        for (m, n) in [(1, 1), (3, 5), (7, 33), (5, 100), (40, 17), (2, 1000)] {
            let a: Vec<u64> = (1..=m as u64).collect();
            let b: Vec<u64> = (1..=n as u64).collect();
            let total = m * n;
            for turn in [1, 3, 16, 64, 1000] {
                for (first, len) in [
                    (0, total),
                    (1, total - 1),
                    (total / 3, total / 2),
                    (n / 2, total - n / 2),
                    (0, total.min(20)),
                ] {
                    // Offsets into the buffer vary the cache-line cut of the quarters.
                    for skew in [0, 3] {
                        let mut buf = vec![0u64; skew + len];
                        let out = &mut buf[skew..];
                        debug_assert!(first + out.len() <= m * n);
                        // SAFETY: the range lies inside the product (asserted); `Mark` needs
                        // no CPU feature.
                        unsafe {
                            four_streams::<u64, Mark>(out, first, &a, &b, turn, Stores::Normal)
                        };
                        for (p, &v) in out.iter().enumerate() {
                            let (i, j) = ((first + p) / n, (first + p) % n);
                            assert_eq!(
                                v,
                                (i as u64 + 1) * 1_000_000 + j as u64 + 1,
                                "{m}×{n} turn {turn} first {first} len {len} skew {skew} at {p}"
                            );
                        }
                        // 12-byte elements: quarter starts that cannot all fall on lines.
                        let a3: Vec<[u32; 3]> = a.iter().map(|&v| [v as u32, 0, 0]).collect();
                        let b3: Vec<[u32; 3]> = b.iter().map(|&v| [v as u32, 0, 0]).collect();
                        let mut buf3 = vec![[0u32; 3]; skew + len];
                        let out3 = &mut buf3[skew..];
                        debug_assert!(first + out3.len() <= m * n);
                        // SAFETY: as above.
                        unsafe {
                            four_streams::<[u32; 3], Mark>(
                                out3,
                                first,
                                &a3,
                                &b3,
                                turn,
                                Stores::Normal,
                            )
                        };
                        for (p, v) in out3.iter().enumerate() {
                            let (i, j) = ((first + p) / n, (first + p) % n);
                            let want = [i as u32 + 1, j as u32 + 1, 1];
                            assert_eq!(*v, want, "12-byte {m}×{n} turn {turn} first {first}");
                        }
                    }
                }
            }
        }
    }
}
