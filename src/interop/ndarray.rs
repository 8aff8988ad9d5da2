//! `ndarray` interop (feature `ndarray`): `ArrayView2`/`ArrayViewMut2` ↔ [`MatRef`]/[`MatMut`],
//! `ArrayView1`/`ArrayViewMut1` ↔ [`VecRef`]/[`VecMut`], and [`Matrix`] ↔ `Array2` by moving
//! the buffer.
//!
//! Every stride ndarray allows carries over, negative ones (`invert_axis`, `s![..;-1]`) and zero
//! ones (`broadcast`, read-only) included; nothing is copied.
//!
//! ```
//! use ndarray::{array, s, Array2};
//! use outerprod::{gemm, MatMut, MatRef};
//! # fn main() -> Result<(), outerprod::ShapeError> {
//! let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]];
//! let b = array![[1.0, 0.5], [2.0, -1.0], [0.0, 3.0]];
//! let mut c = Array2::<f64>::zeros((2, 2));
//! // A strided, row-reversed block of `a`: rows 2 and 0, columns 0..3.
//! let a_blk = a.slice(s![..;-2, ..]);
//! gemm(1.0, MatRef::try_from(a_blk)?, MatRef::try_from(&b)?, 0.0, MatMut::try_from(&mut c)?)?;
//! for i in 0..2 {
//!     for j in 0..2 {
//!         let expect: f64 = (0..3).map(|p| a_blk[[i, p]] * b[[p, j]]).sum();
//!         assert_eq!(c[[i, j]], expect);
//!     }
//! }
//! # Ok(()) }
//! ```

use ndarray::{
    Array2, ArrayBase, ArrayRef, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis, Data,
    DataMut, Ix1, Ix2, ShapeBuilder,
};

use super::{lowest_offset, mat_mut, mat_ref, vec_mut, vec_ref};
use crate::error::ShapeError;
use crate::matrix::Matrix;
use crate::view::extent;
use crate::view::{MatMut, MatRef, VecMut, VecRef};

fn dims2<S: ndarray::RawData, D: ndarray::Dimension>(a: &ArrayBase<S, D>) -> [(usize, isize); 2] {
    let (shape, strides) = (a.shape(), a.strides());
    debug_assert_eq!(shape.len(), 2);
    [(shape[0], strides[0]), (shape[1], strides[1])]
}

/// Zero-copy: the view's pointer, shape and strides (negative and zero strides included).
///
/// # Errors
/// `Overflow` only for a span beyond `isize::MAX` bytes, which ndarray never builds.
///
/// ```
/// use ndarray::{array, s};
/// use outerprod::MatRef;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = array![[1, 2, 3], [4, 5, 6]];
/// let v = MatRef::try_from(a.slice(s![.., ..;-1]))?; // columns reversed
/// assert_eq!((v.get(0, 0), v.col_stride()), (a[[0, 2]], -1));
/// # Ok(()) }
/// ```
impl<'a, T> TryFrom<ArrayView2<'a, T>> for MatRef<'a, T> {
    type Error = ShapeError;
    fn try_from(a: ArrayView2<'a, T>) -> Result<Self, ShapeError> {
        let [(m, rs), (n, cs)] = dims2(&a);
        let ptr = a.as_ptr();
        // SAFETY: an ArrayView<'a> lends every element it addresses for reading during 'a,
        // initialised and inside one allocation; `a` is consumed, so no longer borrow remains.
        unsafe { mat_ref(ptr, m, n, rs, cs) }
    }
}

/// Zero-copy, as for [`ArrayView2`]; works for `Array2`, `ArcArray2`, `CowArray` and views.
impl<'a, T, S: Data<Elem = T>> TryFrom<&'a ArrayBase<S, Ix2>> for MatRef<'a, T> {
    type Error = ShapeError;
    fn try_from(a: &'a ArrayBase<S, Ix2>) -> Result<Self, ShapeError> {
        MatRef::try_from(a.view())
    }
}

