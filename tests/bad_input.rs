//! Every public entry point, walked with every kind of bad argument.
//!
//! `Result`-returning functions must return the right `ErrorKind` with a message that names
//! the offending argument, and must not panic. Functions that panic by design (documented in a
//! `# Panics` section) are checked for their panic message.

use std::panic::{catch_unwind, AssertUnwindSafe};

use outerprod::{
    gemm, ger, kron_into, kron_mat, kron_mat_into, matmul, outer_into, outer_into_layout,
    rank_k_update, syr, syrk, try_outer, unvec, vec_outer_into, ErrorKind, Layout, MatMut, MatRef,
    Matrix, Rank1, ShapeError, Triangle, VecMut, VecRef,
};

type Run = Box<dyn Fn() -> Result<(), ShapeError>>;

struct Case {
    name: &'static str,
    kind: ErrorKind,
    argument: &'static str,
    run: Run,
}

fn case(
    name: &'static str,
    kind: ErrorKind,
    argument: &'static str,
    run: impl Fn() -> Result<(), ShapeError> + 'static,
) -> Case {
    Case {
        name,
        kind,
        argument,
        run: Box::new(run),
    }
}

fn ok<T>(r: Result<T, ShapeError>) -> Result<(), ShapeError> {
    r.map(|_| ())
}

fn views_and_matrices() -> Vec<Case> {
    use ErrorKind::*;
    vec![
        case("MatRef::new past the end", OutOfBounds, "data", || {
            ok(MatRef::new(&[0; 5], 0, 2, 3, 3, 1))
        }),
        case(
            "MatRef::new empty view, offset past end",
            OutOfBounds,
            "data",
            || ok(MatRef::new(&[0; 5], 6, 0, 3, 3, 1)),
        ),
        case(
            "MatRef::new negative stride before start",
            OutOfBounds,
            "data",
            || ok(MatRef::new(&[0; 6], 0, 2, 3, -3, 1)),
        ),
        case("MatRef::new rows·cols overflows", Overflow, "data", || {
            ok(MatRef::new(&[0; 6], 0, usize::MAX, 2, 0, 0))
        }),
        case(
            "MatRef::new stride·rows past isize",
            OutOfBounds,
            "data",
            || ok(MatRef::new(&[0; 6], 0, 3, 1, isize::MAX, 1)),
        ),
        case(
            "MatRef::new most negative stride",
            OutOfBounds,
            "data",
            || ok(MatRef::new(&[0; 6], 5, 2, 1, isize::MIN, 1)),
        ),
        case(
            "MatRef::row_major short slice",
            LengthMismatch,
            "data",
            || ok(MatRef::row_major(&[0; 5], 2, 3)),
        ),
        case(
            "MatRef::col_major long slice",
            LengthMismatch,
            "data",
            || ok(MatRef::col_major(&[0; 7], 2, 3)),
        ),
        case(
            "MatRef::row_major rows·cols overflows",
            Overflow,
            "data",
            || ok(MatRef::row_major(&[0; 7], usize::MAX, 3)),
        ),
        case("MatMut::new zero stride", Aliasing, "data", || {
            ok(MatMut::new(&mut [0; 6], 0, 2, 3, 0, 1))
        }),
        case("MatMut::new interleaved strides", Aliasing, "data", || {
            ok(MatMut::new(&mut [0; 6], 0, 2, 3, 2, 1))
        }),
        case("MatMut::new negative interleave", Aliasing, "data", || {
            ok(MatMut::new(&mut [0; 6], 5, 2, 3, -2, -1))
        }),
        case("MatMut::new past the end", OutOfBounds, "data", || {
            ok(MatMut::new(&mut [0; 6], 1, 2, 3, 3, 1))
        }),
        case(
            "MatMut::row_major short slice",
            LengthMismatch,
            "data",
            || ok(MatMut::row_major(&mut [0; 5], 2, 3)),
        ),
        case("VecRef::new past the end", OutOfBounds, "data", || {
            ok(VecRef::new(&[0; 5], 1, 3, 2))
        }),
        case(
            "VecRef::new negative stride, offset too small",
            OutOfBounds,
            "data",
            || ok(VecRef::new(&[0; 5], 3, 3, -2)),
        ),
        case("VecRef::new huge length", OutOfBounds, "data", || {
            ok(VecRef::new(&[0; 5], 0, usize::MAX, 1))
        }),
        case("VecMut::new zero stride", Aliasing, "data", || {
            ok(VecMut::new(&mut [0; 5], 0, 2, 0))
        }),
        case("VecMut::new past the end", OutOfBounds, "data", || {
            ok(VecMut::new(&mut [0; 5], 0, 6, 1))
        }),
        case(
            "MatRef::submatrix outside",
            OutOfBounds,
            "submatrix",
            || ok(MatRef::row_major(&[0; 6], 2, 3)?.submatrix(1, 1, 2, 2)),
        ),
        case(
            "MatRef::submatrix start overflows",
            OutOfBounds,
            "submatrix",
            || ok(MatRef::row_major(&[0; 6], 2, 3)?.submatrix(usize::MAX, 0, 2, 1)),
        ),
        case(
            "MatMut::submatrix outside",
            OutOfBounds,
            "submatrix",
            || ok(MatMut::row_major(&mut [0; 6], 2, 3)?.submatrix(0, 2, 1, 2)),
        ),
        case(
            "Matrix::from_vec wrong length",
            LengthMismatch,
            "data",
            || ok(Matrix::from_vec(2, 2, vec![1, 2, 3])),
        ),
        case("Matrix::from_vec overflow", Overflow, "shape", || {
            ok(Matrix::from_vec(usize::MAX, 2, vec![1, 2]))
        }),
        case("Matrix::from_rows ragged", LengthMismatch, "rows", || {
            ok(Matrix::from_rows(&[vec![1, 2], vec![3]]))
        }),
        case(
            "Matrix::from_rows element overflow (zero-sized T)",
            Overflow,
            "shape",
            || {
                let long = [(); usize::MAX];
                ok(Matrix::from_rows(&[&long[..], &long[..]]))
            },
        ),
        case(
            "Matrix::try_zeros element overflow",
            Overflow,
            "shape",
            || ok(Matrix::<f64>::try_zeros(usize::MAX, 2)),
        ),
        case("Matrix::try_zeros byte overflow", Overflow, "shape", || {
            ok(Matrix::<f64>::try_zeros(1 << 31, 1 << 31))
        }),
        case(
            "Matrix::try_zeros allocation failure",
            Allocation,
            "shape",
            || ok(Matrix::<f64>::try_zeros(1 << 28, 1 << 28)),
        ),
    ]
}

