//! Group `gemm` (issue 4): `C ← AB` (α = 1, β = 0) into a preallocated C, GFLOP/s = 2·m·n·k / t.
//!
//! Every peer gets the same buffers and the same strides: row-major A, B, C, except the
//! dense-gradient shape dW = dYᵀX, where A is the transposed view of a row-major dY (batch × out).
//! The peak column is a register-only AVX2+FMA loop on every thread of the pool.

use std::fmt::Write as _;

use rayon::prelude::*;

use crate::cblas::{self, Blas};
use crate::check;
use crate::elem::{ci, El};
use crate::harness::{by_case, in_pool, measure, Cell, Cfg, RowRun, Table};
use crate::outer::faer_par;
use crate::physical;

const OP: &str = "outerprod";
const OP_AVX2: &str = "outerprod, AVX2 path³";
const OPENBLAS: &str = "OpenBLAS";
const BLIS: &str = "BLIS";
const MM: &str = "matrixmultiply²";
const FAER: &str = "faer";
const NALGEBRA: &str = "nalgebra¹";
const PEAK: &str = "FMA peak";
const PEAK512: &str = "FMA peak 512-bit";

/// Column names.
pub fn cols() -> Vec<String> {
    [
        OP, OP_AVX2, OPENBLAS, BLIS, MM, FAER, NALGEBRA, PEAK, PEAK512,
    ]
    .map(String::from)
    .to_vec()
}

/// (m, n, k, A is dYᵀ).
const SHAPES: [(usize, usize, usize, bool); 6] = [
    (64, 64, 64, false),
    (256, 256, 64, false),
    (512, 512, 256, false),
    (1024, 1024, 1024, false),
    (2048, 2048, 256, false),
    (1024, 4096, 128, true),
];

/// One product's operands: strides in elements (all non-negative here).
#[derive(Clone, Copy)]
pub struct Op<'a, T> {
    m: usize,
    n: usize,
    k: usize,
    a: &'a [T],
    rsa: usize,
    csa: usize,
    b: &'a [T],
    rsb: usize,
    csb: usize,
    rsc: usize,
    csc: usize,
}

