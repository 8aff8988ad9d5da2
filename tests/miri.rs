//! Small cases of every unsafe kernel family, sized for Miri: the SIMD kernels take raw
//! pointers through strided operands, and Miri checks that every pointer they form (not only
//! those they dereference) stays inside its allocation. CI runs this file under Miri with AVX2
//! and FMA enabled at compile time (`.ci/run`), so the AVX2, SSE2 and portable paths are all
//! reached; a plain `cargo test` runs it natively as well.
//!
//! Outer products and rank-1 updates are checked bit for bit against `outerprod::reference`
//! (one rounded product, or `a + x·(α·y)`, on every path); GEMM within a tolerance.

use outerprod::testing::{
    default_thresholds, with_kernel_path, with_thresholds, KernelPath, SpreadWrite, Thresholds,
};
use outerprod::{
    gemm, ger, kron_into, kron_mat_into, outer_into_layout, reference, syr, syrk, vec_outer_into,
    Layout, MatMut, MatRef, Triangle, VecRef,
};

fn paths() -> Vec<KernelPath> {
    KernelPath::ALL
        .into_iter()
        .filter(|p| p.is_available())
        .collect()
}

/// Every call goes to the kernels (no small loops), with ordinary or streaming stores and
/// adjacent or spread rows, written four at a time or in turns.
fn forced() -> Vec<Thresholds> {
    let d = default_thresholds();
    let mut all = Vec::new();
    for streaming in [false, true] {
        for (spread, walk) in [
            (false, SpreadWrite::FourRows),
            (true, SpreadWrite::FourRows),
            (true, SpreadWrite::RowByRow),
        ] {
            all.push(Thresholds {
                streaming_min_bytes: if streaming { 0 } else { usize::MAX },
                small_max_bytes: 0,
                spread_min_bytes: if spread { 0 } else { usize::MAX },
                spread_write: walk,
                ..d
            });
        }
    }
    all
}

/// Distinct exact values, so a misplaced element shows.
fn values(n: usize, scale: f64) -> Vec<f64> {
    (0..n).map(|i| (i as f64 + 1.0) * scale).collect()
}

fn each_setting(mut f: impl FnMut(&str)) {
    for path in paths() {
        for t in forced() {
            let what = format!("{path:?} {t:?}");
            with_thresholds(t, || with_kernel_path(path, || f(&what)));
        }
    }
}

#[test]
fn outer_vec_and_kron_of_vectors() {
    // 37×29: ragged rows (not a whole number of vectors); 4×64: rows of whole vectors.
    for (m, n) in [(37, 29), (4, 64), (3, 5)] {
        let a = values(m, 0.5);
        let b = values(n, -0.25);
        let want = reference::outer(&a, &b);
        let kron_ab = reference::kron_vec(&a, &b);
        let kron_ba = reference::kron_vec(&b, &a);
        each_setting(|what| {
            let mut out = vec![0.0; m * n];
            outer_into_layout(&mut out, &a, &b, Layout::RowMajor).unwrap();
            assert_eq!(out, want.as_slice(), "outer row-major {m}×{n} {what}");
            outer_into_layout(&mut out, &a, &b, Layout::ColMajor).unwrap();
            for i in 0..m {
                for j in 0..n {
                    assert_eq!(out[i + j * m], want[(i, j)], "outer col-major {what}");
                }
            }
            vec_outer_into(&mut out, &a, &b).unwrap();
            assert_eq!(out, kron_ba, "vec_outer {m}×{n} {what}");
            kron_into(&mut out, &a, &b).unwrap();
            assert_eq!(out, kron_ab, "kron {m}×{n} {what}");
        });
    }
}

#[test]
fn kron_of_strided_matrices_into_every_layout() {
    let data = values(40, 1.0);
    // A: 3×4 read backwards; B: 5×3 with padded rows and every other column.
    let a = MatRef::new(&data, 39, 3, 4, -1, -5).unwrap();
    let b = MatRef::new(&data, 0, 5, 3, 7, 2).unwrap();
    let want = reference::kron(a, b);
    each_setting(|what| {
        let (rows, cols) = (15, 12);
        let mut col = vec![0.0; rows * cols];
        kron_mat_into(MatMut::col_major(&mut col, rows, cols).unwrap(), a, b).unwrap();
        let mut row = vec![0.0; rows * cols];
        kron_mat_into(MatMut::row_major(&mut row, rows, cols).unwrap(), a, b).unwrap();
        // An output whose slice ends at its last element, rows 31 apart.
        let mut padded = vec![0.0; (cols - 1) * 31 + 2 * (rows - 1) + 1];
        let out = MatMut::new(&mut padded, 0, rows, cols, 2, 31).unwrap();
        kron_mat_into(out, a, b).unwrap();
        for i in 0..rows {
            for j in 0..cols {
                let w = want[(i, j)];
                assert_eq!(col[i + j * rows], w, "col-major {what}");
                assert_eq!(row[i * cols + j], w, "row-major {what}");
                assert_eq!(padded[2 * i + 31 * j], w, "strided {what}");
            }
        }
    });
}