fn outer_family() -> Vec<Case> {
    use ErrorKind::*;
    let (a, b) = (vec![1.0f32, 2.0], vec![3.0f32, 4.0, 5.0]);
    let big = vec![1.0f64; 1 << 20];
    vec![
        {
            let (a, b) = (a.clone(), b.clone());
            case(
                "outer_into short buffer",
                LengthMismatch,
                "out",
                move || outer_into(&mut [0.0; 5], &a, &b),
            )
        },
        {
            let (a, b) = (a.clone(), b.clone());
            case(
                "outer_into empty buffer",
                LengthMismatch,
                "out",
                move || outer_into(&mut [], &a, &b),
            )
        },
        {
            let (a, b) = (a.clone(), b.clone());
            case(
                "outer_into_layout ColMajor long buffer",
                LengthMismatch,
                "out",
                move || outer_into_layout(&mut [0.0; 7], &a, &b, Layout::ColMajor),
            )
        },
        {
            let (a, b) = (a.clone(), b.clone());
            case(
                "outer_into with empty a, non-empty out",
                LengthMismatch,
                "out",
                move || {
                    let _ = (&a, &b);
                    outer_into(&mut [0.0; 1], &[], &b)
                },
            )
        },
        case(
            "try_outer allocation failure (2^40 f64)",
            Allocation,
            "shape",
            move || ok(try_outer(&big, &big)),
        ),
        {
            let (a, b) = (a.clone(), b.clone());
            case(
                "vec_outer_into short buffer",
                LengthMismatch,
                "out",
                move || vec_outer_into(&mut [0.0; 4], &a, &b),
            )
        },
        {
            let (a, b) = (a.clone(), b.clone());
            case("kron_into long buffer", LengthMismatch, "out", move || {
                kron_into(&mut [0.0; 9], &a, &b)
            })
        },
        case(
            "kron_mat_into wrong out shape",
            DimensionMismatch,
            "out",
            || {
                let a = [1, 2, 3, 4];
                let mut out = [0; 12];
                kron_mat_into(
                    MatMut::row_major(&mut out, 3, 4)?,
                    MatRef::row_major(&a, 2, 2)?,
                    MatRef::row_major(&a, 2, 2)?,
                )
            },
        ),
        case("kron_mat_into shape overflow", Overflow, "out", || {
            let one = [1];
            let huge = MatRef::new(&one, 0, usize::MAX, 1, 0, 0)?;
            let mut out = [0; 1];
            kron_mat_into(
                MatMut::row_major(&mut out, 1, 1)?,
                huge,
                MatRef::row_major(&[1, 2], 2, 1)?,
            )
        }),
        case("unvec wrong length", LengthMismatch, "v", || {
            ok(unvec(&[1, 2, 3], 2, 2))
        }),
        case("unvec shape overflow", Overflow, "shape", || {
            ok(unvec(&[1, 2, 3], usize::MAX, 2))
        }),
        case("Rank1::apply wrong x", DimensionMismatch, "x", || {
            ok(Rank1::new(&[1, 2], &[3, 4, 5]).apply(&[1, 1]))
        }),
        case("Rank1::apply_into wrong out", LengthMismatch, "out", || {
            Rank1::new(&[1, 2], &[3, 4, 5]).apply_into(&mut [0; 3], &[1, 1, 1])
        }),
        case(
            "Rank1::apply_transpose wrong x",
            DimensionMismatch,
            "x",
            || ok(Rank1::new(&[1, 2], &[3, 4, 5]).apply_transpose(&[1, 1, 1])),
        ),
        case(
            "Rank1::apply_transpose_into wrong out",
            LengthMismatch,
            "out",
            || Rank1::new(&[1, 2], &[3, 4, 5]).apply_transpose_into(&mut [0; 2], &[1, 1]),
        ),
    ]
}

