//! gemm, rank_k_update, syrk and matmul against the naive triple loop (f64 accumulation for
//! f32), over shapes that straddle the tile edges, every A/B/C layout (row-major, column-major,
//! non-unit and negative strides), α, β ∈ {0, 1, −1, 0.5}, NaN in C whenever β = 0, both kernel
//! paths, both routes (small and blocked), 1 vs 2 threads, integers exactly, and proptest.

use std::num::Wrapping;

use outerprod::gemm::{gemm_with_route, Route};
use outerprod::testing::{with_kernel_path, KernelPath};
use outerprod::{gemm, matmul, rank_k_update, reference, syrk, MatMut, MatRef, Matrix, Triangle};
use proptest::prelude::*;

/// How an operand is stored.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    RowMajor,
    ColMajor,
    /// Column-major with row stride 2 and a padded column stride.
    Strided,
    /// Column-major read back to front: both strides negative.
    Reversed,
    /// Row-major with rows in reverse order: negative row stride, unit column stride.
    RowsReversed,
}

const KINDS: [Kind; 5] = [
    Kind::RowMajor,
    Kind::ColMajor,
    Kind::Strided,
    Kind::Reversed,
    Kind::RowsReversed,
];

/// A buffer plus the (offset, row stride, column stride) of a rows×cols view into it.
struct Stored<T> {
    data: Vec<T>,
    off: usize,
    rs: isize,
    cs: isize,
    rows: usize,
    cols: usize,
}

impl<T: Copy> Stored<T> {
    fn new(
        kind: Kind,
        rows: usize,
        cols: usize,
        fill: T,
        mut value: impl FnMut(usize, usize) -> T,
    ) -> Self {
        let (r, c) = (rows.max(1), cols.max(1));
        let (len, off, rs, cs) = match kind {
            Kind::RowMajor => (r * c, 0, c as isize, 1),
            Kind::ColMajor => (r * c, 0, 1, r as isize),
            Kind::Strided => {
                let ld = 2 * r + 3;
                (ld * c + 1, 1, 2, ld as isize)
            }
            Kind::Reversed => (r * c, r * c - 1, -1, -(r as isize)),
            Kind::RowsReversed => (r * c, (r - 1) * c, -(c as isize), 1),
        };
        let mut s = Stored {
            data: vec![fill; len],
            off,
            rs,
            cs,
            rows,
            cols,
        };
        for i in 0..rows {
            for j in 0..cols {
                let at = s.index(i, j);
                s.data[at] = value(i, j);
            }
        }
        s
    }
    fn index(&self, i: usize, j: usize) -> usize {
        (self.off as isize + i as isize * self.rs + j as isize * self.cs) as usize
    }
    fn view(&self) -> MatRef<'_, T> {
        MatRef::new(&self.data, self.off, self.rows, self.cols, self.rs, self.cs).unwrap()
    }
    fn view_mut(&mut self) -> MatMut<'_, T> {
        MatMut::new(
            &mut self.data,
            self.off,
            self.rows,
            self.cols,
            self.rs,
            self.cs,
        )
        .unwrap()
    }
}

