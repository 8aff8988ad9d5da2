//! x86_64 kernels: SSE2 (baseline, 128-bit) and AVX2 (256-bit) row kernels for f32 and f64.
//!
//! One generic body per operation, written against the small [`Simd`] trait and marked
//! `#[inline(always)]`, is instantiated inside thin `#[target_feature]` wrappers, so the
//! compiler emits AVX2 code for the whole loop nest without `-C target-cpu=native`.
//!
//! Outer products use unaligned ordinary stores, or, for outputs bigger than the cache,
//! aligned non-temporal stores (`movntps`/`movntpd`) with one unaligned vector at each end of a
//! row; every wrapper that may have streamed ends with `sfence`, so the stores are globally
//! visible before the rayon join that publishes them. Ragged ends rewrite an overlapping whole
//! vector (outer: same values) or fall back to scalar code (ger, which must not add twice).
//! No kernel uses FMA: the products are exactly the portable path's (see `arch::ger`).

use std::arch::x86_64::*;
use std::ops::{Add, Mul, Range};

use super::ger::{ProductOrder, Rank1Job, Rank1Row};
use super::outer::OuterRow;
use super::{CacheSizes, Stores};

/// The vector operations the generic bodies need.
pub(crate) trait Simd {
    /// Element type.
    type E: Copy + Mul<Output = Self::E> + Add<Output = Self::E>;
    /// Vector type.
    type V: Copy;
    /// Lanes per vector.
    const W: usize;
    /// Vector width in bytes, the alignment a streaming store needs.
    const BYTES: usize;
    /// # Safety (all methods)
    /// The CPU supports the instruction set; pointers are valid for one vector.
    unsafe fn splat(x: Self::E) -> Self::V;
    /// Unaligned load.
    unsafe fn loadu(p: *const Self::E) -> Self::V;
    /// Unaligned ordinary store.
    unsafe fn storeu(p: *mut Self::E, v: Self::V);
    /// Aligned non-temporal store (`p` aligned to `BYTES`).
    unsafe fn stream(p: *mut Self::E, v: Self::V);
    /// Lane-wise product.
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise sum.
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
}

macro_rules! simd_impl {
    ($name:ident, $e:ty, $v:ty, $w:expr, $splat:ident, $loadu:ident, $storeu:ident,
     $stream:ident, $mul:ident, $add:ident) => {
        /// Marker type for one instruction set and element type.
        pub(crate) struct $name;
        impl Simd for $name {
            type E = $e;
            type V = $v;
            const W: usize = $w;
            const BYTES: usize = $w * std::mem::size_of::<$e>();
            #[inline(always)]
            unsafe fn splat(x: $e) -> $v {
                // SAFETY: the caller runs in a function with this instruction set enabled.
                unsafe { $splat(x) }
            }
            #[inline(always)]
            unsafe fn loadu(p: *const $e) -> $v {
                // SAFETY: p is valid for one vector (caller) and unaligned loads are allowed.
                unsafe { $loadu(p) }
            }
            #[inline(always)]
            unsafe fn storeu(p: *mut $e, v: $v) {
                // SAFETY: p is valid for one vector (caller).
                unsafe { $storeu(p, v) }
            }
            #[inline(always)]
            unsafe fn stream(p: *mut $e, v: $v) {
                debug_assert_eq!(p as usize % Self::BYTES, 0);
                // SAFETY: p is valid for one vector and aligned (caller, asserted above).
                unsafe { $stream(p, v) }
            }
            #[inline(always)]
            unsafe fn mul(a: $v, b: $v) -> $v {
                // SAFETY: register-only operation of the enabled instruction set.
                unsafe { $mul(a, b) }
            }
            #[inline(always)]
            unsafe fn add(a: $v, b: $v) -> $v {
                // SAFETY: register-only operation of the enabled instruction set.
                unsafe { $add(a, b) }
            }
        }
    };
}

