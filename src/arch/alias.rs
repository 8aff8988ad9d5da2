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
//! The remedy is a copy of `v` placed half a page away, made only when every row aliases and
//! there are enough rows to pay for it. `ger` also asks for the copy where `v` is off the
//! rows' offset from a cache line ([`placed`]).

use std::cell::RefCell;
use std::mem::size_of;

use super::cast_slice;

/// Loads and stores are first matched on this many low address bits' worth of bytes.
const ALIAS_SPAN: usize = 4096;

/// Outputs this many bytes or fewer above `v` (modulo [`ALIAS_SPAN`]) are moved: the
/// measured slowdown ended between 64 and 128 bytes, and the kernels store up to four rows
/// between loads.
const ALIAS_WINDOW: usize = 256;

/// Fewest rows for which the copy (one pass over `v`) is made: at most 1/64 of the output.
const MIN_ROWS: usize = 64;

/// Bytes in a cache line: the SIMD kernels peel each output row to a vector boundary, and
/// [`placed`] puts `v` at the rows' offset from one.
const LINE: usize = 64;

/// `v`, or a copy of it in `keep` half a page away from the output rows modulo 4 KiB, when
/// `rows` rows of output `row_bytes` apart, the first at address `out`, would all alias it.
/// The copy holds the same values, so results do not change.
pub(crate) fn dealiased<'v, T: Copy>(
    v: &'v [T],
    out: *const T,
    row_bytes: usize,
    rows: usize,
    keep: &'v mut Vec<T>,
) -> &'v [T] {
    placed(v, out, row_bytes, rows, false, keep)
}

/// [`dealiased`], and with `on_line` the same copy also when the rows all start at one
/// offset from a cache line and `v` starts at another: a kernel that peels each row to a
/// vector boundary then loads every vector of `v` across two lines. The copy lands on the
/// rows' offset from a line, midway between two rows modulo 4 KiB ([`between_rows`]).
///
/// Measured for `ger` on the model-167 guest, 1 thread, AVX2 kernels, `A` in L2 (256² f32,
/// harness): 106 GB/s of `A` read and written with `v` 16 bytes off the rows' offset, against
/// 112 with it on, whatever the offset from a page; the AVX-512 kernels ran at 107–108 either
/// way. See BENCHMARKS.md, "`ger` in L2 on the AVX2 kernels".
fn placed<'v, T: Copy>(
    v: &'v [T],
    out: *const T,
    row_bytes: usize,
    rows: usize,
    on_line: bool,
    keep: &'v mut Vec<T>,
) -> &'v [T] {
    let off_line = on_line
        && !v.is_empty()
        && size_of::<T>() != 0
        && rows >= MIN_ROWS
        && row_bytes.is_multiple_of(LINE)
        && !(out as usize)
            .wrapping_sub(v.as_ptr() as usize)
            .is_multiple_of(LINE);
    if off_line || aliases(v, out, row_bytes, rows) {
        between_rows(v, out, row_bytes, keep)
    } else {
        v
    }
}

thread_local! {
    /// The buffers [`with_placed`] copies into, kept between calls: a `ger` in L2 on one
    /// thread copies its vector on every call, and the GEMM engine, whose rank-1 products
    /// run `ger`, allocates nothing per call once warm.
    static KEEP_F32: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static KEEP_F64: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// `f(v)` with `v` [`placed`] on the rows' line (`on_line`), a copy made in a buffer this
/// thread keeps for `f32` and `f64`, so that repeated calls allocate nothing once it has
/// grown; other element types copy into a fresh one.
pub(crate) fn with_placed<T: Copy + 'static, R>(
    v: &[T],
    out: *const T,
    (row_bytes, rows): (usize, usize),
    f: impl FnOnce(&[T]) -> R,
) -> R {
    /// `f` on `v` placed in `cell`'s buffer, or in a fresh one while `cell` is borrowed
    /// further up this thread's stack (never, today).
    fn kept<E: Copy + 'static, T: 'static, R>(
        cell: &RefCell<Vec<E>>,
        v: &[E],
        out: *const E,
        (row_bytes, rows): (usize, usize),
        f: impl FnOnce(&[T]) -> R,
    ) -> R {
        let (mut held, mut fresh) = (cell.try_borrow_mut(), Vec::new());
        let keep = match held.as_deref_mut() {
            Ok(keep) => keep,
            Err(_) => &mut fresh,
        };
        let got = placed(v, out, row_bytes, rows, true, keep);
        f(cast_slice::<E, T>(got).expect("E is T"))
    }
    if let Some(v) = cast_slice::<T, f32>(v) {
        return KEEP_F32.with(|cell| kept(cell, v, out.cast(), (row_bytes, rows), f));
    }
    if let Some(v) = cast_slice::<T, f64>(v) {
        return KEEP_F64.with(|cell| kept(cell, v, out.cast(), (row_bytes, rows), f));
    }
    f(placed(v, out, row_bytes, rows, true, &mut Vec::new()))
}