fn rank1_updates() -> Vec<Case> {
    use ErrorKind::*;
    let x = [1.0f64, 2.0, 3.0];
    vec![
        case("ger x stride 0", InvalidStride, "x", move || {
            ger(
                1.0,
                VecRef::new(&x, 0, 2, 0)?,
                VecRef::from(&x),
                MatMut::row_major(&mut [0.0; 6], 2, 3)?,
            )
        }),
        case("ger y stride 0", InvalidStride, "y", move || {
            ger(
                1.0,
                VecRef::new(&x, 0, 2, 1)?,
                VecRef::new(&x, 0, 3, 0)?,
                MatMut::row_major(&mut [0.0; 6], 2, 3)?,
            )
        }),
        case(
            "ger stride 0 on an empty x (checked before the quick return)",
            InvalidStride,
            "x",
            move || {
                ger(
                    1.0,
                    VecRef::new(&x, 0, 0, 0)?,
                    VecRef::from(&x),
                    MatMut::row_major(&mut [], 0, 3)?,
                )
            },
        ),
        case("ger x length ≠ rows", DimensionMismatch, "x", move || {
            ger(
                1.0,
                VecRef::from(&x),
                VecRef::from(&x),
                MatMut::row_major(&mut [0.0; 6], 2, 3)?,
            )
        }),
        case("ger y length ≠ cols", DimensionMismatch, "y", move || {
            ger(
                1.0,
                VecRef::new(&x, 0, 2, 1)?,
                VecRef::new(&x, 0, 2, 1)?,
                MatMut::row_major(&mut [0.0; 6], 2, 3)?,
            )
        }),
        case(
            "ger α = 0 still checks shapes",
            DimensionMismatch,
            "x",
            move || {
                ger(
                    0.0,
                    VecRef::from(&x),
                    VecRef::from(&x),
                    MatMut::row_major(&mut [0.0; 6], 2, 3)?,
                )
            },
        ),
        case("syr non-square a", DimensionMismatch, "a", move || {
            syr(
                1.0,
                VecRef::from(&x),
                MatMut::row_major(&mut [0.0; 6], 3, 2)?,
                Triangle::Upper,
            )
        }),
        case("syr x length ≠ n", DimensionMismatch, "x", move || {
            syr(
                1.0,
                VecRef::new(&x, 0, 2, 1)?,
                MatMut::row_major(&mut [0.0; 9], 3, 3)?,
                Triangle::Lower,
            )
        }),
        case("syr x stride 0", InvalidStride, "x", move || {
            syr(
                1.0,
                VecRef::new(&x, 0, 3, 0)?,
                MatMut::row_major(&mut [0.0; 9], 3, 3)?,
                Triangle::Lower,
            )
        }),
    ]
}