impl<T: El> Op<'_, T> {
    /// Every operand here is a dense m×k, k×n, m×n block (row- or column-major, or a transposed
    /// view of one), so the buffers hold exactly that many elements.
    fn dense_in(&self, c_len: usize) -> bool {
        self.a.len() == self.m * self.k
            && self.b.len() == self.k * self.n
            && c_len == self.m * self.n
    }

    fn outerprod(&self, c: &mut [T]) {
        let a = outerprod::MatRef::new(
            self.a,
            0,
            self.m,
            self.k,
            self.rsa as isize,
            self.csa as isize,
        )
        .expect("A view");
        let b = outerprod::MatRef::new(
            self.b,
            0,
            self.k,
            self.n,
            self.rsb as isize,
            self.csb as isize,
        )
        .expect("B view");
        let c = outerprod::MatMut::new(c, 0, self.m, self.n, self.rsc as isize, self.csc as isize)
            .expect("C view");
        outerprod::gemm(T::of(1.0), a, b, T::of(0.0), c).expect("gemm");
    }

    fn cblas(&self, lib: &Blas, c: &mut [T]) {
        let row_order = self.csc == 1;
        let (order, ldc) = if row_order {
            (cblas::ROW_MAJOR, self.rsc)
        } else {
            (cblas::COL_MAJOR, self.csc)
        };
        // In the chosen order, a matrix is "as is" when its fast stride is 1 along that order.
        let tr = |rs: usize, cs: usize| -> (i32, usize) {
            let natural = if row_order { cs == 1 } else { rs == 1 };
            match (natural, row_order) {
                (true, true) => (cblas::NO_TRANS, rs),
                (true, false) => (cblas::NO_TRANS, cs),
                (false, true) => (cblas::TRANS, cs),
                (false, false) => (cblas::TRANS, rs),
            }
        };
        let (ta, lda) = tr(self.rsa, self.csa);
        let (tb, ldb) = tr(self.rsb, self.csb);
        let gemm = T::gemm_fn(lib);
        debug_assert!(self.dense_in(c.len()));
        // SAFETY: A, B, C are m×k, k×n, m×n with the leading dimensions derived from their
        // strides; all addressed elements lie inside the slices (checked by outerprod's views).
        unsafe {
            gemm(
                order,
                ta,
                tb,
                ci(self.m),
                ci(self.n),
                ci(self.k),
                T::of(1.0),
                self.a.as_ptr(),
                ci(lda),
                self.b.as_ptr(),
                ci(ldb),
                T::of(0.0),
                c.as_mut_ptr(),
                ci(ldc),
            )
        }
    }

    /// matrixmultiply on rows [r0, r1) of C.
    ///
    /// # Safety
    /// `c` points to the m×n C described by `rsc`/`csc`; callers give disjoint row ranges.
    unsafe fn mm_rows(&self, c: *mut T, r0: usize, r1: usize) {
        debug_assert!(r0 <= r1 && r1 <= self.m);
        // SAFETY: rows r0..r1 of A and C are inside their buffers (r1 ≤ m).
        unsafe {
            T::mm_gemm(
                r1 - r0,
                self.k,
                self.n,
                T::of(1.0),
                self.a.as_ptr().add(r0 * self.rsa),
                self.rsa as isize,
                self.csa as isize,
                self.b.as_ptr(),
                self.rsb as isize,
                self.csb as isize,
                T::of(0.0),
                c.add(r0 * self.rsc),
                self.rsc as isize,
                self.csc as isize,
            )
        }
    }

    fn matrixmultiply(&self, c: &mut [T]) {
        let t = rayon::current_num_threads();
        debug_assert!(self.dense_in(c.len()));
        if t == 1 {
            // SAFETY: the whole C, one caller.
            unsafe { self.mm_rows(c.as_mut_ptr(), 0, self.m) };
            return;
        }
        // matrixmultiply's own threading is fixed once per process (MATMUL_NUM_THREADS), so
        // with t threads we hand each thread a contiguous block of rows of C.
        let base = c.as_mut_ptr() as usize;
        let step = self.m.div_ceil(t);
        (0..t).into_par_iter().for_each(|p| {
            let r0 = (p * step).min(self.m);
            let r1 = ((p + 1) * step).min(self.m);
            if r0 < r1 {
                // SAFETY: row ranges are disjoint across p, inside C.
                unsafe { self.mm_rows(base as *mut T, r0, r1) };
            }
        });
    }

    fn faer(&self, c: &mut [T], par: faer::Par) {
        assert!(self.a.len() >= self.m * self.k && self.b.len() >= self.k * self.n);
        assert!(c.len() >= self.m * self.n);
        // SAFETY: the strides address only elements inside the slices (as for outerprod's
        // validated views built from the same numbers), and the borrows outlive the call.
        let (a, b, cm) = unsafe {
            (
                faer::MatRef::from_raw_parts(
                    self.a.as_ptr(),
                    self.m,
                    self.k,
                    self.rsa as isize,
                    self.csa as isize,
                ),
                faer::MatRef::from_raw_parts(
                    self.b.as_ptr(),
                    self.k,
                    self.n,
                    self.rsb as isize,
                    self.csb as isize,
                ),
                faer::MatMut::from_raw_parts_mut(
                    c.as_mut_ptr(),
                    self.m,
                    self.n,
                    self.rsc as isize,
                    self.csc as isize,
                ),
            )
        };
        faer::linalg::matmul::matmul(cm, faer::Accum::Replace, a, b, T::of(1.0), par);
    }

    fn nalgebra(&self, c: &mut [T]) {
        let a = nalgebra::DMatrixView::from_slice_with_strides(
            self.a, self.m, self.k, self.rsa, self.csa,
        );
        let b = nalgebra::DMatrixView::from_slice_with_strides(
            self.b, self.k, self.n, self.rsb, self.csb,
        );
        let mut cm = nalgebra::DMatrixViewMut::from_slice_with_strides_mut(
            c, self.m, self.n, self.rsc, self.csc,
        );
        cm.gemm(T::of(1.0), &a, &b, T::of(0.0));
    }

    fn verify(&self, c: &[T]) -> Result<(), String> {
        check::sampled(
            "C",
            self.m,
            self.n,
            |i, j| c[i * self.rsc + j * self.csc].f(),
            |i, j| {
                let (mut s, mut abs) = (0.0, 0.0);
                for p in 0..self.k {
                    let x = self.a[i * self.rsa + p * self.csa].f()
                        * self.b[p * self.rsb + j * self.csb].f();
                    s += x;
                    abs += x.abs();
                }
                (s, 2.0 * (self.k as f64 + 2.0) * T::eps() * abs + 1e-30)
            },
        )
    }
}

