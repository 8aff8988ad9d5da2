//! gemm benches: GFLOP/s (criterion `Throughput::Elements(2·m·n·k)`) at the issue's shapes, f32
//! and f64, 1 and 2 threads, the 8 A/B/C layouts at 1024³, and an in-register FMA peak loop as
//! the hardware limit.
//!
//! ```text
//! cargo bench --bench gemm -- --warm-up-time 1 --measurement-time 3 [FILTER]
//! GEMM_REPORT=1 cargo bench --bench gemm     # quick table: medians and ratios to peak
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use outerprod::{gemm, MatMut, MatRef, Scalar};

/// (m, n, k, name). The last is the dense-layer gradient dW = dYᵀX with 1024 outputs, 4096
/// inputs and a batch of 128: A = dYᵀ (a transposed row-major 128×1024), B = X (row-major
/// 128×4096), C = dW (row-major 1024×4096).
const SHAPES: [(usize, usize, usize, &str); 6] = [
    (64, 64, 64, "64x64x64"),
    (256, 256, 64, "256x256x64"),
    (512, 512, 256, "512x512x256"),
    (1024, 1024, 1024, "1024^3"),
    (2048, 2048, 256, "2048x2048x256"),
    (1024, 4096, 128, "dW=dY^T.X"),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Lay {
    Row,
    Col,
}

/// Owned operands of one product, laid out as asked.
struct Problem<T> {
    m: usize,
    n: usize,
    k: usize,
    a: Vec<T>,
    b: Vec<T>,
    c: Vec<T>,
    lay: (Lay, Lay, Lay),
}

fn view<T>(d: &[T], r: usize, c: usize, l: Lay) -> MatRef<'_, T> {
    match l {
        Lay::Row => MatRef::row_major(d, r, c).unwrap(),
        Lay::Col => MatRef::col_major(d, r, c).unwrap(),
    }
}

impl<T: Scalar + From<f32>> Problem<T> {
    fn new(m: usize, n: usize, k: usize, lay: (Lay, Lay, Lay)) -> Self {
        let fill = |len: usize, s: usize| -> Vec<T> {
            (0..len)
                .map(|i| T::from((((i + s) * 2654435761) % 1000) as f32 / 1000.0 - 0.5))
                .collect()
        };
        Problem {
            m,
            n,
            k,
            a: fill(m * k, 1),
            b: fill(k * n, 2),
            c: fill(m * n, 3),
            lay,
        }
    }

    fn run(&mut self) {
        let a = view(&self.a, self.m, self.k, self.lay.0);
        let b = view(&self.b, self.k, self.n, self.lay.1);
        let c = match self.lay.2 {
            Lay::Row => MatMut::row_major(&mut self.c, self.m, self.n).unwrap(),
            Lay::Col => MatMut::col_major(&mut self.c, self.m, self.n).unwrap(),
        };
        gemm(T::one(), a, b, T::one(), c).unwrap();
        black_box(&self.c);
    }

    fn flops(&self) -> u64 {
        2 * (self.m * self.n * self.k) as u64
    }
}

/// The layout each shape is benchmarked in: row-major everywhere, except dW = dYᵀX whose A is
/// the transpose of a row-major dY (so column-major).
fn default_layout(name: &str) -> (Lay, Lay, Lay) {
    if name.starts_with("dW") {
        (Lay::Col, Lay::Row, Lay::Row)
    } else {
        (Lay::Row, Lay::Row, Lay::Row)
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The in-register FMA peak: 12 independent accumulator chains, no memory traffic.
// ---------------------------------------------------------------------------------------------

/// Runs `iters` iterations of 12 independent 256-bit FMAs; returns the flop count.
fn peak_loop<T: 'static>(iters: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            let lanes = 32 / std::mem::size_of::<T>() as u64;
            // SAFETY: the features the function is compiled for were just detected.
            let sink = unsafe {
                if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() {
                    x86_peak::f32_fma(iters)
                } else {
                    x86_peak::f64_fma(iters)
                }
            };
            black_box(sink);
            return iters * 12 * lanes * 2;
        }
    }
    let _ = iters;
    0
}