#[test]
fn ger_on_padded_strided_and_reversed_operands() {
    let (m, n) = (9, 16);
    let xs = values(2 * m - 1, 0.5);
    let ys = values(n, -1.5);
    // A's layouts, each in a slice that ends at its last element: row-major padded to 20,
    // column-major padded to 11, and row-major with both strides negative.
    let layouts: [(&str, usize, usize, isize, isize); 3] = [
        ("padded rows", (m - 1) * 20 + n, 0, 20, 1),
        ("padded columns", (n - 1) * 11 + m, 0, 1, 11),
        ("reversed", m * n, m * n - 1, -(n as isize), -1),
    ];
    for (name, len, off, rs, cs) in layouts {
        // x at stride 2; y reversed.
        let x = VecRef::new(&xs, 0, m, 2).unwrap();
        let y = VecRef::new(&ys, n - 1, n, -1).unwrap();
        let start = values(len, 0.125);
        let mut want = start.clone();
        reference::ger(
            0.75,
            x,
            y,
            MatMut::new(&mut want, off, m, n, rs, cs).unwrap(),
        );
        each_setting(|what| {
            let mut got = start.clone();
            ger(
                0.75,
                x,
                y,
                MatMut::new(&mut got, off, m, n, rs, cs).unwrap(),
            )
            .unwrap();
            assert_eq!(got, want, "ger {name} {what}");
        });
    }
}

#[test]
fn ger_short_rows_across_rows() {
    // Rows of 3 f64 (columns, column-major): 700 of them in groups of four, 16.4 KiB, take
    // the short-row kernel on the AVX2 path, whose windows of x (or y) read on to the last
    // scalar; the 701st row goes alone.
    let (m, n) = (701, 3);
    let xs = values(m, 0.5);
    let ys = values(m, -0.25);
    for (name, rows, cols, rs, cs) in [
        ("row-major", m, n, n as isize, 1),
        ("column-major", n, m, 1, n as isize),
    ] {
        let x = VecRef::from(&xs[..rows]);
        let y = VecRef::from(&ys[..cols]);
        let start = values(m * n, 0.125);
        let mut want = start.clone();
        reference::ger(
            0.75,
            x,
            y,
            MatMut::new(&mut want, 0, rows, cols, rs, cs).unwrap(),
        );
        each_setting(|what| {
            let mut got = start.clone();
            let a = MatMut::new(&mut got, 0, rows, cols, rs, cs).unwrap();
            ger(0.75, x, y, a).unwrap();
            assert_eq!(got, want, "ger {name} {what}");
        });
    }
}

#[test]
fn syr_on_both_triangles() {
    let n = 11;
    let xs = values(2 * n, 0.25);
    let x = VecRef::new(&xs, 1, n, 2).unwrap();
    for tri in [Triangle::Lower, Triangle::Upper] {
        let start = values(n * n, 1.0);
        let mut want = start.clone();
        for i in 0..n {
            for j in 0..n {
                let in_triangle = match tri {
                    Triangle::Lower => i >= j,
                    Triangle::Upper => i <= j,
                };
                if in_triangle {
                    want[i * n + j] += x.get(i) * (0.5 * x.get(j));
                }
            }
        }
        each_setting(|what| {
            let mut got = start.clone();
            syr(0.5, x, MatMut::row_major(&mut got, n, n).unwrap(), tri).unwrap();
            assert_eq!(got, want, "syr {tri:?} {what}");
        });
    }
}

fn view(data: &[f64], rows: usize, cols: usize, col_major: bool) -> MatRef<'_, f64> {
    if col_major {
        MatRef::col_major(data, rows, cols).unwrap()
    } else {
        MatRef::row_major(data, rows, cols).unwrap()
    }
}

/// Every layout of A, B and C; each operand sits in a slice that ends at its last element.
/// On the SIMD paths these sizes take the small route, whose microkernels read A and B in
/// place (16×12: whole register tiles; 19×13: partial ones); on the portable path they are
/// packed. (The SIMD packing route starts at 81³ multiply-adds, too slow under Miri.)
#[test]
fn gemm_every_layout() {
    for (m, n, k) in [(16, 12, 3), (19, 13, 2)] {
        let a_data = values(m * k, 0.01);
        let b_data = values(k * n, -0.02);
        for (a_col, b_col, c_col) in [
            (false, false, false),
            (true, true, true),
            (true, false, true),
            (false, true, false),
        ] {
            let a = view(&a_data, m, k, a_col);
            let b = view(&b_data, k, n, b_col);
            let mut want = vec![0.0; m * n];
            reference::gemm(1.5, a, b, 0.0, MatMut::row_major(&mut want, m, n).unwrap());
            for path in paths() {
                let mut c = vec![f64::NAN; m * n];
                with_kernel_path(path, || {
                    let out = if c_col {
                        MatMut::col_major(&mut c, m, n)
                    } else {
                        MatMut::row_major(&mut c, m, n)
                    };
                    gemm(1.5, a, b, 0.0, out.unwrap()).unwrap();
                });
                for i in 0..m {
                    for j in 0..n {
                        let got = if c_col { c[i + j * m] } else { c[i * n + j] };
                        let w = want[i * n + j];
                        assert!(
                            (got - w).abs() <= 1e-12 * (1.0 + w.abs()),
                            "gemm {m}×{n}×{k} {a_col}/{b_col}/{c_col} {path:?} ({i},{j})"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn syrk_through_the_recursion() {
    // n = 70 > 64: one off-diagonal block on the GEMM engine and two diagonal blocks.
    let (n, k) = (70, 5);
    let data = values(n * k, 0.03);
    let a = MatRef::col_major(&data, n, k).unwrap();
    let mut c = vec![0.0; n * n];
    syrk(
        1.0,
        a,
        0.0,
        MatMut::row_major(&mut c, n, n).unwrap(),
        Triangle::Lower,
    )
    .unwrap();
    for i in 0..n {
        for j in 0..=i {
            let w: f64 = (0..k).map(|p| a.get(i, p) * a.get(j, p)).sum();
            assert!(
                (c[i * n + j] - w).abs() <= 1e-12 * (1.0 + w.abs()),
                "({i},{j})"
            );
        }
    }
}
