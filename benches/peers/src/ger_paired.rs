//! Group `ger-paired` (issue 3): `outerprod::ger` against OpenBLAS `cblas_?ger`, faer's rank-1
//! update and the in-place read+modify+write pass, in short alternating batches on the same A.
//!
//! The `ger` group times each implementation for its whole budget before the next, so the two
//! sides of a ratio are taken up to a second apart, and this host's swings (the same 4096² f32
//! update at 20 GB/s in one run and 42 in the next) land on one side only. Here the four take
//! turns in short batches ([`paired::rounds`]); at more than one thread OpenBLAS's batches are
//! followed by the cool-down that its busy-waiting workers need.

use crate::cblas::Blas;
use crate::check;
use crate::elem::El;
use crate::ger::Rank1;
use crate::harness::Cfg;
use crate::paired::{median, pool, ratio, rounds, After};
use crate::physical;

/// Runs the group for one element type; prints one table per thread count.
pub fn run<T: El>(cfg: &Cfg, ob: Option<&Blas>) {
    let Some(ob) = ob else {
        println!("\n(OpenBLAS not loaded: group `ger-paired` skipped)");
        return;
    };
    for &t in &cfg.threads {
        table::<T>(cfg, ob, t);
    }
}

/// The table of one element type at `threads` threads (outerprod's pool, OpenBLAS's threads
/// and the RMW pass alike).
fn table<T: El>(cfg: &Cfg, ob: &Blas, threads: usize) {
    ob.set_threads(threads);
    println!(
        "\n#### ger {} — {threads} thread(s) — paired batches (median GB/s of A read + written; ratios: median of per-round ratios)\n",
        T::NAME
    );
    println!("| case | outerprod ger | OpenBLAS ?ger | faer rank-1 | RMW pass | outerprod / OpenBLAS | outerprod / faer | outerprod / RMW | OpenBLAS / RMW |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let pool = pool(threads);
    for &(m, n) in &cfg.sizes {
        for row in [true, false] {
            let label = format!("{m}×{n} {}", if row { "row-major" } else { "col-major" });
            if !cfg.wants_case(&label) {
                continue;
            }
            let problem = Rank1::<T>::new(m, n, row, 1e-6, 27);
            let start: Vec<T> = check::data(m * n, 29);
            let ours = |a: &mut [T]| problem.outerprod(a);
            let theirs = |a: &mut [T]| problem.cblas(ob, a);
            let faer = |a: &mut [T]| problem.faer(a);
            // Each result checked once, from the same start, before anything is timed.
            for (name, f) in [
                ("outerprod ger", &ours as &(dyn Fn(&mut [T]) + Sync)),
                ("OpenBLAS", &theirs),
                ("faer", &faer),
            ] {
                let mut a = start.clone();
                pool.install(|| f(&mut a));
                problem
                    .check(name, &start, &a)
                    .unwrap_or_else(|e| panic!("ger-paired {label}: {e}"));
            }
            // All three work on one buffer, so they find the same bytes in cache.
            let mut a = start.clone();
            let bytes = (2 * m * n * std::mem::size_of::<T>()) as f64;
            let rates = pool.install(|| {
                let a = std::cell::RefCell::new(&mut a[..]);
                rounds(
                    bytes,
                    &mut [
                        &mut || ours(&mut a.borrow_mut()),
                        &mut || theirs(&mut a.borrow_mut()),
                        &mut || faer(&mut a.borrow_mut()),
                        &mut || physical::rmw(&mut a.borrow_mut()),
                    ],
                    &[
                        After::Nothing,
                        if threads > 1 {
                            After::CoolDown
                        } else {
                            After::Nothing
                        },
                        After::Nothing,
                        After::Nothing,
                    ],
                )
            });
            println!(
                "| {label} | {:.1} | {:.1} | {:.1} | {:.1} | **{:.2}** | **{:.2}** | {:.2} | {:.2} |",
                median(rates[0].clone()),
                median(rates[1].clone()),
                median(rates[2].clone()),
                median(rates[3].clone()),
                ratio(&rates[0], &rates[1]),
                ratio(&rates[0], &rates[2]),
                ratio(&rates[0], &rates[3]),
                ratio(&rates[1], &rates[3]),
            );
        }
    }
}
