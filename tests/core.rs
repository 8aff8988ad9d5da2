//! The core API against the reference loops in `outerprod::reference`, for every element type
//! the crate promises (i32, i64, Wrapping<u8>, f32, f64, Complex<f64>), every length on both
//! sides of the kernels' tile edges, every kernel path, 1 and 2 threads, all strided layouts,
//! the BLAS quick returns and IEEE special values.

mod common;

use std::num::Wrapping;

use common::*;
use num_complex::Complex;
#[cfg(feature = "complex")]
use outerprod::gerc;
use outerprod::testing::{with_kernel_path, KernelPath};
use outerprod::{
    ger, kron, kron_into, kron_mat, kron_mat_into, outer, outer_into, outer_into_layout, reference,
    syr, try_outer, unvec, vec_outer, vec_outer_into, ErrorKind, Layout, MatMut, MatRef, Matrix,
    Rank1, Triangle, VecRef,
};
use rand::Rng;

// ---------------------------------------------------------------------------------------------
// outer, vec_outer, kron: exact (one multiplication per element, so no tolerance)
// ---------------------------------------------------------------------------------------------

/// Every allocating and `_into` flavour of the outer product equals the reference, bit for bit.
fn check_outer_family<T: TestScalar>(a: &[T], b: &[T]) {
    let (m, n) = (a.len(), b.len());
    let what = format!("{} {m}×{n}", T::NAME);
    let want = reference::outer(a, b);
    let want_vec = want.vec();
    assert_same(outer(a, b).as_slice(), want.as_slice(), &what);
    assert_same(try_outer(a, b).unwrap().as_slice(), want.as_slice(), &what);
    assert_eq!(outer(a, b).shape(), (m, n));

    let mut out = vec![T::zero(); m * n];
    outer_into(&mut out, a, b).unwrap();
    assert_same(&out, want.as_slice(), &what);
    outer_into_layout(&mut out, a, b, Layout::ColMajor).unwrap();
    assert_same(&out, &want_vec, &what);

    assert_same(&vec_outer(a, b), &want_vec, &what);
    vec_outer_into(&mut out, a, b).unwrap();
    assert_same(&out, &want_vec, &what);

    assert_same(&kron(a, b), &reference::kron_vec(a, b), &what);
    assert_same(
        &kron(b, a),
        &want_vec,
        &format!("{what}: vec(abᵀ) = kron(b, a)"),
    );
    kron_into(&mut out, a, b).unwrap();
    assert_same(&out, want.as_slice(), &what);
}

fn outer_sweep<T: TestScalar>(seed: u64) {
    let mut rng = rng(seed);
    for m in LENS {
        for n in LENS {
            let a = random_vec::<T>(&mut rng, m);
            let b = random_vec::<T>(&mut rng, n);
            check_outer_family(&a, &b);
        }
    }
    for _ in 0..20 {
        let (m, n) = (rng.random_range(0..300), rng.random_range(0..300));
        let a = random_vec::<T>(&mut rng, m);
        let b = random_vec::<T>(&mut rng, n);
        check_outer_family(&a, &b);
    }
}

#[test]
fn outer_family_matches_reference_i32() {
    outer_sweep::<i32>(1);
}
#[test]
fn outer_family_matches_reference_i64() {
    outer_sweep::<i64>(2);
}
#[test]
fn outer_family_matches_reference_wrapping_u8() {
    outer_sweep::<Wrapping<u8>>(3);
}
#[test]
fn outer_family_matches_reference_f32() {
    outer_sweep::<f32>(4);
}
#[test]
fn outer_family_matches_reference_f64() {
    outer_sweep::<f64>(5);
}
#[test]
fn outer_family_matches_reference_complex_f64() {
    outer_sweep::<Complex<f64>>(6);
}

#[test]
fn wrapping_products_wrap_in_every_build() {
    let a: Vec<Wrapping<u8>> = (0..=255).step_by(7).map(Wrapping).collect();
    let b: Vec<Wrapping<u8>> = (0..=255).rev().step_by(5).map(Wrapping).collect();
    let m = outer(&a, &b);
    let mut overflowed = 0;
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            assert_eq!(m[(i, j)].0, x.0.wrapping_mul(y.0));
            overflowed += usize::from(x.0.checked_mul(y.0).is_none());
        }
    }
    assert!(overflowed > 100, "the test must actually overflow");
}

