//! The two element types, with the type-specific entry points of the peers that are not generic
//! (matrixmultiply, CBLAS).

use std::ffi::c_int;

use crate::cblas::Blas;

/// f32 or f64, usable by every peer.
pub trait El:
    outerprod::Scalar
    + faer::traits::ComplexField
    + nalgebra::RealField
    + ndarray::LinalgScalar
    + Copy
    + Send
    + Sync
    + std::fmt::Debug
{
    /// `f32` or `f64`.
    const NAME: &'static str;
    /// Lanes in a 256-bit register.
    const LANES: usize;
    /// Conversion for test data.
    fn of(x: f64) -> Self;
    /// Conversion for checks.
    fn f(self) -> f64;
    /// Machine epsilon.
    fn eps() -> f64;

    /// matrixmultiply's `?gemm` (C ← αAB + βC with element strides).
    ///
    /// # Safety
    /// The pointers and strides address m×k, k×n and m×n matrices inside live allocations.
    #[allow(clippy::too_many_arguments)]
    unsafe fn mm_gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );

    /// The library's `cblas_?gemm`.
    fn gemm_fn(blas: &Blas) -> crate::cblas::Gemm<Self>;
    /// The library's `cblas_?ger`.
    fn ger_fn(blas: &Blas) -> crate::cblas::Ger<Self>;
}

macro_rules! el {
    ($t:ty, $name:literal, $lanes:literal, $mm:ident, $gemm:ident, $ger:ident) => {
        impl El for $t {
            const NAME: &'static str = $name;
            const LANES: usize = $lanes;
            fn of(x: f64) -> Self {
                x as $t
            }
            fn f(self) -> f64 {
                self as f64
            }
            fn eps() -> f64 {
                <$t>::EPSILON as f64
            }
            unsafe fn mm_gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                // SAFETY: forwarded from the caller's contract.
                unsafe {
                    matrixmultiply::$mm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
                }
            }
            fn gemm_fn(blas: &Blas) -> crate::cblas::Gemm<Self> {
                blas.$gemm
            }
            fn ger_fn(blas: &Blas) -> crate::cblas::Ger<Self> {
                blas.$ger
            }
        }
    };
}

el!(f32, "f32", 8, sgemm, sgemm, sger);
el!(f64, "f64", 4, dgemm, dgemm, dger);

/// A dimension as a CBLAS int (all sizes here are far below 2³¹).
pub fn ci(x: usize) -> c_int {
    c_int::try_from(x).expect("dimension fits in a C int")
}
