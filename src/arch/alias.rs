//! Moves a reused vector away from 4 KiB aliasing with the output rows it is combined with.
//!
//! A load is first compared with the stores still in flight on the low 12 bits of its
//! address. When a kernel loads `v[k]` just after storing the output elements a few dozen
//! bytes before it, and the output sits those few bytes above `v` modulo 4 KiB, every load
//! waits for stores it does not depend on. Rows whose stride is a multiple of 4 KiB all
//! share that distance, so one unlucky placement slows every row: on vec(abᵀ) 8192×256 f32
//! (rows of 32 KiB) the output 16–64 bytes above `a` modulo 4 KiB ran at 0.72–0.91 of a
//! fill at 2 threads, 128 bytes or more above at 0.89–1.04 (Zen 3, one process, the same
//! buffers shifted, two passes); `ger` on 1024×1024 f32 with `A` 16 bytes above `x` or `y`
//! ran at 0.76–0.80 of a read+write pass. The heap hands out such placements: in the peer
//! bench, buffers allocated after the vectors landed 16–48 bytes above them. With the copy,
//! the same placements ran 1.06–1.17× faster (outer, 16–64 bytes) and 1.10–1.18× (`ger` at
//! 16 bytes, 1 and 2 threads, both layouts).
//!
//! Rows an odd multiple of 2 KiB apart alias every other time. On the model-167 guest outer
//! products with the output 16–80 bytes above `b` modulo 2 KiB ran at 0.84–0.95 of a fill
//! (256×512 f32) and 0.91–0.94 (256² f64) at 1 thread, against 0.96–0.99 from 128 bytes
//! up, and at 0.96–0.97 with the copy; in one process, copy against none, 1.12–1.17× at 1
//! thread and 1.08–1.12× at 2 (BENCHMARKS.md, "Rows 2 KiB apart").
//!
//! The remedy is a copy of `v` placed midway between two rows modulo 4 KiB (half a page away
//! for rows a multiple of 4 KiB apart), made only when rows alias and there are enough rows
//! to pay for it. `ger` also asks for the copy where `v` is off the rows' offset from a cache
//! line ([`moves`]). Threaded calls make one copy per thread ([`with_placed`]).

use std::cell::RefCell;
use std::mem::size_of;
use std::sync::atomic::{AtomicU64, Ordering};

use super::cast_slice;

/// Loads and stores are first matched on this many low address bits' worth of bytes.
const ALIAS_SPAN: usize = 4096;

/// Outputs this many bytes or fewer above `v` (modulo [`ALIAS_SPAN`]) are moved: the
/// measured slowdown ended between 64 and 128 bytes, and the kernels store up to four rows
/// between loads.
const ALIAS_WINDOW: usize = 256;

/// Rows that start closer than this modulo [`ALIAS_SPAN`] are not moved. Rows 1 KiB apart
/// (every fourth one aliasing) lost little: outer products on the model-167 guest at 1
/// thread, 16–80 bytes above `b` against 512 and more, 512×256 f32 0.95–0.97 of a fill
/// against 0.98–0.99, 256² f32 alike. At 2 threads, with a copy per thread, 256² f32 read
/// 1.13–1.17 of the 1-thread fill at 16 and 48 bytes against 1.20–1.27 far from `b`, in one
/// of two passes.
const MIN_ALIASED_SPACING: usize = 2048;

/// Fewest rows for which the copy (one pass over `v`) is made: at most 1/64 of the output.
const MIN_ROWS: usize = 64;

/// Bytes in a cache line: the SIMD kernels peel each output row to a vector boundary, and
/// a moved `v` goes to the rows' offset from one.
const LINE: usize = 64;