/// Every kernel path this CPU has gives the reference's bits (outer is one multiply per
/// element, so SIMD and scalar code must agree exactly).
#[test]
fn every_kernel_path_gives_identical_outer_products() {
    let paths = KernelPath::ALL;
    let mut rng = rng(7);
    for &(m, n) in &[(1, 1), (7, 9), (16, 17), (63, 65), (257, 15)] {
        let a32 = random_vec::<f32>(&mut rng, m);
        let b32 = random_vec::<f32>(&mut rng, n);
        let a64 = random_vec::<f64>(&mut rng, m);
        let b64 = random_vec::<f64>(&mut rng, n);
        for path in paths.into_iter().filter(|p| p.is_available()) {
            with_kernel_path(path, || {
                check_outer_family(&a32, &b32);
                check_outer_family(&a64, &b64);
            });
        }
    }
}

/// One and two rayon threads give bit-identical results.
#[cfg(feature = "rayon")]
#[test]
fn one_and_two_threads_agree_bitwise() {
    let mut rng = rng(8);
    let (m, n) = (513, 300);
    let a = random_vec::<f64>(&mut rng, m);
    let b = random_vec::<f64>(&mut rng, n);
    let x = random_vec::<f32>(&mut rng, m);
    let y = random_vec::<f32>(&mut rng, n);
    let a0 = random_vec::<f32>(&mut rng, m * n);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let o = outer(&a, &b).into_vec();
            let v = vec_outer(&a, &b);
            let mut g = a0.clone();
            ger(
                0.75f32,
                VecRef::from(&x),
                VecRef::from(&y),
                MatMut::col_major(&mut g, m, n).unwrap(),
            )
            .unwrap();
            (o, v, g)
        })
    };
    let (o1, v1, g1) = run(1);
    let (o2, v2, g2) = run(2);
    assert!(o1.iter().zip(&o2).all(|(p, q)| p.to_bits() == q.to_bits()));
    assert!(v1.iter().zip(&v2).all(|(p, q)| p.to_bits() == q.to_bits()));
    assert!(g1.iter().zip(&g2).all(|(p, q)| p.to_bits() == q.to_bits()));
}

// ---------------------------------------------------------------------------------------------
// IEEE special values
// ---------------------------------------------------------------------------------------------

macro_rules! specials {
    ($t:ty) => {
        vec![
            <$t>::NAN,
            <$t>::INFINITY,
            <$t>::NEG_INFINITY,
            0.0,
            -0.0,
            <$t>::MIN_POSITIVE / 4.0, // subnormal
            -<$t>::from_bits(1),      // smallest negative subnormal
            <$t>::MIN_POSITIVE,
            <$t>::MAX,
            <$t>::MIN,
            1.0,
            -1.5,
            0.5,
            3.0,
            <$t>::EPSILON,
            -7.25,
            2.0,
        ]
    };
}

/// NaN, ±∞, −0.0, subnormals and overflow come out exactly as `a[i] * b[j]`.
fn check_specials<T: TestScalar>(vals: Vec<T>) {
    // Long enough that the SIMD body, not only the tail, sees every special value.
    let a: Vec<T> = vals
        .iter()
        .cycle()
        .take(3 * vals.len() + 5)
        .copied()
        .collect();
    let b: Vec<T> = vals
        .iter()
        .rev()
        .cycle()
        .take(2 * vals.len() + 3)
        .copied()
        .collect();
    let (m, n) = (a.len(), b.len());
    let by_formula: Vec<T> = (0..m * n).map(|k| a[k / n] * b[k % n]).collect();
    let col_major: Vec<T> = (0..m * n).map(|k| a[k % m] * b[k / m]).collect();
    for path in KernelPath::ALL {
        if !path.is_available() {
            continue;
        }
        with_kernel_path(path, || {
            assert_same(outer(&a, &b).as_slice(), &by_formula, "outer");
            assert_same(&kron(&a, &b), &by_formula, "kron");
            assert_same(&vec_outer(&a, &b), &col_major, "vec_outer");
            let r = Rank1::new(&a, &b);
            assert_same(r.to_matrix().as_slice(), &by_formula, "Rank1::to_matrix");
            assert!((0..m * n).all(|k| T::same(r.get(k / n, k % n), by_formula[k])));
        });
    }
}

