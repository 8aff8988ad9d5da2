//! outerprod-peers: outerprod side by side with ndarray, nalgebra, faer, matrixmultiply, system
//! OpenBLAS and BLIS, and the machine's physical limits, in one process. See README.md.
//!
//! Usage: `cargo run --release -- <outer|ger|gemm|dense|interleaved|all> [--threads 1,2] [--dtype f32,f64]
//! [--only NAME,..] [--cases TEXT,..] [--sizes MxN,..] [--budget-ms N] [--rounds R] [--clock wall|cpu] [--quick]`

mod cblas;
mod check;
mod dense;
mod elem;
mod gemm;
mod ger;
mod ger_paired;
mod harness;
mod interleaved;
mod outer;
mod outer_paired;
mod paired;
mod physical;

use std::time::Duration;

use harness::{scaling_md, Cfg, Clock, Table};

const USAGE: &str = "usage: outerprod-peers <outer|outer-paired|ger|ger-paired|gemm|dense|interleaved|all> [--threads 1,2] \
[--dtype f32,f64] [--only NAME,..] [--cases TEXT,..] [--sizes MxN,..] [--budget-ms N] [--rounds R] [--clock wall|cpu] [--quick]";

/// The groups, in the order `all` runs them.
const GROUPS: [&str; 7] = [
    "outer",
    "outer-paired",
    "ger",
    "ger-paired",
    "gemm",
    "dense",
    "interleaved",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (group, cfg) = match parse(&args[1..]) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let openblas = cblas::Blas::openblas();
    let blis = cblas::Blas::blis();
    header(&args, &cfg, &openblas, &blis);
    load_check(&cfg, "start");
    let ob = openblas.as_ref().ok();
    let bl = blis.as_ref().ok();
    let groups: Vec<&str> = if group == "all" {
        GROUPS.to_vec()
    } else {
        vec![group.as_str()]
    };
    for g in groups {
        println!("\n## group `{g}`");
        let t0 = std::time::Instant::now();
        let mut tables: Vec<Vec<(usize, Table)>> = Vec::new();
        for &dt in &cfg.dtypes {
            let r = match (g, dt) {
                ("outer", "f32") => outer::run::<f32>(&cfg),
                ("outer", _) => outer::run::<f64>(&cfg),
                ("ger", "f32") => ger::run::<f32>(&cfg, ob, bl),
                ("ger", _) => ger::run::<f64>(&cfg, ob, bl),
                ("gemm", "f32") => gemm::run::<f32>(&cfg, ob, bl),
                ("gemm", _) => gemm::run::<f64>(&cfg, ob, bl),
                ("outer-paired", "f32") => {
                    outer_paired::run::<f32>(&cfg);
                    continue;
                }
                ("outer-paired", _) => {
                    outer_paired::run::<f64>(&cfg);
                    continue;
                }
                ("ger-paired", "f32") => {
                    ger_paired::run::<f32>(&cfg, ob);
                    continue;
                }
                ("ger-paired", _) => {
                    ger_paired::run::<f64>(&cfg, ob);
                    continue;
                }
                ("dense", "f32") => dense::run(&cfg, ob),
                ("dense", _) => continue, // the issue asks for f32 only
                ("interleaved", "f32") => {
                    interleaved::run::<f32>(&cfg);
                    continue;
                }
                ("interleaved", _) => {
                    interleaved::run::<f64>(&cfg);
                    continue;
                }
                _ => unreachable!("group checked in parse"),
            };
            tables.push(r);
        }
        for per_dtype in &tables {
            if let (Some((lo_t, lo)), Some((hi_t, hi))) = (per_dtype.first(), per_dtype.last()) {
                if hi_t > lo_t {
                    println!("{}", scaling_md(lo, hi, *lo_t, *hi_t));
                }
            }
        }
        println!("\n_group `{g}` took {:.0} s_", t0.elapsed().as_secs_f64());
    }
    println!();
    load_check(&cfg, "end");
}

/// Is the machine quiet? The FMA loop on 1 and on t threads should scale by t when every core is
/// free; on the shared machine other processes often hold one. Printed at the start and the end.
fn load_check(cfg: &Cfg, when: &str) {
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let loadavg = loadavg
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let tmax = cfg.threads.iter().copied().max().unwrap_or(1);
    let peak = |t: usize| {
        harness::in_pool(t, || {
            let mut flops = 0.0;
            let timing = harness::measure(cfg, || flops = physical::fma_peak(8, 100_000));
            flops / timing.median / 1e9
        })
    };
    let p1 = peak(1);
    if tmax > 1 {
        let pt = peak(tmax);
        let ratio = pt / p1;
        println!(
            "- load check ({when}): loadavg {loadavg}; f32 FMA peak {p1:.0} GFLOP/s on 1 thread, \
             {pt:.0} on {tmax} (×{ratio:.2}){}",
            if ratio < 0.9 * tmax as f64 {
                " — BELOW the expected scaling: another process held a core, so multi-thread \
                 figures of this run are unreliable"
            } else {
                ""
            }
        );
    } else {
        println!(
            "- load check ({when}): loadavg {loadavg}; f32 FMA peak {p1:.0} GFLOP/s on 1 thread"
        );
    }
}

