//! The engine allocates nothing per call once its pack buffers have grown (warm-up: once per
//! thread that runs a task), on the small path, the blocked path and in a two-thread pool.
//!
//! Only allocations on the threads that run the measured calls are counted. Other threads of
//! the process allocate at times of their own choosing; the likely one here is a worker of an
//! earlier case's pool, dropped but still exiting (by crossbeam-epoch's source, it hands its
//! bag to a global queue, one node). Counting process-wide let such allocations land in a
//! later case's window on a loaded machine: seen in CI, and here in 37 of 200 runs with both
//! cores busy, 1 of 200 once only this pool's workers were counted, 0 of 400 with the
//! per-worker warm-up of `allocations_on_pool` as well.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use outerprod::{gemm, MatMut, MatRef};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const` and without a destructor, so reading it never allocates (it is read inside
    // the allocator) and it can be read while the thread is exiting.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

/// Whether allocations on the current thread are counted.
fn set_counted(on: bool) {
    COUNTED.with(|c| c.set(on));
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTED.try_with(Cell::get).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn product(m: usize, n: usize, k: usize, c_row_major: bool) -> impl FnMut() {
    let a: Vec<f64> = (0..m * k).map(|i| (i % 7) as f64).collect();
    let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32).collect();
    let b64: Vec<f64> = b.iter().map(|&x| x as f64).collect();
    let mut c = vec![0.0f64; m * n];
    move || {
        let cv = if c_row_major {
            MatMut::row_major(&mut c, m, n).unwrap()
        } else {
            MatMut::col_major(&mut c, m, n).unwrap()
        };
        gemm(
            1.0,
            MatRef::row_major(&a, m, k).unwrap(),
            MatRef::col_major(&b64, k, n).unwrap(),
            0.5,
            cv,
        )
        .unwrap();
    }
}

/// Allocations during 5 calls of `f` after warm-up. Warm-up ends after 20 calls in a row with
/// no allocation (a pack buffer grows the first time a thread runs a task of this size; see
/// [`allocations_on_pool`]); a per-call allocation would keep the warm-up from ever ending,
/// which fails the test.
fn allocations_during(mut f: impl FnMut()) -> usize {
    let mut quiet = 0;
    for _ in 0..400 {
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        f();
        if ALLOCATIONS.load(Ordering::SeqCst) == before {
            quiet += 1;
            if quiet == 20 {
                break;
            }
        } else {
            quiet = 0;
        }
    }
    assert_eq!(quiet, 20, "every call allocates: no warm-up");
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..5 {
        f();
    }
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

/// Allocations on the workers of a `threads`-thread pool (with rayon; without, on this
/// thread) during 5 calls of a product from `make`, after warm-up.
///
/// Warm-up first runs one call as the caller on every worker, so each has grown its pack
/// buffers to this size: the caller of a fork-join runs the first task itself. (Left to the
/// measured calls alone, a worker slowed by other load could steal its first task only after
/// the quiet streak of [`allocations_during`].) A call from outside a pool injects its jobs
/// into rayon's global queue, whose segments rayon allocates once per 63 jobs; that allocation
/// is rayon's, not the engine's, so it is measured from inside a pool.
fn allocations_on_pool<F: FnMut()>(threads: usize, make: impl Fn() -> F + Sync) -> usize {
    #[cfg(feature = "rayon")]
    {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        // The broadcast runs once on each worker after its start-up (thread name, locals),
        // so start-up is not counted.
        pool.broadcast(|_| make()());
        pool.broadcast(|_| set_counted(true));
        let count = pool.install(|| allocations_during(make()));
        // The workers exit after this function drops the pool; their exit is not counted.
        pool.broadcast(|_| set_counted(false));
        count
    }
    #[cfg(not(feature = "rayon"))]
    {
        let _ = threads;
        set_counted(true);
        let count = allocations_during(make());
        set_counted(false);
        count
    }
}

#[test]
fn no_allocation_after_warm_up() {
    for threads in [1, 2] {
        for (m, n, k, row) in [
            (20, 30, 40, false),
            (300, 200, 400, true),
            (150, 90, 600, false),
            // The skinny routes: vector × matrix (m = 1, n = 1) and rank-1 (k = 1).
            (1, 300, 200, true),
            (300, 1, 200, false),
            (300, 200, 1, false),
            (300, 200, 1, true),
        ] {
            let count = allocations_on_pool(threads, || product(m, n, k, row));
            assert_eq!(count, 0, "{m}×{n}×{k} on {threads} threads");
        }
    }
}
