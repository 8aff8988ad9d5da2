//! Strided views: [`MatRef`], [`MatMut`], [`VecRef`] and [`VecMut`].
//!
//! A view is a pointer to element 0, dimensions, and `isize` strides counted in elements. Its
//! constructors take a slice plus the index of element 0 in it (`offset`) and check, through
//! [`extent`](self::extent), that every addressed element lies in the slice and (for the mutable
//! views) that no element is reachable twice. After that, transposes, sub-blocks and reversals
//! are stride arithmetic on an already-validated set of addresses and cannot leave it.
//!
//! Negative strides address back to front, as BLAS does for `incx < 0`: with `offset = 3` and
//! stride `-1`, `VecRef` element 0 is `data[3]` and element 3 is `data[0]`.

pub(crate) mod extent;

use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::error::{ErrorKind, ShapeError};
use crate::matrix::Matrix;

// ---------------------------------------------------------------------------------------------
// Read-only matrix view
// ---------------------------------------------------------------------------------------------

/// A read-only strided view of an m×n matrix: element `(i, j)` sits at
/// `offset + i·row_stride + j·col_stride` in the underlying slice.
///
/// Strides may be zero (broadcast) or negative. Views are `Copy`; [`transpose`](Self::transpose)
/// and [`submatrix`](Self::submatrix) return new views without copying data.
///
/// ```
/// use outerprod::MatRef;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let data = [1, 2, 3, 4, 5, 6];
/// let a = MatRef::row_major(&data, 2, 3)?; // [[1, 2, 3], [4, 5, 6]]
/// assert_eq!(a.get(1, 0), 4);
/// let t = a.transpose(); // 3×2, no copy
/// assert_eq!((t.rows(), t.cols(), t.get(0, 1)), (3, 2, 4));
/// # Ok(()) }
/// ```
pub struct MatRef<'a, T> {
    ptr: NonNull<T>,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
    _borrow: PhantomData<&'a [T]>,
}

/// A mutable strided view of an m×n matrix. Like [`MatRef`], but its constructors also reject
/// strides under which two index pairs reach the same element, so every write is to a distinct
/// element.
///
/// ```
/// use outerprod::MatMut;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let mut data = [0; 6];
/// let mut a = MatMut::col_major(&mut data, 2, 3)?;
/// a.set(1, 2, 7);
/// assert_eq!(data, [0, 0, 0, 0, 0, 7]);
/// # Ok(()) }
/// ```
pub struct MatMut<'a, T> {
    ptr: NonNull<T>,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
    _borrow: PhantomData<&'a mut [T]>,
}

/// A read-only strided vector: element `i` sits at `offset + i·stride`.
///
/// ```
/// use outerprod::VecRef;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let data = [1, 2, 3, 4, 5];
/// let x = VecRef::new(&data, 4, 3, -2)?; // BLAS incx = -2: data[4], data[2], data[0]
/// assert_eq!(x.to_vec(), vec![5, 3, 1]);
/// # Ok(()) }
/// ```
pub struct VecRef<'a, T> {
    ptr: NonNull<T>,
    len: usize,
    stride: isize,
    _borrow: PhantomData<&'a [T]>,
}

/// A mutable strided vector. Its constructor rejects a zero stride when `len > 1`.
///
/// ```
/// use outerprod::VecMut;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let mut data = [0; 6];
/// let mut y = VecMut::new(&mut data, 1, 3, 2)?;
/// y.set(2, 9);
/// assert_eq!(data, [0, 0, 0, 0, 0, 9]);
/// # Ok(()) }
/// ```
pub struct VecMut<'a, T> {
    ptr: NonNull<T>,
    len: usize,
    stride: isize,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: the views are borrows of `[T]` in disguise: a `MatRef`/`VecRef` behaves like `&[T]`
// (Send + Sync when T: Sync) and a `MatMut`/`VecMut` like `&mut [T]` (Send when T: Send,
// Sync when T: Sync). The validated, non-aliasing address set makes that comparison exact.
unsafe impl<T: Sync> Send for MatRef<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for MatRef<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for MatMut<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for MatMut<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Send for VecRef<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for VecRef<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for VecMut<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for VecMut<'_, T> {}

impl<T> Clone for MatRef<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for MatRef<'_, T> {}
impl<T> Clone for VecRef<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for VecRef<'_, T> {}

/// The pointer to `data[offset]`, or to `data`'s start for an empty view (never dereferenced).
fn element_zero<T>(data: &[T], offset: usize, empty: bool) -> NonNull<T> {
    let base = NonNull::from(data).cast::<T>();
    if empty {
        return base;
    }
    debug_assert!(offset < data.len());
    // SAFETY: `offset < data.len()` because the caller validated that element 0 of a
    // non-empty view is in bounds (extent::check_in_bounds).
    unsafe { base.add(offset) }
}

fn element_zero_mut<T>(data: &mut [T], offset: usize, empty: bool) -> NonNull<T> {
    let base = NonNull::from(data).cast::<T>();
    if empty {
        return base;
    }
    // SAFETY: as in `element_zero`.
    unsafe { base.add(offset) }
}

#[inline]
fn row_major_len_check(
    argument: &'static str,
    len: usize,
    rows: usize,
    cols: usize,
) -> Result<(), ShapeError> {
    // The common case in a multiply and a compare; the error is built out of line.
    if rows.checked_mul(cols) == Some(len) {
        Ok(())
    } else {
        Err(len_error(argument, len, rows, cols))
    }
}

/// The error of [`row_major_len_check`]: an overflowing count or a length mismatch.
#[cold]
#[inline(never)]
fn len_error(argument: &'static str, len: usize, rows: usize, cols: usize) -> ShapeError {
    match extent::checked_count(argument, &[(rows, 1), (cols, 1)]) {
        Err(e) => e,
        Ok(need) => ShapeError::new(
            ErrorKind::LengthMismatch,
            argument,
            format!("{need} elements (= {rows} × {cols})"),
            format!("{len}"),
        ),
    }
}

#[inline]
fn as_isize(argument: &'static str, n: usize) -> Result<isize, ShapeError> {
    isize::try_from(n).map_err(|_| isize_error(argument, n))
}

/// The error of [`as_isize`], out of line.
#[cold]
#[inline(never)]
fn isize_error(argument: &'static str, n: usize) -> ShapeError {
    ShapeError::new(
        ErrorKind::Overflow,
        argument,
        "a dimension that fits in isize",
        n.to_string(),
    )
}

/// Inlined so that the bounds test costs a compare in `get`'s caller (`to_matrix` called it
/// once per element, out of line).
#[track_caller]
#[inline]
fn check_index(what: &str, i: usize, j: usize, rows: usize, cols: usize) {
    assert!(
        i < rows && j < cols,
        "{what}: index ({i}, {j}) out of bounds for a {rows}×{cols} view"
    );
}

