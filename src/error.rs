//! The crate's one error type.
//!
//! Every fallible function returns [`ShapeError`]. It records which argument was wrong, what
//! was expected and what was given, so that the message alone is enough to fix the call:
//!
//! ```text
//! argument `out`: length mismatch: expected 6 (= 2 × 3), got 5
//! ```

use std::fmt;

/// What went wrong, in broad classes that callers can match on.
///
/// New kinds may be added in minor releases, so a `match` needs a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A buffer or vector has the wrong number of elements.
    LengthMismatch,
    /// Two operands have incompatible dimensions (for example `A` is m×k but `B` is k'×n).
    DimensionMismatch,
    /// A view addresses an element outside its slice (offset or stride too large).
    OutOfBounds,
    /// A mutable view would reach the same element through two index pairs.
    Aliasing,
    /// A stride is not allowed here (for example BLAS forbids `incx = 0`).
    InvalidStride,
    /// A size computation (`m·n`, an offset, a byte count) overflows `usize`/`isize`.
    Overflow,
    /// The allocator could not provide the requested buffer.
    Allocation,
    /// A value argument is outside its domain (for example a non-positive learning rate).
    InvalidValue,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::LengthMismatch => "length mismatch",
            ErrorKind::DimensionMismatch => "dimension mismatch",
            ErrorKind::OutOfBounds => "out of bounds",
            ErrorKind::Aliasing => "aliasing mutable view",
            ErrorKind::InvalidStride => "invalid stride",
            ErrorKind::Overflow => "size overflow",
            ErrorKind::Allocation => "allocation failed",
            ErrorKind::InvalidValue => "invalid value",
        }
    }
}

/// A bad argument: which one, what was expected, and what was given.
///
/// ```
/// use outerprod::{outer_into, ErrorKind};
/// let mut out = [0; 5];
/// let err = outer_into(&mut out, &[1, 2], &[3, 4, 5]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::LengthMismatch);
/// assert_eq!(err.argument(), "out");
/// assert!(err.to_string().contains("expected 6"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ShapeError {
    repr: Box<Repr>,
}

#[derive(Clone, PartialEq, Eq)]
struct Repr {
    kind: ErrorKind,
    argument: &'static str,
    expected: String,
    got: String,
}

impl ShapeError {
    /// Builds an error; `expected` and `got` are short phrases such as `"6 (= 2 × 3)"`.
    pub(crate) fn new(
        kind: ErrorKind,
        argument: &'static str,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        ShapeError {
            repr: Box::new(Repr {
                kind,
                argument,
                expected: expected.into(),
                got: got.into(),
            }),
        }
    }

    /// The class of the error.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let e = outerprod::unvec(&[1, 2, 3], 2, 2).unwrap_err();
    /// assert_eq!(e.kind(), outerprod::ErrorKind::LengthMismatch);
    /// # Ok(()) }
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.repr.kind
    }

    /// The name of the offending argument, as spelled in the function signature.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let e = outerprod::unvec(&[1, 2, 3], 2, 2).unwrap_err();
    /// assert_eq!(e.argument(), "v");
    /// # Ok(()) }
    /// ```
    pub fn argument(&self) -> &'static str {
        self.repr.argument
    }

    /// What the function expected of that argument.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let e = outerprod::unvec(&[1, 2, 3], 2, 2).unwrap_err();
    /// assert_eq!(e.expected(), "4 elements (= 2 × 2)");
    /// # Ok(()) }
    /// ```
    pub fn expected(&self) -> &str {
        &self.repr.expected
    }

    /// What it was given.
    ///
    /// ```
    /// # fn main() -> Result<(), outerprod::ShapeError> {
    /// let e = outerprod::unvec(&[1, 2, 3], 2, 2).unwrap_err();
    /// assert_eq!(e.got(), "3");
    /// # Ok(()) }
    /// ```
    pub fn got(&self) -> &str {
        &self.repr.got
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.repr;
        write!(
            f,
            "argument `{}`: {}: expected {}, got {}",
            r.argument,
            r.kind.describe(),
            r.expected,
            r.got
        )
    }
}

impl fmt::Debug for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShapeError")
            .field("kind", &self.repr.kind)
            .field("argument", &self.repr.argument)
            .field("expected", &self.repr.expected)
            .field("got", &self.repr.got)
            .finish()
    }
}

impl std::error::Error for ShapeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_argument_expectation_and_value() {
        let e = ShapeError::new(ErrorKind::LengthMismatch, "out", "6 (= 2 × 3)", "5");
        assert_eq!(
            e.to_string(),
            "argument `out`: length mismatch: expected 6 (= 2 × 3), got 5"
        );
        assert_eq!(e.kind(), ErrorKind::LengthMismatch);
        assert_eq!(e.argument(), "out");
        assert_eq!(e.expected(), "6 (= 2 × 3)");
        assert_eq!(e.got(), "5");
    }

    #[test]
    fn is_send_sync_static_error() {
        fn check<E: std::error::Error + Send + Sync + 'static>() {}
        check::<ShapeError>();
    }
}
