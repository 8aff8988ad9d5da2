//! Physical baselines for the benches: how fast this machine fills a buffer with 256-bit (or
//! the path's widest) ordinary stores, with non-temporal stores, and how fast it reads, modifies
//! and writes one in place. outer is compared with the fills, ger with the in-place pass.
//!
//! They run on the calling thread; benches split the buffer across threads themselves.

use super::{active, cast_slice_mut, FloatKernels, Stores};
use crate::scalar::{Scalar, ScalarKind};

/// Writes `value` to every element of `out` with the active path's widest stores of the
/// given kind (other element types: `slice::fill`).
pub fn fill<T: Scalar>(out: &mut [T], value: T, stores: Stores) {
    let path = active();
    match ScalarKind::of::<T>() {
        ScalarKind::F32 => {
            let v = [value];
            if let (Some(o), Some(v)) = (
                cast_slice_mut::<T, f32>(out),
                super::cast_slice::<T, f32>(&v),
            ) {
                return f32::fill(path, o, v[0], stores);
            }
        }
        ScalarKind::F64 => {
            let v = [value];
            if let (Some(o), Some(v)) = (
                cast_slice_mut::<T, f64>(out),
                super::cast_slice::<T, f64>(&v),
            ) {
                return f64::fill(path, o, v[0], stores);
            }
        }
        ScalarKind::Other => {}
    }
    out.fill(value);
}

/// `a[k] = a[k] + value` for every element, with the active path's widest loads and stores:
/// one read and one write of every line, the memory traffic of a rank-1 update.
pub fn add_in_place<T: Scalar>(a: &mut [T], value: T) {
    let path = active();
    match ScalarKind::of::<T>() {
        ScalarKind::F32 => {
            let v = [value];
            if let (Some(o), Some(v)) =
                (cast_slice_mut::<T, f32>(a), super::cast_slice::<T, f32>(&v))
            {
                return f32::add_in_place(path, o, v[0]);
            }
        }
        ScalarKind::F64 => {
            let v = [value];
            if let (Some(o), Some(v)) =
                (cast_slice_mut::<T, f64>(a), super::cast_slice::<T, f64>(&v))
            {
                return f64::add_in_place(path, o, v[0]);
            }
        }
        ScalarKind::Other => {}
    }
    super::portable::add_in_place(a, value);
}