/// The complex conjugated update, only with the `complex` feature.
#[cfg(feature = "complex")]
fn complex_updates() -> Vec<Case> {
    use num_complex::Complex;
    use outerprod::gerc;
    use ErrorKind::*;
    vec![
        case("gerc y length ≠ cols", DimensionMismatch, "y", || {
            let z = [Complex::new(1.0f64, 1.0); 3];
            gerc(
                Complex::new(1.0, 0.0),
                VecRef::new(&z, 0, 2, 1)?,
                VecRef::new(&z, 0, 2, 1)?,
                MatMut::row_major(&mut [Complex::new(0.0, 0.0); 6], 2, 3)?,
            )
        }),
        case("gerc x stride 0", InvalidStride, "x", || {
            let z = [Complex::new(1.0f32, 1.0); 3];
            gerc(
                Complex::new(1.0, 0.0),
                VecRef::new(&z, 0, 2, 0)?,
                VecRef::from(&z),
                MatMut::row_major(&mut [Complex::new(0.0, 0.0); 6], 2, 3)?,
            )
        }),
    ]
}

#[cfg(not(feature = "complex"))]
fn complex_updates() -> Vec<Case> {
    Vec::new()
}

fn rank_k() -> Vec<Case> {
    use ErrorKind::*;
    let a: Vec<f64> = (0..6).map(f64::from).collect();
    let a2 = a.clone();
    let a3 = a.clone();
    let a4 = a.clone();
    let a5 = a.clone();
    let a6 = a.clone();
    vec![
        case(
            "gemm inner dimensions differ",
            DimensionMismatch,
            "b",
            move || {
                gemm(
                    1.0,
                    MatRef::row_major(&a, 2, 3)?,
                    MatRef::row_major(&a, 2, 3)?,
                    0.0,
                    MatMut::row_major(&mut [0.0; 9], 3, 3)?,
                )
            },
        ),
        case("gemm wrong C shape", DimensionMismatch, "c", move || {
            gemm(
                1.0,
                MatRef::row_major(&a2, 2, 3)?,
                MatRef::row_major(&a2, 3, 2)?,
                0.0,
                MatMut::row_major(&mut [0.0; 6], 2, 3)?,
            )
        }),
        case(
            "gemm α = 0 still checks shapes",
            DimensionMismatch,
            "c",
            move || {
                gemm(
                    0.0,
                    MatRef::row_major(&a3, 2, 3)?,
                    MatRef::row_major(&a3, 3, 2)?,
                    1.0,
                    MatMut::row_major(&mut [0.0; 6], 3, 2)?,
                )
            },
        ),
        case(
            "rank_k_update k differs",
            DimensionMismatch,
            "b",
            move || {
                rank_k_update(
                    1.0,
                    MatRef::row_major(&a4, 2, 3)?,
                    MatRef::row_major(&a4, 3, 2)?,
                    MatMut::row_major(&mut [0.0; 6], 2, 3)?,
                )
            },
        ),
        case("syrk wrong C shape", DimensionMismatch, "c", move || {
            syrk(
                1.0,
                MatRef::row_major(&a5, 2, 3)?,
                0.0,
                MatMut::row_major(&mut [0.0; 9], 3, 3)?,
                Triangle::Upper,
            )
        }),
        case(
            "matmul inner dimensions differ",
            DimensionMismatch,
            "b",
            move || {
                ok(matmul(
                    MatRef::row_major(&a6, 2, 3)?,
                    MatRef::row_major(&a6, 2, 3)?,
                ))
            },
        ),
    ]
}

