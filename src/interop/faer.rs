//! `faer` interop (feature `faer`): `faer::MatRef`/`MatMut` ↔ [`MatRef`]/[`MatMut`],
//! `ColRef`/`RowRef` (and their `Mut`s) ↔ [`VecRef`]/[`VecMut`], and copies between [`Matrix`]
//! and `faer::Mat`.
//!
//! faer and outerprod describe views the same way (element-0 pointer, `isize` strides in
//! elements), so every faer view converts both ways unchanged: reversed (negative strides),
//! transposed, sub-blocks, and the padded columns of a `faer::Mat` (whose padding is never
//! touched). Views with a static stride (`ContiguousFwd`) are accepted through
//! `as_dyn_stride()`, which the impls call for you.
//!
//! ```
//! use outerprod::{gemm, MatMut, MatRef};
//! # fn main() -> Result<(), outerprod::ShapeError> {
//! let a = faer::Mat::from_fn(4, 3, |i, j| (i + 2 * j) as f64);
//! let b = faer::Mat::from_fn(3, 5, |i, j| i as f64 - j as f64);
//! let mut c = faer::Mat::<f64>::zeros(4, 5);
//! let a_rev = a.as_ref().reverse_rows(); // negative row stride
//! gemm(1.0, MatRef::try_from(a_rev)?, MatRef::try_from(&b)?, 0.0, MatMut::try_from(&mut c)?)?;
//! for i in 0..4 {
//!     for j in 0..5 {
//!         let expect: f64 = (0..3).map(|p| a[(3 - i, p)] * b[(p, j)]).sum();
//!         assert_eq!(c[(i, j)], expect);
//!     }
//! }
//! # Ok(()) }
//! ```

use faer::{ColMut, ColRef, Mat, RowMut, RowRef, Stride};

use super::{mat_mut, mat_ref, vec_mut, vec_ref};
use crate::error::ShapeError;
use crate::matrix::Matrix;
use crate::view::{MatMut, MatRef, VecMut, VecRef};

/// Zero-copy: pointer, shape and strides, any sign.
///
/// # Errors
/// `Overflow` only for a span beyond `isize::MAX` bytes, which faer never builds.
///
/// ```
/// use outerprod::MatRef;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = faer::Mat::from_fn(3, 2, |i, j| 10 * i + j);
/// let v = MatRef::try_from(a.as_ref().transpose().reverse_cols())?;
/// assert_eq!((v.shape(), v.get(0, 0), v.col_stride()), ((2, 3), a[(2, 0)], -1));
/// # Ok(()) }
/// ```
impl<'a, T, RS: Stride, CS: Stride> TryFrom<faer::MatRef<'a, T, usize, usize, RS, CS>>
    for MatRef<'a, T>
{
    type Error = ShapeError;
    fn try_from(a: faer::MatRef<'a, T, usize, usize, RS, CS>) -> Result<Self, ShapeError> {
        let a = a.as_dyn_stride();
        let (m, n, rs, cs) = (a.nrows(), a.ncols(), a.row_stride(), a.col_stride());
        // SAFETY: a faer MatRef<'a> lends every element it addresses for reading during 'a,
        // initialised and inside one allocation (faer's `from_raw_parts` contract).
        unsafe { mat_ref(a.as_ptr(), m, n, rs, cs) }
    }
}

/// Zero-copy view of an owned `faer::Mat` (its column padding is skipped by the stride).
impl<'a, T> TryFrom<&'a Mat<T>> for MatRef<'a, T> {
    type Error = ShapeError;
    fn try_from(a: &'a Mat<T>) -> Result<Self, ShapeError> {
        MatRef::try_from(a.as_dyn_stride())
    }
}

