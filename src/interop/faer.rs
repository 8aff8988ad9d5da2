//! faer interop.