macro_rules! matrix_view_common {
    ($name:ident) => {
        impl<'a, T> $name<'a, T> {
            /// Number of rows (m).
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            #[doc = concat!("let mut data = [1, 2, 3, 4, 5, 6];")]
            #[doc = concat!("let v = outerprod::", stringify!($name), "::row_major(&mut data, 2, 3)?; // [[1, 2, 3], [4, 5, 6]]")]
            /// assert_eq!(v.rows(), 2);
            /// # Ok(()) }
            /// ```
            #[inline]
            pub fn rows(&self) -> usize {
                self.rows
            }

            /// Number of columns (n).
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            #[doc = concat!("let mut data = [1, 2, 3, 4, 5, 6];")]
            #[doc = concat!("let v = outerprod::", stringify!($name), "::row_major(&mut data, 2, 3)?; // [[1, 2, 3], [4, 5, 6]]")]
            /// assert_eq!(v.cols(), 3);
            /// # Ok(()) }
            /// ```
            #[inline]
            pub fn cols(&self) -> usize {
                self.cols
            }

            /// `(rows, cols)`.
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            #[doc = concat!("let mut data = [1, 2, 3, 4, 5, 6];")]
            #[doc = concat!("let v = outerprod::", stringify!($name), "::row_major(&mut data, 2, 3)?; // [[1, 2, 3], [4, 5, 6]]")]
            /// assert_eq!(v.shape(), (2, 3));
            /// # Ok(()) }
            /// ```
            #[inline]
            pub fn shape(&self) -> (usize, usize) {
                (self.rows, self.cols)
            }

            /// Distance in elements between `(i, j)` and `(i + 1, j)`.
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            #[doc = concat!("let mut data = [1, 2, 3, 4, 5, 6];")]
            #[doc = concat!("let v = outerprod::", stringify!($name), "::row_major(&mut data, 2, 3)?; // [[1, 2, 3], [4, 5, 6]]")]
            /// assert_eq!(v.row_stride(), 3);
            /// # Ok(()) }
            /// ```
            #[inline]
            pub fn row_stride(&self) -> isize {
                self.row_stride
            }

            /// Distance in elements between `(i, j)` and `(i, j + 1)`.
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            #[doc = concat!("let mut data = [1, 2, 3, 4, 5, 6];")]
            #[doc = concat!("let v = outerprod::", stringify!($name), "::row_major(&mut data, 2, 3)?; // [[1, 2, 3], [4, 5, 6]]")]
            /// assert_eq!(v.col_stride(), 1);
            /// # Ok(()) }
            /// ```
            #[inline]
            pub fn col_stride(&self) -> isize {
                self.col_stride
            }

            /// `true` when the view has no elements (`rows == 0` or `cols == 0`).
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            #[doc = concat!("let mut data = [1, 2, 3, 4, 5, 6];")]
            #[doc = concat!("let v = outerprod::", stringify!($name), "::row_major(&mut data, 2, 3)?; // [[1, 2, 3], [4, 5, 6]]")]
            /// assert!(!v.is_empty());
            /// # Ok(()) }
            /// ```
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.rows == 0 || self.cols == 0
            }

            /// Whether rows are contiguous and packed back to back (`col_stride == 1` and
            /// `row_stride == cols`, or a shape where the unused stride does not matter).
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            #[doc = concat!("let mut data = [1, 2, 3, 4, 5, 6];")]
            #[doc = concat!("let v = outerprod::", stringify!($name), "::row_major(&mut data, 2, 3)?; // [[1, 2, 3], [4, 5, 6]]")]
            /// assert!(v.is_row_major() && !v.is_col_major());
            /// # Ok(()) }
            /// ```
            #[inline]
            pub fn is_row_major(&self) -> bool {
                (self.cols <= 1 || self.col_stride == 1)
                    && (self.rows <= 1 || self.row_stride == self.cols as isize)
            }

            /// Whether columns are contiguous and packed back to back.
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            #[doc = concat!("let mut data = [1, 2, 3, 4, 5, 6];")]
            #[doc = concat!("let v = outerprod::", stringify!($name), "::row_major(&mut data, 2, 3)?; // [[1, 2, 3], [4, 5, 6]]")]
            /// assert!(!v.is_col_major() && v.transpose().is_col_major());
            /// # Ok(()) }
            /// ```
            #[inline]
            pub fn is_col_major(&self) -> bool {
                (self.rows <= 1 || self.row_stride == 1)
                    && (self.cols <= 1 || self.col_stride == self.rows as isize)
            }

            /// Pointer to element `(0, 0)` for the kernels. Dangling-but-aligned inside the
            /// original slice when the view is empty.
            // Kernel accessor: each kernel needs it for some view types only.
            #[allow(dead_code)]
            #[inline]
            pub(crate) fn as_ptr(&self) -> *const T {
                self.ptr.as_ptr()
            }

            /// Offset of `(i, j)` from element `(0, 0)`.
            #[inline]
            pub(crate) fn offset_of(&self, i: usize, j: usize) -> isize {
                i as isize * self.row_stride + j as isize * self.col_stride
            }
        }

        impl<T: Copy> $name<'_, T> {
            /// Element `(i, j)`.
            ///
            /// # Panics
            /// When `i ≥ rows` or `j ≥ cols`.
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            #[doc = concat!("let mut data = [1, 2, 3, 4, 5, 6];")]
            #[doc = concat!("let v = outerprod::", stringify!($name), "::row_major(&mut data, 2, 3)?; // [[1, 2, 3], [4, 5, 6]]")]
            /// assert_eq!(v.get(1, 2), 6);
            /// # Ok(()) }
            /// ```
            #[inline]
            #[track_caller]
            pub fn get(&self, i: usize, j: usize) -> T {
                check_index("get", i, j, self.rows, self.cols);
                let off = self.offset_of(i, j);
                // SAFETY: (i, j) is inside the view (checked above), and every in-view offset
                // was proven to lie inside the borrowed slice when the view was built.
                unsafe { *self.ptr.as_ptr().offset(off) }
            }

            /// Copies the view into an owned row-major [`Matrix`].
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            #[doc = concat!("let mut data = [1, 2, 3, 4, 5, 6];")]
            #[doc = concat!("let v = outerprod::", stringify!($name), "::row_major(&mut data, 2, 3)?; // [[1, 2, 3], [4, 5, 6]]")]
            /// assert_eq!(v.to_matrix().as_slice(), &[1, 2, 3, 4, 5, 6]);
            /// assert_eq!(v.transpose().to_matrix().as_slice(), &[1, 4, 2, 5, 3, 6]);
            /// # Ok(()) }
            /// ```
            pub fn to_matrix(&self) -> Matrix<T> {
                let mut data = Vec::with_capacity(self.rows * self.cols);
                for i in 0..self.rows {
                    for j in 0..self.cols {
                        data.push(self.get(i, j));
                    }
                }
                Matrix::from_parts(self.rows, self.cols, data)
            }
        }

        impl<T: Copy + PartialEq> PartialEq for $name<'_, T> {
            /// Views are equal when they have the same shape and equal elements (strides may
            /// differ).
            fn eq(&self, other: &Self) -> bool {
                self.shape() == other.shape()
                    && (0..self.rows)
                        .all(|i| (0..self.cols).all(|j| self.get(i, j) == other.get(i, j)))
            }
        }

        impl<T: Copy + fmt::Debug> fmt::Debug for $name<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let rows: Vec<Vec<T>> = (0..self.rows)
                    .map(|i| (0..self.cols).map(|j| self.get(i, j)).collect())
                    .collect();
                f.debug_struct(stringify!($name))
                    .field("rows", &self.rows)
                    .field("cols", &self.cols)
                    .field("row_stride", &self.row_stride)
                    .field("col_stride", &self.col_stride)
                    .field("elements", &rows)
                    .finish()
            }
        }
    };
}

