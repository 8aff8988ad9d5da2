//! x86_64 microkernels: AVX2+FMA f64 8×6 and f32 16×6, AVX-512 f64 16×12 and f32 32×12.
//!
//! All keep the tile in registers as two vectors per column of C (12 ymm accumulators for
//! AVX2's six columns, 24 zmm for AVX-512's twelve of its 32 registers), load one MR-element
//! column of the packed A panel per step as two vectors, and broadcast the NR elements of the
//! packed B row: 2 loads + NR broadcasts per 2·NR FMAs, which leaves the two FMA pipes of a
//! Zen 3/4, Haswell-class or AVX-512 server core as the bottleneck. The write-back computes
//! `α·acc` and then `fma(β, C, α·acc)` (C not read when β = 0). Partial tiles and C with a
//! non-unit row stride run the same write-back code on a stack copy of the m×n corner, so every
//! element of C sees the same operations wherever its tile lies (1 vs N threads stay bitwise
//! equal) and nothing outside C is read or written.

use core::arch::x86_64::*;

use super::kernel::Microkernel;

/// The 8×6 f64 kernel.
pub(crate) struct Avx2F64;
/// The 16×6 f32 kernel.
pub(crate) struct Avx2F32;
/// The 16×12 f64 AVX-512 kernel.
pub(crate) struct Avx512F64;
/// The 32×12 f32 AVX-512 kernel.
pub(crate) struct Avx512F32;

