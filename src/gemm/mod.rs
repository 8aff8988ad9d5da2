//! The rank-k engine: `C ← αAB + βC`, a sum of k outer products.
//!
//! `AB = Σₚ aₚ bₚᵀ` over the columns aₚ of A and the rows bₚ of B. The engine is the BLIS
//! design, in which that sum is literal: a microkernel keeps an MR×NR tile of C in registers
//! and adds KC outer products of packed A and B micro-panels into it.
//!
//! Routing (in [`gemm`]): shape check → empty C returns → α = 0 or k = 0 only scales C by β →
//! 1×n or m×1 (vector × matrix, B with a unit stride) and k = 1 (rank-1 update, `ger`) take the
//! skinny routes (`skinny`, `kernel_gemv`) →
//! small products (m·n·k ≤ 80³ for f32/f64 with AVX2+FMA, where the microkernel reads A and B in
//! place, its column tiles split between threads only when called from a pool thread; < 8³
//! otherwise, plain loops) run without packing → otherwise the packed
//! engine, with the AVX2+FMA kernels for `f32`/`f64` when the CPU has them and the scalar
//! reference kernel for every other type. The thresholds are measured (see `blocking`). Files: `blocking` (KC/MC/NC from the caches), `pack`, `kernel`
//! (contract and reference kernel), `kernel_x86`, `driver` (the loops), `parallel` (threads and
//! buffers).

mod blocking;
mod driver;
mod kernel;
mod kernel_gemv;
#[cfg(target_arch = "x86_64")]
mod kernel_x86;
mod pack;
mod parallel;
mod skinny;

use crate::error::{ErrorKind, ShapeError};
use crate::layout::Triangle;
use crate::matrix::Matrix;
use crate::scalar::Scalar;
use crate::view::{MatMut, MatRef};

pub use driver::Route;
use driver::{Operands, Sums};

/// `C ← αAB + βC` for m×k `A`, k×n `B` and m×n `C`, each with any strides.
///
/// BLAS semantics: when β = 0, C is not read (a NaN already in C does not survive); when α = 0
/// or k = 0, C is only scaled by β; when m = 0 or n = 0 the call returns at once. C cannot
/// alias A or B: the borrow checker forbids it, since C is a `MatMut` and A, B are `MatRef`s.
///
/// # Errors
/// `DimensionMismatch` naming `b` when `B.rows() != A.cols()`, or naming `c` when C is not m×n.
///
/// ```
/// use outerprod::{gemm, MatMut, MatRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = [1.0, 2.0, 3.0, 4.0]; // 2×2 row-major
/// let b = [5.0, 6.0, 7.0, 8.0];
/// let mut c = [1.0; 4];
/// gemm(1.0, MatRef::row_major(&a, 2, 2)?, MatRef::row_major(&b, 2, 2)?, 0.5,
///      MatMut::row_major(&mut c, 2, 2)?)?;
/// assert_eq!(c, [19.5, 22.5, 43.5, 50.5]); // AB + 0.5·C
/// # Ok(()) }
/// ```
pub fn gemm<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) -> Result<(), ShapeError> {
    gemm_impl(alpha, a, b, beta, c, None, None)
}

/// [`gemm`] forced onto one route (for tests and benches; not part of the supported API).
///
/// # Errors
/// As [`gemm`].
#[doc(hidden)]
pub fn gemm_with_route<T: Scalar>(
    route: Route,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) -> Result<(), ShapeError> {
    gemm_impl(alpha, a, b, beta, c, None, Some(route))
}

/// `C ← αAB + βC` (as [`gemm`]) and also `a_row_sums[i] += Σₚ A[i, p]` for every row of A.
///
/// The dense-layer backward pass uses it for `dW = dYᵀX` with the bias gradient `db = Σ_rows dY`
/// (the row sums of `a = dYᵀ`): the sums are taken while A (or, when the engine transposes the
/// problem, B = Aᵀ) is packed, on the first column pass only, so the bias costs no extra pass
/// over dY. They are added whatever α and β are, and also when C is empty.
///
/// # Errors
/// As [`gemm`], and `LengthMismatch` naming `a_row_sums` when its length is not m.
#[allow(dead_code)]
pub(crate) fn gemm_with_a_row_sums<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    a_row_sums: &mut [T],
) -> Result<(), ShapeError> {
    check_row_sums_len(&a, a_row_sums)?;
    gemm_impl(alpha, a, b, beta, c, Some(a_row_sums), None)
}

