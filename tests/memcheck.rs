//! Every kernel at edge sizes, on every dispatch path, under every layout: small enough to run
//! under valgrind memcheck (scripts/memcheck.sh), where any read or write outside a buffer fails
//! the run. Natively it doubles as a quick cross-path consistency test.

use outerprod::gemm::{gemm_with_route, Route};
use outerprod::testing::{
    default_thresholds, with_kernel_path, with_thresholds, KernelPath, Thresholds,
};
use outerprod::{
    ger, kron_mat_into, outer_into, outer_into_layout, Layout, MatMut, MatRef, VecRef,
};

/// Sizes around the register tiles (MR, NR ≤ 16) and the vector widths.
const EDGES: [usize; 12] = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];

fn paths() -> Vec<KernelPath> {
    KernelPath::ALL
        .into_iter()
        .filter(|p| p.is_available())
        .collect()
}

/// Runs `f` under every kernel path, with the default thresholds, with the thresholds
/// forced to zero (so even tiny outputs take the kernels, streaming stores and threads), and
/// so again but with ordinary stores into an "L3" that starts at zero bytes.
fn every_path_and_threshold(f: impl Fn()) {
    let mut eager = default_thresholds();
    eager.streaming_min_bytes = 0;
    eager.parallel_min_bytes = 0;
    eager.cold_parallel_min_bytes = 0;
    eager.small_max_bytes = 0;
    // Ordinary stores with L2 taken as empty: the walks of outputs in L3, and Kronecker
    // products ordered by the rows of B.
    let in_l3 = Thresholds {
        streaming_min_bytes: usize::MAX,
        spread_min_bytes: 0,
        ..eager
    };
    for path in paths() {
        with_kernel_path(path, &f);
        with_kernel_path(path, || with_thresholds(eager, &f));
        with_kernel_path(path, || with_thresholds(in_l3, &f));
    }
}

fn values(n: usize, seed: usize) -> Vec<f64> {
    (0..n)
        .map(|i| ((i * 31 + seed * 17) % 23) as f64 - 11.0)
        .collect()
}

/// A buffer with `pad` guard elements on each side; the views address only the middle.
struct Padded {
    data: Vec<f64>,
    pad: usize,
}

impl Padded {
    fn new(n: usize, seed: usize) -> Self {
        let pad = 5;
        let mut data = vec![f64::NAN; n + 2 * pad];
        data[pad..pad + n].copy_from_slice(&values(n, seed));
        Padded { data, pad }
    }
    /// True when the guards are untouched and the interior holds no NaN: a read of a guard
    /// would have carried a NaN into the result.
    fn clean(&self) -> bool {
        let n = self.data.len() - 2 * self.pad;
        self.guards_intact()
            && self.data[self.pad..self.pad + n]
                .iter()
                .all(|v| !v.is_nan())
    }
    fn guards_intact(&self) -> bool {
        let n = self.data.len() - 2 * self.pad;
        self.data[..self.pad]
            .iter()
            .chain(&self.data[self.pad + n..])
            .all(|g| g.is_nan())
    }
}

/// (offset, row stride, col stride) of an m×n matrix inside a buffer of `len`: row-major,
/// column-major, padded rows, and both reversed.
fn layouts(m: usize, n: usize, pad: usize) -> Vec<(usize, isize, isize, usize)> {
    let (mi, ni) = (m as isize, n as isize);
    let last = (m * n).saturating_sub(1);
    vec![
        (pad, ni, 1, m * n),
        (pad, 1, mi, m * n),
        (pad, ni + 3, 1, m * (n + 3)),
        (pad + last, -ni, -1, m * n),
        (pad + last, -1, -mi, m * n),
    ]
}

#[test]
fn outer_every_edge_every_path() {
    // Outputs up to 1 KiB take a plain loop; the tall rows (m = 70, 131) push short rows
    // (n < one vector) and every other edge through the SIMD kernels as well.
    let rows: Vec<usize> = EDGES.iter().copied().chain([70, 131]).collect();
    {
        every_path_and_threshold(|| {
            for &m in &rows {
                for n in EDGES {
                    let (a, b) = (values(m, 1), values(n, 2));
                    for layout in [Layout::RowMajor, Layout::ColMajor] {
                        let mut out = Padded::new(m * n, 3);
                        let pad = out.pad;
                        outer_into_layout(&mut out.data[pad..pad + m * n], &a, &b, layout).unwrap();
                        assert!(out.clean());
                    }
                    // An exact-size buffer: a write past its end is an invalid write to valgrind.
                    let mut o = vec![0.0; m * n];
                    outer_into(&mut o, &a, &b).unwrap();
                    let af: Vec<f32> = a.iter().map(|&v| v as f32).collect();
                    let bf: Vec<f32> = b.iter().map(|&v| v as f32).collect();
                    let mut of = vec![0.0f32; m * n];
                    outer_into(&mut of, &af, &bf).unwrap();
                }
            }
        });
    }
}

