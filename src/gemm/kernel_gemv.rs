//! The vector × matrix kernels of the skinny route (`skinny`): `acc = aᵀ·B` over contiguous
//! memory, as an axpy over B's rows (B row-major) or a dot product per column (B column-major).
//!
//! The bodies are plain slice loops that the compiler vectorises (SSE2 by default); on the
//! Avx2Fma path the same bodies are compiled with AVX2 enabled. No body uses an FMA and the
//! order of every sum is fixed by the code, not by the vector width, so both paths give
//! bitwise-identical results.

use crate::arch::KernelPath;
use crate::scalar::Scalar;
use crate::view::MatRef;
use std::ops::Range;

/// Independent partial sums in [`dot`]: four 256-bit registers of f32 (eight of f64), enough
/// to hide the latency of the vector add.
const LANES: usize = 32;

/// `acc[j] = Σₚ a[p]·B[p, cols.start + j]` for `j < acc.len()`, summed in the order of p
/// (from zero, one rounding per multiply and per add). B's rows must be contiguous (unit
/// column stride, or one column).
///
/// Panics (a caller bug) when B's rows are not contiguous, `cols` is outside B or
/// `acc.len() != cols.len()`.
pub(super) fn axpy_rows<T: Scalar>(
    path: KernelPath,
    acc: &mut [T],
    a: &[T],
    rows: MatRef<'_, T>,
    cols: Range<usize>,
) {
    debug_assert_eq!(a.len(), rows.rows());
    debug_assert_eq!(acc.len(), cols.len());
    #[cfg(target_arch = "x86_64")]
    if matches!(path, KernelPath::Avx2Fma | KernelPath::Avx512) {
        debug_assert!(KernelPath::Avx2Fma.is_available());
        // SAFETY: `arch` only makes Avx2Fma or Avx512 active when the CPU has AVX2 and FMA
        // (`with_kernel_path` refuses an unavailable path).
        unsafe { axpy_rows_avx2(acc, a, rows, cols) };
        return;
    }
    let _ = path;
    axpy_rows_body(acc, a, rows, cols);
}

/// `Σₚ a[p]·b[p]` (equal lengths) with [`LANES`] partial sums combined in a fixed tree, then the
/// tail in order.
pub(super) fn dot<T: Scalar>(path: KernelPath, a: &[T], b: &[T]) -> T {
    debug_assert_eq!(a.len(), b.len());
    #[cfg(target_arch = "x86_64")]
    if matches!(path, KernelPath::Avx2Fma | KernelPath::Avx512) {
        debug_assert!(KernelPath::Avx2Fma.is_available());
        // SAFETY: as in `axpy_rows`.
        return unsafe { dot_avx2(a, b) };
    }
    let _ = path;
    dot_body(a, b)
}

/// [`axpy_rows_body`] compiled for AVX2.
///
/// # Safety
/// The CPU supports AVX2 and FMA. (Bounds are checked by the safe body.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn axpy_rows_avx2<T: Scalar>(
    acc: &mut [T],
    a: &[T],
    rows: MatRef<'_, T>,
    cols: Range<usize>,
) {
    axpy_rows_body(acc, a, rows, cols);
}

/// [`dot_body`] compiled for AVX2.
///
/// # Safety
/// The CPU supports AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2<T: Scalar>(a: &[T], b: &[T]) -> T {
    dot_body(a, b)
}

#[inline(always)]
fn axpy_rows_body<T: Scalar>(acc: &mut [T], a: &[T], b: MatRef<'_, T>, cols: Range<usize>) {
    acc.fill(T::zero());
    let n = acc.len();
    let row = |p: usize| -> &[T] {
        let r = b
            .row(p)
            .as_slice()
            .expect("axpy_rows: B's rows are contiguous");
        &r[cols.clone()][..n]
    };
    // Four rows per pass: acc is loaded and stored once per four products, and the sum stays
    // ((acc + a₀r₀) + a₁r₁) + …, the same order as one row at a time.
    let groups = a.len() / 4 * 4;
    for p in (0..groups).step_by(4) {
        let (r0, r1, r2, r3) = (row(p), row(p + 1), row(p + 2), row(p + 3));
        let s = &a[p..p + 4];
        for j in 0..n {
            acc[j] = acc[j] + s[0] * r0[j] + s[1] * r1[j] + s[2] * r2[j] + s[3] * r3[j];
        }
    }
    for (p, &s) in a.iter().enumerate().skip(groups) {
        for (x, &v) in acc.iter_mut().zip(row(p)) {
            *x = *x + s * v;
        }
    }
}

#[inline(always)]
fn dot_body<T: Scalar>(a: &[T], b: &[T]) -> T {
    let mut part = [T::zero(); LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..LANES {
            part[l] = part[l] + x[l] * y[l];
        }
    }
    // Fixed pairwise tree: 32 → 16 → … → 1.
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            part[l] = part[l] + part[l + width];
        }
        width /= 2;
    }
    let mut sum = part[0];
    for (&x, &y) in ca.remainder().iter().zip(cb.remainder()) {
        sum = sum + x * y;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::with_kernel_path;

    fn data(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (((i + seed) * 2654435761) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    }

    /// Both kernels against plain loops, bitwise equal on every available path (the order of
    /// the sums is fixed by the code).
    #[test]
    fn kernels_match_plain_loops_on_every_path() {
        for k in [0, 1, 3, 4, 5, 31, 32, 33, 70] {
            let a = data(k, 1);
            let b = data(k * 19, 2);
            let rows = MatRef::row_major(&b, k, 19).unwrap();
            // Plain references with the kernels' summation orders.
            let mut want = vec![0.0f32; 15];
            for (p, r) in b.chunks_exact(19).enumerate() {
                for j in 0..15 {
                    want[j] += a[p] * r[2 + j];
                }
            }
            let want_dot = dot_body(&a, &b[..k]);
            for path in KernelPath::ALL.into_iter().filter(|p| p.is_available()) {
                with_kernel_path(path, || {
                    let mut acc = vec![f32::NAN; 15];
                    axpy_rows(path, &mut acc, &a, rows, 2..17);
                    assert_eq!(acc, want, "axpy k={k} {path:?}");
                    assert_eq!(dot(path, &a, &b[..k]).to_bits(), want_dot.to_bits());
                });
            }
            let exact: f64 = a.iter().zip(&b).map(|(&x, &y)| x as f64 * y as f64).sum();
            let mag: f64 = a
                .iter()
                .zip(&b)
                .map(|(&x, &y)| (x as f64 * y as f64).abs())
                .sum();
            let err = (want_dot as f64 - exact).abs();
            assert!(
                err <= (k as f64 + 1.0) * f32::EPSILON as f64 * mag,
                "dot k={k}"
            );
        }
    }
}