matrix_view_common!(MatRef);
matrix_view_common!(MatMut);

impl<'a, T> MatRef<'a, T> {
    /// A view of `rows × cols` elements of `data`, element `(i, j)` at
    /// `offset + i·row_stride + j·col_stride`.
    ///
    /// # Errors
    /// `OutOfBounds` when some addressed element lies outside `data`; `Overflow` when
    /// `rows·cols` does not fit in `usize`. Zero and repeated addresses are allowed (read-only).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    /// // The 2×2 block at (1, 1) of a 3×3 row-major matrix: offset 4, strides (3, 1).
    /// let v = MatRef::new(&data, 4, 2, 2, 3, 1)?;
    /// assert_eq!(v.to_matrix().as_slice(), &[4, 5, 7, 8]);
    /// assert!(MatRef::new(&data, 4, 2, 3, 3, 1).is_err()); // would reach data[9]
    /// # Ok(()) }
    /// ```
    pub fn new(
        data: &'a [T],
        offset: usize,
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
    ) -> Result<Self, ShapeError> {
        extent::check_in_bounds(
            "data",
            data.len(),
            offset,
            &[(rows, row_stride), (cols, col_stride)],
        )?;
        Ok(MatRef {
            ptr: element_zero(data, offset, rows == 0 || cols == 0),
            rows,
            cols,
            row_stride,
            col_stride,
            _borrow: PhantomData,
        })
    }

    /// A row- or column-major view over exactly `data` (`data.len() == rows·cols`, the
    /// strides `(cols, 1)` or `(1, rows)`): in bounds by construction, so the general span
    /// check, which dominated the cost of small calls, is skipped.
    fn contiguous(data: &'a [T], rows: usize, cols: usize, rs: isize, cs: isize) -> Self {
        debug_assert!(
            rows.checked_mul(cols) == Some(data.len())
                && ((rs, cs) == (cols as isize, 1) || (rs, cs) == (1, rows as isize))
        );
        debug_assert!(
            extent::check_in_bounds("data", data.len(), 0, &[(rows, rs), (cols, cs)]).is_ok()
        );
        MatRef {
            ptr: element_zero(data, 0, rows == 0 || cols == 0),
            rows,
            cols,
            row_stride: rs,
            col_stride: cs,
            _borrow: PhantomData,
        }
    }

    /// A row-major view: `data.len()` must be exactly `rows·cols`.
    ///
    /// # Errors
    /// `LengthMismatch` when `data.len() != rows·cols`, `Overflow` when that product overflows.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [1, 2, 3, 4, 5, 6];
    /// let v = MatRef::row_major(&data, 2, 3)?;
    /// assert_eq!(v.get(1, 0), data[1 * 3 + 0]);
    /// # Ok(()) }
    /// ```
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Result<Self, ShapeError> {
        row_major_len_check("data", data.len(), rows, cols)?;
        let rs = as_isize("cols", cols)?;
        Ok(Self::contiguous(data, rows, cols, rs, 1))
    }

    /// A column-major view: `data.len()` must be exactly `rows·cols`.
    ///
    /// # Errors
    /// As [`row_major`](Self::row_major).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [1, 2, 3, 4, 5, 6];
    /// let v = MatRef::col_major(&data, 2, 3)?;
    /// assert_eq!(v.get(1, 2), data[1 + 2 * 2]);
    /// # Ok(()) }
    /// ```
    pub fn col_major(data: &'a [T], rows: usize, cols: usize) -> Result<Self, ShapeError> {
        row_major_len_check("data", data.len(), rows, cols)?;
        let cs = as_isize("rows", rows)?;
        Ok(Self::contiguous(data, rows, cols, 1, cs))
    }

