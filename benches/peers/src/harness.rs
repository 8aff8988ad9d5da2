//! Timing and table printing shared by every group.
//!
//! Method: each implementation is warmed up (page faults, pack buffers, thread start-up, lazy
//! library init), then timed as `samples` independent samples; a sample repeats the call `inner`
//! times so that it lasts at least `min_sample` (tiny sizes would otherwise measure `Instant`).
//! The figure reported is the median per-call time. `samples` is chosen per case from a time
//! budget, clamped to [`Cfg::min_samples`, `Cfg::max_samples`], and printed in every table.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Run-wide settings from the command line.
#[derive(Clone, Debug)]
pub struct Cfg {
    /// Thread counts to run, e.g. `[1, 2]`.
    pub threads: Vec<usize>,
    /// Wall time aimed at per (implementation, case) for the timed samples.
    pub budget: Duration,
    /// Warm-up time per (implementation, case) (at least one call is always made).
    pub warmup: Duration,
    /// Shortest sample (calls are batched up to this).
    pub min_sample: Duration,
    /// Fewest samples per median.
    pub min_samples: usize,
    /// Most samples per median.
    pub max_samples: usize,
    /// Only the element types named (`f32`, `f64`).
    pub dtypes: Vec<&'static str>,
    /// Substring filter on implementation names (empty: all).
    pub only: Vec<String>,
    /// Substring filter on case labels, e.g. `1024` (empty: all).
    pub cases: Vec<String>,
    /// Shapes (m, n) of the outer and `ger` groups, paired ones included (default
    /// [`SIZES`](crate::outer::SIZES)).
    pub sizes: Vec<(usize, usize)>,
    /// Last-level cache size in bytes (outputs above it are "DRAM-sized").
    pub llc_bytes: usize,
    /// Times each table is measured; cells report the median over rounds.
    pub rounds: usize,
    /// Which clock times the samples.
    pub clock: Clock,
    /// Set by [`by_case`]: run only the case with exactly this label.
    pub exact_case: Option<String>,
    /// Set by [`by_case`] for a dry pass: record the labels that pass the filters, run none.
    pub collect: Option<Arc<Mutex<Vec<String>>>>,
}

/// The clock that times samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Wall time (`Instant`): the figure a user sees.
    Wall,
    /// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`): time the thread was not
    /// scheduled does not count, so single-thread figures survive other processes sharing the
    /// cores (their cache and memory traffic still counts). Only meaningful with one thread.
    ThreadCpu,
}

impl Clock {
    /// Seconds on this clock from an arbitrary origin.
    pub fn now(self) -> f64 {
        match self {
            Clock::Wall => {
                static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
                ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64()
            }
            Clock::ThreadCpu => {
                let mut ts = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                };
                // SAFETY: clock_gettime writes one timespec through a valid pointer.
                let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
                assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
                ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
            }
        }
    }
}

impl Cfg {
    /// Whether an implementation called `name` should run.
    pub fn wants(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| name.contains(s.as_str()))
    }

    /// Whether a case labelled `label` should run.
    pub fn wants_case(&self, label: &str) -> bool {
        let listed = self.cases.is_empty() || self.cases.iter().any(|s| label.contains(s.as_str()));
        if let Some(sink) = &self.collect {
            if listed {
                sink.lock().expect("label sink").push(label.to_string());
            }
            return false;
        }
        match &self.exact_case {
            Some(exact) => label == exact,
            None => listed,
        }
    }
}

/// One median.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Median seconds per call.
    pub median: f64,
    /// Samples behind the median.
    pub samples: usize,
    /// Calls per sample.
    pub inner: usize,
}

/// Warms up and times `f`, returning the median seconds per call.
pub fn measure(cfg: &Cfg, mut f: impl FnMut()) -> Timing {
    // Warm-up: at least two calls, then until the warm-up time is spent; a single call that
    // already outlasts 4× the warm-up ends it. The fastest warm-up call after the first
    // estimates the steady per-call time.
    let start = Instant::now();
    let mut calls = 0usize;
    let mut best = f64::INFINITY;
    loop {
        let t = Instant::now();
        f();
        let dt = t.elapsed().as_secs_f64();
        calls += 1;
        if calls >= 2 || dt >= cfg.warmup.as_secs_f64() * 4.0 {
            best = best.min(dt);
        }
        if (calls >= 2 && start.elapsed() >= cfg.warmup) || dt >= cfg.warmup.as_secs_f64() * 4.0 {
            break;
        }
    }
    let per_call = best.max(1e-9);
    let inner = ((cfg.min_sample.as_secs_f64() / per_call).ceil() as usize).max(1);
    let per_sample = per_call * inner as f64;
    let budget = cfg.budget.as_secs_f64();
    // Very slow calls get fewer samples than the floor (printed as N): 3 above 4 budgets, and a
    // single one above 10 budgets, so that an unoptimised path cannot stall a whole group.
    let samples = if per_sample > 10.0 * budget {
        1
    } else if per_sample > 4.0 * budget {
        3
    } else {
        ((budget / per_sample) as usize).clamp(cfg.min_samples, cfg.max_samples)
    };
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = cfg.clock.now();
        for _ in 0..inner {
            f();
        }
        times.push((cfg.clock.now() - t) / inner as f64);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let mid = times.len() / 2;
    let median = if times.len() % 2 == 1 {
        times[mid]
    } else {
        0.5 * (times[mid - 1] + times[mid])
    };
    Timing {
        median,
        samples,
        inner,
    }
}