/// Zero-copy, mutable.
///
/// # Errors
/// `Aliasing` if the view reaches one element twice, which ndarray's safe constructors rule
/// out.
///
/// ```
/// use ndarray::{array, s};
/// use outerprod::{ger, MatMut, VecRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let mut a = ndarray::Array2::<i64>::zeros((3, 4));
/// let (x, y) = ([1, 2], [3, 4]);
/// // A ← A + x yᵀ on the 2×2 block a[1.., ..;2] (column stride 2).
/// ger(1, VecRef::from(&x), VecRef::from(&y), MatMut::try_from(a.slice_mut(s![1.., ..;2]))?)?;
/// assert_eq!(a, array![[0, 0, 0, 0], [3, 0, 4, 0], [6, 0, 8, 0]]);
/// # Ok(()) }
/// ```
impl<'a, T> TryFrom<ArrayViewMut2<'a, T>> for MatMut<'a, T> {
    type Error = ShapeError;
    fn try_from(mut a: ArrayViewMut2<'a, T>) -> Result<Self, ShapeError> {
        let [(m, rs), (n, cs)] = dims2(&a);
        let ptr = a.as_mut_ptr();
        // SAFETY: an ArrayViewMut<'a> lends its elements exclusively during 'a and is consumed
        // here, so the new view is the only path to them; `mat_mut` checks distinct addresses.
        unsafe { mat_mut(ptr, m, n, rs, cs) }
    }
}

/// Zero-copy, mutable; an `ArcArray` is made unique first (ndarray's copy-on-write).
impl<'a, T, S: DataMut<Elem = T>> TryFrom<&'a mut ArrayBase<S, Ix2>> for MatMut<'a, T> {
    type Error = ShapeError;
    fn try_from(a: &'a mut ArrayBase<S, Ix2>) -> Result<Self, ShapeError> {
        MatMut::try_from(a.view_mut())
    }
}

/// Zero-copy: pointer, length and stride (negative and zero strides included).
///
/// ```
/// use ndarray::{array, s};
/// use outerprod::VecRef;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let x = array![1, 2, 3, 4, 5];
/// let v = VecRef::try_from(x.slice(s![..;-2]))?;
/// assert_eq!((v.to_vec(), v.stride()), (vec![5, 3, 1], -2));
/// # Ok(()) }
/// ```
impl<'a, T> TryFrom<ArrayView1<'a, T>> for VecRef<'a, T> {
    type Error = ShapeError;
    fn try_from(x: ArrayView1<'a, T>) -> Result<Self, ShapeError> {
        let (len, stride, ptr) = (x.len(), x.strides()[0], x.as_ptr());
        // SAFETY: as for ArrayView2 → MatRef.
        unsafe { vec_ref(ptr, len, stride) }
    }
}

/// Zero-copy, as for [`ArrayView1`]; works for `Array1` and the other storages.
impl<'a, T, S: Data<Elem = T>> TryFrom<&'a ArrayBase<S, Ix1>> for VecRef<'a, T> {
    type Error = ShapeError;
    fn try_from(x: &'a ArrayBase<S, Ix1>) -> Result<Self, ShapeError> {
        VecRef::try_from(x.view())
    }
}

/// Zero-copy, mutable.
///
/// # Errors
/// `Aliasing` for a zero stride with more than one element (not constructible safely).
impl<'a, T> TryFrom<ArrayViewMut1<'a, T>> for VecMut<'a, T> {
    type Error = ShapeError;
    fn try_from(mut x: ArrayViewMut1<'a, T>) -> Result<Self, ShapeError> {
        let (len, stride, ptr) = (x.len(), x.strides()[0], x.as_mut_ptr());
        // SAFETY: as for ArrayViewMut2 → MatMut.
        unsafe { vec_mut(ptr, len, stride) }
    }
}