#[test]
fn special_values_propagate_exactly_f32() {
    check_specials::<f32>(specials!(f32));
}

#[test]
fn special_values_propagate_exactly_f64() {
    let v = specials!(f64);
    assert!(v[5] != 0.0 && v[5].is_subnormal());
    check_specials::<f64>(v);
}

/// ger does not skip a column when y[j] = 0 (unlike the reference BLAS), so a NaN or ∞ in x
/// reaches A as the formula `A + x·(α·y)` says.
#[test]
fn ger_propagates_special_values_like_the_formula() {
    let x = [f64::NAN, f64::INFINITY, 1.0, -0.0];
    let y = [0.0, 2.0, -0.0];
    let mut a = vec![-0.0; 12];
    let alpha = 1.0;
    ger(
        alpha,
        VecRef::from(&x),
        VecRef::from(&y),
        MatMut::row_major(&mut a, 4, 3).unwrap(),
    )
    .unwrap();
    for i in 0..4 {
        for j in 0..3 {
            let want: f64 = -0.0 + x[i] * (alpha * y[j]);
            assert!(
                f64::same(a[i * 3 + j], want),
                "({i}, {j}): {}",
                a[i * 3 + j]
            );
        }
    }
    // NaN·0 and ∞·0 reached A although y[0] = 0: no column is skipped.
    assert!(a[0].is_nan() && a[3].is_nan());
}

// ---------------------------------------------------------------------------------------------
// ger, gerc, syr on every layout
// ---------------------------------------------------------------------------------------------

/// Runs ger and the reference on identical buffers under every A layout and x/y stride and
/// compares the whole buffers, so elements outside the view must stay untouched.
fn ger_sweep<T: TestScalar>(seed: u64, sizes: &[usize]) {
    let mut rng = rng(seed);
    for &m in sizes {
        for &n in sizes {
            for lay in layouts(m, n) {
                for (xs, ys) in [(1, 1), (2, -1), (-3, 5), (-1, -1)] {
                    let (xo, xl) = vec_layout(m, xs);
                    let (yo, yl) = vec_layout(n, ys);
                    let xd = random_vec::<T>(&mut rng, xl);
                    let yd = random_vec::<T>(&mut rng, yl);
                    let x = VecRef::new(&xd, xo, m, xs).unwrap();
                    let y = VecRef::new(&yd, yo, n, ys).unwrap();
                    let alpha = T::sample(&mut rng);
                    let before = random_vec::<T>(&mut rng, lay.buf_len);
                    let (mut got, mut want) = (before.clone(), before.clone());
                    ger(alpha, x, y, lay.view_mut(&mut got, m, n)).unwrap();
                    if m > 0 && n > 0 && alpha != T::zero() {
                        reference::ger(alpha, x, y, lay.view_mut(&mut want, m, n));
                    }
                    // The tolerance scale of each buffer element (0 outside the view).
                    let av = MatRef::new(&before, lay.offset, m, n, lay.row_stride, lay.col_stride)
                        .unwrap();
                    let mut scale = vec![0.0; lay.buf_len];
                    for i in 0..m {
                        for j in 0..n {
                            let k = lay.offset as isize
                                + i as isize * lay.row_stride
                                + j as isize * lay.col_stride;
                            scale[k as usize] =
                                av.get(i, j).mag() + x.get(i).mag() * alpha.mag() * y.get(j).mag();
                        }
                    }
                    for k in 0..lay.buf_len {
                        assert!(
                            T::close(got[k], want[k], scale[k]),
                            "{} {m}×{n} {}, incx {xs}, incy {ys}: buffer[{k}] = {:?}, want {:?}",
                            T::NAME,
                            lay.name,
                            got[k],
                            want[k]
                        );
                    }
                }
            }
        }
    }
}

const GER_SIZES: [usize; 9] = [0, 1, 2, 3, 7, 8, 9, 17, 65];

