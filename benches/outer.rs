//! outer (row- and column-major output, i.e. abᵀ and vec(abᵀ)) and ger (row- and column-major
//! A) next to the physical limits measured in the same run: a fill of the same size with the
//! widest ordinary stores (256-bit on AVX2), a non-temporal fill, and an in-place
//! read+modify+write pass (ger's limit), plus the naive double loop. Each at 1 and 2 threads
//! (a local rayon pool; the baselines split the buffer in as many parts). `kron_mat` (A ⊗ B of
//! matrices) runs next to an outer product that writes the same bytes; `outer_tall` times
//! tall products with rows shorter than a vector or a few lines long.
//!
//! Throughput is in bytes: written bytes for outer and the fills, read + written bytes of A for
//! ger and the in-place pass, so each op's GB/s divides directly by its baseline's.
//!
//! ```text
//! cargo bench --bench outer -- --warm-up-time 1 --measurement-time 3 [FILTER]
//! ```
//! FILTER examples: `outer/f32/1024x1024`, `ger/f64`, `kron_mat`, `outer_tall`, `/2t/`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use outerprod::testing::{add_in_place, fill, Stores};
use outerprod::{
    ger, kron_mat_into, outer_into, outer_into_layout, Layout, MatMut, MatRef, Scalar, VecRef,
};

const SHAPES: [(usize, usize); 6] = [
    (8, 8),
    (64, 64),
    (256, 256),
    (1024, 1024),
    (4096, 4096),
    (8192, 256),
];

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

/// Runs `f` on `threads` equal parts of `buf` (64-byte multiples) in the current pool, or on
/// this thread below the kernels' own parallel threshold.
fn split<T: Send>(buf: &mut [T], threads: usize, f: impl Fn(&mut [T]) + Sync) {
    // Like the kernels, small buffers stay on one thread (a spawn costs more than the work).
    if threads == 1 || std::mem::size_of_val(buf) < outerprod::testing::PARALLEL_MIN_BYTES {
        return f(buf);
    }
    let line = 64 / std::mem::size_of::<T>();
    let part = (buf.len() / threads).div_ceil(line) * line;
    rayon::scope(|s| {
        for chunk in buf.chunks_mut(part.max(1)) {
            let f = &f;
            s.spawn(move |_| f(chunk));
        }
    });
}

trait Elem: Scalar + std::fmt::Debug {
    const NAME: &'static str;
    fn from_usize(k: usize) -> Self;
}
impl Elem for f32 {
    const NAME: &'static str = "f32";
    fn from_usize(k: usize) -> Self {
        (k % 1000) as f32 * 0.001 + 0.5
    }
}
impl Elem for f64 {
    const NAME: &'static str = "f64";
    fn from_usize(k: usize) -> Self {
        (k % 1000) as f64 * 0.001 + 0.5
    }
}

/// Tall products with short rows: rows under one vector (the permute kernel) and, DRAM-sized,
/// rows of a few lines (streamed by the flat kernel).
const TALL: [(usize, usize); 4] = [(65536, 4), (65536, 12), (4194304, 4), (1048576, 16)];

fn bench_outer<T: Elem>(c: &mut Criterion) {
    bench_outer_shapes::<T>(c, "outer", &SHAPES);
}

fn bench_outer_shapes<T: Elem>(c: &mut Criterion, group: &str, shapes: &[(usize, usize)]) {
    let mut g = c.benchmark_group(format!("{group}/{}", T::NAME));
    for &(m, n) in shapes {
        let a: Vec<T> = (0..m).map(T::from_usize).collect();
        let b: Vec<T> = (0..n).map(|k| T::from_usize(k + 7)).collect();
        let mut out = vec![T::zero(); m * n];
        g.throughput(Throughput::Bytes((m * n * std::mem::size_of::<T>()) as u64));
        let shape = format!("{m}x{n}");
        for threads in [1, 2] {
            let p = pool(threads);
            let id = |what: &str| BenchmarkId::new(format!("{shape}/{threads}t"), what);
            g.bench_function(id("outer_row_major"), |bn| {
                p.install(|| bn.iter(|| outer_into(&mut out, black_box(&a), black_box(&b))))
            });
            g.bench_function(id("outer_col_major"), |bn| {
                p.install(|| {
                    bn.iter(|| {
                        outer_into_layout(&mut out, black_box(&a), black_box(&b), Layout::ColMajor)
                    })
                })
            });
            g.bench_function(id("fill_256"), |bn| {
                p.install(|| {
                    bn.iter(|| split(&mut out, threads, |o| fill(o, T::one(), Stores::Normal)))
                })
            });
            g.bench_function(id("fill_nt"), |bn| {
                bn.iter(|| {
                    split(&mut out, threads, |o| {
                        fill(o, T::one(), Stores::NonTemporal)
                    })
                })
            });
            if threads == 1 {
                g.bench_function(id("naive_loop"), |bn| {
                    bn.iter(|| {
                        let (a, b) = (black_box(&a), black_box(&b));
                        for i in 0..m {
                            for j in 0..n {
                                out[i * n + j] = a[i] * b[j];
                            }
                        }
                    })
                });
            }
        }
        black_box(&out);
    }
    g.finish();
}

