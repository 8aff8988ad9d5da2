//! The only code that decides whether a strided view is valid.
//!
//! A view is `offset` plus a list of `(extent, stride)` dimensions over a slice of `len`
//! elements. It is in bounds when its smallest and largest addressed offsets lie in `0..len`,
//! and (for mutable views) free of aliasing when no two index tuples reach the same offset.
//! The arithmetic is done in `i128`, where no product of a `usize` and an `isize` overflows.

use crate::error::{ErrorKind, ShapeError};

/// Smallest and largest offsets addressed, or `None` for an empty view.
pub(crate) fn span(offset: usize, dims: &[(usize, isize)]) -> Option<(i128, i128)> {
    if dims.iter().any(|&(n, _)| n == 0) {
        return None;
    }
    let mut lo = offset as i128;
    let mut hi = offset as i128;
    for &(n, s) in dims {
        let reach = (n as i128 - 1) * s as i128;
        if reach < 0 {
            lo += reach;
        } else {
            hi += reach;
        }
    }
    Some((lo, hi))
}

/// `Ok` when every element the view addresses lies inside a slice of `len` elements.
pub(crate) fn check_in_bounds(
    argument: &'static str,
    len: usize,
    offset: usize,
    dims: &[(usize, isize)],
) -> Result<(), ShapeError> {
    checked_count(argument, dims)?;
    match span(offset, dims) {
        None if offset <= len => Ok(()),
        None => Err(ShapeError::new(
            ErrorKind::OutOfBounds,
            argument,
            format!("offset ≤ slice length {len} for an empty view"),
            format!("offset {offset}"),
        )),
        Some((lo, hi)) if lo >= 0 && hi < len as i128 => Ok(()),
        Some((lo, hi)) => Err(ShapeError::new(
            ErrorKind::OutOfBounds,
            argument,
            format!("addressed offsets within 0..{len}"),
            format!(
                "offsets {lo}..={hi} (offset {offset}, dims×strides {})",
                describe(dims)
            ),
        )),
    }
}

/// The number of elements, or an `Overflow` error when it does not fit in `usize`.
pub(crate) fn checked_count(
    argument: &'static str,
    dims: &[(usize, isize)],
) -> Result<usize, ShapeError> {
    dims.iter()
        .try_fold(1usize, |acc, &(n, _)| acc.checked_mul(n))
        .ok_or_else(|| {
            let lens: Vec<String> = dims.iter().map(|(n, _)| n.to_string()).collect();
            ShapeError::new(
                ErrorKind::Overflow,
                argument,
                "an element count that fits in usize",
                format!("{} elements", lens.join(" × ")),
            )
        })
}

/// `Ok` when no two distinct index pairs of a 2-D view reach the same offset.
///
/// Two pairs collide when `di·rs + dj·cs = 0` for some `|di| < rows`, `|dj| < cols`, not both 0.
/// With `g = gcd(rs, cs)` the smallest non-zero solution is `|di| = |cs|/g`, `|dj| = |rs|/g`,
/// which makes the test exact rather than a sufficient condition.
pub(crate) fn check_no_alias_2d(
    argument: &'static str,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
) -> Result<(), ShapeError> {
    if aliases_2d(rows, cols, row_stride, col_stride) {
        Err(ShapeError::new(
            ErrorKind::Aliasing,
            argument,
            "strides under which every element has its own address",
            format!("{rows}×{cols} with row stride {row_stride}, column stride {col_stride}"),
        ))
    } else {
        Ok(())
    }
}

fn aliases_2d(rows: usize, cols: usize, rs: isize, cs: isize) -> bool {
    if rows == 0 || cols == 0 {
        return false;
    }
    let (rs, cs) = (rs.unsigned_abs() as u128, cs.unsigned_abs() as u128);
    match (rows > 1, cols > 1) {
        (false, false) => false,
        (true, false) => rs == 0,
        (false, true) => cs == 0,
        (true, true) => {
            if rs == 0 || cs == 0 {
                return true;
            }
            // Nested strides (one step of the outer index jumps past a whole inner run), as in
            // every padded or transposed layout: |di·rs| ≥ |rs| > |dj·cs| unless di = 0, so no
            // collision, and no 128-bit division to find that out.
            if cs * cols as u128 <= rs || rs * rows as u128 <= cs {
                return false;
            }
            let g = gcd(rs, cs);
            cs / g < rows as u128 && rs / g < cols as u128
        }
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn describe(dims: &[(usize, isize)]) -> String {
    dims.iter()
        .map(|(n, s)| format!("{n}×{s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: enumerate every address.
    fn aliases_by_hand(rows: usize, cols: usize, rs: isize, cs: isize) -> bool {
        let mut seen = std::collections::HashSet::new();
        for i in 0..rows as isize {
            for j in 0..cols as isize {
                if !seen.insert(i * rs + j * cs) {
                    return true;
                }
            }
        }
        false
    }

    #[test]
    fn alias_test_is_exact_against_brute_force() {
        for rows in 0..6 {
            for cols in 0..6 {
                for rs in -7..=7 {
                    for cs in -7..=7 {
                        assert_eq!(
                            aliases_2d(rows, cols, rs, cs),
                            aliases_by_hand(rows, cols, rs, cs),
                            "{rows}×{cols} strides ({rs}, {cs})"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn span_of_negative_strides_reaches_back() {
        assert_eq!(span(9, &[(4, -3)]), Some((0, 9)));
        assert_eq!(span(2, &[(2, 3), (3, -1)]), Some((0, 5)));
        assert_eq!(span(5, &[(0, 3), (3, 1)]), None);
    }

    #[test]
    fn bounds_accept_exact_fit_and_reject_one_past() {
        assert!(check_in_bounds("a", 6, 0, &[(2, 3), (3, 1)]).is_ok());
        let e = check_in_bounds("a", 5, 0, &[(2, 3), (3, 1)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfBounds);
        assert!(check_in_bounds("x", 4, 3, &[(4, -1)]).is_ok());
        assert!(check_in_bounds("x", 4, 2, &[(4, -1)]).is_err());
        assert!(check_in_bounds("x", 0, 0, &[(0, 1)]).is_ok());
        assert!(check_in_bounds("x", 0, 1, &[(0, 1)]).is_err());
    }

    #[test]
    fn huge_dims_overflow_instead_of_wrapping() {
        let e = check_in_bounds("a", 10, 0, &[(usize::MAX, 0), (2, 0)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Overflow);
        let e = check_in_bounds("a", 10, 0, &[(usize::MAX, isize::MAX)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfBounds);
    }
}
