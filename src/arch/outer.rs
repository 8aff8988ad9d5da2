//! The outer-product driver: splits the flat output across threads, blocks the columns so the
//! reused slice of `b` stays in L1 while output rows stream past it, and calls a row kernel
//! (`OuterRow`) for every row segment.
//!
//! The driver body is `#[inline(always)]` and generic over the row kernel, so the x86 wrappers
//! instantiate it inside their `#[target_feature]` functions and the whole loop nest is compiled
//! for AVX2 or SSE2, not only the innermost row.

use std::mem::size_of_val;

use super::{block_elems, FloatKernels, FourRows, KernelPath};
use super::{cast_slice, cast_slice_mut, par_chunks_mut, pieces_for, Stores, Thresholds};
use crate::scalar::{Scalar, ScalarKind};

/// Writes one row segment of an outer product.
pub(crate) trait OuterRow<T: Copy> {
    /// `out[k] = ai·b[k]` for every `k`, with the given store kind where the kernel has it.
    ///
    /// # Safety
    /// `out.len() == b.len()`, and the CPU supports the kernel's target features (the
    /// dispatcher checked them with `KernelPath::is_available`).
    unsafe fn row(out: &mut [T], ai: T, b: &[T], stores: Stores);

    /// Four rows `stride` elements apart with scalars `a`: row r is
    /// `out[r·stride .. r·stride + b.len()]`. Kernels override it to load each piece of `b`
    /// once for four rows and to pay the per-row loop overhead once.
    ///
    /// # Safety
    /// As [`row`](Self::row), with `stride ≥ b.len()` and `out.len() == 3·stride + b.len()`.
    #[inline(always)]
    unsafe fn rows4(out: &mut [T], stride: usize, a: [T; 4], b: &[T], stores: Stores) {
        let n = b.len();
        for (r, ai) in a.into_iter().enumerate() {
            // SAFETY: forwarded contract, one row of b.len() elements.
            unsafe { Self::row(&mut out[r * stride..r * stride + n], ai, b, stores) };
        }
    }
}

/// How [`chunk`] walks the output.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Walk {
    /// Column block, in elements: longer rows are written a block of columns at a time, so
    /// that the block of `b` stays in L1.
    pub(crate) block: usize,
    /// Whole rows (ordinary stores) go four at a time a quarter of the chunk apart rather than
    /// four adjacent ones (see `chunk`); set for chunks that do not fit in L2.
    pub(crate) spread: bool,
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
    let full = rest.len() / n;
    let (body, tail) = rest.split_at_mut(full * n);
    let rows = &a[i..i + full];
    // Four rows at a time. Large chunks (`walk.spread`) take them a quarter of the chunk
    // apart, rows g, g + q, g + 2q, g + 3q for g < q = full / 4, so the stores form four long
    // sequential streams: with ordinary stores every line missing from cache is read before
    // it is written, and four streams keep more of those reads in flight than one (fills of
    // 8 and 16 MiB on Zen 3: four interleaved streams ran at 1.2× and 1.6× one stream, four
    // adjacent 2 KiB rows at 0.9× and 0.85×; all alike in L1 and L2). Column-blocked rows
    // and non-temporal stores (which read nothing) keep adjacent rows: spreading those
    // measured 0.3–0.5× on vec(abᵀ) 8192×256. The rows left over go one by one.
    let groups = FourRows::new(full, walk.spread && stores == Stores::Normal && n <= block);
    // Whole rows when they fit the block, else column blocks of every row in turn.
    for c0 in (0..n).step_by(block.max(1)) {
        let c1 = (c0 + block).min(n);
        let seg = &b[c0..c1];
        for g in 0..groups.count {
            let r = groups.rows(g);
            let group = &mut body[r[0] * n + c0..r[3] * n + c1];
            // SAFETY: group holds rows r[0..4] from column c0, gap·n apart, the last ending at
            // c1: 3·gap·n + seg.len() elements.
            unsafe { K::rows4(group, groups.gap * n, r.map(|i| rows[i]), seg, stores) };
        }
        for (i, &ai) in rows.iter().enumerate().skip(4 * groups.count) {
            // SAFETY: both sides are the columns c0..c1 of one row.
            unsafe { K::row(&mut body[i * n + c0..i * n + c1], ai, seg, stores) };
        }
    }
    if !tail.is_empty() {
        let len = tail.len();
        // SAFETY: tail.len() == len == b[..len].len(), and len < n.
        unsafe { K::row(tail, a[i + full], &b[..len], stores) };
    }
}

/// The store kind and thread count for `bytes` of output, then the kernel on each chunk.
#[inline(never)]
pub(crate) fn run<T: Scalar>(
    path: KernelPath,
    thresholds: Thresholds,
    out: &mut [T],
    a: &[T],
    b: &[T],
) {
    if out.is_empty() {
        return;
    }
    let bytes = size_of_val(out);
    let stores = if bytes >= thresholds.streaming_min_bytes {
        Stores::NonTemporal
    } else {
        Stores::Normal
    };
    let pieces = pieces_for(bytes, thresholds);
    let walk = Walk {
        block: block_elems::<T>(),
        spread: bytes / pieces >= thresholds.spread_min_bytes,
    };
    let work = |chunk: &mut [T], first: usize| dispatch(path, stores, chunk, first, a, b, walk);
    if pieces == 1 {
        work(out, 0);
    } else {
        par_chunks_mut(out, pieces, &work);
    }
}

/// Routes one chunk to the kernel for `T` and `path`.
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
        ScalarKind::F32 => {
            if let (Some(o), Some(a), Some(b)) = (
                cast_slice_mut::<T, f32>(out),
                cast_slice::<T, f32>(a),
                cast_slice::<T, f32>(b),
            ) {
                return f32::outer_chunk(path, stores, o, first, a, b, walk);
            }
            unreachable!("ScalarKind::F32 means T is f32")
        }
        ScalarKind::F64 => {
            if let (Some(o), Some(a), Some(b)) = (
                cast_slice_mut::<T, f64>(out),
                cast_slice::<T, f64>(a),
                cast_slice::<T, f64>(b),
            ) {
                return f64::outer_chunk(path, stores, o, first, a, b, walk);
            }
            unreachable!("ScalarKind::F64 means T is f64")
        }
        ScalarKind::Other => super::portable::outer_chunk(out, first, a, b, walk),
    }
}
