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
//! there are enough rows to pay for it.

use std::mem::size_of;

/// Loads and stores are first matched on this many low address bits' worth of bytes.
const ALIAS_SPAN: usize = 4096;

/// Outputs this many bytes or fewer above `v` (modulo [`ALIAS_SPAN`]) are moved: the
/// measured slowdown ended between 64 and 128 bytes, and the kernels store up to four rows
/// between loads.
const ALIAS_WINDOW: usize = 256;

/// Fewest rows for which the copy (one pass over `v`) is made: at most 1/64 of the output.
const MIN_ROWS: usize = 64;

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
    let Some(&first) = v.first() else { return v };
    let size = size_of::<T>();
    if size == 0 || rows < MIN_ROWS || !row_bytes.is_multiple_of(ALIAS_SPAN) {
        return v;
    }
    let above = (out as usize).wrapping_sub(v.as_ptr() as usize) % ALIAS_SPAN;
    if above == 0 || above > ALIAS_WINDOW {
        return v;
    }
    // Room for any shift within a page, then a start that puts the output half a page above
    // (measured from the allocation's start, so `keep` must hold nothing before the copy).
    keep.clear();
    keep.reserve_exact(v.len() + ALIAS_SPAN / size + 1);
    let start = keep.as_ptr() as usize;
    let shift = (out as usize)
        .wrapping_sub(start)
        .wrapping_sub(ALIAS_SPAN / 2)
        % ALIAS_SPAN;
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
