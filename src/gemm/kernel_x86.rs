//! AVX2+FMA microkernels: f64 8×6 and f32 16×6.
//!
//! Both keep the tile as 12 ymm accumulators (two vectors per column of C, six columns), load one
//! MR-element column of the packed A panel per step as two vectors, and broadcast the six
//! elements of the packed B row: 2 loads + 6 broadcasts per 12 FMAs, which leaves the two FMA
//! pipes of a Zen 3/4 or Haswell-class core as the bottleneck. The write-back computes
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

macro_rules! avx2_kernel {
    (
        $kernel:ident, $body:ident, $t:ty, $lanes:literal,
        $vzero:ident, $vload:ident, $vstore:ident, $vbcast:ident, $vfma:ident, $vmul:ident,
        $vset1:ident
    ) => {
        impl Microkernel<$t> for $kernel {
            const MR: usize = 2 * $lanes;
            const NR: usize = 6;

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
                debug_assert!(crate::arch::KernelPath::Avx2Fma.is_available());
                // SAFETY: the caller upholds `Microkernel::run`'s contract, which is exactly
                // `$body`'s, including the AVX2+FMA requirement checked above in debug builds.
                unsafe { $body(kc, alpha, a, b, beta, c, rs_c, cs_c, m, n) }
            }
        }

        /// # Safety
        /// As [`Microkernel::run`]: panels of `kc·MR` and `kc·NR` elements, `m ≤ MR`, `n ≤ NR`,
        /// an exclusive valid m×n C, and AVX2+FMA available.
        #[target_feature(enable = "avx2,fma")]
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
            const L: usize = $lanes;
            const MR: usize = 2 * L;
            const NR: usize = 6;
            debug_assert!(m <= MR && n <= NR);
            let full = m == MR && n == NR && rs_c == 1;
            // SAFETY: every pointer below stays inside the regions of the contract: step p
            // reads a[p·MR .. p·MR + MR] and b[p·NR .. p·NR + NR] for p < kc, and C is touched
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
                let mut ap = a;
                let mut bp = b;
                macro_rules! step {
                    () => {{
                        let a0 = $vload(ap);
                        let a1 = $vload(ap.add(L));
                        for j in 0..NR {
                            let bj = $vbcast(&*bp.add(j));
                            acc[j][0] = $vfma(a0, bj, acc[j][0]);
                            acc[j][1] = $vfma(a1, bj, acc[j][1]);
                        }
                        ap = ap.add(MR);
                        bp = bp.add(NR);
                    }};
                }
                for _ in 0..kc / 4 {
                    step!();
                    step!();
                    step!();
                    step!();
                }
                for _ in 0..kc % 4 {
                    step!();
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

avx2_kernel!(
    Avx2F64,
    kernel_f64_8x6,
    f64,
    4,
    _mm256_setzero_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_broadcast_sd,
    _mm256_fmadd_pd,
    _mm256_mul_pd,
    _mm256_set1_pd
);

avx2_kernel!(
    Avx2F32,
    kernel_f32_16x6,
    f32,
    8,
    _mm256_setzero_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_broadcast_ss,
    _mm256_fmadd_ps,
    _mm256_mul_ps,
    _mm256_set1_ps
);

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
