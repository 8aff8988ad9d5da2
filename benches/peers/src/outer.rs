//! Group `outer` (issue 3): writing `a bᵀ` into a preallocated m×n buffer.
//!
//! GB/s counts the bytes written (m·n·size_of::<T>()); inputs are m + n elements and stay in
//! cache. Every implementation writes the same buffer.

use ndarray::{ArrayView1, ArrayViewMut2, Axis, Zip};
use outerprod::Layout;
use std::hint::black_box;

use crate::check;
use crate::elem::El;
use crate::harness::{by_case, in_pool, Cfg, Row, RowRun, Table};
use crate::physical;

/// Output sizes (m, n).
pub const SIZES: [(usize, usize); 6] = [
    (8, 8),
    (64, 64),
    (256, 256),
    (1024, 1024),
    (4096, 4096),
    (8192, 256),
];

const OP_ROW: &str = "outerprod row";
const OP_COL: &str = "outerprod col (vec_outer)";
const OP_AVX2: &str = "outerprod row, AVX2 path³";
const NAIVE: &str = "naive loop¹";
const NDARRAY: &str = "ndarray Zip broadcast";
const NDARRAY_ROWS: &str = "ndarray Zip rows";
const NA_MUL: &str = "nalgebra a·bᵀ¹";
const NA_GER: &str = "nalgebra ger¹";
const FAER: &str = "faer matmul k=1";
const FAER_COL: &str = "faer matmul k=1, col-major";
const FILL: &str = "256-bit fill";
const NT: &str = "NT fill";

/// Column names.
pub fn cols() -> Vec<String> {
    [
        OP_ROW,
        OP_COL,
        OP_AVX2,
        NAIVE,
        NDARRAY,
        NDARRAY_ROWS,
        NA_MUL,
        NA_GER,
        FAER,
        FAER_COL,
        FILL,
        NT,
    ]
    .map(String::from)
    .to_vec()
}

/// Runs the group for one element type and returns (threads, table) per thread count.
pub fn run<T: El>(cfg: &Cfg) -> Vec<(usize, Table)> {
    let runs = by_case(cfg, |c, t| in_pool(t, || table::<T>(c, t)));
    let mut out = Vec::new();
    for (t, table) in runs {
        print_table(&table);
        out.push((t, table));
    }
    out
}

fn is_dram(cfg: &Cfg, bytes: usize) -> bool {
    bytes > cfg.llc_bytes
}

/// Prints the rates and ratio tables.
pub fn print_table(table: &Table) {
    println!("{}", table.rates_md());
    println!(
        "{}",
        table.ratios_md(
            "the physical write limit (the faster of the two fills in the same row)",
            |r| Some(table.faster_of(r, FILL, NT).to_string())
        )
    );
    println!("{}", table.ratios_md("faer", |_| Some(FAER.to_string())));
}

fn table<T: El>(cfg: &Cfg, threads: usize) -> Table {
    let cols = cols();
    let mut table = Table::new(
        format!("outer {} — {threads} thread(s)", T::NAME),
        "GB/s (bytes written)",
        cols.clone(),
    );
    for &(m, n) in &cfg.sizes {
        let bytes = m * n * std::mem::size_of::<T>();
        let label = format!(
            "{m}×{n} ({}, {})",
            human(bytes),
            if is_dram(cfg, bytes) { "DRAM" } else { "cache" }
        );
        if !cfg.wants_case(&label) {
            continue;
        }
        let tag = format!("outer {} {threads}T {m}×{n}", T::NAME);
        eprintln!("{tag}");
        table
            .rows
            .push(row::<T>(cfg, &cols, tag, label, m, n, bytes));
    }
    table
}

fn human(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} B")
    }
}

