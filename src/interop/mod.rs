//! Zero-copy conversions to and from `ndarray`, `nalgebra` and `faer`, behind the features of
//! the same names (none is on by default).
//!
//! All conversions are `From`/`TryFrom` impls, so they read as `MatRef::try_from(a.view())?`
//! and keep the foreign view's lifetime:
//!
//! | from | to | cost |
//! | --- | --- | --- |
//! | a foreign matrix view, or `&`/`&mut` of a foreign matrix | [`MatRef`]/[`MatMut`] (`TryFrom`) | zero-copy, any strides the library allows |
//! | a foreign vector view, or `&`/`&mut` of a foreign vector | [`VecRef`]/[`VecMut`] (`TryFrom`) | zero-copy |
//! | [`MatRef`]/[`MatMut`]/[`VecRef`]/[`VecMut`] | the library's views | zero-copy (`From`; `TryFrom` for nalgebra, whose strides are unsigned) |
//! | [`Matrix`] ↔ `ndarray::Array2` | | zero-copy: the `Vec` moves (a non-standard-layout `Array2` is copied) |
//! | [`Matrix`] ↔ `nalgebra::DMatrix`, `faer::Mat` | | copies: `DMatrix` is column-major and `faer::Mat` pads its columns, while [`Matrix`] is packed row-major; view through [`Matrix::view`] to avoid the copy |
//!
//! Foreign → outerprod conversions return `Result` for uniformity and for the cases a view
//! cannot be represented: a mutable view whose strides reach one element twice (`Aliasing`),
//! or one whose extent overflows `isize` (`Overflow`). Neither arises from the libraries' safe
//! constructors. In the other direction only nalgebra can refuse, for a negative stride.
//!
//! Negative strides are kept as they are: an ndarray view with an inverted axis, or a faer
//! `reverse_rows()`, arrives as an outerprod view with a negative stride, and back.
//!
//! No conversion builds a slice over the span of a strided view: the gaps of a sub-block (or the
//! padding of a `faer::Mat`) may be uninitialised or mutably borrowed by a sibling view, so the
//! views are built from the foreign pointer and strides, element by element valid.
//!
//! [`MatRef`]: crate::MatRef
//! [`MatMut`]: crate::MatMut
//! [`VecRef`]: crate::VecRef
//! [`VecMut`]: crate::VecMut
//! [`Matrix`]: crate::Matrix
//! [`Matrix::view`]: crate::Matrix::view

#[cfg(feature = "faer")]
pub mod faer;
#[cfg(feature = "nalgebra")]
pub mod nalgebra;
#[cfg(feature = "ndarray")]
pub mod ndarray;

use std::ptr::NonNull;

use crate::error::{ErrorKind, ShapeError};
use crate::view::extent;
use crate::view::{MatMut, MatRef, VecMut, VecRef};

/// The argument name that conversion errors carry.
const ARG: &str = "view";

/// Checks that a foreign view's dimensions and strides describe addresses that fit in
/// `isize` bytes, and turns its element-0 pointer into a `NonNull` (dangling when empty).
fn check_raw<T>(ptr: *const T, dims: &[(usize, isize)]) -> Result<NonNull<T>, ShapeError> {
    extent::checked_count(ARG, dims)?;
    let Some((lo, hi)) = extent::span(0, dims) else {
        // Empty: the pointer is never dereferenced, and the foreign one may be dangling.
        return Ok(NonNull::new(ptr.cast_mut()).unwrap_or(NonNull::dangling()));
    };
    let bytes = (hi - lo + 1) * std::mem::size_of::<T>().max(1) as i128;
    if bytes > isize::MAX as i128 {
        return Err(ShapeError::new(
            ErrorKind::Overflow,
            ARG,
            "a span of at most isize::MAX bytes",
            format!("{bytes} bytes ({})", describe(dims)),
        ));
    }
    NonNull::new(ptr.cast_mut()).ok_or_else(|| {
        ShapeError::new(
            ErrorKind::InvalidValue,
            ARG,
            "a non-null pointer to element 0",
            "a null pointer",
        )
    })
}

