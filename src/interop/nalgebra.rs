//! nalgebra interop.