simd_impl!(
    Avx2F32,
    f32,
    __m256,
    8,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_stream_ps,
    _mm256_mul_ps,
    _mm256_add_ps
);
simd_impl!(
    Avx2F64,
    f64,
    __m256d,
    4,
    _mm256_set1_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_stream_pd,
    _mm256_mul_pd,
    _mm256_add_pd
);
simd_impl!(
    Sse2F32,
    f32,
    __m128,
    4,
    _mm_set1_ps,
    _mm_loadu_ps,
    _mm_storeu_ps,
    _mm_stream_ps,
    _mm_mul_ps,
    _mm_add_ps
);
simd_impl!(
    Sse2F64,
    f64,
    __m128d,
    2,
    _mm_set1_pd,
    _mm_loadu_pd,
    _mm_storeu_pd,
    _mm_stream_pd,
    _mm_mul_pd,
    _mm_add_pd
);

/// Elements from `p` to the next `S::BYTES` boundary (0 when aligned).
#[inline(always)]
fn to_alignment<S: Simd>(p: *const S::E) -> usize {
    let mis = p as usize % S::BYTES;
    if mis == 0 {
        0
    } else {
        (S::BYTES - mis) / std::mem::size_of::<S::E>()
    }
}

/// `out[k] = f(k)` for vectors `f` over `0..len` (len ≥ W), ordinary or streaming stores;
/// `f(k)` computes the vector for elements `k..k + W`, and rewriting a vector is harmless.
///
/// # Safety
/// `out` is valid for `len ≥ W` writes of elements aligned to their size; the CPU supports
/// `S`; `f(k)` may only read what is valid for `k + W ≤ len`.
#[inline(always)]
unsafe fn write_row<S: Simd>(
    out: *mut S::E,
    len: usize,
    stores: Stores,
    f: impl Fn(usize) -> S::V,
) {
    let w = S::W;
    debug_assert!(len >= w);
    let mut k = 0;
    // SAFETY: (whole body) every store covers k..k + W with k + W ≤ len, inside the row the
    // caller handed us; streaming stores start at an S::BYTES-aligned element.
    unsafe {
        match stores {
            Stores::Normal => {
                while k + 4 * w <= len {
                    S::storeu(out.add(k), f(k));
                    S::storeu(out.add(k + w), f(k + w));
                    S::storeu(out.add(k + 2 * w), f(k + 2 * w));
                    S::storeu(out.add(k + 3 * w), f(k + 3 * w));
                    k += 4 * w;
                }
                while k + w <= len {
                    S::storeu(out.add(k), f(k));
                    k += w;
                }
            }
            Stores::NonTemporal => {
                let head = to_alignment::<S>(out);
                if head != 0 {
                    S::storeu(out, f(0));
                    k = head;
                }
                while k + 4 * w <= len {
                    S::stream(out.add(k), f(k));
                    S::stream(out.add(k + w), f(k + w));
                    S::stream(out.add(k + 2 * w), f(k + 2 * w));
                    S::stream(out.add(k + 3 * w), f(k + 3 * w));
                    k += 4 * w;
                }
                while k + w <= len {
                    S::stream(out.add(k), f(k));
                    k += w;
                }
            }
        }
        if k < len {
            S::storeu(out.add(len - w), f(len - w));
        }
    }
}

/// The SIMD outer-product row: `out[k] = ai·b[k]`.
///
/// # Safety
/// The CPU supports `S`; `out.len() == b.len()`.
#[inline(always)]
unsafe fn outer_row<S: Simd>(out: &mut [S::E], ai: S::E, b: &[S::E], stores: Stores) {
    debug_assert_eq!(out.len(), b.len());
    let len = out.len().min(b.len());
    if len < S::W {
        for (o, &bj) in out.iter_mut().zip(b) {
            *o = ai * bj;
        }
        return;
    }
    let bp = b.as_ptr();
    // SAFETY: the CPU supports S (caller); write_row only asks for k + W ≤ len ≤ b.len().
    unsafe {
        let va = S::splat(ai);
        write_row::<S>(out.as_mut_ptr(), len, stores, |k| {
            S::mul(va, S::loadu(bp.add(k)))
        });
    }
}

