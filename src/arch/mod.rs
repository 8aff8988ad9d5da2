//! Runtime CPU-feature dispatch.
//!
//! The features are detected once per process and cached; each public call reads the active
//! [`KernelPath`] once, on the calling thread, and passes it down, so worker threads never
//! re-detect. Tests and benches can force a path on the current thread with
//! [`with_kernel_path`] to compare the SIMD kernels against the portable ones bit for bit.

pub(crate) mod portable;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86;

use std::cell::Cell;
use std::sync::OnceLock;

use crate::scalar::Scalar;
use crate::view::{MatMut, VecRef};

/// A family of kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KernelPath {
    /// Plain Rust that the compiler auto-vectorises for the baseline target (SSE2 on x86_64,
    /// NEON on aarch64). Always available.
    Portable,
    /// x86_64 AVX2 + FMA kernels (`#[target_feature]` functions).
    Avx2Fma,
}

impl KernelPath {
    /// Whether this CPU can run the path.
    pub fn is_available(self) -> bool {
        match self {
            KernelPath::Portable => true,
            KernelPath::Avx2Fma => has_avx2_fma(),
        }
    }
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

/// The best path this CPU supports, detected once.
pub fn detected() -> KernelPath {
    static DETECTED: OnceLock<KernelPath> = OnceLock::new();
    *DETECTED.get_or_init(|| {
        if has_avx2_fma() {
            KernelPath::Avx2Fma
        } else {
            KernelPath::Portable
        }
    })
}

thread_local! {
    static FORCED: Cell<Option<KernelPath>> = const { Cell::new(None) };
}

/// The path a call starting on this thread uses: a forced one if set, else [`detected`].
#[inline]
pub(crate) fn active() -> KernelPath {
    FORCED.with(Cell::get).unwrap_or_else(detected)
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

/// `out[i·n + j] = a[i]·b[j]` with `out.len() == a.len()·b.len()`: the row-major outer product.
pub(crate) fn outer_row_major<T: Scalar>(out: &mut [T], a: &[T], b: &[T]) {
    debug_assert_eq!(out.len(), a.len() * b.len());
    portable::outer_row_major(out, a, b);
}

/// `A ← A + α x yᵀ` on validated views of matching shape (α ≠ 0, non-empty).
pub(crate) fn ger<T: Scalar>(alpha: T, x: VecRef<'_, T>, y: VecRef<'_, T>, a: MatMut<'_, T>) {
    debug_assert_eq!((a.rows(), a.cols()), (x.len(), y.len()));
    portable::ger(alpha, x, y, a);
}