fn row<T: El>(
    cfg: &Cfg,
    cols: &[String],
    tag: String,
    label: String,
    m: usize,
    n: usize,
    bytes: usize,
) -> Row {
    let a: Vec<T> = check::data(m, 1);
    let b: Vec<T> = check::data(n, 2);
    let mut buf: Vec<T> = vec![T::of(0.0); m * n];
    let mut row = RowRun::new(cfg, tag, cols, bytes as f64);
    let tol = |x: f64| 4.0 * T::eps() * x.abs();
    let want = |i: usize, j: usize| {
        let e = (a[i] * b[j]).f();
        (e, tol(e))
    };
    let clear = |s: &mut Vec<T>| s.fill(T::of(f64::NAN));
    let verify_row = |s: &Vec<T>| check::sampled("row-major", m, n, |i, j| s[i * n + j].f(), want);
    let verify_col = |s: &Vec<T>| check::sampled("col-major", m, n, |i, j| s[i + j * m].f(), want);

    row.run(
        &mut buf,
        OP_ROW,
        clear,
        |s| outerprod::outer_into(s, &a, &b).expect("outer_into"),
        verify_row,
    );
    row.run(
        &mut buf,
        OP_COL,
        clear,
        |s| outerprod::outer_into_layout(s, &a, &b, Layout::ColMajor).expect("outer_into_layout"),
        verify_col,
    );
    // Where the CPU has AVX-512, the same call forced onto the AVX2 kernels, for the gain of
    // the wider path in the same run.
    if crate::avx512_detected() {
        row.run(
            &mut buf,
            OP_AVX2,
            clear,
            |s| {
                outerprod::testing::with_kernel_path(
                    outerprod::testing::KernelPath::Avx2Fma,
                    || outerprod::outer_into(s, &a, &b).expect("outer_into"),
                )
            },
            verify_row,
        );
    } else {
        row.skip(OP_AVX2, "AVX2 is the detected path");
    }
    // The inputs pass through `black_box` so that the compiler cannot hoist the loop's set-up
    // (slice lengths, the vectorised loop's checks) out of the timing loop, where the same call
    // repeats on the same data: a caller's own loop pays it on every call, as a library call does.
    row.run(
        &mut buf,
        NAIVE,
        clear,
        |s| naive(s, black_box(&a), black_box(&b)),
        verify_row,
    );
    let av = ArrayView1::from(&a[..]);
    let bv = ArrayView1::from(&b[..]);
    row.run(
        &mut buf,
        NDARRAY,
        clear,
        |s| {
            let out = ArrayViewMut2::from_shape((m, n), &mut s[..]).expect("shape");
            let z = Zip::from(out)
                .and_broadcast(av.insert_axis(Axis(1)))
                .and_broadcast(bv.insert_axis(Axis(0)));
            if rayon::current_num_threads() > 1 {
                z.par_for_each(|o, &x, &y| *o = x * y);
            } else {
                z.for_each(|o, &x, &y| *o = x * y);
            }
        },
        verify_row,
    );
    // The row-wise idiom: an inner Zip over contiguous rows, which ndarray runs as slices.
    row.run(
        &mut buf,
        NDARRAY_ROWS,
        clear,
        |s| {
            let mut out = ArrayViewMut2::from_shape((m, n), &mut s[..]).expect("shape");
            let z = Zip::from(out.rows_mut()).and(av);
            let body = |r: ndarray::ArrayViewMut1<'_, T>, &x: &T| {
                Zip::from(r).and(bv).for_each(|o, &y| *o = x * y)
            };
            if rayon::current_num_threads() > 1 {
                z.par_for_each(body);
            } else {
                z.for_each(body);
            }
        },
        verify_row,
    );
    let na = nalgebra::DVectorView::from_slice(&a, m);
    let nb = nalgebra::DVectorView::from_slice(&b, n);
    let nbt = nalgebra::RowDVector::from_row_slice(&b);
    row.run(
        &mut buf,
        NA_MUL,
        clear,
        |s| {
            let mut out = nalgebra::DMatrixViewMut::from_slice(&mut s[..], m, n);
            na.mul_to(&nbt, &mut out);
        },
        verify_col,
    );
    row.run(
        &mut buf,
        NA_GER,
        clear,
        |s| {
            let mut out = nalgebra::DMatrixViewMut::from_slice(&mut s[..], m, n);
            out.ger(T::of(1.0), &na, &nb, T::of(0.0));
        },
        verify_col,
    );
    let par = faer_par();
    // `a bᵀ` by faer into `s`, row-major or column-major.
    let faer_into = |s: &mut Vec<T>, col: bool| {
        let out = if col {
            faer::MatMut::from_column_major_slice_mut(&mut s[..], m, n)
        } else {
            faer::MatMut::from_row_major_slice_mut(&mut s[..], m, n)
        };
        faer::linalg::matmul::matmul(
            out,
            faer::Accum::Replace,
            faer::ColRef::from_slice(&a).as_mat(),
            faer::RowRef::from_slice(&b).as_mat(),
            T::of(1.0),
            par,
        );
    };
    row.run(&mut buf, FAER, clear, |s| faer_into(s, false), verify_row);
    // The same product written column-major, the layout of vec(abᵀ): the peer of the
    // `vec_outer` column.
    row.run(
        &mut buf,
        FAER_COL,
        clear,
        |s| faer_into(s, true),
        verify_col,
    );
    row.run_work(FILL, bytes as f64, || physical::fill256(&mut buf));
    row.run_work(NT, bytes as f64, || physical::fill_nt(&mut buf));
    row.finish(label)
}

/// faer's parallelism for the current pool: sequential for one thread.
pub fn faer_par() -> faer::Par {
    match rayon::current_num_threads() {
        1 => faer::Par::Seq,
        t => faer::Par::rayon(t),
    }
}

fn naive<T: El>(out: &mut [T], a: &[T], b: &[T]) {
    let n = b.len();
    for (row, &x) in out.chunks_exact_mut(n).zip(a) {
        for (o, &y) in row.iter_mut().zip(b) {
            *o = x * y;
        }
    }
}