/// Runs `f` inside a fresh rayon pool of `threads` threads (rayon-based peers and outerprod
/// read the width of the pool they run in).
pub fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool")
        .install(f)
}

/// Measures a group's table for every thread count of `cfg.threads`, `cfg.rounds` times, case
/// by case with the thread counts taking turns on each case (case 1 at 1 and 2 threads, then
/// case 2 at 1 and 2 threads, …). `f(cfg, t)` builds the table for `t` threads of the cases
/// `cfg` lets through. On the shared machine other tenants' load comes and goes within
/// minutes; taking turns case by case puts a row's 1- and 2-thread figures seconds apart, so
/// that the scaling ratio compares like with like. Returns, per thread count, the table whose
/// cells are the medians over rounds.
pub fn by_case(cfg: &Cfg, mut f: impl FnMut(&Cfg, usize) -> Table) -> Vec<(usize, Table)> {
    // A dry pass gives each thread count's empty table; the first one also lists the cases.
    let sink = Arc::new(Mutex::new(Vec::new()));
    let empty: Vec<Table> = (cfg.threads.iter().enumerate())
        .map(|(i, &t)| {
            let collect = if i == 0 {
                sink.clone()
            } else {
                Arc::new(Mutex::new(Vec::new()))
            };
            let dry = Cfg {
                collect: Some(collect),
                ..cfg.clone()
            };
            f(&dry, t)
        })
        .collect();
    let labels = sink.lock().expect("label sink").clone();
    let mut rounds: Vec<Vec<Table>> = cfg.threads.iter().map(|_| Vec::new()).collect();
    for _ in 0..cfg.rounds.max(1) {
        let mut tables: Vec<Table> = empty.iter().map(Table::empty_copy).collect();
        for label in &labels {
            let one = Cfg {
                exact_case: Some(label.clone()),
                ..cfg.clone()
            };
            for (ti, &t) in cfg.threads.iter().enumerate() {
                tables[ti].rows.extend(f(&one, t).rows);
            }
        }
        for (ti, table) in tables.into_iter().enumerate() {
            rounds[ti].push(table);
        }
    }
    cfg.threads
        .iter()
        .zip(rounds)
        .map(|(&t, r)| (t, median_of(r)))
        .collect()
}

/// Merges the rounds of one table: per cell, the median of the per-round medians; the sample
/// count shown is the total over rounds.
pub fn median_of(mut all: Vec<Table>) -> Table {
    assert!(!all.is_empty(), "at least one round");
    if all.len() == 1 {
        return all.pop().expect("one round");
    }
    let mut first = all.remove(0);
    first.title = format!("{} — median of {} rounds", first.title, all.len() + 1);
    for (ri, row) in first.rows.iter_mut().enumerate() {
        for (ci, cell) in row.cells.iter_mut().enumerate() {
            let mut cells: Vec<&Cell> = vec![&*cell];
            cells.extend(all.iter().map(|t| &t.rows[ri].cells[ci]));
            let mut rates: Vec<(f64, Timing)> = cells
                .iter()
                .filter_map(|c| match c {
                    Cell::Rate { rate, timing } => Some((*rate, *timing)),
                    Cell::Skip(_) => None,
                })
                .collect();
            if rates.is_empty() || rates.len() < cells.len() {
                // A skip or a wrong result in any round wins: show it.
                if let Some(skip) = cells.iter().find(|c| matches!(c, Cell::Skip(_))) {
                    *cell = (*skip).clone();
                }
                continue;
            }
            rates.sort_by(|a, b| a.0.total_cmp(&b.0));
            let n = rates.len();
            let rate = if n % 2 == 1 {
                rates[n / 2].0
            } else {
                0.5 * (rates[n / 2 - 1].0 + rates[n / 2].0)
            };
            let samples = rates.iter().map(|r| r.1.samples).sum();
            let mut timing = rates[n / 2].1;
            timing.samples = samples;
            *cell = Cell::Rate { rate, timing };
        }
    }
    first
}