/// A small deterministic generator (splitmix64), so every case is reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// A gemm-shaped callable under test.
type GemmFn<T> = dyn Fn(T, MatRef<'_, T>, MatRef<'_, T>, T, MatMut<'_, T>);

const SCALARS: [f64; 4] = [0.0, 1.0, -1.0, 0.5];

/// The floating-point types under test, with their reference and epsilon.
trait TestFloat: outerprod::Scalar + std::fmt::Debug {
    const EPS: f64;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn nan() -> Self;
}
impl TestFloat for f64 {
    const EPS: f64 = f64::EPSILON;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn nan() -> Self {
        f64::NAN
    }
}
impl TestFloat for f32 {
    const EPS: f64 = f32::EPSILON as f64;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn nan() -> Self {
        f32::NAN
    }
}

/// One case: C ← αAB + βC through `run`, checked against the f64 triple loop with the bound
/// |C − C_ref| ≤ 3·(k + 2)·ε·(|α||A||B| + |β||C|) elementwise. C starts as NaN when β = 0.
#[allow(clippy::too_many_arguments)]
fn check_case<T: TestFloat>(
    (m, n, k): (usize, usize, usize),
    (ka, kb, kc): (Kind, Kind, Kind),
    alpha: f64,
    beta: f64,
    seed: u64,
    run: &GemmFn<T>,
) {
    let mut rng = Rng(seed);
    let a = Stored::new(ka, m, k, T::nan(), |_, _| T::from_f64(rng.unit()));
    let b = Stored::new(kb, k, n, T::nan(), |_, _| T::from_f64(rng.unit()));
    let c0 = |rng: &mut Rng| {
        if beta == 0.0 {
            T::nan()
        } else {
            T::from_f64(rng.unit())
        }
    };
    let mut c = Stored::new(kc, m, n, T::nan(), |_, _| c0(&mut rng));
    let before = c.view().to_matrix();
    run(
        T::from_f64(alpha),
        a.view(),
        b.view(),
        T::from_f64(beta),
        c.view_mut(),
    );

    let (av, bv, cv) = (a.view(), b.view(), c.view());
    for i in 0..m {
        for j in 0..n {
            let (mut exact, mut mag) = (0.0f64, 0.0f64);
            for p in 0..k {
                let x = av.get(i, p).to_f64() * bv.get(p, j).to_f64();
                exact += x;
                mag += x.abs();
            }
            let old = before.view().get(i, j).to_f64();
            let (want, scale) = if beta == 0.0 {
                (alpha * exact, alpha.abs() * mag)
            } else {
                (
                    alpha * exact + beta * old,
                    alpha.abs() * mag + (beta * old).abs(),
                )
            };
            let got = cv.get(i, j).to_f64();
            let bound = 3.0 * (k as f64 + 2.0) * T::EPS * scale + f64::MIN_POSITIVE;
            assert!(
                (got - want).abs() <= bound,
                "{m}×{n}×{k} {ka:?}/{kb:?}/{kc:?} α={alpha} β={beta}: C[{i},{j}] = {got}, \
                 want {want} (bound {bound})"
            );
        }
    }
}

fn via_gemm<T: TestFloat>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    gemm(alpha, a, b, beta, c).unwrap();
}

fn via_route<T: TestFloat>(
    route: Route,
) -> impl Fn(T, MatRef<'_, T>, MatRef<'_, T>, T, MatMut<'_, T>) {
    move |alpha, a, b, beta, c| gemm_with_route(route, alpha, a, b, beta, c).unwrap()
}

/// Sizes around MR ∈ {8, 16}, NR = 6 and small edges, including 0 and 1.
const EDGE_SIZES: [usize; 10] = [0, 1, 2, 5, 7, 8, 9, 15, 17, 33];

fn all_layout_triples() -> Vec<(Kind, Kind, Kind)> {
    let mut v = Vec::new();
    for ka in [Kind::RowMajor, Kind::ColMajor] {
        for kb in [Kind::RowMajor, Kind::ColMajor] {
            for kc in [Kind::RowMajor, Kind::ColMajor] {
                v.push((ka, kb, kc));
            }
        }
    }
    v
}

fn grid<T: TestFloat>(route: Route) {
    let triples = all_layout_triples();
    let mut case = 0u64;
    for &m in &EDGE_SIZES {
        for &n in &EDGE_SIZES {
            for k in [0, 1, 3, 16, 37] {
                for &lay in &triples {
                    case += 1;
                    let alpha = SCALARS[(case % 4) as usize];
                    let beta = SCALARS[((case / 4) % 4) as usize];
                    check_case::<T>((m, n, k), lay, alpha, beta, case, &via_route(route));
                }
            }
        }
    }
}

#[test]
fn f64_edge_grid_blocked_all_layouts() {
    grid::<f64>(Route::Blocked);
}

