//! # outerprod
//!
//! Outer products and everything built from them: `a bᵀ` over slices for any number type,
//! vec(abᵀ) and Kronecker products, BLAS-grade rank-1 updates (`A ← A + α x yᵀ`), a packed,
//! multithreaded rank-k engine (`C ← αAB + βC`), and the gradients of dense layers.
//!
//! ```
//! let m = outerprod::outer(&[1, 2, 3], &[4, 5, 6]);
//! assert_eq!(m.to_string(), "[[ 4,  5,  6],\n [ 8, 10, 12],\n [12, 15, 18]]");
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]

mod arch;
mod error;
pub mod gemm;
mod ger;
pub mod grad;
#[cfg(any(feature = "ndarray", feature = "nalgebra", feature = "faer"))]
pub mod interop;
mod kron;
mod layout;
mod matrix;
mod outer;
mod rank1;
#[doc(hidden)]
pub mod reference;
mod scalar;
mod threading;
mod view;

pub use error::{ErrorKind, ShapeError};
pub use gemm::gemm;
pub use ger::ger;
pub use layout::{Layout, Triangle};
pub use matrix::Matrix;
pub use outer::{outer, outer_into, outer_into_layout, try_outer};
pub use scalar::{Float, Scalar};
pub use view::{MatMut, MatRef, VecMut, VecRef};

/// Hooks for tests and benches: force a kernel path on the current thread.
#[doc(hidden)]
pub mod testing {
    pub use crate::arch::{detected, with_kernel_path, KernelPath};
}