/// Zero-copy, mutable.
impl<'a, T, S: DataMut<Elem = T>> TryFrom<&'a mut ArrayBase<S, Ix1>> for VecMut<'a, T> {
    type Error = ShapeError;
    fn try_from(x: &'a mut ArrayBase<S, Ix1>) -> Result<Self, ShapeError> {
        VecMut::try_from(x.view_mut())
    }
}

/// Zero-copy from ndarray 0.17's `&ArrayRef2`, the type its functions take by reference.
///
/// ```
/// use ndarray::{array, ArrayRef2};
/// use outerprod::MatRef;
/// fn trace(a: &ArrayRef2<i32>) -> Result<i32, outerprod::ShapeError> {
///     let m = MatRef::try_from(a)?;
///     Ok((0..m.rows().min(m.cols())).map(|i| m.get(i, i)).sum())
/// }
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// assert_eq!(trace(&array![[1, 2], [3, 4]])?, 1 + 4);
/// # Ok(()) }
/// ```
impl<'a, T> TryFrom<&'a ArrayRef<T, Ix2>> for MatRef<'a, T> {
    type Error = ShapeError;
    fn try_from(a: &'a ArrayRef<T, Ix2>) -> Result<Self, ShapeError> {
        MatRef::try_from(a.view())
    }
}

/// Zero-copy, mutable, from `&mut ArrayRef2`.
impl<'a, T> TryFrom<&'a mut ArrayRef<T, Ix2>> for MatMut<'a, T> {
    type Error = ShapeError;
    fn try_from(a: &'a mut ArrayRef<T, Ix2>) -> Result<Self, ShapeError> {
        MatMut::try_from(a.view_mut())
    }
}

/// Zero-copy from `&ArrayRef1`.
impl<'a, T> TryFrom<&'a ArrayRef<T, Ix1>> for VecRef<'a, T> {
    type Error = ShapeError;
    fn try_from(x: &'a ArrayRef<T, Ix1>) -> Result<Self, ShapeError> {
        VecRef::try_from(x.view())
    }
}

/// Zero-copy, mutable, from `&mut ArrayRef1`.
impl<'a, T> TryFrom<&'a mut ArrayRef<T, Ix1>> for VecMut<'a, T> {
    type Error = ShapeError;
    fn try_from(x: &'a mut ArrayRef<T, Ix1>) -> Result<Self, ShapeError> {
        VecMut::try_from(x.view_mut())
    }
}

// ---------------------------------------------------------------------------------------------
// outerprod → ndarray
// ---------------------------------------------------------------------------------------------

/// ndarray's raw constructors want non-negative strides from the lowest address: start there
/// with |strides|, then invert the axes whose stride was negative.
fn unsigned_layout(
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
) -> (isize, (usize, usize), [bool; 2]) {
    let empty = rows == 0 || cols == 0;
    let (rs, cs) = (followed(rows, rs, empty), followed(cols, cs, empty));
    let low = lowest_offset(&[(rows, rs), (cols, cs)]);
    (
        low,
        (rs.unsigned_abs(), cs.unsigned_abs()),
        [rs < 0 && !empty, cs < 0 && !empty],
    )
}

/// The stride handed to ndarray for an axis of `len` elements: a stride that is never
/// followed (an axis of at most one element, or any axis of an `empty` view) may hold any
/// value, even `isize::MIN`, whose magnitude ndarray would read back as a negative stride; 0
/// stands in. (A vector's own length decides, so vectors pass `empty = false`.)
fn followed(len: usize, stride: isize, empty: bool) -> isize {
    if empty || len <= 1 {
        0
    } else {
        stride
    }
}