/// A cell of a results table: a rate (GB/s or GFLOP/s) with its timing, or a note.
#[derive(Clone, Debug)]
pub enum Cell {
    /// Measured rate and how.
    Rate { rate: f64, timing: Timing },
    /// Not run (reason printed in the legend).
    Skip(&'static str),
}

impl Cell {
    /// The rate, if measured.
    pub fn rate(&self) -> Option<f64> {
        match self {
            Cell::Rate { rate, .. } => Some(*rate),
            Cell::Skip(_) => None,
        }
    }
}

/// A results table: one row per case, one column per implementation.
pub struct Table {
    /// Printed above the table.
    pub title: String,
    /// Unit of the rates, e.g. "GB/s".
    pub unit: &'static str,
    /// Implementation names (columns).
    pub cols: Vec<String>,
    /// Row label and cells (same order as `cols`); `baseline` names the column each row's ratio
    /// uses.
    pub rows: Vec<Row>,
}

/// One row of a [`Table`].
pub struct Row {
    /// Case label, e.g. `4096×4096`.
    pub label: String,
    /// One cell per column.
    pub cells: Vec<Cell>,
}

impl Table {
    /// A table with the same title, unit and columns, and no rows.
    pub fn empty_copy(&self) -> Table {
        Table::new(self.title.clone(), self.unit, self.cols.clone())
    }

    /// A new empty table.
    pub fn new(title: impl Into<String>, unit: &'static str, cols: Vec<String>) -> Self {
        Table {
            title: title.into(),
            unit,
            cols,
            rows: Vec::new(),
        }
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.cols.iter().position(|c| c == name)
    }

    /// Whichever of columns `x` and `y` ran faster in row `r` (`x` when `y` has no figure).
    /// The write limit of a size is the faster fill: where the LLC is shared and slow (the
    /// Intel mesh), streaming stores win well below the LLC size, so "above the LLC" is no
    /// test for it.
    pub fn faster_of<'n>(&self, r: &Row, x: &'n str, y: &'n str) -> &'n str {
        let rate = |name| self.col(name).and_then(|i| r.cells[i].rate());
        match (rate(x), rate(y)) {
            (Some(a), Some(b)) if b > a => y,
            (None, Some(_)) => y,
            _ => x,
        }
    }

    /// Markdown: the rates, with the sample count of each row.
    pub fn rates_md(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "\n#### {} — median {}\n", self.title, self.unit);
        let _ = write!(s, "| case |");
        for c in &self.cols {
            let _ = write!(s, " {c} |");
        }
        let _ = writeln!(s, " N (samples) |");
        let _ = write!(s, "|---|");
        for _ in &self.cols {
            let _ = write!(s, "---:|");
        }
        let _ = writeln!(s, "---|");
        for r in &self.rows {
            let _ = write!(s, "| {} |", r.label);
            let mut ns: Vec<usize> = Vec::new();
            for c in &r.cells {
                match c {
                    Cell::Rate { rate, timing } => {
                        let _ = write!(s, " {} |", fmt_rate(*rate));
                        ns.push(timing.samples);
                    }
                    Cell::Skip(why) => {
                        let _ = write!(s, " – ({why}) |");
                    }
                }
            }
            let n = match (ns.iter().min(), ns.iter().max()) {
                (Some(lo), Some(hi)) if lo == hi => format!("{lo}"),
                (Some(lo), Some(hi)) => format!("{lo}–{hi}"),
                _ => "–".into(),
            };
            let _ = writeln!(s, " {n} |");
        }
        s
    }