/// Whether `rows` output rows `row_bytes` apart, the first at `out`, all alias `v`: at least
/// [`MIN_ROWS`] of them, a multiple of [`ALIAS_SPAN`] apart, and the first within
/// [`ALIAS_WINDOW`] bytes above `v` modulo that span.
fn aliases<T>(v: &[T], out: *const T, row_bytes: usize, rows: usize) -> bool {
    if v.is_empty() || size_of::<T>() == 0 {
        return false;
    }
    if rows < MIN_ROWS || !row_bytes.is_multiple_of(ALIAS_SPAN) {
        return false;
    }
    let above = (out as usize).wrapping_sub(v.as_ptr() as usize) % ALIAS_SPAN;
    above != 0 && above <= ALIAS_WINDOW
}

/// A copy of `v` (not empty, of a sized element type) in `keep`, on `out`'s offset from a
/// line and midway between two rows modulo 4 KiB: rows `row_bytes` apart start every `g`
/// bytes modulo 4 KiB, `g` the largest power of two (up to 4 KiB) that divides `row_bytes`,
/// and the copy goes `g / 2` below `out` (half a page for rows a multiple of 4 KiB apart).
/// (On rows of 1 and 2 KiB, `ger` at 256² f32 and 512×256 f32 row-major ran at 107–110
/// GB/s with the copy half a page below, where every other or every fourth row starts on
/// the copy's offset in the page, against 111–113 with it elsewhere.)
fn between_rows<'v, T: Copy>(
    v: &[T],
    out: *const T,
    row_bytes: usize,
    keep: &'v mut Vec<T>,
) -> &'v [T] {
    let size = size_of::<T>();
    debug_assert!(!v.is_empty() && size != 0);
    let first = v[0];
    let spacing = if row_bytes == 0 {
        ALIAS_SPAN
    } else {
        (1 << row_bytes.trailing_zeros()).min(ALIAS_SPAN)
    };
    let below = spacing.max(2 * LINE) / 2;
    // Room for any shift within a page, then a start that puts the output `below` bytes above
    // (measured from the allocation's start, so `keep` must hold nothing before the copy).
    keep.clear();
    keep.reserve_exact(v.len() + ALIAS_SPAN / size + 1);
    let start = keep.as_ptr() as usize;
    let shift = (out as usize).wrapping_sub(start).wrapping_sub(below) % ALIAS_SPAN;
    let pad = shift / size;
    keep.extend(std::iter::repeat_n(first, pad));
    keep.extend_from_slice(v);
    &keep[pad..]
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let got = dealiased(&v, out, 4096, 64, &mut keep);
        assert_eq!(got, &v[..]);
        assert_ne!(got.as_ptr(), v.as_ptr());
        assert_eq!(distance(out, got), ALIAS_SPAN / 2);

        // Too few rows, rows that do not share the distance, or a distance outside the window.
        for (row_bytes, rows) in [(4096, 63), (4100, 64)] {
            let mut keep = Vec::new();
            assert_eq!(
                dealiased(&v, out, row_bytes, rows, &mut keep).as_ptr(),
                v.as_ptr()
            );
        }
        let far = buf[skip + 128..].as_ptr();
        assert_eq!(distance(far, &v), 16 + 512);
        let mut keep = Vec::new();
        assert_eq!(dealiased(&v, far, 4096, 64, &mut keep).as_ptr(), v.as_ptr());
        let empty: [f32; 0] = [];
        assert!(dealiased(&empty, out, 4096, 64, &mut keep).is_empty());
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
        let got = dealiased(&v, out, 8 * 512, 100, &mut keep);
        assert_eq!(got, &v[..]);
        assert_eq!(distance(out, got), ALIAS_SPAN / 2);
        // A scratch vector that already holds elements is emptied first.
        let mut used = vec![7.0; 3];
        let got = dealiased(&v, out, 8 * 512, 100, &mut used);
        assert_eq!(got, &v[..]);
        assert_eq!(distance(out, got), ALIAS_SPAN / 2);
    }
}
