//! faer interop: zero-copy round trips over padded, reversed, transposed and sub-block views,
//! vectors, copies between Matrix and faer::Mat, and outer/ger/gemm on converted views against
//! the same calls on native outerprod data.
#![cfg(feature = "faer")]

use faer::reborrow::IntoConst;
use faer::{ColMut, ColRef, Mat, RowRef};
use outerprod::{gemm, ger, outer, outer_into, MatMut, MatRef, Matrix, VecMut, VecRef};
use proptest::prelude::*;

fn base(m: usize, n: usize) -> Mat<f64> {
    Mat::from_fn(m, n, |i, j| (i * 97 + j) as f64 * 0.5 - 3.0)
}

fn assert_same(a: faer::MatRef<'_, f64>, m: &MatRef<'_, f64>) {
    assert_eq!((a.nrows(), a.ncols()), m.shape());
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            assert_eq!(a[(i, j)].to_bits(), m.get(i, j).to_bits(), "({i}, {j})");
        }
    }
}

/// Every view shape faer builds by stride arithmetic, on a padded `Mat` (5 rows, so the
/// column stride exceeds 5 and the span has gaps).
fn variants(a: &Mat<f64>) -> Vec<faer::MatRef<'_, f64>> {
    let v = a.as_ref();
    let mut out = vec![];
    for base in [v, v.transpose(), v.submatrix(1, 2, 3, 4)] {
        out.extend([
            base,
            base.reverse_rows(),
            base.reverse_cols(),
            base.reverse_rows_and_cols(),
        ]);
    }
    out
}

#[test]
fn padded_reversed_and_transposed_views_round_trip_without_copying() {
    let a = base(5, 7);
    let whole = MatRef::try_from(&a).unwrap();
    assert_eq!(whole.col_stride(), a.col_stride());
    assert!(
        whole.col_stride() > 5,
        "faer pads columns, so this span has gaps"
    );
    assert_eq!(whole.row_stride(), 1);
    for v in variants(&a) {
        let m = MatRef::try_from(v).unwrap();
        assert_eq!(
            (m.row_stride(), m.col_stride()),
            (v.row_stride(), v.col_stride())
        );
        assert_same(v, &m);
        let back = faer::MatRef::from(m);
        assert_eq!(back.as_ptr(), v.as_ptr());
        assert_eq!(
            (back.row_stride(), back.col_stride()),
            (v.row_stride(), v.col_stride())
        );
        assert_eq!(back, v);
    }
}

#[test]
fn empty_and_broadcast_views_convert() {
    let a = Mat::<f64>::zeros(0, 4);
    assert_eq!(MatRef::try_from(&a).unwrap().shape(), (0, 4));
    let e = MatRef::<f64>::row_major(&[], 3, 0).unwrap();
    let f = faer::MatRef::from(e);
    assert_eq!((f.nrows(), f.ncols()), (3, 0));
    // A read-only broadcast (row stride 0) survives both ways.
    let x = 2.5f64;
    let b = faer::MatRef::from_repeated_ref(&x, 3, 2);
    let m = MatRef::try_from(b).unwrap();
    assert_eq!((m.row_stride(), m.col_stride(), m.get(2, 1)), (0, 0, 2.5));
}

#[test]
fn mutable_views_write_through_in_both_directions() {
    let mut a = Mat::from_fn(5, 6, |_, _| 0i64);
    {
        let blk = a.as_mut().submatrix_mut(1, 1, 3, 4).reverse_rows_mut();
        let mut m = MatMut::try_from(blk).unwrap();
        assert!(m.row_stride() < 0);
        for i in 0..3 {
            for j in 0..4 {
                m.set(i, j, (10 * i + j) as i64 + 1);
            }
        }
    }
    let expect = Mat::from_fn(5, 6, |r, c| {
        if (1..4).contains(&r) && (1..5).contains(&c) {
            (10 * (3 - r) + (c - 1)) as i64 + 1
        } else {
            0
        }
    });
    assert_eq!(a, expect);
    let mut data = vec![0i64; 6];
    let mm = MatMut::row_major(&mut data, 2, 3).unwrap().reverse_cols();
    let mut f = faer::MatMut::from(mm);
    f[(1, 0)] = 9; // row 1, last column of `data`
    assert_eq!(data[5], 9);
}

