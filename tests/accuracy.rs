//! The documented error bounds of the floating-point kernels, tested against exact or
//! compensated references, on both dispatch paths and at sizes that take the blocked, threaded
//! and streaming-store paths.
//!
//! - outer: every element is the correctly rounded product `a[i]·b[j]` (bit for bit).
//! - ger: every element is `A[i][j] + x[i]·t` with `t = α·y[j]`, rounded either once (FMA) or
//!   twice (multiply, then add), the same way on every path.
//! - gemm: `|C − C_exact| ≤ 2·k·ε·(|A||B| + |βC|)` elementwise, against a compensated dot
//!   product (Ogita–Rump–Oishi Dot2) that is accurate to about ε·|C|.

use outerprod::testing::{with_kernel_path, KernelPath};
use outerprod::{gemm, ger, kron_mat, outer_into_layout, Layout, MatMut, MatRef, VecRef};

fn paths() -> Vec<KernelPath> {
    KernelPath::ALL
        .into_iter()
        .filter(|p| p.is_available())
        .collect()
}

/// Deterministic values spanning many binades, with both signs.
fn spread(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let mantissa = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let exponent = ((s >> 3) % 16) as i32 - 8;
            mantissa * 2f64.powi(exponent)
        })
        .collect()
}

const SPECIALS_F32: [f32; 10] = [
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    -0.0,
    0.0,
    1.0e-40, // subnormal
    -3.0e-39,
    f32::MIN_POSITIVE,
    f32::MAX,
    1.5,
];

