//! The engine allocates nothing per call once its pack buffers have grown (warm-up: once per
//! thread that runs a task), on the small path, the blocked path and in a two-thread pool.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use outerprod::{gemm, MatMut, MatRef};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
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
/// no allocation: each thread's pack buffer grows the first time that thread runs a task (the
/// first call, or later when an idle worker first steals one); a per-call allocation would keep
/// the warm-up from ever ending, which fails the test.
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

/// Runs `f` on a worker of an `n`-thread pool (with rayon), or inline. A call from outside a
/// pool injects its jobs into rayon's global queue, whose segments rayon allocates once per 63
/// jobs; that allocation is rayon's, not the engine's, so it is measured from inside a pool.
fn on_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    #[cfg(feature = "rayon")]
    {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        // Workers start asynchronously and allocate while starting (thread names, locals); make
        // sure every one of them has run before counting, or its start-up lands in the count.
        pool.broadcast(|_| ());
        pool.install(f)
    }
    #[cfg(not(feature = "rayon"))]
    {
        let _ = threads;
        f()
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
            let f = product(m, n, k, row);
            let count = on_pool(threads, || allocations_during(f));
            assert_eq!(count, 0, "{m}×{n}×{k} on {threads} threads");
        }
    }
}