#[test]
fn vectors_convert_both_ways() {
    let a = base(5, 4);
    let col = a.col(2).reverse_rows();
    let v = VecRef::try_from(col).unwrap();
    assert_eq!(v.stride(), -1);
    assert_eq!(
        v.to_vec(),
        (0..5).map(|i| a[(4 - i, 2)]).collect::<Vec<_>>()
    );
    let row = VecRef::try_from(a.row(3)).unwrap();
    assert_eq!(row.stride(), a.col_stride());
    assert_eq!(row.to_vec(), (0..4).map(|j| a[(3, j)]).collect::<Vec<_>>());
    let back = ColRef::from(v);
    assert_eq!(back, col);
    assert_eq!(RowRef::from(row), a.row(3));

    let mut b = Mat::<f64>::zeros(3, 3);
    VecMut::try_from(b.as_mut().row_mut(1)).unwrap().set(2, 4.0);
    VecMut::try_from(b.as_mut().col_mut(0)).unwrap().set(2, 5.0);
    assert_eq!((b[(1, 2)], b[(2, 0)]), (4.0, 5.0));
    let mut data = [0.0; 5];
    let mut c = ColMut::from(VecMut::new(&mut data, 4, 3, -2).unwrap());
    c[2] = 1.0;
    assert_eq!(data, [1.0, 0.0, 0.0, 0.0, 0.0]);
}

#[test]
fn matrix_and_faer_mat_copy() {
    let m = outer(&[1.0, 2.0, 3.0], &[4.0, 5.0]);
    let f = Mat::from(&m);
    assert_eq!(
        f,
        Mat::from_fn(3, 2, |i, j| [1.0, 2.0, 3.0][i] * [4.0, 5.0][j])
    );
    assert_eq!(Matrix::from(&f), m);
    // Zero-copy alternative: view the Matrix.
    let fv = faer::MatRef::from(m.view());
    assert_eq!(fv.as_ptr(), m.as_slice().as_ptr());
    assert_eq!(fv, f.as_ref());
}

#[test]
fn outer_into_matches_faer_outer_product() {
    let a = [1.0, -2.0, 0.5];
    let b = [3.0, 4.0];
    let mut out = vec![0.0; 6];
    outer_into(&mut out, &a, &b).unwrap();
    let expect = Mat::from_fn(3, 2, |i, j| a[i] * b[j]);
    assert_eq!(Mat::from(&Matrix::from_vec(3, 2, out).unwrap()), expect);
}