/// The routing prologue shared by every entry point.
fn gemm_impl<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
    row_sums: Option<&mut [T]>,
    route: Option<Route>,
) -> Result<(), ShapeError> {
    check_gemm_dims(&a, &b, &c)?;
    let k = a.cols();
    if c.is_empty() || alpha == T::zero() || k == 0 {
        if let Some(sums) = row_sums {
            add_row_sums(&a, sums);
        }
        if !c.is_empty() {
            driver::scale(beta, &mut c);
        }
        return Ok(());
    }
    let path = crate::arch::active();
    if route.is_none() {
        let (m, n) = c.shape();
        // 1×n or m×1: a vector × matrix product (n = 1 as Cᵀ = BᵀAᵀ).
        let done = if m == 1 {
            skinny::vector_matrix(path, alpha, a, b, beta, c.rb_mut())
        } else if n == 1 {
            let ct = c.rb_mut().transpose();
            skinny::vector_matrix(path, alpha, b.transpose(), a.transpose(), beta, ct)
        } else {
            false
        };
        // k = 1: a rank-1 update.
        let done = done || {
            if k == 1 {
                skinny::rank1(alpha, a, b, beta, c.rb_mut());
            }
            k == 1
        };
        if done {
            if let Some(sums) = row_sums {
                add_row_sums(&a, sums);
            }
            return Ok(());
        }
    }
    let sums = match row_sums {
        Some(s) => {
            debug_assert_eq!(s.len(), a.rows());
            Sums::RowsOfA(parallel::SharedPtr(s.as_mut_ptr()))
        }
        None => Sums::None,
    };
    let op = Operands::new(alpha, &a, &b, beta, &mut c);
    // SAFETY: the operands come from views that validated their addresses; `c` is borrowed
    // mutably for the whole call and cannot alias `a`, `b` (borrow rules); the sums slice has m
    // elements (checked by the caller) and is borrowed mutably.
    unsafe { driver::run(op, sums, path, route) };
    Ok(())
}

fn add_row_sums<T: Scalar>(a: &MatRef<'_, T>, sums: &mut [T]) {
    for (i, s) in sums.iter_mut().enumerate() {
        for p in 0..a.cols() {
            *s = *s + a.get(i, p);
        }
    }
}

fn check_row_sums_len<T>(a: &MatRef<'_, T>, sums: &[T]) -> Result<(), ShapeError> {
    if sums.len() != a.rows() {
        return Err(ShapeError::new(
            ErrorKind::LengthMismatch,
            "a_row_sums",
            format!("{} elements (the rows of `a`)", a.rows()),
            format!("{}", sums.len()),
        ));
    }
    Ok(())
}

/// `C ← C + α Σₚ aₚ bₚᵀ`: adds α times the sum of the k outer products of the columns aₚ of the
/// m×k matrix `a` with the columns bₚ of the n×k matrix `b` to the m×n matrix `c`.
///
/// This is `C ← α·A·Bᵀ + C` (a batch of rank-1 updates, as in `dW += Σᵢ δᵢ xᵢᵀ` with the examples
/// as columns), computed by the same packed engine as [`gemm`]. Any strides.
///
/// # Errors
/// `DimensionMismatch` naming `b` when `a` and `b` have different numbers of columns, or naming
/// `c` when C is not m×n.
///
/// ```
/// use outerprod::{rank_k_update, MatMut, MatRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 3×2: columns a₀ = (1,3,5), a₁ = (2,4,6)
/// let b = [1.0, -1.0, 0.5, 2.0];          // 2×2: columns b₀ = (1,0.5), b₁ = (-1,2)
/// let mut c = [1.0; 6];                   // 3×2
/// rank_k_update(2.0, MatRef::row_major(&a, 3, 2)?, MatRef::row_major(&b, 2, 2)?,
///               MatMut::row_major(&mut c, 3, 2)?)?;
/// for i in 0..3 {
///     for j in 0..2 {
///         let sum: f64 = (0..2).map(|p| a[i * 2 + p] * b[j * 2 + p]).sum();
///         assert_eq!(c[i * 2 + j], 1.0 + 2.0 * sum);
///     }
/// }
/// # Ok(()) }
/// ```
pub fn rank_k_update<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: MatMut<'_, T>,
) -> Result<(), ShapeError> {
    if b.cols() != a.cols() {
        return Err(ShapeError::new(
            ErrorKind::DimensionMismatch,
            "b",
            format!(
                "{} columns (the columns of `a`, {}×{})",
                a.cols(),
                a.rows(),
                a.cols()
            ),
            format!("{}×{}", b.rows(), b.cols()),
        ));
    }
    gemm(alpha, a, b.transpose(), T::one(), c)
}