fn gradients() -> Vec<Case> {
    use outerprod::grad::{
        check_gradients, clip_per_example, mse, per_example_norms, softmax_cross_entropy,
        Activation, Adam, AdamConfig, Dense, GradCheck, Mlp, Sgd, SgdConfig,
    };
    use ErrorKind::*;
    let layer = || {
        Dense::new(
            Matrix::from_vec(2, 3, vec![0.5f64; 6]).unwrap(),
            vec![0.0; 2],
        )
    };
    vec![
        case(
            "Dense::new bias length ≠ out",
            LengthMismatch,
            "bias",
            || {
                ok(Dense::new(
                    Matrix::from_vec(2, 3, vec![0.5f64; 6])?,
                    vec![0.0; 3],
                ))
            },
        ),
        case(
            "Dense::forward x with the wrong width",
            DimensionMismatch,
            "x",
            move || ok(layer()?.forward(MatRef::row_major(&[1.0; 8], 2, 4)?)),
        ),
        case(
            "Dense::backward dy with the wrong width",
            DimensionMismatch,
            "dy",
            move || {
                ok(layer()?.backward(
                    MatRef::row_major(&[1.0; 6], 2, 3)?,
                    MatRef::row_major(&[1.0; 6], 2, 3)?,
                ))
            },
        ),
        case(
            "Dense::backward dy with the wrong batch",
            DimensionMismatch,
            "dy",
            move || {
                ok(layer()?.backward(
                    MatRef::row_major(&[1.0; 6], 2, 3)?,
                    MatRef::row_major(&[1.0; 2], 1, 2)?,
                ))
            },
        ),
        case(
            "mse target shape ≠ pred shape",
            DimensionMismatch,
            "target",
            || {
                ok(mse(
                    MatRef::row_major(&[1.0f64; 6], 2, 3)?,
                    MatRef::row_major(&[1.0; 6], 3, 2)?,
                ))
            },
        ),
        case(
            "softmax_cross_entropy label out of range",
            InvalidValue,
            "labels",
            || {
                ok(softmax_cross_entropy(
                    MatRef::row_major(&[1.0f64; 6], 2, 3)?,
                    &[0, 3],
                ))
            },
        ),
        case(
            "softmax_cross_entropy one label short",
            LengthMismatch,
            "labels",
            || {
                ok(softmax_cross_entropy(
                    MatRef::row_major(&[1.0f64; 6], 2, 3)?,
                    &[0],
                ))
            },
        ),
        case(
            "per_example_norms out too short",
            LengthMismatch,
            "out",
            || {
                per_example_norms(
                    MatRef::row_major(&[1.0f64; 6], 2, 3)?,
                    MatRef::row_major(&[1.0; 4], 2, 2)?,
                    &mut [0.0; 1],
                )
            },
        ),
        case(
            "clip_per_example negative bound",
            InvalidValue,
            "max_norm",
            || {
                let mut out = [0.0f64; 4];
                ok(clip_per_example(
                    MatRef::row_major(&[1.0f64; 6], 2, 3)?,
                    MatRef::row_major(&[1.0; 4], 2, 2)?,
                    -1.0,
                    MatMut::row_major(&mut out, 2, 2)?,
                ))
            },
        ),
        case("Sgd learning rate 0", InvalidValue, "learning_rate", || {
            ok(Sgd::new(SgdConfig {
                learning_rate: 0.0f64,
                ..SgdConfig::default()
            }))
        }),
        case("Sgd momentum 1", InvalidValue, "momentum", || {
            ok(Sgd::new(SgdConfig {
                momentum: 1.0f64,
                ..SgdConfig::default()
            }))
        }),
        case(
            "Adam learning rate NaN",
            InvalidValue,
            "learning_rate",
            || {
                ok(Adam::new(AdamConfig {
                    learning_rate: f64::NAN,
                    ..AdamConfig::default()
                }))
            },
        ),
        case("Mlp::new without layers", InvalidValue, "layers", || {
            ok(Mlp::<f64>::new(vec![], vec![]))
        }),
        case(
            "Mlp::forward x with the wrong width",
            DimensionMismatch,
            "x",
            move || {
                let mut net = Mlp::new(vec![layer()?], vec![Activation::Relu])?;
                ok(net.forward(MatRef::row_major(&[1.0; 4], 2, 2)?))
            },
        ),
        case(
            "check_gradients analytic length ≠ params",
            LengthMismatch,
            "analytic",
            || {
                ok(check_gradients(
                    &[1.0f64, 2.0],
                    &[0.0],
                    GradCheck::default(),
                    |p| Ok(p[0] * p[1]),
                ))
            },
        ),
    ]
}