    /// The transpose Aᵀ as a view: rows and columns swap, and so do the strides.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [1, 2, 3, 4, 5, 6];
    /// let v = MatRef::row_major(&data, 2, 3)?;
    /// let t = v.transpose();
    /// assert_eq!((t.shape(), t.get(2, 0)), ((3, 2), v.get(0, 2)));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn transpose(self) -> MatRef<'a, T> {
        MatRef {
            ptr: self.ptr,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            _borrow: PhantomData,
        }
    }

    /// The `rows × cols` block whose top-left element is `(row, col)`.
    ///
    /// # Errors
    /// `OutOfBounds` when the block does not fit inside this view.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data: Vec<i32> = (0..12).collect();
    /// let v = MatRef::row_major(&data, 3, 4)?;
    /// let s = v.submatrix(1, 2, 2, 2)?;
    /// assert_eq!(s.to_matrix().as_slice(), &[v.get(1, 2), v.get(1, 3), v.get(2, 2), v.get(2, 3)]);
    /// assert!(v.submatrix(2, 0, 2, 1).is_err());
    /// # Ok(()) }
    /// ```
    pub fn submatrix(
        self,
        row: usize,
        col: usize,
        rows: usize,
        cols: usize,
    ) -> Result<MatRef<'a, T>, ShapeError> {
        check_block(self.rows, self.cols, row, col, rows, cols)?;
        Ok(MatRef {
            ptr: self.block_ptr(row, col, rows, cols),
            rows,
            cols,
            _borrow: PhantomData,
            ..self
        })
    }

    /// Row `i` as a vector view.
    ///
    /// # Panics
    /// When `i ≥ rows`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [1, 2, 3, 4, 5, 6];
    /// assert_eq!(MatRef::col_major(&data, 2, 3)?.row(1).to_vec(), vec![2, 4, 6]);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn row(self, i: usize) -> VecRef<'a, T> {
        check_index("row", i, 0, self.rows, self.cols.max(1));
        VecRef {
            ptr: self.block_ptr(i, 0, 1, self.cols),
            len: self.cols,
            stride: self.col_stride,
            _borrow: PhantomData,
        }
    }

    /// Column `j` as a vector view.
    ///
    /// # Panics
    /// When `j ≥ cols`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [1, 2, 3, 4, 5, 6];
    /// assert_eq!(MatRef::row_major(&data, 2, 3)?.col(2).to_vec(), vec![3, 6]);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn col(self, j: usize) -> VecRef<'a, T> {
        check_index("col", 0, j, self.rows.max(1), self.cols);
        VecRef {
            ptr: self.block_ptr(0, j, self.rows, 1),
            len: self.rows,
            stride: self.row_stride,
            _borrow: PhantomData,
        }
    }

    /// The view with its rows in reverse order (a negative row stride).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [1, 2, 3, 4];
    /// let r = MatRef::row_major(&data, 2, 2)?.reverse_rows();
    /// assert_eq!((r.to_matrix().into_vec(), r.row_stride()), (vec![3, 4, 1, 2], -2));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn reverse_rows(self) -> MatRef<'a, T> {
        MatRef {
            ptr: self.last_ptr(self.rows, self.row_stride),
            row_stride: self.row_stride.wrapping_neg(),
            ..self
        }
    }

    /// The view with its columns in reverse order (a negative column stride).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [1, 2, 3, 4];
    /// let r = MatRef::row_major(&data, 2, 2)?.reverse_cols();
    /// assert_eq!((r.to_matrix().into_vec(), r.col_stride()), (vec![2, 1, 4, 3], -1));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn reverse_cols(self) -> MatRef<'a, T> {
        MatRef {
            ptr: self.last_ptr(self.cols, self.col_stride),
            col_stride: self.col_stride.wrapping_neg(),
            ..self
        }
    }

    /// The elements as one row-major slice, when the view is laid out that way.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [1, 2, 3, 4];
    /// let v = MatRef::row_major(&data, 2, 2)?;
    /// assert_eq!(v.as_row_major_slice(), Some(&data[..]));
    /// assert_eq!(v.transpose().as_row_major_slice(), None);
    /// # Ok(()) }
    /// ```
    pub fn as_row_major_slice(&self) -> Option<&'a [T]> {
        self.is_row_major().then(|| {
            // SAFETY: a row-major view addresses exactly rows·cols consecutive elements from
            // element (0, 0), all inside the borrowed slice (validated at construction).
            unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.rows * self.cols) }
        })
    }

    /// Reinterprets the element type when `U` is `T` (a no-op cast used to route f32/f64 to
    /// the SIMD kernels); `None` otherwise.
    // Kernel accessor: each kernel needs it for some view types only.
    fn block_ptr(&self, row: usize, col: usize, rows: usize, cols: usize) -> NonNull<T> {
        if rows == 0 || cols == 0 {
            return self.ptr;
        }
        debug_assert!(row < self.rows && col < self.cols);
        // SAFETY: (row, col) is inside this view (checked by the caller), so its offset is a
        // validated in-bounds address.
        unsafe { self.ptr.offset(self.offset_of(row, col)) }
    }

    fn last_ptr(&self, n: usize, stride: isize) -> NonNull<T> {
        if self.is_empty() {
            return self.ptr;
        }
        // SAFETY: index n - 1 along this dimension is inside the non-empty view.
        unsafe { self.ptr.offset((n as isize - 1) * stride) }
    }
}

fn check_block(
    rows: usize,
    cols: usize,
    row: usize,
    col: usize,
    nrows: usize,
    ncols: usize,
) -> Result<(), ShapeError> {
    let fits = |start: usize, len: usize, total: usize| {
        start.checked_add(len).is_some_and(|end| end <= total) && (len > 0 || start <= total)
    };
    if fits(row, nrows, rows) && fits(col, ncols, cols) {
        Ok(())
    } else {
        Err(ShapeError::new(
            ErrorKind::OutOfBounds,
            "submatrix",
            format!("a block inside the {rows}×{cols} view"),
            format!("{nrows}×{ncols} block at ({row}, {col})"),
        ))
    }
}

impl<'a, T> MatMut<'a, T> {
    /// A mutable view of `rows × cols` elements of `data`, element `(i, j)` at
    /// `offset + i·row_stride + j·col_stride`.
    ///
    /// # Errors
    /// `OutOfBounds` when some addressed element lies outside `data`; `Aliasing` when two index
    /// pairs reach the same element (a zero stride, or strides that interleave); `Overflow`
    /// when `rows·cols` does not fit in `usize`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 9];
    /// // Rows 0..2, columns 1..3 of a 3×3 column-major matrix: offset 3, strides (1, 3).
    /// let mut v = MatMut::new(&mut data, 3, 2, 2, 1, 3)?;
    /// v.set(1, 1, 5);
    /// assert_eq!(data[3 + 1 + 3], 5);
    /// assert!(MatMut::new(&mut data, 0, 2, 2, 1, 1).is_err()); // (0, 1) and (1, 0) alias
    /// # Ok(()) }
    /// ```
    pub fn new(
        data: &'a mut [T],
        offset: usize,
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
    ) -> Result<Self, ShapeError> {
        extent::check_in_bounds(
            "data",
            data.len(),
            offset,
            &[(rows, row_stride), (cols, col_stride)],
        )?;
        extent::check_no_alias_2d("data", rows, cols, row_stride, col_stride)?;
        Ok(MatMut {
            ptr: element_zero_mut(data, offset, rows == 0 || cols == 0),
            rows,
            cols,
            row_stride,
            col_stride,
            _borrow: PhantomData,
        })
    }

    /// A row- or column-major view over exactly `data` (`data.len() == rows·cols`, the
    /// strides `(cols, 1)` or `(1, rows)`): in bounds and alias-free by construction, so the
    /// general span and gcd checks, which dominated the cost of small calls, are skipped.
    fn contiguous(data: &'a mut [T], rows: usize, cols: usize, rs: isize, cs: isize) -> Self {
        debug_assert!(
            rows.checked_mul(cols) == Some(data.len())
                && ((rs, cs) == (cols as isize, 1) || (rs, cs) == (1, rows as isize))
        );
        debug_assert!(
            extent::check_in_bounds("data", data.len(), 0, &[(rows, rs), (cols, cs)]).is_ok()
        );
        debug_assert!(extent::check_no_alias_2d("data", rows, cols, rs, cs).is_ok());
        MatMut {
            ptr: element_zero_mut(data, 0, rows == 0 || cols == 0),
            rows,
            cols,
            row_stride: rs,
            col_stride: cs,
            _borrow: PhantomData,
        }
    }

    /// A row-major mutable view: `data.len()` must be exactly `rows·cols`.
    ///
    /// # Errors
    /// `LengthMismatch` when `data.len() != rows·cols`, `Overflow` when that product overflows.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 6];
    /// MatMut::row_major(&mut data, 2, 3)?.set(1, 0, 4);
    /// assert_eq!(data[1 * 3 + 0], 4);
    /// # Ok(()) }
    /// ```
    pub fn row_major(data: &'a mut [T], rows: usize, cols: usize) -> Result<Self, ShapeError> {
        row_major_len_check("data", data.len(), rows, cols)?;
        let rs = as_isize("cols", cols)?;
        Ok(Self::contiguous(data, rows, cols, rs, 1))
    }