#[test]
fn f32_edge_grid_blocked_all_layouts() {
    grid::<f32>(Route::Blocked);
}

#[test]
fn f64_edge_grid_small_all_layouts() {
    grid::<f64>(Route::Small);
}

#[test]
fn f32_edge_grid_small_all_layouts() {
    grid::<f32>(Route::Small);
}

#[test]
fn every_alpha_beta_pair_and_stride_kind() {
    let mut case = 0;
    for &alpha in &SCALARS {
        for &beta in &SCALARS {
            for &ka in &KINDS {
                for &kb in &KINDS {
                    for &kc in &KINDS {
                        case += 1;
                        let shape = [(19, 13, 21), (40, 45, 33)][case % 2];
                        check_case::<f64>(shape, (ka, kb, kc), alpha, beta, case as u64, &via_gemm);
                        check_case::<f32>(shape, (ka, kb, kc), alpha, beta, case as u64, &via_gemm);
                    }
                }
            }
        }
    }
}

/// Sizes past the cache blocks: k beyond KC (≤ 1024 by construction), m beyond MC, with
/// all layouts once.
#[test]
fn large_shapes_cross_cache_blocks() {
    let triples = all_layout_triples();
    for (t, &lay) in triples.iter().enumerate() {
        let shape = [
            (257, 131, 1100),
            (600, 37, 700),
            (41, 300, 1030),
            (530, 70, 90),
        ][t % 4];
        let (alpha, beta) = (SCALARS[t % 4], SCALARS[(t + 1) % 4]);
        check_case::<f64>(shape, lay, alpha, beta, t as u64, &via_gemm);
        check_case::<f32>(shape, lay, alpha, beta, t as u64, &via_gemm);
    }
}

#[test]
fn forced_kernel_paths_agree_with_the_reference() {
    let paths = KernelPath::ALL.into_iter().filter(|p| p.is_available());
    for path in paths {
        with_kernel_path(path, || {
            for (t, &lay) in all_layout_triples().iter().enumerate() {
                for (s, &shape) in [(67, 29, 300), (16, 6, 5), (3, 100, 50)].iter().enumerate() {
                    let (alpha, beta) = (SCALARS[(t + s) % 4], SCALARS[(t + 2 * s) % 4]);
                    for route in [Route::Small, Route::Blocked] {
                        let (r64, r32) = (via_route(route), via_route(route));
                        check_case::<f64>(shape, lay, alpha, beta, t as u64, &r64);
                        check_case::<f32>(shape, lay, alpha, beta, t as u64, &r32);
                    }
                }
            }
        });
    }
}

#[test]
fn forcing_an_unavailable_path_fails_loudly() {
    if !KernelPath::Avx2Fma.is_available() {
        let r = std::panic::catch_unwind(|| with_kernel_path(KernelPath::Avx2Fma, || ()));
        assert!(r.is_err());
    }
    assert!(KernelPath::Portable.is_available());
}

#[cfg(feature = "rayon")]
fn run_in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[cfg(feature = "rayon")]
fn bitwise_threads<T: TestFloat>(bits: impl Fn(T) -> u64) {
    // The last three take the small path (with a partial MR panel in 70 and 33 rows), which
    // splits its column tiles between the pool's threads (2 or 3 pieces here).
    let shapes = [
        (300, 280, 700),
        (64, 900, 120),
        (1000, 20, 50),
        (64, 64, 64),
        (70, 75, 80),
        (33, 50, 200),
    ];
    for (s, &(m, n, k)) in shapes.iter().enumerate() {
        for &(ka, kb, kc) in &all_layout_triples()[..4] {
            let mut rng = Rng(s as u64);
            let a = Stored::new(ka, m, k, T::nan(), |_, _| T::from_f64(rng.unit()));
            let b = Stored::new(kb, k, n, T::nan(), |_, _| T::from_f64(rng.unit()));
            let results: Vec<Vec<u64>> = [1, 2, 3]
                .iter()
                .map(|&threads| {
                    let mut c = Stored::new(kc, m, n, T::nan(), |i, j| {
                        T::from_f64((i * 3 + j) as f64 * 0.25)
                    });
                    run_in_pool(threads, || {
                        gemm(
                            T::from_f64(0.5),
                            a.view(),
                            b.view(),
                            T::from_f64(-1.0),
                            c.view_mut(),
                        )
                        .unwrap()
                    });
                    c.data.iter().map(|&x| bits(x)).collect()
                })
                .collect();
            assert!(
                results[0] == results[1],
                "{m}×{n}×{k}: 1 vs 2 threads differ"
            );
            assert!(
                results[0] == results[2],
                "{m}×{n}×{k}: 1 vs 3 threads differ"
            );
        }
    }
}