/// The SIMD rank-1 row: `a[k] = a[k] + s·(scale·v[k])` (or `s·v[k]`), contiguous `a`.
///
/// # Safety
/// The CPU supports `S`; `a` addresses `v.len()` contiguous elements, valid for reads and
/// writes, that nobody else touches during the call.
#[inline(always)]
unsafe fn rank1_row<S: Simd>(a: *mut S::E, s: S::E, v: &[S::E], scale: Option<S::E>) {
    let (w, len, vp) = (S::W, v.len(), v.as_ptr());
    let mut k = 0;
    // SAFETY: the caller guarantees a[0..len] is ours and contiguous and the CPU supports S;
    // every access below is at k + W ≤ len or, in the scalar tail, at k < len.
    unsafe {
        let vs = S::splat(s);
        let t = |k: usize| match scale {
            Some(alpha) => S::mul(S::splat(alpha), S::loadu(vp.add(k))),
            None => S::loadu(vp.add(k)),
        };
        let upd = |k: usize| {
            let p = a.add(k);
            S::storeu(p, S::add(S::loadu(p), S::mul(vs, t(k))));
        };
        while k + 4 * w <= len {
            upd(k);
            upd(k + w);
            upd(k + 2 * w);
            upd(k + 3 * w);
            k += 4 * w;
        }
        while k + w <= len {
            upd(k);
            k += w;
        }
        while k < len {
            let tk = match scale {
                Some(alpha) => alpha * v[k],
                None => v[k],
            };
            let p = a.add(k);
            *p = *p + s * tk;
            k += 1;
        }
    }
}

macro_rules! row_impls {
    ($($s:ident),*) => {$(
        impl OuterRow<<$s as Simd>::E> for $s {
            #[inline(always)]
            unsafe fn row(out: &mut [<$s as Simd>::E], ai: <$s as Simd>::E,
                          b: &[<$s as Simd>::E], stores: Stores) {
                // SAFETY: same contract (lengths, CPU features).
                unsafe { outer_row::<$s>(out, ai, b, stores) }
            }
        }
        impl Rank1Row<<$s as Simd>::E> for $s {
            #[inline(always)]
            unsafe fn row(a: *mut <$s as Simd>::E, inc: isize, s: <$s as Simd>::E,
                          v: &[<$s as Simd>::E], scale: Option<<$s as Simd>::E>,
                          _order: ProductOrder) {
                debug_assert_eq!(inc, 1);
                // SAFETY: same contract; the dispatcher sends only unit inner strides here.
                unsafe { rank1_row::<$s>(a, s, v, scale) }
            }
        }
    )*};
}
row_impls!(Avx2F32, Avx2F64, Sse2F32, Sse2F64);

/// The `#[target_feature]` entry points, one per instruction set and element type.
macro_rules! entry_points {
    ($feature:literal, $s:ident, $e:ty, $outer:ident, $rank1:ident, $fill:ident, $rmw:ident) => {
        /// One chunk of an outer product (`outer::chunk`) with this kernel.
        ///
        /// # Safety
        /// The CPU supports the target features.
        #[target_feature(enable = $feature)]
        pub(crate) unsafe fn $outer(
            out: &mut [$e],
            first: usize,
            a: &[$e],
            b: &[$e],
            block: usize,
            stores: Stores,
        ) {
            // SAFETY: features enabled on this function; chunk checks its ranges.
            unsafe { super::outer::chunk::<$e, $s>(out, first, a, b, block, stores) };
            if stores == Stores::NonTemporal {
                _mm_sfence();
            }
        }

        /// One block of a rank-1 update (`ger::run_block`) with this kernel.
        ///
        /// # Safety
        /// The CPU supports the target features; as `ger::run_block` (valid job, block owned
        /// by this thread, unit inner stride).
        #[target_feature(enable = $feature)]
        pub(crate) unsafe fn $rank1(
            job: &Rank1Job<'_, $e>,
            outer: Range<usize>,
            inner: Range<usize>,
            block: usize,
        ) {
            debug_assert_eq!(job.inner_stride, 1);
            // SAFETY: forwarded contract.
            unsafe { super::ger::run_block::<$e, $s>(job, outer, inner, block) }
        }

        /// Fills `out` with `value` (the fill baseline of the benches).
        ///
        /// # Safety
        /// The CPU supports the target features.
        #[target_feature(enable = $feature)]
        pub(crate) unsafe fn $fill(out: &mut [$e], value: $e, stores: Stores) {
            if out.len() < <$s as Simd>::W {
                out.fill(value);
                return;
            }
            // SAFETY: features enabled on this function; write_row stays inside out.
            unsafe {
                let v = <$s as Simd>::splat(value);
                write_row::<$s>(out.as_mut_ptr(), out.len(), stores, |_| v);
            }
            if stores == Stores::NonTemporal {
                _mm_sfence();
            }
        }

        /// `a[k] = a[k] + value` (the read-modify-write baseline of the benches).
        ///
        /// # Safety
        /// The CPU supports the target features.
        #[target_feature(enable = $feature)]
        pub(crate) unsafe fn $rmw(a: &mut [$e], value: $e) {
            let (w, len, p) = (<$s as Simd>::W, a.len(), a.as_mut_ptr());
            let mut k = 0;
            // SAFETY: features enabled on this function; every access is inside a.
            unsafe {
                let vv = <$s as Simd>::splat(value);
                while k + 4 * w <= len {
                    for u in 0..4 {
                        let q = p.add(k + u * w);
                        <$s as Simd>::storeu(q, <$s as Simd>::add(<$s as Simd>::loadu(q), vv));
                    }
                    k += 4 * w;
                }
                while k < len {
                    *p.add(k) += value;
                    k += 1;
                }
            }
        }
    };
}