    /// Markdown: every rate divided by the rate in column `baseline(row)` of the same row.
    pub fn ratios_md(&self, what: &str, baseline: impl Fn(&Row) -> Option<String>) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "\n#### {} — ratio to {what}\n", self.title);
        let _ = write!(s, "| case | baseline |");
        for c in &self.cols {
            let _ = write!(s, " {c} |");
        }
        let _ = writeln!(s);
        let _ = write!(s, "|---|---|");
        for _ in &self.cols {
            let _ = write!(s, "---:|");
        }
        let _ = writeln!(s);
        for r in &self.rows {
            let base_name = baseline(r);
            let base = base_name
                .as_deref()
                .and_then(|b| self.col(b))
                .and_then(|i| r.cells[i].rate());
            let _ = write!(
                s,
                "| {} | {} |",
                r.label,
                base_name.as_deref().unwrap_or("–")
            );
            for c in &r.cells {
                match (c.rate(), base) {
                    (Some(x), Some(b)) if b > 0.0 => {
                        let _ = write!(s, " {:.2} |", x / b);
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
}

fn fmt_rate(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// Builds one table row: runs each implementation on a shared mutable state (the output
/// buffer), checks its result once, then times it.
pub struct RowRun<'a> {
    cfg: &'a Cfg,
    tag: String,
    cols: &'a [String],
    cells: Vec<Cell>,
    work: f64,
}

impl<'a> RowRun<'a> {
    /// A row of `cols`, where one call does `work` units (bytes or FLOPs); rates are
    /// `work / median / 1e9`.
    pub fn new(cfg: &'a Cfg, tag: String, cols: &'a [String], work: f64) -> Self {
        RowRun {
            cfg,
            tag,
            cols,
            cells: vec![Cell::Skip("not run"); cols.len()],
            work,
        }
    }

    fn idx(&self, col: &str) -> usize {
        self.cols
            .iter()
            .position(|c| c == col)
            .unwrap_or_else(|| panic!("unknown column {col}"))
    }

    /// Marks `col` as not applicable.
    pub fn skip(&mut self, col: &str, why: &'static str) {
        let i = self.idx(col);
        self.cells[i] = Cell::Skip(why);
    }

    /// `reset(s)` then `f(s)` once, `verify(s)`, then times `f(s)`. A wrong result is reported on
    /// stderr and in the table instead of a rate.
    pub fn run<S: ?Sized>(
        &mut self,
        state: &mut S,
        col: &str,
        reset: impl FnOnce(&mut S),
        mut f: impl FnMut(&mut S),
        verify: impl FnOnce(&S) -> Result<(), String>,
    ) {
        let i = self.idx(col);
        if !self.cfg.wants(col) {
            self.cells[i] = Cell::Skip("filtered");
            return;
        }
        reset(state);
        f(state);
        if let Err(e) = verify(state) {
            eprintln!("WRONG RESULT [{}] {col}: {e}", self.tag);
            self.cells[i] = Cell::Skip("WRONG RESULT");
            return;
        }
        let timing = measure(self.cfg, || f(state));
        let rate = self.work / timing.median / 1e9;
        eprintln!(
            "  [{}] {col}: {rate:.2} ({}×{})",
            self.tag, timing.samples, timing.inner
        );
        self.cells[i] = Cell::Rate { rate, timing };
    }

    /// Times `f` with its own work count (for baselines whose work differs from the row's).
    pub fn run_work(&mut self, col: &str, work: f64, f: impl FnMut()) {
        let i = self.idx(col);
        if !self.cfg.wants(col) {
            self.cells[i] = Cell::Skip("filtered");
            return;
        }
        let timing = measure(self.cfg, f);
        let rate = work / timing.median / 1e9;
        eprintln!(
            "  [{}] {col}: {rate:.2} ({}×{})",
            self.tag, timing.samples, timing.inner
        );
        self.cells[i] = Cell::Rate { rate, timing };
    }

    /// After a library with its own spinning worker threads (OpenBLAS keeps its workers
    /// busy-waiting for about 2²⁸ cycles after each call), wait until they sleep, so that they do
    /// not steal the second core from the next implementation timed.
    pub fn cool_down(&self) {
        if rayon::current_num_threads() > 1 {
            std::thread::sleep(Duration::from_millis(120));
        }
    }

    /// The finished row.
    pub fn finish(self, label: String) -> Row {
        Row {
            label,
            cells: self.cells,
        }
    }
}

/// Markdown: rate with `hi` threads over rate with `lo` threads, per implementation and case.
pub fn scaling_md(lo: &Table, hi: &Table, lo_t: usize, hi_t: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n#### {} — {hi_t}-thread rate / {lo_t}-thread rate\n",
        hi.title
    );
    let _ = write!(s, "| case |");
    for c in &hi.cols {
        let _ = write!(s, " {c} |");
    }
    let _ = writeln!(s);
    let _ = write!(s, "|---|");
    for _ in &hi.cols {
        let _ = write!(s, "---:|");
    }
    let _ = writeln!(s);
    for (rl, rh) in lo.rows.iter().zip(&hi.rows) {
        let _ = write!(s, "| {} |", rh.label);
        for (cl, ch) in rl.cells.iter().zip(&rh.cells) {
            match (cl.rate(), ch.rate()) {
                (Some(a), Some(b)) if a > 0.0 => {
                    let _ = write!(s, " {:.2} |", b / a);
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