#[test]
fn outer_is_the_rounded_product_bit_for_bit_f32() {
    // 3000² f32 = 36 MB: larger than a 32 MiB last-level cache, so streaming stores run too.
    for &(m, n) in &[(17, 33), (1024, 1024), (3000, 3000)] {
        let mut a: Vec<f32> = spread(m, 1).iter().map(|&v| v as f32).collect();
        let mut b: Vec<f32> = spread(n, 2).iter().map(|&v| v as f32).collect();
        a[..SPECIALS_F32.len().min(m)].copy_from_slice(&SPECIALS_F32[..SPECIALS_F32.len().min(m)]);
        b[n - SPECIALS_F32.len().min(n)..]
            .copy_from_slice(&SPECIALS_F32[..SPECIALS_F32.len().min(n)]);
        let mut out = vec![0.0f32; m * n];
        for path in paths() {
            for layout in [Layout::RowMajor, Layout::ColMajor] {
                with_kernel_path(path, || outer_into_layout(&mut out, &a, &b, layout)).unwrap();
                for i in 0..m {
                    for j in 0..n {
                        let got = match layout {
                            Layout::RowMajor => out[i * n + j],
                            Layout::ColMajor => out[i + j * m],
                        };
                        assert_eq!(
                            got.to_bits(),
                            (a[i] * b[j]).to_bits(),
                            "{path:?} {layout:?} ({i}, {j}) of {m}×{n}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn outer_is_the_rounded_product_bit_for_bit_f64() {
    for &(m, n) in &[(9, 5), (700, 900)] {
        let mut a = spread(m, 3);
        let b = spread(n, 4);
        a[0] = f64::NAN;
        a[1] = -0.0;
        a[2] = 5e-324;
        a[3] = f64::INFINITY;
        let mut out = vec![0.0; m * n];
        for path in paths() {
            with_kernel_path(path, || {
                outer_into_layout(&mut out, &a, &b, Layout::RowMajor)
            })
            .unwrap();
            for (k, got) in out.iter().enumerate() {
                assert_eq!(got.to_bits(), (a[k / n] * b[k % n]).to_bits());
            }
        }
    }
}

#[test]
fn kron_mat_is_the_rounded_product_bit_for_bit_on_every_route() {
    // A holds the special values; B has one row, one column, two columns (the short-row
    // Kronecker kernel in cache), three (its periodic form), 16 or 32 (the whole-vector
    // kernel), 17 or 40 (the kernel for rows between whole vectors on AVX-512; the stack
    // on AVX2). Each element must be A[i, j]·B[k, l] to the bit, except that a product of
    // two NaNs need only be a NaN.
    let (m, n) = (6, 40);
    let mut a: Vec<f32> = spread(m * n, 8).iter().map(|&v| v as f32).collect();
    for (i, &v) in SPECIALS_F32.iter().enumerate() {
        a[i * 7] = v;
    }
    for (p, q) in [
        (1, 3),
        (5, 1),
        (4, 2),
        (8, 3),
        (3, 16),
        (2, 32),
        (3, 17),
        (2, 40),
    ] {
        let mut b: Vec<f32> = spread(p * q, 9).iter().map(|&v| v as f32).collect();
        b[0] = -0.0;
        b[p * q - 1] = f32::NAN;
        let (av, bv) = (
            MatRef::row_major(&a, m, n).unwrap(),
            MatRef::row_major(&b, p, q).unwrap(),
        );
        for path in paths() {
            let got = with_kernel_path(path, || kron_mat(av, bv));
            for (r, c) in (0..m * p).flat_map(|r| (0..n * q).map(move |c| (r, c))) {
                let (x, y) = (a[r / p * n + c / q], b[r % p * q + c % q]);
                let g = got[(r, c)];
                if x.is_nan() && y.is_nan() {
                    assert!(g.is_nan(), "{path:?} {p}×{q} ({r}, {c})");
                } else {
                    assert_eq!(
                        g.to_bits(),
                        (x * y).to_bits(),
                        "{path:?} {p}×{q} ({r}, {c})"
                    );
                }
            }
        }
    }
}

#[test]
fn ger_rounds_once_or_twice_per_element_consistently() {
    let (m, n) = (517, 263);
    let x: Vec<f32> = spread(m, 5).iter().map(|&v| v as f32).collect();
    let y: Vec<f32> = spread(n, 6).iter().map(|&v| v as f32).collect();
    let a0: Vec<f32> = spread(m * n, 7).iter().map(|&v| v as f32).collect();
    let alpha = 0.75f32;
    let mut results = Vec::new();
    for path in paths() {
        for layout in [Layout::RowMajor, Layout::ColMajor] {
            let mut a = a0.clone();
            let view = match layout {
                Layout::RowMajor => MatMut::row_major(&mut a, m, n),
                Layout::ColMajor => MatMut::new(&mut a, 0, m, n, 1, m as isize),
            }
            .unwrap();
            with_kernel_path(path, || {
                ger(alpha, VecRef::from(&x[..]), VecRef::from(&y[..]), view)
            })
            .unwrap();
            let (mut fused, mut split) = (0usize, 0usize);
            for (i, &xi) in x.iter().enumerate() {
                for (j, &yj) in y.iter().enumerate() {
                    let idx = match layout {
                        Layout::RowMajor => i * n + j,
                        Layout::ColMajor => i + j * m,
                    };
                    let t = alpha * yj;
                    let got = a[idx];
                    let f = xi.mul_add(t, a0[idx]).to_bits();
                    let s = (a0[idx] + xi * t).to_bits();
                    if f == s {
                        // Both roundings agree here; this element says nothing either way.
                        fused += 1;
                        split += 1;
                    } else if got.to_bits() == f {
                        fused += 1;
                    } else if got.to_bits() == s {
                        split += 1;
                    } else {
                        panic!("{path:?} {layout:?} ({i}, {j}): {got} is neither rounding");
                    }
                }
            }
            // Where fusing and splitting differ, the kernel must use one of them throughout.
            assert!(
                fused == m * n || split == m * n,
                "mixed roundings: {fused} fused, {split} split"
            );
            results.push((layout, a));
        }
    }
    // Every path gives the same bits for the same layout.
    for layout in [Layout::RowMajor, Layout::ColMajor] {
        let same: Vec<_> = results.iter().filter(|r| r.0 == layout).collect();
        assert!(same.windows(2).all(|w| w[0].1 == w[1].1), "{layout:?}");
    }
}

/// Error-free transformations for the compensated reference.
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

fn dot2(x: impl Iterator<Item = (f64, f64)>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for (a, b) in x {
        let p = a * b;
        let pe = a.mul_add(b, -p);
        let (t, se) = two_sum(s, p);
        s = t;
        c += se + pe;
    }
    s + c
}

fn check_gemm_bound<T>(m: usize, n: usize, k: usize, alpha: f64, beta: f64, eps: f64)
where
    T: outerprod::Float + Into<f64>,
{
    let to_t = |v: f64| T::from_f64(v).unwrap();
    let a: Vec<T> = spread(m * k, 11).into_iter().map(to_t).collect();
    let b: Vec<T> = spread(k * n, 12).into_iter().map(to_t).collect();
    let c0: Vec<T> = spread(m * n, 13).into_iter().map(to_t).collect();
    let (alpha_t, beta_t) = (to_t(alpha), to_t(beta));
    for path in paths() {
        let mut c = c0.clone();
        with_kernel_path(path, || {
            gemm(
                alpha_t,
                MatRef::row_major(&a, m, k).unwrap(),
                MatRef::col_major(&b, k, n).unwrap(),
                beta_t,
                MatMut::row_major(&mut c, m, n).unwrap(),
            )
        })
        .unwrap();
        for i in 0..m {
            for j in 0..n {
                let terms = (0..k).map(|p| (a[i * k + p].into(), b[p + j * k].into()));
                let ab = dot2(terms);
                let abs_ab: f64 = (0..k)
                    .map(|p| (a[i * k + p].into() * b[p + j * k].into()).abs())
                    .sum();
                let bc: f64 = beta * c0[i * n + j].into();
                let exact = alpha * ab + bc;
                let bound = 2.0 * (k as f64 + 2.0) * eps * (alpha.abs() * abs_ab + bc.abs());
                let err = (c[i * n + j].into() - exact).abs();
                assert!(
                    err <= bound,
                    "{path:?} {m}×{n}×{k} ({i}, {j}): error {err:e} > bound {bound:e}"
                );
            }
        }
    }
}

#[test]
fn gemm_within_k_eps_bound_f32() {
    for &(m, n, k) in &[(5, 7, 3), (64, 64, 64), (130, 70, 600)] {
        check_gemm_bound::<f32>(m, n, k, 1.0, 0.0, f32::EPSILON as f64);
        check_gemm_bound::<f32>(m, n, k, -0.5, 1.5, f32::EPSILON as f64);
    }
}

#[test]
fn gemm_within_k_eps_bound_f64() {
    for &(m, n, k) in &[(3, 2, 9), (96, 80, 333)] {
        check_gemm_bound::<f64>(m, n, k, 1.0, 0.0, f64::EPSILON);
        check_gemm_bound::<f64>(m, n, k, 2.0, -1.0, f64::EPSILON);
    }
}

#[test]
fn gemm_special_values_follow_the_formula_and_the_beta_rule() {
    for path in paths() {
        with_kernel_path(path, || {
            for &(m, n, k) in &[(2, 3, 4), (40, 50, 60)] {
                let a = vec![1.0f64; m * k];
                let mut b = vec![0.5f64; k * n];
                b[0] = f64::INFINITY; // column 0 of C becomes +∞ (all of A is positive)
                let mut c = vec![f64::NAN; m * n];
                gemm(
                    1.0,
                    MatRef::row_major(&a, m, k).unwrap(),
                    MatRef::row_major(&b, k, n).unwrap(),
                    0.0,
                    MatMut::row_major(&mut c, m, n).unwrap(),
                )
                .unwrap();
                for i in 0..m {
                    assert_eq!(c[i * n], f64::INFINITY);
                    for j in 1..n {
                        assert_eq!(c[i * n + j], 0.5 * k as f64, "β = 0 must not read C");
                    }
                }
                // α = 0: A and B are not referenced, C ← βC exactly.
                let nan_a = vec![f64::NAN; m * k];
                let mut c: Vec<f64> = (0..m * n).map(|v| v as f64 - 3.0).collect();
                let c0 = c.clone();
                gemm(
                    0.0,
                    MatRef::row_major(&nan_a, m, k).unwrap(),
                    MatRef::row_major(&b, k, n).unwrap(),
                    -2.0,
                    MatMut::row_major(&mut c, m, n).unwrap(),
                )
                .unwrap();
                assert!(c.iter().zip(&c0).all(|(g, w)| *g == -2.0 * w));
                // −0.0 survives β = 1 with an all-zero product? The formula says
                // -0.0 + (+0.0) = +0.0; check the kernel agrees with it.
                let zeros = vec![0.0f64; m * k];
                let mut c = vec![-0.0f64; m * n];
                gemm(
                    1.0,
                    MatRef::row_major(&zeros, m, k).unwrap(),
                    MatRef::row_major(&b, k, n).unwrap(),
                    1.0,
                    MatMut::row_major(&mut c, m, n).unwrap(),
                )
                .unwrap();
                for v in &c[1..n] {
                    assert_eq!(v.to_bits(), (-0.0f64 + 0.0).to_bits());
                }
            }
        });
    }
}