#[test]
fn ger_matches_reference_on_all_layouts_i32() {
    ger_sweep::<i32>(11, &GER_SIZES);
}
#[test]
fn ger_matches_reference_on_all_layouts_i64() {
    ger_sweep::<i64>(12, &GER_SIZES);
}
#[test]
fn ger_matches_reference_on_all_layouts_wrapping_u8() {
    ger_sweep::<Wrapping<u8>>(13, &GER_SIZES);
}
#[test]
fn ger_matches_reference_on_all_layouts_f32() {
    ger_sweep::<f32>(14, &GER_SIZES);
}
#[test]
fn ger_matches_reference_on_all_layouts_f64() {
    ger_sweep::<f64>(15, &GER_SIZES);
}
#[test]
fn ger_matches_reference_on_all_layouts_complex_f64() {
    ger_sweep::<Complex<f64>>(16, &[0, 1, 3, 8, 17]);
}

#[test]
fn ger_large_sizes_on_every_kernel_path() {
    for path in KernelPath::ALL {
        if path.is_available() {
            with_kernel_path(path, || {
                ger_sweep::<f32>(17, &[63, 64, 257]);
                ger_sweep::<f64>(18, &[16, 257]);
            });
        }
    }
}

/// ger on a transposed view is ger with x and y swapped: (A + α x yᵀ)ᵀ = Aᵀ + α y xᵀ.
#[test]
fn ger_on_a_transposed_view_swaps_x_and_y() {
    let mut rng = rng(19);
    for (m, n) in [(1, 1), (3, 8), (9, 2), (17, 16), (65, 7)] {
        let x = random_vec::<i64>(&mut rng, m);
        let y = random_vec::<i64>(&mut rng, n);
        let start = random_vec::<i64>(&mut rng, m * n);
        // A is m×n as the transpose of a row-major n×m buffer.
        let mut via_t = start.clone();
        let at = MatMut::row_major(&mut via_t, n, m).unwrap().transpose();
        ger(3, VecRef::from(&x), VecRef::from(&y), at).unwrap();
        let mut direct = start.clone();
        let b = MatMut::row_major(&mut direct, n, m).unwrap();
        ger(3, VecRef::from(&y), VecRef::from(&x), b).unwrap();
        assert_eq!(via_t, direct, "{m}×{n}");
        let want: Vec<i64> = (0..m * n)
            .map(|k| start[k] + x[k % m] * (3 * y[k / m]))
            .collect();
        assert_eq!(via_t, want);
    }
}

#[test]
fn ger_quick_returns_leave_a_bitwise_untouched() {
    // α = 0: A keeps its NaN and its −0.0 even though x holds ∞ (∞·0 would be NaN).
    let mut a = [f64::NAN, -0.0, 1.0, f64::NEG_INFINITY];
    let x = [f64::INFINITY, 2.0];
    ger(
        0.0,
        VecRef::from(&x),
        VecRef::from(&x),
        MatMut::row_major(&mut a, 2, 2).unwrap(),
    )
    .unwrap();
    assert!(a[0].is_nan());
    assert_eq!(a[1].to_bits(), (-0.0f64).to_bits());
    assert_eq!(&a[2..], &[1.0, f64::NEG_INFINITY]);
    // m = 0 and n = 0.
    let mut none: [f64; 0] = [];
    ger(
        1.0,
        VecRef::from(&[]),
        VecRef::from(&x),
        MatMut::row_major(&mut none, 0, 2).unwrap(),
    )
    .unwrap();
    ger(
        1.0,
        VecRef::from(&x),
        VecRef::from(&[]),
        MatMut::row_major(&mut none, 2, 0).unwrap(),
    )
    .unwrap();
}

#[test]
fn ger_rejects_zero_strides_and_wrong_lengths_even_when_alpha_is_zero() {
    let data = [1.0, 2.0];
    let x0 = VecRef::new(&data, 0, 2, 0).unwrap();
    let mut a = [f64::NAN; 4];
    for alpha in [0.0, 1.0] {
        let e = ger(
            alpha,
            x0,
            VecRef::from(&data),
            MatMut::row_major(&mut a, 2, 2).unwrap(),
        )
        .unwrap_err();
        assert_eq!((e.kind(), e.argument()), (ErrorKind::InvalidStride, "x"));
        let e = ger(
            alpha,
            VecRef::from(&data),
            x0,
            MatMut::row_major(&mut a, 2, 2).unwrap(),
        )
        .unwrap_err();
        assert_eq!((e.kind(), e.argument()), (ErrorKind::InvalidStride, "y"));
        let e = ger(
            alpha,
            VecRef::from(&data),
            VecRef::from(&[1.0]),
            MatMut::row_major(&mut a, 2, 2).unwrap(),
        )
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.argument()),
            (ErrorKind::DimensionMismatch, "y")
        );
        assert!(e.to_string().contains("expected length 2"), "{e}");
        assert!(e.to_string().contains("got length 1"), "{e}");
    }
    assert!(a.iter().all(|v| v.is_nan()));
}