macro_rules! simd_kernel {
    (
        $feature:literal, $path:ident, $kernel:ident, $body:ident, $strided:ident,
        $generic:ident, $t:ty, $lanes:literal, $nr:literal, $vzero:ident, $vload:ident,
        $vstore:ident, $vbcast:ident, $vfma:ident, $vmul:ident, $vset1:ident
    ) => {
        impl Microkernel<$t> for $kernel {
            const MR: usize = 2 * $lanes;
            const NR: usize = $nr;

            #[inline]
            unsafe fn run(
                kc: usize,
                alpha: $t,
                a: *const $t,
                b: *const $t,
                beta: $t,
                c: *mut $t,
                rs_c: isize,
                cs_c: isize,
                m: usize,
                n: usize,
            ) {
                debug_assert!(crate::arch::KernelPath::$path.is_available());
                // SAFETY: the caller upholds `Microkernel::run`'s contract, which is exactly
                // `$body`'s, including the CPU features checked above in debug builds.
                unsafe { $body(kc, alpha, a, b, beta, c, rs_c, cs_c, m, n) }
            }

            #[inline]
            unsafe fn run_strided(
                kc: usize,
                alpha: $t,
                a: *const $t,
                a_step: isize,
                b: *const $t,
                b_rs: isize,
                b_cs: isize,
                beta: $t,
                c: *mut $t,
                rs_c: isize,
                cs_c: isize,
                m: usize,
                n: usize,
            ) {
                debug_assert!(crate::arch::KernelPath::$path.is_available());
                // SAFETY: the caller upholds `Microkernel::run_strided`'s contract, which is
                // `$strided`'s, including the CPU features.
                unsafe {
                    $strided(
                        kc, alpha, a, a_step, b, b_rs, b_cs, beta, c, rs_c, cs_c, m, n,
                    )
                }
            }
        }

        /// # Safety
        /// As [`Microkernel::run_strided`], and the CPU features available.
        #[target_feature(enable = $feature)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $strided(
            kc: usize,
            alpha: $t,
            a: *const $t,
            a_step: isize,
            b: *const $t,
            b_rs: isize,
            b_cs: isize,
            beta: $t,
            c: *mut $t,
            rs_c: isize,
            cs_c: isize,
            m: usize,
            n: usize,
        ) {
            debug_assert!(n >= 1);
            // SAFETY: forwarded; B is read only at columns j < n (the generic body clamps).
            unsafe {
                $generic::<1>(
                    kc, alpha, a, a_step, b, b_rs, b_cs, n, beta, c, rs_c, cs_c, m, n,
                )
            }
        }

        /// # Safety
        /// As [`Microkernel::run`], and the CPU features available.
        #[target_feature(enable = $feature)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $body(
            kc: usize,
            alpha: $t,
            a: *const $t,
            b: *const $t,
            beta: $t,
            c: *mut $t,
            rs_c: isize,
            cs_c: isize,
            m: usize,
            n: usize,
        ) {
            const MR: usize = 2 * $lanes;
            // SAFETY: forwarded; the packed panels have steps MR and NR and NR readable
            // (zero-padded) columns, so the constants below describe them exactly.
            unsafe {
                $generic::<4>(
                    kc,
                    alpha,
                    a,
                    MR as isize,
                    b,
                    $nr,
                    1,
                    $nr,
                    beta,
                    c,
                    rs_c,
                    cs_c,
                    m,
                    n,
                )
            }
        }

        /// The body shared by both entry points: A's step p at `a + p·a_step` (MR contiguous
        /// values), B's (p, j) at `b + p·b_rs + min(j, n_read − 1)·b_cs`, the k loop unrolled
        /// `UNROLL` times. The packed entry unrolls by 4; the strided one does not, because
        /// with run-time strides LLVM gives each unrolled step its own six B addresses, which
        /// spill (measured at 64³ f32 on the small path, Zen 3: 56 GFLOP/s unrolled, 90 not).
        ///
        /// # Safety
        /// As [`Microkernel::run_strided`] with `n_read` readable columns of B; only called from
        /// the `target_feature` wrappers above, into which it is inlined.
        #[inline(always)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $generic<const UNROLL: usize>(
            kc: usize,
            alpha: $t,
            a: *const $t,
            a_step: isize,
            b: *const $t,
            b_rs: isize,
            b_cs: isize,
            n_read: usize,
            beta: $t,
            c: *mut $t,
            rs_c: isize,
            cs_c: isize,
            m: usize,
            n: usize,
        ) {
            const L: usize = $lanes;
            const MR: usize = 2 * L;
            const NR: usize = $nr;
            debug_assert!(m <= MR && n <= NR && (1..=NR).contains(&n_read));
            let boff: [isize; NR] = std::array::from_fn(|j| j.min(n_read - 1) as isize * b_cs);
            let full = m == MR && n == NR && rs_c == 1;
            // SAFETY: every pointer below stays inside the regions of the contract: step p
            // reads a[p·a_step ..][..MR] and b[p·b_rs + j·b_cs] for p < kc, j < n_read, and C is touched
            // only at (i, j) with i < m, j < n (through the stack tile when the tile is partial
            // or its rows are not contiguous). The CPU features come from `target_feature`.
            unsafe {
                if full {
                    for j in 0..NR {
                        let cj = c.offset(j as isize * cs_c);
                        _mm_prefetch::<_MM_HINT_T0>(cj.cast());
                        _mm_prefetch::<_MM_HINT_T0>(cj.add(MR - 1).cast());
                    }
                }
                let mut acc = [[$vzero(); 2]; NR];
                // Step p's pointers from the operands' starts: advancing them past the last
                // step could leave A's or B's allocation (a strided operand read in place),
                // UB even undereferenced.
                macro_rules! step {
                    ($p:expr) => {{
                        let p = $p as isize;
                        let (ap, bp) = (a.offset(p * a_step), b.offset(p * b_rs));
                        let a0 = $vload(ap);
                        let a1 = $vload(ap.add(L));
                        for j in 0..NR {
                            let bj = $vbcast(&*bp.offset(boff[j]));
                            acc[j][0] = $vfma(a0, bj, acc[j][0]);
                            acc[j][1] = $vfma(a1, bj, acc[j][1]);
                        }
                    }};
                }
                if UNROLL == 4 {
                    for q in 0..kc / 4 {
                        step!(4 * q);
                        step!(4 * q + 1);
                        step!(4 * q + 2);
                        step!(4 * q + 3);
                    }
                    for p in kc / 4 * 4..kc {
                        step!(p);
                    }
                } else {
                    for p in 0..kc {
                        step!(p);
                    }
                }

                let va = $vset1(alpha);
                let vb = $vset1(beta);
                let read_c = beta != 0.0;
                // The one write-back, on a column-contiguous tile with column stride `ld`.
                let write_back = |dst: *mut $t, ld: isize| {
                    for (j, col) in acc.iter().enumerate() {
                        let d = dst.offset(j as isize * ld);
                        let mut r0 = $vmul(col[0], va);
                        let mut r1 = $vmul(col[1], va);
                        if read_c {
                            r0 = $vfma(vb, $vload(d), r0);
                            r1 = $vfma(vb, $vload(d.add(L)), r1);
                        }
                        $vstore(d, r0);
                        $vstore(d.add(L), r1);
                    }
                };
                if full {
                    write_back(c, cs_c);
                } else {
                    let mut tile = [0.0 as $t; MR * NR];
                    let t = tile.as_mut_ptr();
                    if read_c {
                        for j in 0..n {
                            for i in 0..m {
                                *t.add(j * MR + i) =
                                    *c.offset(i as isize * rs_c + j as isize * cs_c);
                            }
                        }
                    }
                    write_back(t, MR as isize);
                    for j in 0..n {
                        for i in 0..m {
                            *c.offset(i as isize * rs_c + j as isize * cs_c) = *t.add(j * MR + i);
                        }
                    }
                }
            }
        }
    };
}

