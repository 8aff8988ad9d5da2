//! x86_64 kernels: SSE2 (baseline, 128-bit), AVX2 (256-bit) and AVX-512F (512-bit) row
//! kernels for f32 and f64.
//!
//! One generic body per operation, written against the small [`Simd`] trait and marked
//! `#[inline(always)]`, is instantiated inside thin `#[target_feature]` wrappers, so the
//! compiler emits AVX2 or AVX-512 code for the whole loop nest without
//! `-C target-cpu=native`. (The AVX-512 intrinsics are stable from Rust 1.89, the crate's
//! `rust-version`.)
//!
//! Outer products use unaligned ordinary stores, or, for outputs bigger than the cache,
//! aligned non-temporal stores (`movntps`/`movntpd`) with one unaligned vector at each end of a
//! row; every wrapper that may have streamed ends with `sfence`, so the stores are globally
//! visible before the rayon join that publishes them. Row ends that are not a whole vector go
//! in pieces of 1, 2, 4… elements with loads and stores of exactly that size (rank-1 updates,
//! and outer rows that share their alignment), or as one overlapping vector that rewrites the
//! same values (other outer rows).
//! No kernel uses FMA: the products are exactly the portable path's (see `arch::ger`).

use std::arch::x86_64::*;
use std::ops::{Add, Mul, Range};

use super::ger::{ProductOrder, Rank1Job, Rank1Row};
use super::outer::OuterRow;
use super::{CacheSizes, FourRows, Stores};

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
    /// Non-temporal store of one element (`movnti`), `p` aligned to the element size.
    unsafe fn stream_elem(p: *mut Self::E, x: Self::E);
    /// Lanes `0..k` from `x`, lanes `k..W` from `y`.
    unsafe fn select_lt(k: usize, x: Self::V, y: Self::V) -> Self::V;
    /// The low half of the lanes from `x`, the high half from `y` (one immediate blend).
    unsafe fn halves(x: Self::V, y: Self::V) -> Self::V;
    /// Lane-wise product.
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise sum.
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    /// The `lanes` elements at `p` (a power of two below `W`) in the low lanes, zeros above,
    /// with one load of exactly that many elements; `p` need only be valid for them.
    unsafe fn load_part(p: *const Self::E, lanes: usize) -> Self::V;
    /// Stores the low `lanes` lanes of `v` (a power of two below `W`) at `p` with one store of
    /// exactly that many elements; `p` need only be valid for them.
    unsafe fn store_part(p: *mut Self::E, v: Self::V, lanes: usize);
    /// The vector `tail[..k] ++ head[..W − k]` (`0 < k < W`), read without a round trip
    /// through memory where the instruction set can: a vector loaded from smaller stores
    /// just made waits for them to retire (no store forwarding), a fixed cost that mattered
    /// on 64×64 outputs. `tail` is valid for `k` elements, `head` for `W − k`.
    unsafe fn concat(tail: *const Self::E, k: usize, head: *const Self::E) -> Self::V;
}