/// Whether `v` moves (to a copy midway between two output rows modulo 4 KiB,
/// [`between_rows`]): when `rows` rows `row_bytes` apart, the first at `out`, alias it
/// ([`aliases`]), and with `on_line` also when the rows all start at one offset from a cache
/// line and `v` starts at another: a kernel that peels each row to a vector boundary then
/// loads every vector of `v` across two lines. The copy lands on the rows' offset from a line.
///
/// Measured for `ger` on the model-167 guest, 1 thread, AVX2 kernels, `A` in L2 (256² f32,
/// harness): 106 GB/s of `A` read and written with `v` 16 bytes off the rows' offset, against
/// 112 with it on, whatever the offset from a page; the AVX-512 kernels ran at 107–108 either
/// way. See BENCHMARKS.md, "`ger` in L2 on the AVX2 kernels".
fn moves<T>(v: &[T], out: *const T, row_bytes: usize, rows: usize, on_line: bool) -> bool {
    let off_line = on_line
        && !v.is_empty()
        && size_of::<T>() != 0
        && rows >= MIN_ROWS
        && row_bytes.is_multiple_of(LINE)
        && !(out as usize)
            .wrapping_sub(v.as_ptr() as usize)
            .is_multiple_of(LINE);
    off_line || aliases(v, out, row_bytes, rows)
}

thread_local! {
    /// The buffers [`with_placed`] copies into, kept between calls: a `ger` in L2 on one
    /// thread copies its vector on every call, and the GEMM engine, whose rank-1 products
    /// run `ger`, allocates nothing per call once warm.
    static KEEP_F32: RefCell<Kept<f32>> = const { RefCell::new(Kept::new()) };
    static KEEP_F64: RefCell<Kept<f64>> = const { RefCell::new(Kept::new()) };
}

/// A buffer a thread keeps for [`with_placed`], and which copy it holds.
struct Kept<E> {
    buf: Vec<E>,
    /// The [call](new_call) whose copy `buf` holds, 0 for none or a lone call.
    call: u64,
    /// Where in `buf` the copy starts.
    start: usize,
}

impl<E> Kept<E> {
    const fn new() -> Self {
        Kept {
            buf: Vec::new(),
            call: 0,
            start: 0,
        }
    }
}

/// The last number [`new_call`] handed out, on cache lines of its own (128 bytes, for the
/// adjacent-line prefetcher). Unpadded, the linker put it on the line of
/// `THRESHOLDS_EVER_FORCED` and of rayon's registry pointer, which every thread reads on
/// every call and steal, so each call's increment sent that line to the caller's core.
static CALLS: Padded = Padded(AtomicU64::new(0));

/// A counter alone on two cache lines.
#[repr(align(128))]
struct Padded(AtomicU64);

/// A number, never 0 and never handed out before, under which the pieces of one threaded
/// call share their thread's copy ([`with_placed`]).
pub(crate) fn new_call() -> u64 {
    CALLS.0.fetch_add(1, Ordering::Relaxed) + 1
}

/// `f(v)`, or `f` of a copy of `v` where `v` [`moves`]: a copy made in a buffer this thread
/// keeps for `f32` and `f64`, so that repeated calls allocate nothing once it has grown;
/// other element types copy into a fresh one.
///
/// `call` 0 copies for this call of `f` alone. The pieces of a threaded call pass one number
/// from [`new_call`]: the first piece on each thread makes the copy and the others reuse it.
/// Each thread thus reads its own copy from its own cache; one copy shared by the threads had
/// the other core fetch every line of it on each call (model-167 guest, 2 threads: `ger`
/// on 512² f32 at 155–177 GB/s against 180–190 with `v` already in place, and outer
/// products on rows of 1 and 2 KiB at 0.96–1.32 of a 1-thread fill against 1.29–1.53
/// uncopied).
pub(crate) fn with_placed<T: Copy + 'static, R>(
    call: u64,
    v: &[T],
    out: *const T,
    (row_bytes, rows): (usize, usize),
    on_line: bool,
    f: impl FnOnce(&[T]) -> R,
) -> R {
    /// `f` on `v` (which moves) placed in `cell`'s buffer, or in a fresh one while `cell` is
    /// borrowed further up this thread's stack (never, today).
    fn kept<E: Copy + 'static, T: 'static, R>(
        cell: &RefCell<Kept<E>>,
        call: u64,
        v: &[E],
        out: *const E,
        row_bytes: usize,
        f: impl FnOnce(&[T]) -> R,
    ) -> R {
        fn as_t<E: 'static, T: 'static>(s: &[E]) -> &[T] {
            cast_slice::<E, T>(s).expect("E is T")
        }
        let Ok(mut keep) = cell.try_borrow_mut() else {
            return in_fresh(v, out, row_bytes, |copy| f(as_t(copy)));
        };
        if call == 0 || keep.call != call {
            keep.start = between_rows(v, out, row_bytes, &mut keep.buf);
            keep.call = call;
        }
        debug_assert_eq!(keep.buf.len(), keep.start + v.len());
        f(as_t(&keep.buf[keep.start..]))
    }
    if !moves(v, out, row_bytes, rows, on_line) {
        return f(v);
    }
    if let Some(v) = cast_slice::<T, f32>(v) {
        return KEEP_F32.with(|cell| kept(cell, call, v, out.cast(), row_bytes, f));
    }
    if let Some(v) = cast_slice::<T, f64>(v) {
        return KEEP_F64.with(|cell| kept(cell, call, v, out.cast(), row_bytes, f));
    }
    in_fresh(v, out, row_bytes, f)
}

