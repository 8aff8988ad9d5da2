//! `nalgebra` interop (feature `nalgebra`): any nalgebra matrix or view ↔ [`MatRef`]/[`MatMut`],
//! column vectors ↔ [`VecRef`]/[`VecMut`], and copies between [`Matrix`] and `DMatrix`.
//!
//! nalgebra stores column-major (`row_stride = 1`, `col_stride = nrows`), and its views keep
//! whatever strides they were cut with; both arrive unchanged. Going back, a view with a
//! negative stride cannot be expressed (nalgebra strides are unsigned) and is refused with
//! `InvalidStride`. [`Matrix`] ↔ `DMatrix` copies, because the layouts differ: for a zero-copy
//! path view a [`Matrix`] as a `DMatrixView` (row stride `cols`, column stride 1).
//!
//! ```
//! use nalgebra::DMatrix;
//! use outerprod::{gemm, MatMut, MatRef};
//! # fn main() -> Result<(), outerprod::ShapeError> {
//! let a = DMatrix::from_fn(4, 3, |i, j| (i + 2 * j) as f64);
//! let b = DMatrix::from_fn(3, 5, |i, j| i as f64 - j as f64);
//! let mut c = DMatrix::<f64>::zeros(4, 5);
//! gemm(2.0, MatRef::try_from(&a)?, MatRef::try_from(&b)?, 0.0, MatMut::try_from(&mut c)?)?;
//! assert_eq!(c, (&a * &b) * 2.0);
//! # Ok(()) }
//! ```

use nalgebra::{
    DMatrix, DMatrixView, DMatrixViewMut, DVectorView, DVectorViewMut, Dim, Dyn, RawStorage,
    RawStorageMut, Scalar, ViewStorage, ViewStorageMut, U1,
};

use super::{mat_mut, mat_ref, vec_mut, vec_ref, ARG};
use crate::error::{ErrorKind, ShapeError};
use crate::matrix::Matrix;
use crate::view::{MatMut, MatRef, VecMut, VecRef};

/// A nalgebra stride as an `isize`, or `Overflow`.
fn signed(stride: usize) -> Result<isize, ShapeError> {
    isize::try_from(stride).map_err(|_| {
        ShapeError::new(
            ErrorKind::Overflow,
            ARG,
            "a stride that fits in isize",
            stride.to_string(),
        )
    })
}

/// nalgebra wants unsigned strides: refuse a negative one, naming it.
fn unsigned(which: &str, stride: isize) -> Result<usize, ShapeError> {
    usize::try_from(stride).map_err(|_| {
        ShapeError::new(
            ErrorKind::InvalidStride,
            ARG,
            format!("a non-negative {which} (nalgebra strides are unsigned)"),
            format!("{which} {stride}"),
        )
    })
}

/// Zero-copy: any nalgebra matrix, owned, statically sized or a view, by reference.
///
/// # Errors
/// `Overflow` only for a stride or span beyond `isize::MAX`, which nalgebra never builds.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use outerprod::MatRef;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = Matrix2x3::new(1, 2, 3, 4, 5, 6);
/// let v = MatRef::try_from(&a)?;
/// assert_eq!((v.get(1, 0), v.row_stride(), v.col_stride()), (a[(1, 0)], 1, 2));
/// # Ok(()) }
/// ```
impl<'a, T, R: Dim, C: Dim, S: RawStorage<T, R, C>> TryFrom<&'a nalgebra::Matrix<T, R, C, S>>
    for MatRef<'a, T>
{
    type Error = ShapeError;
    fn try_from(a: &'a nalgebra::Matrix<T, R, C, S>) -> Result<Self, ShapeError> {
        let ((m, n), (rs, cs)) = (a.shape(), a.strides());
        let ptr = a.data.ptr();
        // SAFETY: `RawStorage` (an unsafe trait) promises that `ptr` and `strides` address
        // every element of the matrix inside its storage; `&'a` keeps the storage alive and
        // unwritten for 'a.
        unsafe { mat_ref(ptr, m, n, signed(rs)?, signed(cs)?) }
    }
}