fn parse(args: &[String]) -> Result<(String, Cfg), String> {
    let group = args.first().ok_or("missing group")?.clone();
    if group != "all" && !GROUPS.contains(&group.as_str()) {
        return Err(format!("unknown group `{group}`"));
    }
    let mut cfg = Cfg {
        threads: vec![1, 2],
        budget: Duration::from_millis(200),
        warmup: Duration::from_millis(40),
        min_sample: Duration::from_millis(2),
        min_samples: 5,
        max_samples: 51,
        dtypes: vec!["f32", "f64"],
        only: Vec::new(),
        cases: Vec::new(),
        sizes: outer::SIZES.to_vec(),
        llc_bytes: llc_bytes(),
        rounds: 1,
        clock: Clock::Wall,
        exact_case: None,
        collect: None,
    };
    let list = |v: Option<&String>, what: &str| -> Result<Vec<String>, String> {
        let v = v.ok_or(format!("{what} needs a value"))?;
        Ok(v.split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect())
    };
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--threads" => {
                cfg.threads = list(it.next(), a)?
                    .iter()
                    .map(|s| {
                        s.parse::<usize>()
                            .map_err(|e| format!("--threads {s}: {e}"))
                    })
                    .collect::<Result<_, _>>()?;
                if cfg.threads.contains(&0) || cfg.threads.is_empty() {
                    return Err("--threads: counts must be ≥ 1".into());
                }
            }
            "--dtype" => {
                cfg.dtypes = list(it.next(), a)?
                    .iter()
                    .map(|s| match s.as_str() {
                        "f32" => Ok("f32"),
                        "f64" => Ok("f64"),
                        _ => Err(format!("--dtype: `{s}` is not f32 or f64")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--only" => cfg.only = list(it.next(), a)?,
            "--cases" => cfg.cases = list(it.next(), a)?,
            "--sizes" => {
                cfg.sizes = list(it.next(), a)?
                    .iter()
                    .map(|t| parse_size(t))
                    .collect::<Result<_, _>>()?
            }
            "--budget-ms" => {
                let v = it.next().ok_or("--budget-ms needs a value")?;
                cfg.budget =
                    Duration::from_millis(v.parse().map_err(|e| format!("--budget-ms {v}: {e}"))?);
            }
            "--rounds" => {
                let v = it.next().ok_or("--rounds needs a value")?;
                cfg.rounds = v.parse().map_err(|e| format!("--rounds {v}: {e}"))?;
                if cfg.rounds == 0 {
                    return Err("--rounds must be ≥ 1".into());
                }
            }
            "--clock" => match it.next().map(String::as_str) {
                Some("wall") => cfg.clock = Clock::Wall,
                Some("cpu") => cfg.clock = Clock::ThreadCpu,
                other => return Err(format!("--clock: expected wall or cpu, got {other:?}")),
            },
            "--quick" => {
                cfg.budget = Duration::from_millis(15);
                cfg.warmup = Duration::from_millis(5);
                cfg.min_sample = Duration::from_micros(500);
                cfg.min_samples = 3;
            }
            _ => return Err(format!("unknown argument `{a}`")),
        }
    }
    if cfg.clock == Clock::ThreadCpu && cfg.threads != [1] {
        return Err("--clock cpu times the calling thread only: use it with --threads 1".into());
    }
    Ok((group, cfg))
}

/// Last-level cache size from sysfs (largest `index*/size` of cpu0), 32 MiB if unreadable.
fn llc_bytes() -> usize {
    let mut best = 0usize;
    for i in 0..8 {
        let p = format!("/sys/devices/system/cpu/cpu0/cache/index{i}/size");
        let Ok(s) = std::fs::read_to_string(p) else {
            continue;
        };
        let s = s.trim();
        let (num, mul) = match s.strip_suffix('K') {
            Some(x) => (x, 1024),
            None => match s.strip_suffix('M') {
                Some(x) => (x, 1024 * 1024),
                None => (s, 1),
            },
        };
        if let Ok(v) = num.parse::<usize>() {
            best = best.max(v * mul);
        }
    }
    if best == 0 {
        32 << 20
    } else {
        best
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|x| x.trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

fn header(
    args: &[String],
    cfg: &Cfg,
    ob: &Result<cblas::Blas, String>,
    bl: &Result<cblas::Blas, String>,
) {
    println!("# outerprod peer comparison\n");
    println!(
        "- command: `cargo run --release -- {}`",
        args[1..].join(" ")
    );
    println!(
        "- machine: {} — {} logical CPUs, LLC {} MiB (outputs above it are DRAM-sized)",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cfg.llc_bytes >> 20
    );
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| "unset".into());
    println!(
        "- environment: OPENBLAS_CORETYPE={}, OPENBLAS_L2_SIZE={}, OPENBLAS_NUM_THREADS={}, \
         BLIS_NUM_THREADS={}, RAYON_NUM_THREADS={}, MATMUL_NUM_THREADS={}",
        env("OPENBLAS_CORETYPE"),
        env("OPENBLAS_L2_SIZE"),
        env("OPENBLAS_NUM_THREADS"),
        env("BLIS_NUM_THREADS"),
        env("RAYON_NUM_THREADS"),
        env("MATMUL_NUM_THREADS"),
    );
    // Timed here, before any table, so that the half millisecond it takes falls outside
    // every measurement.
    let l2 = if avx512_detected() {
        format!(
            "outer products and rank-1 updates in L2 on the {:?} kernels",
            outerprod::testing::measured_l2_kernels()
        )
    } else {
        String::new()
    };
    let l3 = if outerprod::testing::default_spread_write()
        == outerprod::testing::SpreadWrite::RowByRow
    {
        format!(
            "long rows of outer products in L3 written {:?}",
            outerprod::testing::measured_long_row_write()
        )
    } else {
        String::new()
    };
    let chosen: Vec<String> = [l2, l3].into_iter().filter(|c| !c.is_empty()).collect();
    let timed = if chosen.is_empty() {
        String::new()
    } else {
        format!(" ({}; timed at start-up)", chosen.join("; "))
    };
    println!(
        "- outerprod kernel path: {:?}{timed}; physical baselines: {}",
        outerprod::testing::detected(),
        physical::isa()
    );
    for b in [ob, bl] {
        match b {
            Ok(b) => println!("- {}", b.describe()),
            Err(e) => println!("- not loaded: {e}"),
        }
    }
    println!(
        "- threads: {:?}; each run sets OpenBLAS (openblas_set_num_threads), BLIS \
         (bli_thread_set_num_threads), faer (Par::Seq / Par::rayon(t)) and a rayon pool of t \
         threads (outerprod, ndarray par_for_each, baselines) to t",
        cfg.threads
    );
    println!(
        "- method: per implementation and case, warm-up ≥ {} ms, then N samples (budget {} ms, \
         N in [{}, {}]), each sample ≥ {} µs of back-to-back calls timed by {}; \
         median per call. Every \
         result is checked at 256 sampled entries before it is timed. Rounds per table: {} \
         (each round measures a case at every thread count in turn, so a row's 1- and 2-thread \
         figures are seconds apart; cells are the median over rounds; N is the total).",
        cfg.warmup.as_millis(),
        cfg.budget.as_millis(),
        cfg.min_samples,
        cfg.max_samples,
        cfg.min_sample.as_micros(),
        match cfg.clock {
            Clock::Wall => "the wall clock",
            Clock::ThreadCpu => "the calling thread's CPU-time clock (--clock cpu)",
        },
        cfg.rounds
    );
    println!(
        "- ¹ single-threaded library: the same code runs in the multi-thread tables. \
         ² matrixmultiply: 1 thread is the library itself; with t > 1 threads we split C into t \
         row blocks on rayon (its own threading is fixed once per process by MATMUL_NUM_THREADS). \
         ³ on CPUs with AVX-512 (outerprod's detected path `Avx512`), the same outerprod call \
         forced onto its AVX2 kernels (`with_kernel_path(Avx2Fma)`); the ratio tables compare \
         the default call."
    );
}

/// Whether outerprod's detected kernel path is its AVX-512 one.
fn avx512_detected() -> bool {
    outerprod::testing::detected() == outerprod::testing::KernelPath::Avx512
}

/// One `--sizes` entry, `MxN` or `M×N`: m rows, n columns.
fn parse_size(t: &str) -> Result<(usize, usize), String> {
    let (m, n) = t
        .split_once(['x', '×'])
        .ok_or_else(|| format!("--sizes {t}: expected MxN"))?;
    let dim = |v: &str| v.parse::<usize>().map_err(|e| format!("--sizes {t}: {e}"));
    Ok((dim(m)?, dim(n)?))
}
