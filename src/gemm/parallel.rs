//! Threads and pack buffers: the parts of the engine that cross threads.
//!
//! Work is split over independent blocks of C (rows in MR multiples, columns in NR multiples),
//! never over K, so each element of C is computed by one thread with the same sequence of
//! operations whatever the thread count. Pack buffers live in thread-locals and are reused
//! across calls: after the first call of a given size there is no allocation.

use std::cell::Cell;
use std::thread::LocalKey;

/// A raw pointer that may cross threads: the one wrapper through which the engine shares its
/// operands. Each task writes a disjoint set of C elements (or pack-buffer panels) and only
/// reads the rest, and the fork-join scope outlives none of the borrows it was made from.
pub(crate) struct SharedPtr<T>(pub(crate) *mut T);

impl<T> SharedPtr<T> {
    /// The pointer. (A method, so that closures capture the wrapper rather than its field.)
    #[inline(always)]
    pub(crate) fn get(self) -> *mut T {
        self.0
    }
}

impl<T> Clone for SharedPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SharedPtr<T> {}

// SAFETY: see the type's documentation: the pointee is only read concurrently, or written at
// disjoint addresses, for the duration of a fork-join that borrows it.
unsafe impl<T: Send + Sync> Send for SharedPtr<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for SharedPtr<T> {}

/// Runs `task(i)` for `i` in `0..n`, on up to `threads` rayon workers, or inline for 1 thread.
pub(crate) fn for_each_task(n: usize, threads: usize, task: impl Fn(usize) + Sync + Send) {
    if threads <= 1 || n <= 1 {
        (0..n).for_each(task);
    } else {
        crate::threading::for_each_index(n, task);
    }
}

/// 64 bytes, 64-aligned: the unit in which pack buffers grow, so panels start on cache lines.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct CacheLine(#[allow(dead_code)] [u8; 64]);

thread_local! {
    /// Packed A, one per thread (each task packs its own rows).
    pub(crate) static PACK_A: Cell<Vec<CacheLine>> = const { Cell::new(Vec::new()) };
    /// Packed B, owned by the thread that called gemm and shared with the workers.
    pub(crate) static PACK_B: Cell<Vec<CacheLine>> = const { Cell::new(Vec::new()) };
}

/// Calls `f` with this thread's buffer `key`, grown to at least `elems` elements of `T`.
///
/// The buffer is taken out of the thread-local for the duration of `f`, so a nested call on the
/// same thread (a rayon worker picking up another gemm while it waits) gets a fresh buffer
/// instead of aliasing this one; the larger of the two is kept afterwards.
pub(crate) fn with_buffer<T, R>(
    key: &'static LocalKey<Cell<Vec<CacheLine>>>,
    elems: usize,
    f: impl FnOnce(*mut T) -> R,
) -> R {
    debug_assert!(std::mem::align_of::<T>() <= 64);
    let lines = (elems * std::mem::size_of::<T>()).div_ceil(64).max(1);
    let mut buf = key.with(Cell::take);
    if buf.len() < lines {
        buf = vec![CacheLine([0; 64]); lines];
    }
    let r = f(buf.as_mut_ptr().cast::<T>());
    key.with(|cell| {
        let other = cell.take();
        cell.set(if other.len() > buf.len() { other } else { buf });
    });
    r
}

/// Row chunks per thread the splitter aims for on large products (dynamic load balance).
const TASKS_PER_THREAD: usize = 4;

/// How the blocked driver splits one NC-wide block of C among threads: row chunks of
/// `m_chunk` (a multiple of MR, at most MC) times column chunks of `n_chunk` (a multiple of NR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Split {
    pub(crate) m_chunk: usize,
    pub(crate) n_chunk: usize,
}

impl Split {
    /// For an m×nc block: MC-sized row chunks with 1 thread; with more, a number of row chunks
    /// that is a multiple of the thread count and at least 4 per thread where the rows allow
    /// (for balance), and column chunks too when there are fewer row chunks than threads.
    pub(crate) fn new(
        m: usize,
        nc: usize,
        mc: usize,
        mr: usize,
        nr: usize,
        threads: usize,
    ) -> Self {
        if threads <= 1 {
            return Split {
                m_chunk: mc,
                n_chunk: nc.max(1),
            };
        }
        // At least TASKS_PER_THREAD row chunks per thread (as long as chunks keep 4 MR-panels),
        // so that a thread slowed by other load delays the fork-join by a small task only.
        let min_rows = 4 * mr;
        let blocks = m
            .div_ceil(mc)
            .max((TASKS_PER_THREAD * threads).min(m.div_ceil(min_rows)))
            .next_multiple_of(threads);
        let m_chunk = m.div_ceil(blocks).next_multiple_of(mr).min(mc);
        let m_blocks = m.div_ceil(m_chunk);
        let n_blocks = if m_blocks >= threads {
            1
        } else {
            threads.div_ceil(m_blocks)
        };
        let n_chunk = nc.div_ceil(n_blocks).next_multiple_of(nr).max(nr);
        Split { m_chunk, n_chunk }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_and_nested_calls_get_their_own() {
        let first = with_buffer::<f64, _>(&PACK_A, 1000, |p| p as usize);
        let again = with_buffer::<f64, _>(&PACK_A, 500, |p| p as usize);
        assert_eq!(first, again, "a smaller request must reuse the buffer");
        with_buffer::<f64, _>(&PACK_A, 1000, |outer| {
            with_buffer::<f64, _>(&PACK_A, 1000, |inner| assert_ne!(outer, inner));
        });
        let aligned = with_buffer::<f32, _>(&PACK_B, 3, |p| p as usize);
        assert_eq!(aligned % 64, 0);
    }

    #[test]
    fn splits_cover_and_balance() {
        for (m, nc, threads) in [(1024, 1024, 2), (256, 256, 2), (7, 500, 2), (3000, 10, 4)] {
            let s = Split::new(m, nc, 256, 8, 6, threads);
            assert!(
                s.m_chunk.is_multiple_of(8) && s.m_chunk <= 256 && s.n_chunk.is_multiple_of(6),
                "{s:?}"
            );
            let tasks = m.div_ceil(s.m_chunk) * nc.div_ceil(s.n_chunk);
            assert!(tasks >= threads, "{m}×{nc}: {s:?} gives {tasks} tasks");
        }
        assert_eq!(Split::new(1024, 1024, 256, 8, 6, 1).m_chunk, 256);
    }
}