/// Zero-copy: a matrix view keeps its lifetime `'a` (not that of a borrow of the view).
///
/// ```
/// use nalgebra::DMatrix;
/// use outerprod::MatRef;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = DMatrix::from_fn(5, 6, |i, j| 10 * i + j);
/// let v = MatRef::try_from(a.view_with_steps((1, 0), (2, 2), (1, 2)))?; // rows 1, 3; cols 0, 3
/// assert_eq!((v.get(1, 1), v.row_stride(), v.col_stride()), (33, 2, 15));
/// # Ok(()) }
/// ```
impl<'a, T, R: Dim, C: Dim, RS: Dim, CS: Dim>
    TryFrom<nalgebra::Matrix<T, R, C, ViewStorage<'a, T, R, C, RS, CS>>> for MatRef<'a, T>
{
    type Error = ShapeError;
    fn try_from(
        a: nalgebra::Matrix<T, R, C, ViewStorage<'a, T, R, C, RS, CS>>,
    ) -> Result<Self, ShapeError> {
        let ((m, n), (rs, cs)) = (a.shape(), a.strides());
        let ptr = a.data.ptr();
        // SAFETY: a ViewStorage<'a> lends the elements it addresses for reading during 'a.
        unsafe { mat_ref(ptr, m, n, signed(rs)?, signed(cs)?) }
    }
}

/// Zero-copy, mutable, from any nalgebra matrix with mutable storage.
///
/// # Errors
/// `Aliasing` if two index pairs reach one element (nalgebra's safe API cannot build that).
impl<'a, T, R: Dim, C: Dim, S: RawStorageMut<T, R, C>> TryFrom<&'a mut nalgebra::Matrix<T, R, C, S>>
    for MatMut<'a, T>
{
    type Error = ShapeError;
    fn try_from(a: &'a mut nalgebra::Matrix<T, R, C, S>) -> Result<Self, ShapeError> {
        let ((m, n), (rs, cs)) = (a.shape(), a.strides());
        let (rs, cs) = (signed(rs)?, signed(cs)?);
        let ptr = a.data.ptr_mut();
        // SAFETY: as for `&Matrix`, and `&'a mut` makes the new view the only path to the
        // elements for 'a; `mat_mut` checks they are distinct.
        unsafe { mat_mut(ptr, m, n, rs, cs) }
    }
}

/// Zero-copy, mutable, from a mutable view (keeps `'a`).
///
/// ```
/// use nalgebra::DMatrix;
/// use outerprod::{ger, MatMut, VecRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let mut a = DMatrix::<i32>::zeros(3, 3);
/// let (x, y) = ([1, 2], [3, 4]);
/// ger(1, VecRef::from(&x), VecRef::from(&y), MatMut::try_from(a.view_mut((1, 1), (2, 2)))?)?;
/// assert_eq!(a[(2, 2)], x[1] * y[1]);
/// assert_eq!(a[(0, 0)], 0);
/// # Ok(()) }
/// ```
impl<'a, T, R: Dim, C: Dim, RS: Dim, CS: Dim>
    TryFrom<nalgebra::Matrix<T, R, C, ViewStorageMut<'a, T, R, C, RS, CS>>> for MatMut<'a, T>
{
    type Error = ShapeError;
    fn try_from(
        mut a: nalgebra::Matrix<T, R, C, ViewStorageMut<'a, T, R, C, RS, CS>>,
    ) -> Result<Self, ShapeError> {
        let ((m, n), (rs, cs)) = (a.shape(), a.strides());
        let (rs, cs) = (signed(rs)?, signed(cs)?);
        let ptr = a.data.ptr_mut();
        // SAFETY: a ViewStorageMut<'a> lends its elements exclusively for 'a and is consumed.
        unsafe { mat_mut(ptr, m, n, rs, cs) }
    }
}

/// Zero-copy: a column vector (owned, static or a view), by reference.
///
/// ```
/// use nalgebra::DVector;
/// use outerprod::VecRef;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let x = DVector::from_vec(vec![1, 2, 3]);
/// assert_eq!(VecRef::try_from(&x)?.to_vec(), vec![1, 2, 3]);
/// # Ok(()) }
/// ```
impl<'a, T, R: Dim, S: RawStorage<T, R, U1>> TryFrom<&'a nalgebra::Matrix<T, R, U1, S>>
    for VecRef<'a, T>
{
    type Error = ShapeError;
    fn try_from(x: &'a nalgebra::Matrix<T, R, U1, S>) -> Result<Self, ShapeError> {
        let (len, stride) = (x.nrows(), signed(x.strides().0)?);
        // SAFETY: as for `&Matrix` → MatRef, with one column.
        unsafe { vec_ref(x.data.ptr(), len, stride) }
    }
}