entry_points!(
    "avx2,fma",
    Avx2F32,
    f32,
    outer_chunk_avx2_f32,
    rank1_avx2_f32,
    fill_avx2_f32,
    add_in_place_avx2_f32
);
entry_points!(
    "avx2,fma",
    Avx2F64,
    f64,
    outer_chunk_avx2_f64,
    rank1_avx2_f64,
    fill_avx2_f64,
    add_in_place_avx2_f64
);
entry_points!(
    "sse2",
    Sse2F32,
    f32,
    outer_chunk_sse2_f32,
    rank1_sse2_f32,
    fill_sse2_f32,
    add_in_place_sse2_f32
);
entry_points!(
    "sse2",
    Sse2F64,
    f64,
    outer_chunk_sse2_f64,
    rank1_sse2_f64,
    fill_sse2_f64,
    add_in_place_sse2_f64
);

/// Data cache sizes from CPUID's deterministic cache parameters (leaf 4 on Intel, leaf
/// 0x8000_001D on AMD); `None` when the CPU does not report them.
pub(crate) fn detect_caches() -> Option<CacheSizes> {
    #[allow(unused_unsafe)]
    // SAFETY: CPUID exists on every x86_64 CPU; leaves above the reported maxima are not read.
    let (max_basic, vendor_ebx) = unsafe {
        let r = __cpuid(0);
        (r.eax, r.ebx)
    };
    #[allow(unused_unsafe)]
    // SAFETY: as above.
    let max_ext = unsafe { __cpuid(0x8000_0000).eax };
    const AUTHENTIC_AMD_EBX: u32 = u32::from_le_bytes(*b"Auth");
    const HYGON_EBX: u32 = u32::from_le_bytes(*b"Hygo");
    let leaf =
        if (vendor_ebx == AUTHENTIC_AMD_EBX || vendor_ebx == HYGON_EBX) && max_ext >= 0x8000_001D {
            0x8000_001D
        } else if max_basic >= 4 {
            4
        } else {
            return None;
        };
    let mut sizes = [0usize; 4];
    for sub in 0..16 {
        #[allow(unused_unsafe)]
        // SAFETY: the leaf is within the reported maximum (checked above).
        let r = unsafe { __cpuid_count(leaf, sub) };
        let kind = r.eax & 0x1f;
        if kind == 0 {
            break;
        }
        if kind == 2 {
            continue; // instruction cache
        }
        let level = ((r.eax >> 5) & 0x7) as usize;
        let ways = ((r.ebx >> 22) & 0x3ff) as usize + 1;
        let partitions = ((r.ebx >> 12) & 0x3ff) as usize + 1;
        let line = (r.ebx & 0xfff) as usize + 1;
        let sets = r.ecx as usize + 1;
        if (1..=3).contains(&level) {
            sizes[level] = ways * partitions * line * sets;
        }
    }
    let (l1d, l2, l3) = (sizes[1], sizes[2], sizes[3]);
    if l1d == 0 {
        return None;
    }
    let l2 = if l2 == 0 { 256 * 1024 } else { l2 };
    Some(CacheSizes {
        l1d,
        l2,
        llc: if l3 == 0 { l2 } else { l3 },
    })
}
