//! Group `ger` (issue 3): the in-place rank-1 update `A ← A + α x yᵀ` on a row-major and on a
//! column-major A.
//!
//! GB/s counts A read and written: 2·m·n·size_of::<T>(). The baseline is one in-place 256-bit
//! read+modify+write pass over the same buffer.

use crate::cblas::{self, Blas};
use crate::check;
use crate::elem::{ci, El};
use crate::harness::{by_case, in_pool, Cfg, Row, RowRun, Table};
use crate::outer::faer_par;
use crate::physical;
use std::hint::black_box;

const OP: &str = "outerprod ger";
const OP_AVX2: &str = "outerprod ger, AVX2 path³";
const OPENBLAS: &str = "OpenBLAS ?ger";
const BLIS: &str = "BLIS ?ger";
const FAER: &str = "faer rank-1";
const NA_GER: &str = "nalgebra ger¹";
const NAIVE: &str = "naive loop¹";
const RMW: &str = "RMW pass";

/// Column names.
pub fn cols() -> Vec<String> {
    [OP, OP_AVX2, OPENBLAS, BLIS, FAER, NA_GER, NAIVE, RMW]
        .map(String::from)
        .to_vec()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lay {
    Row,
    Col,
}

/// One rank-1 update `A ← A + α x yᵀ` of the `ger` groups: an m×n A, row-major when `row`.
pub struct Rank1<T> {
    pub m: usize,
    pub n: usize,
    pub row: bool,
    pub alpha: T,
    pub x: Vec<T>,
    pub y: Vec<T>,
}

impl<T: El> Rank1<T> {
    /// The problem with x and y from seeds `seed` and `seed + 1` of [`check::data`].
    pub fn new(m: usize, n: usize, row: bool, alpha: f64, seed: u64) -> Self {
        Rank1 {
            m,
            n,
            row,
            alpha: T::of(alpha),
            x: check::data(m, seed),
            y: check::data(n, seed + 1),
        }
    }

    /// Index of element (i, j) of A in its buffer.
    pub fn at(&self, i: usize, j: usize) -> usize {
        if self.row {
            i * self.n + j
        } else {
            i + j * self.m
        }
    }

    /// `outerprod::ger` on `a`.
    pub fn outerprod(&self, a: &mut [T]) {
        let (m, n) = (self.m, self.n);
        let view = if self.row {
            outerprod::MatMut::row_major(a, m, n)
        } else {
            outerprod::MatMut::col_major(a, m, n)
        }
        .expect("A view");
        outerprod::ger(self.alpha, (&self.x).into(), (&self.y).into(), view).expect("ger");
    }

    /// faer's rank-1 update (`matmul` with k = 1, `Accum::Add`) on `a`, on the current
    /// rayon pool's threads ([`faer_par`]).
    pub fn faer(&self, a: &mut [T]) {
        let (m, n) = (self.m, self.n);
        let view = if self.row {
            faer::MatMut::from_row_major_slice_mut(a, m, n)
        } else {
            faer::MatMut::from_column_major_slice_mut(a, m, n)
        };
        faer::linalg::matmul::matmul(
            view,
            faer::Accum::Add,
            faer::ColRef::from_slice(&self.x).as_mat(),
            faer::RowRef::from_slice(&self.y).as_mat(),
            self.alpha,
            faer_par(),
        );
    }

    /// `cblas_?ger` of `lib` on `a`.
    pub fn cblas(&self, lib: &Blas, a: &mut [T]) {
        let (m, n) = (self.m, self.n);
        let (order, lda) = if self.row {
            (cblas::ROW_MAJOR, n)
        } else {
            (cblas::COL_MAJOR, m)
        };
        assert!(self.x.len() == m && self.y.len() == n && a.len() == m * n);
        // SAFETY: x has m, y has n elements, and a holds m·n with leading dimension lda.
        unsafe {
            T::ger_fn(lib)(
                order,
                ci(m),
                ci(n),
                self.alpha,
                self.x.as_ptr(),
                1,
                self.y.as_ptr(),
                1,
                a.as_mut_ptr(),
                ci(lda),
            )
        }
    }

    /// Checks that `a` holds one update of `start`, at sampled entries.
    pub fn check(&self, what: &str, start: &[T], a: &[T]) -> Result<(), String> {
        check::sampled(
            what,
            self.m,
            self.n,
            |i, j| a[self.at(i, j)].f(),
            |i, j| {
                let base = start[self.at(i, j)].f();
                let upd = self.alpha.f() * self.x[i].f() * self.y[j].f();
                (base + upd, 4.0 * T::eps() * (base.abs() + upd.abs()))
            },
        )
    }
}

/// Runs the group for one element type.
pub fn run<T: El>(cfg: &Cfg, openblas: Option<&Blas>, blis: Option<&Blas>) -> Vec<(usize, Table)> {
    let runs = by_case(cfg, |c, t| {
        for b in [openblas, blis].into_iter().flatten() {
            b.set_threads(t);
        }
        in_pool(t, || table::<T>(c, t, openblas, blis))
    });
    let mut out = Vec::new();
    for (t, table) in runs {
        println!("{}", table.rates_md());
        println!("{}", table.ratios_md("the RMW pass", |_| Some(RMW.into())));
        println!("{}", table.ratios_md("OpenBLAS", |_| Some(OPENBLAS.into())));
        out.push((t, table));
    }
    out
}

fn table<T: El>(cfg: &Cfg, threads: usize, ob: Option<&Blas>, bl: Option<&Blas>) -> Table {
    let cols = cols();
    let mut table = Table::new(
        format!("ger {} — {threads} thread(s)", T::NAME),
        "GB/s (A read + written)",
        cols.clone(),
    );
    for &(m, n) in &cfg.sizes {
        for lay in [Lay::Row, Lay::Col] {
            let label = format!(
                "{m}×{n} {}",
                if lay == Lay::Row {
                    "row-major"
                } else {
                    "col-major"
                }
            );
            if !cfg.wants_case(&label) {
                continue;
            }
            let tag = format!("ger {} {threads}T {label}", T::NAME);
            eprintln!("{tag}");
            table
                .rows
                .push(row::<T>(cfg, &cols, tag, label, m, n, lay, ob, bl));
        }
    }
    table
}

#[allow(clippy::too_many_arguments)]
fn row<T: El>(
    cfg: &Cfg,
    cols: &[String],
    tag: String,
    label: String,
    m: usize,
    n: usize,
    lay: Lay,
    ob: Option<&Blas>,
    bl: Option<&Blas>,
) -> Row {
    let problem = Rank1::<T>::new(m, n, lay == Lay::Row, 1.0e-3, 3);
    let (x, y, alpha) = (&problem.x, &problem.y, problem.alpha);
    let a0: Vec<T> = check::data(m * n, 5);
    let mut buf = a0.clone();
    let bytes = 2 * m * n * std::mem::size_of::<T>();
    let mut row = RowRun::new(cfg, tag, cols, bytes as f64);
    let reset = |s: &mut Vec<T>| s.copy_from_slice(&a0);
    let verify = |s: &Vec<T>| problem.check("A", &a0, s);

    row.run(&mut buf, OP, reset, |s| problem.outerprod(s), verify);
    // Where the CPU has AVX-512, the same call forced onto the AVX2 kernels.
    if crate::avx512_detected() {
        let avx2 = outerprod::testing::KernelPath::Avx2Fma;
        row.run(
            &mut buf,
            OP_AVX2,
            reset,
            |s| outerprod::testing::with_kernel_path(avx2, || problem.outerprod(s)),
            verify,
        );
    } else {
        row.skip(OP_AVX2, "AVX2 is the detected path");
    }
    for (name, lib) in [(OPENBLAS, ob), (BLIS, bl)] {
        let Some(lib) = lib else {
            row.skip(name, "not loaded");
            continue;
        };
        row.run(&mut buf, name, reset, |s| problem.cblas(lib, s), verify);
        row.cool_down();
    }
    row.run(&mut buf, FAER, reset, |s| problem.faer(s), verify);
    let nx = nalgebra::DVectorView::from_slice(x, m);
    let ny = nalgebra::DVectorView::from_slice(y, n);
    row.run(
        &mut buf,
        NA_GER,
        reset,
        |s| match lay {
            Lay::Row => {
                nalgebra::DMatrixViewMut::from_slice_with_strides_mut(&mut s[..], m, n, n, 1).ger(
                    alpha,
                    &nx,
                    &ny,
                    T::of(1.0),
                )
            }
            Lay::Col => nalgebra::DMatrixViewMut::from_slice(&mut s[..], m, n).ger(
                alpha,
                &nx,
                &ny,
                T::of(1.0),
            ),
        },
        verify,
    );
    row.run(
        &mut buf,
        NAIVE,
        reset,
        // Inputs through `black_box`, as for the naive outer loop (see outer.rs).
        |s| match lay {
            Lay::Row => {
                let (x, y) = (black_box(x), black_box(y));
                for (r, &xi) in s.chunks_exact_mut(n).zip(x) {
                    let ax = alpha * xi;
                    for (o, &yj) in r.iter_mut().zip(y) {
                        *o += ax * yj;
                    }
                }
            }
            Lay::Col => {
                let (x, y) = (black_box(x), black_box(y));
                for (c, &yj) in s.chunks_exact_mut(m).zip(y) {
                    let ay = alpha * yj;
                    for (o, &xi) in c.iter_mut().zip(x) {
                        *o += xi * ay;
                    }
                }
            }
        },
        verify,
    );
    row.run_work(RMW, bytes as f64, || physical::rmw(&mut buf));
    row.finish(label)
}