/// gerc against the plain formula `A + x·(α·conj(y))` on every layout.
#[cfg(feature = "complex")]
fn gerc_sweep<T>(seed: u64)
where
    T: TestScalar + num_traits::Float,
    Complex<T>: TestScalar,
{
    let mut rng = rng(seed);
    for (m, n) in [(0, 3), (1, 1), (3, 7), (9, 8), (17, 2)] {
        for lay in layouts(m, n) {
            let (xo, xl) = vec_layout(m, -2);
            let xd = random_vec::<Complex<T>>(&mut rng, xl);
            let yd = random_vec::<Complex<T>>(&mut rng, n);
            let x = VecRef::new(&xd, xo, m, -2).unwrap();
            let alpha = Complex::<T>::sample(&mut rng);
            let before = random_vec::<Complex<T>>(&mut rng, lay.buf_len);
            let mut got = before.clone();
            gerc(alpha, x, VecRef::from(&yd), lay.view_mut(&mut got, m, n)).unwrap();
            let (a0, g) = (lay.view(&before, m, n), lay.view(&got, m, n));
            for i in 0..m {
                for (j, yj) in yd.iter().enumerate() {
                    let want = a0.get(i, j) + x.get(i) * (alpha * yj.conj());
                    let scale = a0.get(i, j).mag() + x.get(i).mag() * alpha.mag() * yj.mag();
                    assert!(
                        Complex::<T>::close(g.get(i, j), want, scale),
                        "{} {m}×{n} {}: ({i}, {j})",
                        Complex::<T>::NAME,
                        lay.name
                    );
                }
            }
        }
    }
}

#[cfg(feature = "complex")]
#[test]
fn gerc_matches_the_conjugated_formula() {
    gerc_sweep::<f64>(21);
    gerc_sweep::<f32>(22);
}

