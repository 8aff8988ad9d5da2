//! Shared helpers for the integration tests: seeded random elements per type, exact and
//! tolerant comparisons, and the layouts every strided test walks through.
#![allow(dead_code)] // each test binary uses a different subset

use std::fmt::Debug;
use std::num::Wrapping;

use num_complex::Complex;
use outerprod::Scalar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The lengths every size sweep covers: both sides of 8, 16, 64 and a prime.
pub const LENS: [usize; 14] = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 257];

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// An element type under test.
pub trait TestScalar: Scalar + Debug {
    const NAME: &'static str;
    /// A random element; integers stay small enough that no test product overflows, except
    /// `Wrapping<u8>`, which covers its whole range on purpose.
    fn sample(rng: &mut StdRng) -> Self;
    /// Exact equality; for floats, bit equality except that any NaN equals any NaN (Rust
    /// does not specify the sign or payload of a NaN produced by arithmetic).
    fn same(a: Self, b: Self) -> bool;
    /// `got` is within a few rounding errors of `want`, relative to `scale` (the magnitude of
    /// the terms that were summed). Exact for integers.
    fn close(got: Self, want: Self, scale: f64) -> bool;
    /// A magnitude for tolerance bounds (0 for integers, where comparisons are exact).
    fn mag(self) -> f64;
}

macro_rules! int_scalar {
    ($t:ty, $lo:expr, $hi:expr) => {
        impl TestScalar for $t {
            const NAME: &'static str = stringify!($t);
            fn sample(rng: &mut StdRng) -> Self {
                rng.random_range($lo..$hi)
            }
            fn same(a: Self, b: Self) -> bool {
                a == b
            }
            fn close(got: Self, want: Self, _: f64) -> bool {
                got == want
            }
            fn mag(self) -> f64 {
                0.0
            }
        }
    };
}

int_scalar!(i32, -100, 100);
int_scalar!(i64, -100_000, 100_000);

impl TestScalar for Wrapping<u8> {
    const NAME: &'static str = "Wrapping<u8>";
    fn sample(rng: &mut StdRng) -> Self {
        Wrapping(rng.random())
    }
    fn same(a: Self, b: Self) -> bool {
        a == b
    }
    fn close(got: Self, want: Self, _: f64) -> bool {
        got == want
    }
    fn mag(self) -> f64 {
        0.0
    }
}

macro_rules! float_scalar {
    ($t:ty) => {
        impl TestScalar for $t {
            const NAME: &'static str = stringify!($t);
            fn sample(rng: &mut StdRng) -> Self {
                // Mostly general values, sometimes small integers (exact products).
                if rng.random_range(0..4) == 0 {
                    rng.random_range(-8i32..8) as $t
                } else {
                    rng.random_range(-4.0..4.0)
                }
            }
            fn same(a: Self, b: Self) -> bool {
                (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
            }
            fn close(got: Self, want: Self, scale: f64) -> bool {
                if want.is_nan() || want.is_infinite() {
                    return Self::same(got, want);
                }
                ((got as f64) - (want as f64)).abs() <= 4.0 * (<$t>::EPSILON as f64) * scale
            }
            fn mag(self) -> f64 {
                (self as f64).abs()
            }
        }
    };
}

float_scalar!(f32);
float_scalar!(f64);

impl TestScalar for Complex<f64> {
    const NAME: &'static str = "Complex<f64>";
    fn sample(rng: &mut StdRng) -> Self {
        Complex::new(f64::sample(rng), f64::sample(rng))
    }
    fn same(a: Self, b: Self) -> bool {
        f64::same(a.re, b.re) && f64::same(a.im, b.im)
    }
    fn close(got: Self, want: Self, scale: f64) -> bool {
        // A complex product has one more rounding per part than a real one.
        f64::close(got.re, want.re, 2.0 * scale) && f64::close(got.im, want.im, 2.0 * scale)
    }
    fn mag(self) -> f64 {
        self.re.abs() + self.im.abs()
    }
}

impl TestScalar for Complex<f32> {
    const NAME: &'static str = "Complex<f32>";
    fn sample(rng: &mut StdRng) -> Self {
        Complex::new(f32::sample(rng), f32::sample(rng))
    }
    fn same(a: Self, b: Self) -> bool {
        f32::same(a.re, b.re) && f32::same(a.im, b.im)
    }
    fn close(got: Self, want: Self, scale: f64) -> bool {
        f32::close(got.re, want.re, 2.0 * scale) && f32::close(got.im, want.im, 2.0 * scale)
    }
    fn mag(self) -> f64 {
        (self.re.abs() + self.im.abs()) as f64
    }
}

pub fn random_vec<T: TestScalar>(rng: &mut StdRng, n: usize) -> Vec<T> {
    (0..n).map(|_| T::sample(rng)).collect()
}

/// Asserts `got` and `want` are equal element for element under [`TestScalar::same`].
#[track_caller]
pub fn assert_same<T: TestScalar>(got: &[T], want: &[T], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(T::same(g, w), "{what}: element {k}: got {g:?}, want {w:?}");
    }
}