/// Zero-copy: a column-vector view (keeps `'a`).
impl<'a, T, R: Dim, RS: Dim, CS: Dim>
    TryFrom<nalgebra::Matrix<T, R, U1, ViewStorage<'a, T, R, U1, RS, CS>>> for VecRef<'a, T>
{
    type Error = ShapeError;
    fn try_from(
        x: nalgebra::Matrix<T, R, U1, ViewStorage<'a, T, R, U1, RS, CS>>,
    ) -> Result<Self, ShapeError> {
        let (len, stride) = (x.nrows(), signed(x.strides().0)?);
        // SAFETY: as for a matrix view → MatRef, with one column.
        unsafe { vec_ref(x.data.ptr(), len, stride) }
    }
}

/// Zero-copy, mutable: a column vector by mutable reference.
impl<'a, T, R: Dim, S: RawStorageMut<T, R, U1>> TryFrom<&'a mut nalgebra::Matrix<T, R, U1, S>>
    for VecMut<'a, T>
{
    type Error = ShapeError;
    fn try_from(x: &'a mut nalgebra::Matrix<T, R, U1, S>) -> Result<Self, ShapeError> {
        let (len, stride) = (x.nrows(), signed(x.strides().0)?);
        // SAFETY: as for `&mut Matrix` → MatMut, with one column.
        unsafe { vec_mut(x.data.ptr_mut(), len, stride) }
    }
}

/// Zero-copy, mutable: a mutable column-vector view (keeps `'a`).
impl<'a, T, R: Dim, RS: Dim, CS: Dim>
    TryFrom<nalgebra::Matrix<T, R, U1, ViewStorageMut<'a, T, R, U1, RS, CS>>> for VecMut<'a, T>
{
    type Error = ShapeError;
    fn try_from(
        mut x: nalgebra::Matrix<T, R, U1, ViewStorageMut<'a, T, R, U1, RS, CS>>,
    ) -> Result<Self, ShapeError> {
        let (len, stride) = (x.nrows(), signed(x.strides().0)?);
        // SAFETY: as for a mutable matrix view → MatMut, with one column.
        unsafe { vec_mut(x.data.ptr_mut(), len, stride) }
    }
}

// ---------------------------------------------------------------------------------------------
// outerprod → nalgebra
// ---------------------------------------------------------------------------------------------

/// Zero-copy, as a view with dynamic strides.
///
/// # Errors
/// `InvalidStride` when a stride is negative (nalgebra strides are unsigned).
///
/// ```
/// use nalgebra::{DMatrix, DMatrixView, Dyn};
/// use outerprod::Matrix;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let m = Matrix::from_fn(2, 3, |i, j| 3 * i + j); // row-major
/// let v = DMatrixView::<usize, Dyn, Dyn>::try_from(m.view())?;
/// assert_eq!(v, DMatrix::from_fn(2, 3, |i, j| 3 * i + j));
/// assert!(DMatrixView::<usize, Dyn, Dyn>::try_from(m.view().reverse_rows()).is_err());
/// # Ok(()) }
/// ```
impl<'a, T> TryFrom<MatRef<'a, T>> for DMatrixView<'a, T, Dyn, Dyn> {
    type Error = ShapeError;
    fn try_from(m: MatRef<'a, T>) -> Result<Self, ShapeError> {
        let rs = unsigned("row stride", m.row_stride())?;
        let cs = unsigned("column stride", m.col_stride())?;
        let (rows, cols) = m.shape();
        debug_assert!(m.row_stride() >= 0 && m.col_stride() >= 0);
        // SAFETY: with non-negative strides, `m.as_ptr()` plus those strides reaches exactly
        // `m`'s elements, which `m` lends for reading during 'a (validated at construction).
        // The strides are `Dyn`, so nalgebra never treats the view as contiguous.
        let storage = unsafe {
            ViewStorage::from_raw_parts(m.as_ptr(), (Dyn(rows), Dyn(cols)), (Dyn(rs), Dyn(cs)))
        };
        Ok(nalgebra::Matrix::from_data(storage))
    }
}