fn bench_ger<T: Elem>(c: &mut Criterion) {
    let mut g = c.benchmark_group(format!("ger/{}", T::NAME));
    for (m, n) in SHAPES {
        let x: Vec<T> = (0..m).map(T::from_usize).collect();
        let y: Vec<T> = (0..n).map(|k| T::from_usize(k + 3)).collect();
        let mut a = vec![T::zero(); m * n];
        // Read and written once per call.
        g.throughput(Throughput::Bytes(
            (2 * m * n * std::mem::size_of::<T>()) as u64,
        ));
        let shape = format!("{m}x{n}");
        // A stays bounded: α alternates sign so repeated updates cancel.
        let (plus, minus) = (T::one(), T::zero() - T::one());
        for threads in [1, 2] {
            let p = pool(threads);
            let id = |what: &str| BenchmarkId::new(format!("{shape}/{threads}t"), what);
            for layout in [Layout::RowMajor, Layout::ColMajor] {
                let name = match layout {
                    Layout::RowMajor => "ger_row_major",
                    Layout::ColMajor => "ger_col_major",
                };
                let mut flip = false;
                g.bench_function(id(name), |bn| {
                    p.install(|| {
                        bn.iter(|| {
                            flip = !flip;
                            let alpha = if flip { plus } else { minus };
                            let view = match layout {
                                Layout::RowMajor => MatMut::row_major(&mut a, m, n),
                                Layout::ColMajor => MatMut::col_major(&mut a, m, n),
                            }
                            .expect("shape");
                            ger(alpha, VecRef::from(&x), VecRef::from(&y), view)
                        })
                    })
                });
            }
            let mut flip = false;
            g.bench_function(id("rmw_in_place"), |bn| {
                p.install(|| {
                    bn.iter(|| {
                        flip = !flip;
                        let v = if flip { plus } else { minus };
                        split(&mut a, threads, |o| add_in_place(o, v))
                    })
                })
            });
            if threads == 1 {
                g.bench_function(id("naive_loop"), |bn| {
                    bn.iter(|| {
                        flip = !flip;
                        let alpha = if flip { plus } else { minus };
                        let (x, y) = (black_box(&x), black_box(&y));
                        for i in 0..m {
                            for j in 0..n {
                                let t = alpha * y[j];
                                a[i * n + j] = a[i * n + j] + x[i] * t;
                            }
                        }
                    })
                });
            }
        }
        black_box(&a);
    }
    g.finish();
}

/// `kron_mat_into` (A ⊗ B, row-major out) next to `outer_into` writing the same bytes: the
/// Kronecker product is a stack of m·p small outer products, one per row pair (products of
/// 1 KiB, of 1 KiB rows, of short rows, of 1 KiB in DRAM), one outer product when A has one
/// column, and written by rows of B when B would leave L2 between uses (4 × 2 ⊗ 512 × 512);
/// B of one column (a product per row of A), of two columns in cache (the short-row
/// Kronecker kernel) and streamed (the permute kernel on products of 16 KiB).
fn bench_kron_mat(c: &mut Criterion) {
    let mut g = c.benchmark_group("kron_mat/f32");
    for ((m, n), (p, q)) in [
        ((16, 16), (16, 16)),
        ((32, 32), (32, 32)),
        ((4, 4), (256, 256)),
        ((256, 256), (4, 4)),
        ((64, 64), (64, 64)),
        ((64, 1), (64, 64)),
        ((4, 2), (512, 512)),
        ((64, 64), (16, 1)),
        ((64, 64), (2, 2)),
        ((2048, 2048), (2, 2)),
    ] {
        let a: Vec<f32> = (0..m * n).map(f32::from_usize).collect();
        let b: Vec<f32> = (0..p * q).map(|k| f32::from_usize(k + 7)).collect();
        let (rows, cols) = (m * p, n * q);
        let x: Vec<f32> = (0..rows).map(f32::from_usize).collect();
        let y: Vec<f32> = (0..cols).map(f32::from_usize).collect();
        let mut out = vec![0f32; rows * cols];
        g.throughput(Throughput::Bytes((rows * cols * 4) as u64));
        let shape = format!("{m}x{n}_kron_{p}x{q}");
        for threads in [1, 2] {
            let pl = pool(threads);
            let id = |what: &str| BenchmarkId::new(format!("{shape}/{threads}t"), what);
            g.bench_function(id("kron_mat_into"), |bn| {
                let (av, bv) = (
                    MatRef::row_major(&a, m, n).unwrap(),
                    MatRef::row_major(&b, p, q).unwrap(),
                );
                pl.install(|| {
                    bn.iter(|| {
                        let o = MatMut::row_major(&mut out, rows, cols).unwrap();
                        kron_mat_into(o, black_box(av), black_box(bv))
                    })
                })
            });
            g.bench_function(id("outer_same_bytes"), |bn| {
                pl.install(|| bn.iter(|| outer_into(&mut out, black_box(&x), black_box(&y))))
            });
        }
        black_box(&out);
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_kron_mat(c);
    bench_outer::<f32>(c);
    bench_outer::<f64>(c);
    bench_outer_shapes::<f32>(c, "outer_tall", &TALL);
    bench_ger::<f32>(c);
    bench_ger::<f64>(c);
}

criterion_group! {
    name = group;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(group);