    /// A column-major mutable view: `data.len()` must be exactly `rows·cols`.
    ///
    /// # Errors
    /// As [`row_major`](Self::row_major).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 6];
    /// MatMut::col_major(&mut data, 2, 3)?.set(1, 0, 4);
    /// assert_eq!(data[1 + 0 * 2], 4);
    /// # Ok(()) }
    /// ```
    pub fn col_major(data: &'a mut [T], rows: usize, cols: usize) -> Result<Self, ShapeError> {
        row_major_len_check("data", data.len(), rows, cols)?;
        let cs = as_isize("rows", rows)?;
        Ok(Self::contiguous(data, rows, cols, 1, cs))
    }

    /// A read-only view of the same elements, borrowing this one.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [1, 2, 3, 4];
    /// let v = MatMut::row_major(&mut data, 2, 2)?;
    /// assert_eq!(v.rb().get(1, 1), 4);
    /// # Ok(()) }
    /// ```
    pub fn rb(&self) -> MatRef<'_, T> {
        MatRef {
            ptr: self.ptr,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
            _borrow: PhantomData,
        }
    }

    /// A shorter-lived mutable view of the same elements (a reborrow).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 4];
    /// let mut v = MatMut::row_major(&mut data, 2, 2)?;
    /// v.rb_mut().transpose().set(0, 1, 3); // a reborrow; v stays usable
    /// v.set(0, 0, 1);
    /// assert_eq!(data, [1, 0, 3, 0]);
    /// # Ok(()) }
    /// ```
    pub fn rb_mut(&mut self) -> MatMut<'_, T> {
        MatMut {
            ptr: self.ptr,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
            _borrow: PhantomData,
        }
    }

    /// Converts into a read-only view with the full lifetime.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [1, 2];
    /// let r: MatRef<'_, i32> = MatMut::row_major(&mut data, 1, 2)?.into_ref();
    /// assert_eq!(r.get(0, 1), 2);
    /// # Ok(()) }
    /// ```
    pub fn into_ref(self) -> MatRef<'a, T> {
        MatRef {
            ptr: self.ptr,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
            _borrow: PhantomData,
        }
    }

    /// The transpose as a mutable view.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 6];
    /// MatMut::row_major(&mut data, 2, 3)?.transpose().set(2, 0, 9); // (0, 2) of the original
    /// assert_eq!(data[2], 9);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn transpose(self) -> MatMut<'a, T> {
        MatMut {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// The `rows × cols` block whose top-left element is `(row, col)`.
    ///
    /// # Errors
    /// `OutOfBounds` when the block does not fit inside this view.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 9];
    /// let mut s = MatMut::row_major(&mut data, 3, 3)?.submatrix(1, 1, 2, 2)?;
    /// s.set(1, 1, 1);
    /// assert_eq!(data[2 * 3 + 2], 1);
    /// # Ok(()) }
    /// ```
    pub fn submatrix(
        self,
        row: usize,
        col: usize,
        rows: usize,
        cols: usize,
    ) -> Result<MatMut<'a, T>, ShapeError> {
        check_block(self.rows, self.cols, row, col, rows, cols)?;
        let ptr = self.rb().block_ptr(row, col, rows, cols);
        Ok(MatMut {
            ptr,
            rows,
            cols,
            ..self
        })
    }

    /// Splits into rows `0..r` and `r..rows`: two disjoint mutable views.
    ///
    /// # Panics
    /// When `r > rows`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 6];
    /// let (mut top, mut bottom) = MatMut::row_major(&mut data, 3, 2)?.split_at_row(1);
    /// top.set(0, 0, 1);
    /// bottom.set(1, 1, 2);
    /// assert_eq!(data, [1, 0, 0, 0, 0, 2]);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn split_at_row(self, r: usize) -> (MatMut<'a, T>, MatMut<'a, T>) {
        assert!(r <= self.rows, "split_at_row: {r} > {} rows", self.rows);
        let bottom_ptr = self.rb().block_ptr(r, 0, self.rows - r, self.cols);
        let top = MatMut {
            rows: r,
            _borrow: PhantomData,
            ..self
        };
        let bottom = MatMut {
            ptr: bottom_ptr,
            rows: self.rows - r,
            ..self
        };
        (top, bottom)
    }

    /// Splits into columns `0..c` and `c..cols`: two disjoint mutable views.
    ///
    /// # Panics
    /// When `c > cols`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 6];
    /// let (mut left, mut right) = MatMut::row_major(&mut data, 2, 3)?.split_at_col(2);
    /// left.set(1, 1, 1);
    /// right.set(0, 0, 2);
    /// assert_eq!(data, [0, 0, 2, 0, 1, 0]);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn split_at_col(self, c: usize) -> (MatMut<'a, T>, MatMut<'a, T>) {
        assert!(c <= self.cols, "split_at_col: {c} > {} cols", self.cols);
        let (left, right) = self.transpose().split_at_row(c);
        (left.transpose(), right.transpose())
    }

    /// Row `i` as a mutable vector view.
    ///
    /// # Panics
    /// When `i ≥ rows`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 4];
    /// MatMut::col_major(&mut data, 2, 2)?.row_mut(1).set(1, 7);
    /// assert_eq!(data[1 + 1 * 2], 7);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn row_mut(self, i: usize) -> VecMut<'a, T> {
        check_index("row_mut", i, 0, self.rows, self.cols.max(1));
        VecMut {
            ptr: self.rb().block_ptr(i, 0, 1, self.cols),
            len: self.cols,
            stride: self.col_stride,
            _borrow: PhantomData,
        }
    }

    /// Column `j` as a mutable vector view.
    ///
    /// # Panics
    /// When `j ≥ cols`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 4];
    /// MatMut::row_major(&mut data, 2, 2)?.col_mut(1).set(0, 7);
    /// assert_eq!(data[1], 7);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn col_mut(self, j: usize) -> VecMut<'a, T> {
        self.transpose().row_mut(j)
    }

    /// The view with its rows in reverse order.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 4];
    /// MatMut::row_major(&mut data, 2, 2)?.reverse_rows().set(0, 0, 1);
    /// assert_eq!(data, [0, 0, 1, 0]);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn reverse_rows(self) -> MatMut<'a, T> {
        let r = self.rb().reverse_rows();
        MatMut {
            ptr: r.ptr,
            row_stride: r.row_stride,
            ..self
        }
    }

    /// The view with its columns in reverse order.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 4];
    /// MatMut::row_major(&mut data, 2, 2)?.reverse_cols().set(0, 0, 1);
    /// assert_eq!(data, [0, 1, 0, 0]);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn reverse_cols(self) -> MatMut<'a, T> {
        self.transpose().reverse_rows().transpose()
    }

    /// A mutable reference to element `(i, j)`.
    ///
    /// # Panics
    /// When `i ≥ rows` or `j ≥ cols`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [1, 2, 3, 4];
    /// let mut v = MatMut::row_major(&mut data, 2, 2)?;
    /// *v.get_mut(1, 0) += 10;
    /// assert_eq!(data[2], 13);
    /// # Ok(()) }
    /// ```
    #[inline]
    #[track_caller]
    pub fn get_mut(&mut self, i: usize, j: usize) -> &mut T {
        check_index("get_mut", i, j, self.rows, self.cols);
        let off = self.offset_of(i, j);
        // SAFETY: (i, j) is inside the view, hence a validated in-bounds address that no other
        // index pair of this view reaches (non-aliasing was checked at construction), and
        // `&mut self` keeps every other access out for the reference's lifetime.
        unsafe { &mut *self.ptr.as_ptr().offset(off) }
    }

    /// Writes `value` to element `(i, j)`.
    ///
    /// # Panics
    /// When `i ≥ rows` or `j ≥ cols`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 4];
    /// MatMut::col_major(&mut data, 2, 2)?.set(0, 1, 5);
    /// assert_eq!(data[2], 5);
    /// # Ok(()) }
    /// ```
    #[inline]
    #[track_caller]
    pub fn set(&mut self, i: usize, j: usize, value: T) {
        *self.get_mut(i, j) = value;
    }

    /// The elements as one mutable row-major slice, when the view is laid out that way.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 4];
    /// let mut v = MatMut::row_major(&mut data, 2, 2)?;
    /// v.as_row_major_slice_mut().unwrap().fill(1);
    /// assert!(v.rb_mut().transpose().as_row_major_slice_mut().is_none());
    /// assert_eq!(data, [1; 4]);
    /// # Ok(()) }
    /// ```
    pub fn as_row_major_slice_mut(&mut self) -> Option<&mut [T]> {
        self.is_row_major().then(|| {
            // SAFETY: a row-major view addresses exactly rows·cols consecutive elements from
            // (0, 0), all inside the borrowed slice and exclusively ours through `&mut self`.
            unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.rows * self.cols) }
        })
    }

    /// Mutable pointer to element `(0, 0)` for the kernels.
    #[inline]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<'a, T> From<MatMut<'a, T>> for MatRef<'a, T> {
    fn from(m: MatMut<'a, T>) -> Self {
        m.into_ref()
    }
}