fn syr_sweep<T: TestScalar>(seed: u64) {
    let mut rng = rng(seed);
    for n in [0, 1, 2, 3, 7, 8, 9, 17, 63, 64, 65, 130] {
        for lay in layouts(n, n) {
            for stride in [1, -2] {
                for tri in [Triangle::Upper, Triangle::Lower] {
                    let (xo, xl) = vec_layout(n, stride);
                    let xd = random_vec::<T>(&mut rng, xl);
                    let x = VecRef::new(&xd, xo, n, stride).unwrap();
                    let alpha = T::sample(&mut rng);
                    let before = random_vec::<T>(&mut rng, lay.buf_len);
                    let mut got = before.clone();
                    syr(alpha, x, lay.view_mut(&mut got, n, n), tri).unwrap();
                    let mut want = before.clone();
                    let mut w = lay.view_mut(&mut want, n, n);
                    for i in 0..n {
                        for j in 0..n {
                            let inside = match tri {
                                Triangle::Upper => i <= j,
                                Triangle::Lower => i >= j,
                            };
                            if inside && alpha != T::zero() {
                                let v = w.get(i, j) + x.get(i) * (alpha * x.get(j));
                                w.set(i, j, v);
                            }
                        }
                    }
                    let (b, g) = (lay.view(&before, n, n), lay.view(&got, n, n));
                    let w = lay.view(&want, n, n);
                    for i in 0..n {
                        for j in 0..n {
                            let scale =
                                b.get(i, j).mag() + x.get(i).mag() * alpha.mag() * x.get(j).mag();
                            assert!(
                                T::close(g.get(i, j), w.get(i, j), scale),
                                "{} n = {n} {} {tri:?} incx {stride}: ({i}, {j})",
                                T::NAME,
                                lay.name
                            );
                        }
                    }
                    // Outside the view nothing moved.
                    let inside: std::collections::HashSet<usize> = (0..n)
                        .flat_map(|i| (0..n).map(move |j| lay.index(i, j)))
                        .collect();
                    for k in 0..lay.buf_len {
                        if !inside.contains(&k) {
                            assert!(T::same(got[k], before[k]));
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn syr_matches_the_formula_on_one_triangle() {
    syr_sweep::<i32>(31);
    syr_sweep::<Wrapping<u8>>(32);
    syr_sweep::<f32>(33);
    syr_sweep::<f64>(34);
    syr_sweep::<Complex<f64>>(35);
}

// ---------------------------------------------------------------------------------------------
// Matrix Kronecker product, unvec, Rank1
// ---------------------------------------------------------------------------------------------

fn kron_mat_sweep<T: TestScalar>(seed: u64) {
    let mut rng = rng(seed);
    let shapes = [(0, 2), (1, 1), (2, 3), (3, 1), (4, 4), (1, 9)];
    for (m, n) in shapes {
        for (p, q) in shapes {
            let la = layouts(m, n)[rng.random_range(0..8)];
            let lb = layouts(p, q)[rng.random_range(0..8)];
            let ad = random_vec::<T>(&mut rng, la.buf_len);
            let bd = random_vec::<T>(&mut rng, lb.buf_len);
            let a = MatRef::new(&ad, la.offset, m, n, la.row_stride, la.col_stride).unwrap();
            let b = MatRef::new(&bd, lb.offset, p, q, lb.row_stride, lb.col_stride).unwrap();
            let want = reference::kron(a, b);
            let what = format!("{} {m}×{n} ({}) ⊗ {p}×{q} ({})", T::NAME, la.name, lb.name);
            let got = kron_mat(a, b);
            assert_eq!(got.shape(), (m * p, n * q), "{what}");
            assert_same(got.as_slice(), want.as_slice(), &what);
            let lo = layouts(m * p, n * q)[rng.random_range(0..8)];
            let mut buf = vec![T::zero(); lo.buf_len];
            let out = MatMut::new(
                &mut buf,
                lo.offset,
                m * p,
                n * q,
                lo.row_stride,
                lo.col_stride,
            );
            kron_mat_into(out.unwrap(), a, b).unwrap();
            let o = MatRef::new(&buf, lo.offset, m * p, n * q, lo.row_stride, lo.col_stride);
            assert_same(o.unwrap().to_matrix().as_slice(), want.as_slice(), &what);
        }
    }
}

#[test]
fn kron_mat_matches_reference() {
    kron_mat_sweep::<i64>(41);
    kron_mat_sweep::<Wrapping<u8>>(42);
    kron_mat_sweep::<f32>(43);
    kron_mat_sweep::<Complex<f64>>(44);
}

#[test]
fn kron_of_column_vectors_is_vec_of_outer() {
    // As matrices: kron(b, a) for column vectors a (m×1), b (n×1) is vec(abᵀ) as an mn×1 column.
    let (a, b) = ([1, 2, 3], [10, 20]);
    let av = MatRef::col_major(&a, 3, 1).unwrap();
    let bv = MatRef::col_major(&b, 2, 1).unwrap();
    assert_eq!(kron_mat(bv, av).into_vec(), vec_outer(&a, &b));
    assert_eq!(kron_mat(av, bv.transpose()), outer(&a, &b));
}

#[test]
fn unvec_undoes_vec_for_every_shape() {
    let mut rng = rng(51);
    for m in LENS.iter().copied().filter(|&m| m < 100) {
        for n in [0, 1, 2, 5, 17] {
            let mat = Matrix::from_vec(m, n, random_vec::<f64>(&mut rng, m * n)).unwrap();
            assert_eq!(unvec(&mat.vec(), m, n).unwrap(), mat);
        }
    }
    let e = unvec(&[1.0; 5], 2, 3).unwrap_err();
    assert_eq!((e.kind(), e.argument()), (ErrorKind::LengthMismatch, "v"));
    assert!(e.to_string().contains("expected 6"), "{e}");
}

fn rank1_sweep<T: TestScalar>(seed: u64) {
    let mut rng = rng(seed);
    for m in [0, 1, 2, 3, 8, 17, 64] {
        for n in [0, 1, 3, 9, 65] {
            let a = random_vec::<T>(&mut rng, m);
            let b = random_vec::<T>(&mut rng, n);
            let r = Rank1::new(&a, &b);
            let dense = reference::outer(&a, &b);
            assert_same(r.to_matrix().as_slice(), dense.as_slice(), T::NAME);
            let x = random_vec::<T>(&mut rng, n);
            let z = random_vec::<T>(&mut rng, m);
            let y = r.apply(&x).unwrap();
            let yt = r.apply_transpose(&z).unwrap();
            let bx: f64 = (0..n).map(|j| b[j].mag() * x[j].mag()).sum();
            let az: f64 = (0..m).map(|i| a[i].mag() * z[i].mag()).sum();
            for i in 0..m {
                let want = (0..n).fold(T::zero(), |s, j| s + dense[(i, j)] * x[j]);
                let scale = (n as f64 + 2.0) * a[i].mag() * bx;
                assert!(
                    T::close(y[i], want, scale),
                    "{} apply {m}×{n} row {i}",
                    T::NAME
                );
            }
            for j in 0..n {
                let want = (0..m).fold(T::zero(), |s, i| s + dense[(i, j)] * z[i]);
                let scale = (m as f64 + 2.0) * b[j].mag() * az;
                assert!(
                    T::close(yt[j], want, scale),
                    "{} apply_transpose {m}×{n}",
                    T::NAME
                );
            }
            let tr = (0..m.min(n)).fold(T::zero(), |s, i| s + dense[(i, i)]);
            let scale =
                (m.min(n) as f64 + 1.0) * (0..m.min(n)).map(|i| dense[(i, i)].mag()).sum::<f64>();
            assert!(T::close(r.trace(), tr, scale), "{} trace", T::NAME);
        }
    }
}

#[test]
fn rank1_operator_matches_the_dense_matrix() {
    rank1_sweep::<i32>(61);
    rank1_sweep::<i64>(62);
    rank1_sweep::<Wrapping<u8>>(63);
    rank1_sweep::<f32>(64);
    rank1_sweep::<f64>(65);
    rank1_sweep::<Complex<f64>>(66);
}

#[test]
fn rank1_frobenius_norm_matches_the_definition() {
    let mut rng = rng(71);
    for (m, n) in [(1, 1), (3, 4), (64, 17), (257, 2)] {
        let a = random_vec::<f64>(&mut rng, m);
        let b = random_vec::<f64>(&mut rng, n);
        let by_def = reference::outer(&a, &b)
            .as_slice()
            .iter()
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt();
        let got = Rank1::new(&a, &b).frobenius_norm();
        assert!(
            (got - by_def).abs() <= 1e-13 * by_def,
            "{m}×{n}: {got} vs {by_def}"
        );
        let (a32, b32): (Vec<f32>, Vec<f32>) = (
            a.iter().map(|&v| v as f32).collect(),
            b.iter().map(|&v| v as f32).collect(),
        );
        let got32 = Rank1::new(&a32, &b32).frobenius_norm() as f64;
        assert!((got32 - by_def).abs() <= 1e-5 * by_def, "f32 {m}×{n}");
    }
}

// ---------------------------------------------------------------------------------------------
// Error reporting
// ---------------------------------------------------------------------------------------------

#[test]
fn every_wrong_buffer_is_an_error_that_names_it_and_leaves_it_alone() {
    let (a, b) = ([1, 2, 3], [4, 5]);
    for len in [0, 5, 7, 12] {
        let mut out = vec![-1; len];
        let errs = [
            outer_into(&mut out, &a, &b).unwrap_err(),
            outer_into_layout(&mut out, &a, &b, Layout::ColMajor).unwrap_err(),
            vec_outer_into(&mut out, &a, &b).unwrap_err(),
            kron_into(&mut out, &a, &b).unwrap_err(),
        ];
        for e in errs {
            assert_eq!((e.kind(), e.argument()), (ErrorKind::LengthMismatch, "out"));
            assert_eq!(
                e.to_string(),
                format!("argument `out`: length mismatch: expected 6 (= 3 × 2), got {len}")
            );
        }
        assert!(out.iter().all(|&v| v == -1));
    }
}

#[test]
fn huge_shapes_are_overflow_errors_not_aborts() {
    let e = outerprod::Matrix::<u8>::try_zeros(usize::MAX / 2, 3).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Overflow);
    let e = unvec::<u8>(&[], usize::MAX, usize::MAX).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Overflow);
}