#[test]
fn outer_rows_shorter_than_a_vector_every_path() {
    // Chunks of at least 16 KiB with rows shorter than a vector take the permute kernel,
    // which loads a vector-wide window of `a` and stops where the window would pass the end:
    // exact-size buffers make any read or write past an end an error to valgrind. Rows a
    // little over a vector take the flat kernel with streaming stores (eager thresholds).
    every_path_and_threshold(|| {
        for n in (1..17).chain([23, 40]) {
            let m = 16 * 1024 / (4 * n) + 37;
            let (a, b) = (values(m, 1), values(n, 2));
            let mut o = vec![0.0; m * n];
            outer_into(&mut o, &a, &b).unwrap();
            let af: Vec<f32> = a.iter().map(|&v| v as f32).collect();
            let bf: Vec<f32> = b.iter().map(|&v| v as f32).collect();
            let mut of = vec![0.0f32; m * n];
            outer_into(&mut of, &af, &bf).unwrap();
            let mut of = vec![0.0f32; m * n + 1];
            outer_into(&mut of[1..], &af, &bf).unwrap();
        }
    });
}

#[test]
fn kron_mat_every_edge_every_path() {
    // A ⊗ B as a stack of outer products, cut between threads mid-product under the eager
    // thresholds, into a padded row- or column-major `out`; and with B of one column, and
    // with rows of 2 in products of 9.6 KiB (streamed: the permute kernel), and rows of B
    // of 2, 3 and 4 (in cache: the short-row Kronecker kernel, whose loads of A pass the end
    // of a row of A), and of one, two and four vectors (the whole-vector kernel, whose
    // joined vectors read the next row of A and of B).
    let shapes = [(1, 1), (2, 3), (3, 17), (9, 8), (5, 70)];
    let mut pairs: Vec<_> = shapes
        .iter()
        .flat_map(|&a| shapes.iter().map(move |&b| (a, b)))
        .collect();
    pairs.extend([
        ((9, 8), (4, 1)),
        ((5, 70), (4, 1)),
        ((2, 600), (3, 2)),
        ((5, 9), (4, 2)),
        ((3, 7), (5, 4)),
        ((12, 30), (3, 3)),
        ((3, 5), (4, 8)),
        ((2, 3), (3, 16)),
        ((2, 2), (3, 32)),
    ]);
    every_path_and_threshold(|| {
        for &((m, n), (p, q)) in &pairs {
            let (a, b) = (values(m * n, 1), values(p * q, 2));
            let (av, bv) = (
                MatRef::row_major(&a, m, n).unwrap(),
                MatRef::row_major(&b, p, q).unwrap(),
            );
            let (rows, cols) = (m * p, n * q);
            for col_major in [false, true] {
                let mut out = Padded::new(rows * cols, 3);
                let pad = out.pad;
                let buf = &mut out.data[pad..pad + rows * cols];
                let view = if col_major {
                    MatMut::col_major(buf, rows, cols)
                } else {
                    MatMut::row_major(buf, rows, cols)
                };
                kron_mat_into(view.unwrap(), av, bv).unwrap();
                assert!(out.clean());
            }
        }
    });
}

#[test]
fn ger_every_edge_every_layout_every_path() {
    {
        every_path_and_threshold(|| {
            for m in EDGES {
                for n in EDGES {
                    for (off, rs, cs, len) in layouts(m, n, 5) {
                        let mut a = Padded::new(len, 4);
                        let x = values(2 * m + 1, 5);
                        let y = values(2 * n + 1, 6);
                        let xv = VecRef::new(&x, 2 * m.saturating_sub(1), m, -2).unwrap();
                        let yv = VecRef::new(&y, 0, n, 2).unwrap();
                        let av = MatMut::new(&mut a.data, off, m, n, rs, cs).unwrap();
                        ger(1.5, xv, yv, av).unwrap();
                        assert!(a.clean(), "{m}×{n} ({rs}, {cs})");
                    }
                }
            }
        });
    }
}