#[cfg(target_arch = "x86_64")]
mod x86_peak {
    use std::arch::x86_64::*;

    macro_rules! peak {
        ($name:ident, $set1:ident, $fma:ident, $add:ident, $cvt:expr) => {
            /// # Safety
            /// Needs AVX2 and FMA.
            #[target_feature(enable = "avx2,fma")]
            pub unsafe fn $name(iters: u64) -> f64 {
                let x = $set1(0.999_999);
                let y = $set1(1e-7);
                let mut acc = [$set1(1.0); 12];
                for _ in 0..iters {
                    for a in acc.iter_mut() {
                        *a = $fma(*a, x, y);
                    }
                }
                let mut s = acc[0];
                for a in &acc[1..] {
                    s = $add(s, *a);
                }
                $cvt(s)
            }
        };
    }
    peak!(
        f64_fma,
        _mm256_set1_pd,
        _mm256_fmadd_pd,
        _mm256_add_pd,
        |s| { _mm256_cvtsd_f64(s) }
    );
    peak!(
        f32_fma,
        _mm256_set1_ps,
        _mm256_fmadd_ps,
        _mm256_add_ps,
        |s| { _mm256_cvtss_f32(s) as f64 }
    );
}

// ---------------------------------------------------------------------------------------------
// criterion groups
// ---------------------------------------------------------------------------------------------

fn bench_type<T: Scalar + From<f32>>(c: &mut Criterion, ty: &str) {
    {
        let mut g = c.benchmark_group(format!("gemm_peak/{ty}"));
        let iters = 100_000;
        g.throughput(Throughput::Elements(peak_loop::<T>(1) * iters));
        g.bench_function("fma_in_registers", |bch| {
            bch.iter(|| peak_loop::<T>(black_box(iters)))
        });
        g.finish();
    }
    let mut g = c.benchmark_group(format!("gemm/{ty}"));
    for threads in [1, 2] {
        let pool = pool(threads);
        for &(m, n, k, name) in &SHAPES {
            let mut p = Problem::<T>::new(m, n, k, default_layout(name));
            g.throughput(Throughput::Elements(p.flops()));
            g.bench_function(BenchmarkId::new(format!("{threads}t"), name), |bch| {
                pool.install(|| bch.iter(|| p.run()))
            });
        }
    }
    g.finish();
    let mut g = c.benchmark_group(format!("gemm_layouts/{ty}"));
    let pool = pool(1);
    for lay in all_layouts() {
        let mut p = Problem::<T>::new(1024, 1024, 1024, lay);
        g.throughput(Throughput::Elements(p.flops()));
        let id = format!("{:?}{:?}{:?}", lay.0, lay.1, lay.2);
        g.bench_function(BenchmarkId::new("1t_1024^3", id), |bch| {
            pool.install(|| bch.iter(|| p.run()))
        });
    }
    g.finish();
}

fn all_layouts() -> Vec<(Lay, Lay, Lay)> {
    let mut v = Vec::new();
    for a in [Lay::Row, Lay::Col] {
        for b in [Lay::Row, Lay::Col] {
            for c in [Lay::Row, Lay::Col] {
                v.push((a, b, c));
            }
        }
    }
    v
}

fn benches(c: &mut Criterion) {
    bench_type::<f64>(c, "f64");
    bench_type::<f32>(c, "f32");
}

criterion_group!(gemm_benches, benches);

// ---------------------------------------------------------------------------------------------
// GEMM_REPORT=1: a quick side-by-side table (medians, GFLOP/s, ratio to the peak loop).
// ---------------------------------------------------------------------------------------------