#[cfg(feature = "rayon")]
#[test]
fn one_and_more_threads_are_bitwise_identical_f64() {
    bitwise_threads::<f64>(f64::to_bits);
}

#[cfg(feature = "rayon")]
#[test]
fn one_and_more_threads_are_bitwise_identical_f32() {
    bitwise_threads::<f32>(|x| x.to_bits() as u64);
}

fn exact_integers<T: outerprod::Scalar + std::fmt::Debug + From<i8>>() {
    for route in [Route::Small, Route::Blocked] {
        for (t, &(ka, kb, kc)) in all_layout_triples().iter().enumerate() {
            for &(m, n, k) in &[
                (0, 3, 2),
                (5, 0, 2),
                (3, 4, 0),
                (1, 1, 1),
                (9, 7, 13),
                (37, 23, 300),
            ] {
                let val = |i: usize, j: usize| T::from(((i * 7 + j * 3 + t) % 9) as i8 - 4);
                let a = Stored::new(ka, m, k, T::from(99), val);
                let b = Stored::new(kb, k, n, T::from(99), |i, j| val(j, i + 1));
                let alpha = T::from([1, 2, -1, 0][t % 4]);
                let beta = T::from([0, 1, 3, -2][(t / 2) % 4]);
                let mut c = Stored::new(kc, m, n, T::from(77), |i, j| val(i + 2, j));
                let mut want = c.view().to_matrix();
                reference::gemm(alpha, a.view(), b.view(), beta, want.view_mut());
                gemm_with_route(route, alpha, a.view(), b.view(), beta, c.view_mut()).unwrap();
                assert_eq!(c.view().to_matrix(), want, "{route:?} {m}×{n}×{k}");
            }
        }
    }
}

#[test]
fn integers_are_exact() {
    exact_integers::<i64>();
    exact_integers::<i32>();
    exact_integers::<i16>();
}

#[test]
fn wrapping_integers_wrap() {
    let a = Stored::new(Kind::RowMajor, 40, 40, Wrapping(0u8), |i, j| {
        Wrapping((i * 31 + j * 17) as u8)
    });
    let b = Stored::new(Kind::ColMajor, 40, 40, Wrapping(0u8), |i, j| {
        Wrapping((i * 13 + j * 7 + 1) as u8)
    });
    let mut want = Matrix::zeros(40, 40);
    reference::gemm(
        Wrapping(3),
        a.view(),
        b.view(),
        Wrapping(0),
        want.view_mut(),
    );
    let got = matmul(a.view(), b.view()).unwrap();
    for i in 0..40 {
        for j in 0..40 {
            assert_eq!(Wrapping(3) * got.view().get(i, j), want.view().get(i, j));
        }
    }
}

#[test]
fn complex_numbers_take_the_generic_path() {
    use num_complex::Complex64;
    let (m, n, k) = (20, 30, 40);
    let a = Stored::new(Kind::ColMajor, m, k, Complex64::new(0.0, 0.0), |i, j| {
        Complex64::new(i as f64 - j as f64, 1.0 + j as f64)
    });
    let b = Stored::new(Kind::RowMajor, k, n, Complex64::new(0.0, 0.0), |i, j| {
        Complex64::new(1.0, (i + j) as f64 / 8.0)
    });
    let got = matmul(a.view(), b.view()).unwrap();
    let mut want = Matrix::zeros(m, n);
    reference::gemm(
        Complex64::new(1.0, 0.0),
        a.view(),
        b.view(),
        Complex64::new(0.0, 0.0),
        want.view_mut(),
    );
    // Integer-valued parts up to 1/8: every product and sum here is exact.
    assert_eq!(got, want);
}