#[test]
fn gemm_every_edge_every_layout_every_path() {
    let ks = [0, 1, 2, 7, 8, 9, 17];
    for path in paths() {
        with_kernel_path(path, || {
            for m in [0, 1, 3, 7, 8, 9, 15, 17] {
                for n in [0, 1, 3, 5, 6, 7, 13] {
                    for k in ks {
                        for (ci, (coff, crs, ccs, clen)) in layouts(m, n, 5).into_iter().enumerate()
                        {
                            let (aoff, ars, acs, alen) = layouts(m, k, 5)[ci % 5];
                            let (boff, brs, bcs, blen) = layouts(k, n, 5)[(ci + 2) % 5];
                            let a = Padded::new(alen, 7);
                            let b = Padded::new(blen, 8);
                            for route in [Route::Small, Route::Blocked] {
                                let mut c = Padded::new(clen, 9);
                                let av = MatRef::new(&a.data, aoff, m, k, ars, acs).unwrap();
                                let bv = MatRef::new(&b.data, boff, k, n, brs, bcs).unwrap();
                                let cv = MatMut::new(&mut c.data, coff, m, n, crs, ccs).unwrap();
                                gemm_with_route(route, 0.5, av, bv, -1.0, cv).unwrap();
                                assert!(c.clean(), "{route:?} {m}×{n}×{k}");
                            }
                        }
                    }
                }
            }
        });
    }
}

#[test]
fn gemm_crossing_cache_blocks() {
    // k past a KC boundary (KC is at most a few hundred) and m, n past an MC/NC-sized block
    // edge are enough to run the packing loops more than once.
    for path in paths() {
        with_kernel_path(path, || {
            for &(m, n, k) in &[(37, 29, 300), (65, 130, 64), (200, 9, 33)] {
                let a = values(m * k, 1);
                let b = values(k * n, 2);
                let mut c = Padded::new(m * n, 3);
                let pad = c.pad;
                gemm_with_route(
                    Route::Blocked,
                    1.0,
                    MatRef::col_major(&a, m, k).unwrap(),
                    MatRef::row_major(&b, k, n).unwrap(),
                    0.0,
                    MatMut::row_major(&mut c.data[pad..pad + m * n], m, n).unwrap(),
                )
                .unwrap();
                assert!(c.clean());
            }
        });
    }
}

#[test]
fn gemm_f32_tiles_every_path() {
    // The f32 microkernel is 16×6: straddle 16 and 32 rows, 6 and 12 columns.
    for path in paths() {
        with_kernel_path(path, || {
            for m in [1, 15, 16, 17, 31, 33] {
                for n in [1, 5, 6, 7, 12, 13] {
                    for k in [1, 9, 40] {
                        let a: Vec<f32> = values(m * k, 1).iter().map(|&v| v as f32).collect();
                        let b: Vec<f32> = values(k * n, 2).iter().map(|&v| v as f32).collect();
                        for route in [Route::Small, Route::Blocked] {
                            let pad = 7;
                            let mut c = vec![f32::NAN; m * n + 2 * pad];
                            c[pad..pad + m * n].fill(1.0);
                            gemm_with_route(
                                route,
                                1.0,
                                MatRef::row_major(&a, m, k).unwrap(),
                                MatRef::col_major(&b, k, n).unwrap(),
                                0.5,
                                MatMut::col_major(&mut c[pad..pad + m * n], m, n).unwrap(),
                            )
                            .unwrap();
                            assert!(c[..pad].iter().chain(&c[pad + m * n..]).all(|g| g.is_nan()));
                            assert!(c[pad..pad + m * n].iter().all(|v| !v.is_nan()));
                        }
                    }
                }
            }
        });
    }
}

/// The small gemm path splits its column tiles between pool threads (64³ and up, called from a
/// pool thread): a partial MR panel (70 rows), a partial last NR tile (70 columns) and every
/// layout, in a pool of 2 and of 3 threads.
#[cfg(feature = "rayon")]
#[test]
fn gemm_small_path_split_between_threads() {
    let (m, n, k) = (70, 70, 64);
    for threads in [2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        for (ci, (coff, crs, ccs, clen)) in layouts(m, n, 5).into_iter().enumerate() {
            let (aoff, ars, acs, alen) = layouts(m, k, 5)[ci % 5];
            let (boff, brs, bcs, blen) = layouts(k, n, 5)[(ci + 2) % 5];
            let a = Padded::new(alen, 7);
            let b = Padded::new(blen, 8);
            let mut c = Padded::new(clen, 9);
            let av = MatRef::new(&a.data, aoff, m, k, ars, acs).unwrap();
            let bv = MatRef::new(&b.data, boff, k, n, brs, bcs).unwrap();
            let cv = MatMut::new(&mut c.data, coff, m, n, crs, ccs).unwrap();
            pool.install(|| gemm_with_route(Route::Small, 0.5, av, bv, -1.0, cv).unwrap());
            assert!(c.clean(), "{threads} threads, layout {ci}");
        }
    }
}
