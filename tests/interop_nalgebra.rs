//! nalgebra interop: zero-copy round trips over owned, static and strided views, the refusal of
//! negative strides on the way back, copies between Matrix and DMatrix, and outer/ger/gemm on
//! converted views against the same calls on native outerprod data.
#![cfg(feature = "nalgebra")]

use nalgebra::{
    DMatrix, DMatrixView, DMatrixViewMut, DVector, DVectorView, DVectorViewMut, Dyn, Matrix3x4,
};
use outerprod::{gemm, ger, outer, outer_into, ErrorKind, MatMut, MatRef, Matrix, VecMut, VecRef};
use proptest::prelude::*;

fn base(m: usize, n: usize) -> DMatrix<f64> {
    DMatrix::from_fn(m, n, |i, j| (i * 97 + j) as f64 * 0.5 - 3.0)
}

fn assert_same<S: nalgebra::RawStorage<f64, Dyn, Dyn>>(
    a: &nalgebra::Matrix<f64, Dyn, Dyn, S>,
    m: &MatRef<'_, f64>,
) {
    assert_eq!(a.shape(), m.shape());
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            assert_eq!(a[(i, j)].to_bits(), m.get(i, j).to_bits(), "({i}, {j})");
        }
    }
}

#[test]
fn owned_and_strided_views_round_trip_without_copying() {
    let a = base(9, 10);
    let whole = MatRef::try_from(&a).unwrap();
    assert!(whole.is_col_major());
    assert_same(&a, &whole);
    for (r0, c0) in [(0, 0), (1, 2)] {
        for (sr, sc) in [(0, 0), (1, 0), (0, 2), (2, 1)] {
            let v = a.view_with_steps((r0, c0), (3, 2), (sr, sc));
            let m = MatRef::try_from(v).unwrap();
            assert_eq!(
                (m.row_stride(), m.col_stride()),
                (v.strides().0 as isize, v.strides().1 as isize)
            );
            assert_same(&v, &m);
            let back = DMatrixView::<f64, Dyn, Dyn>::try_from(m).unwrap();
            assert_eq!((back.as_ptr(), back.strides()), (v.as_ptr(), v.strides()));
            assert_eq!(back, v);
            // A transpose is stride arithmetic on our side and still a valid nalgebra view.
            let t = DMatrixView::<f64, Dyn, Dyn>::try_from(m.transpose()).unwrap();
            assert_eq!(t, v.transpose());
        }
    }
}

#[test]
fn static_matrices_and_views_convert() {
    let a = Matrix3x4::from_fn(|i, j| (10 * i + j) as i32);
    let m = MatRef::try_from(&a).unwrap();
    assert_eq!((m.shape(), m.row_stride(), m.col_stride()), ((3, 4), 1, 3));
    assert_eq!(
        m.to_matrix(),
        Matrix::from_fn(3, 4, |i, j| (10 * i + j) as i32)
    );
    let blk = a.fixed_view::<2, 2>(1, 2);
    let mb = MatRef::try_from(blk).unwrap();
    assert_eq!((mb.get(0, 0), mb.get(1, 1)), (12, 23));
}

#[test]
fn negative_strides_are_refused_going_back() {
    let data: Vec<f64> = (0..6).map(f64::from).collect();
    let m = MatRef::row_major(&data, 2, 3).unwrap();
    let e = DMatrixView::<f64, Dyn, Dyn>::try_from(m.reverse_cols()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidStride);
    assert!(e.to_string().contains("column stride -1"), "{e}");
    let e = DMatrixView::<f64, Dyn, Dyn>::try_from(m.reverse_rows()).unwrap_err();
    assert!(e.to_string().contains("row stride -3"), "{e}");
    let e = DVectorView::<f64, Dyn, Dyn>::try_from(VecRef::from(&data).reverse()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidStride);
    let mut buf = data.clone();
    let mm = MatMut::row_major(&mut buf, 2, 3).unwrap().reverse_rows();
    assert!(DMatrixViewMut::<f64, Dyn, Dyn>::try_from(mm).is_err());
}

#[test]
fn empty_matrices_convert() {
    let a = DMatrix::<f64>::zeros(0, 3);
    let m = MatRef::try_from(&a).unwrap();
    assert_eq!(m.shape(), (0, 3));
    assert_eq!(
        DMatrixView::<f64, Dyn, Dyn>::try_from(m).unwrap().shape(),
        (0, 3)
    );
    let x = DVector::<f64>::zeros(0);
    assert!(VecRef::try_from(&x).unwrap().is_empty());
}