/// Zero-copy, mutable.
///
/// # Errors
/// `Aliasing` if two index pairs reach one element (faer's safe API cannot build that).
///
/// ```
/// use outerprod::{ger, MatMut, VecRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let mut a = faer::Mat::from_fn(3, 3, |_, _| 0i64);
/// let (x, y) = ([1, 2], [3, 4]);
/// let block = a.as_mut().submatrix_mut(1, 1, 2, 2);
/// ger(1, VecRef::from(&x), VecRef::from(&y), MatMut::try_from(block)?)?;
/// assert_eq!((a[(2, 2)], a[(0, 0)]), (x[1] * y[1], 0));
/// # Ok(()) }
/// ```
impl<'a, T, RS: Stride, CS: Stride> TryFrom<faer::MatMut<'a, T, usize, usize, RS, CS>>
    for MatMut<'a, T>
{
    type Error = ShapeError;
    fn try_from(a: faer::MatMut<'a, T, usize, usize, RS, CS>) -> Result<Self, ShapeError> {
        let a = a.as_dyn_stride_mut();
        let (m, n, rs, cs) = (a.nrows(), a.ncols(), a.row_stride(), a.col_stride());
        // SAFETY: a faer MatMut<'a> lends its elements exclusively for 'a and is consumed
        // here; `mat_mut` checks that they are distinct.
        unsafe { mat_mut(a.as_ptr_mut(), m, n, rs, cs) }
    }
}

/// Zero-copy, mutable view of an owned `faer::Mat`.
impl<'a, T> TryFrom<&'a mut Mat<T>> for MatMut<'a, T> {
    type Error = ShapeError;
    fn try_from(a: &'a mut Mat<T>) -> Result<Self, ShapeError> {
        MatMut::try_from(a.as_dyn_stride_mut())
    }
}

/// Zero-copy: a column view.
///
/// ```
/// use outerprod::VecRef;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = faer::Mat::from_fn(3, 2, |i, j| 10 * i + j);
/// assert_eq!(VecRef::try_from(a.col(1).reverse_rows())?.to_vec(), vec![21, 11, 1]);
/// # Ok(()) }
/// ```
impl<'a, T, RS: Stride> TryFrom<ColRef<'a, T, usize, RS>> for VecRef<'a, T> {
    type Error = ShapeError;
    fn try_from(x: ColRef<'a, T, usize, RS>) -> Result<Self, ShapeError> {
        let x = x.as_dyn_stride();
        // SAFETY: as for faer::MatRef → MatRef, with one column.
        unsafe { vec_ref(x.as_ptr(), x.nrows(), x.row_stride()) }
    }
}

/// Zero-copy: a row view.
impl<'a, T, CS: Stride> TryFrom<RowRef<'a, T, usize, CS>> for VecRef<'a, T> {
    type Error = ShapeError;
    fn try_from(x: RowRef<'a, T, usize, CS>) -> Result<Self, ShapeError> {
        let x = x.as_dyn_stride();
        // SAFETY: as for faer::MatRef → MatRef, with one row.
        unsafe { vec_ref(x.as_ptr(), x.ncols(), x.col_stride()) }
    }
}

/// Zero-copy, mutable: a column view.
impl<'a, T, RS: Stride> TryFrom<ColMut<'a, T, usize, RS>> for VecMut<'a, T> {
    type Error = ShapeError;
    fn try_from(x: ColMut<'a, T, usize, RS>) -> Result<Self, ShapeError> {
        let x = x.as_dyn_stride_mut();
        // SAFETY: as for faer::MatMut → MatMut, with one column.
        unsafe { vec_mut(x.as_ptr_mut(), x.nrows(), x.row_stride()) }
    }
}

/// Zero-copy, mutable: a row view.
impl<'a, T, CS: Stride> TryFrom<RowMut<'a, T, usize, CS>> for VecMut<'a, T> {
    type Error = ShapeError;
    fn try_from(x: RowMut<'a, T, usize, CS>) -> Result<Self, ShapeError> {
        let x = x.as_dyn_stride_mut();
        // SAFETY: as for faer::MatMut → MatMut, with one row.
        unsafe { vec_mut(x.as_ptr_mut(), x.ncols(), x.col_stride()) }
    }
}

// ---------------------------------------------------------------------------------------------
// outerprod → faer
// ---------------------------------------------------------------------------------------------

/// Zero-copy: the same pointer and strides.
///
/// ```
/// use outerprod::MatRef;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let m = MatRef::row_major(&data, 2, 3)?.reverse_rows();
/// let f = faer::MatRef::from(m);
/// assert_eq!((f.row_stride(), f[(0, 2)]), (-3, m.get(0, 2)));
/// # Ok(()) }
/// ```
impl<'a, T> From<MatRef<'a, T>> for faer::MatRef<'a, T> {
    fn from(m: MatRef<'a, T>) -> Self {
        let (rows, cols) = m.shape();
        debug_assert!(!m.as_ptr().is_null());
        // SAFETY: `m`'s pointer and strides reach exactly its elements, which `m` lends for
        // reading during 'a, initialised, inside one allocation (validated at construction);
        // the pointer is non-null and aligned even when `m` is empty.
        unsafe {
            faer::MatRef::from_raw_parts(m.as_ptr(), rows, cols, m.row_stride(), m.col_stride())
        }
    }
}