/// The m×n top-left block of variant `idx` of `variants` (mutable).
fn pick_variant(idx: usize, m: usize, n: usize, a: faer::MatMut<'_, f64>) -> faer::MatMut<'_, f64> {
    let a = match idx / 4 {
        0 => a,
        1 => a.transpose_mut(),
        _ => a.submatrix_mut(1, 2, 3, 4),
    };
    let a = a.submatrix_mut(0, 0, m, n);
    match idx % 4 {
        0 => a,
        1 => a.reverse_rows_mut(),
        2 => a.reverse_cols_mut(),
        _ => a.reverse_rows_and_cols_mut(),
    }
}

#[test]
fn ger_on_strided_views_matches_native_data() {
    let (m, n) = (3, 4);
    let x_src = base(2 * m, 1);
    let y_src = base(1, 2 * n);
    let x = x_src.col(0).subrows(0, m).reverse_rows();
    let y = y_src.row(0).subcols(1, n);
    for idx in 0..12 {
        let mut a = base(5, 7);
        let mut native = MatRef::try_from(pick_variant(idx, m, n, a.as_mut()).into_const())
            .unwrap()
            .to_matrix();
        let (xv, yv) = (
            VecRef::try_from(x).unwrap().to_vec(),
            VecRef::try_from(y).unwrap().to_vec(),
        );
        ger(2.0, VecRef::from(&xv), VecRef::from(&yv), native.view_mut()).unwrap();
        ger(
            2.0,
            VecRef::try_from(x).unwrap(),
            VecRef::try_from(y).unwrap(),
            MatMut::try_from(pick_variant(idx, m, n, a.as_mut())).unwrap(),
        )
        .unwrap();
        // Expected: the original matrix with the native result written into the block, so
        // that elements outside the block are checked too.
        let mut expect = base(5, 7);
        let mut blk = pick_variant(idx, m, n, expect.as_mut());
        for i in 0..m {
            for j in 0..n {
                blk[(i, j)] = native[(i, j)];
            }
        }
        assert_eq!(a, expect, "variant {idx}");
    }
}

/// C ← αAB + βC through faer views, compared with the same call on packed copies and with
/// faer's own product. Integer-valued data: exact.
fn gemm_case(m: usize, n: usize, k: usize, rev_a: bool, transpose_c: bool, alpha: f64, beta: f64) {
    let a_src = Mat::from_fn(m, k, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0);
    let b_src = Mat::from_fn(n, k, |i, j| ((i * 5 + j) % 7) as f64 - 3.0);
    let c_shape = if transpose_c { (n, m) } else { (m, n) };
    let mut c_src = Mat::from_fn(c_shape.0, c_shape.1, |i, j| ((i + 2 * j) % 5) as f64);
    let a = if rev_a {
        a_src.as_ref().reverse_rows_and_cols()
    } else {
        a_src.as_ref()
    };
    let b = b_src.as_ref().transpose(); // k×n with unit column... row stride
    let c_before = {
        let c = if transpose_c {
            c_src.as_ref().transpose()
        } else {
            c_src.as_ref()
        };
        MatRef::try_from(c).unwrap().to_matrix()
    };
    let (a_nat, b_nat) = (
        MatRef::try_from(a).unwrap().to_matrix(),
        MatRef::try_from(b).unwrap().to_matrix(),
    );
    let mut c_nat = c_before.clone();
    gemm(alpha, a_nat.view(), b_nat.view(), beta, c_nat.view_mut()).unwrap();
    let c_view = if transpose_c {
        c_src.as_mut().transpose_mut()
    } else {
        c_src.as_mut()
    };
    gemm(
        alpha,
        MatRef::try_from(a).unwrap(),
        MatRef::try_from(b).unwrap(),
        beta,
        MatMut::try_from(c_view).unwrap(),
    )
    .unwrap();
    let got = {
        let c = if transpose_c {
            c_src.as_ref().transpose()
        } else {
            c_src.as_ref()
        };
        MatRef::try_from(c).unwrap().to_matrix()
    };
    assert_eq!(
        got, c_nat,
        "{m}×{n}×{k} rev A {rev_a} Cᵀ {transpose_c} α {alpha} β {beta}"
    );
    let expect = Mat::from_fn(m, n, |i, j| {
        alpha * (0..k).map(|p| a[(i, p)] * b[(p, j)]).sum::<f64>() + beta * c_before[(i, j)]
    });
    assert_eq!(Mat::from(&got), expect);
}

#[test]
fn gemm_on_strided_views_matches_native_data() {
    for rev_a in [false, true] {
        for transpose_c in [false, true] {
            for (alpha, beta) in [(1.0, 0.0), (-1.0, 1.0), (0.5, -1.0), (0.0, 0.5)] {
                gemm_case(5, 6, 7, rev_a, transpose_c, alpha, beta);
            }
        }
    }
    for (m, n, k) in [(0, 3, 2), (3, 0, 2), (3, 2, 0), (1, 1, 1), (17, 9, 13)] {
        gemm_case(m, n, k, true, true, 1.5, 0.5);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: proptest::test_runner::RngSeed::Fixed(13), ..ProptestConfig::default() })]

    #[test]
    fn random_blocks_round_trip(
        rows in 1usize..12, cols in 1usize..12,
        r0 in 0usize..12, c0 in 0usize..12, m in 0usize..12, n in 0usize..12,
        flips in 0usize..4, t in any::<bool>(),
    ) {
        let a = base(rows, cols);
        let (r0, c0) = (r0.min(rows), c0.min(cols));
        let (m, n) = (m.min(rows - r0), n.min(cols - c0));
        let mut v = a.as_ref().submatrix(r0, c0, m, n);
        if t { v = v.transpose(); }
        if flips & 1 == 1 { v = v.reverse_rows(); }
        if flips & 2 == 2 { v = v.reverse_cols(); }
        let mv = MatRef::try_from(v).unwrap();
        assert_same(v, &mv);
        prop_assert_eq!(faer::MatRef::from(mv), v);
        prop_assert_eq!(Matrix::from(&v.to_owned()), mv.to_matrix());
    }
}