simd_kernel!(
    "avx2,fma",
    Avx2Fma,
    Avx2F64,
    kernel_f64_8x6,
    kernel_f64_8x6_strided,
    kernel_f64_8x6_body,
    f64,
    4,
    6,
    _mm256_setzero_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_broadcast_sd,
    _mm256_fmadd_pd,
    _mm256_mul_pd,
    _mm256_set1_pd
);

simd_kernel!(
    "avx2,fma",
    Avx2Fma,
    Avx2F32,
    kernel_f32_16x6,
    kernel_f32_16x6_strided,
    kernel_f32_16x6_body,
    f32,
    8,
    6,
    _mm256_setzero_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_broadcast_ss,
    _mm256_fmadd_ps,
    _mm256_mul_ps,
    _mm256_set1_ps
);

simd_kernel!(
    "avx512f,avx2,fma",
    Avx512,
    Avx512F64,
    kernel_f64_16x12,
    kernel_f64_16x12_strided,
    kernel_f64_16x12_body,
    f64,
    8,
    12,
    _mm512_setzero_pd,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    broadcast_pd512,
    _mm512_fmadd_pd,
    _mm512_mul_pd,
    _mm512_set1_pd
);

simd_kernel!(
    "avx512f,avx2,fma",
    Avx512,
    Avx512F32,
    kernel_f32_32x12,
    kernel_f32_32x12_strided,
    kernel_f32_32x12_body,
    f32,
    16,
    12,
    _mm512_setzero_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    broadcast_ps512,
    _mm512_fmadd_ps,
    _mm512_mul_ps,
    _mm512_set1_ps
);

/// `_mm512_set1_ps(*p)`, the shape of `_mm256_broadcast_ss` (a broadcast load).
///
/// # Safety
/// AVX-512F is available.
#[inline(always)]
unsafe fn broadcast_ps512(p: &f32) -> __m512 {
    // SAFETY: register broadcast of a value read through a reference.
    unsafe { _mm512_set1_ps(*p) }
}

/// `_mm512_set1_pd(*p)`, the shape of `_mm256_broadcast_sd`.
///
/// # Safety
/// AVX-512F is available.
#[inline(always)]
unsafe fn broadcast_pd512(p: &f64) -> __m512d {
    // SAFETY: register broadcast of a value read through a reference.
    unsafe { _mm512_set1_pd(*p) }
}

#[cfg(test)]
mod tests {
    use super::super::kernel::tests::run_kernel;
    use super::super::kernel::Reference;
    use super::*;
    use crate::arch::KernelPath;

    /// Small integers keep every product and sum exact, so the SIMD kernels (which fuse the
    /// multiply-add) must match the reference kernel bit for bit.
    fn compare<T, K, R>(value: impl Fn(usize) -> T + Copy)
    where
        T: crate::Scalar + From<i8> + std::fmt::Debug,
        K: Microkernel<T>,
        R: Microkernel<T>,
    {
        assert!(
            KernelPath::Avx2Fma.is_available(),
            "this test needs AVX2+FMA"
        );
        assert_eq!((K::MR, K::NR), (R::MR, R::NR));
        for kc in [0, 1, 3, 4, 5, 17, 64] {
            for m in 1..=K::MR {
                for n in 1..=K::NR {
                    for (alpha, beta) in [(1i8, 0i8), (2, 1), (-1, 3), (1, -1)] {
                        let (alpha, beta) = (T::from(alpha), T::from(beta));
                        let got = run_kernel::<T, K>(kc, m, n, alpha, beta, value, value);
                        let want = run_kernel::<T, R>(kc, m, n, alpha, beta, value, value);
                        assert_eq!(got, want, "kc={kc} m={m} n={n}");
                    }
                }
            }
        }
    }