/// Below this size, a diagonal block of [`syrk`] is computed in full into a scratch matrix and
/// its triangle copied; above it the triangle is split in two and the off-diagonal block goes to
/// [`gemm`].
const SYRK_DIAGONAL_BLOCK: usize = 64;

/// `C ← αAAᵀ + βC` on one triangle of the n×n matrix C (A is n×k); the other triangle is neither
/// read nor written. With β = 1 this is the symmetric rank-k update `C ← C + αAAᵀ`.
///
/// BLAS semantics for β = 0 (the triangle of C is not read) and α = 0 or k = 0 (the triangle is
/// only scaled by β, and left bit for bit as it was when β = 1). Unlike the Netlib reference, which
/// skips a column of A whose entry is zero, every product is added, so a NaN or ∞ in A reaches C as
/// the formula says. The off-diagonal blocks run on the [`gemm`] engine (so in parallel); diagonal blocks of up
/// to 64 rows are computed in full and their triangle kept.
///
/// # Errors
/// `DimensionMismatch` naming `c` when C is not n×n with n the rows of `a`.
///
/// ```
/// use outerprod::{syrk, MatMut, MatRef, Triangle};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 3×2
/// let mut c = [0.0; 9];
/// syrk(1.0, MatRef::row_major(&a, 3, 2)?, 0.0, MatMut::row_major(&mut c, 3, 3)?, Triangle::Lower)?;
/// for i in 0..3 {
///     for j in 0..3 {
///         let dot: f64 = (0..2).map(|p| a[i * 2 + p] * a[j * 2 + p]).sum();
///         assert_eq!(c[i * 3 + j], if i >= j { dot } else { 0.0 });
///     }
/// }
/// # Ok(()) }
/// ```
pub fn syrk<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    triangle: Triangle,
) -> Result<(), ShapeError> {
    let n = a.rows();
    if c.shape() != (n, n) {
        return Err(ShapeError::new(
            ErrorKind::DimensionMismatch,
            "c",
            format!("{n}×{n} (rows of `a` squared)"),
            format!("{}×{}", c.rows(), c.cols()),
        ));
    }
    if alpha == T::zero() || a.cols() == 0 {
        // Reference xSYRK's quick return: nothing to add, so the triangle is only scaled
        // (left bit for bit as it was when β = 1, a −0.0 included).
        scale_triangle(beta, c, triangle);
        return Ok(());
    }
    syrk_rec(alpha, a, beta, c, triangle)
}

/// `C ← βC` on one triangle of the square C (not used when β = 0, untouched when β = 1).
fn scale_triangle<T: Scalar>(beta: T, mut c: MatMut<'_, T>, triangle: Triangle) {
    if beta == T::one() {
        return;
    }
    set_triangle(&mut c, triangle, |_, _, old| {
        if beta == T::zero() {
            T::zero()
        } else {
            beta * old
        }
    });
}

/// Sets each element (i, j) of one triangle of the square C to `f(i, j, C[i][j])`.
fn set_triangle<T: Scalar>(
    c: &mut MatMut<'_, T>,
    triangle: Triangle,
    mut f: impl FnMut(usize, usize, T) -> T,
) {
    let n = c.rows();
    for j in 0..n {
        let rows = match triangle {
            Triangle::Upper => 0..j + 1,
            Triangle::Lower => j..n,
        };
        for i in rows {
            let v = f(i, j, c.get(i, j));
            c.set(i, j, v);
        }
    }
}

fn syrk_rec<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
    triangle: Triangle,
) -> Result<(), ShapeError> {
    let n = a.rows();
    if n <= SYRK_DIAGONAL_BLOCK {
        let mut full = Matrix::try_zeros(n, n)?;
        gemm(alpha, a, a.transpose(), T::zero(), full.view_mut())?;
        let full = full.view();
        set_triangle(&mut c, triangle, |i, j, old| {
            if beta == T::zero() {
                full.get(i, j)
            } else {
                full.get(i, j) + beta * old
            }
        });
        return Ok(());
    }
    let n1 = (n / 2).next_multiple_of(16).min(n - 1);
    let (top, bottom) = c.split_at_row(n1);
    let (c11, c12) = top.split_at_col(n1);
    let (c21, c22) = bottom.split_at_col(n1);
    let a1 = a.submatrix(0, 0, n1, a.cols())?;
    let a2 = a.submatrix(n1, 0, n - n1, a.cols())?;
    match triangle {
        Triangle::Lower => gemm(alpha, a2, a1.transpose(), beta, c21)?,
        Triangle::Upper => gemm(alpha, a1, a2.transpose(), beta, c12)?,
    }
    syrk_rec(alpha, a1, beta, c11, triangle)?;
    syrk_rec(alpha, a2, beta, c22, triangle)
}

