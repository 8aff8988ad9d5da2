//! Element types.
//!
//! [`Scalar`] is what every kernel accepts: any `num_traits::Num + Copy + Send + Sync + 'static`
//! type, so all primitive integers and floats, `std::num::Wrapping<_>` and
//! `num_complex::Complex<_>`. [`Float`] adds what the gradient module needs (`exp`, `ln`, …).
//!
//! `f32` and `f64` are routed to the SIMD kernels by comparing `TypeId`s once per call (see
//! [`ScalarKind`]); every other type takes the blocked generic path. Integer arithmetic is Rust's
//! own: an overflowing product panics in debug builds and wraps in release builds. Use
//! `std::num::Wrapping<T>` when wrapping is what you want in every build.

use std::any::TypeId;
use std::fmt::{Debug, Display};

/// An element type the kernels accept. Implemented for every type that satisfies the bounds.
pub trait Scalar: num_traits::Num + Copy + Send + Sync + 'static {}

impl<T: num_traits::Num + Copy + Send + Sync + 'static> Scalar for T {}

/// A real floating-point element type (`f32` or `f64`), as the gradient module needs.
pub trait Float:
    Scalar + num_traits::Float + num_traits::FromPrimitive + Debug + Display + Default
{
}

impl<T: Scalar + num_traits::Float + num_traits::FromPrimitive + Debug + Display + Default> Float
    for T
{
}

/// Which kernel family an element type is routed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScalarKind {
    F32,
    F64,
    Other,
}

impl ScalarKind {
    /// Classifies `T`; the comparison of two constant `TypeId`s folds away after inlining.
    #[inline]
    pub(crate) fn of<T: 'static>() -> Self {
        if TypeId::of::<T>() == TypeId::of::<f32>() {
            ScalarKind::F32
        } else if TypeId::of::<T>() == TypeId::of::<f64>() {
            ScalarKind::F64
        } else {
            ScalarKind::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::Wrapping;

    fn is_scalar<T: Scalar>() {}

    #[test]
    fn bounds_cover_the_documented_types() {
        is_scalar::<i8>();
        is_scalar::<u64>();
        is_scalar::<i128>();
        is_scalar::<f32>();
        is_scalar::<Wrapping<u8>>();
        is_scalar::<num_complex::Complex<f64>>();
    }

    #[test]
    fn kind_routes_only_f32_and_f64() {
        assert_eq!(ScalarKind::of::<f32>(), ScalarKind::F32);
        assert_eq!(ScalarKind::of::<f64>(), ScalarKind::F64);
        assert_eq!(ScalarKind::of::<i32>(), ScalarKind::Other);
        assert_eq!(ScalarKind::of::<Wrapping<f32>>(), ScalarKind::Other);
    }
}