/// `f` on a copy of `v` placed by [`between_rows`] in a buffer of its own.
fn in_fresh<T: Copy, R>(v: &[T], out: *const T, row_bytes: usize, f: impl FnOnce(&[T]) -> R) -> R {
    let mut fresh = Vec::new();
    let start = between_rows(v, out, row_bytes, &mut fresh);
    f(&fresh[start..])
}

/// Whether `rows` output rows `row_bytes` apart, the first at `out`, alias `v`: at least
/// [`MIN_ROWS`] of them, starting every [`row_spacing`] bytes modulo [`ALIAS_SPAN`], at
/// least [`MIN_ALIASED_SPACING`] apart, with `out` within [`ALIAS_WINDOW`] bytes above `v`
/// modulo that spacing. Every row aliases when the rows are a multiple of 4 KiB apart, every
/// other one when they are an odd multiple of 2 KiB apart.
fn aliases<T>(v: &[T], out: *const T, row_bytes: usize, rows: usize) -> bool {
    if v.is_empty() || size_of::<T>() == 0 {
        return false;
    }
    let spacing = row_spacing(row_bytes);
    if rows < MIN_ROWS || spacing < MIN_ALIASED_SPACING {
        return false;
    }
    let above = (out as usize).wrapping_sub(v.as_ptr() as usize) % spacing;
    above != 0 && above <= ALIAS_WINDOW
}

/// Rows `row_bytes` apart start every this many bytes modulo [`ALIAS_SPAN`]: the largest
/// power of two that divides `row_bytes`, at most the span.
fn row_spacing(row_bytes: usize) -> usize {
    if row_bytes == 0 {
        ALIAS_SPAN
    } else {
        (1 << row_bytes.trailing_zeros()).min(ALIAS_SPAN)
    }
}