/// The product `AB` as a new row-major [`Matrix`].
///
/// # Errors
/// `DimensionMismatch` naming `b` when `B.rows() != A.cols()`; `Allocation`/`Overflow` when the
/// m×n result cannot be allocated.
///
/// ```
/// use outerprod::{matmul, MatRef};
/// # fn main() -> Result<(), outerprod::ShapeError> {
/// let a = [1, 2, 3, 4, 5, 6]; // 2×3
/// let b = [1, 0, 2, 1, 0, 3]; // 3×2
/// let c = matmul(MatRef::row_major(&a, 2, 3)?, MatRef::row_major(&b, 3, 2)?)?;
/// for i in 0..2 {
///     for j in 0..2 {
///         let dot: i32 = (0..3).map(|p| a[i * 3 + p] * b[p * 2 + j]).sum();
///         assert_eq!(c.view().get(i, j), dot);
///     }
/// }
/// # Ok(()) }
/// ```
pub fn matmul<T: Scalar>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> Result<Matrix<T>, ShapeError> {
    if b.rows() != a.cols() {
        // Reported before allocating C; the message is gemm's.
        let mut none: [T; 0] = [];
        check_gemm_dims(&a, &b, &MatMut::row_major(&mut none, 0, 0)?)?;
    }
    let mut out = Matrix::try_zeros(a.rows(), b.cols())?;
    gemm(T::one(), a, b, T::zero(), out.view_mut())?;
    Ok(out)
}

