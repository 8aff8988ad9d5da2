//! Portable kernels: plain loops over slices that the compiler auto-vectorises for the
//! baseline target (SSE2 on x86_64, NEON on aarch64). They are the generic path for every
//! non-float element type, the fallback for f32/f64 on other CPUs, and the reference twin the
//! SIMD kernels are tested against bit for bit.

use std::ops::Range;

use super::ger::{ProductOrder, Rank1Job, Rank1Row};
use super::outer::{OuterRow, Walk};
use super::Stores;
use crate::scalar::Scalar;

/// The plain-Rust row kernels. Always ordinary stores.
pub(crate) struct Plain;

impl<T: Scalar> OuterRow<T> for Plain {
    #[inline(always)]
    unsafe fn row(out: &mut [T], ai: T, b: &[T], _stores: Stores) {
        debug_assert_eq!(out.len(), b.len());
        for (o, &bj) in out.iter_mut().zip(b) {
            *o = ai * bj;
        }
    }
}

impl<T: Scalar> Rank1Row<T> for Plain {
    #[inline(always)]
    unsafe fn row(a: *mut T, inc: isize, s: T, v: &[T], scale: Option<T>, order: ProductOrder) {
        let product = |t: T| match order {
            ProductOrder::ScalarFirst => s * t,
            ProductOrder::VectorFirst => t * s,
        };
        if inc == 1 {
            debug_assert!(!a.is_null());
            // SAFETY: the caller guarantees `a` addresses v.len() contiguous elements that
            // nobody else touches during the call (Rank1Row::row's contract).
            let a = unsafe { std::slice::from_raw_parts_mut(a, v.len()) };
            match scale {
                Some(alpha) => {
                    for (e, &vk) in a.iter_mut().zip(v) {
                        *e = *e + product(alpha * vk);
                    }
                }
                None => {
                    for (e, &vk) in a.iter_mut().zip(v) {
                        *e = *e + product(vk);
                    }
                }
            }
            return;
        }
        for (k, &vk) in v.iter().enumerate() {
            let t = match scale {
                Some(alpha) => alpha * vk,
                None => vk,
            };
            debug_assert!(!a.is_null());
            // SAFETY: k < v.len(), so a + k·inc is one of the elements the caller handed us.
            unsafe {
                let e = a.offset(k as isize * inc);
                *e = *e + product(t);
            }
        }
    }
}

/// One chunk of the outer product with the plain kernel (see `outer::chunk`).
pub(crate) fn outer_chunk<T: Scalar>(out: &mut [T], first: usize, a: &[T], b: &[T], walk: Walk) {
    // SAFETY: the plain kernel needs no CPU feature; chunk checks the ranges itself.
    unsafe { super::outer::chunk::<T, Plain>(out, first, a, b, walk, Stores::Normal) }
}

/// One block of a rank-1 update with the plain kernel (see `ger::run_block`).
pub(crate) fn rank1<T: Scalar>(
    job: &Rank1Job<'_, T>,
    outer: Range<usize>,
    inner: Range<usize>,
    block: usize,
) {
    debug_assert!(outer.end <= job.outer_len && inner.end <= job.v.len());
    // SAFETY: the job came from a validated, exclusively borrowed view (ger::run) and this
    // block was given to this thread alone; the plain kernel needs no CPU feature.
    unsafe { super::ger::run_block::<T, Plain>(job, outer, inner, block) }
}

/// Writes `value` to every element with ordinary stores (the portable fill baseline).
pub(crate) fn fill<T: Scalar>(out: &mut [T], value: T) {
    out.fill(value);
}

/// `a[k] = a[k] + value` (the portable read-modify-write baseline).
pub(crate) fn add_in_place<T: Scalar>(a: &mut [T], value: T) {
    for e in a {
        *e = *e + value;
    }
}