/// ndarray caps the element count (of non-empty axes) and the span in elements at
/// `isize::MAX`. A view over a slice meets both unless `T` is zero-sized.
#[track_caller]
fn assert_ndarray_limits(dims: &[(usize, isize)]) {
    let count = dims
        .iter()
        .filter(|&&(n, _)| n != 0)
        .try_fold(1usize, |acc, &(n, _)| acc.checked_mul(n));
    let span = extent::span(0, dims).map_or(0, |(lo, hi)| hi - lo);
    assert!(
        count.is_some_and(|c| c <= isize::MAX as usize) && span <= isize::MAX as i128,
        "outerprod → ndarray: dims×strides {dims:?} exceed ndarray's isize::MAX limits"
    );
}

/// Zero-copy: any strides, negative ones through `invert_axis`.
///
/// # Panics
/// Only for a zero-sized `T` with more than `isize::MAX` elements (ndarray's limit).
///
/// ```
/// use ndarray::ArrayView2;
/// use outerprod::MatRef;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let data = [1, 2, 3, 4, 5, 6];
/// let m = MatRef::row_major(&data, 2, 3)?.transpose().reverse_rows();
/// let a = ArrayView2::from(m);
/// assert_eq!(a.dim(), (3, 2));
/// for i in 0..3 {
///     for j in 0..2 {
///         assert_eq!(a[[i, j]], m.get(i, j));
///     }
/// }
/// # Ok(()) }
/// ```
impl<'a, T> From<MatRef<'a, T>> for ArrayView2<'a, T> {
    #[track_caller]
    fn from(m: MatRef<'a, T>) -> Self {
        let (rows, cols) = m.shape();
        assert_ndarray_limits(&[(rows, m.row_stride()), (cols, m.col_stride())]);
        let (low, strides, invert) = unsigned_layout(rows, cols, m.row_stride(), m.col_stride());
        let base = m.as_ptr().wrapping_offset(low);
        debug_assert!(low <= 0 && (low == 0 || !m.is_empty()));
        // SAFETY: `base` is the lowest-addressed element of `m` (element 0 for an empty view),
        // and from it the non-negative strides reach exactly `m`'s elements, which `m` lends
        // for reading during 'a, initialised, inside one allocation whose span fits in isize
        // (validated when `m` was built).
        let mut a = unsafe { ArrayView2::from_shape_ptr((rows, cols).strides(strides), base) };
        for (axis, inv) in invert.into_iter().enumerate() {
            if inv {
                a.invert_axis(Axis(axis));
            }
        }
        a
    }
}

/// Zero-copy, mutable: any strides, negative ones through `invert_axis`.
///
/// # Panics
/// As for [`MatRef`] → [`ArrayView2`]; and in debug builds only, from ndarray's own
/// assertion, when the strides interleave without aliasing (3×2 with strides (2, 3), say:
/// offsets 0, 3, 2, 5, 4, 7). `MatMut` accepts every layout that reaches each element once,
/// while ndarray's debug check also wants each stride above the span of the smaller one.
/// Release builds convert such views.
impl<'a, T> From<MatMut<'a, T>> for ArrayViewMut2<'a, T> {
    #[track_caller]
    fn from(mut m: MatMut<'a, T>) -> Self {
        let (rows, cols) = m.shape();
        assert_ndarray_limits(&[(rows, m.row_stride()), (cols, m.col_stride())]);
        let (low, strides, invert) = unsigned_layout(rows, cols, m.row_stride(), m.col_stride());
        let base = m.as_mut_ptr().wrapping_offset(low);
        debug_assert!(low <= 0 && (low == 0 || !m.is_empty()));
        // SAFETY: as for MatRef → ArrayView2; in addition `m` lends its elements exclusively
        // for 'a and is consumed, and its strides reach each element once (checked when it
        // was built).
        let mut a = unsafe { ArrayViewMut2::from_shape_ptr((rows, cols).strides(strides), base) };
        for (axis, inv) in invert.into_iter().enumerate() {
            if inv {
                a.invert_axis(Axis(axis));
            }
        }
        a
    }
}