/// Zero-copy, mutable, as a view with dynamic strides.
///
/// # Errors
/// `InvalidStride` when a stride is negative.
impl<'a, T> TryFrom<MatMut<'a, T>> for DMatrixViewMut<'a, T, Dyn, Dyn> {
    type Error = ShapeError;
    fn try_from(mut m: MatMut<'a, T>) -> Result<Self, ShapeError> {
        let rs = unsigned("row stride", m.row_stride())?;
        let cs = unsigned("column stride", m.col_stride())?;
        let (rows, cols) = m.shape();
        debug_assert!(m.row_stride() >= 0 && m.col_stride() >= 0);
        // SAFETY: as for MatRef; `m` lends its distinct elements exclusively for 'a and is
        // consumed here.
        let storage = unsafe {
            ViewStorageMut::from_raw_parts(
                m.as_mut_ptr(),
                (Dyn(rows), Dyn(cols)),
                (Dyn(rs), Dyn(cs)),
            )
        };
        Ok(nalgebra::Matrix::from_data(storage))
    }
}

/// Zero-copy, as a column-vector view with a dynamic stride.
///
/// # Errors
/// `InvalidStride` when the stride is negative.
impl<'a, T> TryFrom<VecRef<'a, T>> for DVectorView<'a, T, Dyn, Dyn> {
    type Error = ShapeError;
    fn try_from(x: VecRef<'a, T>) -> Result<Self, ShapeError> {
        let s = unsigned("stride", x.stride())?;
        let len = x.len();
        // SAFETY: as for MatRef → DMatrixView, with one column (its stride is never used, so
        // it saturates rather than overflow for a zero-sized T).
        let storage = unsafe {
            ViewStorage::from_raw_parts(
                x.as_ptr(),
                (Dyn(len), U1),
                (Dyn(s), Dyn(len.saturating_mul(s))),
            )
        };
        Ok(nalgebra::Matrix::from_data(storage))
    }
}

/// Zero-copy, mutable, as a column-vector view with a dynamic stride.
///
/// # Errors
/// `InvalidStride` when the stride is negative.
impl<'a, T> TryFrom<VecMut<'a, T>> for DVectorViewMut<'a, T, Dyn, Dyn> {
    type Error = ShapeError;
    fn try_from(mut x: VecMut<'a, T>) -> Result<Self, ShapeError> {
        let s = unsigned("stride", x.stride())?;
        let len = x.len();
        // SAFETY: as for MatMut → DMatrixViewMut, with one column.
        let storage = unsafe {
            ViewStorageMut::from_raw_parts(
                x.as_mut_ptr(),
                (Dyn(len), U1),
                (Dyn(s), Dyn(len.saturating_mul(s))),
            )
        };
        Ok(nalgebra::Matrix::from_data(storage))
    }
}

/// Copies (row-major into column-major). For zero-copy use `DMatrixView::try_from(m.view())`.
///
/// ```
/// use nalgebra::DMatrix;
/// let m = outerprod::outer(&[1, 2], &[3, 4, 5]);
/// let d = DMatrix::from(&m);
/// assert_eq!(d, DMatrix::from_fn(2, 3, |i, j| [1, 2][i] * [3, 4, 5][j]));
/// ```
impl<T: Scalar> From<&Matrix<T>> for DMatrix<T> {
    fn from(m: &Matrix<T>) -> Self {
        DMatrix::from_row_slice(m.rows(), m.cols(), m.as_slice())
    }
}

/// Copies any nalgebra matrix or view into a row-major [`Matrix`]. For zero-copy use
/// `MatRef::try_from(&a)`.
///
/// ```
/// use nalgebra::DMatrix;
/// use outerprod::Matrix;
/// let d = DMatrix::from_fn(2, 3, |i, j| 10 * i + j);
/// assert_eq!(Matrix::from(&d).as_slice(), &[0, 1, 2, 10, 11, 12]);
/// ```
impl<T: Clone, R: Dim, C: Dim, S: RawStorage<T, R, C>> From<&nalgebra::Matrix<T, R, C, S>>
    for Matrix<T>
{
    fn from(a: &nalgebra::Matrix<T, R, C, S>) -> Self {
        let (rows, cols) = a.shape();
        let mut data = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                data.push(a[(i, j)].clone());
            }
        }
        Matrix::from_parts(rows, cols, data)
    }
}
