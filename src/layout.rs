//! Small enums that name storage and triangle choices (instead of `bool` parameters).

/// How a dense matrix is laid out in a flat buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Rows are contiguous: element `(i, j)` of an m×n matrix is at `i·n + j`.
    RowMajor,
    /// Columns are contiguous: element `(i, j)` of an m×n matrix is at `i + j·m` (this is
    /// vec(A), the Fortran/BLAS/numpy `order='F'` layout).
    ColMajor,
}

/// Which triangle of a symmetric matrix is read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Triangle {
    /// Elements `(i, j)` with `i ≤ j`.
    Upper,
    /// Elements `(i, j)` with `i ≥ j`.
    Lower,
}