/// Runs the group for one element type: the shape tables, then the layout table.
pub fn run<T: El>(cfg: &Cfg, ob: Option<&Blas>, bl: Option<&Blas>) -> Vec<(usize, Table)> {
    let set = |t: usize| {
        for b in [ob, bl].into_iter().flatten() {
            b.set_threads(t);
        }
    };
    let tables = by_case(cfg, |c, t| {
        set(t);
        in_pool(t, || table::<T>(c, t, ob, bl))
    });
    let layouts = by_case(cfg, |c, t| {
        set(t);
        in_pool(t, || layout_table::<T>(c, t, ob))
    });
    let mut out = Vec::new();
    for ((t, table), (_, layouts)) in tables.into_iter().zip(layouts) {
        let layouts = (!layouts.rows.is_empty()).then_some(layouts);
        println!("{}", table.rates_md());
        println!("{}", table.ratios_md("OpenBLAS", |_| Some(OPENBLAS.into())));
        println!("{}", table.ratios_md("the FMA peak", |_| Some(PEAK.into())));
        if let Some(l) = layouts {
            println!("{}", l.rates_md());
            println!("{}", ratio_to_column_best(&l));
        }
        out.push((t, table));
    }
    out
}

fn peak_cell<T: El>(cfg: &Cfg, wide: bool) -> Cell {
    let iters = 100_000;
    let lanes = <T as El>::LANES;
    if wide && physical::fma_peak512(lanes, 1).is_none() {
        return Cell::Skip("no AVX-512F");
    }
    let mut flops = 0.0;
    let timing = measure(cfg, || {
        flops = if wide {
            physical::fma_peak512(lanes, iters).unwrap_or(0.0)
        } else {
            physical::fma_peak(lanes, iters)
        }
    });
    Cell::Rate {
        rate: flops / timing.median / 1e9,
        timing,
    }
}

fn table<T: El>(cfg: &Cfg, threads: usize, ob: Option<&Blas>, bl: Option<&Blas>) -> Table {
    let cols = cols();
    let mut table = Table::new(
        format!("gemm {} — {threads} thread(s)", T::NAME),
        "GFLOP/s",
        cols.clone(),
    );
    for &(m, n, k, dyt) in &SHAPES {
        let label = if dyt {
            format!("dW=dYᵀX {m}×{n}×{k} (A=dYᵀ)")
        } else {
            format!("{m}×{n}×{k}")
        };
        if !cfg.wants_case(&label) {
            continue;
        }
        let tag = format!("gemm {} {threads}T {label}", T::NAME);
        eprintln!("{tag}");
        let a: Vec<T> = check::data(m * k, 6);
        let b: Vec<T> = check::data(k * n, 7);
        let mut c: Vec<T> = vec![T::of(0.0); m * n];
        let op = Op {
            m,
            n,
            k,
            a: &a,
            rsa: if dyt { 1 } else { k },
            csa: if dyt { m } else { 1 },
            b: &b,
            rsb: n,
            csb: 1,
            rsc: n,
            csc: 1,
        };
        let mut row = RowRun::new(cfg, tag, &cols, 2.0 * (m * n * k) as f64);
        run_peers(&mut row, &op, &mut c, ob, bl, true);
        let mut r = row.finish(label);
        // The peaks are measured in every row, right after that row's peers, so that a burst of
        // load on the shared machine hits the limit and the peers alike.
        for (name, wide) in [(PEAK, false), (PEAK512, true)] {
            let cell = if cfg.wants(name) {
                peak_cell::<T>(cfg, wide)
            } else {
                Cell::Skip("filtered")
            };
            eprintln!("  [gemm {} {threads}T] {name}: {:?}", T::NAME, cell.rate());
            let pi = cols.iter().position(|c| c == name).expect("peak column");
            r.cells[pi] = cell;
        }
        table.rows.push(r);
    }
    table
}

