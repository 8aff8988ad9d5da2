//! [`Matrix`]: an owned, row-major, dense matrix.

use std::fmt;
use std::ops::{Index, IndexMut};

use crate::error::{ErrorKind, ShapeError};
use crate::scalar::Scalar;
use crate::view::{MatMut, MatRef};

/// An owned m×n matrix stored row-major: element `(i, j)` is `as_slice()[i·n + j]`.
///
/// ```
/// use outerprod::Matrix;
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let m = Matrix::from_vec(2, 3, vec![1, 2, 3, 4, 5, 6])?;
/// assert_eq!(m[(1, 2)], 6);
/// assert_eq!(m.vec(), vec![1, 4, 2, 5, 3, 6]); // column-major flattening
/// assert_eq!(m.to_string(), "[[1, 2, 3],\n [4, 5, 6]]");
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Matrix<T> {
    rows: usize,
    cols: usize,
    data: Vec<T>,
}

impl<T> Matrix<T> {
    /// Wraps a row-major `Vec` of `rows·cols` elements.
    ///
    /// # Errors
    /// `LengthMismatch` when `data.len() != rows·cols`; `Overflow` when `rows·cols` overflows.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let m = Matrix::from_vec(2, 2, vec![1, 2, 3, 4])?;
    /// assert_eq!(m[(1, 0)], 3);
    /// assert!(Matrix::from_vec(2, 2, vec![1, 2, 3]).is_err());
    /// # Ok(()) }
    /// ```
    pub fn from_vec(rows: usize, cols: usize, data: Vec<T>) -> Result<Self, ShapeError> {
        let need = element_count(rows, cols)?;
        if data.len() != need {
            return Err(ShapeError::new(
                ErrorKind::LengthMismatch,
                "data",
                format!("{need} elements (= {rows} × {cols})"),
                data.len().to_string(),
            ));
        }
        Ok(Matrix { rows, cols, data })
    }

    /// Internal constructor for callers that built `data` with exactly `rows·cols` elements.
    pub(crate) fn from_parts(rows: usize, cols: usize, data: Vec<T>) -> Self {
        debug_assert_eq!(Some(data.len()), rows.checked_mul(cols));
        Matrix { rows, cols, data }
    }

    /// Builds the matrix whose element `(i, j)` is `f(i, j)`.
    ///
    /// # Panics
    /// When `rows·cols` overflows `usize` or cannot be allocated.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let m = Matrix::from_fn(2, 3, |i, j| 10 * i + j);
    /// assert_eq!(m.as_slice(), &[0, 1, 2, 10, 11, 12]);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> T) -> Self {
        let n = element_count(rows, cols).unwrap_or_else(|e| panic!("Matrix::from_fn: {e}"));
        let mut data = Vec::with_capacity(n);
        // Only when non-empty: an empty matrix of very many rows would loop over them all.
        if n > 0 {
            for i in 0..rows {
                for j in 0..cols {
                    data.push(f(i, j));
                }
            }
        }
        Matrix { rows, cols, data }
    }

    /// Builds a matrix from equal-length rows.
    ///
    /// # Errors
    /// `LengthMismatch` naming `rows` when the rows differ in length.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let m = Matrix::from_rows(&[[1, 2], [3, 4], [5, 6]])?;
    /// assert_eq!((m.rows(), m.cols(), m[(2, 1)]), (3, 2, 6));
    /// assert!(Matrix::from_rows(&[vec![1, 2], vec![3]]).is_err());
    /// # Ok(()) }
    /// ```
    pub fn from_rows<R: AsRef<[T]>>(rows: &[R]) -> Result<Self, ShapeError>
    where
        T: Clone,
    {
        let cols = rows.first().map_or(0, |r| r.as_ref().len());
        let mut data = Vec::with_capacity(element_count(rows.len(), cols)?);
        for (i, r) in rows.iter().enumerate() {
            let r = r.as_ref();
            if r.len() != cols {
                return Err(ShapeError::new(
                    ErrorKind::LengthMismatch,
                    "rows",
                    format!("every row of length {cols} (the length of row 0)"),
                    format!("row {i} of length {}", r.len()),
                ));
            }
            data.extend_from_slice(r);
        }
        Ok(Matrix {
            rows: rows.len(),
            cols,
            data,
        })
    }

    /// Number of rows (m).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// assert_eq!(Matrix::<f64>::zeros(2, 5).rows(), 2);
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
    /// use outerprod::Matrix;
    /// assert_eq!(Matrix::<f64>::zeros(2, 5).cols(), 5);
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
    /// use outerprod::Matrix;
    /// assert_eq!(Matrix::<f64>::zeros(2, 5).shape(), (2, 5));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The row-major elements.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let m = Matrix::from_rows(&[[1, 2], [3, 4]])?;
    /// assert_eq!(m.as_slice(), &[1, 2, 3, 4]);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// The row-major elements, mutably.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let mut m = Matrix::from_rows(&[[1, 2], [3, 4]])?;
    /// m.as_mut_slice()[1] = 9;
    /// assert_eq!(m[(0, 1)], 9);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The row-major `Vec`, without copying.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let m = outerprod::outer(&[1, 2], &[3, 4]);
    /// assert_eq!(m.into_vec(), vec![1 * 3, 1 * 4, 2 * 3, 2 * 4]);
    /// # Ok(()) }
    /// ```
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// Row `i` as a slice.
    ///
    /// # Panics
    /// When `i ≥ rows`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let m = Matrix::from_rows(&[[1, 2], [3, 4]])?;
    /// assert_eq!(m.row(1), &[3, 4]);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn row(&self, i: usize) -> &[T] {
        assert!(
            i < self.rows,
            "row {i} out of bounds for {} rows",
            self.rows
        );
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// A read-only view of the whole matrix.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let m = Matrix::from_rows(&[[1, 2, 3], [4, 5, 6]])?;
    /// let v = m.view().submatrix(0, 1, 2, 2)?;
    /// assert_eq!(v.get(1, 1), m[(1, 2)]);
    /// # Ok(()) }
    /// ```
    pub fn view(&self) -> MatRef<'_, T> {
        MatRef::new(&self.data, 0, self.rows, self.cols, self.cols as isize, 1)
            .expect("a Matrix is always a valid row-major view")
    }

    /// A mutable view of the whole matrix.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let mut m = Matrix::<i32>::zeros(2, 2);
    /// m.view_mut().transpose().set(0, 1, 7); // (0, 1) of the transpose is (1, 0)
    /// assert_eq!(m[(1, 0)], 7);
    /// # Ok(()) }
    /// ```
    pub fn view_mut(&mut self) -> MatMut<'_, T> {
        let (rows, cols) = (self.rows, self.cols);
        MatMut::new(&mut self.data, 0, rows, cols, cols as isize, 1)
            .expect("a Matrix is always a valid row-major view")
    }

    /// The transpose as a view (no copy): an n×m view with swapped strides.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let m = Matrix::from_rows(&[[1, 2, 3], [4, 5, 6]])?;
    /// let t = m.transpose();
    /// assert_eq!(t.shape(), (3, 2));
    /// assert_eq!(t.get(2, 1), m[(1, 2)]);
    /// # Ok(()) }
    /// ```
    pub fn transpose(&self) -> MatRef<'_, T> {
        self.view().transpose()
    }
}

