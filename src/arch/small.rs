//! Outer products small enough (at most [`SMALL_MAX_BYTES`](super::SMALL_MAX_BYTES) of
//! output) to finish before the kernel dispatch would: safe loops, chosen by row length, that
//! the compiler vectorises for the baseline target (SSE2 on x86_64, NEON on aarch64).
//!
//! A row of at most [`PIECES_MAX`] elements is written as a few fixed pieces of [`PIECE`]
//! elements whose values of `b` are loaded once per call: per row that is one broadcast and a
//! multiply and store per piece, with no inner loop. The naive double loop instead runs the
//! vectoriser's inner loop, with its length checks, on every row, and splits the output with a
//! division. An 8×8 f32 `outer_into` is 158 instructions this way against 221 for the naive
//! loop (callgrind); in the peer bench (`outer --cases 8×8`, 1 thread, three runs) it wrote
//! 22.3–30.1 GB/s against 20.4–21.4 for the naive loop, where the previous small path, that
//! same loop behind the call's checks, had run at 0.58–0.98 of it in the six full runs of
//! 2026-12-02.
//!
//! Every element is the one product `a[i]·b[j]`, so results are those of every other path.

use crate::scalar::Scalar;

/// Elements per piece of a short row.
const PIECE: usize = 4;

/// Rows up to this many elements are written as pieces.
pub(crate) const PIECES_MAX: usize = 4 * PIECE;

/// `out[i·n + j] = a[i]·b[j]` with `out.len() == a.len()·b.len()`, on the calling thread.
///
/// The choice of loop is inlined into the caller and each loop is a function of its own, so
/// that each sets up only the registers it uses.
#[inline]
pub(crate) fn outer<T: Scalar>(out: &mut [T], a: &[T], b: &[T]) {
    debug_assert_eq!(out.len(), a.len() * b.len());
    match b.len() {
        0 => {}
        // One column: the output is `a` scaled, one flat loop.
        1 => column(out, a, b[0]),
        2 => exact::<T, 2>(out, a, b),
        3 => exact::<T, 3>(out, a, b),
        4 => pieces::<T, 1>(out, a, b),
        5..=8 => pieces::<T, 2>(out, a, b),
        9..=12 => pieces::<T, 3>(out, a, b),
        13..=PIECES_MAX => pieces::<T, 4>(out, a, b),
        _ => rows(out, a, b),
    }
}

/// The flat range `first .. first + out.len()` of the row-major product `a bᵀ`: a partial
/// first row, whole rows by [`outer`], a partial last row.
pub(crate) fn outer_range<T: Scalar>(out: &mut [T], first: usize, a: &[T], b: &[T]) {
    let n = b.len();
    debug_assert!(n > 0 && first + out.len() <= a.len() * n);
    let (mut i, j0) = (first / n, first % n);
    let mut rest = out;
    if j0 != 0 {
        let (head, tail) = rest.split_at_mut((n - j0).min(rest.len()));
        for (o, &y) in head.iter_mut().zip(&b[j0..]) {
            *o = a[i] * y;
        }
        (rest, i) = (tail, i + 1);
    }
    let full = rest.len() / n;
    let (body, tail) = rest.split_at_mut(full * n);
    outer(body, &a[i..i + full], b);
    for (o, &y) in tail.iter_mut().zip(b) {
        *o = a[i + full] * y;
    }
}

/// One column: `out = a·y`.
#[inline(never)]
fn column<T: Scalar>(out: &mut [T], a: &[T], y: T) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = x * y;
    }
}

/// Rows of exactly `N` elements.
#[inline(never)]
fn exact<T: Scalar, const N: usize>(out: &mut [T], a: &[T], b: &[T]) {
    let Ok(b) = <[T; N]>::try_from(b) else {
        unreachable!("outer dispatched {} columns to exact::<{N}>", b.len())
    };
    for (row, &x) in out.chunks_exact_mut(N).zip(a) {
        let row: &mut [T; N] = row.try_into().expect("chunks of N");
        *row = b.map(|y| x * y);
    }
}

/// Rows of `n` elements, `PIECE·(V − 1) < n ≤ PIECE·V`, each written as `V` pieces.
///
/// Piece `k` starts at `min(PIECE·k, n − PIECE)`, so the last piece ends at the end of the row
/// and overlaps its neighbour when `n` is not a multiple of `PIECE`; the overlapped elements
/// are written twice with the same product.
#[inline(never)]
fn pieces<T: Scalar, const V: usize>(out: &mut [T], a: &[T], b: &[T]) {
    let n = b.len();
    debug_assert!(PIECE * (V - 1) < n && n <= PIECE * V);
    let starts: [usize; V] = std::array::from_fn(|k| (PIECE * k).min(n - PIECE));
    let values: [[T; PIECE]; V] =
        starts.map(|s| b[s..s + PIECE].try_into().expect("a piece lies inside b"));
    let mut rest = out;
    for &x in a {
        // Split off one row at a time: `chunks_exact_mut(n)` would divide to count them.
        let (row, tail) = rest.split_at_mut(n);
        rest = tail;
        for (&s, v) in starts.iter().zip(&values) {
            let piece: &mut [T; PIECE] = (&mut row[s..s + PIECE])
                .try_into()
                .expect("a piece lies inside the row");
            *piece = v.map(|y| x * y);
        }
    }
}

/// Rows longer than [`PIECES_MAX`]: the plain double loop, without the division.
#[inline(never)]
fn rows<T: Scalar>(out: &mut [T], a: &[T], b: &[T]) {
    let n = b.len();
    let mut rest = out;
    for &x in a {
        let (row, tail) = rest.split_at_mut(n);
        rest = tail;
        for (o, &y) in row.iter_mut().zip(b) {
            *o = x * y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    /// Every row length of every variant and its neighbours, against the reference, with
    /// values whose products are distinct so that a misplaced piece shows.
    fn check<T: Scalar + std::fmt::Debug>(of: impl Fn(i32) -> T) {
        for m in [0, 1, 2, 3, 5, 8] {
            for n in 0..=PIECES_MAX + 3 {
                let a: Vec<T> = (0..m as i32).map(|i| of(3 + 2 * i)).collect();
                let b: Vec<T> = (0..n as i32).map(|j| of(1000 + 7 * j)).collect();
                let mut out = vec![of(-1); m * n];
                outer(&mut out, &a, &b);
                assert_eq!(out, reference::outer(&a, &b).as_slice(), "{m}×{n}");
            }
        }
    }

    #[test]
    fn every_range_of_short_rows_matches_the_reference() {
        let a: Vec<i64> = (0..7).map(|i| 3 + 2 * i).collect();
        for n in 1..=PIECES_MAX {
            let b: Vec<i64> = (0..n as i64).map(|j| 1000 + 7 * j).collect();
            let want = reference::outer(&a, &b);
            let total = a.len() * n;
            for first in 0..total {
                for len in 0..=total - first {
                    let mut out = vec![-1; len];
                    outer_range(&mut out, first, &a, &b);
                    assert_eq!(
                        out,
                        &want.as_slice()[first..first + len],
                        "n {n} {first}+{len}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_row_length_matches_the_reference() {
        check::<i64>(i64::from);
        check::<f32>(|v| v as f32);
        check::<f64>(f64::from);
    }
}