/// CPU time of the whole process (all threads) in seconds, from the scheduler's own accounting
/// (`/proc/self/task/*/schedstat`, nanoseconds on CPU); `None` off Linux.
fn cpu_secs() -> Option<f64> {
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let path = entry.ok()?.path().join("schedstat");
        let text = std::fs::read_to_string(path).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total as f64 * 1e-9)
}

/// Medians over repetitions filling about `budget`: (wall seconds, CPU seconds of the process).
/// On a loaded machine the CPU time is the fairer measure of per-core efficiency: it excludes
/// the time other processes held the core.
fn median_secs(budget: Duration, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let start = Instant::now();
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    while wall.len() < 5 || (start.elapsed() < budget && wall.len() < 1000) {
        let c0 = cpu_secs();
        let t = Instant::now();
        f();
        wall.push(t.elapsed().as_secs_f64());
        let w = *wall.last().unwrap();
        cpu.push(c0.and_then(|c0| Some(cpu_secs()? - c0)).unwrap_or(w));
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (med(&mut wall), med(&mut cpu))
}

fn peak_gflops<T: 'static>() -> (f64, f64) {
    let iters = 2_000_000;
    let flops = peak_loop::<T>(1) as f64 * iters as f64;
    let (w, c) = median_secs(Duration::from_millis(300), || {
        black_box(peak_loop::<T>(black_box(iters)));
    });
    (flops / w / 1e9, flops / c / 1e9)
}

fn report_type<T: Scalar + From<f32>>(ty: &str, filter: &str) {
    let budget = Duration::from_millis(
        std::env::var("GEMM_REPORT_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(700),
    );
    let (peak, peak_cpu) = peak_gflops::<T>();
    println!(
        "{ty}: FMA peak {peak:.1} GFLOP/s per core by wall time, {peak_cpu:.1} per CPU-second"
    );
    for threads in [1, 2] {
        let pool = pool(threads);
        for &(m, n, k, name) in &SHAPES {
            if !name.contains(filter) {
                continue;
            }
            let mut p = Problem::<T>::new(m, n, k, default_layout(name));
            let (w, c) = pool.install(|| median_secs(budget, || p.run()));
            let (g, gc) = (p.flops() as f64 / w / 1e9, p.flops() as f64 / c / 1e9);
            println!(
                "  {ty} {threads}t {name:>14}: {:9.1} µs {g:7.1} GFLOP/s wall ({:5.1}% of \
                 {threads}×peak) | {gc:6.1} per CPU-s ({:5.1}% of peak/CPU-s)",
                w * 1e6,
                100.0 * g / (peak * threads as f64),
                100.0 * gc / peak_cpu,
            );
        }
    }
    if filter.is_empty() || filter == "layouts" {
        let pool = pool(1);
        let mut rates = Vec::new();
        for lay in all_layouts() {
            let mut p = Problem::<T>::new(1024, 1024, 1024, lay);
            let (_, c) = pool.install(|| median_secs(budget, || p.run()));
            rates.push((lay, p.flops() as f64 / c / 1e9));
        }
        let best = rates.iter().map(|r| r.1).fold(0.0, f64::max);
        for (lay, g) in rates {
            println!(
                "  {ty} 1t 1024^3 A/B/C={:?}/{:?}/{:?}: {g:7.1} GFLOP/CPU-s  {:.2}× best  \
                 {:5.1}% of peak",
                lay.0,
                lay.1,
                lay.2,
                g / best,
                100.0 * g / peak_cpu
            );
        }
    }
}

fn main() {
    if std::env::var_os("GEMM_REPORT").is_some() {
        let filter = std::env::var("GEMM_REPORT_FILTER").unwrap_or_default();
        let types = std::env::var("GEMM_REPORT_TYPES").unwrap_or_else(|_| "f64,f32".into());
        if types.contains("f64") {
            report_type::<f64>("f64", &filter);
        }
        if types.contains("f32") {
            report_type::<f32>("f32", &filter);
        }
        return;
    }
    gemm_benches();
    Criterion::default().configure_from_args().final_summary();
}
