//! Group `outer-paired` (issue 3): `outerprod::outer_into` (row-major) and `vec_outer`
//! (`outer_into_layout(.., ColMajor)`) against faer's `matmul` with k = 1 and the two fills
//! (256-bit and non-temporal stores), in short alternating batches on the same buffer
//! ([`paired::rounds`]).
//!
//! The limit of a round is the faster of the two fills in that round, as in the `outer`
//! group; the ratios are medians over rounds of the within-round ratios. The batch after the
//! NT fill, which leaves the buffer in memory, starts with untimed calls
//! ([`After::Settle`]).

use std::cell::RefCell;

use outerprod::Layout;

use crate::check;
use crate::elem::El;
use crate::harness::Cfg;
use crate::outer::faer_par;
use crate::paired::{median, pool, ratio, rounds, After};
use crate::physical;

/// Runs the group for one element type; prints one table per thread count.
pub fn run<T: El>(cfg: &Cfg) {
    for &t in &cfg.threads {
        table::<T>(cfg, t);
    }
}

/// The table of one element type at `threads` threads (outerprod's pool, faer's `Par` and the
/// fills alike).
fn table<T: El>(cfg: &Cfg, threads: usize) {
    println!(
        "\n#### outer {} — {threads} thread(s) — paired batches (median GB/s written; ratios: median of per-round ratios)\n",
        T::NAME
    );
    println!("| case | row | col (vec_outer) | faer k=1 | 256-bit fill | NT fill | row / limit | col / limit | row / faer | col / faer |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let pool = pool(threads);
    for &(m, n) in &cfg.sizes {
        let label = format!("{m}×{n}");
        if !cfg.wants_case(&label) {
            continue;
        }
        let a: Vec<T> = check::data(m, 1);
        let b: Vec<T> = check::data(n, 2);
        let row = |s: &mut [T]| outerprod::outer_into(s, &a, &b).expect("outer_into");
        let col = |s: &mut [T]| {
            outerprod::outer_into_layout(s, &a, &b, Layout::ColMajor).expect("outer_into_layout")
        };
        let faer = |s: &mut [T]| {
            faer::linalg::matmul::matmul(
                faer::MatMut::from_row_major_slice_mut(s, m, n),
                faer::Accum::Replace,
                faer::ColRef::from_slice(&a).as_mat(),
                faer::RowRef::from_slice(&b).as_mat(),
                T::of(1.0),
                faer_par(),
            )
        };
        // Each product checked once before anything is timed.
        let want = |i: usize, j: usize| {
            let e = (a[i] * b[j]).f();
            (e, 4.0 * T::eps() * e.abs())
        };
        let mut out = vec![T::of(f64::NAN); m * n];
        for (name, f, row_major) in [
            ("row", &row as &(dyn Fn(&mut [T]) + Sync), true),
            ("vec_outer", &col, false),
            ("faer", &faer, true),
        ] {
            out.fill(T::of(f64::NAN));
            pool.install(|| f(&mut out));
            let at = |i: usize, j: usize| if row_major { i * n + j } else { i + j * m };
            check::sampled(name, m, n, |i, j| out[at(i, j)].f(), want)
                .unwrap_or_else(|e| panic!("outer-paired {label}: {e}"));
        }
        let bytes = (m * n * std::mem::size_of::<T>()) as f64;
        let rates = pool.install(|| {
            let s = RefCell::new(&mut out[..]);
            rounds(
                bytes,
                &mut [
                    &mut || row(&mut s.borrow_mut()),
                    &mut || col(&mut s.borrow_mut()),
                    &mut || faer(&mut s.borrow_mut()),
                    &mut || physical::fill256(&mut s.borrow_mut()),
                    &mut || physical::fill_nt(&mut s.borrow_mut()),
                ],
                &[
                    After::Nothing,
                    After::Nothing,
                    After::Nothing,
                    After::Nothing,
                    After::Settle,
                ],
            )
        });
        let limit: Vec<f64> = rates[3]
            .iter()
            .zip(&rates[4])
            .map(|(f, nt)| f.max(*nt))
            .collect();
        println!(
            "| {label} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | **{:.2}** | **{:.2}** | {:.2} | {:.2} |",
            median(rates[0].clone()),
            median(rates[1].clone()),
            median(rates[2].clone()),
            median(rates[3].clone()),
            median(rates[4].clone()),
            ratio(&rates[0], &limit),
            ratio(&rates[1], &limit),
            ratio(&rates[0], &rates[2]),
            ratio(&rates[1], &rates[2]),
        );
    }
}
