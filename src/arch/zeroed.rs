//! Zero-filled float buffers straight from the allocator.
//!
//! `Vec::resize(n, 0.0)` writes every element. `alloc_zeroed` on a large request gets fresh
//! pages from the OS, which are zero already, so an output buffer that a kernel overwrites
//! anyway (`outer`, `kron`) is written once instead of twice.

use crate::scalar::{Scalar, ScalarKind};

/// `n` zeros of an `f32` or `f64` element type from `alloc_zeroed`; `None` for other element
/// types (whose zero need not be all-zero bits) and when the allocation fails or `n` elements
/// are too many bytes, so that the caller falls back to its general, error-reporting path.
pub(crate) fn zeroed_floats<T: Scalar>(n: usize) -> Option<Vec<T>> {
    if ScalarKind::of::<T>() == ScalarKind::Other {
        return None;
    }
    if n == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<T>(n).ok()?;
    debug_assert!(layout.size() > 0);
    // SAFETY: the layout has a non-zero size (n > 0 elements of f32 or f64).
    let p = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if p.is_null() {
        return None;
    }
    debug_assert!(p.is_aligned() && ScalarKind::of::<T>() != ScalarKind::Other);
    // SAFETY: `p` comes from the global allocator with the layout of `[T; n]`, which is the
    // layout a `Vec<T>` of capacity n uses; its n elements are all-zero bytes, which for f32
    // and f64 (the only types that reach here) is the valid value +0.0.
    Some(unsafe { Vec::from_raw_parts(p, n, n) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_come_back_zeroed_and_others_fall_back() {
        let v = zeroed_floats::<f64>(100_000).expect("f64 is supported");
        assert!(v.len() == 100_000 && v.iter().all(|x| x.to_bits() == 0));
        let v = zeroed_floats::<f32>(3).expect("f32 is supported");
        assert_eq!(v, [0.0; 3]);
        assert_eq!(zeroed_floats::<f32>(0), Some(Vec::new()));
        assert!(zeroed_floats::<i32>(4).is_none());
        assert!(zeroed_floats::<f64>(usize::MAX / 4).is_none());
    }
}