fn describe(dims: &[(usize, isize)]) -> String {
    dims.iter()
        .map(|(n, s)| format!("{n}×{s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A [`MatRef`] over a foreign read-only view.
///
/// # Safety
/// `ptr`, `rows`, `cols` and the strides describe a live foreign view that lends its elements
/// for reading during `'a`: each addressed element is initialised, inside one allocation, and
/// not written through any other path during `'a` (what an ndarray `ArrayView`, a nalgebra
/// storage or a faer `MatRef` guarantees).
unsafe fn mat_ref<'a, T>(
    ptr: *const T,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
) -> Result<MatRef<'a, T>, ShapeError> {
    let ptr = check_raw(ptr, &[(rows, row_stride), (cols, col_stride)])?;
    debug_assert!(
        extent::span(0, &[(rows, row_stride), (cols, col_stride)])
            .is_none_or(
                |(lo, hi)| (hi - lo + 1) * std::mem::size_of::<T>() as i128 <= isize::MAX as i128
            )
    );
    // SAFETY: the caller vouches for the elements (see `# Safety`); `check_raw` made the
    // pointer non-null and proved the span fits in isize, as `from_raw_parts` requires.
    Ok(unsafe { MatRef::from_raw_parts(ptr, rows, cols, row_stride, col_stride) })
}

/// A [`MatMut`] over a foreign mutable view.
///
/// # Errors
/// `Aliasing` when two index pairs reach one element.
///
/// # Safety
/// As [`mat_ref`], and the foreign view lends its elements exclusively (no reads or writes
/// through other paths) during `'a`.
unsafe fn mat_mut<'a, T>(
    ptr: *mut T,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
) -> Result<MatMut<'a, T>, ShapeError> {
    let ptr = check_raw(ptr, &[(rows, row_stride), (cols, col_stride)])?;
    extent::check_no_alias_2d(ARG, rows, cols, row_stride, col_stride)?;
    debug_assert!(extent::check_no_alias_2d(ARG, rows, cols, row_stride, col_stride).is_ok());
    // SAFETY: the caller lends the elements exclusively for 'a (see `# Safety`); `check_raw`
    // and `check_no_alias_2d` established a non-null pointer, an isize-sized span and
    // distinct addresses, as `from_raw_parts` requires.
    Ok(unsafe { MatMut::from_raw_parts(ptr, rows, cols, row_stride, col_stride) })
}

/// A [`VecRef`] over a foreign read-only vector view.
///
/// # Safety
/// As [`mat_ref`] with one column.
unsafe fn vec_ref<'a, T>(
    ptr: *const T,
    len: usize,
    stride: isize,
) -> Result<VecRef<'a, T>, ShapeError> {
    // SAFETY: forwarded from the caller; a len×1 matrix addresses the same elements.
    let m = unsafe { mat_ref(ptr, len, 1, stride, 0)? };
    Ok(m.col(0))
}

/// A [`VecMut`] over a foreign mutable vector view.
///
/// # Errors
/// `Aliasing` when `stride == 0` and `len > 1`.
///
/// # Safety
/// As [`mat_mut`] with one column.
unsafe fn vec_mut<'a, T>(
    ptr: *mut T,
    len: usize,
    stride: isize,
) -> Result<VecMut<'a, T>, ShapeError> {
    // SAFETY: forwarded from the caller; a len×1 matrix addresses the same elements.
    let m = unsafe { mat_mut(ptr, len, 1, stride, 0)? };
    Ok(m.col_mut(0))
}

/// For a view with element 0 at offset 0: the offset of its lowest-addressed element (≤ 0),
/// which is where a library that wants non-negative strides must start. 0 for an empty view.
#[cfg(feature = "ndarray")]
fn lowest_offset(dims: &[(usize, isize)]) -> isize {
    match extent::span(0, dims) {
        // The span of a validated view fits in isize.
        Some((lo, _)) => lo as isize,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_offset_follows_negative_strides() {
        assert_eq!(lowest_offset(&[(3, -4), (4, 1)]), -8);
        assert_eq!(lowest_offset(&[(3, 4), (4, -1)]), -3);
        assert_eq!(lowest_offset(&[(3, 4), (4, 1)]), 0);
        assert_eq!(lowest_offset(&[(0, -4), (4, -1)]), 0);
    }

    #[test]
    fn raw_checks_reject_overflow_and_null() {
        let x = 1.0f64;
        let e = check_raw(&x as *const f64, &[(2, isize::MAX / 4), (2, 1)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Overflow);
        let e = check_raw(std::ptr::null::<f64>(), &[(1, 1)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert!(check_raw(std::ptr::null::<f64>(), &[(0, 1)]).is_ok());
    }

    #[test]
    fn aliasing_mutable_views_are_refused() {
        let mut data = [0.0f64; 6];
        // SAFETY: the pointer covers 6 elements, all addressed offsets (0..=5) are inside, and
        // `data` is not used while the (refused) view would live.
        let e = unsafe { mat_mut(data.as_mut_ptr(), 2, 3, 1, 1) }.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Aliasing);
        // SAFETY: as above, offsets 0..=0.
        let e = unsafe { vec_mut(data.as_mut_ptr(), 3, 0) }.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Aliasing);
    }
}
