//! ndarray interop: zero-copy round trips over every stride pattern ndarray produces, and
//! outer/ger/gemm on converted views against the same calls on native outerprod data.
#![cfg(feature = "ndarray")]

use ndarray::{
    s, Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, ShapeBuilder,
};
use outerprod::{gemm, ger, outer, outer_into, MatMut, MatRef, Matrix, VecMut, VecRef};
use proptest::prelude::*;

/// Distinct, exactly representable values so that a wrong index shows.
fn base(m: usize, n: usize) -> Array2<f64> {
    Array2::from_shape_fn((m, n), |(i, j)| (i * 97 + j) as f64 * 0.5 - 3.0)
}

/// Every sliced view shape of interest: steps ±1, ±2, ±3 on each axis, plus transposes.
fn steps() -> Vec<(isize, isize)> {
    let mut v = vec![];
    for a in [1, -1, 2, -2, 3, -3] {
        for b in [1, -1, 2, -2, 3, -3] {
            v.push((a, b));
        }
    }
    v
}

/// `len` elements with the given step, from the front (step > 0) or the back (step < 0).
fn pick(len: usize, step: isize) -> ndarray::Slice {
    ndarray::Slice::new(0, Some(len as isize * step.abs()), step)
}

fn assert_same(a: &ArrayView2<'_, f64>, m: &MatRef<'_, f64>) {
    assert_eq!(a.dim(), m.shape());
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            assert_eq!(a[[i, j]].to_bits(), m.get(i, j).to_bits(), "({i}, {j})");
        }
    }
}

#[test]
fn views_of_every_stride_pattern_round_trip_without_copying() {
    let arr = base(7, 8);
    for (sr, sc) in steps() {
        for t in [false, true] {
            let mut v = arr.slice(s![1..;sr, ..7;sc]);
            if t {
                v = v.reversed_axes();
            }
            let m = MatRef::try_from(v).unwrap();
            assert_eq!(
                (m.row_stride(), m.col_stride()),
                (v.strides()[0], v.strides()[1])
            );
            assert_same(&v, &m);
            // Back to ndarray: same pointer, same strides, same elements.
            let back = ArrayView2::from(m);
            assert_eq!(back.as_ptr(), v.as_ptr());
            assert_eq!(back.strides(), v.strides());
            assert_eq!(back, v);
        }
    }
}

#[test]
fn owned_arrays_in_both_orders_and_broadcasts_convert() {
    let c = base(3, 5);
    let mut f = Array2::<f64>::zeros((3, 5).f());
    f.assign(&c);
    for a in [&c, &f] {
        let m = MatRef::try_from(a).unwrap();
        assert_same(&a.view(), &m);
    }
    let f_view = MatRef::try_from(&f).unwrap();
    assert!(f_view.is_col_major() && !f_view.is_row_major());
    // A broadcast row (row stride 0) is a valid read-only view.
    let row = Array1::from(vec![1.0, 2.0, 3.0]);
    let b = row.broadcast((4, 3)).unwrap();
    let m = MatRef::try_from(b).unwrap();
    assert_eq!((m.row_stride(), m.col_stride()), (0, 1));
    assert_same(&b, &m);
}

#[test]
fn empty_views_convert_both_ways() {
    let a = Array2::<f64>::zeros((0, 4));
    let m = MatRef::try_from(&a).unwrap();
    assert_eq!(m.shape(), (0, 4));
    assert_eq!(ArrayView2::from(m).dim(), (0, 4));
    let e = Array2::<f64>::zeros((3, 5));
    let v = e.slice(s![..;-1, 2..2]);
    assert_eq!(MatRef::try_from(v).unwrap().shape(), (3, 0));
    let x = Array1::<f64>::zeros(0);
    assert_eq!(VecRef::try_from(&x).unwrap().len(), 0);
}