#[test]
fn special_values_propagate() {
    // An Inf in A reaches exactly the row it belongs to; NaN in B its column; −0.0 stays finite.
    let (m, n, k) = (40, 40, 40);
    let a = Stored::new(Kind::ColMajor, m, k, 0.0, |i, p| {
        if (i, p) == (3, 5) {
            f64::INFINITY
        } else if (i + p) % 3 == 0 {
            -0.0
        } else {
            1e-310 // subnormal
        }
    });
    let b = Stored::new(Kind::RowMajor, k, n, 0.0, |p, j| {
        if (p, j) == (7, 9) {
            f64::NAN
        } else {
            1.0
        }
    });
    let mut c = Stored::new(Kind::ColMajor, m, n, f64::NAN, |_, _| f64::NAN);
    gemm(1.0, a.view(), b.view(), 0.0, c.view_mut()).unwrap();
    let cv = c.view();
    for i in 0..m {
        for j in 0..n {
            let v = cv.get(i, j);
            if j == 9 {
                assert!(v.is_nan(), "({i}, {j})");
            } else if i == 3 {
                assert_eq!(v, f64::INFINITY, "({i}, {j})");
            } else {
                assert!(v.is_finite() && v >= 0.0, "({i}, {j}) = {v}");
            }
        }
    }
}

#[test]
fn shape_errors_name_the_argument() {
    let a = [0.0; 6];
    let b = [0.0; 6];
    let mut c = [0.0; 4];
    let e = gemm(
        1.0,
        MatRef::row_major(&a, 2, 3).unwrap(),
        MatRef::row_major(&b, 2, 3).unwrap(),
        0.0,
        MatMut::row_major(&mut c, 2, 2).unwrap(),
    )
    .unwrap_err();
    assert_eq!(e.argument(), "b");
    let e = gemm(
        1.0,
        MatRef::row_major(&a, 2, 3).unwrap(),
        MatRef::row_major(&b, 3, 2).unwrap(),
        0.0,
        MatMut::row_major(&mut c, 4, 1).unwrap(),
    )
    .unwrap_err();
    assert_eq!(e.argument(), "c");
    let e = matmul(
        MatRef::row_major(&a, 2, 3).unwrap(),
        MatRef::row_major(&b, 2, 3).unwrap(),
    )
    .unwrap_err();
    assert_eq!(e.argument(), "b");
    let e = rank_k_update(
        1.0,
        MatRef::row_major(&a, 2, 3).unwrap(),
        MatRef::row_major(&b, 3, 2).unwrap(),
        MatMut::row_major(&mut c, 2, 2).unwrap(),
    )
    .unwrap_err();
    assert_eq!(e.argument(), "b");
    let mut c9 = [0.0; 9];
    let e = syrk(
        1.0,
        MatRef::row_major(&a, 2, 3).unwrap(),
        1.0,
        MatMut::row_major(&mut c9, 3, 3).unwrap(),
        Triangle::Upper,
    )
    .unwrap_err();
    assert_eq!(e.argument(), "c");
}