#[test]
fn mutable_views_write_through() {
    let mut a = DMatrix::<i64>::zeros(5, 6);
    {
        let mut m = MatMut::try_from(a.view_with_steps_mut((1, 1), (2, 3), (2, 1))).unwrap();
        for i in 0..2 {
            for j in 0..3 {
                m.set(i, j, (10 * i + j) as i64 + 1);
            }
        }
    }
    let expect = DMatrix::from_fn(5, 6, |r, c| {
        if (r == 1 || r == 4) && (c == 1 || c == 3 || c == 5) {
            (10 * ((r - 1) / 3) + (c - 1) / 2) as i64 + 1
        } else {
            0
        }
    });
    assert_eq!(a, expect);
    // And back: a transposed MatMut (row-major strides) as a nalgebra view.
    let mut data = vec![0i64; 6];
    let mm = MatMut::col_major(&mut data, 2, 3).unwrap().transpose();
    let mut v = DMatrixViewMut::<i64, Dyn, Dyn>::try_from(mm).unwrap();
    v[(2, 1)] = 7; // element (1, 2) of the column-major 2×3
    assert_eq!(data[5], 7);
}

#[test]
fn vectors_convert_both_ways() {
    let a = base(6, 4);
    let col = a.column(2);
    let v = VecRef::try_from(col).unwrap();
    assert_eq!(
        (v.to_vec(), v.stride()),
        (col.iter().copied().collect::<Vec<_>>(), 1)
    );
    // A row of a column-major matrix is a 1×n matrix with column stride 6.
    let row = MatRef::try_from(a.row(3)).unwrap().row(0);
    assert_eq!(row.stride(), 6);
    assert_eq!(row.to_vec(), a.row(3).iter().copied().collect::<Vec<_>>());
    let x = DVector::from_fn(9, |i, _| i as f64);
    let stepped = x.rows_with_step(1, 3, 2); // 1, 4, 7
    let sv = VecRef::try_from(stepped).unwrap();
    assert_eq!((sv.to_vec(), sv.stride()), (vec![1.0, 4.0, 7.0], 3));
    let back = DVectorView::<f64, Dyn, Dyn>::try_from(sv).unwrap();
    assert_eq!(back, stepped);

    let mut y = DVector::<f64>::zeros(4);
    VecMut::try_from(&mut y).unwrap().set(3, 2.5);
    assert_eq!(y[3], 2.5);
    let mut data = [0.0; 8];
    let mut w = DVectorViewMut::<f64, Dyn, Dyn>::try_from(VecMut::new(&mut data, 1, 3, 3).unwrap())
        .unwrap();
    w[2] = 1.0;
    assert_eq!(data, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
}

#[test]
fn matrix_and_dmatrix_copy_with_the_layout_change() {
    let m = outer(&[1, 2, 3], &[4, 5]);
    let d = DMatrix::from(&m);
    assert_eq!(d, DMatrix::from_fn(3, 2, |i, j| [1, 2, 3][i] * [4, 5][j]));
    assert_eq!(Matrix::from(&d), m);
    // From a strided view, too.
    let v = d.view_with_steps((0, 0), (2, 2), (1, 0));
    assert_eq!(
        Matrix::from(&v),
        Matrix::from_fn(2, 2, |i, j| [1, 3][i] * [4, 5][j])
    );
}

#[test]
fn outer_into_matches_nalgebra_outer_product() {
    let a = [1.0, -2.0, 0.5];
    let b = [3.0, 4.0];
    let mut out = vec![0.0; 6];
    outer_into(&mut out, &a, &b).unwrap();
    let expect = DVector::from_row_slice(&a) * DVector::from_row_slice(&b).transpose();
    assert_eq!(DMatrix::from(&Matrix::from_vec(3, 2, out).unwrap()), expect);
}

#[test]
fn ger_on_strided_views_matches_native_data() {
    for (sr, sc) in [(0, 0), (1, 0), (0, 2), (2, 1)] {
        let mut a = base(16, 13);
        let x = DVector::from_fn(9, |i, _| i as f64 - 2.5);
        let y = DVector::from_fn(12, |i, _| 1.0 - i as f64 * 0.25);
        let (xs, ys) = (x.rows_with_step(0, 5, 1), y.rows_with_step(1, 4, 2));
        let mut native = Matrix::from(&a.view_with_steps((1, 0), (5, 4), (sr, sc)));
        let (xv, yv): (Vec<f64>, Vec<f64>) =
            (xs.iter().copied().collect(), ys.iter().copied().collect());
        ger(
            -0.5,
            VecRef::from(&xv),
            VecRef::from(&yv),
            native.view_mut(),
        )
        .unwrap();
        ger(
            -0.5,
            VecRef::try_from(xs).unwrap(),
            VecRef::try_from(ys).unwrap(),
            MatMut::try_from(a.view_with_steps_mut((1, 0), (5, 4), (sr, sc))).unwrap(),
        )
        .unwrap();
        assert_eq!(
            Matrix::from(&a.view_with_steps((1, 0), (5, 4), (sr, sc))),
            native
        );
        // nalgebra's own ger as a second opinion. Its x and y must be contiguous: nalgebra
        // 0.35's `axpy` loops over the *span* of a strided x (`x.len()` of the slice it builds
        // over the span), reading out of bounds, so pass packed copies.
        let mut twin = base(16, 13);
        let (xc, yc) = (xs.clone_owned(), ys.clone_owned());
        twin.view_with_steps_mut((1, 0), (5, 4), (sr, sc))
            .ger(-0.5, &xc, &yc, 1.0);
        assert_eq!(a, twin);
    }
}

/// C ← αAB + βC on nalgebra views (A column-major or transposed, C strided), compared with the
/// same call on packed copies and with nalgebra's product. Integer-valued data: exact.
fn gemm_case(
    m: usize,
    n: usize,
    k: usize,
    step: (usize, usize),
    transpose_a: bool,
    alpha: f64,
    beta: f64,
) {
    let big_a = DMatrix::from_fn(3 * m.max(k) + 1, 3 * m.max(k) + 1, |i, j| {
        ((i * 7 + j * 3) % 11) as f64 - 5.0
    });
    let b = DMatrix::from_fn(k, n, |i, j| ((i * 5 + j) % 7) as f64 - 3.0);
    let mut big_c = DMatrix::from_fn(3 * m + 1, 3 * n + 1, |i, j| ((i + 2 * j) % 5) as f64);
    let a_src = if transpose_a {
        MatRef::try_from(big_a.view_with_steps((0, 1), (k, m), (step.1, step.0)))
            .unwrap()
            .transpose()
    } else {
        MatRef::try_from(big_a.view_with_steps((1, 0), (m, k), step)).unwrap()
    };
    let c_before = Matrix::from(&big_c.view_with_steps((0, 0), (m, n), step));
    let (a_nat, b_nat) = (a_src.to_matrix(), Matrix::from(&b));
    let mut c_nat = c_before.clone();
    gemm(alpha, a_nat.view(), b_nat.view(), beta, c_nat.view_mut()).unwrap();
    gemm(
        alpha,
        a_src,
        MatRef::try_from(&b).unwrap(),
        beta,
        MatMut::try_from(big_c.view_with_steps_mut((0, 0), (m, n), step)).unwrap(),
    )
    .unwrap();
    let got = Matrix::from(&big_c.view_with_steps((0, 0), (m, n), step));
    assert_eq!(
        got, c_nat,
        "{m}×{n}×{k} step {step:?} Aᵀ {transpose_a} α {alpha} β {beta}"
    );
    let a_na = DMatrix::from(&a_nat);
    let expect = &a_na * &b * alpha + DMatrix::from(&c_before) * beta;
    assert_eq!(DMatrix::from(&got), expect);
}

#[test]
fn gemm_on_strided_views_matches_native_data() {
    for step in [(0, 0), (1, 0), (0, 2), (2, 1)] {
        for transpose_a in [false, true] {
            for (alpha, beta) in [(1.0, 0.0), (-1.0, 1.0), (0.5, -1.0), (0.0, 0.5)] {
                gemm_case(5, 6, 7, step, transpose_a, alpha, beta);
            }
        }
    }
    for (m, n, k) in [(0, 3, 2), (3, 0, 2), (3, 2, 0), (1, 1, 1), (17, 9, 13)] {
        gemm_case(m, n, k, (1, 2), true, 1.5, 0.5);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: proptest::test_runner::RngSeed::Fixed(11), ..ProptestConfig::default() })]

    #[test]
    fn random_views_round_trip(
        r0 in 0usize..4, c0 in 0usize..4, m in 0usize..6, n in 0usize..6,
        sr in 0usize..3, sc in 0usize..3, t in any::<bool>(),
    ) {
        let a = base(r0 + 3 * m + 1, c0 + 3 * n + 1);
        let v = a.view_with_steps((r0, c0), (m, n), (sr, sc));
        let mut mv = MatRef::try_from(v).unwrap();
        if t { mv = mv.transpose(); }
        let back = DMatrixView::<f64, Dyn, Dyn>::try_from(mv).unwrap();
        if t { prop_assert_eq!(back, v.transpose()); } else { prop_assert_eq!(back, v); }
        prop_assert_eq!(Matrix::from(&back), mv.to_matrix());
    }
}