/// Zero-copy, mutable: the same pointer and strides.
impl<'a, T> From<MatMut<'a, T>> for faer::MatMut<'a, T> {
    fn from(mut m: MatMut<'a, T>) -> Self {
        let (rows, cols, rs, cs) = (m.rows(), m.cols(), m.row_stride(), m.col_stride());
        let ptr = m.as_mut_ptr();
        debug_assert!(!ptr.is_null());
        // SAFETY: as for MatRef; `m` lends its distinct elements exclusively for 'a and is
        // consumed here.
        unsafe { faer::MatMut::from_raw_parts_mut(ptr, rows, cols, rs, cs) }
    }
}

/// Zero-copy, as a column.
impl<'a, T> From<VecRef<'a, T>> for ColRef<'a, T> {
    fn from(x: VecRef<'a, T>) -> Self {
        debug_assert!(!x.as_ptr().is_null());
        // SAFETY: as for MatRef → faer::MatRef, with one column.
        unsafe { ColRef::from_raw_parts(x.as_ptr(), x.len(), x.stride()) }
    }
}

/// Zero-copy, as a row.
impl<'a, T> From<VecRef<'a, T>> for RowRef<'a, T> {
    fn from(x: VecRef<'a, T>) -> Self {
        debug_assert!(!x.as_ptr().is_null());
        // SAFETY: as for MatRef → faer::MatRef, with one row.
        unsafe { RowRef::from_raw_parts(x.as_ptr(), x.len(), x.stride()) }
    }
}

/// Zero-copy, mutable, as a column.
impl<'a, T> From<VecMut<'a, T>> for ColMut<'a, T> {
    fn from(mut x: VecMut<'a, T>) -> Self {
        let (len, s, ptr) = (x.len(), x.stride(), x.as_mut_ptr());
        debug_assert!(!ptr.is_null());
        // SAFETY: as for MatMut → faer::MatMut, with one column.
        unsafe { ColMut::from_raw_parts_mut(ptr, len, s) }
    }
}

/// Zero-copy, mutable, as a row.
impl<'a, T> From<VecMut<'a, T>> for RowMut<'a, T> {
    fn from(mut x: VecMut<'a, T>) -> Self {
        let (len, s, ptr) = (x.len(), x.stride(), x.as_mut_ptr());
        debug_assert!(!ptr.is_null());
        // SAFETY: as for MatMut → faer::MatMut, with one row.
        unsafe { RowMut::from_raw_parts_mut(ptr, len, s) }
    }
}

/// Copies into a new `faer::Mat` (faer pads its columns, so the buffer cannot move). For
/// zero-copy use `faer::MatRef::from(m.view())`.
///
/// ```
/// let m = outerprod::outer(&[1.0, 2.0], &[3.0, 4.0, 5.0]);
/// let f = faer::Mat::from(&m);
/// assert_eq!(f, faer::Mat::from_fn(2, 3, |i, j| [1.0, 2.0][i] * [3.0, 4.0, 5.0][j]));
/// ```
impl<T: Clone> From<&Matrix<T>> for Mat<T> {
    fn from(m: &Matrix<T>) -> Self {
        Mat::from_fn(m.rows(), m.cols(), |i, j| m[(i, j)].clone())
    }
}

/// Copies a `faer::Mat` into a row-major [`Matrix`]. For zero-copy use `MatRef::try_from(&a)`.
///
/// ```
/// use outerprod::Matrix;
/// let f = faer::Mat::from_fn(2, 3, |i, j| 10 * i + j);
/// assert_eq!(Matrix::from(&f).as_slice(), &[0, 1, 2, 10, 11, 12]);
/// ```
impl<T: Clone> From<&Mat<T>> for Matrix<T> {
    fn from(a: &Mat<T>) -> Self {
        let (rows, cols) = (a.nrows(), a.ncols());
        let mut data = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                data.push(a[(i, j)].clone());
            }
        }
        Matrix::from_parts(rows, cols, data)
    }
}
