//! # outerprod
//!
//! Outer products and everything built from them: `a bᵀ` over slices for any number type,
//! vec(abᵀ) and Kronecker products, strided matrix and vector views, BLAS-grade rank-1
//! updates (`A ← A + α x yᵀ`), a rank-k engine (`C ← αAB + βC`) and the gradients of dense
//! layers. Generic over [`num_traits::Num`]; `f32` and `f64` run SIMD kernels chosen at run
//! time (no `-C target-cpu=native` needed).
//!
//! ## The outer product
//!
//! For `a` of length m and `b` of length n, `a bᵀ` is the m×n matrix with element `(i, j)`
//! equal to `a[i]·b[j]`. [`outer`] returns it as a row-major [`Matrix`]; [`outer_into`] writes
//! it into a buffer you own.
//!
//! ```
//! # fn main() -> Result<(), outerprod::ShapeError> {
//! use outerprod::{outer, outer_into};
//! let m = outer(&[1, 2, 3], &[4, 5, 6]);
//! assert_eq!(m.to_string(), "[[ 4,  5,  6],\n [ 8, 10, 12],\n [12, 15, 18]]");
//! assert_eq!(m[(2, 1)], 3 * 5);
//!
//! let mut buf = [0.0; 4];
//! outer_into(&mut buf, &[1.0, 2.0], &[0.5, -1.0])?; // no allocation
//! assert_eq!(buf, [0.5, -1.0, 1.0, -2.0]);
//! # Ok(()) }
//! ```
//!
//! ## vec(abᵀ) = kron(b, a), and why it is not the elementwise product
//!
//! vec stacks the columns of a matrix, so vec(abᵀ) lists `a·b[0]`, then `a·b[1]`, …: element
//! `i + j·m` is `a[i]·b[j]`. That is the Kronecker product **kron(b, a)** (b first!), while the
//! row-major flattening of abᵀ is kron(a, b). Both have m·n elements. The elementwise
//! (Hadamard) product `[a₁b₁, a₂b₂, …]` is something else: it needs m = n and has n elements.
//!
//! With a = (1, 2, 3) and b = (10, 20):
//!
//! ```text
//!         ⎡10 20⎤
//! abᵀ  =  ⎢20 40⎥    vec(abᵀ) = kron(b, a) = [10, 20, 30, 20, 40, 60]
//!         ⎣30 60⎦    row-major = kron(a, b) = [10, 20, 20, 40, 30, 60]
//! ```
//!
//! ```
//! # fn main() -> Result<(), outerprod::ShapeError> {
//! use outerprod::{kron, outer, unvec, vec_outer};
//! let (a, b) = ([1, 2, 3], [10, 20]);
//! let v = vec_outer(&a, &b);
//! assert_eq!(v, [10, 20, 30, 20, 40, 60]);
//! assert_eq!(v, kron(&b, &a));                         // vec(abᵀ) = kron(b, a)
//! assert_eq!(outer(&a, &b).into_vec(), kron(&a, &b));  // row-major flatten = kron(a, b)
//! assert_eq!(unvec(&v, 3, 2)?, outer(&a, &b));         // unvec undoes vec
//!
//! // Not the elementwise product (which would need equal lengths anyway):
//! let (p, q) = ([1, 2], [10, 20]);
//! let hadamard: Vec<i32> = p.iter().zip(&q).map(|(x, y)| x * y).collect();
//! assert_eq!(hadamard, [10, 40]);                      // 2 elements
//! assert_eq!(vec_outer(&p, &q), [10, 20, 20, 40]);     // 4 elements
//! # Ok(()) }
//! ```
//!
//! ## Strided views and BLAS updates
//!
//! [`MatRef`]/[`MatMut`] and [`VecRef`]/[`VecMut`] look at a slice through an offset and
//! `isize` strides, as BLAS does (`lda`, `incx`, including negative `incx`). Constructors check
//! that every addressed element is inside the slice and that a mutable view never reaches an
//! element twice, so bad strides are an `Err`, never undefined behaviour. Transposes,
//! sub-blocks and reversals are views too, not copies.
//!
//! ```
//! # fn main() -> Result<(), outerprod::ShapeError> {
//! use outerprod::{ger, MatMut, VecRef};
//! // A 2×3 block inside a 4×4 row-major buffer, starting at (1, 1): lda = 4.
//! let mut buf = [0.0; 16];
//! let a = MatMut::new(&mut buf, 5, 2, 3, 4, 1)?;
//! let xs = [1.0, 9.0, 2.0];                 // x = (1, 2): every other element
//! let x = VecRef::new(&xs, 0, 2, 2)?;
//! let ys = [3.0, 4.0, 5.0];                 // y = (5, 4, 3): read back to front
//! let y = VecRef::new(&ys, 2, 3, -1)?;
//! ger(0.5, x, y, a)?;                       // A ← A + 0.5·x yᵀ
//! for i in 0..2 {
//!     for j in 0..3 {
//!         assert_eq!(buf[(1 + i) * 4 + 1 + j], 0.5 * x.get(i) * y.get(j));
//!     }
//! }
//! assert_eq!(buf[0], 0.0); // outside the view: untouched
//! # Ok(()) }
//! ```
//!
//! ## API map
//!
//! | Item | What it does |
//! |------|--------------|
//! | [`outer`], [`try_outer`], [`outer_into`], [`outer_into_layout`] | `a bᵀ`, into a new [`Matrix`] or your buffer (row- or column-major, [`Layout`]) |
//! | [`vec_outer`], [`vec_outer_into`] | vec(abᵀ), the column-major flattening (= kron(b, a)) |
//! | [`kron`], [`kron_into`] | Kronecker product of vectors (= row-major flattening of x yᵀ) |
//! | [`kron_mat`], [`kron_mat_into`] | Kronecker product A ⊗ B of matrix views |
//! | [`unvec`] | a column-major vector back into a [`Matrix`] |
//! | [`Rank1`] | `a bᵀ` as a lazy operator: `apply`, `apply_transpose`, `get`, `trace`, `frobenius_norm` in O(m + n) |
//! | [`ger`], [`gerc`], [`syr`] | BLAS rank-1 updates `A ← A + α x yᵀ`, `A ← A + α x conj(y)ᵀ`, `A ← A + α x xᵀ` (one [`Triangle`]) |
//! | [`gemm()`](fn@gemm) and the [`gemm`](mod@gemm) module (`matmul`, `rank_k_update`, `syrk`) | `C ← αAB + βC`, a sum of k outer products |
//! | [`grad`] | dense layers (`dW = dYᵀX`, a sum of outer products), activations, losses, optimisers |
//! | [`Matrix`] | owned row-major matrix: indexing by `(i, j)`, `view`, `transpose`, `vec`, `Display` |
//! | [`MatRef`], [`MatMut`], [`VecRef`], [`VecMut`] | validated strided views (negative strides allowed) |
//! | [`ShapeError`], [`ErrorKind`] | the one error type: argument, expectation, what was given |
//! | [`Scalar`], [`Float`] | the element-type bounds |
//!
//! ## Coming from numpy, BLAS or PyTorch
//!
//! | You know | outerprod |
//! |----------|-----------|
//! | `np.outer(a, b)`, `torch.outer(a, b)`, `np.einsum('i,j->ij', a, b)` | [`outer(&a, &b)`](outer) (row-major [`Matrix`]); [`outer_into`] into your buffer |
//! | `np.outer(a, b).ravel(order='F')` (vec(abᵀ)) | [`vec_outer(&a, &b)`](vec_outer), equal to `kron(&b, &a)` |
//! | `np.outer(a, b).ravel()` (row-major) | [`kron(&a, &b)`](kron), or `outer(&a, &b).into_vec()` |
//! | `np.kron(A, B)` on matrices | [`kron_mat(a.view(), b.view())`](kron_mat) |
//! | `M.ravel(order='F')`, `v.reshape((m, n), order='F')` | [`Matrix::vec`], [`unvec(&v, m, n)`](unvec) |
//! | BLAS `?ger(m, n, α, x, incx, y, incy, A, lda)` | [`ger(α, x, y, a)`](ger) with `VecRef::new(x, off, m, incx)` and `MatMut::new(a, 0, m, n, 1, lda)` |
//! | BLAS `?gerc`, `?syr` | [`gerc`], [`syr`] (one [`Triangle`]) |
//! | BLAS `?gemm(transa, transb, …, α, A, lda, B, ldb, β, C, ldc)` | [`gemm(α, a, b, β, c)`](fn@gemm); a transpose is `a.transpose()`, a view, not a flag |
//! | BLAS `?syrk` | [`syrk`] |
//! | `A @ B`, `torch.mm` | [`matmul(a, b)`](matmul) |
//! | `torch.addr(M, x, y, beta=1, alpha=α)` | [`ger(α, x, y, m)`](ger) (in place) |
//! | `torch.addmm(C, A, B, beta=β, alpha=α)` | [`gemm(α, a, b, β, c)`](fn@gemm) (in place) |
//! | `nn.Linear` forward / backward (`weight.grad = dYᵀX`) | [`grad::Dense::forward`], [`grad::Dense::backward`] |
//! | per-sample gradient norms, DP-SGD clipping (Opacus; its `max_grad_norm` C is `max_norm = C/B` after a mean loss) | [`grad::per_example_norms`], [`grad::clip_per_example`], [`grad::Mlp::backward_clipped`] |
//! | `torch.optim.SGD(momentum=…)`, `torch.optim.Adam` | [`grad::Sgd`], [`grad::Adam`] |
//! | `torch.autograd.gradcheck` | [`grad::check_gradients`] |
//!
//! Differences worth knowing: [`Matrix`] is row-major like numpy's default (not column-major
//! like BLAS); views carry both strides, so there are no `trans`/`lda` arguments; BLAS
//! arguments are checked before the quick returns, and the checks return [`ShapeError`]
//! instead of calling `xerbla`.
//!
//! ## Element types and integer overflow
//!
//! Every `T: num_traits::Num + Copy + Send + Sync + 'static` works ([`Scalar`]): all primitive
//! integers and floats, `std::num::Wrapping<T>`, and `num_complex::Complex<f32 | f64>` (the
//! default-on `complex` feature adds [`gerc`]). Integers follow Rust's own arithmetic: an
//! overflowing product panics in debug builds and wraps in release builds. When wrapping is
//! what you want in every build, use [`std::num::Wrapping`]:
//!
//! ```
//! # fn main() -> Result<(), outerprod::ShapeError> {
//! use std::num::Wrapping as W;
//! let m = outerprod::outer(&[W(200u8)], &[W(2u8), W(3)]);
//! assert_eq!(m.as_slice(), &[W(200u8.wrapping_mul(2)), W(200u8.wrapping_mul(3))]); // 144, 88
//! # Ok(()) }
//! ```
//!
//! Floats follow IEEE 754: NaN, ±∞, −0.0 and subnormals come out of every product exactly as
//! `a[i] * b[j]` would give them.
//!
//! ## Accuracy
//!
//! What each floating-point kernel promises, on every dispatch path (portable, SSE2, AVX2+FMA,
//! AVX-512) and for any number of threads (tested in `tests/accuracy.rs` against exact and
//! compensated references):
//!
//! - [`outer`], [`vec_outer`], [`kron`], [`kron_mat`]: every element is the correctly rounded
//!   product `a[i]·b[j]`, bit for bit what `a[i] * b[j]` gives (NaN, ±∞, −0.0 and subnormals
//!   included). Where both factors are NaN, which of the two NaNs an element carries (payload
//!   and sign) is not specified, for every one of these functions and paths: the SIMD kernels
//!   may return b's NaN where the scalar `a[i] * b[j]` returns a's, a choice Rust's own float
//!   arithmetic leaves open.
//! - [`ger`], [`syr`] (and [`gerc`] per real operation): every element becomes
//!   `A[i][j] + x[i]·t` with `t = α·y[j]`, each of the three operations rounded once, the order
//!   of the reference BLAS `xGER`. No FMA is used, so every path gives the same bits.
//! - [`gemm()`](fn@gemm), [`rank_k_update`], [`syrk`], [`matmul`]: elementwise
//!   `|C − C_exact| ≤ c·k·ε·(|α|·|A||B| + |β|·|C|)` with a small constant c (the tests use
//!   c = 2(k + 2)/k against a compensated dot product). K is never split across threads, so the
//!   result is bitwise identical for any thread count; the FMA kernels and the portable kernel
//!   may differ in the last bits. When β = 0, C is not read.
//! - [`Rank1::apply`]: `a·(b·x)`, the dot product summed in index order
//!   (`|error| ≤ n·ε·|b|·|x|` before the final scaling).
//!
//! ## Features
//!
//! - `rayon` (default): multithreaded kernels; without it everything runs on the calling thread.
//!   The kernels use the pool of the calling thread (a `ThreadPool::install` is honoured).
//!   Called from a pool thread, outer products and rank-1 updates split from 256 KiB of
//!   output; called from elsewhere (the main thread, say), rayon must hand the work over and
//!   wake the caller afterwards, about 15 µs a call, so they split only from 2 MiB. Code that
//!   makes many mid-sized calls runs them faster inside `pool.install(|| …)`. Each thread's
//!   share goes in pieces of about 128 KiB that the threads take as they come, so a worker
//!   that wakes late does not hold the call up; where there are only two pieces, the calling
//!   thread's is 32 KiB larger, because the other starts about a microsecond late.
//! - `complex` (default): `num_complex::Complex` support and [`gerc`].
//! - `ndarray`, `nalgebra`, `faer` (off by default): zero-copy conversions between their views
//!   and outerprod's, in the `interop` module.
//!
//! ## Module map
//!
//! - the crate root: outer products, vec/kron, views, [`Matrix`], rank-1 updates, [`Rank1`];
//! - [`gemm`](mod@gemm): the packed, register-blocked, multithreaded rank-k engine;
//! - [`grad`]: dense layers, activations, losses, optimisers, gradient checks, per-example norms;
//! - `interop` (with the features above): conversions to and from ndarray, nalgebra and faer.
//!
//! Conventions: row-major [`Matrix`]; vec(M) is the column-major flattening; every stride is an
//! `isize` counted in elements; every fallible function returns [`ShapeError`].

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
pub use gemm::{gemm, matmul, rank_k_update, syrk};
#[cfg(feature = "complex")]
pub use ger::gerc;
pub use ger::{ger, syr};
pub use kron::{kron, kron_into, kron_mat, kron_mat_into, unvec, vec_outer, vec_outer_into};
pub use layout::{Layout, Triangle};
pub use matrix::Matrix;
pub use outer::{outer, outer_into, outer_into_layout, try_outer};
pub use rank1::Rank1;
pub use scalar::{Float, Scalar};
pub use view::{MatMut, MatRef, VecMut, VecRef};

/// Hooks for tests and benches: force a kernel path or the size thresholds on the current
/// thread, and the physical baselines (fills, in-place pass) the benches compare against.
#[doc(hidden)]
pub mod testing {
    pub use crate::arch::baseline::{add_in_place, fill};
    pub use crate::arch::{
        default_spread_write, default_thresholds, detected, measured_l2_kernels,
        measured_long_row_write, with_kernel_path, with_thresholds, KernelPath, L2Kernels,
        LongRowWrite, SpreadWrite, Stores, Thresholds, COLD_PARALLEL_MIN_BYTES, PARALLEL_MIN_BYTES,
    };
}

/// Compiles and runs the README's Rust examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