/// A stride that is never followed (of a one-element axis, or of any axis of an empty view)
/// may hold any value, `isize::MIN` included. ndarray must get a stride it reads as
/// non-negative there (its raw constructors require one; debug builds check it).
#[test]
fn unused_strides_of_any_value_convert() {
    let d = [1.0, 2.0, 3.0];
    let non_negative = |st: &[isize]| st.iter().all(|&s| s >= 0);
    for odd in [isize::MIN, isize::MAX, -5] {
        let row = ArrayView2::from(MatRef::new(&d, 0, 1, 3, odd, 1).unwrap());
        assert_eq!(row, ndarray::arr2(&[[1.0, 2.0, 3.0]]));
        assert!(non_negative(row.strides()), "{odd}: {:?}", row.strides());
        let col = ArrayView2::from(MatRef::new(&d, 0, 3, 1, 1, odd).unwrap());
        assert_eq!(col, ndarray::arr2(&[[1.0], [2.0], [3.0]]));
        assert!(non_negative(col.strides()), "{odd}: {:?}", col.strides());
        let empty = ArrayView2::from(MatRef::new(&d, 0, 0, 3, odd, odd).unwrap());
        assert_eq!(empty.dim(), (0, 3));
        assert!(
            non_negative(empty.strides()),
            "{odd}: {:?}",
            empty.strides()
        );
        let one = ArrayView1::from(VecRef::new(&d, 1, 1, odd).unwrap());
        assert_eq!((one[0], one.strides()[0] >= 0), (2.0, true));

        let mut m = d;
        let mut w = ArrayViewMut2::from(MatMut::new(&mut m, 0, 1, 3, odd, 1).unwrap());
        assert!(non_negative(w.strides()));
        w[[0, 1]] = 9.0;
        let mut v = ArrayViewMut1::from(VecMut::new(&mut m, 2, 1, odd).unwrap());
        assert!(v.strides()[0] >= 0);
        v[0] = 7.0;
        assert_eq!(m, [1.0, 9.0, 7.0]);
    }
}

#[test]
fn mutable_views_write_through_negative_strides() {
    let mut arr = Array2::<i64>::zeros((5, 6));
    {
        let mut m = MatMut::try_from(arr.slice_mut(s![..;-2, 1..;-2])).unwrap();
        assert_eq!(m.shape(), (3, 3));
        assert!(m.row_stride() < 0 && m.col_stride() < 0);
        for i in 0..3 {
            for j in 0..3 {
                m.set(i, j, (10 * i + j) as i64 + 1);
            }
        }
    }
    // Row i of the view is array row 4 − 2i, column j is array column 5 − 2j.
    let expect = Array2::from_shape_fn((5, 6), |(r, c)| {
        if r % 2 == 0 && c % 2 == 1 {
            (10 * ((4 - r) / 2) + (5 - c) / 2) as i64 + 1
        } else {
            0
        }
    });
    assert_eq!(arr, expect);

    // And back: a MatMut with negative strides becomes an ArrayViewMut2 over the same cells.
    let mut data: Vec<i64> = (0..12).collect();
    let m = MatMut::row_major(&mut data, 3, 4).unwrap().reverse_rows();
    let mut a = ArrayViewMut2::from(m);
    assert_eq!(a.strides(), &[-4, 1]);
    a[[0, 0]] = -1; // the last row of `data`
    assert_eq!(data[8], -1);
}

#[test]
fn vectors_round_trip_with_any_stride() {
    let x = Array1::from_shape_fn(11, |i| i as f64 * 1.5);
    for step in [1, -1, 2, -3, 5] {
        let v = x.slice(s![..;step]);
        let r = VecRef::try_from(v).unwrap();
        assert_eq!(r.stride(), v.strides()[0]);
        assert_eq!(r.to_vec(), v.to_vec());
        let back = ArrayView1::from(r);
        assert_eq!((back.as_ptr(), back.strides()), (v.as_ptr(), v.strides()));
    }
    let mut y = Array1::<f64>::zeros(6);
    let mut w = VecMut::try_from(y.slice_mut(s![..;-2])).unwrap();
    w.set(0, 7.0);
    assert_eq!(y[5], 7.0);
    let mut data = [0.0; 5];
    let mut a = ArrayViewMut1::from(VecMut::new(&mut data, 4, 3, -2).unwrap());
    a[2] = 3.0;
    assert_eq!(data, [3.0, 0.0, 0.0, 0.0, 0.0]);
}

#[test]
fn matrix_and_array2_move_their_buffer() {
    let m = outer(&[1, 2, 3], &[4, 5]);
    let ptr = m.as_slice().as_ptr();
    let a = Array2::from(m);
    assert_eq!(a.as_ptr(), ptr, "Matrix → Array2 moves the Vec");
    assert_eq!(a, ndarray::array![[4, 5], [8, 10], [12, 15]]);
    let back = Matrix::from(a);
    assert_eq!(
        back.as_slice().as_ptr(),
        ptr,
        "Array2 → Matrix moves it back"
    );
    assert_eq!(back, outer(&[1, 2, 3], &[4, 5]));
    // Non-standard layouts and sliced buffers are copied, in logical order.
    let a = Array2::from_shape_fn((4, 5), |(i, j)| 10 * i + j);
    let t = Matrix::from(a.clone().reversed_axes());
    assert_eq!(t, Matrix::from_fn(5, 4, |i, j| 10 * j + i));
    let sliced = Matrix::from(a.clone().slice_move(s![1..3, ..]));
    assert_eq!(sliced, Matrix::from_fn(2, 5, |i, j| 10 * (i + 1) + j));
    let empty = Matrix::from(a.slice_move(s![2..2, ..]));
    assert_eq!(empty.shape(), (0, 5));
}