macro_rules! simd_impl {
    ($name:ident, $e:ty, $v:ty, $w:expr, $splat:ident, $loadu:ident, $storeu:ident,
     $stream:ident, $mul:ident, $add:ident, $movnti:ident, $int:ty, $select:path,
     $halves:path, $load_part:path, $store_part:path, $concat:path) => {
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
                if cfg!(miri) {
                    // Miri cannot run the inline assembly of the streaming store intrinsics;
                    // an ordinary store to the same place keeps every check it makes.
                    // SAFETY: as below.
                    return unsafe { $storeu(p, v) };
                }
                // SAFETY: p is valid for one vector and aligned (caller, asserted above).
                unsafe { $stream(p, v) }
            }
            #[inline(always)]
            unsafe fn stream_elem(p: *mut $e, x: $e) {
                debug_assert_eq!(p as usize % std::mem::size_of::<$e>(), 0);
                if cfg!(miri) {
                    // As in `stream`. SAFETY: p is valid for one element (caller).
                    return unsafe { p.write(x) };
                }
                // SAFETY: p is valid for one element and aligned to it (caller); the integer
                // of the same size carries the float's bits unchanged.
                unsafe { $movnti(p.cast::<$int>(), x.to_bits() as $int) }
            }
            #[inline(always)]
            unsafe fn select_lt(k: usize, x: $v, y: $v) -> $v {
                // SAFETY: register-only operations of the enabled instruction set.
                unsafe { $select(k, x, y) }
            }
            #[inline(always)]
            unsafe fn halves(x: $v, y: $v) -> $v {
                // SAFETY: register-only operation of the enabled instruction set.
                unsafe { $halves(x, y) }
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
            #[inline(always)]
            unsafe fn load_part(p: *const $e, lanes: usize) -> $v {
                debug_assert!(lanes.is_power_of_two() && lanes < $w);
                // SAFETY: p is valid for `lanes` elements (caller); the enabled instruction set.
                unsafe { $load_part(p, lanes) }
            }
            #[inline(always)]
            unsafe fn store_part(p: *mut $e, v: $v, lanes: usize) {
                debug_assert!(lanes.is_power_of_two() && lanes < $w);
                // SAFETY: p is valid for `lanes` elements (caller); the enabled instruction set.
                unsafe { $store_part(p, v, lanes) }
            }
            #[inline(always)]
            unsafe fn concat(tail: *const $e, k: usize, head: *const $e) -> $v {
                debug_assert!(k > 0 && k < $w);
                // SAFETY: tail and head are valid for k and W − k elements (caller); the
                // enabled instruction set.
                unsafe { $concat(tail, k, head) }
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
    _mm256_add_ps,
    _mm_stream_si32,
    i32,
    select_avx_ps,
    halves_avx_ps,
    load_part_avx_ps,
    store_part_avx_ps,
    concat_avx_ps
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
    _mm256_add_pd,
    _mm_stream_si64,
    i64,
    select_avx_pd,
    halves_avx_pd,
    load_part_avx_pd,
    store_part_avx_pd,
    concat_avx_pd
);
simd_impl!(
    Avx512F32,
    f32,
    __m512,
    16,
    _mm512_set1_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_stream_ps,
    _mm512_mul_ps,
    _mm512_add_ps,
    _mm_stream_si32,
    i32,
    select_avx512_ps,
    halves_avx512_ps,
    load_part_avx512_ps,
    store_part_avx512_ps,
    concat_avx512_ps
);
simd_impl!(
    Avx512F64,
    f64,
    __m512d,
    8,
    _mm512_set1_pd,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_stream_pd,
    _mm512_mul_pd,
    _mm512_add_pd,
    _mm_stream_si64,
    i64,
    select_avx512_pd,
    halves_avx512_pd,
    load_part_avx512_pd,
    store_part_avx512_pd,
    concat_avx512_pd
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
    _mm_add_ps,
    _mm_stream_si32,
    i32,
    select_sse_ps,
    halves_sse_ps,
    load_part_sse_ps,
    store_part_sse_ps,
    concat_via_array::<Sse2F32>
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
    _mm_add_pd,
    _mm_stream_si64,
    i64,
    select_sse_pd,
    halves_sse_pd,
    load_part_sse_pd,
    store_part_sse_pd,
    concat_via_array::<Sse2F64>
);

/// The first `lanes` f32 at `p` (1, 2, or 4 for AVX), zeros above. (The zeros keep the
/// unused lanes of the arithmetic on them free of subnormals and NaNs.)
///
/// # Safety
/// SSE2 is available; `p` is valid for `lanes` elements (no alignment needed).
#[inline(always)]
unsafe fn load_part_sse_ps(p: *const f32, lanes: usize) -> __m128 {
    // SAFETY: each arm reads exactly `lanes` elements; the loads zero the lanes above.
    unsafe {
        match lanes {
            1 => _mm_load_ss(p),
            2 => _mm_castpd_ps(_mm_load_sd(p.cast::<f64>())),
            _ => _mm_loadu_ps(p),
        }
    }
}

/// Stores the low `lanes` f32 of `v` at `p`.
///
/// # Safety
/// SSE2 is available; `p` is valid for `lanes` elements (no alignment needed).
#[inline(always)]
unsafe fn store_part_sse_ps(p: *mut f32, v: __m128, lanes: usize) {
    // SAFETY: each arm writes exactly `lanes` elements.
    unsafe {
        match lanes {
            1 => _mm_store_ss(p, v),
            2 => _mm_store_sd(p.cast::<f64>(), _mm_castps_pd(v)),
            _ => _mm_storeu_ps(p, v),
        }
    }
}

/// [`load_part_sse_ps`] into the low half of an AVX vector, zeros above.
///
/// # Safety
/// AVX is available; as [`load_part_sse_ps`].
#[inline(always)]
unsafe fn load_part_avx_ps(p: *const f32, lanes: usize) -> __m256 {
    // SAFETY: forwarded contract; the widening is register-only.
    unsafe { _mm256_zextps128_ps256(load_part_sse_ps(p, lanes)) }
}

/// [`store_part_sse_ps`] from the low half of an AVX vector.
///
/// # Safety
/// AVX is available; as [`store_part_sse_ps`].
#[inline(always)]
unsafe fn store_part_avx_ps(p: *mut f32, v: __m256, lanes: usize) {
    // SAFETY: forwarded contract; the narrowing is register-only.
    unsafe { store_part_sse_ps(p, _mm256_castps256_ps128(v), lanes) }
}

/// The first `lanes` f64 at `p` (1, or 2 for AVX), zeros above.
///
/// # Safety
/// SSE2 is available; `p` is valid for `lanes` elements (no alignment needed).
#[inline(always)]
unsafe fn load_part_sse_pd(p: *const f64, lanes: usize) -> __m128d {
    // SAFETY: each arm reads exactly `lanes` elements; the loads zero the lanes above.
    unsafe {
        match lanes {
            1 => _mm_load_sd(p),
            _ => _mm_loadu_pd(p),
        }
    }
}

/// Stores the low `lanes` f64 of `v` at `p`.
///
/// # Safety
/// SSE2 is available; `p` is valid for `lanes` elements (no alignment needed).
#[inline(always)]
unsafe fn store_part_sse_pd(p: *mut f64, v: __m128d, lanes: usize) {
    // SAFETY: each arm writes exactly `lanes` elements.
    unsafe {
        match lanes {
            1 => _mm_store_sd(p, v),
            _ => _mm_storeu_pd(p, v),
        }
    }
}

/// [`load_part_sse_pd`] into the low half of an AVX vector, zeros above.
///
/// # Safety
/// AVX is available; as [`load_part_sse_pd`].
#[inline(always)]
unsafe fn load_part_avx_pd(p: *const f64, lanes: usize) -> __m256d {
    // SAFETY: forwarded contract; the widening is register-only.
    unsafe { _mm256_zextpd128_pd256(load_part_sse_pd(p, lanes)) }
}

/// [`store_part_sse_pd`] from the low half of an AVX vector.
///
/// # Safety
/// AVX is available; as [`store_part_sse_pd`].
#[inline(always)]
unsafe fn store_part_avx_pd(p: *mut f64, v: __m256d, lanes: usize) {
    // SAFETY: forwarded contract; the narrowing is register-only.
    unsafe { store_part_sse_pd(p, _mm256_castpd256_pd128(v), lanes) }
}

/// The first `lanes` f32 at `p` (1, 2, 4 or 8 for AVX-512), zeros above, with the AVX loads
/// of exactly that size (a masked load would also do, but these are the instructions the
/// other paths already test).
///
/// # Safety
/// AVX-512F is available; `p` is valid for `lanes` elements (no alignment needed).
#[inline(always)]
unsafe fn load_part_avx512_ps(p: *const f32, lanes: usize) -> __m512 {
    // SAFETY: each arm reads exactly `lanes` elements; the widening is register-only.
    unsafe {
        match lanes {
            8 => _mm512_zextps256_ps512(_mm256_loadu_ps(p)),
            _ => _mm512_zextps256_ps512(load_part_avx_ps(p, lanes)),
        }
    }
}

/// Stores the low `lanes` f32 of `v` at `p` (1, 2, 4 or 8).
///
/// # Safety
/// AVX-512F is available; `p` is valid for `lanes` elements (no alignment needed).
#[inline(always)]
unsafe fn store_part_avx512_ps(p: *mut f32, v: __m512, lanes: usize) {
    // SAFETY: each arm writes exactly `lanes` elements; the narrowing is register-only.
    unsafe {
        let low = _mm512_castps512_ps256(v);
        match lanes {
            8 => _mm256_storeu_ps(p, low),
            _ => store_part_avx_ps(p, low, lanes),
        }
    }
}

/// The first `lanes` f64 at `p` (1, 2 or 4 for AVX-512), zeros above.
///
/// # Safety
/// AVX-512F is available; `p` is valid for `lanes` elements (no alignment needed).
#[inline(always)]
unsafe fn load_part_avx512_pd(p: *const f64, lanes: usize) -> __m512d {
    // SAFETY: each arm reads exactly `lanes` elements; the widening is register-only.
    unsafe {
        match lanes {
            4 => _mm512_zextpd256_pd512(_mm256_loadu_pd(p)),
            _ => _mm512_zextpd256_pd512(load_part_avx_pd(p, lanes)),
        }
    }
}

/// Stores the low `lanes` f64 of `v` at `p` (1, 2 or 4).
///
/// # Safety
/// AVX-512F is available; `p` is valid for `lanes` elements (no alignment needed).
#[inline(always)]
unsafe fn store_part_avx512_pd(p: *mut f64, v: __m512d, lanes: usize) {
    // SAFETY: each arm writes exactly `lanes` elements; the narrowing is register-only.
    unsafe {
        let low = _mm512_castpd512_pd256(v);
        match lanes {
            4 => _mm256_storeu_pd(p, low),
            _ => store_part_avx_pd(p, low, lanes),
        }
    }
}

/// Lanes 0–7 of `x`, 8–15 of `y` (f32, AVX-512: one blend under an immediate mask).
///
/// # Safety
/// AVX-512F is available.
#[inline(always)]
unsafe fn halves_avx512_ps(x: __m512, y: __m512) -> __m512 {
    // SAFETY: register-only AVX-512F operation.
    unsafe { _mm512_mask_blend_ps(0xFF00, x, y) }
}

/// Lanes 0–3 of `x`, 4–7 of `y` (f64, AVX-512).
///
/// # Safety
/// AVX-512F is available.
#[inline(always)]
unsafe fn halves_avx512_pd(x: __m512d, y: __m512d) -> __m512d {
    // SAFETY: register-only AVX-512F operation.
    unsafe { _mm512_mask_blend_pd(0xF0, x, y) }
}

/// Lanes `0..k` of `x`, the rest of `y` (f32, AVX-512: a mask register).
///
/// # Safety
/// AVX-512F is available; `k ≤ 16`.
#[inline(always)]
unsafe fn select_avx512_ps(k: usize, x: __m512, y: __m512) -> __m512 {
    debug_assert!(k <= 16);
    let low = ((1u32 << k) - 1) as __mmask16;
    // SAFETY: register-only AVX-512F operation.
    unsafe { _mm512_mask_blend_ps(low, y, x) }
}

/// Lanes `0..k` of `x`, the rest of `y` (f64, AVX-512).
///
/// # Safety
/// AVX-512F is available; `k ≤ 8`.
#[inline(always)]
unsafe fn select_avx512_pd(k: usize, x: __m512d, y: __m512d) -> __m512d {
    debug_assert!(k <= 8);
    let low = ((1u32 << k) - 1) as __mmask8;
    // SAFETY: register-only AVX-512F operation.
    unsafe { _mm512_mask_blend_pd(low, y, x) }
}

/// [`Simd::concat`] through a small array: the fallback of instruction sets without a cheaper
/// way (SSE2, and AVX2 when the two parts are not halves).
///
/// # Safety
/// The CPU supports `S`; `tail` is valid for `k` elements and `head` for `W − k`.
#[inline(always)]
unsafe fn concat_via_array<S: Simd>(tail: *const S::E, k: usize, head: *const S::E) -> S::V {
    debug_assert!(k > 0 && k < S::W && S::W <= MAX_LANES);
    // SAFETY: every read is inside the two parts (caller); the array holds W ≤ MAX_LANES.
    unsafe {
        let mut both = [*tail; MAX_LANES];
        for (l, x) in both.iter_mut().enumerate().take(S::W) {
            *x = if l < k {
                *tail.add(l)
            } else {
                *head.add(l - k)
            };
        }
        S::loadu(both.as_ptr())
    }
}

/// [`Simd::concat`] for AVX f32: two 128-bit loads when the parts are halves.
///
/// # Safety
/// AVX is available; as [`Simd::concat`].
#[inline(always)]
unsafe fn concat_avx_ps(tail: *const f32, k: usize, head: *const f32) -> __m256 {
    // SAFETY: each part is read within its k or 8 − k elements (caller).
    unsafe {
        if k == 4 {
            _mm256_insertf128_ps::<1>(
                _mm256_castps128_ps256(_mm_loadu_ps(tail)),
                _mm_loadu_ps(head),
            )
        } else {
            concat_via_array::<Avx2F32>(tail, k, head)
        }
    }
}

/// [`Simd::concat`] for AVX f64: two 128-bit loads when the parts are halves.
///
/// # Safety
/// AVX is available; as [`Simd::concat`].
#[inline(always)]
unsafe fn concat_avx_pd(tail: *const f64, k: usize, head: *const f64) -> __m256d {
    // SAFETY: each part is read within its k or 4 − k elements (caller).
    unsafe {
        if k == 2 {
            _mm256_insertf128_pd::<1>(
                _mm256_castpd128_pd256(_mm_loadu_pd(tail)),
                _mm_loadu_pd(head),
            )
        } else {
            concat_via_array::<Avx2F64>(tail, k, head)
        }
    }
}

/// [`Simd::concat`] for AVX-512 f32: a masked load of the tail into lanes `0..k`, then an
/// expanding load of the head into lanes `k..16`. Masked-off lanes are not read.
///
/// # Safety
/// AVX-512F is available; as [`Simd::concat`].
#[inline(always)]
unsafe fn concat_avx512_ps(tail: *const f32, k: usize, head: *const f32) -> __m512 {
    let low = ((1u32 << k) - 1) as __mmask16;
    // SAFETY: the masked load reads tail[..k] and the expanding load head[..16 − k] (caller).
    unsafe { _mm512_mask_expandloadu_ps(_mm512_maskz_loadu_ps(low, tail), !low, head) }
}

/// [`Simd::concat`] for AVX-512 f64, as [`concat_avx512_ps`].
///
/// # Safety
/// AVX-512F is available; as [`Simd::concat`].
#[inline(always)]
unsafe fn concat_avx512_pd(tail: *const f64, k: usize, head: *const f64) -> __m512d {
    let low = ((1u32 << k) - 1) as __mmask8;
    // SAFETY: the masked load reads tail[..k] and the expanding load head[..8 − k] (caller).
    unsafe { _mm512_mask_expandloadu_pd(_mm512_maskz_loadu_pd(low, tail), !low, head) }
}

/// Lanes 0–3 of `x`, 4–7 of `y` (f32, AVX).
///
/// # Safety
/// AVX is available.
#[inline(always)]
unsafe fn halves_avx_ps(x: __m256, y: __m256) -> __m256 {
    // SAFETY: register-only AVX operation.
    unsafe { _mm256_blend_ps::<0b1111_0000>(x, y) }
}

/// Lanes 0–1 of `x`, 2–3 of `y` (f64, AVX).
///
/// # Safety
/// AVX is available.
#[inline(always)]
unsafe fn halves_avx_pd(x: __m256d, y: __m256d) -> __m256d {
    // SAFETY: register-only AVX operation.
    unsafe { _mm256_blend_pd::<0b1100>(x, y) }
}

/// Lanes 0–1 of `x`, 2–3 of `y` (f32, SSE).
///
/// # Safety
/// SSE is available (always on x86_64).
#[inline(always)]
unsafe fn halves_sse_ps(x: __m128, y: __m128) -> __m128 {
    // SAFETY: register-only SSE operation.
    unsafe { _mm_shuffle_ps::<0b11_10_01_00>(x, y) }
}

/// Lane 0 of `x`, lane 1 of `y` (f64, SSE2).
///
/// # Safety
/// SSE2 is available (always on x86_64).
#[inline(always)]
unsafe fn halves_sse_pd(x: __m128d, y: __m128d) -> __m128d {
    // SAFETY: register-only SSE2 operation.
    unsafe { _mm_move_sd(y, x) }
}

/// Lanes `0..k` of `x`, the rest of `y` (f32, AVX).
///
/// # Safety
/// AVX2 is available.
#[inline(always)]
unsafe fn select_avx_ps(k: usize, x: __m256, y: __m256) -> __m256 {
    // SAFETY: register-only AVX2 operations.
    unsafe {
        let idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let lt = _mm256_cmpgt_epi32(_mm256_set1_epi32(k as i32), idx);
        _mm256_blendv_ps(y, x, _mm256_castsi256_ps(lt))
    }
}

/// Lanes `0..k` of `x`, the rest of `y` (f64, AVX).
///
/// # Safety
/// AVX2 is available.
#[inline(always)]
unsafe fn select_avx_pd(k: usize, x: __m256d, y: __m256d) -> __m256d {
    // SAFETY: register-only AVX2 operations.
    unsafe {
        let idx = _mm256_setr_epi64x(0, 1, 2, 3);
        let lt = _mm256_cmpgt_epi64(_mm256_set1_epi64x(k as i64), idx);
        _mm256_blendv_pd(y, x, _mm256_castsi256_pd(lt))
    }
}

/// Lanes `0..k` of `x`, the rest of `y` (f32, SSE2: and/andnot/or).
///
/// # Safety
/// SSE2 is available (always on x86_64).
#[inline(always)]
unsafe fn select_sse_ps(k: usize, x: __m128, y: __m128) -> __m128 {
    // SAFETY: register-only SSE2 operations.
    unsafe {
        let idx = _mm_setr_epi32(0, 1, 2, 3);
        let lt = _mm_castsi128_ps(_mm_cmplt_epi32(idx, _mm_set1_epi32(k as i32)));
        _mm_or_ps(_mm_and_ps(lt, x), _mm_andnot_ps(lt, y))
    }
}

/// Lanes `0..k` of `x`, the rest of `y` (f64, SSE2: two lanes).
///
/// # Safety
/// SSE2 is available (always on x86_64).
#[inline(always)]
unsafe fn select_sse_pd(k: usize, x: __m128d, y: __m128d) -> __m128d {
    // SAFETY: register-only SSE2 operations.
    unsafe {
        match k {
            0 => y,
            1 => _mm_move_sd(y, x),
            _ => x,
        }
    }
}

/// Elements of `S::E` from `p` to the next multiple of `bytes` (0 when on one).
#[inline(always)]
fn to_boundary<S: Simd>(p: *const S::E, bytes: usize) -> usize {
    let mis = p as usize % bytes;
    if mis == 0 {
        0
    } else {
        (bytes - mis) / std::mem::size_of::<S::E>()
    }
}

/// Elements from `p` to the next `S::BYTES` boundary (0 when aligned).
#[inline(always)]
fn to_alignment<S: Simd>(p: *const S::E) -> usize {
    to_boundary::<S>(p, S::BYTES)
}

/// Bytes of one trip of the four-row kernels: two vectors, but at most a 64-byte cache line
/// (one AVX-512 vector). Each trip then writes one line, and stores to one line in a row are
/// what lets the core retire two of them a cycle. (On Intel Emerald Rapids, 256×256 f32
/// written in AVX2 trips that each touched two lines ran at 0.42–0.46 of a fill, in trips of
/// one line at 0.90–0.98.)
#[inline(always)]
const fn trip_bytes<S: Simd>() -> usize {
    if 2 * S::BYTES < 64 {
        2 * S::BYTES
    } else {
        64
    }
}

/// Elements from `p` to the next trip boundary ([`trip_bytes`]), where the four-row kernels'
/// aligned trips start.
#[inline(always)]
fn to_trip<S: Simd>(p: *const S::E) -> usize {
    to_boundary::<S>(p, trip_bytes::<S>())
}

/// `out[k] = f(k)` over `0..len`, where `f(k)` is the vector for elements `k..k + W` and
/// `g(k)` the single element `k` (the same value, computed by scalar code).
///
/// Ordinary stores: whole vectors, the ragged end rewritten by one overlapping vector (same
/// values), scalars only when `len < W`. Non-temporal stores: every element of the row is
/// written non-temporally: `movnti` scalars up to the first aligned vector and after the last,
/// aligned streaming vectors between. Mixing even one ordinary store per row into a line that
/// is being streamed halves the DRAM write rate (measured: 8.4 vs 15 GB/s at 4096×4096 f32
/// with rows 16 bytes off alignment), because the line is then read for ownership and the
/// write-combining buffer flushed early.
///
/// # Safety
/// `out` is valid for `len` writes of elements aligned to their size; the CPU supports `S`;
/// `f(k)` may only be called with `k + W ≤ len`, `g(k)` with `k < len`.
#[inline(always)]
unsafe fn write_row<S: Simd>(
    out: *mut S::E,
    len: usize,
    stores: Stores,
    f: impl Fn(usize) -> S::V,
    g: impl Fn(usize) -> S::E,
) {
    let w = S::W;
    let mut k = 0;
    // SAFETY: (whole body) every vector store covers k..k + W with k + W ≤ len and every
    // scalar store one k < len, inside the row the caller handed us; streaming vector stores
    // start at an S::BYTES-aligned element (to_alignment).
    unsafe {
        match stores {
            Stores::Normal => {
                if len < w {
                    for k in 0..len {
                        *out.add(k) = g(k);
                    }
                    return;
                }
                // One unaligned vector, then aligned ones from the first boundary: no later
                // store straddles a cache line (rewriting the overlap stores the same values).
                let head = to_alignment::<S>(out);
                if head != 0 && len >= 2 * w {
                    S::storeu(out, f(0));
                    k = head;
                }
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
                if k < len {
                    S::storeu(out.add(len - w), f(len - w));
                }
            }
            Stores::NonTemporal => {
                let head = to_alignment::<S>(out).min(len);
                while k < head {
                    S::stream_elem(out.add(k), g(k));
                    k += 1;
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
                while k < len {
                    S::stream_elem(out.add(k), g(k));
                    k += 1;
                }
            }
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
    let bp = b.as_ptr();
    if stores == Stores::Normal && len >= 2 * S::W {
        // Naturally aligned pieces at the ends, as the four-row kernel.
        let (p, head) = (out.as_mut_ptr(), to_trip::<S>(out.as_ptr()));
        // SAFETY: the CPU supports S (caller); one row of len ≥ 2·W elements, which shares
        // its own alignment; head as required.
        unsafe { outer_rows::<S, 1, true>([p], [ai], bp, len, head) };
        return;
    }
    // SAFETY: the CPU supports S (caller); write_row only asks for k + W ≤ len ≤ b.len()
    // (vectors) and k < len (scalars).
    unsafe {
        let va = S::splat(ai);
        write_row::<S>(
            out.as_mut_ptr(),
            len,
            stores,
            |k| S::mul(va, S::loadu(bp.add(k))),
            |k| ai * *bp.add(k),
        );
    }
}

/// `R` rows of an outer product at once, ordinary stores: row r is the `n` elements from
/// `rows[r]` with scalar `a[r]`, and each vector of `b` is loaded once for the `R` rows.
///
/// When the rows share their alignment, every store can be naturally aligned with
/// none overlapping another: the elements before row 0's first trip boundary
/// ([`to_trip`]) go in pieces of 1, 2, 4… lanes up to a whole vector, then aligned
/// trips, then the ragged end in pieces of …4, 2, 1 lanes.
/// Otherwise the stores are unaligned and the ragged end is one vector ending at `n`, which
/// rewrites some products (same values). Overlapping a store still in flight is slow: a
/// 64×64 f32 product on rows 16 bytes off alignment, written with one unaligned vector at
/// each end of a row, ran at 0.7 of a fill of the same buffer; with 16-byte pieces at 1.0.
///
/// `ENDS` selects the first way, with `head = to_trip(rows[0])` (the callers hoist it
/// out of their loops); it is a constant so that the plain kernel carries none of its values.
///
/// # Safety
/// The CPU supports `S`; `n ≥ W`; `b` is valid for `n` reads and each row for `n` writes;
/// with `ENDS`, every row has the alignment of `rows[0]` modulo `S::BYTES`.
#[inline(always)]
unsafe fn outer_rows<S: Simd, const R: usize, const ENDS: bool>(
    rows: [*mut S::E; R],
    a: [S::E; R],
    b: *const S::E,
    n: usize,
    head: usize,
) {
    let w = S::W;
    debug_assert!(n >= w && (!ENDS || (head == to_trip::<S>(rows[0]) && head <= n)));
    // SAFETY: every access is at k + W ≤ n (vectors) or k + c ≤ n (pieces) within b and within
    // each row; the CPU supports S (caller).
    unsafe {
        let va = a.map(|x| S::splat(x));
        let mut k = 0;
        if ENDS {
            // head < 2·W elements up to the boundary, in increasing pieces (each lands on
            // a multiple of its own size because the pieces still to come sum to one).
            let mut c = 1;
            while c < w {
                if head & c != 0 {
                    let t = S::load_part(b.add(k), c);
                    for (row, &v) in rows.iter().zip(&va) {
                        S::store_part(row.add(k), S::mul(v, t), c);
                    }
                    k += c;
                }
                c *= 2;
            }
            if head & w != 0 {
                let t = S::loadu(b.add(k));
                for (row, &v) in rows.iter().zip(&va) {
                    S::storeu(row.add(k), S::mul(v, t));
                }
                k += w;
            }
        }
        // A branch-free body, two vectors of b per trip so that the loop's own instructions
        // are paid once per eight stores (four rows), the ragged end handled once after it (a
        // tail test inside the loop made LLVM spill the row pointers). Eight rows per trip
        // cut a 64×64 f32 call from about 3,360 to 2,940 instructions (callgrind) but ran at
        // 0.75–0.94× the four-row kernel, where two vectors per trip ran at 0.99–1.09×.
        while k + 2 * w <= n {
            let (t0, t1) = (S::loadu(b.add(k)), S::loadu(b.add(k + w)));
            for (row, &v) in rows.iter().zip(&va) {
                S::storeu(row.add(k), S::mul(v, t0));
                S::storeu(row.add(k + w), S::mul(v, t1));
            }
            k += 2 * w;
        }
        if k + w <= n {
            let t = S::loadu(b.add(k));
            for (row, &v) in rows.iter().zip(&va) {
                S::storeu(row.add(k), S::mul(v, t));
            }
            k += w;
        }
        if k < n && ENDS {
            product_pieces::<S, R>(rows.map(|row| row.add(k)), va, b.add(k), n - k);
        } else if k < n {
            let t = S::loadu(b.add(n - w));
            for (row, &v) in rows.iter().zip(&va) {
                S::storeu(row.add(n - w), S::mul(v, t));
            }
        }
    }
}

/// The whole-product kernels of one instruction set, one out-of-line function per shape
/// (count of vectors and kind of row ends), implemented by `entry_points!`. Kept apart from
/// each other and from the dispatch: compiled as one function, all the shapes shared its
/// frame (saved registers, a realigned stack and spilled vectors), which cost about 20 ns
/// a call on the Sapphire Rapids guest (2×64 f32 rows 16 bytes off: 45–50 ns against 25 ns
/// for the shape on its own).
pub(crate) trait PanelShapes: Simd {
    /// [`outer_joined`] compiled for this instruction set.
    ///
    /// # Safety
    /// As [`outer_joined`].
    unsafe fn joined<const V: usize, const HALF: bool>(
        out: &mut [Self::E],
        a: &[Self::E],
        b: &[Self::E],
        h: usize,
    );

    /// [`outer_panel`] compiled for this instruction set.
    ///
    /// # Safety
    /// As [`outer_panel`].
    unsafe fn panel<const V: usize, const HEAD: bool, const TAIL: bool>(
        out: &mut [Self::E],
        a: &[Self::E],
        b: &[Self::E],
        c: usize,
    );
}

/// Most vectors of `b` one register panel holds: 8 of the 16 AVX registers, which leaves room
/// for the two half vectors at the row ends, the row's scalar and a product.
const PANEL_VECTORS: usize = 8;

/// How a whole in-cache product of short rows can take [`outer_panels`]: `Some(h)` with `h`
/// the elements from the output's start to its first vector boundary (0 when aligned), `None`
/// when it cannot. AVX and AVX-512 only; rows a whole number of vectors (so that every row has
/// the first row's alignment), at least two and at most [`SHORT_ROW_BYTES`]; rows off a
/// boundary either fit one register panel (joined across row ends, [`outer_joined`]) or sit
/// half a vector off (half-vector panel ends).
#[inline(always)]
fn panel_fit<S: Simd>(out: *const S::E, n: usize) -> Option<usize> {
    if S::BYTES < 32
        || n < 2 * S::W
        || !whole_vectors::<S>(n)
        || n * std::mem::size_of::<S::E>() > SHORT_ROW_BYTES
    {
        return None;
    }
    let h = to_alignment::<S>(out);
    let joined = n / S::W - 1 <= PANEL_VECTORS;
    (h == 0 || joined || 2 * h == S::W).then_some(h)
}

/// The whole `m × n` product (`m = a.len()`), with each panel of up to [`PANEL_VECTORS`]
/// vectors of `b` loaded into registers once and then written to every row, one row at a
/// time: per vector of output one multiply and one store, and the stores of a row run in
/// address order. Rows `h` elements before a boundary (`h > 0`) are joined across row ends
/// ([`outer_joined`]) when one panel holds them, and otherwise (`h = W/2`) begin and end with
/// a half-vector store around aligned whole vectors. On Intel Emerald Rapids, against a fill
/// of the same aligned 64×64 f32 buffer in L1, the AVX2 four-row kernel (which reloads `b`
/// and carries its loop and addresses) ran at 0.59–0.69, this kernel at 0.80–0.88, and
/// hand-written loops of fixed shape at 0.77–0.95 (paired medians, one process).
///
/// # Safety
/// The CPU supports `S`; `out.len() == a.len()·n`, `b.len() == n`, and `panel_fit(out, n)`
/// returned `Some(h)`.
#[inline(always)]
unsafe fn outer_panels<S: PanelShapes>(out: &mut [S::E], a: &[S::E], b: &[S::E], h: usize) {
    let (w, n) = (S::W, b.len());
    debug_assert!(out.len() == a.len() * n && panel_fit::<S>(out.as_ptr(), n) == Some(h));
    if h != 0 && n / w - 1 <= PANEL_VECTORS {
        // SAFETY: forwarded contract; one panel holds the row's whole vectors.
        return unsafe { joined_by_width::<S>(n / w - 1, out, a, b, h) };
    }
    let half = h != 0;
    debug_assert!(!half || 2 * h == w);
    let hw = if half { w / 2 } else { 0 };
    let mut left = (n - 2 * hw) / w;
    let mut c = 0;
    while left > 0 {
        let v = left.min(PANEL_VECTORS);
        left -= v;
        let (head, tail) = (half && c == 0, half && left == 0);
        // SAFETY: the panel's columns c .. c + head·hw + v·W + tail·hw lie within the rows
        // (the whole vectors and the two halves add up to n); forwarded contract.
        unsafe {
            match (head, tail) {
                (false, false) => panel_by_width::<S, false, false>(v, out, a, b, c),
                (true, false) => panel_by_width::<S, true, false>(v, out, a, b, c),
                (false, true) => panel_by_width::<S, false, true>(v, out, a, b, c),
                (true, true) => panel_by_width::<S, true, true>(v, out, a, b, c),
            }
        }
        c += v * w + if head { hw } else { 0 };
    }
}

/// [`outer_panel`] with the panel width `v` (1 to [`PANEL_VECTORS`]) made a constant.
///
/// # Safety
/// As [`outer_panel`].
#[inline(always)]
unsafe fn panel_by_width<S: PanelShapes, const HEAD: bool, const TAIL: bool>(
    v: usize,
    out: &mut [S::E],
    a: &[S::E],
    b: &[S::E],
    c: usize,
) {
    // SAFETY: forwarded contract.
    unsafe {
        match v {
            1 => S::panel::<1, HEAD, TAIL>(out, a, b, c),
            2 => S::panel::<2, HEAD, TAIL>(out, a, b, c),
            3 => S::panel::<3, HEAD, TAIL>(out, a, b, c),
            4 => S::panel::<4, HEAD, TAIL>(out, a, b, c),
            5 => S::panel::<5, HEAD, TAIL>(out, a, b, c),
            6 => S::panel::<6, HEAD, TAIL>(out, a, b, c),
            7 => S::panel::<7, HEAD, TAIL>(out, a, b, c),
            _ => {
                debug_assert_eq!(v, PANEL_VECTORS);
                S::panel::<PANEL_VECTORS, HEAD, TAIL>(out, a, b, c)
            }
        }
    }
}

/// [`outer_joined`] with the count of whole vectors `v` (1 to [`PANEL_VECTORS`]) made a
/// constant, and the AVX half-vector case (`2h = W`) apart: it blends with an immediate.
/// (With AVX-512, LLVM turns that blend of two broadcasts into a two-source permute, and
/// 64×64 f32 rows 32 bytes off ran at 0.63–0.66 of a fill against 0.68–0.69 with the mask
/// blend of [`Simd::select_lt`].)
///
/// # Safety
/// As [`outer_joined`].
#[inline(always)]
unsafe fn joined_by_width<S: PanelShapes>(
    v: usize,
    out: &mut [S::E],
    a: &[S::E],
    b: &[S::E],
    h: usize,
) {
    // SAFETY: forwarded contract.
    unsafe {
        if 2 * h == S::W && S::BYTES <= 32 {
            joined_by_width_as::<S, true>(v, out, a, b, h)
        } else {
            joined_by_width_as::<S, false>(v, out, a, b, h)
        }
    }
}

/// [`joined_by_width`] for one blend.
///
/// # Safety
/// As [`outer_joined`].
#[inline(always)]
unsafe fn joined_by_width_as<S: PanelShapes, const HALF: bool>(
    v: usize,
    out: &mut [S::E],
    a: &[S::E],
    b: &[S::E],
    h: usize,
) {
    // SAFETY: forwarded contract.
    unsafe {
        match v {
            1 => S::joined::<1, HALF>(out, a, b, h),
            2 => S::joined::<2, HALF>(out, a, b, h),
            3 => S::joined::<3, HALF>(out, a, b, h),
            4 => S::joined::<4, HALF>(out, a, b, h),
            5 => S::joined::<5, HALF>(out, a, b, h),
            6 => S::joined::<6, HALF>(out, a, b, h),
            7 => S::joined::<7, HALF>(out, a, b, h),
            _ => {
                debug_assert_eq!(v, PANEL_VECTORS);
                S::joined::<PANEL_VECTORS, HALF>(out, a, b, h)
            }
        }
    }
}

/// The whole product when every row starts `h` elements (`0 < h < W`) before a vector
/// boundary and holds `V` whole vectors after them: the last `k = W − h` elements of row `i`
/// and the first `h` of row `i + 1` are adjacent and make one aligned vector,
/// `[a[i] ×k, a[i+1] ×h]·t` with `t = b[n − k ..] ++ b[.. h]`, so every store but the first
/// row's head and the last row's tail (pieces) is a whole aligned vector. 64×64 on buffers
/// 16 bytes off, against a fill (Emerald Rapids, AVX2, paired medians): rows ended and begun
/// with half-vector stores ran at 0.62–0.64 (f32) and 0.56–0.66 (f64); joined with a select
/// of two products 0.64–0.65 and 0.74–0.76; joined with one product of blended scalars, as
/// here, 0.68–0.71 and 0.83–0.87. (Aligned buffers: 0.80–0.88 and 0.81–0.94.) With AVX-512,
/// f32 at 16, 32 and 48 bytes off ran at 0.68–0.72 with `t` built in a stack array and
/// scalar ends, 0.73–0.78 with `t` from [`Simd::concat`] and the ends in pieces (aligned:
/// 0.88–0.90). `HALF` (`2h = W`, AVX only: see [`joined_by_width`]) blends with an
/// immediate, otherwise with [`Simd::select_lt`] (a mask register with AVX-512). Every element is still the one
/// product `a[i]·b[j]`.
///
/// # Safety
/// The CPU supports `S`; `out.len() == a.len()·b.len()`; `b.len() == (V + 1)·W`; every row
/// starts `h` elements before a vector boundary, `0 < h < W`; `HALF` only when `2h = W`.
#[inline(always)]
unsafe fn outer_joined<S: Simd, const V: usize, const HALF: bool>(
    out: &mut [S::E],
    a: &[S::E],
    b: &[S::E],
    h: usize,
) {
    let (w, n, m) = (S::W, b.len(), a.len());
    let k = w - h;
    debug_assert!(out.len() == m * n && n == (V + 1) * w && to_alignment::<S>(out.as_ptr()) == h);
    debug_assert!(h > 0 && h < w && (!HALF || 2 * h == w));
    if m == 0 {
        return;
    }
    // SAFETY: (whole body) row i occupies out[i·n .. (i + 1)·n]; its whole vectors sit at
    // h + v·W + W ≤ n, and the joined vector at h + V·W covers the row's last k elements and
    // the first h of row i + 1 < m; the first row's head is elements 0..h and the last row's
    // tail its last k (pieces within them); the CPU supports S.
    unsafe {
        let bp = b.as_ptr();
        let bv: [S::V; V] = std::array::from_fn(|v| S::loadu(bp.add(h + v * w)));
        // The joined vector's factor: b's last k elements in the low lanes, its first h above.
        let tb = S::concat(bp.add(n - k), k, bp);
        let mut p = out.as_mut_ptr();
        let mut va = S::splat(a[0]);
        product_pieces::<S, 1>([p], [va], bp, h);
        // Every row but the last ends in a joined vector; the last row's tail goes in pieces.
        for &next in &a[1..] {
            for (v, &t) in bv.iter().enumerate() {
                S::storeu(p.add(h + v * w), S::mul(va, t));
            }
            // One product of [a[i] ×k, a[i+1] ×h] with t: the same roundings as two
            // products and a select, with one multiply and one blend.
            let next = S::splat(next);
            let both_a = if HALF {
                S::halves(va, next)
            } else {
                S::select_lt(k, va, next)
            };
            S::storeu(p.add(h + V * w), S::mul(both_a, tb));
            va = next;
            p = p.add(n);
        }
        for (v, &t) in bv.iter().enumerate() {
            S::storeu(p.add(h + v * w), S::mul(va, t));
        }
        product_pieces::<S, 1>([p.add(h + V * w)], [va], bp.add(n - k), k);
    }
}

/// `rows[r][l] = va[r]·b[l]` for `l < len < W`, in pieces of …4, 2, 1 lanes (one load of `b`
/// and one store per row each): the ragged ends of the four-row and joined-row kernels.
///
/// # Safety
/// The CPU supports `S`; each row is valid for `len` writes and `b` for `len` reads.
#[inline(always)]
unsafe fn product_pieces<S: Simd, const R: usize>(
    rows: [*mut S::E; R],
    va: [S::V; R],
    b: *const S::E,
    len: usize,
) {
    debug_assert!(len < S::W);
    let (mut c, mut k) = (S::W / 2, 0);
    // SAFETY: each piece covers k..k + c ≤ len (the pieces sum to len); the CPU supports S.
    unsafe {
        while c > 0 {
            if len & c != 0 {
                let t = S::load_part(b.add(k), c);
                for (row, &v) in rows.iter().zip(&va) {
                    S::store_part(row.add(k), S::mul(v, t), c);
                }
                k += c;
            }
            c /= 2;
        }
    }
}

/// Columns `c ..` of every row: a half vector when `HEAD`, `V` whole vectors, a half vector
/// when `TAIL`, all of `b` held in registers.
///
/// # Safety
/// The CPU supports `S`; `out.len() == a.len()·b.len()`; the panel's columns
/// `c .. c + V·W + (HEAD + TAIL)·W/2` lie within a row.
#[inline(always)]
unsafe fn outer_panel<S: Simd, const V: usize, const HEAD: bool, const TAIL: bool>(
    out: &mut [S::E],
    a: &[S::E],
    b: &[S::E],
    c: usize,
) {
    let (w, n) = (S::W, b.len());
    let hw = w / 2;
    let off = if HEAD { hw } else { 0 };
    debug_assert!(out.len() == a.len() * n && c + off + V * w + if TAIL { hw } else { 0 } <= n);
    // SAFETY: (whole body) every load of b and store of a row is inside the panel's columns,
    // which lie within the row (contract); rows i < a.len() lie within out; the CPU supports S.
    unsafe {
        let bp = b.as_ptr().add(c);
        let bv: [S::V; V] = std::array::from_fn(|v| S::loadu(bp.add(off + v * w)));
        // The halves are read only when the panel has them (`bv[0]` is a stand-in).
        let bh = if HEAD { S::load_part(bp, hw) } else { bv[0] };
        let bt = if TAIL {
            S::load_part(bp.add(off + V * w), hw)
        } else {
            bv[0]
        };
        // Each row's pointer from the panel's start: advancing one past the last row would
        // land c elements beyond `out`, UB even undereferenced.
        let first = out.as_mut_ptr().add(c);
        for (i, &ai) in a.iter().enumerate() {
            let p = first.add(i * n);
            let va = S::splat(ai);
            if HEAD {
                S::store_part(p, S::mul(va, bh), hw);
            }
            for (v, &t) in bv.iter().enumerate() {
                S::storeu(p.add(off + v * w), S::mul(va, t));
            }
            if TAIL {
                S::store_part(p.add(off + V * w), S::mul(va, bt), hw);
            }
        }
    }
}

/// [`OuterRow::groups`] with the four-row kernel: the groups are walked with pointers, and
/// the tests that do not change from group to group are made once. (With a slice per group
/// and those tests inside the kernel, a 64×64 f32 call ran at 0.78 of a fill, against 0.99
/// for the bare kernel loop on the same buffer.)
///
/// # Safety
/// As [`OuterRow::groups`], with `seg.len() ≥ W` and the CPU supporting `S`.
#[inline(always)]
unsafe fn outer_groups4<S: Simd>(
    body: &mut [S::E],
    n: usize,
    c0: usize,
    rows: &[S::E],
    seg: &[S::E],
    groups: FourRows,
) {
    let (w, len) = (S::W, seg.len());
    let (step, gap) = (groups.step, groups.gap);
    debug_assert!(len >= w && c0 + len <= n && body.len() == rows.len() * n);
    debug_assert!(groups.count == 0 || (groups.count - 1) * step + 3 * gap < rows.len());
    let stride = gap * n;
    let base = body.as_mut_ptr();
    // SAFETY: c0 ≤ n ≤ body.len() (contract).
    let head0 = to_trip::<S>(unsafe { base.add(c0) });
    // Rows a whole number of vectors apart share their alignment: peel to the next trip
    // boundary, unless they start on one already, stay on one from row to row and have no
    // ragged end (rows of one vector take one unaligned store instead). Two loops: the plain
    // one keeps every value of the group walk in a register, while with the pieces LLVM
    // spills some (64×64 f32 on aligned rows ran at
    // 0.65–0.89 of a fill across processes with one loop for both, 0.94 with two; reloads
    // waiting on 4 KiB-aliased stores would explain the spread, not profiled).
    let aligned_rows = whole_vectors::<S>(stride) && len >= 2 * w;
    let plain = whole_trips::<S>(n) && head0 == 0 && whole_vectors::<S>(len);
    // SAFETY: forwarded contract (the four-row kernel's ends choice as just described).
    unsafe {
        if aligned_rows && !plain {
            group_loop::<S, true>(base, n, c0, rows, seg, groups, head0);
        } else {
            group_loop::<S, false>(base, n, c0, rows, seg, groups, head0);
        }
    }
}

/// The group walk of [`outer_groups4`], with or without the pieces at the row ends.
///
/// # Safety
/// As [`outer_groups4`] (`base` is its `body`); with `ENDS`, rows `gap·n` apart share their
/// alignment, and `head0` is `to_trip(base + c0)`.
#[inline(always)]
unsafe fn group_loop<S: Simd, const ENDS: bool>(
    base: *mut S::E,
    n: usize,
    c0: usize,
    rows: &[S::E],
    seg: &[S::E],
    groups: FourRows,
    head0: usize,
) {
    let (len, step, gap) = (seg.len(), groups.step, groups.gap);
    let (stride, ap) = (gap * n, rows.as_ptr());
    // Rows a whole number of trips long: every group starts the same distance before a trip
    // boundary.
    let same_head = whole_trips::<S>(n);
    for g in 0..groups.count {
        let first = g * step;
        // SAFETY: first + 3·gap < rows.len() (contract, asserted by the caller), so the four
        // scalars and the four rows (first + r·gap)·n + c0 .. + len lie inside rows and body;
        // the CPU supports S (caller).
        unsafe {
            let p = base.add(first * n + c0);
            let a = [
                *ap.add(first),
                *ap.add(first + gap),
                *ap.add(first + 2 * gap),
                *ap.add(first + 3 * gap),
            ];
            let rows = [p, p.add(stride), p.add(2 * stride), p.add(3 * stride)];
            let head = if !ENDS || same_head {
                head0
            } else {
                to_trip::<S>(p)
            };
            outer_rows::<S, 4, ENDS>(rows, a, seg.as_ptr(), len, head);
        }
    }
}

/// Stores `v` at `p`, streaming when `NT` (then `p` is aligned to a vector).
///
/// # Safety
/// The CPU supports `S`; `p` is valid for one vector, and aligned to one when `NT`.
#[inline(always)]
unsafe fn put<S: Simd, const NT: bool>(p: *mut S::E, v: S::V) {
    // SAFETY: forwarded contract.
    unsafe {
        if NT {
            S::stream(p, v);
        } else {
            S::storeu(p, v);
        }
    }
}

/// The flat range `first .. first + out.len()` of the row-major outer product with aligned
/// vector stores only: the output is written as one stream, and the vector that straddles a
/// row boundary is `select(a[i]·b[j..], a[i+1]·b[..])`, read from `bext = b ++ b[..W]`.
///
/// Row-at-a-time writing pays a misaligned (line-splitting) or partial store at every row
/// end; on 16-byte-aligned buffers and rows that are not a multiple of 64 bytes that kept
/// in-cache outputs at ~0.6× of an aligned fill (measured), where one aligned stream reaches
/// the fill rate. With `NT` the vectors are streaming stores, every one a whole aligned
/// vector, so short rows stream whole lines (see [`FLAT_NT_MAX_ROW_BYTES`]); the scalar head
/// and tail use ordinary stores. Every element is still the single product `a[i]·b[j]`.
///
/// # Safety
/// The CPU supports `S`; `b.len() ≥ W`; `bext` is `b` followed by `b[..W]`; the range lies
/// inside the `a.len() × b.len()` product.
#[inline(always)]
unsafe fn outer_flat<S: Simd, const NT: bool>(
    out: &mut [S::E],
    first: usize,
    a: &[S::E],
    b: &[S::E],
    bext: &[S::E],
) {
    let (w, n, len) = (S::W, b.len(), out.len());
    debug_assert!(n >= w && bext.len() == n + w && first + len <= a.len() * n);
    let (p, bp) = (out.as_mut_ptr(), bext.as_ptr());
    let (mut i, mut j, mut q) = (first / n, first % n, 0);
    // SAFETY: (whole body) q + W ≤ len for vector stores and q < len for scalar ones, so every
    // store is inside out; b loads are at j + W ≤ n + W = bext.len(); i + 1 < a.len() whenever
    // a straddling vector is written (its last element is in the product); CPU supports S.
    unsafe {
        let head = to_alignment::<S>(p).min(len);
        while q < head {
            *p.add(q) = a[i] * b[j];
            q += 1;
            j += 1;
            if j == n {
                j = 0;
                i += 1;
            }
        }
        while q + w <= len {
            let va = S::splat(*a.get_unchecked(i));
            let run = ((n - j) / w).min((len - q) / w);
            let mut r = 0;
            while r + 4 <= run {
                put::<S, NT>(p.add(q), S::mul(va, S::loadu(bp.add(j))));
                put::<S, NT>(p.add(q + w), S::mul(va, S::loadu(bp.add(j + w))));
                put::<S, NT>(p.add(q + 2 * w), S::mul(va, S::loadu(bp.add(j + 2 * w))));
                put::<S, NT>(p.add(q + 3 * w), S::mul(va, S::loadu(bp.add(j + 3 * w))));
                q += 4 * w;
                j += 4 * w;
                r += 4;
            }
            while r < run {
                put::<S, NT>(p.add(q), S::mul(va, S::loadu(bp.add(j))));
                q += w;
                j += w;
                r += 1;
            }
            if j == n {
                j = 0;
                i += 1;
            } else if q + w <= len {
                // Straddles rows i and i + 1: lanes < n − j belong to row i.
                let t = S::loadu(bp.add(j));
                let next = S::splat(*a.get_unchecked(i + 1));
                put::<S, NT>(
                    p.add(q),
                    S::select_lt(n - j, S::mul(va, t), S::mul(next, t)),
                );
                q += w;
                j = j + w - n;
                i += 1;
            }
        }
        while q < len {
            *p.add(q) = a[i] * b[j];
            q += 1;
            j += 1;
            if j == n {
                j = 0;
                i += 1;
            }
        }
    }
}

/// The SIMD rank-1 update of `R` rows at once: `a[r][k] = a[r][k] + s[r]·t_k` with
/// `t_k = scale·v[k]` (or `v[k]`), each `t` vector loaded (and scaled) once for all `R` rows,
/// which halves or quarters the loads of `v` that compete with `A`'s stream.
///
/// Rows of [`ALIGN_MIN_VECTORS`] vectors or more are peeled (in pieces, see [`rank1_piece`])
/// until row 0 reaches a trip boundary ([`to_trip`]), so for rows a whole number of
/// vectors apart no load or store of `A` straddles a cache line (on a 16-byte-aligned
/// buffer, as large `Vec`s usually are, that is worth 1.3–1.8× in cache) and each trip's two
/// stores to a row share one line; other rows keep their own offsets.
///
/// # Safety
/// The CPU supports `S`; each `a[r]` addresses `v.len()` contiguous elements, valid for reads
/// and writes, that nobody else touches during the call; the rows are disjoint.
#[inline(always)]
unsafe fn rank1_rows<S: Simd, const R: usize>(
    a: [*mut S::E; R],
    s: [S::E; R],
    v: &[S::E],
    scale: Option<S::E>,
) {
    let head = rank1_head::<S>(a[0], v.len());
    // Two copies of the loops, so that neither tests `scale` per vector (LLVM kept the test
    // inside the loop).
    // SAFETY: forwarded contract.
    unsafe {
        match scale {
            Some(alpha) => rank1_rows_as::<S, R, true, true>(a, s, v, alpha, head, Ahead::NONE),
            None => rank1_rows_as::<S, R, false, true>(a, s, v, s[0], head, Ahead::NONE),
        }
    }
}

/// Elements of rank-1 rows of `len` elements at `p` to peel before the vector loop: to the
/// trip boundary ([`to_trip`]) on long rows (aligning pays off on long rows only; on
/// short ones the peel costs more than the line splits it saves), none on short ones.
#[inline(always)]
fn rank1_head<S: Simd>(p: *const S::E, len: usize) -> usize {
    if len >= ALIGN_MIN_VECTORS * S::W {
        to_trip::<S>(p)
    } else {
        0
    }
}

/// [`Rank1Row::groups`] with the four-row kernel: the groups are walked with pointers, the
/// scale factors are tested once per call instead of once per group, and when the groups
/// share their alignment the peel is computed once. (A 64×64 f32 `ger` cost about 3,800
/// instructions a call with the per-group walk of the default method.)
///
/// # Safety
/// As [`Rank1Row::groups`], with unit inner stride and the CPU supporting `S`.
#[inline(always)]
unsafe fn rank1_groups<S: Rank1Short>(
    job: &Rank1Job<'_, S::E>,
    outer: usize,
    c0: usize,
    v: &[S::E],
    groups: FourRows,
) {
    debug_assert_eq!(job.inner_stride, 1);
    // Whole rows shorter than a vector: one stream across them (see `rank1_short`). Spread
    // or adjacent, the groups cover rows outer .. outer + 4·count.
    if c0 == 0 && v.len() == job.v.len() {
        // SAFETY: forwarded contract: rows outer .. outer + 4·count are this thread's.
        if unsafe { S::short_rows(job, outer, 4 * groups.count) } {
            return;
        }
    }
    // Placeholder for a scale factor the loop does not use.
    let one = v[0];
    // SAFETY: forwarded contract.
    unsafe {
        match (job.v_scale, job.s_scale) {
            (Some(va), None) => {
                rank1_group_loop::<S, true, false>(job, outer, c0, v, groups, va, one)
            }
            (None, None) => {
                rank1_group_loop::<S, false, false>(job, outer, c0, v, groups, one, one)
            }
            (None, Some(sa)) => {
                rank1_group_loop::<S, false, true>(job, outer, c0, v, groups, one, sa)
            }
            (Some(va), Some(sa)) => {
                rank1_group_loop::<S, true, true>(job, outer, c0, v, groups, va, sa)
            }
        }
    }
}

/// The group walk of [`rank1_groups`]: `v` scaled by `v_alpha` when `V_SCALED`, the scalars
/// by `s_alpha` when `S_SCALED` (as `Rank1Job::scalar`).
///
/// # Safety
/// As [`rank1_groups`].
#[inline(always)]
unsafe fn rank1_group_loop<S: Simd, const V_SCALED: bool, const S_SCALED: bool>(
    job: &Rank1Job<'_, S::E>,
    outer: usize,
    c0: usize,
    v: &[S::E],
    groups: FourRows,
    v_alpha: S::E,
    s_alpha: S::E,
) {
    let step = groups.step as isize;
    debug_assert!(
        groups.count == 0
            || outer + (groups.count - 1) * groups.step + 3 * groups.gap < job.outer_len
    );
    let base = job.row_ptr(outer, c0);
    // Groups a whole number of trips apart start with the same peel.
    let same_head = whole_trips::<S>((step * job.outer_stride).unsigned_abs());
    let head0 = rank1_head::<S>(base, v.len());
    // SAFETY: forwarded contract; with ENDS false the rows need no piece at either end: the
    // peel is 0 for every group and the rows are a whole number of vectors.
    unsafe {
        // Two copies of each walk, so that `A` in L1 pays nothing for the prefetches: with
        // one copy and the test in the loop, 64×64 f64 read 1.90–1.92 of OpenBLAS against
        // 1.96–2.05 before (three runs each); with two, 1.97–2.03.
        let (whole, head) = (
            same_head && head0 == 0 && whole_vectors::<S>(v.len()),
            same_head.then_some(head0),
        );
        macro_rules! walk {
            ($ends:literal, $prefetch:literal, $head:expr) => {
                rank1_group_walk::<S, V_SCALED, S_SCALED, $ends, $prefetch>(
                    job, outer, base, v, groups, v_alpha, s_alpha, $head,
                )
            };
        }
        match (whole, job.prefetch) {
            (true, true) => walk!(false, true, Some(0)),
            (true, false) => walk!(false, false, Some(0)),
            (false, true) => walk!(true, true, head),
            (false, false) => walk!(true, false, head),
        }
    }
}

/// The loop of [`rank1_group_loop`]; `head` is the peel of every group, or `None` when each
/// group computes its own. Without `ENDS` the rows have no pieces at either end. With
/// `PREFETCH` the rows are prefetched ahead of the loop (see [`RANK1_AHEAD_BYTES`]).
///
/// # Safety
/// As [`rank1_groups`]; `base` is element (`outer`, `c0`) of A.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn rank1_group_walk<
    S: Simd,
    const V_SCALED: bool,
    const S_SCALED: bool,
    const ENDS: bool,
    const PREFETCH: bool,
>(
    job: &Rank1Job<'_, S::E>,
    outer: usize,
    base: *mut S::E,
    v: &[S::E],
    groups: FourRows,
    v_alpha: S::E,
    s_alpha: S::E,
    head: Option<usize>,
) {
    let (os, ss) = (job.outer_stride, job.s_stride);
    let (step, gap) = (groups.step as isize, groups.gap as isize);
    // Offsets of the four rows of a group from its first, in A and in the scalars.
    let (ra, rs) = (
        [0, gap * os, 2 * gap * os, 3 * gap * os],
        [0, gap * ss, 2 * gap * ss, 3 * gap * ss],
    );
    // SAFETY: rows outer + g·step + r·gap < outer_len for g < count (contract), so every row
    // pointer lies in A and every scalar in x or y; the CPU supports S (caller).
    unsafe {
        // Each group's pointers from the first group's: advancing them past the last group
        // could leave A, x or y (strided or padded operands end at their last element), UB
        // even undereferenced.
        let s0 = job.s.offset(outer as isize * ss);
        let last = groups.count as isize - 1;
        let elems = if PREFETCH {
            RANK1_AHEAD_BYTES / (4 * size_of::<S::E>())
        } else {
            0
        };
        for g in 0..groups.count as isize {
            let (p, sp) = (base.offset(g * step * os), s0.offset(g * step * ss));
            let rows = [p, p.offset(ra[1]), p.offset(ra[2]), p.offset(ra[3])];
            // The rows the loop prefetches into once it nears the end of these: the next
            // group's, or these again for the last group, whose successors may be another
            // thread's rows (a prefetch would pull their lines away from it).
            let q = if g < last { p.offset(step * os) } else { p };
            let ahead = Ahead {
                elems,
                next: [q, q.offset(ra[1]), q.offset(ra[2]), q.offset(ra[3])],
            };
            let raw = [*sp, *sp.offset(rs[1]), *sp.offset(rs[2]), *sp.offset(rs[3])];
            let s = if S_SCALED {
                [
                    s_alpha * raw[0],
                    s_alpha * raw[1],
                    s_alpha * raw[2],
                    s_alpha * raw[3],
                ]
            } else {
                raw
            };
            let h = match head {
                _ if !ENDS => 0,
                Some(h) => h,
                None => rank1_head::<S>(p, v.len()),
            };
            rank1_rows_as::<S, 4, V_SCALED, ENDS>(rows, s, v, v_alpha, h, ahead);
        }
    }
}

/// [`rank1_rows`] with `t_k = alpha·v[k]` when `SCALED`, else `t_k = v[k]` (`alpha` unused);
/// the several-row loop prefetches as `ahead` says.
///
/// # Safety
/// As [`rank1_rows`]; `ahead.next` is only prefetched, never dereferenced.
#[inline(always)]
unsafe fn rank1_rows_as<S: Simd, const R: usize, const SCALED: bool, const ENDS: bool>(
    a: [*mut S::E; R],
    s: [S::E; R],
    v: &[S::E],
    alpha: S::E,
    head: usize,
    ahead: Ahead<S::E, R>,
) {
    let (w, len, vp) = (S::W, v.len(), v.as_ptr());
    // No closures below: a closure is a function of its own, which LLVM may leave un-inlined
    // and then compiles without the caller's target features (measured: 1 GB/s instead of 80).
    debug_assert!(a.iter().all(|p| !p.is_null()));
    // SAFETY: (whole body) the caller guarantees each a[r][0..len] is ours and contiguous and
    // the CPU supports S; vector accesses are at k + W ≤ len (the tail at len − W, only when
    // len ≥ W), scalar ones at k < len.
    unsafe {
        let mut vs = [S::splat(s[0]); R];
        for r in 1..R {
            vs[r] = S::splat(s[r]);
        }
        let valpha = S::splat(alpha);
        let mut k = 0;
        debug_assert!(if ENDS {
            head == rank1_head::<S>(a[0], len)
        } else {
            head == 0 && len % w == 0
        });
        let mut c = 1;
        while ENDS && c < w {
            if head & c != 0 {
                rank1_piece::<S, R, SCALED>(a, vs, vp, valpha, k, c);
                k += c;
            }
            c *= 2;
        }
        if ENDS && head & w != 0 {
            // The last step to the trip boundary is a whole (aligned) vector.
            let raw = S::loadu(vp.add(k));
            let t = if SCALED { S::mul(valpha, raw) } else { raw };
            for r in 0..R {
                let p = a[r].add(k);
                S::storeu(p, S::add(S::loadu(p), S::mul(vs[r], t)));
            }
            k += w;
        }
        // One row alone (the last rows of a group, or few long rows) unrolls by four so the
        // loop overhead does not dominate.
        while R == 1 && k + 4 * w <= len {
            for u in 0..4 {
                let ku = k + u * w;
                let raw = S::loadu(vp.add(ku));
                let t = if SCALED { S::mul(valpha, raw) } else { raw };
                let p = a[0].add(ku);
                S::storeu(p, S::add(S::loadu(p), S::mul(vs[0], t)));
            }
            k += 4 * w;
        }
        // Several rows: two vectors of v per trip. Every row is loaded before any is stored:
        // rows whose stride is a multiple of 4 KiB (2048×f64 rows, say) share their low 12
        // address bits, and a load issued after a store to such an address waits on it as if
        // it were the same one ("4K aliasing"). Loading first keeps each load ahead of the
        // stores it could be mistaken for. (A safeguard: on Zen 3 its effect was within the
        // noise of the peer bench.)
        while R > 1 && k + 2 * w <= len {
            if ahead.elems > 0 {
                // Past the end of these rows, the next ones at the same distance, or, for
                // rows shorter than it, at the same column.
                let (rows, at) = if k + ahead.elems < len {
                    (a, k + ahead.elems)
                } else {
                    (ahead.next, (k + ahead.elems - len).min(k))
                };
                for row in rows {
                    prefetch(row.wrapping_add(at));
                }
            }
            let (raw0, raw1) = (S::loadu(vp.add(k)), S::loadu(vp.add(k + w)));
            let (t0, t1) = if SCALED {
                (S::mul(valpha, raw0), S::mul(valpha, raw1))
            } else {
                (raw0, raw1)
            };
            let (mut old0, mut old1) = ([t0; R], [t1; R]);
            for r in 0..R {
                old0[r] = S::loadu(a[r].add(k));
                old1[r] = S::loadu(a[r].add(k + w));
            }
            for r in 0..R {
                S::storeu(a[r].add(k), S::add(old0[r], S::mul(vs[r], t0)));
                S::storeu(a[r].add(k + w), S::add(old1[r], S::mul(vs[r], t1)));
            }
            k += 2 * w;
        }
        while k + w <= len {
            let raw = S::loadu(vp.add(k));
            let t = if SCALED { S::mul(valpha, raw) } else { raw };
            let mut old = [raw; R];
            for r in 0..R {
                old[r] = S::loadu(a[r].add(k));
            }
            for r in 0..R {
                S::storeu(a[r].add(k), S::add(old[r], S::mul(vs[r], t)));
            }
            k += w;
        }
        let mut c = w / 2;
        while ENDS && c > 0 {
            if (len - k) & c != 0 {
                rank1_piece::<S, R, SCALED>(a, vs, vp, valpha, k, c);
                k += c;
            }
            c /= 2;
        }
        debug_assert_eq!(k, len);
    }
}

/// How far ahead of the four-row rank-1 loop, in bytes of `A` it reads and writes, it
/// prefetches into L1: each row `RANK1_AHEAD_BYTES / 4` bytes ahead, one line a trip. With
/// four rows interleaved the hardware brings lines from L2 into L1 too late to keep the loop
/// busy. On the Emerald Rapids guest, a harness copy of this loop (AVX-512, f32) over `A` in
/// L2 (256 KiB and 1 MiB, rows of 1–4 KiB) ran at 1.00–1.01 of a 256-bit read+write pass
/// without prefetches and at 1.06–1.08 with them 4–8 KiB ahead (2 KiB: 1.03–1.06); with rows
/// of 16 and 64 KiB, 0.96 without and 0.98 with. Peer bench: BENCHMARKS.md, "`ger` prefetches
/// ahead".
const RANK1_AHEAD_BYTES: usize = 6144;

/// Where the several-row rank-1 loop prefetches (see [`RANK1_AHEAD_BYTES`]).
#[derive(Clone, Copy)]
struct Ahead<E, const R: usize> {
    /// How many elements ahead in each row; 0 prefetches nothing.
    elems: usize,
    /// The rows the loop goes on to (of the same length): once the distance passes the end
    /// of the current rows, the prefetches go there.
    next: [*mut E; R],
}

impl<E, const R: usize> Ahead<E, R> {
    /// No prefetches.
    const NONE: Self = Ahead {
        elems: 0,
        next: [std::ptr::null_mut(); R],
    };
}

/// Prefetches the line at `p` into L1.
#[inline(always)]
fn prefetch<E>(p: *const E) {
    // SAFETY: a prefetch is a hint that never faults, whatever the address; `p` came from
    // wrapping arithmetic and is never dereferenced. (SSE, part of x86-64.)
    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) };
}

/// The `c < W` elements from `k` of the rank-1 rows `a` (scalars splat in `vs`), with loads
/// and stores of exactly `c` elements: the elements before row 0's vector boundary and the
/// ragged end. (Rewriting an overlapping whole vector instead, as the outer kernels once
/// did, stalls on the store still in flight to the same bytes.) Same operations, in the same
/// order, as the vector loop: `a + s·(α·v)`.
///
/// # Safety
/// As [`rank1_rows_as`], with `k + c ≤ v.len()` (`vp` is `v`'s pointer).
#[inline(always)]
unsafe fn rank1_piece<S: Simd, const R: usize, const SCALED: bool>(
    a: [*mut S::E; R],
    vs: [S::V; R],
    vp: *const S::E,
    valpha: S::V,
    k: usize,
    c: usize,
) {
    // SAFETY: k + c ≤ len for v and for every row (caller); the CPU supports S.
    unsafe {
        let raw = S::load_part(vp.add(k), c);
        let t = if SCALED { S::mul(valpha, raw) } else { raw };
        for r in 0..R {
            let p = a[r].add(k);
            S::store_part(p, S::add(S::load_part(p, c), S::mul(vs[r], t)), c);
        }
    }
}

/// Short rows (at most this many bytes) take the four-row outer kernel whatever their length;
/// longer ones only when they are a whole number of vectors (see [`whole_vectors`]).
/// (Measured on Zen 4: at 1–2 KiB rows, four interleaved store streams lost to one aligned
/// row at a time once the output left L1.)
const SHORT_ROW_BYTES: usize = 512;

/// Rank-1 rows of at least this many vectors peel scalars until row 0 is vector-aligned.
const ALIGN_MIN_VECTORS: usize = 8;

macro_rules! row_impls {
    ($($s:ident),*) => {$(
        impl OuterRow<<$s as Simd>::E> for $s {
            #[inline(always)]
            unsafe fn row(out: &mut [<$s as Simd>::E], ai: <$s as Simd>::E,
                          b: &[<$s as Simd>::E], stores: Stores) {
                // SAFETY: same contract (lengths, CPU features).
                unsafe { outer_row::<$s>(out, ai, b, stores) }
            }

            #[inline(always)]
            unsafe fn groups(body: &mut [<$s as Simd>::E], n: usize, c0: usize,
                             rows: &[<$s as Simd>::E], seg: &[<$s as Simd>::E],
                             groups: FourRows, stores: Stores) {
                if stores == Stores::Normal && four_rows::<$s>(seg.len(), n) {
                    // SAFETY: same contract, and len ≥ W.
                    unsafe { outer_groups4::<$s>(body, n, c0, rows, seg, groups) }
                } else {
                    // SAFETY: same contract.
                    unsafe {
                        super::outer::groups_by_row::<<$s as Simd>::E, Self>(
                            body, n, c0, rows, seg, groups, stores)
                    }
                }
            }
        }
        impl Rank1Row<<$s as Simd>::E> for $s {
            #[inline(always)]
            unsafe fn row(a: *mut <$s as Simd>::E, inc: isize, s: <$s as Simd>::E,
                          v: &[<$s as Simd>::E], scale: Option<<$s as Simd>::E>,
                          _order: ProductOrder) {
                debug_assert_eq!(inc, 1);
                // SAFETY: same contract; the dispatcher sends only unit inner strides here.
                unsafe { rank1_rows::<$s, 1>([a], [s], v, scale) }
            }

            const GROUP: usize = 4;

            #[inline(always)]
            unsafe fn rows4(a: [*mut <$s as Simd>::E; 4], inc: isize,
                            s: [<$s as Simd>::E; 4], v: &[<$s as Simd>::E],
                            scale: Option<<$s as Simd>::E>, _order: ProductOrder) {
                debug_assert_eq!(inc, 1);
                // SAFETY: same contract, four disjoint rows.
                unsafe { rank1_rows::<$s, 4>(a, s, v, scale) }
            }

            #[inline(always)]
            unsafe fn groups(job: &Rank1Job<'_, <$s as Simd>::E>, outer: usize, c0: usize,
                             v: &[<$s as Simd>::E], groups: FourRows) {
                // SAFETY: same contract; the dispatcher sends only unit inner strides here.
                unsafe { rank1_groups::<$s>(job, outer, c0, v, groups) }
            }
        }
    )*};
}
row_impls!(Avx512F32, Avx512F64, Avx2F32, Avx2F64, Sse2F32, Sse2F64);

/// Lane permutes, for the short-row kernel ([`outer_short`]).
pub(crate) trait Permute: Simd {
    /// A vector of lane indices.
    type Idx: Copy;

    /// Sets lane `lane` of an index vector, held as its `BYTES / 4` 32-bit words, to pick
    /// source lane `src`.
    fn put_index(words: &mut [u32], lane: usize, src: usize);

    /// The index vector held at `p`.
    ///
    /// # Safety
    /// The CPU supports the instruction set; `p` is valid for `BYTES / 4` words.
    unsafe fn load_index(p: *const u32) -> Self::Idx;

    /// Lane `l` of the result is lane `idx[l]` of `v`.
    ///
    /// # Safety
    /// The CPU supports the instruction set.
    unsafe fn permute(v: Self::V, idx: Self::Idx) -> Self::V;
}

impl Permute for Avx512F32 {
    type Idx = __m512i;
    fn put_index(words: &mut [u32], lane: usize, src: usize) {
        words[lane] = src as u32;
    }
    #[inline(always)]
    unsafe fn load_index(p: *const u32) -> __m512i {
        // SAFETY: p is valid for 16 words (caller); unaligned loads are allowed.
        unsafe { _mm512_loadu_si512(p.cast()) }
    }
    #[inline(always)]
    unsafe fn permute(v: __m512, idx: __m512i) -> __m512 {
        // SAFETY: register-only AVX-512F operation (caller's CPU supports it).
        unsafe { _mm512_permutexvar_ps(idx, v) }
    }
}

impl Permute for Avx512F64 {
    type Idx = __m512i;
    fn put_index(words: &mut [u32], lane: usize, src: usize) {
        // 64-bit indices, low word first.
        words[2 * lane] = src as u32;
        words[2 * lane + 1] = 0;
    }
    #[inline(always)]
    unsafe fn load_index(p: *const u32) -> __m512i {
        // SAFETY: p is valid for 16 words (caller); unaligned loads are allowed.
        unsafe { _mm512_loadu_si512(p.cast()) }
    }
    #[inline(always)]
    unsafe fn permute(v: __m512d, idx: __m512i) -> __m512d {
        // SAFETY: register-only AVX-512F operation (caller's CPU supports it).
        unsafe { _mm512_permutexvar_pd(idx, v) }
    }
}

impl Permute for Avx2F32 {
    type Idx = __m256i;
    fn put_index(words: &mut [u32], lane: usize, src: usize) {
        words[lane] = src as u32;
    }
    #[inline(always)]
    unsafe fn load_index(p: *const u32) -> __m256i {
        // SAFETY: p is valid for 8 words (caller); unaligned loads are allowed.
        unsafe { _mm256_loadu_si256(p.cast()) }
    }
    #[inline(always)]
    unsafe fn permute(v: __m256, idx: __m256i) -> __m256 {
        // SAFETY: register-only AVX2 operation (caller's CPU supports it).
        unsafe { _mm256_permutevar8x32_ps(v, idx) }
    }
}

impl Permute for Avx2F64 {
    type Idx = __m256i;
    fn put_index(words: &mut [u32], lane: usize, src: usize) {
        // AVX2 has no variable permute of 64-bit lanes: move both 32-bit halves.
        words[2 * lane] = 2 * src as u32;
        words[2 * lane + 1] = 2 * src as u32 + 1;
    }
    #[inline(always)]
    unsafe fn load_index(p: *const u32) -> __m256i {
        // SAFETY: p is valid for 8 words (caller); unaligned loads are allowed.
        unsafe { _mm256_loadu_si256(p.cast()) }
    }
    #[inline(always)]
    unsafe fn permute(v: __m256d, idx: __m256i) -> __m256d {
        // SAFETY: register-only AVX2 operations (caller's CPU supports them).
        unsafe { _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(v), idx)) }
    }
}

/// The short-row rank-1 kernel ([`rank1_short`]) where the instruction set has lane
/// permutes (AVX2, AVX-512); SSE2 keeps the group walk.
pub(crate) trait Rank1Short: Simd {
    /// Rows `outer .. outer + rows` of `job`, whole, with [`rank1_short`] when they are
    /// contiguous rows shorter than a vector, their scalars contiguous, and the block large
    /// enough ([`takes_short`]); returns whether it ran.
    ///
    /// # Safety
    /// The CPU supports the instruction set; the rows lie in `job` and are the caller's alone.
    unsafe fn short_rows(job: &Rank1Job<'_, Self::E>, outer: usize, rows: usize) -> bool;
}

impl Rank1Short for Sse2F32 {
    #[inline(always)]
    unsafe fn short_rows(_: &Rank1Job<'_, f32>, _: usize, _: usize) -> bool {
        false
    }
}

impl Rank1Short for Sse2F64 {
    #[inline(always)]
    unsafe fn short_rows(_: &Rank1Job<'_, f64>, _: usize, _: usize) -> bool {
        false
    }
}

macro_rules! rank1_short_impls {
    ($($s:ident),*) => {$(
        impl Rank1Short for $s {
            #[inline(always)]
            unsafe fn short_rows(
                job: &Rank1Job<'_, <$s as Simd>::E>,
                outer: usize,
                rows: usize,
            ) -> bool {
                // SAFETY: forwarded contract.
                unsafe { rank1_short_rows::<$s>(job, outer, rows) }
            }
        }
    )*};
}
rank1_short_impls!(Avx512F32, Avx512F64, Avx2F32, Avx2F64);

/// [`Rank1Short::short_rows`] for an instruction set with lane permutes.
///
/// # Safety
/// As [`Rank1Short::short_rows`].
#[inline(always)]
unsafe fn rank1_short_rows<S: Permute>(
    job: &Rank1Job<'_, S::E>,
    outer: usize,
    rows: usize,
) -> bool {
    let n = job.v.len();
    let applies = rows > 0
        && n < S::W
        && job.inner_stride == 1
        && job.outer_stride == n as isize
        && job.s_stride == 1
        && takes_short::<S>(rows * n * size_of::<S::E>(), n, Stores::Normal);
    if !applies {
        return false;
    }
    debug_assert!(outer + rows <= job.outer_len);
    // SAFETY: rows outer .. outer + rows of A are contiguous (outer stride n, inner 1) and
    // the caller's alone; the scalars are contiguous (stride 1) from row `outer` to the last
    // row of A, read only.
    unsafe {
        let a = std::slice::from_raw_parts_mut(job.row_ptr(outer, 0), rows * n);
        let s = std::slice::from_raw_parts(job.s.add(outer), job.outer_len - outer);
        let (v, one) = (job.v, job.v[0]);
        match (job.v_scale, job.s_scale) {
            (Some(va), None) => rank1_short::<S, true, false>(a, s, v, va, one),
            (None, None) => rank1_short::<S, false, false>(a, s, v, one, one),
            (None, Some(sa)) => rank1_short::<S, false, true>(a, s, v, one, sa),
            (Some(va), Some(sa)) => rank1_short::<S, true, true>(a, s, v, va, sa),
        }
    }
    true
}

/// Chunks of at least this many bytes per four vectors of the lane pattern's period take
/// [`outer_short`] with ordinary stores; smaller ones the small loops, which need no
/// patterns (building them costs W steps a vector of the period, and a loop over a period
/// longer than one vector loads its pattern for every vector). Sapphire Rapids guest,
/// 1 thread, GB/s small loops → kernel: at 16 KiB f32 1024×4 9–19 → 32–54 and 1366×3 13–19
/// → 25–39, but 586×7 and 273×15 0.89–0.96× (periods 7 and 15); at 64 KiB and more f32
/// 2341×7 1.05–1.42×, f64 32768×5 1.6–2.3×, 32768×7 1.06–1.26×.
pub(crate) const SHORT_KERNEL_MIN_BYTES: usize = 16 * 1024;

/// The longest lane-pattern period (in vectors) that takes [`outer_short`] with ordinary
/// stores: f32 rows of 15 elements on AVX-512 (period 15) ran at 0.90–1.11× the small loops
/// in L2 and L3 (1093×15, 65536×15), which write them in pieces of 8, 4, 2 and 1.
const SHORT_KERNEL_MAX_PERIOD: usize = 8;

/// Whether a chunk of `bytes` with rows of `n < W` elements takes [`outer_short`]: always
/// with streaming stores (the small loops have none, and ran at half the streaming rate),
/// and with ordinary stores when its pattern is short and the chunk large enough.
#[inline(always)]
fn takes_short<S: Simd>(bytes: usize, n: usize, stores: Stores) -> bool {
    let period = n / gcd(n, S::W);
    stores == Stores::NonTemporal
        || period <= SHORT_KERNEL_MAX_PERIOD && bytes >= SHORT_KERNEL_MIN_BYTES * period.div_ceil(4)
}

/// The flat range `first .. first + out.len()` of a row-major product whose rows are shorter
/// than a vector (`n < W`), in whole aligned vectors: the vector at flat position `t` holds
/// rows `t / n ..` of it, and is `permute(a[r ..], idx)·bpat`, a window of `a` spread over
/// the lanes by a permute and multiplied by the matching elements of `b`. The lane patterns
/// repeat every `n / gcd(n, W)` vectors and are built once per chunk. With `NT` every vector
/// is a streaming store (a scalar head reaches the first boundary), so short rows written to
/// memory skip the read for ownership as long rows do. Every element is still the single
/// product `a[i]·b[j]`.
///
/// # Safety
/// The CPU supports `S`; `0 < b.len() < W`; the range lies inside the product.
#[inline(always)]
unsafe fn outer_short<S: Permute, const NT: bool>(
    out: &mut [S::E],
    first: usize,
    a: &[S::E],
    b: &[S::E],
) {
    let (w, n, m, len) = (S::W, b.len(), a.len(), out.len());
    debug_assert!(n > 0 && n < w && w <= MAX_LANES && first + len <= m * n);
    let head = to_alignment::<S>(out.as_ptr()).min(len);
    let mut q = 0;
    let (mut i, mut j) = (first / n, first % n);
    while q < head {
        out[q] = a[i] * b[j];
        (q, j) = (q + 1, j + 1);
        if j == n {
            (i, j) = (i + 1, 0);
        }
    }
    let pats = LanePatterns::new::<S>(n, j, |c| b[c]);
    let (period, step) = (pats.period, pats.step);
    let (rows, idx, bpat) = (&pats.rows, &pats.idx, &pats.pat);
    let (p, ap) = (out.as_mut_ptr(), a.as_ptr());
    let full = pats.whole_periods::<S>(len - q, i, m);
    // SAFETY: (both loops) each window load reads a[row .. row + W] with row + W ≤ m and
    // each store writes out[q .. q + W] with q + W ≤ len, by `whole_periods`, aligned for NT
    // (the head reached a boundary, steps are whole vectors); idx and bpat hold `period`
    // patterns; the CPU supports S.
    unsafe {
        if period == 1 {
            // Rows dividing a vector: one pattern, kept in registers.
            let (ix, bv) = (S::load_index(idx.as_ptr()), S::loadu(bpat.as_ptr()));
            for _ in 0..full {
                put::<S, NT>(p.add(q), S::mul(S::permute(S::loadu(ap.add(i)), ix), bv));
                (q, i) = (q + w, i + step);
            }
        } else {
            for _ in 0..full {
                for (k, &row) in rows[..period].iter().enumerate() {
                    let ix = S::load_index(idx.as_ptr().add(k * MAX_LANES));
                    let v = S::permute(S::loadu(ap.add(i + row)), ix);
                    put::<S, NT>(p.add(q), S::mul(v, S::loadu(bpat.as_ptr().add(k * w))));
                    q += w;
                }
                i += step;
            }
        }
    }
    // The rest of a period, where it still fits.
    for (k, &r) in rows[..period].iter().enumerate() {
        let row = i + r;
        if q + w > len || row + w > m {
            break;
        }
        // SAFETY: as above, with both bounds just checked.
        unsafe {
            let ix = S::load_index(idx.as_ptr().add(k * MAX_LANES));
            let v = S::permute(S::loadu(ap.add(row)), ix);
            put::<S, NT>(p.add(q), S::mul(v, S::loadu(bpat.as_ptr().add(k * w))));
        }
        q += w;
    }
    // Where the loop stopped: the vectors of this period written so far fix the position.
    let (mut i, mut j) = ((first + q) / n, (first + q) % n);
    while q < len {
        out[q] = a[i] * b[j];
        (q, j) = (q + 1, j + 1);
        if j == n {
            (i, j) = (i + 1, 0);
        }
    }
}

/// `alpha·x` when `on`, else `x`: the scale factors of the rank-1 kernels, formed as the
/// group walk forms them (`α` first).
#[inline(always)]
fn scaled<E: Copy + Mul<Output = E>>(on: bool, alpha: E, x: E) -> E {
    if on {
        alpha * x
    } else {
        x
    }
}

/// The rank-1 update of whole rows shorter than a vector (`n = v.len() < W`), stored one
/// after another in `a` (`a.len() / n` rows): `a[i·n + j] += s_i·t_j` with
/// `s_i = α_s·s[i]` when `S_SCALED` (else `s[i]`) and `t_j = α_v·v[j]` when `V_SCALED`. As
/// [`outer_short`] does for products, it runs over the rows as one stream of whole aligned
/// vectors: the vector at flat position `q` is `a[q..] + permute(s[r..], idx)·tpat`, a window
/// of the scalars spread over the lanes by a permute, times the matching elements of `t`.
/// The group walk pays a row's set-up for every row, several times the cost of the row's one
/// or two vectors (4×65536 f32 column-major at 0.17 of the read+write pass, model-167 guest).
/// Every element is still `a + s_i·t_j` with the same roundings.
///
/// # Safety
/// The CPU supports `S`; `0 < v.len() < W`; `a.len()` is a multiple of `v.len()`; `s` holds
/// at least `a.len() / v.len()` scalars (the windows read on to the end of `s`).
#[inline(always)]
unsafe fn rank1_short<S: Permute, const V_SCALED: bool, const S_SCALED: bool>(
    a: &mut [S::E],
    s: &[S::E],
    v: &[S::E],
    v_alpha: S::E,
    s_alpha: S::E,
) {
    let (w, n, m, len) = (S::W, v.len(), s.len(), a.len());
    debug_assert!(n > 0 && n < w && w <= MAX_LANES && len.is_multiple_of(n) && len / n <= m);
    // Scalar steps to the first vector boundary of `a`.
    let head = to_alignment::<S>(a.as_ptr()).min(len);
    rank1_elements::<S::E, V_SCALED, S_SCALED>(a, s, v, 0..head, v_alpha, s_alpha);
    let (mut q, mut i, j) = (head, head / n, head % n);
    let pats = LanePatterns::new::<S>(n, j, |c| scaled(V_SCALED, v_alpha, v[c]));
    let (period, step) = (pats.period, pats.step);
    let (rows, idx, tpat) = (&pats.rows, &pats.idx, &pats.pat);
    let (p, sp) = (a.as_mut_ptr(), s.as_ptr());
    let full = pats.whole_periods::<S>(len - q, i, m);
    // SAFETY: (both loops) each window reads s[row .. row + W] with row + W ≤ m, and each
    // vector reads and writes a[q .. q + W] with q + W ≤ len, by `whole_periods`; idx and tpat
    // hold `period` patterns; the CPU supports S.
    unsafe {
        let sa = S::splat(s_alpha);
        // A macro, not a closure: a closure may stay un-inlined and lose the target features.
        macro_rules! window {
            ($row:expr) => {{
                let raw = S::loadu(sp.add($row));
                if S_SCALED {
                    S::mul(sa, raw)
                } else {
                    raw
                }
            }};
        }
        for _ in 0..full {
            for (k, &row) in rows[..period].iter().enumerate() {
                let ix = S::load_index(idx.as_ptr().add(k * MAX_LANES));
                let sv = S::permute(window!(i + row), ix);
                let t = S::loadu(tpat.as_ptr().add(k * w));
                S::storeu(p.add(q), S::add(S::loadu(p.add(q)), S::mul(sv, t)));
                q += w;
            }
            i += step;
        }
        // The rest of a period, where it still fits.
        for (k, &r) in rows[..period].iter().enumerate() {
            let row = i + r;
            if q + w > len || row + w > m {
                break;
            }
            let ix = S::load_index(idx.as_ptr().add(k * MAX_LANES));
            let sv = S::permute(window!(row), ix);
            let t = S::loadu(tpat.as_ptr().add(k * w));
            S::storeu(p.add(q), S::add(S::loadu(p.add(q)), S::mul(sv, t)));
            q += w;
        }
    }
    // Where the vectors stopped, element by element.
    rank1_elements::<S::E, V_SCALED, S_SCALED>(a, s, v, q..len, v_alpha, s_alpha);
}

/// Elements `range` of [`rank1_short`]'s rows one at a time, as its vectors do them.
#[inline(always)]
fn rank1_elements<E, const V_SCALED: bool, const S_SCALED: bool>(
    a: &mut [E],
    s: &[E],
    v: &[E],
    range: Range<usize>,
    v_alpha: E,
    s_alpha: E,
) where
    E: Copy + Mul<Output = E> + Add<Output = E>,
{
    let n = v.len();
    let (mut i, mut j) = (range.start / n, range.start % n);
    for q in range {
        let (si, tj) = (
            scaled(S_SCALED, s_alpha, s[i]),
            scaled(V_SCALED, v_alpha, v[j]),
        );
        a[q] = a[q] + si * tj;
        j += 1;
        if j == n {
            (i, j) = (i + 1, 0);
        }
    }
}

/// The lane patterns of the short-row kernels ([`outer_short`], [`rank1_short`]): rows of
/// `n < W` elements laid end to end and read in whole vectors from column `j` of a row on.
/// They repeat every `period` vectors, which cover `step` rows; vector `k` of a period starts
/// `rows[k]` rows on, its lanes take rows `idx[k]` (relative to that one, as a permute's
/// indices) and the row elements `pat[k·W ..]`.
struct LanePatterns<E> {
    period: usize,
    step: usize,
    rows: [usize; MAX_LANES],
    idx: [u32; MAX_LANES * MAX_LANES],
    pat: [E; MAX_LANES * MAX_LANES],
}

impl<E: Copy> LanePatterns<E> {
    /// The patterns of rows of `n` elements from column `j`, element `c` of a row being
    /// `elem(c)` (scalar set-up: W steps a vector of the period).
    #[inline(always)]
    fn new<S: Permute<E = E>>(n: usize, j: usize, elem: impl Fn(usize) -> E) -> Self {
        let w = S::W;
        let period = n / gcd(n, w);
        let step = period * w / n;
        debug_assert!(n > 0 && n < w && period <= MAX_LANES && j < n);
        let mut pats = LanePatterns {
            period,
            step,
            rows: [0; MAX_LANES],
            idx: [0; MAX_LANES * MAX_LANES],
            pat: [elem(0); MAX_LANES * MAX_LANES],
        };
        let (mut ti, mut tj) = (0, j);
        for k in 0..period {
            pats.rows[k] = ti;
            let words = &mut pats.idx[k * MAX_LANES..(k + 1) * MAX_LANES];
            for l in 0..w {
                S::put_index(words, l, ti - pats.rows[k]);
                pats.pat[k * w + l] = elem(tj);
                tj += 1;
                if tj == n {
                    (ti, tj) = (ti + 1, 0);
                }
            }
        }
        debug_assert!(ti == step && tj == j);
        pats
    }

    /// Whole periods that fit both `room` elements of output and the windows of `m` row
    /// values read from row `i` on (a window reads W values from its vector's first row; the
    /// last vector of a period has the highest), so the loop over them needs no tests.
    #[inline(always)]
    fn whole_periods<S: Simd>(&self, room: usize, i: usize, m: usize) -> usize {
        let (w, last) = (S::W, self.rows[self.period - 1]);
        let by_out = room / (self.period * w);
        let by_rows = if i + last + w <= m {
            (m - w - i - last) / self.step + 1
        } else {
            0
        };
        by_out.min(by_rows)
    }
}

/// Greatest common divisor (`n, w > 0`).
#[inline(always)]
fn gcd(mut x: usize, mut y: usize) -> usize {
    while y != 0 {
        (x, y) = (y, x % y);
    }
    x
}

/// The entry points of [`outer_short`].
macro_rules! short_entry_points {
    ($feature:literal, $s:ident, $e:ty, $name:ident, $kernel:ident) => {
        /// [`outer_short`] with this kernel when the chunk is large enough ([`takes_short`]),
        /// returning whether it ran; the caller writes smaller chunks with the small loops
        /// (compiled outside this instruction set, as for every other caller of them).
        ///
        /// # Safety
        /// The CPU supports the target features; `0 < b.len() < W`; the range lies inside
        /// the product.
        #[inline]
        pub(crate) unsafe fn $name(
            out: &mut [$e],
            first: usize,
            a: &[$e],
            b: &[$e],
            stores: Stores,
        ) -> bool {
            let fits = takes_short::<$s>(std::mem::size_of_val(out), b.len(), stores);
            if fits {
                // SAFETY: forwarded contract.
                unsafe { $kernel(out, first, a, b, stores) };
            }
            fits
        }

        /// [`outer_short`] compiled for this instruction set, then a store fence after
        /// streaming stores.
        ///
        /// # Safety
        /// As the entry point above.
        #[target_feature(enable = $feature)]
        #[inline(never)]
        unsafe fn $kernel(out: &mut [$e], first: usize, a: &[$e], b: &[$e], stores: Stores) {
            // SAFETY: features enabled on this function; forwarded contract.
            unsafe {
                if stores == Stores::NonTemporal {
                    outer_short::<$s, true>(out, first, a, b);
                    store_fence();
                } else {
                    outer_short::<$s, false>(out, first, a, b);
                }
            }
        }
    };
}

/// The flat range `first .. first + out.len()` of the row-major Kronecker product A ⊗ B of
/// the row-major m×n `a` and p×q `b`, rows of B shorter than a vector and dividing it
/// (`2 ≤ q < W`, `W % q == 0`). Row `r = i·p + k` of the result is `kron(A[i, :], B[k, :])`;
/// its vector at column `v·W` is `permute(a[i·n + v·W/q ..], lane ↦ lane / q)` times
/// `permute(B[k, :], lane ↦ lane % q)`. The two lane patterns are the same for every row, and
/// B's vector is built with one load and one permute, so a row costs a few instructions more
/// than its vectors: [`outer_short`] on each row as its own product builds its patterns
/// element by element, a set-up that outweighs the vectors of rows of a few hundred bytes.
/// The loads of `a` read W elements where W/q are used, past the row of A into the next. A
/// row that W does not divide ends with one vector overlapping its last whole one (the same
/// values written twice); in the last rows of A, vectors whose load would pass the end of
/// `a` go element by element, as do rows cut by the range. Every element is the single
/// product `A[i, j]·B[k, l]`, with A's element first. Ordinary unaligned stores.
///
/// # Safety
/// The CPU supports `S`; `2 ≤ q < W`, `W % q == 0`, `n ≥ 1`, `a.len() % n == 0`,
/// `b.len() % q == 0`, and the range lies inside the (a.len()/n·b.len()/q) × (n·q) product.
#[inline(always)]
unsafe fn kron_short<S: Permute>(
    out: &mut [S::E],
    first: usize,
    a: &[S::E],
    n: usize,
    b: &[S::E],
    q: usize,
) {
    let (w, width) = (S::W, n * q);
    let (p, per) = (b.len() / q, w / q);
    debug_assert!(q >= 2 && q < w && w.is_multiple_of(q) && n >= per && w <= MAX_LANES);
    debug_assert!(a.len().is_multiple_of(n) && b.len().is_multiple_of(q));
    debug_assert!(first + out.len() <= a.len() / n * p * width);
    let mut words_a = [0u32; MAX_LANES];
    let mut words_b = [0u32; MAX_LANES];
    for lane in 0..w {
        S::put_index(&mut words_a, lane, lane / q);
        S::put_index(&mut words_b, lane, lane % q);
    }
    // SAFETY: the arrays hold MAX_LANES ≥ BYTES / 4 words; the CPU supports S (caller).
    let (ix_a, ix_b) = unsafe {
        (
            S::load_index(words_a.as_ptr()),
            S::load_index(words_b.as_ptr()),
        )
    };
    // Per row: `full` vectors, for the rows of A whose last load (W elements from
    // (full − 1)·per on) stays inside `a`, the first `fitting` ones; fewer for the others.
    // (Worked out once: a division per row cost as much as the vectors of short rows.)
    // A row of n·q elements ends with a vector from A's element n − per on, overlapping the
    // last whole one when W does not divide the row: its patterns are the same (q divides
    // both W and the row), and it writes the rest of the row without element-by-element
    // stores (17 instructions an element, AVX2 path, callgrind).
    let full = n / per;
    let ragged = full * w < width;
    let reach = n - per + w;
    let fitting = rows_within(a.len(), reach, n);
    let out_ptr = out.as_mut_ptr();
    for KronRow { t, c, take, i, k } in KronRows::new(first, out.len(), width, p) {
        let start = i * n;
        let (mut j, mut l) = if c == 0 { (0, 0) } else { (c / q, c % q) };
        if c == 0 && take == width {
            let vectors = if i < fitting {
                full
            } else if a.len() >= start + w {
                ((a.len() - start - w) / per + 1).min(full)
            } else {
                0
            };
            debug_assert!(vectors == 0 || start + (vectors - 1) * per + w <= a.len());
            debug_assert!(vectors * w <= width && k * q + q <= b.len());
            // SAFETY: B's row k has q elements, a power of two below W (q divides W); each
            // load reads a[start + v·per .. + W] inside `a` (just bounded); each store writes
            // out[t + v·W .. + W] inside this row of the range (vectors·W ≤ width = take);
            // the CPU supports S.
            unsafe {
                let bv = S::permute(S::load_part(b.as_ptr().add(k * q), q), ix_b);
                let (src, dst) = (a.as_ptr().add(start), out_ptr.add(t));
                for v in 0..vectors {
                    let av = S::permute(S::loadu(src.add(v * per)), ix_a);
                    S::storeu(dst.add(v * w), S::mul(av, bv));
                }
                if i < fitting && ragged {
                    // The row's last vector (a[start + n − per .. + W] inside `a`: fitting).
                    debug_assert!(start + reach <= a.len() && width >= w);
                    let av = S::permute(S::loadu(src.add(n - per)), ix_a);
                    S::storeu(dst.add(width - w), S::mul(av, bv));
                }
            }
            (j, l) = if i < fitting {
                (n, 0)
            } else {
                (vectors * per, 0)
            };
        }
        let done = j * q + l;
        let (a_row, b_row) = (&a[start..start + n], &b[k * q..k * q + q]);
        kron_row_elements(&mut out[t + done - c..t + take], a_row, b_row, j, l);
    }
}

/// [`kron_short`] for rows of B that do not divide a vector (`2 ≤ q < W`, `W % q ≠ 0`): the
/// lane patterns then repeat every `P = q / gcd(q, W)` vectors, vector `κ` of a period
/// taking A's elements from `⌊κ·W/q⌋` on and B's in the order `(κ·W + lane) mod q`. The A
/// patterns are built once per call, and B's vectors once per call for every row of B (a
/// table of p·P vectors, [`kron_short_table_len`]), so a row of the result again costs its
/// vectors and a few instructions; each vector loads its B pattern from the table. As
/// [`kron_short`], the loads of `a` read W elements, past the row of A, a ragged row ends with
/// an overlapping vector (patterns of its own, B's from a second table), and in the last
/// rows of A vectors whose load would pass the end of `a`, and rows cut by the range, go
/// element by element.
///
/// # Safety
/// The CPU supports `S`; `2 ≤ q < W`, `n ≥ 1`, `a.len() % n == 0`, `b.len() % q == 0`, and
/// the range lies inside the (a.len()/n·b.len()/q) × (n·q) product.
#[inline(always)]
unsafe fn kron_short_periodic<S: Permute>(
    out: &mut [S::E],
    first: usize,
    a: &[S::E],
    n: usize,
    b: &[S::E],
    q: usize,
) {
    let (w, width) = (S::W, n * q);
    let p = b.len() / q;
    let period = q / gcd(q, w);
    let advance = period * w / q;
    debug_assert!(q >= 2 && q < w && n * q >= w && w <= MAX_LANES && period < MAX_LANES);
    debug_assert!(a.len().is_multiple_of(n) && b.len().is_multiple_of(q));
    debug_assert!(first + out.len() <= a.len() / n * p * width);
    // Vector κ of a period starts at A's element skip[κ] and B's element rem[κ] of the
    // period; (j, l) counts them up lane by lane (a division per lane cost more than small
    // products take).
    let mut words = [[0u32; MAX_LANES]; MAX_LANES];
    let mut skip = [0usize; MAX_LANES];
    let mut rem = [0usize; MAX_LANES];
    let (mut j, mut l) = (0, 0);
    for ((row, s), r) in words.iter_mut().zip(&mut skip).zip(&mut rem).take(period) {
        (*s, *r) = (j, l);
        for lane in 0..w {
            S::put_index(row, lane, j - *s);
            l += 1;
            if l == q {
                (j, l) = (j + 1, 0);
            }
        }
    }
    // Row kb of B repeated over P·W = lcm(q, W) lanes, for every row (plain loops: as an
    // iterator chain of `cycle` and `take` it cost 43 instructions an element).
    let mut table: Vec<S::E> = Vec::with_capacity(p * period * w);
    for row in b.chunks_exact(q) {
        // P·W = lcm(q, W): a whole number of copies of the row.
        for _ in 0..advance {
            table.extend_from_slice(row);
        }
    }
    // Per row: `full` whole periods and `extra` vectors of the next, for the rows of A whose
    // last load stays inside `a`, the first `fitting` ones; the others vector by vector.
    let (full, extra) = (width / (period * w), width % (period * w) / w);
    // A row that W does not divide ends with a vector overlapping the last whole one, from
    // column width − W: A's element j0 on, B's l0 on, the same for every row (its own
    // patterns), instead of element-by-element stores (17 instructions an element).
    let ragged = !width.is_multiple_of(w);
    let (j0, l0) = ((width - w) / q, (width - w) % q);
    let mut words_tail = [0u32; MAX_LANES];
    let (mut jj, mut ll) = (j0, l0);
    let mut b_tail: Vec<S::E> = Vec::with_capacity(if ragged { p * w } else { 0 });
    for lane in 0..w {
        S::put_index(&mut words_tail, lane, jj - j0);
        ll += 1;
        if ll == q {
            (jj, ll) = (jj + 1, 0);
        }
    }
    if ragged {
        for row in b.chunks_exact(q) {
            let mut l = l0;
            for _ in 0..w {
                b_tail.push(row[l]);
                l = if l + 1 == q { 0 } else { l + 1 };
            }
        }
    }
    let reach = if extra > 0 {
        full * advance + skip[extra - 1] + w
    } else {
        (full - 1) * advance + skip[period - 1] + w
    };
    let reach = if ragged { reach.max(j0 + w) } else { reach };
    let fitting = rows_within(a.len(), reach, n);
    let out_ptr = out.as_mut_ptr();
    for KronRow { t, c, take, i, k } in KronRows::new(first, out.len(), width, p) {
        let start = i * n;
        let (mut j, mut l) = if c == 0 { (0, 0) } else { (c / q, c % q) };
        if c == 0 && take == width {
            debug_assert!(k < p && table.len() == p * period * w);
            let pattern = k * period * w;
            let (mut base, mut kappa, mut at) = (start, 0, 0);
            // SAFETY: each load reads a[base + skip[κ] .. + W], inside `a`: for the
            // `fitting` rows up to `reach` (bounded above), else checked before the load;
            // each store writes out[t + at .. + W] with at + W ≤ width = take; the table
            // holds P vectors for row k < p; the index rows hold MAX_LANES ≥ BYTES / 4 words;
            // the CPU supports S.
            unsafe {
                let (src, dst, tab) = (a.as_ptr(), out_ptr.add(t), table.as_ptr().add(pattern));
                if i < fitting {
                    debug_assert!(start + reach <= a.len());
                    let vector = |at: usize, base: usize, kappa: usize| {
                        let ix = S::load_index(words[kappa].as_ptr());
                        let av = S::permute(S::loadu(src.add(base + skip[kappa])), ix);
                        S::storeu(dst.add(at), S::mul(av, S::loadu(tab.add(kappa * w))));
                    };
                    for _ in 0..full {
                        for kappa in 0..period {
                            vector(at, base, kappa);
                            at += w;
                        }
                        base += advance;
                    }
                    for kappa in 0..extra {
                        vector(at, base, kappa);
                        at += w;
                    }
                    kappa = extra;
                    if ragged {
                        // a[start + j0 .. + W] lies inside `a` (reach); B's tail vector k.
                        debug_assert!(start + j0 + w <= a.len() && b_tail.len() == p * w);
                        let ix = S::load_index(words_tail.as_ptr());
                        let av = S::permute(S::loadu(src.add(start + j0)), ix);
                        let bv = S::loadu(b_tail.as_ptr().add(k * w));
                        S::storeu(dst.add(width - w), S::mul(av, bv));
                    }
                } else {
                    while at + w <= width && base + skip[kappa] + w <= a.len() {
                        let ix = S::load_index(words[kappa].as_ptr());
                        let av = S::permute(S::loadu(src.add(base + skip[kappa])), ix);
                        S::storeu(dst.add(at), S::mul(av, S::loadu(tab.add(kappa * w))));
                        at += w;
                        kappa += 1;
                        if kappa == period {
                            (base, kappa) = (base + advance, 0);
                        }
                    }
                }
            }
            (j, l) = if i < fitting {
                (n, 0)
            } else {
                (base - start + skip[kappa], rem[kappa])
            };
            debug_assert!(i < fitting || j * q + l == at);
        }
        let done = j * q + l;
        let (a_row, b_row) = (&a[start..start + n], &b[k * q..k * q + q]);
        kron_row_elements(&mut out[t + done - c..t + take], a_row, b_row, j, l);
    }
}

/// The flat range `first .. first + out.len()` of the row-major A ⊗ B (A: rows of `n` of
/// `a`; B: rows of `V·W` of `b`) for rows of B of `V` whole vectors. Segment `j` of result
/// row `r = i·p + k` is `A[i, j]·B[k, :]`: B's row is loaded into `V` registers once per
/// result row, and each segment costs a broadcast of `A[i, j]` and `V` multiplies and
/// stores. As a stack of products ([`super::outer::run_stack`]) every result row was an
/// outer product of its own, a call through the chunk set-up and the dispatch for a few
/// stores. Segments cut by the range go element by element. Every element is the single
/// product `A[i, j]·B[k, l]`, A's element first. Unaligned ordinary stores, or with `NT`
/// streaming ones (then every segment starts on a vector boundary; the elements of cut
/// segments are ordinary stores).
///
/// # Safety
/// The CPU supports `S`; `1 ≤ V`, `n ≥ 1`, `a.len() % n == 0`, `b.len() % (V·W) == 0`,
/// and the range lies inside the (a.len()/n·b.len()/(V·W)) × (n·V·W) product; with `NT`,
/// segments start on a vector boundary.
#[inline(always)]
unsafe fn kron_vectors<S: Simd, const V: usize, const NT: bool>(
    out: &mut [S::E],
    first: usize,
    a: &[S::E],
    n: usize,
    b: &[S::E],
) {
    let (w, q) = (S::W, V * S::W);
    let (width, p) = (n * q, b.len() / q);
    debug_assert!(V >= 1 && n >= 1 && a.len().is_multiple_of(n) && b.len().is_multiple_of(q));
    debug_assert!(first + out.len() <= a.len() / n * p * width);
    let out_ptr = out.as_mut_ptr();
    for KronRow { t, c, take, i, k } in KronRows::new(first, out.len(), width, p) {
        let (a_row, b_row) = (&a[i * n..i * n + n], &b[k * q..k * q + q]);
        // Whole segments `j0 .. j1` of this piece of the row, and the columns before and
        // after them (divisions only for rows cut by the range).
        let (j0, j1) = if c == 0 && take == width {
            (0, n)
        } else {
            (c.div_ceil(q), (c + take) / q)
        };
        if j0 >= j1 {
            kron_row_elements(&mut out[t..t + take], a_row, b_row, c / q, c % q);
            continue;
        }
        if c < j0 * q {
            kron_row_elements(&mut out[t..t + j0 * q - c], a_row, b_row, c / q, c % q);
        }
        debug_assert!(j1 <= n && t + j1 * q - c <= out.len());
        // SAFETY: B's row k has q = V·W elements (loads v·W .. v·W + W); segment j of this
        // row lies at out[t + j·q − c .. + q], inside this row's piece for j0 ≤ j < j1;
        // a_row has n ≥ j1 elements; the CPU supports S.
        unsafe {
            let bv: [S::V; V] = std::array::from_fn(|v| S::loadu(b_row.as_ptr().add(v * w)));
            let mut dst = out_ptr.add(t + j0 * q - c);
            for &x in &a_row[j0..j1] {
                let va = S::splat(x);
                for (v, &bv) in bv.iter().enumerate() {
                    put::<S, NT>(dst.add(v * w), S::mul(va, bv));
                }
                dst = dst.add(q);
            }
        }
        if j1 * q < c + take {
            kron_row_elements(&mut out[t + j1 * q - c..t + take], a_row, b_row, j1, 0);
        }
    }
}

/// [`kron_vectors`] when the segments start `h` elements (`0 < h < W`) before a vector
/// boundary, with aligned stores only: the vectors of the output from segment `s`'s
/// element `h` on are its `V − 1` whole vectors `A[i, j]·B[k, h + v·W ..]` and one vector
/// joined across the segment's end, `[A[i, j] ×(W − h), α′ ×h]·(B[k, q − W + h ..] ++
/// B[k′, .. h])`, where `α′` and `k′` belong to segment `s + 1` (the next element of A's
/// row, or at a row's end the first of the next result row's). Each unit (a segment's
/// vectors from its element `h` on) is written when the range holds it whole; the elements
/// before the first and after the last go one by one (ordinary stores). Every element is
/// still the single product `A[i, j]·B[k, l]`. With `NT` the vectors are streaming stores.
///
/// # Safety
/// As [`kron_vectors`], and the element at flat index 0 of any segment lies `h` elements
/// before a vector boundary.
#[inline(always)]
unsafe fn kron_vectors_joined<S: Simd, const V: usize, const NT: bool>(
    out: &mut [S::E],
    first: usize,
    a: &[S::E],
    n: usize,
    b: &[S::E],
    h: usize,
) {
    let (w, q) = (S::W, V * S::W);
    let (width, p, len) = (n * q, b.len() / q, out.len());
    let k_tail = w - h;
    debug_assert!(h > 0 && h < w && V >= 1 && n >= 1);
    debug_assert!(first + len <= a.len() / n * p * width);
    // Unit u covers the flat elements u·q + h .. (u + 1)·q + h.
    let end = first + len;
    let u0 = if first <= h {
        0
    } else {
        (first - h).div_ceil(q)
    };
    let u1 = if end >= h + q {
        (end - h - q) / q + 1
    } else {
        0
    };
    if u0 >= u1 {
        return kron_flat_elements(out, first, a, n, b, q);
    }
    kron_flat_elements(&mut out[..u0 * q + h - first], first, a, n, b, q);
    let (r0, j0) = (u0 / n, u0 % n);
    let rows = p * (a.len() / n);
    let (out_ptr, ap, bp) = (out.as_mut_ptr(), a.as_ptr(), b.as_ptr());
    let (mut u, mut r, mut j) = (u0, r0, j0);
    while u < u1 {
        let (i, k) = (r / p, r % p);
        // This row's units j .. j_end; the last unit of a row joins the next row's start.
        let j_end = (j + (u1 - u)).min(n);
        debug_assert!(r < rows);
        // SAFETY: (whole block) B's row k has q elements: the inner loads read h + v·W +
        // W ≤ q for v < V − 1, the joined factor its last W − h and the first h of B's row
        // k′ (< p); A's row i has n elements (j < n, and the next row's element 0 exists
        // when a unit at a row's end is written, since that unit's last h elements are that
        // row's); each unit's stores lie in out[(u·q + h − first) .. + q], inside the
        // range (u0 ≤ u < u1); the CPU supports S.
        unsafe {
            let b_row = bp.add(k * q);
            // The unit's whole vectors; the last entry stands unused for the joined one.
            let inner: [S::V; V] = std::array::from_fn(|v| {
                if v + 1 < V {
                    S::loadu(b_row.add(h + v * w))
                } else {
                    S::splat(*b_row)
                }
            });
            let same = S::concat(b_row.add(q - k_tail), k_tail, b_row);
            let a_row = ap.add(i * n);
            let mut dst = out_ptr.add(u * q + h - first);
            let mut va = S::splat(*a_row.add(j));
            let body_end = if j_end == n { n - 1 } else { j_end };
            for jj in j..body_end {
                let next = S::splat(*a_row.add(jj + 1));
                for (v, &t) in inner.iter().take(V - 1).enumerate() {
                    put::<S, NT>(dst.add(v * w), S::mul(va, t));
                }
                let both = S::select_lt(k_tail, va, next);
                put::<S, NT>(dst.add((V - 1) * w), S::mul(both, same));
                va = next;
                dst = dst.add(q);
            }
            if j_end == n {
                // The row's last unit, joined to the next result row's first segment (which
                // exists: the unit's last h elements are in the range).
                debug_assert!(r + 1 < rows);
                let (i2, k2) = ((r + 1) / p, (r + 1) % p);
                let next = S::splat(*ap.add(i2 * n));
                let cross = S::concat(b_row.add(q - k_tail), k_tail, bp.add(k2 * q));
                for (v, &t) in inner.iter().take(V - 1).enumerate() {
                    put::<S, NT>(dst.add(v * w), S::mul(va, t));
                }
                let both = S::select_lt(k_tail, va, next);
                put::<S, NT>(dst.add((V - 1) * w), S::mul(both, cross));
            }
        }
        let done = j_end - j;
        u += done;
        (r, j) = if j_end == n { (r + 1, 0) } else { (r, j_end) };
    }
    kron_flat_elements(&mut out[u1 * q + h - first..], u1 * q + h, a, n, b, q);
}

/// Rows of B that [`kron_spans`] takes are shorter than this many vectors. With longer rows
/// the stack's segments are long enough for its unaligned stores: f32 8×8 ⊗ 8×130 to 16×16
/// ⊗ 4×300 and 4×4 ⊗ 4×520 ran at 0.71–1.13 of it with this kernel (Sapphire Rapids guest,
/// 1 and 2 threads, one run at each of two output offsets).
pub(crate) const KRON_SPANS_MAX: usize = 8;

/// The flat range `first .. first + out.len()` of the row-major A ⊗ B (A: rows of `n` of
/// `a`; B: rows of `q` of `b`) for rows of B longer than a vector and not a whole number of
/// vectors (`W < q < KRON_SPANS_MAX·W`), with every vector store aligned. As q > W, a vector
/// of the output holds elements of at most two segments: at column `c` of result row
/// `r = i·p + k`, segment `j = c / q` from B's element `s = c % q`, it is
/// `A[i, j]·B[k, s .. s + W]` when the segment holds it, else
/// `[A[i, j] ×(q − s), A[i, j + 1] ×…]·(B[k, s ..] ++ B[k, ..])`; across a row's end it is
/// `[A[i, n − 1] ×(q − s), A[i′, 0] ×…]·(B[k, s ..] ++ B[k′, ..])`, (i′, k′) the next result
/// row. A[i, j] and A[i, j + 1] stay in registers (a broadcast per segment); B's elements
/// are read from `b` for each vector. As a stack of products ([`super::outer::run_stack`])
/// each segment took unaligned vector stores and a store of its ragged end. The elements
/// before the first vector boundary and after the last whole vector go one by one (ordinary
/// stores). Every element is the single product `A[i, j]·B[k, l]`, A's element first. With
/// `NT` the vectors are streaming stores.
///
/// Measured and not kept (Sapphire Rapids guest, f32, 1 thread, 16×16 ⊗ 16×17 to 8×8 ⊗
/// 16×63, in one process): two broadcasts of A per vector, 0.75–1.08 of the stack; B's rows
/// with their first W elements appended (no joined loads), from a table built per call
/// 0.84–1.05 of this form, from a buffer copied per result row 0.71–0.92; rows under two
/// vectors held in two registers and rotated by a two-source permute (no reads of B per
/// vector), 0.58–1.62 of it. The rate moves with the run and with where B lies: with B
/// moved by 1 KiB, 16×16 ⊗ 16×24 ran at 0.53 or 0.84 of an outer product of the same
/// bytes, and the register form, which reads no B, moved alike (0.47–0.75), so reads of B
/// that alias stores in flight are not the cause (not analysed further).
///
/// # Safety
/// The CPU supports `S`; `W < q < KRON_SPANS_MAX·W`, `n ≥ 1`, `a.len() % n == 0`,
/// `b.len() % q == 0`, and the range lies inside the (a.len()/n·b.len()/q) × (n·q) product.
#[inline(always)]
unsafe fn kron_spans<S: Simd, const NT: bool>(
    out: &mut [S::E],
    first: usize,
    a: &[S::E],
    n: usize,
    b: &[S::E],
    q: usize,
) {
    let (w, width, p, len) = (S::W, n * q, b.len() / q, out.len());
    debug_assert!(q > w && q < KRON_SPANS_MAX * w && n >= 1);
    debug_assert!(a.len().is_multiple_of(n) && b.len().is_multiple_of(q));
    debug_assert!(first + len <= a.len() / n * p * width);
    let head = to_alignment::<S>(out.as_ptr()).min(len);
    let vectors = (len - head) / w;
    if vectors == 0 {
        return kron_flat_elements(out, first, a, n, b, q);
    }
    kron_flat_elements(&mut out[..head], first, a, n, b, q);
    let start = first + head;
    // Result row r = i·p + k, column c = j·q + s; divisions once, then counted.
    let (r, mut c) = (start / width, start % width);
    let (mut i, mut k) = (r / p, r % p);
    let (mut j, mut s) = (c / q, c % q);
    let (ap, bp) = (a.as_ptr(), b.as_ptr());
    let mut left = vectors;
    // SAFETY: (whole block) A's row i and B's row k exist while vectors are left (the range
    // lies in the product); a whole load of B's row reads s .. s + W ≤ q, a joined one its
    // last q − s elements and the first W − (q − s) of a row of B (q > W); A's element
    // j + 1 is read clamped to the row; the vector across a row's end reads element 0 of
    // the next result row's A row and the first elements of its B row, which exist because
    // that vector's last elements are in the range; the stores lie in out[head .. head +
    // vectors·W], aligned (head is out's distance to a vector boundary); the CPU supports S.
    unsafe {
        let mut dst = out.as_mut_ptr().add(head);
        while left > 0 {
            debug_assert!(i < a.len() / n && k < p && c < width && c == j * q + s);
            let (a_row, b_row) = (ap.add(i * n), bp.add(k * q));
            let inside = ((width - c) / w).min(left);
            let mut lo = S::splat(*a_row.add(j));
            let mut hi = S::splat(*a_row.add((j + 1).min(n - 1)));
            for _ in 0..inside {
                let (both, factor) = if s + w <= q {
                    (lo, S::loadu(b_row.add(s)))
                } else {
                    // Lanes from q − s on belong to segment j + 1.
                    let joined = S::concat(b_row.add(s), q - s, b_row);
                    (S::select_lt(q - s, lo, hi), joined)
                };
                put::<S, NT>(dst, S::mul(both, factor));
                dst = dst.add(w);
                s += w;
                if s >= q {
                    (j, s) = (j + 1, s - q);
                    lo = hi;
                    hi = S::splat(*a_row.add((j + 1).min(n - 1)));
                }
            }
            left -= inside;
            c += inside * w;
            k += 1;
            if k == p {
                (i, k) = (i + 1, 0);
            }
            if left == 0 {
                break;
            }
            if c == width {
                (c, j, s) = (0, 0, 0);
                continue;
            }
            // The vector across the row's end: the last q − s elements of segment n − 1,
            // then the next result row's first.
            let tail = width - c;
            debug_assert!(tail < w && j == n - 1 && s == q - tail);
            let next = S::splat(*ap.add(i * n));
            let factor = S::concat(b_row.add(s), tail, bp.add(k * q));
            put::<S, NT>(dst, S::mul(S::select_lt(tail, lo, next), factor));
            dst = dst.add(w);
            left -= 1;
            (c, j, s) = (w - tail, 0, w - tail);
        }
    }
    let done = head + vectors * w;
    kron_flat_elements(&mut out[done..], first + done, a, n, b, q);
}

/// The flat range `first .. first + out.len()` of A ⊗ B (rows of B of `q`) one element at a
/// time, A's element first.
fn kron_flat_elements<E: Copy + Mul<Output = E>>(
    out: &mut [E],
    first: usize,
    a: &[E],
    n: usize,
    b: &[E],
    q: usize,
) {
    let (width, p) = (n * q, b.len() / q);
    for KronRow { t, c, take, i, k } in KronRows::new(first, out.len(), width, p) {
        let (a_row, b_row) = (&a[i * n..i * n + n], &b[k * q..k * q + q]);
        kron_row_elements(&mut out[t..t + take], a_row, b_row, c / q, c % q);
    }
}

/// Most vectors in a row of B that [`kron_vectors`] takes. Its gain over the stack of one
/// product per result row shrinks as the rows of B grow (f32, Sapphire Rapids guest: 1.4–2.0
/// with one vector, 1.0–1.2 with two and four); longer rows keep the stack. (Through
/// [`kron_spans`], which handles them too, f32 8×8 ⊗ 8×96, 16×16 ⊗ 8×80 and 4×112 and f64
/// 16×16 ⊗ 8×40 and 8×8 ⊗ 8×56 ran at 0.85–1.06 of the stack in L2 and 1.07–1.12 in L3,
/// 1 and 2 threads, one run at each of two output offsets.)
pub(crate) const KRON_VECTORS_MAX: usize = 4;

/// The smallest output that takes [`kron_short_periodic`] for rows of B of `q` elements and
/// vectors of `w` lanes (0 when `q` divides `w`): its set-up (the patterns of P = q/gcd(q, W)
/// vectors, B's table) is paid per call, as [`outer_short`]'s is, so the same rule,
/// [`SHORT_KERNEL_MIN_BYTES`] per four vectors of the period. Sapphire Rapids guest, f32,
/// 1 thread, against the small loops: 32×16 ⊗ 3×3 (18 KiB, P = 3) 1.49, 40×20 ⊗ 3×3 1.43,
/// 16×16 ⊗ 3×7 (21 KiB, P = 7) 0.80, 64×32 ⊗ 3×5 (120 KiB, P = 5) 2.16.
pub(crate) fn kron_short_min_bytes(q: usize, w: usize) -> usize {
    let period = q / gcd(q, w);
    if period == 1 {
        0
    } else {
        SHORT_KERNEL_MIN_BYTES * period.div_ceil(4)
    }
}

/// Elements of B's pattern table in [`kron_short_periodic`] for p rows of `q` elements
/// and vectors of `w` lanes (0 when `q` divides `w`: [`kron_short`] needs none).
pub(crate) fn kron_short_table_len(p: usize, q: usize, w: usize) -> usize {
    if w.is_multiple_of(q) {
        0
    } else {
        p.saturating_mul(q / gcd(q, w)).saturating_mul(w)
    }
}

/// How many rows of A (rows of `n` from the start of its `len` elements) have their
/// furthest load, `reach` elements from the row's start, inside A.
#[inline(always)]
fn rows_within(len: usize, reach: usize, n: usize) -> usize {
    if len >= reach {
        (len - reach) / n + 1
    } else {
        0
    }
}

/// One row of A ⊗ B met by a flat range of it: from `out[t]`, its columns `c .. c + take`
/// (all of it when `c == 0` and `take` is the row's width), row `i` of A and `k` of B.
#[derive(Clone, Copy)]
struct KronRow {
    t: usize,
    c: usize,
    take: usize,
    i: usize,
    k: usize,
}

/// The rows of A ⊗ B (rows `width` long, p rows of B) that the flat range `first .. first +
/// len` meets, in order; the row and column are found by division once, then counted.
struct KronRows {
    next: KronRow,
    len: usize,
    width: usize,
    p: usize,
}

impl KronRows {
    #[inline(always)]
    fn new(first: usize, len: usize, width: usize, p: usize) -> Self {
        let (r, c) = (first / width, first % width);
        let next = KronRow {
            t: 0,
            c,
            take: 0,
            i: r / p,
            k: r % p,
        };
        KronRows {
            next,
            len,
            width,
            p,
        }
    }
}

impl Iterator for KronRows {
    type Item = KronRow;

    #[inline(always)]
    fn next(&mut self) -> Option<KronRow> {
        let row = &mut self.next;
        if row.t >= self.len {
            return None;
        }
        let take = (self.width - row.c).min(self.len - row.t);
        let item = KronRow { take, ..*row };
        (row.t, row.c) = (row.t + take, 0);
        row.k += 1;
        if row.k == self.p {
            (row.i, row.k) = (row.i + 1, 0);
        }
        Some(item)
    }
}

/// The elements of the row `kron(a_row, b_row)` from `a_row[j]·b_row[l]` on into `dst`, one
/// product each, A's element first, counting the two indices up rather than dividing for
/// each element.
#[inline(always)]
fn kron_row_elements<E: Copy + Mul<Output = E>>(
    dst: &mut [E],
    a_row: &[E],
    b_row: &[E],
    mut j: usize,
    mut l: usize,
) {
    let q = b_row.len();
    for d in dst {
        *d = a_row[j] * b_row[l];
        l += 1;
        if l == q {
            (j, l) = (j + 1, 0);
        }
    }
}

/// The entry points of the Kronecker row kernels.
macro_rules! kron_rows_entry_points {
    ($feature:literal, $s:ident, $e:ty, $name:ident) => {
        /// The Kronecker row kernel for rows of B of `q` elements, compiled for this
        /// instruction set: [`kron_spans`] for more than a vector but not a whole number of
        /// them, [`kron_vectors`] for one to [`KRON_VECTORS_MAX`] whole vectors
        /// ([`kron_vectors_joined`] when the output is off a vector boundary),
        /// [`kron_short`] for fewer elements than a vector that divide it, else
        /// [`kron_short_periodic`].
        ///
        /// # Safety
        /// The CPU supports the target features; as the kernel picked (`W < q <
        /// KRON_SPANS_MAX·W`, `q` a whole number of vectors up to [`KRON_VECTORS_MAX`], or
        /// `2 ≤ q < W`).
        #[target_feature(enable = $feature)]
        #[inline(never)]
        pub(crate) unsafe fn $name(
            out: &mut [$e],
            first: usize,
            a: &[$e],
            n: usize,
            b: &[$e],
            q: usize,
            stream: bool,
        ) {
            let w = <$s as Simd>::W;
            // SAFETY: features enabled on this function; forwarded contract (each kernel's
            // condition on q picked here).
            unsafe {
                if q > w && !q.is_multiple_of(w) {
                    debug_assert!(q < KRON_SPANS_MAX * w);
                    if stream {
                        kron_spans::<$s, true>(out, first, a, n, b, q)
                    } else {
                        kron_spans::<$s, false>(out, first, a, n, b, q)
                    }
                } else if q >= w {
                    debug_assert!(q.is_multiple_of(w) && q / w <= KRON_VECTORS_MAX);
                    // Elements from the start of a segment of the result (q elements, a
                    // whole number of vectors, so the same for all) to a vector boundary.
                    let h = to_alignment::<$s>(out.as_ptr().wrapping_sub(first % q));
                    if stream {
                        kron_vectors_as::<$s, true>(out, first, a, n, b, q / w, h)
                    } else {
                        kron_vectors_as::<$s, false>(out, first, a, n, b, q / w, h)
                    }
                } else if w.is_multiple_of(q) {
                    debug_assert!(!stream);
                    kron_short::<$s>(out, first, a, n, b, q)
                } else {
                    debug_assert!(!stream);
                    kron_short_periodic::<$s>(out, first, a, n, b, q)
                }
            }
        }
    };
}

/// [`kron_vectors`] (`h = 0`) or [`kron_vectors_joined`] for rows of B of `v` vectors, with
/// `v` made a constant.
///
/// # Safety
/// As the kernel picked, with `1 ≤ v ≤ KRON_VECTORS_MAX` and `h` the elements from any
/// segment's start to a vector boundary.
#[inline(always)]
unsafe fn kron_vectors_as<S: Simd, const NT: bool>(
    out: &mut [S::E],
    first: usize,
    a: &[S::E],
    n: usize,
    b: &[S::E],
    v: usize,
    h: usize,
) {
    debug_assert!((1..=KRON_VECTORS_MAX).contains(&v));
    // SAFETY: forwarded contract.
    unsafe {
        match (v, h) {
            (1, 0) => kron_vectors::<S, 1, NT>(out, first, a, n, b),
            (2, 0) => kron_vectors::<S, 2, NT>(out, first, a, n, b),
            (3, 0) => kron_vectors::<S, 3, NT>(out, first, a, n, b),
            (_, 0) => kron_vectors::<S, KRON_VECTORS_MAX, NT>(out, first, a, n, b),
            (1, h) => kron_vectors_joined::<S, 1, NT>(out, first, a, n, b, h),
            (2, h) => kron_vectors_joined::<S, 2, NT>(out, first, a, n, b, h),
            (3, h) => kron_vectors_joined::<S, 3, NT>(out, first, a, n, b, h),
            (_, h) => kron_vectors_joined::<S, KRON_VECTORS_MAX, NT>(out, first, a, n, b, h),
        }
    }
}

kron_rows_entry_points!("avx512f,avx2,fma", Avx512F32, f32, kron_rows_avx512_f32);
kron_rows_entry_points!("avx512f,avx2,fma", Avx512F64, f64, kron_rows_avx512_f64);
kron_rows_entry_points!("avx2,fma", Avx2F32, f32, kron_rows_avx2_f32);
kron_rows_entry_points!("avx2,fma", Avx2F64, f64, kron_rows_avx2_f64);

short_entry_points!(
    "avx512f,avx2,fma",
    Avx512F32,
    f32,
    outer_short_avx512_f32,
    short_kernel_avx512_f32
);
short_entry_points!(
    "avx512f,avx2,fma",
    Avx512F64,
    f64,
    outer_short_avx512_f64,
    short_kernel_avx512_f64
);
short_entry_points!(
    "avx2,fma",
    Avx2F32,
    f32,
    outer_short_avx2_f32,
    short_kernel_avx2_f32
);
short_entry_points!(
    "avx2,fma",
    Avx2F64,
    f64,
    outer_short_avx2_f64,
    short_kernel_avx2_f64
);

/// Whether segments of `len` elements of rows `n` long take the four-row kernel (ordinary
/// stores): at least a vector, and short or a whole number of vectors (see
/// [`whole_vectors`] and `SHORT_ROW_BYTES`).
#[inline(always)]
fn four_rows<S: Simd>(len: usize, n: usize) -> bool {
    len >= S::W
        && (len * std::mem::size_of::<S::E>() <= SHORT_ROW_BYTES
            || (whole_vectors::<S>(len) && whole_vectors::<S>(n)))
}

/// Whether rows of `n` elements are a whole number of vectors long, so that after one peeled
/// vector every store of the four-row kernel is aligned. Such rows (up to a column block)
/// take the four-row kernel, which loads each vector of `b` once for four stores. On Zen 3
/// the flat kernel, with a load per store, ran 256×256 f32 at 0.68–0.89 of a fill (row and
/// col, 1 thread) against 0.93–1.05 for the four-row kernel, and 1024² at 0.72–0.82 against
/// 0.96–0.99 (peer bench, two alternating 2-round runs of each). Ragged rows keep the flat
/// kernel, whose stores stay aligned across row ends.
#[inline(always)]
fn whole_vectors<S: Simd>(n: usize) -> bool {
    (n * std::mem::size_of::<S::E>()).is_multiple_of(S::BYTES)
}

/// Whether rows of `n` elements are a whole number of trips (see [`trip_bytes`]).
#[inline(always)]
fn whole_trips<S: Simd>(n: usize) -> bool {
    (n * std::mem::size_of::<S::E>()).is_multiple_of(trip_bytes::<S>())
}

/// Whether a chunk `out` of rows `n` long (at most `block` per column block) takes the flat
/// aligned kernel: with ordinary stores, ragged rows of a large enough chunk; with streaming
/// stores, rows of at most [`FLAT_NT_MAX_ROW_BYTES`], whose row-at-a-time writing would end
/// most rows in partial lines (streamed partial lines cost a read at the memory).
#[inline(always)]
fn takes_flat<S: Simd>(out: &[S::E], n: usize, block: usize, stores: Stores) -> bool {
    match stores {
        Stores::Normal => {
            n >= S::W
                && n <= block
                && std::mem::size_of_val(out) >= FLAT_MIN_BYTES
                && !whole_vectors::<S>(n)
        }
        Stores::NonTemporal => {
            n >= S::W && n * std::mem::size_of::<S::E>() <= FLAT_NT_MAX_ROW_BYTES
        }
    }
}

/// Rows of at most this many bytes (and at least a vector) are streamed by the flat kernel
/// ([`takes_flat`]). The row kernels stream each row on its own, from its first to its last
/// aligned vector with scalar `movnti` ends, so most lines of short rows went out partial:
/// DRAM-sized outputs, Sapphire Rapids guest, GB/s row kernels → flat, against a streaming
/// fill of 13–15: 1 thread, f32 1M×16 3.2 → 11.2, 256K×64 8.8 → 12.7, 64K×256 11.4 → 12.7,
/// 16K×1024 12.6 → 12.9; f64 1M×8 5.0 → 10.7, 128K×64 10.9 → 12.5; 2 threads, f32 1M×16
/// 4.6 → 20.7, 256K×64 14.5 → 28.3; the AVX2 kernels alike (f32 1M×16 3.5 → 8.7). Longer
/// rows ran alike both ways (4096² f32 0.99–1.02), and keep the row kernels.
const FLAT_NT_MAX_ROW_BYTES: usize = 4096;

/// Whether the whole `m × n` product `out` takes the whole-product kernel, given ordinary
/// stores, adjacent rows and no flat kernel: rows that fit one column block and the four-row
/// kernel ([`four_rows`]).
#[inline(always)]
fn takes_whole<S: Simd>(out: &[S::E], m: usize, n: usize, block: usize) -> bool {
    n <= block && four_rows::<S>(n, n) && m.checked_mul(n) == Some(out.len())
}

/// Rows up to this many elements keep their extended copy of `b` on the stack.
const FLAT_STACK: usize = 1024;

/// The most lanes of any vector here (AVX-512 f32).
const MAX_LANES: usize = 16;

/// Outputs (chunks) from this size take the flat aligned kernel; below it the row kernels,
/// whose fixed cost is lower, win (measured at 64×64 f32: 0.9× vs 0.5× of a fill).
const FLAT_MIN_BYTES: usize = 64 * 1024;

/// The `#[target_feature]` entry points, one per instruction set and element type.
macro_rules! entry_points {
    ($feature:literal, $s:ident, $e:ty, $outer:ident, $try_whole:ident, $chunked:ident,
     $whole:ident, $groups:ident, $flat:ident, $rank1:ident, $fill:ident, $rmw:ident) => {
        /// One chunk of an outer product with this kernel: the flat kernel, the whole-product
        /// groups or the general chunk walk (`outer::chunk`). Only tests and calls, no
        /// target features of its own, so it inlines into the driver: each call level
        /// pushes registers and arguments, stores that queue behind the previous call's
        /// output (inlining this and the dispatch took 64×64 f32 from 0.88 to 0.91 of a
        /// fill).
        ///
        /// # Safety
        /// The CPU supports the target features.
        #[inline]
        pub(crate) unsafe fn $outer(
            out: &mut [$e],
            first: usize,
            a: &[$e],
            b: &[$e],
            walk: super::outer::Walk,
            stores: Stores,
        ) {
            let (n, block) = (b.len(), walk.block);
            if takes_flat::<$s>(out, n, block, stores) {
                // SAFETY: the CPU supports the features (caller); the conditions just checked.
                unsafe { $flat(out, first, a, b, stores, walk.fence) }
            } else if first == 0 && stores == Stores::Normal && walk.spread.is_none()
                && takes_whole::<$s>(out, a.len(), n, block)
            {
                // SAFETY: as above.
                unsafe { $whole(out, a, b) }
            } else {
                // SAFETY: the CPU supports the features (caller); chunk checks its ranges.
                unsafe { $chunked(out, first, a, b, walk, stores) }
            }
        }

        /// The whole product with ordinary stores on this thread, straight to the
        /// whole-product kernel when its rows fit that kernel (the choice the chunk entry
        /// point would make for them); `false`, writing nothing, otherwise.
        ///
        /// # Safety
        /// The CPU supports the target features.
        #[inline]
        pub(crate) unsafe fn $try_whole(out: &mut [$e], a: &[$e], b: &[$e], block: usize) -> bool {
            let n = b.len();
            let fits = !takes_flat::<$s>(out, n, block, Stores::Normal)
                && takes_whole::<$s>(out, a.len(), n, block);
            if fits {
                // SAFETY: the CPU supports the features (caller); the fit was just checked.
                unsafe { $whole(out, a, b) };
            }
            fits
        }

        /// `outer::chunk` compiled for this kernel, then a store fence after streaming stores.
        ///
        /// # Safety
        /// The CPU supports the target features.
        #[target_feature(enable = $feature)]
        #[inline(never)]
        unsafe fn $chunked(
            out: &mut [$e],
            first: usize,
            a: &[$e],
            b: &[$e],
            walk: super::outer::Walk,
            stores: Stores,
        ) {
            // SAFETY: features enabled on this function; chunk checks its ranges.
            unsafe { super::outer::chunk::<$e, $s>(out, first, a, b, walk, stores) };
            if stores == Stores::NonTemporal && walk.fence {
                store_fence();
            }
        }

        /// The whole of an in-cache product, the usual small call, without the general chunk
        /// walk: short rows whose vectors fit registers take the panel kernels (each shape
        /// its own function, [`PanelShapes`]), others adjacent four-row groups. Only tests
        /// and calls: each kernel keeps a frame of its own size.
        ///
        /// # Safety
        /// The CPU supports the target features; `out.len() == a.len()·b.len()`; rows of
        /// `b.len()` elements take the four-row kernel (`four_rows`).
        #[inline]
        unsafe fn $whole(out: &mut [$e], a: &[$e], b: &[$e]) {
            let (m, n) = (a.len(), b.len());
            debug_assert!(out.len() == m * n && four_rows::<$s>(n, n));
            if let Some(h) = panel_fit::<$s>(out.as_ptr(), n) {
                // SAFETY: the CPU supports the features (caller); the fit was just checked.
                unsafe { outer_panels::<$s>(out, a, b, h) };
                return;
            }
            // SAFETY: as above; out holds m rows of n ≥ W elements.
            unsafe { $groups(out, a, b) }
        }

        /// The whole-product entry point's rows in adjacent four-row groups. Out of line, so
        /// that the group loop gets the registers to itself: inlined into the entry point,
        /// with the walk's values spilled around it, 64×64 f32 ran at 0.75 of a fill; out of
        /// line at 0.9–1.0.
        ///
        /// # Safety
        /// As the whole-product entry point.
        #[target_feature(enable = $feature)]
        #[inline(never)]
        unsafe fn $groups(out: &mut [$e], a: &[$e], b: &[$e]) {
            let (m, n) = (a.len(), b.len());
            let groups = FourRows::new(m, false);
            // SAFETY: features as on this function; out holds m rows of n ≥ W elements.
            unsafe { outer_groups4::<$s>(out, n, 0, a, b, groups) };
            for i in 4 * groups.count..m {
                // SAFETY: one whole row of the product.
                unsafe { outer_row::<$s>(&mut out[i * n..(i + 1) * n], a[i], b, Stores::Normal) };
            }
        }

        impl PanelShapes for $s {
            #[target_feature(enable = $feature)]
            #[inline(never)]
            unsafe fn joined<const V: usize, const HALF: bool>(
                out: &mut [$e],
                a: &[$e],
                b: &[$e],
                h: usize,
            ) {
                // SAFETY: features enabled on this function; forwarded contract.
                unsafe { outer_joined::<$s, V, HALF>(out, a, b, h) }
            }

            #[target_feature(enable = $feature)]
            #[inline(never)]
            unsafe fn panel<const V: usize, const HEAD: bool, const TAIL: bool>(
                out: &mut [$e],
                a: &[$e],
                b: &[$e],
                c: usize,
            ) {
                // SAFETY: features enabled on this function; forwarded contract.
                unsafe { outer_panel::<$s, V, HEAD, TAIL>(out, a, b, c) }
            }
        }

        /// The flat aligned kernel on one chunk, with `b ++ b[..W]` built on the stack for
        /// short rows, then a store fence after streaming stores when `fence` (see
        /// `outer::Walk::fence`). Kept out of line so that small products do not pay for its 4–8 KiB
        /// stack frame.
        ///
        /// # Safety
        /// The CPU supports the target features; `W ≤ b.len()`; the chunk lies inside the
        /// product.
        #[target_feature(enable = $feature)]
        #[inline(never)]
        unsafe fn $flat(
            out: &mut [$e],
            first: usize,
            a: &[$e],
            b: &[$e],
            stores: Stores,
            fence: bool,
        ) {
            let (n, w) = (b.len(), <$s as Simd>::W);
            let mut stack = [const { std::mem::MaybeUninit::<$e>::uninit() }; FLAT_STACK + MAX_LANES];
            let heap: Vec<$e>;
            let bext: &[$e] = if n <= FLAT_STACK {
                // Two plain copies: as one chained iterator it copied an element at a time,
                // which, once per product of a Kronecker stack, held f32 1×16 ⊗ 1024×512
                // (streamed) to 7.0 GB/s against 8.4 (Sapphire Rapids guest, 1 thread).
                let (body, wrap) = stack[..n + w].split_at_mut(n);
                for (d, &v) in body.iter_mut().zip(b) {
                    d.write(v);
                }
                for (d, &v) in wrap.iter_mut().zip(&b[..w]) {
                    d.write(v);
                }
                debug_assert!(n + w <= stack.len());
                // SAFETY: the first n + W elements were just written.
                unsafe { std::slice::from_raw_parts(stack.as_ptr().cast::<$e>(), n + w) }
            } else {
                heap = b.iter().chain(&b[..w]).copied().collect();
                &heap
            };
            // SAFETY: features enabled on this function; n ≥ W; bext as required; the driver
            // hands only ranges inside the product.
            unsafe {
                if stores == Stores::NonTemporal {
                    outer_flat::<$s, true>(out, first, a, b, bext);
                    if fence {
                        store_fence();
                    }
                } else {
                    outer_flat::<$s, false>(out, first, a, b, bext);
                }
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
            // SAFETY: features enabled on this function; write_row stays inside out.
            unsafe {
                let v = <$s as Simd>::splat(value);
                write_row::<$s>(out.as_mut_ptr(), out.len(), stores, |_| v, |_| value);
            }
            if stores == Stores::NonTemporal {
                store_fence();
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
                // Peeled to vector alignment like the ger kernel, so the baseline is the best
                // this pass can do on any buffer.
                let head = to_alignment::<$s>(p).min(len);
                while k < head {
                    *p.add(k) += value;
                    k += 1;
                }
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
    "avx512f,avx2,fma",
    Avx512F32,
    f32,
    outer_chunk_avx512_f32,
    outer_try_whole_avx512_f32,
    outer_chunked_avx512_f32,
    outer_whole_avx512_f32,
    outer_groups_avx512_f32,
    outer_flat_avx512_f32,
    rank1_avx512_f32,
    fill_avx512_f32,
    add_in_place_avx512_f32
);
entry_points!(
    "avx512f,avx2,fma",
    Avx512F64,
    f64,
    outer_chunk_avx512_f64,
    outer_try_whole_avx512_f64,
    outer_chunked_avx512_f64,
    outer_whole_avx512_f64,
    outer_groups_avx512_f64,
    outer_flat_avx512_f64,
    rank1_avx512_f64,
    fill_avx512_f64,
    add_in_place_avx512_f64
);
entry_points!(
    "avx2,fma",
    Avx2F32,
    f32,
    outer_chunk_avx2_f32,
    outer_try_whole_avx2_f32,
    outer_chunked_avx2_f32,
    outer_whole_avx2_f32,
    outer_groups_avx2_f32,
    outer_flat_avx2_f32,
    rank1_avx2_f32,
    fill_avx2_f32,
    add_in_place_avx2_f32
);
entry_points!(
    "avx2,fma",
    Avx2F64,
    f64,
    outer_chunk_avx2_f64,
    outer_try_whole_avx2_f64,
    outer_chunked_avx2_f64,
    outer_whole_avx2_f64,
    outer_groups_avx2_f64,
    outer_flat_avx2_f64,
    rank1_avx2_f64,
    fill_avx2_f64,
    add_in_place_avx2_f64
);
entry_points!(
    "sse2",
    Sse2F32,
    f32,
    outer_chunk_sse2_f32,
    outer_try_whole_sse2_f32,
    outer_chunked_sse2_f32,
    outer_whole_sse2_f32,
    outer_groups_sse2_f32,
    outer_flat_sse2_f32,
    rank1_sse2_f32,
    fill_sse2_f32,
    add_in_place_sse2_f32
);
entry_points!(
    "sse2",
    Sse2F64,
    f64,
    outer_chunk_sse2_f64,
    outer_try_whole_sse2_f64,
    outer_chunked_sse2_f64,
    outer_whole_sse2_f64,
    outer_groups_sse2_f64,
    outer_flat_sse2_f64,
    rank1_sse2_f64,
    fill_sse2_f64,
    add_in_place_sse2_f64
);

/// `sfence`: streaming stores made before it are globally visible before any store after it.
pub(crate) fn store_fence() {
    if cfg!(miri) {
        // Miri has no `sfence`, and runs streaming stores as ordinary ones, which need none.
        return;
    }
    debug_assert!(is_x86_feature_detected!("sse"));
    // SAFETY: SSE is part of the x86_64 baseline, so the instruction exists on every CPU this
    // code runs on; it touches no memory of its own.
    unsafe { _mm_sfence() }
}

/// Whether CPUID names the vendor "GenuineIntel".
pub(crate) fn is_intel() -> bool {
    if cfg!(miri) {
        // Miri cannot run CPUID; the vendor only tunes walks, never what is computed.
        return false;
    }
    #[allow(unused_unsafe)]
    // SAFETY: CPUID leaf 0 exists on every x86_64 CPU.
    let r = unsafe { __cpuid(0) };
    r.ebx == u32::from_le_bytes(*b"Genu")
        && r.edx == u32::from_le_bytes(*b"ineI")
        && r.ecx == u32::from_le_bytes(*b"ntel")
}

/// Data cache sizes from CPUID's deterministic cache parameters (leaf 4 on Intel, leaf
/// 0x8000_001D on AMD); `None` when the CPU does not report them.
pub(crate) fn detect_caches() -> Option<CacheSizes> {
    if cfg!(miri) {
        // Miri cannot run CPUID: the fallback sizes apply, as on a CPU that reports none.
        return None;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `halves` of two splats, read back lane by lane.
    fn halves_lanes<S: Simd>(x: S::E, y: S::E) -> Vec<S::E> {
        let mut out = vec![x; S::W];
        // SAFETY: callers check that the CPU supports S; out holds one vector.
        unsafe { S::storeu(out.as_mut_ptr(), S::halves(S::splat(x), S::splat(y))) };
        out
    }

    fn check<S: Simd>(x: S::E, y: S::E)
    where
        S::E: PartialEq + std::fmt::Debug,
    {
        let got = halves_lanes::<S>(x, y);
        let want: Vec<S::E> = (0..S::W)
            .map(|l| if l < S::W / 2 { x } else { y })
            .collect();
        assert_eq!(got, want);
    }

    /// `select_lt(k, ·, ·)` of two splats for every `k` in `0..=W`, lane by lane.
    fn check_select<S: Simd>(x: S::E, y: S::E)
    where
        S::E: PartialEq + std::fmt::Debug,
    {
        for k in 0..=S::W {
            let mut got = vec![x; S::W];
            // SAFETY: callers check that the CPU supports S; got holds one vector.
            unsafe { S::storeu(got.as_mut_ptr(), S::select_lt(k, S::splat(x), S::splat(y))) };
            let want: Vec<S::E> = (0..S::W).map(|l| if l < k { x } else { y }).collect();
            assert_eq!(got, want, "k = {k}");
        }
    }

    /// `load_part` reads exactly `lanes` elements (zeros above) and `store_part` writes
    /// exactly `lanes`, for every power of two below `W`.
    fn check_parts<S: Simd>(of: impl Fn(u8) -> S::E)
    where
        S::E: PartialEq + std::fmt::Debug,
    {
        let zero = of(0);
        let src: Vec<S::E> = (1..=S::W as u8).map(&of).collect();
        let mut lanes = 1;
        while lanes < S::W {
            let mut back = vec![zero; S::W];
            let mut dst = vec![of(99); S::W + 1];
            // SAFETY: callers check that the CPU supports S; src and back hold one vector,
            // dst holds lanes + 1 elements and more.
            unsafe {
                let v = S::load_part(src.as_ptr(), lanes);
                S::storeu(back.as_mut_ptr(), v);
                S::store_part(dst.as_mut_ptr(), v, lanes);
            }
            let want: Vec<S::E> = (0..S::W)
                .map(|l| if l < lanes { src[l] } else { zero })
                .collect();
            assert_eq!(back, want, "load_part, lanes = {lanes}");
            assert_eq!(&dst[..lanes], &src[..lanes], "store_part, lanes = {lanes}");
            assert!(
                dst[lanes..].iter().all(|&d| d == of(99)),
                "store_part wrote past {lanes}"
            );
            lanes *= 2;
        }
    }

    /// `concat(tail, k, head)` for every `k` in `1..W`, reading parts that end at the edge of
    /// their buffers (so a read past either part would fall outside them).
    fn check_concat<S: Simd>(of: impl Fn(u8) -> S::E)
    where
        S::E: PartialEq + std::fmt::Debug,
    {
        for k in 1..S::W {
            let tail: Vec<S::E> = (0..k as u8).map(|l| of(10 + l)).collect();
            let head: Vec<S::E> = (0..(S::W - k) as u8).map(|l| of(50 + l)).collect();
            let mut got = vec![of(0); S::W];
            // SAFETY: callers check that the CPU supports S; the parts hold k and W − k.
            unsafe { S::storeu(got.as_mut_ptr(), S::concat(tail.as_ptr(), k, head.as_ptr())) };
            let want: Vec<S::E> = tail.iter().chain(&head).copied().collect();
            assert_eq!(got, want, "k = {k}");
        }
    }

    #[test]
    fn lane_helpers_match_their_definitions_on_every_instruction_set() {
        fn all<S: Simd>(of: impl Fn(u8) -> S::E + Copy)
        where
            S::E: PartialEq + std::fmt::Debug,
        {
            check::<S>(of(1), of(2));
            check_select::<S>(of(1), of(2));
            check_parts::<S>(of);
            check_concat::<S>(of);
        }
        all::<Sse2F32>(f32::from);
        all::<Sse2F64>(f64::from);
        if std::is_x86_feature_detected!("avx2") {
            all::<Avx2F32>(f32::from);
            all::<Avx2F64>(f64::from);
        }
        if std::is_x86_feature_detected!("avx512f") {
            all::<Avx512F32>(f32::from);
            all::<Avx512F64>(f64::from);
        }
    }
}