/// A strided layout of an m×n matrix inside a buffer: offset of (0, 0), strides, buffer length.
#[derive(Clone, Copy, Debug)]
pub struct Strided {
    pub name: &'static str,
    pub offset: usize,
    pub row_stride: isize,
    pub col_stride: isize,
    pub buf_len: usize,
}

/// Row-major, column-major, padded (lda > dims), reversed rows, fully reversed, and
/// non-unit strides in both directions: the layouts every matrix test runs through.
pub fn layouts(m: usize, n: usize) -> Vec<Strided> {
    let (mi, ni) = (m as isize, n as isize);
    let last = |k: usize| k.saturating_sub(1);
    let all = vec![
        Strided {
            name: "row-major",
            offset: 0,
            row_stride: ni,
            col_stride: 1,
            buf_len: m * n,
        },
        Strided {
            name: "col-major",
            offset: 0,
            row_stride: 1,
            col_stride: mi,
            buf_len: m * n,
        },
        Strided {
            name: "row-major, lda = n + 3, offset 2",
            offset: 2,
            row_stride: ni + 3,
            col_stride: 1,
            buf_len: 2 + m * (n + 3) + 1,
        },
        Strided {
            name: "col-major, lda = m + 2",
            offset: 0,
            row_stride: 1,
            col_stride: mi + 2,
            buf_len: (m + 2) * n,
        },
        Strided {
            name: "rows reversed",
            offset: last(m) * n,
            row_stride: -ni,
            col_stride: 1,
            buf_len: m * n,
        },
        Strided {
            name: "both reversed, col-major",
            offset: (m * n).saturating_sub(1),
            row_stride: -1,
            col_stride: -mi,
            buf_len: m * n,
        },
        Strided {
            name: "strides (2n, 2)",
            offset: 0,
            row_stride: 2 * ni,
            col_stride: 2,
            buf_len: 2 * m * n,
        },
        Strided {
            name: "strides (-3, 3m), offset at far end",
            offset: 3 * last(m),
            row_stride: -3,
            col_stride: 3 * mi,
            buf_len: 3 * m * n,
        },
    ];
    // An empty view needs its offset inside (or at the end of) the buffer.
    all.into_iter()
        .map(|l| Strided {
            offset: if m * n == 0 { 0 } else { l.offset },
            ..l
        })
        .collect()
}

/// Vector strides every strided-vector test covers (BLAS incx), with the offset that puts
/// element 0 where BLAS would and the buffer length needed.
pub fn vec_layout(len: usize, stride: isize) -> (usize, usize) {
    let span = len.saturating_sub(1) * stride.unsigned_abs();
    let offset = if stride < 0 { span } else { 0 };
    (offset, span + 1)
}

pub const VEC_STRIDES: [isize; 5] = [1, 2, -1, -3, 5];

impl Strided {
    /// The m×n mutable view of `buf` in this layout.
    pub fn view_mut<'a, T>(
        &self,
        buf: &'a mut [T],
        m: usize,
        n: usize,
    ) -> outerprod::MatMut<'a, T> {
        outerprod::MatMut::new(buf, self.offset, m, n, self.row_stride, self.col_stride).unwrap()
    }

    /// The m×n read-only view of `buf` in this layout.
    pub fn view<'a, T>(&self, buf: &'a [T], m: usize, n: usize) -> outerprod::MatRef<'a, T> {
        outerprod::MatRef::new(buf, self.offset, m, n, self.row_stride, self.col_stride).unwrap()
    }

    /// The buffer index of element (i, j).
    pub fn index(&self, i: usize, j: usize) -> usize {
        (self.offset as isize + i as isize * self.row_stride + j as isize * self.col_stride)
            as usize
    }
}