#[test]
fn outer_into_fills_an_array2_buffer() {
    let a = [1.0, -2.0, 0.5];
    let b = [3.0, 4.0];
    let mut out = Array2::<f64>::zeros((3, 2));
    outer_into(out.as_slice_mut().unwrap(), &a, &b).unwrap();
    assert_eq!(Matrix::from(out), outer(&a, &b));
}

#[test]
fn ger_on_strided_views_matches_native_data() {
    let (m, n) = (5, 4);
    for (sr, sc) in steps() {
        let mut arr = base(3 * m + 1, 3 * n + 1);
        let x_arr = Array1::from_shape_fn(2 * m, |i| i as f64 - 2.5);
        let y_arr = Array1::from_shape_fn(3 * n, |i| 1.0 - i as f64 * 0.25);
        let x = x_arr.slice(s![..;-2]);
        let y = y_arr.slice(s![..;3]);
        let a_view = arr.slice(s![pick(m, sr), pick(n, sc)]);
        assert_eq!(a_view.dim(), (m, n));
        // Native twin: the same numbers in a packed row-major buffer.
        let mut native = MatRef::try_from(a_view).unwrap().to_matrix();
        let (xv, yv) = (x.to_vec(), y.to_vec());
        ger(0.5, VecRef::from(&xv), VecRef::from(&yv), native.view_mut()).unwrap();
        let a_mut = arr.slice_mut(s![pick(m, sr), pick(n, sc)]);
        ger(
            0.5,
            VecRef::try_from(x).unwrap(),
            VecRef::try_from(y).unwrap(),
            MatMut::try_from(a_mut).unwrap(),
        )
        .unwrap();
        let after = arr.slice(s![pick(m, sr), pick(n, sc)]);
        assert_eq!(Matrix::from(after.to_owned()), native, "steps ({sr}, {sc})");
    }
}

/// C ← αAB + βC through ndarray views of the given steps, compared with the same call on
/// packed copies. Integer-valued f64 data, so the comparison is exact.
fn gemm_case(
    m: usize,
    n: usize,
    k: usize,
    sa: (isize, isize),
    sc: (isize, isize),
    alpha: f64,
    beta: f64,
) {
    let big_a = Array2::from_shape_fn((3 * m + 1, 3 * k + 1), |(i, j)| {
        ((i * 7 + j * 3) % 11) as f64 - 5.0
    });
    let big_b =
        Array2::from_shape_fn((k, n), |(i, j)| ((i * 5 + j) % 7) as f64 - 3.0).reversed_axes();
    let b = big_b.t(); // k×n, column-major
    let mut big_c =
        Array2::from_shape_fn((3 * m + 1, 3 * n + 1), |(i, j)| ((i + 2 * j) % 5) as f64);
    let a = big_a.slice(s![pick(m, sa.0), pick(k, sa.1)]);
    let c_view = big_c.slice(s![pick(m, sc.0), pick(n, sc.1)]);
    assert_eq!((a.dim(), b.dim(), c_view.dim()), ((m, k), (k, n), (m, n)));
    let (a_nat, b_nat) = (
        MatRef::try_from(a).unwrap().to_matrix(),
        MatRef::try_from(b).unwrap().to_matrix(),
    );
    let mut c_nat = MatRef::try_from(c_view).unwrap().to_matrix();
    gemm(alpha, a_nat.view(), b_nat.view(), beta, c_nat.view_mut()).unwrap();
    gemm(
        alpha,
        MatRef::try_from(a).unwrap(),
        MatRef::try_from(b).unwrap(),
        beta,
        MatMut::try_from(big_c.slice_mut(s![pick(m, sc.0), pick(n, sc.1)])).unwrap(),
    )
    .unwrap();
    let got = Matrix::from(big_c.slice(s![pick(m, sc.0), pick(n, sc.1)]).to_owned());
    assert_eq!(
        got, c_nat,
        "{m}×{n}×{k} steps A {sa:?} C {sc:?} α {alpha} β {beta}"
    );
}

