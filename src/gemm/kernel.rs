//! The microkernel contract and the scalar reference kernel.
//!
//! A microkernel is the innermost piece of the BLIS design: it keeps an MR×NR tile of C in
//! registers and adds `kc` outer products into it, one per step p, of column p of a packed A
//! micro-panel (MR values) with row p of a packed B micro-panel (NR values). It then writes
//! `α·tile + β·C` back to the (possibly partial) m×n corner of C it was given.

use crate::scalar::Scalar;

/// An MR×NR outer-product accumulator over packed panels.
pub(crate) trait Microkernel<T: Scalar>: Send + Sync + 'static {
    /// Rows of the register tile (rows of a packed A micro-panel).
    const MR: usize;
    /// Columns of the register tile (columns of a packed B micro-panel).
    const NR: usize;

    /// `C[0..m, 0..n] ← α·Σₚ a[p·MR..][..m] b[p·NR..][..n]ᵀ + β·C[0..m, 0..n]`, where element
    /// `(i, j)` of C is `c + i·rs_c + j·cs_c`. When `β = 0`, C is not read.
    ///
    /// # Safety
    /// - `a` is valid for reads of `kc·MR` elements and `b` of `kc·NR` elements (zero padding
    ///   included), both aligned for `T`;
    /// - `m ≤ MR`, `n ≤ NR`, and every `c + i·rs_c + j·cs_c` with `i < m`, `j < n` is valid for
    ///   reads and writes, addresses a distinct element, and no other thread touches them;
    /// - the kernel's CPU features (for the SIMD kernels, AVX2 and FMA) are available.
    #[allow(clippy::too_many_arguments)]
    unsafe fn run(
        kc: usize,
        alpha: T,
        a: *const T,
        b: *const T,
        beta: T,
        c: *mut T,
        rs_c: isize,
        cs_c: isize,
        m: usize,
        n: usize,
    );
}

/// The scalar reference kernel: plain loops over an `MR×NR` array of accumulators, for any
/// [`Scalar`]. It is the generic blocked path for every type other than `f32`/`f64`, the portable
/// path for those two, and the yardstick the SIMD kernels are tested against.
pub(crate) struct Reference<const MR: usize, const NR: usize>;

impl<T: Scalar, const MR: usize, const NR: usize> Microkernel<T> for Reference<MR, NR> {
    const MR: usize = MR;
    const NR: usize = NR;

    #[inline]
    unsafe fn run(
        kc: usize,
        alpha: T,
        a: *const T,
        b: *const T,
        beta: T,
        c: *mut T,
        rs_c: isize,
        cs_c: isize,
        m: usize,
        n: usize,
    ) {
        debug_assert!(m <= MR && n <= NR);
        let mut acc = [[T::zero(); MR]; NR];
        for p in 0..kc {
            debug_assert!(p * MR + MR <= kc * MR && p * NR + NR <= kc * NR);
            // SAFETY: p < kc, so p·MR + MR ≤ kc·MR and p·NR + NR ≤ kc·NR, within the panels the
            // caller vouched for (# Safety, first point).
            let (ap, bp) = unsafe {
                (
                    std::slice::from_raw_parts(a.add(p * MR), MR),
                    std::slice::from_raw_parts(b.add(p * NR), NR),
                )
            };
            for (col, &bj) in acc.iter_mut().zip(bp) {
                for (x, &ai) in col.iter_mut().zip(ap) {
                    *x = *x + ai * bj;
                }
            }
        }
        for (j, col) in acc.iter().enumerate().take(n) {
            for (i, &x) in col.iter().enumerate().take(m) {
                debug_assert!(i < m && j < n);
                // SAFETY: i < m and j < n, so this is one of the C elements the caller made
                // valid and exclusive to us (# Safety, second point).
                unsafe {
                    let cij = c.offset(i as isize * rs_c + j as isize * cs_c);
                    *cij = if beta == T::zero() {
                        alpha * x
                    } else {
                        alpha * x + beta * *cij
                    };
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Runs kernel `K` on random panels and a strided C and returns C, for comparisons.
    pub(crate) fn run_kernel<T: Scalar, K: Microkernel<T>>(
        kc: usize,
        m: usize,
        n: usize,
        alpha: T,
        beta: T,
        value: impl Fn(usize) -> T,
        c_value: impl Fn(usize) -> T,
    ) -> Vec<T> {
        let a: Vec<T> = (0..kc * K::MR).map(|i| value(3 * i + 1)).collect();
        let b: Vec<T> = (0..kc * K::NR).map(|i| value(5 * i + 2)).collect();
        // C is column-major with a padded leading dimension, plus a guard band that must not
        // change.
        let ld = m + 3;
        let guard = value(7);
        let mut c: Vec<T> = (0..ld * n + 5).map(|i| c_value(11 * i + 3)).collect();
        for j in 0..n {
            for i in m..ld {
                c[j * ld + i] = guard;
            }
        }
        let len = c.len();
        for x in &mut c[ld * n..len] {
            *x = guard;
        }
        debug_assert!(m <= K::MR && n <= K::NR);
        // SAFETY: the panels hold kc·MR and kc·NR elements; C has ld·n ≥ every addressed
        // offset + 1 and is exclusively borrowed here.
        unsafe {
            K::run(
                kc,
                alpha,
                a.as_ptr(),
                b.as_ptr(),
                beta,
                c.as_mut_ptr(),
                1,
                ld as isize,
                m,
                n,
            );
        }
        for j in 0..n {
            for i in m..ld {
                assert!(
                    c[j * ld + i] == guard,
                    "kernel wrote outside C at ({i}, {j})"
                );
            }
        }
        assert!(c[ld * n..].iter().all(|&x| x == guard), "wrote past C");
        c
    }

    #[test]
    fn reference_kernel_is_exact_on_integers() {
        for (m, n) in [(4, 4), (1, 1), (3, 2), (4, 1)] {
            for kc in [0, 1, 5] {
                let val = |i: usize| (i % 7) as i64 - 3;
                let got = run_kernel::<i64, Reference<4, 4>>(kc, m, n, 2, 3, val, val);
                let ld = m + 3;
                for j in 0..n {
                    for i in 0..m {
                        let dot: i64 = (0..kc)
                            .map(|p| val(3 * (p * 4 + i) + 1) * val(5 * (p * 4 + j) + 2))
                            .sum();
                        assert_eq!(got[j * ld + i], 2 * dot + 3 * val(11 * (j * ld + i) + 3));
                    }
                }
            }
        }
    }
}