// ---------------------------------------------------------------------------------------------
// Vector views
// ---------------------------------------------------------------------------------------------

macro_rules! vector_view_common {
    ($name:ident) => {
        impl<'a, T> $name<'a, T> {
            /// Number of elements.
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            /// let mut data = [1, 2, 3, 4, 5];
            #[doc = concat!("let x = outerprod::", stringify!($name), "::new(&mut data, 4, 3, -2)?; // 5, 3, 1")]
            /// assert_eq!(x.len(), 3);
            /// # Ok(()) }
            /// ```
            #[inline]
            pub fn len(&self) -> usize {
                self.len
            }

            /// `true` when the vector has no elements.
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            /// let mut data = [1, 2, 3, 4, 5];
            #[doc = concat!("let x = outerprod::", stringify!($name), "::new(&mut data, 4, 3, -2)?; // 5, 3, 1")]
            /// assert!(!x.is_empty());
            /// # Ok(()) }
            /// ```
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.len == 0
            }

            /// Distance in elements between element `i` and `i + 1`.
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            /// let mut data = [1, 2, 3, 4, 5];
            #[doc = concat!("let x = outerprod::", stringify!($name), "::new(&mut data, 4, 3, -2)?; // 5, 3, 1")]
            /// assert_eq!(x.stride(), -2);
            /// # Ok(()) }
            /// ```
            #[inline]
            pub fn stride(&self) -> isize {
                self.stride
            }

            /// Pointer to element 0 for the kernels.
            // Kernel accessor: each kernel needs it for some view types only.
            #[allow(dead_code)]
            #[inline]
            pub(crate) fn as_ptr(&self) -> *const T {
                self.ptr.as_ptr()
            }
        }

        impl<T: Copy> $name<'_, T> {
            /// Element `i`.
            ///
            /// # Panics
            /// When `i ≥ len`.
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            /// let mut data = [1, 2, 3, 4, 5];
            #[doc = concat!("let x = outerprod::", stringify!($name), "::new(&mut data, 4, 3, -2)?; // 5, 3, 1")]
            /// assert_eq!(x.get(0), 5);
            /// # Ok(()) }
            /// ```
            #[inline]
            #[track_caller]
            pub fn get(&self, i: usize) -> T {
                assert!(
                    i < self.len,
                    "get: index {i} out of bounds for a vector of length {}",
                    self.len
                );
                // SAFETY: i < len, and every in-view offset was validated at construction.
                unsafe { *self.ptr.as_ptr().offset(i as isize * self.stride) }
            }

            /// Copies the elements into a `Vec`, in view order.
            ///
            /// ```
            /// # fn main() -> Result<(), outerprod::ShapeError> {
            /// let mut data = [1, 2, 3, 4, 5];
            #[doc = concat!("let x = outerprod::", stringify!($name), "::new(&mut data, 4, 3, -2)?; // 5, 3, 1")]
            /// assert_eq!(x.to_vec(), vec![5, 3, 1]);
            /// # Ok(()) }
            /// ```
            pub fn to_vec(&self) -> Vec<T> {
                (0..self.len).map(|i| self.get(i)).collect()
            }
        }

        impl<T: Copy + PartialEq> PartialEq for $name<'_, T> {
            fn eq(&self, other: &Self) -> bool {
                self.len == other.len && (0..self.len).all(|i| self.get(i) == other.get(i))
            }
        }

        impl<T: Copy + fmt::Debug> fmt::Debug for $name<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("len", &self.len)
                    .field("stride", &self.stride)
                    .field("elements", &self.to_vec())
                    .finish()
            }
        }
    };
}

vector_view_common!(VecRef);
vector_view_common!(VecMut);

impl<'a, T> VecRef<'a, T> {
    /// A view of `len` elements of `data`, element `i` at `offset + i·stride`. With a
    /// negative stride element 0 sits at the far end, as in BLAS.
    ///
    /// # Errors
    /// `OutOfBounds` when some addressed element lies outside `data`. A zero stride is allowed
    /// here (every element reads `data[offset]`); functions with BLAS rules reject it.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [1, 2, 3, 4, 5, 6];
    /// let x = VecRef::new(&data, 1, 3, 2)?; // BLAS incx = 2 from data[1]
    /// assert_eq!(x.to_vec(), vec![2, 4, 6]);
    /// let r = VecRef::new(&data, 5, 3, -2)?; // incx = -2: element 0 at the far end
    /// assert_eq!(r.to_vec(), vec![6, 4, 2]);
    /// assert!(VecRef::new(&data, 1, 4, 2).is_err()); // would reach data[7]
    /// # Ok(()) }
    /// ```
    pub fn new(
        data: &'a [T],
        offset: usize,
        len: usize,
        stride: isize,
    ) -> Result<Self, ShapeError> {
        extent::check_in_bounds("data", data.len(), offset, &[(len, stride)])?;
        Ok(VecRef {
            ptr: element_zero(data, offset, len == 0),
            len,
            stride,
            _borrow: PhantomData,
        })
    }