#[test]
fn gemm_on_strided_views_matches_native_data() {
    for sa in [(1, 1), (-1, 2), (2, -1), (-3, -2)] {
        for sc in [(1, 1), (-2, 1), (1, -3), (-1, -1)] {
            for (alpha, beta) in [(1.0, 0.0), (-1.0, 1.0), (0.5, -1.0), (0.0, 0.5)] {
                gemm_case(5, 6, 7, sa, sc, alpha, beta);
            }
        }
    }
    for (m, n, k) in [(0, 3, 2), (3, 0, 2), (3, 2, 0), (1, 1, 1), (17, 9, 13)] {
        gemm_case(m, n, k, (-2, 3), (1, -2), 1.5, 0.5);
    }
}

#[test]
fn gemm_agrees_with_ndarray_dot() {
    let a = Array2::from_shape_fn((6, 4), |(i, j)| (i as f64) - 2.0 * j as f64);
    let b = Array2::from_shape_fn((4, 5), |(i, j)| (i * j) as f64 + 1.0);
    let mut c = Array2::<f64>::zeros((6, 5).f());
    let a_rev = a.slice(s![..;-1, ..]);
    gemm(
        1.0,
        MatRef::try_from(a_rev).unwrap(),
        MatRef::try_from(&b).unwrap(),
        0.0,
        MatMut::try_from(&mut c).unwrap(),
    )
    .unwrap();
    assert_eq!(c, a_rev.dot(&b));
}

#[test]
fn arc_arrays_unshare_before_a_mutable_view() {
    let a = ndarray::ArcArray2::from_shape_fn((2, 2), |(i, j)| i + j);
    let mut b = a.clone();
    MatMut::try_from(&mut b).unwrap().set(0, 0, 9);
    assert_eq!((a[[0, 0]], b[[0, 0]]), (0, 9));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]

    #[test]
    fn random_blocks_round_trip(
        r0 in 0usize..5, c0 in 0usize..5, m in 0usize..6, n in 0usize..6,
        sr in prop::sample::select(vec![-3isize, -2, -1, 1, 2, 3]),
        sc in prop::sample::select(vec![-3isize, -2, -1, 1, 2, 3]),
        t in any::<bool>(),
    ) {
        let arr = base(r0 + 3 * m + 1, c0 + 3 * n + 1);
        let rs = ndarray::Slice::new(r0 as isize, Some((r0 + m * sr.unsigned_abs()) as isize), sr);
        let cs = ndarray::Slice::new(c0 as isize, Some((c0 + n * sc.unsigned_abs()) as isize), sc);
        let mut v = arr.slice(s![rs, cs]);
        if t { v = v.reversed_axes(); }
        let mv = MatRef::try_from(v).unwrap();
        assert_same(&v, &mv);
        prop_assert_eq!(ArrayView2::from(mv), v);
        prop_assert_eq!(mv.transpose().to_matrix(), Matrix::from(v.t().to_owned()));
    }
}

#[test]
fn zero_sized_elements_convert_within_ndarray_limits() {
    let small = vec![(); 6];
    let a = ArrayView2::from(MatRef::row_major(&small, 2, 3).unwrap());
    assert_eq!(a.dim(), (2, 3));
}

#[test]
#[should_panic(expected = "isize::MAX")]
fn zero_sized_elements_beyond_isize_max_panic() {
    // A slice of a zero-sized type can hold usize::MAX elements; ndarray cannot.
    let huge = [(); usize::MAX];
    let _ = ArrayView1::from(VecRef::from(&huge[..]));
}

/// ndarray 0.17 functions take `&ArrayRef2`/`&mut ArrayRef1`; those convert too.
fn row_sums_into(a: &ndarray::ArrayRef2<f64>, out: &mut ndarray::ArrayRef1<f64>) {
    let m = MatRef::try_from(a).unwrap();
    let mut o = VecMut::try_from(out).unwrap();
    for i in 0..m.rows() {
        o.set(i, (0..m.cols()).map(|j| m.get(i, j)).sum());
    }
}

#[test]
fn array_refs_convert() {
    let a = base(4, 3);
    let mut sums = Array1::<f64>::zeros(4);
    row_sums_into(&a.slice(s![..;-1, ..]), &mut sums);
    let expect: Vec<f64> = (0..4).map(|i| a.row(3 - i).sum()).collect();
    assert_eq!(sums.to_vec(), expect);
    let mut b = Array2::<f64>::zeros((2, 2));
    let r: &mut ndarray::ArrayRef2<f64> = &mut b;
    MatMut::try_from(r).unwrap().set(1, 0, 3.0);
    assert_eq!(b[[1, 0]], 3.0);
    let x = Array1::from(vec![1.0, 2.0]);
    let xr: &ndarray::ArrayRef1<f64> = &x;
    assert_eq!(VecRef::try_from(xr).unwrap().to_vec(), vec![1.0, 2.0]);
}