impl<T: Copy> Matrix<T> {
    /// vec(A): the column-major flattening, element `i + j·m` is `A[(i, j)]`.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let m = Matrix::from_rows(&[[1, 2], [3, 4]])?;
    /// assert_eq!(m.vec(), vec![m[(0, 0)], m[(1, 0)], m[(0, 1)], m[(1, 1)]]);
    /// # Ok(()) }
    /// ```
    pub fn vec(&self) -> Vec<T> {
        let (m, n) = (self.rows, self.cols);
        (0..n)
            .flat_map(|j| (0..m).map(move |i| self.data[i * n + j]))
            .collect()
    }
}

impl<T: Scalar> Matrix<T> {
    /// The m×n zero matrix.
    ///
    /// # Panics
    /// When `rows·cols` overflows or cannot be allocated; see [`try_zeros`](Self::try_zeros).
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let z = Matrix::<f32>::zeros(2, 3);
    /// assert!(z.as_slice().iter().all(|&v| v == 0.0) && z.shape() == (2, 3));
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self::try_zeros(rows, cols).unwrap_or_else(|e| panic!("Matrix::zeros: {e}"))
    }

    /// The m×n zero matrix, or an error instead of an abort when it cannot be allocated.
    ///
    /// # Errors
    /// `Overflow` when `rows·cols` (or its size in bytes) overflows; `Allocation` when the
    /// allocator refuses.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// assert_eq!(Matrix::<u8>::try_zeros(3, 1)?.as_slice(), &[0, 0, 0]);
    /// assert!(Matrix::<u8>::try_zeros(usize::MAX, 2).is_err());
    /// # Ok(()) }
    /// ```
    pub fn try_zeros(rows: usize, cols: usize) -> Result<Self, ShapeError> {
        let data = try_zeroed(rows, cols)?;
        Ok(Matrix { rows, cols, data })
    }

    /// The n×n identity matrix.
    ///
    /// # Panics
    /// When n·n overflows `usize` or cannot be allocated.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// use outerprod::Matrix;
    /// let i = Matrix::<i32>::identity(3);
    /// assert!((0..3).all(|r| (0..3).all(|c| i[(r, c)] == i32::from(r == c))));
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn identity(n: usize) -> Self {
        Matrix::from_fn(n, n, |i, j| if i == j { T::one() } else { T::zero() })
    }
}