    /// The elements in reverse order (a negated stride).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [1, 2, 3];
    /// assert_eq!(VecRef::from(&data).reverse().to_vec(), vec![3, 2, 1]);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn reverse(self) -> VecRef<'a, T> {
        if self.len == 0 {
            return self;
        }
        // SAFETY: element len - 1 is inside the non-empty view.
        let ptr = unsafe { self.ptr.offset((self.len as isize - 1) * self.stride) };
        VecRef {
            ptr,
            stride: self.stride.wrapping_neg(),
            ..self
        }
    }

    /// Elements `start..start + len` as a view with the same stride (no copy).
    ///
    /// # Errors
    /// `OutOfBounds` naming `subvector` when the range does not fit inside this vector.
    ///
    /// ```
    /// use outerprod::VecRef;
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let data = [0, 1, 2, 3, 4, 5, 6];
    /// let x = VecRef::new(&data, 6, 4, -2)?; // 6, 4, 2, 0
    /// assert_eq!(x.subvector(1, 2)?.to_vec(), vec![4, 2]);
    /// assert!(x.subvector(3, 2).is_err());
    /// # Ok(()) }
    /// ```
    pub fn subvector(self, start: usize, len: usize) -> Result<VecRef<'a, T>, ShapeError> {
        let fits = start.checked_add(len).is_some_and(|end| end <= self.len);
        if !fits {
            return Err(ShapeError::new(
                ErrorKind::OutOfBounds,
                "subvector",
                format!("a range inside 0..{}", self.len),
                format!("{len} elements from {start}"),
            ));
        }
        if len == 0 {
            return Ok(VecRef { len: 0, ..self });
        }
        debug_assert!(start < self.len);
        // SAFETY: `start < self.len` (the range is non-empty and fits), so element `start` is
        // one of this view's validated in-bounds addresses.
        let ptr = unsafe { self.ptr.offset(start as isize * self.stride) };
        Ok(VecRef { ptr, len, ..self })
    }

    /// The elements as a slice when the stride is 1 (or the vector has at most one element).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let data = [1, 2, 3];
    /// assert_eq!(VecRef::from(&data).as_slice(), Some(&data[..]));
    /// assert_eq!(VecRef::new(&data, 0, 2, 2)?.as_slice(), None);
    /// # Ok(()) }
    /// ```
    pub fn as_slice(&self) -> Option<&'a [T]> {
        (self.stride == 1 || self.len <= 1).then(|| {
            // SAFETY: len consecutive elements from element 0 are all validated in-bounds.
            unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
        })
    }
}

impl<'a, T> From<&'a [T]> for VecRef<'a, T> {
    fn from(s: &'a [T]) -> Self {
        VecRef {
            ptr: NonNull::from(s).cast::<T>(),
            len: s.len(),
            stride: 1,
            _borrow: PhantomData,
        }
    }
}

impl<'a, T> From<&'a Vec<T>> for VecRef<'a, T> {
    fn from(s: &'a Vec<T>) -> Self {
        VecRef::from(s.as_slice())
    }
}

impl<'a, T, const N: usize> From<&'a [T; N]> for VecRef<'a, T> {
    fn from(s: &'a [T; N]) -> Self {
        VecRef::from(s.as_slice())
    }
}

impl<'a, T> VecMut<'a, T> {
    /// A mutable view of `len` elements of `data`, element `i` at `offset + i·stride`.
    ///
    /// # Errors
    /// `OutOfBounds` when some addressed element lies outside `data`; `Aliasing` when
    /// `stride == 0` and `len > 1`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 5];
    /// let mut y = VecMut::new(&mut data, 4, 3, -2)?; // data[4], data[2], data[0]
    /// y.set(0, 1);
    /// assert_eq!(data, [0, 0, 0, 0, 1]);
    /// assert!(VecMut::new(&mut data, 0, 2, 0).is_err()); // both elements at data[0]
    /// # Ok(()) }
    /// ```
    pub fn new(
        data: &'a mut [T],
        offset: usize,
        len: usize,
        stride: isize,
    ) -> Result<Self, ShapeError> {
        extent::check_in_bounds("data", data.len(), offset, &[(len, stride)])?;
        extent::check_no_alias_2d("data", len, 1, stride, 0)?;
        Ok(VecMut {
            ptr: element_zero_mut(data, offset, len == 0),
            len,
            stride,
            _borrow: PhantomData,
        })
    }