/// Checks that A is m×k, B is k×n and C is m×n.
pub(crate) fn check_gemm_dims<T>(
    a: &MatRef<'_, T>,
    b: &MatRef<'_, T>,
    c: &MatMut<'_, T>,
) -> Result<(), ShapeError> {
    if b.rows() != a.cols() {
        return Err(ShapeError::new(
            ErrorKind::DimensionMismatch,
            "b",
            format!(
                "{} rows (the columns of `a`, {}×{})",
                a.cols(),
                a.rows(),
                a.cols()
            ),
            format!("{}×{}", b.rows(), b.cols()),
        ));
    }
    if c.shape() != (a.rows(), b.cols()) {
        return Err(ShapeError::new(
            ErrorKind::DimensionMismatch,
            "c",
            format!("{}×{} (rows of `a` × columns of `b`)", a.rows(), b.cols()),
            format!("{}×{}", c.rows(), c.cols()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::{with_kernel_path, KernelPath};

    fn data(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| (((i + seed) * 2654435761) % 1000) as f64 / 500.0 - 1.0)
            .collect()
    }

    /// Checks the blocked engine against the reference at sizes one below, at and above the
    /// detected KC, MC and NC of the kernel in use (row-major A, column-major B and C).
    fn straddle_cache_blocks(path: KernelPath) {
        let (mr, nr) = match path {
            KernelPath::Avx2Fma => (8, 6),
            KernelPath::Avx512 => (16, 12),
            _ => (4, 4),
        };
        let bl = blocking::blocking(mr, nr, 8);
        let shapes = [
            (mr + 1, nr + 1, bl.kc - 1),
            (mr, nr, bl.kc),
            (2 * mr + 3, nr - 1, bl.kc + 1),
            (bl.mc - 1, 7, 9),
            (bl.mc, 13, 3),
            (bl.mc + 1, 2 * nr + 1, bl.kc + 5),
            (3, bl.nc - 1, 2),
            (mr + 2, bl.nc, 1),
            (5, bl.nc + 1, 4),
        ];
        for (m, n, k) in shapes {
            let a = data(m * k, 1);
            let b = data(k * n, 2);
            let c0 = data(m * n, 3);
            let av = MatRef::row_major(&a, m, k).unwrap();
            let bv = MatRef::col_major(&b, k, n).unwrap();
            let mut want = c0.clone();
            crate::reference::gemm(
                0.5,
                av,
                bv,
                -1.0,
                MatMut::col_major(&mut want, m, n).unwrap(),
            );
            let mut got = c0.clone();
            with_kernel_path(path, || {
                gemm_with_route(
                    Route::Blocked,
                    0.5,
                    av,
                    bv,
                    -1.0,
                    MatMut::col_major(&mut got, m, n).unwrap(),
                )
                .unwrap()
            });
            for (x, y) in got.iter().zip(&want) {
                assert!(
                    (x - y).abs() <= 1e-13 * (k as f64 + 1.0),
                    "{m}×{n}×{k}: {x} vs {y}"
                );
            }
        }
    }

    #[test]
    fn blocked_engine_straddles_kc_mc_nc() {
        straddle_cache_blocks(KernelPath::Portable);
        if KernelPath::Avx2Fma.is_available() {
            straddle_cache_blocks(KernelPath::Avx2Fma);
        }
        if KernelPath::Avx512.is_available() {
            straddle_cache_blocks(KernelPath::Avx512);
        }
    }

    /// Row sums come out the same (exactly: small integers) on every route, layout and α/β,
    /// including the quick returns, and are counted once even when n spans several NC blocks
    /// or the product takes a skinny route.
    #[test]
    fn row_sums_are_fused_and_counted_once() {
        let nc = blocking::blocking(8, 6, 8).nc;
        for (m, n, k) in [
            (0, 3, 2),
            (4, 0, 3),
            (5, 4, 0),
            (7, 5, 3),
            (70, 90, 40),
            (9, nc + 7, 3),
            // The skinny routes (taken only when no route is forced).
            (1, 9, 5),
            (6, 1, 4),
            (8, 7, 1),
            (1, 1, 1),
            (1, 5, 1),
        ] {
            for route in [Some(Route::Small), Some(Route::Blocked), None] {
                for (c_row_major, alpha) in [(false, 1.0), (true, 2.0), (true, 0.0)] {
                    let a: Vec<f64> = (0..m * k).map(|i| (i % 7) as f64 - 3.0).collect();
                    let b: Vec<f64> = (0..k * n).map(|i| (i % 5) as f64 - 2.0).collect();
                    let av = MatRef::row_major(&a, m, k).unwrap();
                    let bv = MatRef::row_major(&b, k, n).unwrap();
                    let mut c = vec![f64::NAN; m * n];
                    let cv = if c_row_major {
                        MatMut::row_major(&mut c, m, n).unwrap()
                    } else {
                        MatMut::col_major(&mut c, m, n).unwrap()
                    };
                    let mut sums = vec![1.0; m];
                    let run = || gemm_impl(alpha, av, bv, 0.0, cv, Some(&mut sums), route);
                    run().unwrap();
                    for (i, s) in sums.iter().enumerate() {
                        let want: f64 = 1.0 + (0..k).map(|p| av.get(i, p)).sum::<f64>();
                        assert_eq!(*s, want, "{m}×{n}×{k} {route:?} row {i}");
                    }
                    let c_copy = c.clone();
                    let mut want = vec![0.0; m * n];
                    crate::reference::gemm(
                        alpha,
                        av,
                        bv,
                        0.0,
                        MatMut::row_major(&mut want, m, n).unwrap(),
                    );
                    let got = if c_row_major {
                        c_copy
                    } else {
                        // back to row-major for the comparison
                        let v = MatRef::col_major(&c_copy, m, n).unwrap().to_matrix();
                        v.into_vec()
                    };
                    assert_eq!(got, want, "{m}×{n}×{k} {route:?}");
                }
            }
        }
        let mut short = [0.0; 2];
        let a = [0.0; 3];
        let mut c = [0.0; 3];
        let e = gemm_with_a_row_sums(
            1.0,
            MatRef::row_major(&a, 3, 1).unwrap(),
            MatRef::row_major(&a[..1], 1, 1).unwrap(),
            0.0,
            MatMut::row_major(&mut c, 3, 1).unwrap(),
            &mut short,
        )
        .unwrap_err();
        assert_eq!(e.argument(), "a_row_sums");
    }

    #[cfg(feature = "rayon")]
    #[test]
    fn row_sums_are_identical_for_any_thread_count() {
        let (m, n, k) = (300, 200, 500);
        let a = data(m * k, 5);
        let b = data(k * n, 6);
        let run = |threads: usize, c_row_major: bool| {
            let mut c = vec![0.0; m * n];
            let mut sums = vec![0.0; m];
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let cv = if c_row_major {
                    MatMut::row_major(&mut c, m, n).unwrap()
                } else {
                    MatMut::col_major(&mut c, m, n).unwrap()
                };
                gemm_with_a_row_sums(
                    1.0,
                    MatRef::col_major(&a, m, k).unwrap(),
                    MatRef::row_major(&b, k, n).unwrap(),
                    0.0,
                    cv,
                    &mut sums,
                )
                .unwrap()
            });
            (
                c.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                sums.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            )
        };
        for layout in [false, true] {
            assert!(run(1, layout) == run(2, layout));
        }
    }
}