    #[test]
    fn f64_kernel_matches_reference() {
        compare::<f64, Avx2F64, Reference<8, 6>>(|i| ((i * 7919) % 9) as f64 - 4.0);
    }

    #[test]
    fn f32_kernel_matches_reference() {
        compare::<f32, Avx2F32, Reference<16, 6>>(|i| ((i * 7919) % 9) as f32 - 4.0);
    }

    /// The AVX-512 kernels, where the CPU has them (the test passes vacuously elsewhere, as
    /// the dispatch tests do for an unavailable path).
    #[test]
    fn avx512_kernels_match_reference() {
        if !KernelPath::Avx512.is_available() {
            return;
        }
        let f64v = |i: usize| ((i * 7919) % 9) as f64 - 4.0;
        let f32v = |i: usize| ((i * 7919) % 9) as f32 - 4.0;
        compare::<f64, Avx512F64, Reference<16, 12>>(f64v);
        compare::<f32, Avx512F32, Reference<32, 12>>(f32v);
        compare_strided::<f64, Avx512F64, Reference<16, 12>>(f64v);
        compare_strided::<f32, Avx512F32, Reference<32, 12>>(f32v);
    }

    /// The in-place variant on a strided B (only j < n read) and an A with a padded step.
    fn compare_strided<T, K, R>(value: impl Fn(usize) -> T + Copy)
    where
        T: crate::Scalar + From<i8> + std::fmt::Debug,
        K: Microkernel<T>,
        R: Microkernel<T>,
    {
        for kc in [0, 1, 5, 33] {
            for m in 1..=K::MR {
                for n in 1..=K::NR {
                    let a_step = K::MR as isize + 3;
                    let a: Vec<T> = (0..kc.max(1) * (K::MR + 3)).map(value).collect();
                    // B is n×… used as kc×n with row stride 1 and column stride kc + 2 (so a
                    // read of column n would fall outside the vector).
                    let b_cs = kc as isize + 2;
                    let b: Vec<T> = (0..(n - 1) * (kc + 2) + kc.max(1))
                        .map(|i| value(i + 7))
                        .collect();
                    let run = |strided: bool| {
                        let ld = m + 2;
                        let mut c: Vec<T> = (0..ld * n).map(|i| value(i + 3)).collect();
                        // SAFETY: the addresses are inside a, b and c by construction above.
                        unsafe {
                            if strided {
                                K::run_strided(
                                    kc,
                                    T::from(2),
                                    a.as_ptr(),
                                    a_step,
                                    b.as_ptr(),
                                    1,
                                    b_cs,
                                    T::from(-1),
                                    c.as_mut_ptr(),
                                    1,
                                    ld as isize,
                                    m,
                                    n,
                                );
                            } else {
                                R::run_strided(
                                    kc,
                                    T::from(2),
                                    a.as_ptr(),
                                    a_step,
                                    b.as_ptr(),
                                    1,
                                    b_cs,
                                    T::from(-1),
                                    c.as_mut_ptr(),
                                    1,
                                    ld as isize,
                                    m,
                                    n,
                                );
                            }
                        }
                        c
                    };
                    assert_eq!(run(true), run(false), "kc={kc} m={m} n={n}");
                }
            }
        }
    }

    #[test]
    fn strided_kernels_match_reference() {
        assert!(
            KernelPath::Avx2Fma.is_available(),
            "this test needs AVX2+FMA"
        );
        compare_strided::<f64, Avx2F64, Reference<8, 6>>(|i| ((i * 7919) % 9) as f64 - 4.0);
        compare_strided::<f32, Avx2F32, Reference<16, 6>>(|i| ((i * 7919) % 9) as f32 - 4.0);
    }

    #[test]
    fn beta_zero_does_not_read_c() {
        let value = |i: usize| ((i * 7919) % 9) as f64 - 4.0;
        for (m, n) in [(8, 6), (5, 3)] {
            let got = run_kernel::<f64, Avx2F64>(9, m, n, 1.0, 0.0, value, |_| f64::NAN);
            let ld = m + 3;
            for j in 0..n {
                for i in 0..m {
                    assert!(got[j * ld + i].is_finite(), "({i}, {j}) kept a NaN");
                }
            }
        }
    }
}