fn run_peers<T: El>(
    row: &mut RowRun<'_>,
    op: &Op<'_, T>,
    c: &mut Vec<T>,
    ob: Option<&Blas>,
    bl: Option<&Blas>,
    all: bool,
) {
    let nan = |s: &mut Vec<T>| s.fill(T::of(f64::NAN));
    row.run(c, OP, nan, |s| op.outerprod(s), |s| op.verify(s));
    // The layout tables (`all` false) have no column for it.
    if all && crate::avx512_detected() {
        let avx2 = outerprod::testing::KernelPath::Avx2Fma;
        row.run(
            c,
            OP_AVX2,
            nan,
            |s| outerprod::testing::with_kernel_path(avx2, || op.outerprod(s)),
            |s| op.verify(s),
        );
    } else if all {
        row.skip(OP_AVX2, "AVX2 is the detected path");
    }
    for (name, lib) in [(OPENBLAS, ob), (BLIS, bl)] {
        if !all && name == BLIS {
            continue;
        }
        match lib {
            Some(lib) => {
                row.run(c, name, nan, |s| op.cblas(lib, s), |s| op.verify(s));
                row.cool_down();
            }
            None => row.skip(name, "not loaded"),
        }
    }
    let par = faer_par();
    row.run(c, FAER, nan, |s| op.faer(s, par), |s| op.verify(s));
    if all {
        row.run(c, MM, nan, |s| op.matrixmultiply(s), |s| op.verify(s));
        row.run(c, NALGEBRA, nan, |s| op.nalgebra(s), |s| op.verify(s));
    }
}

/// The 8 A/B/C layouts (row- or column-major each) at 1024³.
fn layout_table<T: El>(cfg: &Cfg, threads: usize, ob: Option<&Blas>) -> Table {
    let s = 1024;
    let cols: Vec<String> = [OP, OPENBLAS, FAER].map(String::from).to_vec();
    let mut table = Table::new(
        format!("gemm layouts {s}³ {} — {threads} thread(s)", T::NAME),
        "GFLOP/s",
        cols.clone(),
    );
    let a: Vec<T> = check::data(s * s, 8);
    let b: Vec<T> = check::data(s * s, 9);
    let mut c: Vec<T> = vec![T::of(0.0); s * s];
    let rc = |row_major: bool| if row_major { (s, 1) } else { (1, s) };
    for la in [true, false] {
        for lb in [true, false] {
            for lc in [true, false] {
                let name = |r: bool| if r { "row" } else { "col" };
                let label = format!("layout A {} B {} C {}", name(la), name(lb), name(lc));
                if !cfg.wants_case(&label) {
                    continue;
                }
                let tag = format!("gemm {} {threads}T {label}", T::NAME);
                eprintln!("{tag}");
                let ((rsa, csa), (rsb, csb), (rsc, csc)) = (rc(la), rc(lb), rc(lc));
                let op = Op {
                    m: s,
                    n: s,
                    k: s,
                    a: &a,
                    rsa,
                    csa,
                    b: &b,
                    rsb,
                    csb,
                    rsc,
                    csc,
                };
                let mut row = RowRun::new(cfg, tag, &cols, 2.0 * (s * s * s) as f64);
                run_peers(&mut row, &op, &mut c, ob, None, false);
                table.rows.push(row.finish(label));
            }
        }
    }
    table
}

fn ratio_to_column_best(t: &Table) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n#### {} — ratio to each library's own best layout\n",
        t.title
    );
    let _ = write!(s, "| case |");
    for c in &t.cols {
        let _ = write!(s, " {c} |");
    }
    let _ = writeln!(s);
    let _ = write!(s, "|---|");
    for _ in &t.cols {
        let _ = write!(s, "---:|");
    }
    let _ = writeln!(s);
    let best: Vec<f64> = (0..t.cols.len())
        .map(|i| {
            t.rows
                .iter()
                .filter_map(|r| r.cells[i].rate())
                .fold(0.0, f64::max)
        })
        .collect();
    for r in &t.rows {
        let _ = write!(s, "| {} |", r.label);
        for (i, c) in r.cells.iter().enumerate() {
            match c.rate() {
                Some(x) if best[i] > 0.0 => {
                    let _ = write!(s, " {:.2} |", x / best[i]);
                }
                _ => {
                    let _ = write!(s, " – |");
                }
            }
        }
        let _ = writeln!(s);
    }
    s
}
