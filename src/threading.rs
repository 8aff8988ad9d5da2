//! The crate's only contact with rayon, so that the `rayon` feature can be switched off.
//!
//! Kernels ask [`current_num_threads`] how wide the caller's pool is (a user's
//! `ThreadPool::install` is honoured) and split work with [`join`] or [`for_each_index`].
//! Without the feature both run sequentially on the calling thread.

/// Threads in the current rayon pool, or 1 without the `rayon` feature.
#[inline]
pub(crate) fn current_num_threads() -> usize {
    #[cfg(feature = "rayon")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "rayon"))]
    {
        1
    }
}

/// Whether the calling thread belongs to a rayon pool (the caller of `ThreadPool::install`
/// runs its closure on one), where a fork-join is cheap; always true without the feature,
/// where nothing is forked.
#[inline]
pub(crate) fn on_pool_thread() -> bool {
    #[cfg(feature = "rayon")]
    {
        rayon::current_thread_index().is_some()
    }
    #[cfg(not(feature = "rayon"))]
    {
        true
    }
}

/// Runs both closures, in parallel when rayon is available.
#[inline]
pub(crate) fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    #[cfg(feature = "rayon")]
    {
        rayon::join(a, b)
    }
    #[cfg(not(feature = "rayon"))]
    {
        (a(), b())
    }
}

/// Calls `f(i)` for every `i` in `0..n`, in parallel when rayon is available.
pub(crate) fn for_each_index<F>(n: usize, f: F)
where
    F: Fn(usize) + Sync + Send,
{
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().for_each(f);
    }
    #[cfg(not(feature = "rayon"))]
    {
        (0..n).for_each(f);
    }
}