    /// A read-only view of the same elements.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [1, 2];
    /// let y = VecMut::from(&mut data[..]);
    /// assert_eq!(y.rb().get(1), 2);
    /// # Ok(()) }
    /// ```
    pub fn rb(&self) -> VecRef<'_, T> {
        VecRef {
            ptr: self.ptr,
            len: self.len,
            stride: self.stride,
            _borrow: PhantomData,
        }
    }

    /// A shorter-lived mutable view of the same elements.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0, 0];
    /// let mut y = VecMut::from(&mut data[..]);
    /// y.rb_mut().set(0, 1);
    /// y.set(1, 2);
    /// assert_eq!(data, [1, 2]);
    /// # Ok(()) }
    /// ```
    pub fn rb_mut(&mut self) -> VecMut<'_, T> {
        VecMut {
            ptr: self.ptr,
            len: self.len,
            stride: self.stride,
            _borrow: PhantomData,
        }
    }

    /// A mutable reference to element `i`.
    ///
    /// # Panics
    /// When `i ≥ len`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [1, 2];
    /// *VecMut::from(&mut data[..]).get_mut(1) *= 5;
    /// assert_eq!(data, [1, 10]);
    /// # Ok(()) }
    /// ```
    #[inline]
    #[track_caller]
    pub fn get_mut(&mut self, i: usize) -> &mut T {
        assert!(
            i < self.len,
            "get_mut: index {i} out of bounds for a vector of length {}",
            self.len
        );
        // SAFETY: i < len: a validated, non-aliased address, exclusive through `&mut self`.
        unsafe { &mut *self.ptr.as_ptr().offset(i as isize * self.stride) }
    }

    /// Writes `value` to element `i`.
    ///
    /// # Panics
    /// When `i ≥ len`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 4];
    /// VecMut::new(&mut data, 1, 2, 2)?.set(1, 8);
    /// assert_eq!(data, [0, 0, 0, 8]);
    /// # Ok(()) }
    /// ```
    #[inline]
    #[track_caller]
    pub fn set(&mut self, i: usize, value: T) {
        *self.get_mut(i) = value;
    }

    /// The elements as a mutable slice when the stride is 1 (or the vector has at most one
    /// element).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::{MatMut, MatRef, VecMut, VecRef};
    /// let mut data = [0; 3];
    /// VecMut::from(&mut data[..]).as_slice_mut().unwrap().fill(4);
    /// assert_eq!(data, [4; 3]);
    /// # Ok(()) }
    /// ```
    pub fn as_slice_mut(&mut self) -> Option<&mut [T]> {
        (self.stride == 1 || self.len <= 1).then(|| {
            // SAFETY: len consecutive validated elements, exclusive through `&mut self`.
            unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
        })
    }

    /// Mutable pointer to element 0 (for the interop conversions).
    #[cfg(any(feature = "ndarray", feature = "nalgebra", feature = "faer"))]
    #[inline]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<'a, T> From<&'a mut [T]> for VecMut<'a, T> {
    fn from(s: &'a mut [T]) -> Self {
        VecMut {
            len: s.len(),
            ptr: NonNull::from(s).cast::<T>(),
            stride: 1,
            _borrow: PhantomData,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Raw constructors, for views that another library already borrowed (the interop features)
// ---------------------------------------------------------------------------------------------

/// `true` when `ptr` is aligned for `T` (the raw constructors' debug check).
#[cfg(any(feature = "ndarray", feature = "nalgebra", feature = "faer"))]
fn ptr_is_aligned<T>(ptr: NonNull<T>) -> bool {
    (ptr.as_ptr() as usize).is_multiple_of(std::mem::align_of::<T>())
}

#[cfg(any(feature = "ndarray", feature = "nalgebra", feature = "faer"))]
impl<'a, T> MatRef<'a, T> {
    /// A view of memory that a foreign view (ndarray, nalgebra, faer) already borrows for `'a`:
    /// element `(i, j)` at `ptr + i·row_stride + j·col_stride`.
    ///
    /// Unlike [`new`](Self::new) it needs no slice covering the whole span. That matters: the
    /// span of a sub-block or of a padded faer matrix has gaps that may be uninitialised or
    /// mutably borrowed by a sibling view, and a `&[T]` over them would be undefined behaviour.
    ///
    /// # Safety
    /// - `ptr` is non-null and aligned for `T`, also when the view is empty;
    /// - for every `i < rows`, `j < cols`, the offset `i·row_stride + j·col_stride` (in
    ///   elements) fits in `isize` in bytes and lands on an initialised `T` inside the
    ///   allocation `ptr` points into;
    /// - none of those elements is written through any other path during `'a`.
    pub(crate) unsafe fn from_raw_parts(
        ptr: NonNull<T>,
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
    ) -> Self {
        debug_assert!(ptr_is_aligned(ptr));
        MatRef {
            ptr,
            rows,
            cols,
            row_stride,
            col_stride,
            _borrow: PhantomData,
        }
    }
}

#[cfg(any(feature = "ndarray", feature = "nalgebra", feature = "faer"))]
impl<'a, T> MatMut<'a, T> {
    /// The mutable twin of [`MatRef::from_raw_parts`].
    ///
    /// # Safety
    /// As [`MatRef::from_raw_parts`], and in addition:
    /// - no two index pairs reach the same element (check with `extent::check_no_alias_2d`);
    /// - none of the elements is read or written through any other path during `'a`.
    pub(crate) unsafe fn from_raw_parts(
        ptr: NonNull<T>,
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
    ) -> Self {
        debug_assert!(ptr_is_aligned(ptr));
        debug_assert!(
            extent::check_no_alias_2d("view", rows, cols, row_stride, col_stride).is_ok()
        );
        MatMut {
            ptr,
            rows,
            cols,
            row_stride,
            col_stride,
            _borrow: PhantomData,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_and_submatrix_are_stride_arithmetic() {
        let data: Vec<i32> = (0..12).collect();
        let a = MatRef::row_major(&data, 3, 4).unwrap();
        let t = a.transpose();
        assert_eq!(
            (t.rows(), t.cols(), t.row_stride(), t.col_stride()),
            (4, 3, 1, 4)
        );
        for i in 0..3 {
            for j in 0..4 {
                assert_eq!(a.get(i, j), t.get(j, i));
            }
        }
        let s = a.submatrix(1, 1, 2, 2).unwrap();
        assert_eq!(s.to_matrix().as_slice(), &[5, 6, 9, 10]);
        assert!(a.submatrix(2, 2, 2, 2).is_err());
        assert!(a.submatrix(3, 0, 0, 4).is_ok());
    }

    #[test]
    fn reversal_gives_negative_strides() {
        let data: Vec<i32> = (0..6).collect();
        let a = MatRef::row_major(&data, 2, 3).unwrap();
        let r = a.reverse_rows().reverse_cols();
        assert_eq!(r.to_matrix().as_slice(), &[5, 4, 3, 2, 1, 0]);
        assert_eq!((r.row_stride(), r.col_stride()), (-3, -1));
        let v = VecRef::from(&data[..]).reverse();
        assert_eq!(v.to_vec(), vec![5, 4, 3, 2, 1, 0]);
    }

    #[test]
    fn mutable_views_reject_aliasing() {
        let mut data = [0; 8];
        let e = MatMut::new(&mut data, 0, 2, 3, 2, 1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Aliasing);
        assert!(MatMut::new(&mut data, 0, 2, 3, 0, 1).is_err());
        assert!(MatMut::new(&mut data, 0, 2, 2, 1, 2).is_ok());
        assert!(VecMut::new(&mut data, 0, 2, 0).is_err());
        assert!(VecMut::new(&mut data, 0, 1, 0).is_ok());
        // A read-only view may broadcast.
        assert!(MatRef::new(&data, 0, 2, 3, 0, 1).is_ok());
    }

    #[test]
    fn split_gives_disjoint_halves() {
        let mut data: Vec<i32> = vec![0; 6];
        let m = MatMut::col_major(&mut data, 3, 2).unwrap();
        let (mut top, mut bottom) = m.split_at_row(1);
        top.set(0, 1, 1);
        bottom.set(1, 0, 2);
        assert_eq!(data, [0, 0, 2, 1, 0, 0]);
        let m = MatMut::row_major(&mut data, 3, 2).unwrap();
        let (l, r) = m.split_at_col(1);
        assert_eq!((l.cols(), r.cols(), r.get(1, 0), l.get(1, 0)), (1, 1, 1, 2));
    }

    #[test]
    fn out_of_bounds_views_are_errors() {
        let data = [1, 2, 3];
        assert_eq!(
            VecRef::new(&data, 0, 4, 1).unwrap_err().kind(),
            ErrorKind::OutOfBounds
        );
        assert!(VecRef::new(&data, 2, 3, -1).is_ok());
        assert!(VecRef::new(&data, 1, 3, -1).is_err());
        assert_eq!(
            MatRef::row_major(&data, 2, 2).unwrap_err().kind(),
            ErrorKind::LengthMismatch
        );
    }
}