#[test]
fn rank_k_update_is_a_sum_of_outer_products() {
    let (m, n, k) = (45, 38, 70);
    let mut rng = Rng(7);
    let a = Stored::new(Kind::ColMajor, m, k, 0.0, |_, _| rng.unit());
    let b = Stored::new(Kind::RowMajor, n, k, 0.0, |_, _| rng.unit());
    let mut c = Stored::new(Kind::RowMajor, m, n, 0.0, |i, j| (i + j) as f64);
    let before = c.view().to_matrix();
    rank_k_update(-0.5, a.view(), b.view(), c.view_mut()).unwrap();
    for i in 0..m {
        for j in 0..n {
            let mut want = before.view().get(i, j);
            for p in 0..k {
                // the outer product a_p b_pᵀ, one at a time
                want += -0.5 * a.view().get(i, p) * b.view().get(j, p);
            }
            let got = c.view().get(i, j);
            assert!(
                (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                "({i},{j})"
            );
        }
    }
}

#[test]
fn syrk_touches_one_triangle() {
    for &n in &[1, 5, 64, 65, 150] {
        for tri in [Triangle::Lower, Triangle::Upper] {
            for &(alpha, beta) in &[(1.0, 0.0), (-0.5, 1.0), (2.0, 0.5)] {
                let k = 33;
                let mut rng = Rng(n as u64);
                let a = Stored::new(Kind::RowMajor, n, k, 0.0, |_, _| rng.unit());
                let sentinel = 1234.5;
                let mut c = Stored::new(Kind::ColMajor, n, n, 0.0, |i, j| {
                    let in_tri = match tri {
                        Triangle::Lower => i >= j,
                        Triangle::Upper => i <= j,
                    };
                    if !in_tri {
                        sentinel
                    } else if beta == 0.0 {
                        f64::NAN
                    } else {
                        (i * n + j) as f64 / 100.0
                    }
                });
                let before = c.view().to_matrix();
                syrk(alpha, a.view(), beta, c.view_mut(), tri).unwrap();
                let av = a.view();
                for i in 0..n {
                    for j in 0..n {
                        let got = c.view().get(i, j);
                        let in_tri = match tri {
                            Triangle::Lower => i >= j,
                            Triangle::Upper => i <= j,
                        };
                        if !in_tri {
                            assert_eq!(got, sentinel);
                            continue;
                        }
                        let dot: f64 = (0..k).map(|p| av.get(i, p) * av.get(j, p)).sum();
                        let old = if beta == 0.0 {
                            0.0
                        } else {
                            beta * before.view().get(i, j)
                        };
                        let want = alpha * dot + old;
                        assert!(
                            (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                            "n={n} ({i},{j})"
                        );
                    }
                }
            }
        }
    }
}

/// Reference xSYRK returns at once when α = 0 or k = 0 and β = 1, and otherwise only scales
/// the triangle: a −0.0 or NaN in C must come out exactly as βC says, on the diagonal blocks
/// (n ≤ 64) and through the recursion (n > 64) alike.
#[test]
fn syrk_without_products_only_scales_the_triangle() {
    let specials = [-0.0, 0.0, f64::NAN, f64::INFINITY, -1.5, 2.25];
    for &n in &[1, 5, 64, 65, 150] {
        for tri in [Triangle::Lower, Triangle::Upper] {
            for &(alpha, k) in &[(0.0, 7), (1.5, 0)] {
                for &beta in &[1.0, 0.0, 0.5, -1.0] {
                    let mut rng = Rng(n as u64 + k as u64);
                    let a = Stored::new(Kind::RowMajor, n, k, 0.0, |_, _| rng.unit());
                    let sentinel = 1234.5;
                    let in_tri = |i: usize, j: usize| match tri {
                        Triangle::Lower => i >= j,
                        Triangle::Upper => i <= j,
                    };
                    let mut c = Stored::new(Kind::ColMajor, n, n, 0.0, |i, j| {
                        if in_tri(i, j) {
                            specials[(i + 3 * j) % specials.len()]
                        } else {
                            sentinel
                        }
                    });
                    let before = c.view().to_matrix();
                    syrk(alpha, a.view(), beta, c.view_mut(), tri).unwrap();
                    for i in 0..n {
                        for j in 0..n {
                            let old = before.view().get(i, j);
                            let want = if !in_tri(i, j) || beta == 1.0 {
                                old
                            } else if beta == 0.0 {
                                0.0
                            } else {
                                beta * old
                            };
                            let got = c.view().get(i, j);
                            assert!(
                                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                                "n={n} {tri:?} α={alpha} k={k} β={beta} ({i},{j}): {got:?} != {want:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn matmul_matches_gemm() {
    let mut rng = Rng(3);
    let a = Stored::new(Kind::Strided, 50, 60, 0.0f32, |_, _| rng.unit() as f32);
    let b = Stored::new(Kind::Reversed, 60, 70, 0.0f32, |_, _| rng.unit() as f32);
    let got = matmul(a.view(), b.view()).unwrap();
    let mut want = Matrix::zeros(50, 70);
    gemm(1.0, a.view(), b.view(), 0.0, want.view_mut()).unwrap();
    assert_eq!(got, want);
}

fn kind_strategy() -> impl Strategy<Value = Kind> {
    prop::sample::select(KINDS.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_shapes_and_strides(
        m in 0usize..50, n in 0usize..50, k in 0usize..80,
        ka in kind_strategy(), kb in kind_strategy(), kc in kind_strategy(),
        ai in 0usize..4, bi in 0usize..4, seed in any::<u64>(), blocked in any::<bool>(),
    ) {
        let route = if blocked { Route::Blocked } else { Route::Small };
        let (r64, r32) = (via_route(route), via_route(route));
        check_case::<f64>((m, n, k), (ka, kb, kc), SCALARS[ai], SCALARS[bi], seed, &r64);
        check_case::<f32>((m, n, k), (ka, kb, kc), SCALARS[ai], SCALARS[bi], seed, &r32);
    }

    #[test]
    fn transpose_identity(m in 1usize..40, n in 1usize..40, k in 1usize..40, seed in any::<u64>()) {
        // (AB)ᵀ = BᵀAᵀ, exactly for small integers.
        let mut rng = Rng(seed);
        let a = Stored::new(Kind::RowMajor, m, k, 0i64, |_, _| (rng.next() % 7) as i64 - 3);
        let b = Stored::new(Kind::ColMajor, k, n, 0i64, |_, _| (rng.next() % 7) as i64 - 3);
        let ab = matmul(a.view(), b.view()).unwrap();
        let btat = matmul(b.view().transpose(), a.view().transpose()).unwrap();
        prop_assert_eq!(ab.transpose().to_matrix(), btat);
    }
}

/// Shapes of the skinny routes: m = 1 or n = 1 (vector × matrix) and k = 1 (rank-1 update),
/// alone and combined, around the kernels' unroll widths (4 rows, 32 lanes, 256 columns).
const SKINNY_SHAPES: [(usize, usize, usize); 14] = [
    (1, 1, 1),
    (1, 1, 37),
    (1, 9, 1),
    (11, 1, 1),
    (1, 7, 5),
    (1, 33, 70),
    (1, 300, 9),
    (6, 1, 33),
    (257, 1, 4),
    (1, 1, 100),
    (5, 3, 1),
    (40, 45, 1),
    (3, 300, 1),
    (2, 2, 1),
];

/// Every skinny shape against the f64 reference for every pair of stride kinds, α and β
/// (NaN in C when β = 0), on the default route.
#[test]
fn skinny_routes_agree_with_the_reference_for_every_layout() {
    let mut case = 0u64;
    for &shape in &SKINNY_SHAPES {
        for &ka in &KINDS {
            for &kb in &KINDS {
                for &kc in &KINDS {
                    for &alpha in &SCALARS {
                        for &beta in &SCALARS {
                            case += 1;
                            let lay = (ka, kb, kc);
                            check_case::<f64>(shape, lay, alpha, beta, case, &via_gemm);
                            check_case::<f32>(shape, lay, alpha, beta, case, &via_gemm);
                        }
                    }
                }
            }
        }
    }
}

/// The result of one gemm call as bits, with C starting as NaN when β = 0.
fn skinny_bits(
    (m, n, k): (usize, usize, usize),
    (ka, kb, kc): (Kind, Kind, Kind),
    (alpha, beta): (f32, f32),
) -> Vec<u32> {
    let mut rng = Rng((m * 31 + n * 7 + k) as u64);
    let a = Stored::new(ka, m, k, f32::NAN, |_, _| rng.unit() as f32);
    let b = Stored::new(kb, k, n, f32::NAN, |_, _| rng.unit() as f32);
    let mut c = Stored::new(kc, m, n, f32::NAN, |i, j| {
        if beta == 0.0 {
            f32::NAN
        } else {
            (i as f32 - j as f32) * 0.125
        }
    });
    gemm(alpha, a.view(), b.view(), beta, c.view_mut()).unwrap();
    c.data.iter().map(|x| x.to_bits()).collect()
}

/// Forcing each kernel path gives bitwise the same result on the skinny routes (no path
/// contracts to FMA and the summation order is fixed by the code), and each is accurate.
#[test]
fn skinny_routes_are_bitwise_identical_across_kernel_paths() {
    let paths: Vec<KernelPath> = KernelPath::ALL
        .into_iter()
        .filter(|p| p.is_available())
        .collect();
    let big = [(1, 1000, 784), (1, 128, 784), (784, 1, 128), (128, 784, 1)];
    for &shape in SKINNY_SHAPES.iter().chain(&big) {
        for &lay in &all_layout_triples() {
            for (alpha, beta) in [(1.0, 0.0), (0.5, 1.0), (-1.0, -1.0)] {
                let results: Vec<Vec<u32>> = paths
                    .iter()
                    .map(|&p| with_kernel_path(p, || skinny_bits(shape, lay, (alpha, beta))))
                    .collect();
                for (p, r) in paths.iter().zip(&results) {
                    assert!(r == &results[0], "{shape:?} {lay:?}: {p:?} differs");
                }
                with_kernel_path(paths[paths.len() - 1], || {
                    check_case::<f32>(shape, lay, alpha as f64, beta as f64, 1, &via_gemm)
                });
            }
        }
    }
}

/// 1 and 2 threads give bitwise the same result on the skinny routes, including rank-1
/// updates large enough for `ger` and the outer-product kernel to split across threads.
#[cfg(feature = "rayon")]
#[test]
fn skinny_routes_are_bitwise_identical_for_one_and_two_threads() {
    for shape in [
        (1, 4000, 300),
        (3000, 1, 200),
        (1500, 1200, 1),
        (1, 1, 5000),
    ] {
        for &lay in &all_layout_triples() {
            for (alpha, beta) in [(1.0, 0.0), (0.5, 1.0), (2.0, -0.5)] {
                let one = run_in_pool(1, || skinny_bits(shape, lay, (alpha, beta)));
                let two = run_in_pool(2, || skinny_bits(shape, lay, (alpha, beta)));
                assert!(one == two, "{shape:?} {lay:?} α={alpha} β={beta}");
            }
        }
    }
}

/// Integers are exact on the skinny routes for every stride kind.
#[test]
fn skinny_routes_are_exact_for_integers() {
    for (t, &(m, n, k)) in SKINNY_SHAPES.iter().enumerate() {
        for &ka in &KINDS {
            for &kb in &KINDS {
                for &kc in &KINDS {
                    let val = |i: usize, j: usize| ((i * 7 + j * 3 + t) % 9) as i64 - 4;
                    let a = Stored::new(ka, m, k, 99, val);
                    let b = Stored::new(kb, k, n, 99, |i, j| val(j, i + 1));
                    for (alpha, beta) in [(1, 0), (2, 1), (-1, 3), (3, -2)] {
                        let mut c = Stored::new(kc, m, n, 77, |i, j| val(i + 2, j));
                        let mut want = c.view().to_matrix();
                        reference::gemm(alpha, a.view(), b.view(), beta, want.view_mut());
                        gemm(alpha, a.view(), b.view(), beta, c.view_mut()).unwrap();
                        assert_eq!(
                            c.view().to_matrix(),
                            want,
                            "{m}×{n}×{k} {ka:?}/{kb:?}/{kc:?}"
                        );
                    }
                }
            }
        }
    }
}