/// `rows·cols`, or an `Overflow` error naming the shape.
pub(crate) fn element_count(rows: usize, cols: usize) -> Result<usize, ShapeError> {
    rows.checked_mul(cols).ok_or_else(|| {
        ShapeError::new(
            ErrorKind::Overflow,
            "shape",
            "rows × cols that fits in usize",
            format!("{rows} × {cols}"),
        )
    })
}

/// A `Vec` of `rows·cols` zeros, or an error when it cannot exist. Float buffers come zeroed
/// from the allocator (fresh pages for large ones), so an output that is overwritten next is
/// not written twice.
pub(crate) fn try_zeroed<T: Scalar>(rows: usize, cols: usize) -> Result<Vec<T>, ShapeError> {
    let n = element_count(rows, cols)?;
    match crate::arch::zeroed::zeroed_floats(n) {
        Some(data) => Ok(data),
        None => try_filled(rows, cols, T::zero()),
    }
}

/// A `Vec` of `rows·cols` copies of `value`, or an error when it cannot exist.
pub(crate) fn try_filled<T: Copy>(
    rows: usize,
    cols: usize,
    value: T,
) -> Result<Vec<T>, ShapeError> {
    let n = element_count(rows, cols)?;
    let bytes_ok = n
        .checked_mul(std::mem::size_of::<T>())
        .is_some_and(|b| b <= isize::MAX as usize);
    if !bytes_ok {
        return Err(ShapeError::new(
            ErrorKind::Overflow,
            "shape",
            "a buffer of at most isize::MAX bytes",
            format!(
                "{rows} × {cols} elements of {} bytes",
                std::mem::size_of::<T>()
            ),
        ));
    }
    let mut data = Vec::new();
    data.try_reserve_exact(n).map_err(|_| {
        ShapeError::new(
            ErrorKind::Allocation,
            "shape",
            format!("memory for {rows} × {cols} elements"),
            "an allocation failure",
        )
    })?;
    data.resize(n, value);
    Ok(data)
}

impl<T> Index<(usize, usize)> for Matrix<T> {
    type Output = T;

    /// # Panics
    /// When `(i, j)` is outside the matrix.
    #[track_caller]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) out of bounds for a {}×{} matrix",
            self.rows,
            self.cols
        );
        &self.data[i * self.cols + j]
    }
}

impl<T> IndexMut<(usize, usize)> for Matrix<T> {
    #[track_caller]
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut T {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) out of bounds for a {}×{} matrix",
            self.rows,
            self.cols
        );
        &mut self.data[i * self.cols + j]
    }
}

/// Prints a numpy-like grid with right-aligned columns; the precision flag is passed on to
/// each element (`{:.2}`).
impl<T: fmt::Display> fmt::Display for Matrix<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells: Vec<String> = self
            .data
            .iter()
            .map(|x| match f.precision() {
                Some(p) => format!("{x:.p$}"),
                None => format!("{x}"),
            })
            .collect();
        let width = cells.iter().map(|c| c.chars().count()).max().unwrap_or(0);
        f.write_str("[")?;
        for i in 0..self.rows {
            if i > 0 {
                f.write_str(",\n ")?;
            }
            f.write_str("[")?;
            for j in 0..self.cols {
                if j > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{:>width$}", cells[i * self.cols + j])?;
            }
            f.write_str("]")?;
        }
        f.write_str("]")
    }
}

impl<T: fmt::Debug> fmt::Debug for Matrix<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Matrix {}×{} ", self.rows, self.cols)?;
        f.debug_list()
            .entries(self.data.chunks(self.cols.max(1)).take(self.rows))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_aligns_columns_and_honours_precision() {
        let m = Matrix::from_vec(2, 2, vec![1.0, -2.5, 10.0, 0.5]).unwrap();
        assert_eq!(format!("{m:.1}"), "[[ 1.0, -2.5],\n [10.0,  0.5]]");
        let e: Matrix<i32> = Matrix::zeros(0, 3);
        assert_eq!(e.to_string(), "[]");
    }

    #[test]
    fn vec_is_column_major() {
        let m = Matrix::from_rows(&[[1, 2], [3, 4], [5, 6]]).unwrap();
        assert_eq!(m.vec(), vec![1, 3, 5, 2, 4, 6]);
        assert_eq!(m.transpose().get(1, 2), 6);
    }

    #[test]
    fn impossible_sizes_are_errors_not_aborts() {
        let e = Matrix::<f64>::try_zeros(usize::MAX, 2).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Overflow);
        let e = Matrix::<f64>::try_zeros(1 << 40, 1 << 22).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Overflow);
        assert!(Matrix::from_rows(&[vec![1], vec![1, 2]]).is_err());
    }
}