fn run_table(cases: Vec<Case>) -> usize {
    let mut failures = Vec::new();
    let count = cases.len();
    for c in cases {
        match catch_unwind(AssertUnwindSafe(|| (c.run)())) {
            Err(_) => failures.push(format!("{}: panicked instead of returning Err", c.name)),
            Ok(Ok(())) => failures.push(format!("{}: returned Ok", c.name)),
            Ok(Err(e)) => {
                if e.kind() != c.kind || e.argument() != c.argument {
                    failures.push(format!(
                        "{}: got {:?} on `{}`, want {:?} on `{}` ({e})",
                        c.name,
                        e.kind(),
                        e.argument(),
                        c.kind,
                        c.argument
                    ));
                } else if !e.to_string().contains(&format!("`{}`", c.argument))
                    || e.expected().is_empty()
                    || e.got().is_empty()
                {
                    failures.push(format!(
                        "{}: message lacks argument/expected/got: {e}",
                        c.name
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    count
}

/// An overflowing element count is reported as the product of the lengths, not in the
/// "dims×strides" form of out-of-bounds errors (which read like empty shapes with stride 0).
#[test]
fn an_overflowing_view_names_its_element_count() {
    let e = MatRef::new(&[0; 6], 0, usize::MAX, 2, 0, 0).unwrap_err();
    assert_eq!(e.got(), format!("{} × 2 elements", usize::MAX));
    let e = MatRef::row_major(&[0; 6], usize::MAX, 2).unwrap_err();
    assert!(e.got().contains(" × 2 elements"), "{e}");
}

#[test]
fn views_and_matrices_reject_bad_shapes() {
    println!("{} cases", run_table(views_and_matrices()));
}

#[test]
fn outer_kron_unvec_rank1_reject_bad_shapes() {
    println!("{} cases", run_table(outer_family()));
}

#[test]
fn rank1_updates_follow_blas_argument_rules() {
    let mut cases = rank1_updates();
    cases.extend(complex_updates());
    println!("{} cases", run_table(cases));
}

#[test]
fn rank_k_updates_reject_bad_shapes() {
    println!("{} cases", run_table(rank_k()));
}

#[test]
fn gradient_module_rejects_bad_shapes_and_settings() {
    println!("{} cases", run_table(gradients()));
}

/// Functions that panic by design, with the message their `# Panics` section promises.
#[test]
fn documented_panics_say_what_went_wrong() {
    let expect_panic = |name: &str, needle: &str, f: &dyn Fn()| {
        let err = catch_unwind(AssertUnwindSafe(f)).expect_err(name);
        let msg = err
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert!(
            msg.contains(needle),
            "{name}: panic message {msg:?} lacks {needle:?}"
        );
    };
    let data = [1, 2, 3, 4, 5, 6];
    let m = MatRef::row_major(&data, 2, 3).unwrap();
    expect_panic("MatRef::get", "out of bounds", &|| {
        m.get(2, 0);
    });
    expect_panic("MatRef::row", "out of bounds", &|| {
        m.row(2);
    });
    expect_panic("VecRef::get", "out of bounds", &|| {
        VecRef::from(&data).get(6);
    });
    expect_panic("Matrix index", "out of bounds", &|| {
        let _ = Matrix::from_vec(2, 3, data.to_vec()).unwrap()[(0, 3)];
    });
    expect_panic("Matrix::zeros overflow", "overflow", &|| {
        Matrix::<f32>::zeros(usize::MAX, 2);
    });
    expect_panic("Rank1::get", "out of bounds", &|| {
        Rank1::new(&[1, 2], &[3]).get(0, 1);
    });
    expect_panic("kron_mat overflow", "overflow", &|| {
        let one = [1];
        let huge = MatRef::new(&one, 0, usize::MAX, 1, 0, 0).unwrap();
        kron_mat(huge, MatRef::row_major(&[1, 2], 2, 1).unwrap());
    });
    expect_panic("MatMut::split_at_row", "split_at_row", &|| {
        let mut d = [0; 6];
        let _ = MatMut::row_major(&mut d, 2, 3).unwrap().split_at_row(3);
    });
}
