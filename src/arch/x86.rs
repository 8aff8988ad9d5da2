//! x86_64 kernels behind `#[target_feature(enable = "avx2,fma")]`.
//!
//! Each public-in-crate function here is a thin `unsafe` wrapper around an `#[inline(always)]`
//! body, so the compiler generates AVX2/FMA code for it without `-C target-cpu=native`.