/// Copies `v` (not empty, of a sized element type) into `keep` and returns where the copy
/// starts: on `out`'s offset from a line and midway between two rows modulo 4 KiB. Rows
/// `row_bytes` apart start every `g` bytes modulo 4 KiB ([`row_spacing`]), and the copy goes
/// `g / 2` below `out` (half a page for rows a multiple of 4 KiB apart).
/// (On rows of 1 and 2 KiB, `ger` at 256² f32 and 512×256 f32 row-major ran at 107–110
/// GB/s with the copy half a page below, where every other or every fourth row starts on
/// the copy's offset in the page, against 111–113 with it elsewhere.)
fn between_rows<T: Copy>(v: &[T], out: *const T, row_bytes: usize, keep: &mut Vec<T>) -> usize {
    let size = size_of::<T>();
    debug_assert!(!v.is_empty() && size != 0);
    let first = v[0];
    let below = row_spacing(row_bytes).max(2 * LINE) / 2;
    // Room for any shift within a page, then a start that puts the output `below` bytes above
    // (measured from the allocation's start, so `keep` must hold nothing before the copy).
    keep.clear();
    keep.reserve_exact(v.len() + ALIAS_SPAN / size + 1);
    let start = keep.as_ptr() as usize;
    let shift = (out as usize).wrapping_sub(start).wrapping_sub(below) % ALIAS_SPAN;
    let pad = shift / size;
    keep.extend(std::iter::repeat_n(first, pad));
    keep.extend_from_slice(v);
    pad
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `v`, or its copy in `keep` where it [`moves`].
    fn placed<'v, T: Copy>(
        v: &'v [T],
        out: *const T,
        row_bytes: usize,
        rows: usize,
        on_line: bool,
        keep: &'v mut Vec<T>,
    ) -> &'v [T] {
        if moves(v, out, row_bytes, rows, on_line) {
            let start = between_rows(v, out, row_bytes, keep);
            &keep[start..]
        } else {
            v
        }
    }

    fn distance<T>(out: *const T, v: &[T]) -> usize {
        (out as usize).wrapping_sub(v.as_ptr() as usize) % ALIAS_SPAN
    }

    #[test]
    fn copies_only_when_every_row_aliases() {
        let buf = vec![0f32; 2048 + 64 * 1024 + 1024];
        let v: Vec<f32> = (0..1024).map(|i| i as f32).collect();
        // Place the "output" 16 bytes above v modulo 4 KiB, inside buf.
        let base = buf.as_ptr() as usize;
        let want = (v.as_ptr() as usize + 16) % ALIAS_SPAN;
        let skip = (want + ALIAS_SPAN - base % ALIAS_SPAN) % ALIAS_SPAN / 4;
        let out = buf[skip..].as_ptr();
        assert_eq!(distance(out, &v), 16);

        let mut keep = Vec::new();
        let got = placed(&v, out, 4096, 64, false, &mut keep);
        assert_eq!(got, &v[..]);
        assert_ne!(got.as_ptr(), v.as_ptr());
        assert_eq!(distance(out, got), ALIAS_SPAN / 2);

        // Too few rows, rows that do not share the distance, or a distance outside the window.
        for (row_bytes, rows) in [(4096, 63), (4100, 64)] {
            let mut keep = Vec::new();
            assert_eq!(
                placed(&v, out, row_bytes, rows, false, &mut keep).as_ptr(),
                v.as_ptr()
            );
        }
        let far = buf[skip + 128..].as_ptr();
        assert_eq!(distance(far, &v), 16 + 512);
        let mut keep = Vec::new();
        assert_eq!(
            placed(&v, far, 4096, 64, false, &mut keep).as_ptr(),
            v.as_ptr()
        );
        let empty: [f32; 0] = [];
        assert!(placed(&empty, out, 4096, 64, false, &mut keep).is_empty());

        // Rows 2 KiB apart alias within 256 bytes above v modulo 2 KiB; rows 1 KiB apart are
        // not moved.
        for (row_bytes, above, moved) in [
            (2048, 16, true),
            (2048, 2048 + 16, true),
            (2048, 512, false),
            (1024, 16, false),
            (1024, 1024 + 16, false),
            (8192 + 2048, 16, true),
        ] {
            let out = buf[skip + (above - 16) / 4..].as_ptr();
            assert_eq!(distance(out, &v), above % ALIAS_SPAN);
            let mut keep = Vec::new();
            let got = placed(&v, out, row_bytes, 64, false, &mut keep);
            assert_eq!(got, &v[..]);
            assert_eq!(got.as_ptr() != v.as_ptr(), moved, "{row_bytes} {above}");
            if moved {
                let spacing = row_spacing(row_bytes);
                assert_eq!(distance(out, got) % spacing, spacing / 2, "{row_bytes}");
            }
        }
    }

    #[test]
    fn pieces_of_one_call_share_their_threads_copy() {
        let buf = vec![0f64; 8 * 1024];
        let v: Vec<f64> = (0..512).map(f64::from).collect();
        let base = buf.as_ptr() as usize;
        let want = (v.as_ptr() as usize + 16) % ALIAS_SPAN;
        let out = buf[(want + ALIAS_SPAN - base % ALIAS_SPAN) % ALIAS_SPAN / 8..].as_ptr();
        let how = (4096, 64);
        let held = || KEEP_F64.with(|k| k.borrow().call);
        let copy = |call| {
            with_placed(call, &v, out, how, false, |got| {
                assert_eq!(got, &v[..]);
                assert_eq!(distance(out, got), ALIAS_SPAN / 2);
                got.as_ptr() as usize
            })
        };
        // The first piece of a call copies into the kept buffer; the next one reuses it.
        let call = new_call();
        let at = copy(call);
        assert_eq!(held(), call);
        KEEP_F64.with(|k| {
            let mut k = k.borrow_mut();
            let start = k.start;
            k.buf[start] = -1.0;
        });
        let reused = with_placed(call, &v, out, how, false, |got| got[0]);
        assert_eq!(reused, -1.0, "the second piece reads the first one's copy");
        // Another call, or a lone one (0), copies again, and then the first call's pieces do.
        let other = new_call();
        assert!(other > call);
        assert_eq!(copy(other), at);
        assert_eq!(held(), other);
        assert_eq!(copy(0), at);
        assert_eq!(held(), 0);
        assert_eq!(copy(call), at);
        assert_eq!(held(), call);
        // A vector that needs no copy is passed through and leaves the record alone.
        let far = buf[1024..].as_ptr();
        with_placed(new_call(), &v, far, how, false, |got| {
            assert_eq!(got.as_ptr(), v.as_ptr())
        });
        assert_eq!(held(), call);
        // f32 keeps its own buffer and record.
        let v32: Vec<f32> = (0..512).map(|i| i as f32).collect();
        let out32 = buf[1..].as_ptr().cast::<f32>();
        with_placed(new_call(), &v32, out32, how, true, |got| {
            assert_eq!(got, &v32[..])
        });
        assert_eq!(held(), call);
    }

    #[test]
    fn on_line_copies_a_vector_off_the_rows_offset_from_a_line() {
        let buf = vec![0f32; 64 * 256 + 64];
        let v: Vec<f32> = (0..256).map(|i| i as f32).collect();
        // Outputs 16 bytes past v's offset from a line, and on it (never dereferenced).
        let base = buf.as_ptr() as usize;
        let skip =
            |gap: usize| ((v.as_ptr() as usize + gap) % LINE + LINE - base % LINE) % LINE / 4;
        let (off, on) = (buf[skip(16)..].as_ptr(), buf[skip(0)..].as_ptr());
        let line =
            |out: *const f32, v: &[f32]| (out as usize).wrapping_sub(v.as_ptr() as usize) % LINE;
        assert_eq!((line(off, &v), line(on, &v)), (16, 0));

        let mut keep = Vec::new();
        let got = placed(&v, off, 1024, 64, true, &mut keep);
        assert_eq!(got, &v[..]);
        assert_ne!(got.as_ptr(), v.as_ptr());
        assert_eq!(line(off, got), 0);
        // Rows 1 KiB apart start every 1 KiB modulo 4 KiB: the copy goes midway, 512 below.
        assert_eq!(distance(off, got), 512);
        // Midway for rows 2 KiB and 8 KiB apart; a line below for rows 1088 bytes apart
        // (every line modulo 4 KiB starts some row).
        for (row_bytes, below) in [(2048, 1024), (8192, 2048), (1088, 64)] {
            let mut keep = Vec::new();
            let got = placed(&v, off, row_bytes, 64, true, &mut keep);
            assert_eq!(got, &v[..]);
            assert_eq!(distance(off, got), below, "{row_bytes}");
        }

        // Already on the line, not asked to, too few rows, or rows that do not share their
        // offset from a line (1000 bytes apart): v stays.
        for (out, row_bytes, rows, on_line) in [
            (on, 1024, 64, true),
            (off, 1024, 64, false),
            (off, 1024, 63, true),
            (off, 1000, 64, true),
        ] {
            let mut keep = Vec::new();
            let got = placed(&v, out, row_bytes, rows, on_line, &mut keep);
            assert_eq!(got.as_ptr(), v.as_ptr(), "{row_bytes} {rows} {on_line}");
        }
        let empty: [f32; 0] = [];
        assert!(placed(&empty, off, 1024, 64, true, &mut keep).is_empty());
    }

    #[test]
    fn f64_copy_lands_half_a_page_away() {
        let v: Vec<f64> = (0..512).map(f64::from).collect();
        let out = (v.as_ptr() as usize + 8) as *const f64; // never dereferenced
        let mut keep = Vec::new();
        let got = placed(&v, out, 8 * 512, 100, false, &mut keep);
        assert_eq!(got, &v[..]);
        assert_eq!(distance(out, got), ALIAS_SPAN / 2);
        // A scratch vector that already holds elements is emptied first.
        let mut used = vec![7.0; 3];
        let got = placed(&v, out, 8 * 512, 100, false, &mut used);
        assert_eq!(got, &v[..]);
        assert_eq!(distance(out, got), ALIAS_SPAN / 2);
    }
}