/// Zero-copy: any stride.
///
/// # Panics
/// As for [`MatRef`] → [`ArrayView2`].
impl<'a, T> From<VecRef<'a, T>> for ArrayView1<'a, T> {
    #[track_caller]
    fn from(x: VecRef<'a, T>) -> Self {
        let len = x.len();
        let s = followed(len, x.stride(), false);
        assert_ndarray_limits(&[(len, s)]);
        let low = lowest_offset(&[(len, s)]);
        let base = x.as_ptr().wrapping_offset(low);
        debug_assert!(low <= 0);
        // SAFETY: as for MatRef → ArrayView2, with one axis.
        let mut a = unsafe { ArrayView1::from_shape_ptr(len.strides(s.unsigned_abs()), base) };
        if s < 0 && len > 0 {
            a.invert_axis(Axis(0));
        }
        a
    }
}

/// Zero-copy, mutable: any stride.
///
/// # Panics
/// As for [`MatRef`] → [`ArrayView2`].
impl<'a, T> From<VecMut<'a, T>> for ArrayViewMut1<'a, T> {
    #[track_caller]
    fn from(mut x: VecMut<'a, T>) -> Self {
        let len = x.len();
        let s = followed(len, x.stride(), false);
        assert_ndarray_limits(&[(len, s)]);
        let low = lowest_offset(&[(len, s)]);
        let base = x.as_mut_ptr().wrapping_offset(low);
        debug_assert!(low <= 0);
        // SAFETY: as for MatMut → ArrayViewMut2, with one axis.
        let mut a = unsafe { ArrayViewMut1::from_shape_ptr(len.strides(s.unsigned_abs()), base) };
        if s < 0 && len > 0 {
            a.invert_axis(Axis(0));
        }
        a
    }
}

/// Zero-copy: the row-major `Vec` moves into a standard-layout `Array2`.
///
/// # Panics
/// Only for a zero-sized `T` with more than `isize::MAX` elements, which ndarray cannot hold.
///
/// ```
/// use ndarray::Array2;
/// let m = outerprod::outer(&[1, 2], &[3, 4, 5]);
/// let a = Array2::from(m);
/// assert_eq!(a, ndarray::array![[3, 4, 5], [6, 8, 10]]);
/// ```
impl<T> From<Matrix<T>> for Array2<T> {
    #[track_caller]
    fn from(m: Matrix<T>) -> Self {
        let shape = m.shape();
        Array2::from_shape_vec(shape, m.into_vec())
            .unwrap_or_else(|e| panic!("Matrix {shape:?} → Array2: {e}"))
    }
}

/// Zero-copy when the array is in standard (row-major, packed) layout and owns exactly its
/// elements: the `Vec` moves. Otherwise (a transposed, strided or sliced array) the elements
/// are copied in logical order.
///
/// ```
/// use ndarray::array;
/// use outerprod::Matrix;
/// let a = array![[1, 2, 3], [4, 5, 6]];
/// assert_eq!(Matrix::from(a.clone()).as_slice(), &[1, 2, 3, 4, 5, 6]); // moved
/// assert_eq!(Matrix::from(a.reversed_axes()).as_slice(), &[1, 4, 2, 5, 3, 6]); // copied
/// ```
impl<T: Clone> From<Array2<T>> for Matrix<T> {
    fn from(a: Array2<T>) -> Self {
        let (rows, cols) = a.dim();
        if !a.is_standard_layout() {
            return Matrix::from_parts(rows, cols, a.iter().cloned().collect());
        }
        let n = rows * cols;
        // Standard layout: the elements are `vec[offset..offset + n]`, in row-major order.
        let (vec, offset) = a.into_raw_vec_and_offset();
        let offset = offset.unwrap_or(0);
        if n == 0 {
            Matrix::from_parts(rows, cols, Vec::new())
        } else if offset == 0 && vec.len() == n {
            Matrix::from_parts(rows, cols, vec)
        } else {
            Matrix::from_parts(rows, cols, vec[offset..offset + n].to_vec())
        }
    }
}
