//! Algebraic identities and view validation, checked by proptest on random shapes, strides
//! and values. Integer identities are checked exactly; shrinking finds the smallest failure.

mod common;

use std::collections::HashSet;

use outerprod::{
    ger, kron, kron_mat, kron_mat_into, outer, outer_into, reference, unvec, vec_outer,
    vec_outer_into, ErrorKind, MatMut, MatRef, Matrix, Rank1, VecMut, VecRef,
};
use proptest::prelude::*;

/// Small integers, so that no product or sum here can overflow i64 in any build.
fn ints(max_len: usize) -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(-1000i64..1000, 0..max_len)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        // A fixed seed, so every run checks the same cases and a failure reproduces.
        rng_seed: prop::test_runner::RngSeed::Fixed(20_261_128),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Element (i, j) of a strided view, computed by hand, or `None` when it is outside `len`.
fn address(offset: usize, i: usize, j: usize, rs: isize, cs: isize, len: usize) -> Option<usize> {
    let k = offset as i128 + i as i128 * rs as i128 + j as i128 * cs as i128;
    (0..len as i128).contains(&k).then_some(k as usize)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn outer_transposed_is_outer_swapped(a in ints(20), b in ints(20)) {
        let ab = outer(&a, &b);
        prop_assert_eq!(ab.transpose().to_matrix(), outer(&b, &a));
    }

    #[test]
    fn vec_and_kron_identities(a in ints(20), b in ints(20)) {
        // vec(abᵀ) = kron(b, a); row-major flatten of abᵀ = kron(a, b).
        prop_assert_eq!(vec_outer(&a, &b), kron(&b, &a));
        prop_assert_eq!(outer(&a, &b).into_vec(), kron(&a, &b));
        prop_assert_eq!(vec_outer(&a, &b), outer(&a, &b).vec());
        prop_assert_eq!(reference::kron_vec(&a, &b), kron(&a, &b));
    }

    #[test]
    fn unvec_and_vec_are_inverse(m in 0usize..12, n in 0usize..12, seed in any::<u64>()) {
        let mut rng = common::rng(seed);
        let v: Vec<i64> = common::random_vec(&mut rng, m * n);
        let mat = unvec(&v, m, n).unwrap();
        prop_assert_eq!(mat.vec(), v.clone());
        prop_assert_eq!(unvec(&mat.vec(), m, n).unwrap(), mat);
    }

    #[test]
    fn unvec_rejects_every_wrong_length(m in 0usize..9, n in 0usize..9, len in 0usize..90) {
        prop_assume!(len != m * n);
        let e = unvec(&vec![0i64; len], m, n).unwrap_err();
        prop_assert_eq!((e.kind(), e.argument()), (ErrorKind::LengthMismatch, "v"));
    }

    #[test]
    fn outer_is_bilinear(
        (a1, a2) in (1usize..15).prop_flat_map(|m| (prop::collection::vec(-1000i64..1000, m),
                                                    prop::collection::vec(-1000i64..1000, m))),
        b in ints(15),
        s in -50i64..50,
        t in -50i64..50,
    ) {
        // outer(s·a₁ + t·a₂, b) = s·outer(a₁, b) + t·outer(a₂, b), and likewise in b.
        let mix: Vec<i64> = a1.iter().zip(&a2).map(|(x, y)| s * x + t * y).collect();
        let lhs = outer(&mix, &b);
        let (o1, o2) = (outer(&a1, &b), outer(&a2, &b));
        let rhs: Vec<i64> = o1.as_slice().iter().zip(o2.as_slice()).map(|(p, q)| s * p + t * q).collect();
        prop_assert_eq!(lhs.as_slice(), &rhs[..]);
        let lhs = outer(&b, &mix);
        let (o1, o2) = (outer(&b, &a1), outer(&b, &a2));
        let rhs: Vec<i64> = o1.as_slice().iter().zip(o2.as_slice()).map(|(p, q)| s * p + t * q).collect();
        prop_assert_eq!(lhs.as_slice(), &rhs[..]);
    }

    #[test]
    fn every_two_by_two_minor_vanishes(a in ints(10), b in ints(10)) {
        let m = outer(&a, &b);
        for i in 0..a.len() {
            for k in i + 1..a.len() {
                for j in 0..b.len() {
                    for l in j + 1..b.len() {
                        prop_assert_eq!(m[(i, j)] * m[(k, l)] - m[(i, l)] * m[(k, j)], 0);
                    }
                }
            }
        }
    }

    #[test]
    fn rank1_apply_is_the_dense_product(a in ints(16), b in ints(16), seed in any::<u64>()) {
        let mut rng = common::rng(seed);
        let x: Vec<i64> = common::random_vec(&mut rng, b.len());
        let z: Vec<i64> = common::random_vec(&mut rng, a.len());
        let r = Rank1::new(&a, &b);
        let dense = r.to_matrix();
        let want: Vec<i64> = (0..a.len()).map(|i| (0..b.len()).map(|j| dense[(i, j)] * x[j]).sum()).collect();
        prop_assert_eq!(r.apply(&x).unwrap(), want);
        let want_t: Vec<i64> = (0..b.len()).map(|j| (0..a.len()).map(|i| dense[(i, j)] * z[i]).sum()).collect();
        prop_assert_eq!(r.apply_transpose(&z).unwrap(), want_t);
        prop_assert_eq!(r.transpose().to_matrix(), dense.transpose().to_matrix());
        if x.len() != z.len() {
            prop_assert!(r.apply(&z).is_err());
        }
    }

    #[test]
    fn rank1_apply_is_close_to_the_dense_product_f64(
        a in prop::collection::vec(-1e3f64..1e3, 0..20),
        b in prop::collection::vec(-1e3f64..1e3, 0..20),
        seed in any::<u64>(),
    ) {
        let mut rng = common::rng(seed);
        let x: Vec<f64> = common::random_vec(&mut rng, b.len());
        let r = Rank1::new(&a, &b);
        let dense = r.to_matrix();
        let y = r.apply(&x).unwrap();
        for i in 0..a.len() {
            let want: f64 = (0..b.len()).map(|j| dense[(i, j)] * x[j]).sum();
            let bound: f64 = (0..b.len()).map(|j| (dense[(i, j)] * x[j]).abs()).sum::<f64>()
                * (b.len() as f64 + 2.0) * f64::EPSILON;
            prop_assert!((y[i] - want).abs() <= bound, "row {}: {} vs {}", i, y[i], want);
        }
    }

    #[test]
    fn outer_into_rejects_every_wrong_buffer(a in ints(8), b in ints(8), len in 0usize..70) {
        prop_assume!(len != a.len() * b.len());
        let mut out = vec![7i64; len];
        let e = outer_into(&mut out, &a, &b).unwrap_err();
        prop_assert_eq!((e.kind(), e.argument()), (ErrorKind::LengthMismatch, "out"));
        prop_assert!(vec_outer_into(&mut out, &a, &b).is_err());
        prop_assert!(out.iter().all(|&v| v == 7));
    }

    /// A MatRef exists exactly when every address is inside the slice, and then reads what a
    /// gather by hand reads; its transpose, reversals and sub-blocks do too.
    #[test]
    fn matref_reads_exactly_the_hand_gather(
        len in 0usize..60, offset in 0usize..64, rows in 0usize..7, cols in 0usize..7,
        rs in -12isize..12, cs in -12isize..12,
    ) {
        let data: Vec<i64> = (0..len as i64).map(|k| k * 3 + 1).collect();
        let addrs: Vec<Option<usize>> = (0..rows)
            .flat_map(|i| (0..cols).map(move |j| address(offset, i, j, rs, cs, len)))
            .collect();
        let valid = if rows * cols == 0 { offset <= len } else { addrs.iter().all(Option::is_some) };
        match MatRef::new(&data, offset, rows, cols, rs, cs) {
            Err(e) => {
                prop_assert!(!valid, "rejected a valid view: {}", e);
                prop_assert_eq!(e.kind(), ErrorKind::OutOfBounds);
            }
            Ok(v) => {
                prop_assert!(valid, "accepted an out-of-bounds view");
                prop_assert_eq!(v.shape(), (rows, cols));
                for i in 0..rows {
                    for j in 0..cols {
                        let k = addrs[i * cols + j].unwrap();
                        prop_assert_eq!(v.get(i, j), data[k]);
                        prop_assert_eq!(v.transpose().get(j, i), data[k]);
                        prop_assert_eq!(v.reverse_rows().get(rows - 1 - i, j), data[k]);
                        prop_assert_eq!(v.reverse_cols().get(i, cols - 1 - j), data[k]);
                        prop_assert_eq!(v.row(i).get(j), data[k]);
                        prop_assert_eq!(v.col(j).get(i), data[k]);
                        let sub = v.submatrix(i, j, rows - i, cols - j).unwrap();
                        prop_assert_eq!(sub.get(0, 0), data[k]);
                    }
                }
                prop_assert!(v.submatrix(0, 0, rows + 1, cols).is_err());
            }
        }
    }

    /// A MatMut exists exactly when the view is in bounds and no element is reachable twice;
    /// writing through it touches exactly the hand-computed addresses.
    #[test]
    fn matmut_accepts_exactly_the_in_bounds_non_aliasing_views(
        len in 0usize..60, offset in 0usize..64, rows in 0usize..7, cols in 0usize..7,
        rs in -12isize..12, cs in -12isize..12,
    ) {
        let mut data: Vec<i64> = vec![0; len];
        let addrs: Vec<Option<usize>> = (0..rows)
            .flat_map(|i| (0..cols).map(move |j| address(offset, i, j, rs, cs, len)))
            .collect();
        let in_bounds = if rows * cols == 0 { offset <= len } else { addrs.iter().all(Option::is_some) };
        let distinct = addrs.iter().collect::<HashSet<_>>().len() == addrs.len();
        match MatMut::new(&mut data, offset, rows, cols, rs, cs) {
            Err(e) => {
                prop_assert!(!(in_bounds && distinct), "rejected a valid view: {}", e);
                let want = if in_bounds { ErrorKind::Aliasing } else { ErrorKind::OutOfBounds };
                prop_assert_eq!(e.kind(), want);
            }
            Ok(mut v) => {
                prop_assert!(in_bounds && distinct, "accepted an invalid view");
                for i in 0..rows {
                    for j in 0..cols {
                        v.set(i, j, (i * cols + j + 1) as i64);
                    }
                }
                let mut want = vec![0; len];
                for (idx, k) in addrs.iter().enumerate() {
                    want[k.unwrap()] = idx as i64 + 1;
                }
                prop_assert_eq!(data, want);
            }
        }
    }

    #[test]
    fn vector_views_read_exactly_the_hand_gather(
        len in 0usize..40, offset in 0usize..44, n in 0usize..12, stride in -6isize..6,
    ) {
        let mut data: Vec<i64> = (0..len as i64).map(|k| 100 - k).collect();
        let addrs: Vec<Option<usize>> = (0..n).map(|i| address(offset, i, 0, stride, 0, len)).collect();
        let valid = if n == 0 { offset <= len } else { addrs.iter().all(Option::is_some) };
        match VecRef::new(&data, offset, n, stride) {
            Err(_) => prop_assert!(!valid),
            Ok(v) => {
                prop_assert!(valid);
                let gathered: Vec<i64> = addrs.iter().map(|k| data[k.unwrap()]).collect();
                prop_assert_eq!(v.to_vec(), gathered.clone());
                let mut rev = gathered.clone();
                rev.reverse();
                prop_assert_eq!(v.reverse().to_vec(), rev);
                if n > 0 {
                    prop_assert_eq!(v.subvector(1, n - 1).unwrap().to_vec(), gathered[1..].to_vec());
                }
            }
        }
        let ok = VecMut::new(&mut data, offset, n, stride).is_ok();
        prop_assert_eq!(ok, valid && (n <= 1 || stride != 0));
    }

    #[test]
    fn row_and_col_major_shorthands_need_the_exact_length(
        len in 0usize..40, rows in 0usize..8, cols in 0usize..8,
    ) {
        let data: Vec<i64> = (0..len as i64).collect();
        let exact = len == rows * cols;
        prop_assert_eq!(MatRef::row_major(&data, rows, cols).is_ok(), exact);
        prop_assert_eq!(MatRef::col_major(&data, rows, cols).is_ok(), exact);
        prop_assert_eq!(Matrix::from_vec(rows, cols, data.clone()).is_ok(), exact);
        if exact {
            let r = MatRef::row_major(&data, rows, cols).unwrap();
            let c = MatRef::col_major(&data, rows, cols).unwrap();
            for i in 0..rows {
                for j in 0..cols {
                    prop_assert_eq!(r.get(i, j), data[i * cols + j]);
                    prop_assert_eq!(c.get(i, j), data[i + j * rows]);
                }
            }
        }
    }

    /// ger on random strided A, x and y (negative strides included) equals the reference.
    #[test]
    fn ger_matches_reference_on_random_strides(
        m in 0usize..9, n in 0usize..9,
        rs_pick in 0usize..4, xs in prop::sample::select(vec![-3isize, -1, 1, 2]),
        ys in prop::sample::select(vec![-2isize, -1, 1, 3]), alpha in -5i64..5, seed in any::<u64>(),
    ) {
        let mut rng = common::rng(seed);
        let lay = common::layouts(m, n)[2 * rs_pick + (seed % 2) as usize];
        let (xo, xl) = common::vec_layout(m, xs);
        let (yo, yl) = common::vec_layout(n, ys);
        let xd: Vec<i64> = common::random_vec(&mut rng, xl);
        let yd: Vec<i64> = common::random_vec(&mut rng, yl);
        let x = VecRef::new(&xd, xo, m, xs).unwrap();
        let y = VecRef::new(&yd, yo, n, ys).unwrap();
        let before: Vec<i64> = common::random_vec(&mut rng, lay.buf_len);
        let (mut got, mut want) = (before.clone(), before);
        ger(alpha, x, y, lay.view_mut(&mut got, m, n)).unwrap();
        reference::ger(alpha, x, y, lay.view_mut(&mut want, m, n));
        prop_assert_eq!(got, want);
    }

    #[test]
    fn ger_rejects_every_length_mismatch(m in 0usize..6, n in 0usize..6, xl in 0usize..7, yl in 0usize..7) {
        prop_assume!(xl != m || yl != n);
        let (xd, yd) = (vec![1i64; xl], vec![1i64; yl]);
        let mut a = vec![5i64; m * n];
        let r = ger(1, VecRef::from(&xd), VecRef::from(&yd), MatMut::row_major(&mut a, m, n).unwrap());
        let e = r.unwrap_err();
        prop_assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
        prop_assert_eq!(e.argument(), if xl != m { "x" } else { "y" });
        prop_assert!(a.iter().all(|&v| v == 5));
    }

    #[test]
    fn kron_mat_f32_matches_reference_on_any_shape(
        (m, n) in (0usize..40, 0usize..40),
        p in prop::sample::select(vec![0usize, 1, 2, 3, 5, 16]),
        q in prop::sample::select(vec![1usize, 2, 3, 4, 8, 16, 17]),
        seed in any::<u32>(),
        col_major in any::<bool>(),
    ) {
        // Every route of A ⊗ B (one outer product, a product per row of A, the short-row
        // Kronecker kernel, the stack) against the reference loop, bit for bit: each
        // element is one rounded product of finite values, whichever order.
        let value = |k: usize| ((k as u32).wrapping_mul(2_654_435_761) ^ seed) as f32 / 7.0e6 - 300.0;
        let a: Vec<f32> = (0..m * n).map(value).collect();
        let b: Vec<f32> = (0..p * q).map(|k| value(k + 9_999)).collect();
        let (av, bv) = (MatRef::row_major(&a, m, n).unwrap(), MatRef::row_major(&b, p, q).unwrap());
        let want = reference::kron(av, bv);
        if col_major {
            let mut buf = vec![f32::NAN; m * p * n * q];
            kron_mat_into(MatMut::col_major(&mut buf, m * p, n * q).unwrap(), av, bv).unwrap();
            prop_assert!(buf.iter().zip(want.vec()).all(|(x, y)| x.to_bits() == y.to_bits()));
        } else {
            let got = kron_mat(av, bv);
            prop_assert!(got.as_slice().iter().zip(want.as_slice()).all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }

    #[test]
    fn kron_mat_mixed_product_with_vectors(
        a in ints(6), b in ints(6), c in ints(6), d in ints(6),
    ) {
        // (a ⊗ b) as column vectors, times (c ⊗ d)ᵀ as rows, is (a cᵀ) ⊗ (b dᵀ).
        let ab = kron(&a, &b);
        let cd = kron(&c, &d);
        let lhs = outer(&ab, &cd);
        let rhs = kron_mat(outer(&a, &c).view(), outer(&b, &d).view());
        prop_assert_eq!(lhs, rhs);
    }
}
