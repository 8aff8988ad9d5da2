//! Every kernel path, store kind and thread count of outer and ger against the reference loops,
//! bit for bit.
//!
//! Each element of an outer product is one rounded product and each element of a rank-1
//! update is `a + x·(α·y)` with three roundings and no FMA on any path, so exact equality with
//! `outerprod::reference` is the right test, not a tolerance. NaNs compare as "both NaN" since
//! x86 and LLVM do not fix which operand's payload a product of two NaNs keeps.

// The thread-count checks need rayon's pools (a default feature); without it this suite is off.
#![cfg(feature = "rayon")]

use std::num::Wrapping;

use outerprod::testing::{
    default_thresholds, with_kernel_path, with_thresholds, KernelPath, L2Kernels, LongRowWrite,
    SpreadWrite, Stores, Thresholds,
};
use outerprod::{
    ger, kron_mat, kron_mat_into, outer_into, outer_into_layout, reference, Layout, MatMut, MatRef,
    VecRef,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The column block of the outer and ger drivers: half of a 32 KiB L1d, in elements.
/// Sizes below straddle it (±1) for both element types; on CPUs reporting another L1d size
/// the test still checks correctness, only the edge moves.
const BLOCK_BYTES: usize = 16 * 1024;

fn paths() -> Vec<KernelPath> {
    KernelPath::ALL
        .into_iter()
        .filter(|p| p.is_available())
        .collect()
}

/// Thresholds that force the streaming-store code and/or the threaded code on any size, and
/// the outer driver's four rows a quarter apart (`spread`) or adjacent.
fn forced(stores: Stores, threaded: bool, spread: bool) -> Thresholds {
    let d = default_thresholds();
    Thresholds {
        streaming_min_bytes: if stores == Stores::NonTemporal {
            0
        } else {
            usize::MAX
        },
        parallel_min_bytes: if threaded { 0 } else { d.parallel_min_bytes },
        cold_parallel_min_bytes: if threaded {
            0
        } else {
            d.cold_parallel_min_bytes
        },
        // Every shape, however small, goes through the kernel under test.
        small_max_bytes: 0,
        spread_min_bytes: if spread { 0 } else { usize::MAX },
        spread_write: d.spread_write,
        l2_kernels: d.l2_kernels,
        long_row_write: d.long_row_write,
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

trait Bits: Copy + std::fmt::Debug {
    fn same(self, other: Self) -> bool;
}
impl Bits for f32 {
    fn same(self, o: Self) -> bool {
        self.to_bits() == o.to_bits() || (self.is_nan() && o.is_nan())
    }
}
impl Bits for f64 {
    fn same(self, o: Self) -> bool {
        self.to_bits() == o.to_bits() || (self.is_nan() && o.is_nan())
    }
}
impl Bits for i64 {
    fn same(self, o: Self) -> bool {
        self == o
    }
}
impl Bits for Wrapping<u8> {
    fn same(self, o: Self) -> bool {
        self == o
    }
}

#[track_caller]
fn assert_bitwise<T: Bits>(got: &[T], want: &[T], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(k) = (0..got.len()).find(|&k| !got[k].same(want[k])) {
        panic!(
            "{what}: element {k} differs: got {:?}, want {:?}",
            got[k], want[k]
        );
    }
}

trait Sample: outerprod::Scalar + Bits {
    fn sample(rng: &mut StdRng) -> Self;
}
impl Sample for f32 {
    fn sample(rng: &mut StdRng) -> Self {
        // Mixed exponents so products round in many different ways.
        let m: f32 = rng.random_range(-1.0..1.0);
        m * 2f32.powi(rng.random_range(-20..20))
    }
}
impl Sample for f64 {
    fn sample(rng: &mut StdRng) -> Self {
        let m: f64 = rng.random_range(-1.0..1.0);
        m * 2f64.powi(rng.random_range(-60..60))
    }
}
impl Sample for i64 {
    fn sample(rng: &mut StdRng) -> Self {
        rng.random_range(-1000..1000)
    }
}
impl Sample for Wrapping<u8> {
    fn sample(rng: &mut StdRng) -> Self {
        Wrapping(rng.random())
    }
}

fn vector<T: Sample>(rng: &mut StdRng, n: usize) -> Vec<T> {
    (0..n).map(|_| T::sample(rng)).collect()
}

fn edge_sizes<T>() -> Vec<usize> {
    let block = BLOCK_BYTES / std::mem::size_of::<T>();
    vec![
        0,
        1,
        2,
        3,
        4,
        5,
        7,
        8,
        9,
        // 12 and 24: three vectors of f64 and of f32, for the four-row kernel's two-vector
        // loop followed by one single vector.
        12,
        15,
        16,
        17,
        24,
        31,
        32,
        33,
        65,
        // Whole-vector rows longer than 512 bytes: the four-row kernel up to the block.
        256,
        1024,
        block - 1,
        block,
        block + 1,
        // Longer whole-vector rows: column blocks, four rows at a time with the row stride.
        block + 64,
        2 * block,
    ]
}

// ------------------------------------------------------------------------------------------
// outer
// ------------------------------------------------------------------------------------------

/// Runs `outer_into` on `m × n` for every path, store kind and 1/2 threads, on an output that
/// starts `skew` elements into its buffer (so streaming stores meet every alignment), and
/// compares with the reference; also the column-major layout against the transposed reference.
fn check_outer<T: Sample>(rng: &mut StdRng, m: usize, n: usize, skew: usize) {
    let a: Vec<T> = vector(rng, m);
    let b: Vec<T> = vector(rng, n);
    let want = reference::outer(&a, &b);
    let want_t = reference::outer(&b, &a);
    // The spread walk both ways (the default depends on the CPU vendor).
    let plans = [
        (Stores::Normal, false, SpreadWrite::FourRows),
        (Stores::Normal, true, SpreadWrite::FourRows),
        (Stores::Normal, true, SpreadWrite::RowByRow),
        (Stores::NonTemporal, false, SpreadWrite::FourRows),
    ];
    for path in paths() {
        for (stores, spread, write) in plans {
            for threads in [1, 2] {
                let what = format!(
                    "outer {m}×{n} {path:?} {stores:?} spread {spread} {write:?} {threads}t \
                     skew {skew}"
                );
                let thresholds = Thresholds {
                    spread_write: write,
                    ..forced(stores, threads > 1, spread)
                };
                let mut buf = vec![T::zero(); m * n + skew];
                pool(threads).install(|| {
                    with_thresholds(thresholds, || {
                        with_kernel_path(path, || {
                            outer_into(&mut buf[skew..], &a, &b).unwrap();
                        })
                    })
                });
                assert_bitwise(&buf[skew..], want.as_slice(), &what);
                assert!(
                    buf[..skew].iter().all(|v| *v == T::zero()),
                    "{what}: wrote before out"
                );
                pool(threads).install(|| {
                    with_thresholds(thresholds, || {
                        with_kernel_path(path, || {
                            outer_into_layout(&mut buf[skew..], &a, &b, Layout::ColMajor).unwrap();
                        })
                    })
                });
                assert_bitwise(
                    &buf[skew..],
                    want_t.as_slice(),
                    &format!("{what} col-major"),
                );
            }
        }
    }
    // Default thresholds: shapes of at most `small_max_bytes` take the plain loop.
    let mut buf = vec![T::zero(); m * n];
    outer_into(&mut buf, &a, &b).unwrap();
    assert_bitwise(&buf, want.as_slice(), &format!("outer {m}×{n} default"));
    outer_into_layout(&mut buf, &a, &b, Layout::ColMajor).unwrap();
    assert_bitwise(
        &buf,
        want_t.as_slice(),
        &format!("outer {m}×{n} default col-major"),
    );
}

#[test]
fn outer_f32_every_path_and_tile_edge() {
    let mut rng = StdRng::seed_from_u64(1);
    for &m in &[0, 1, 2, 3, 7, 9, 33] {
        for n in edge_sizes::<f32>() {
            check_outer::<f32>(&mut rng, m, n, m % 4);
        }
    }
}

#[test]
fn outer_f64_every_path_and_tile_edge() {
    let mut rng = StdRng::seed_from_u64(2);
    for &m in &[0, 1, 2, 3, 7, 9, 33] {
        for n in edge_sizes::<f64>() {
            check_outer::<f64>(&mut rng, m, n, m % 4);
        }
    }
}

#[test]
fn outer_every_alignment_of_the_output() {
    let mut rng = StdRng::seed_from_u64(3);
    for skew in 0..8 {
        check_outer::<f32>(&mut rng, 5, 67, skew);
        check_outer::<f64>(&mut rng, 5, 67, skew);
    }
    // Rows that share their alignment (a whole number of vectors long, or a whole number of
    // vectors apart in the spread walk, whose rows are m/4 apart): the four-row and one-row
    // kernels write the elements before the first trip boundary (two vectors, at most a
    // 64-byte line) and after the last in naturally aligned pieces of 1, 2, 4… lanes and one
    // whole vector. Skews up to 64 bytes meet every head; rows of 64 bytes keep it from group
    // to group, rows of 96 and 144 bytes change it.
    // Rows of up to 512 bytes also take the register panels: rows on a vector boundary in
    // panels of up to eight vectors (AVX2 f32: 64 is one panel, 72 eight and one, 128 eight
    // and eight), rows off a boundary joined across row ends when one panel holds them (64,
    // 72) and in panels with a half vector at each end otherwise (128, half a vector off).
    // The AVX-512 panels take rows of 2 to 8 of its vectors (32 to 128 f32), joined at every
    // offset of a 64-byte line.
    for skew in 0..16 {
        for (m, n) in [(8, 16), (9, 24), (8, 20), (16, 36), (3, 40)] {
            check_outer::<f32>(&mut rng, m, n, skew);
        }
        for (m, n) in [(5, 64), (3, 72), (4, 128)] {
            check_outer::<f32>(&mut rng, m, n, skew);
        }
        for (m, n) in [(2, 32), (1, 48), (5, 80), (3, 96), (4, 112)] {
            check_outer::<f32>(&mut rng, m, n, skew);
        }
    }
    for skew in 0..8 {
        for (m, n) in [(8, 8), (9, 12), (8, 10), (16, 18), (3, 20)] {
            check_outer::<f64>(&mut rng, m, n, skew);
        }
        for (m, n) in [(5, 32), (3, 36), (4, 64)] {
            check_outer::<f64>(&mut rng, m, n, skew);
        }
        for (m, n) in [(2, 16), (1, 24), (5, 40), (3, 48), (4, 56)] {
            check_outer::<f64>(&mut rng, m, n, skew);
        }
    }
    // At least 64 KiB: the flat kernel, whose vectors straddle row ends at every offset
    // (67 and 9 are prime to the lane counts), rows as short as one vector plus one.
    for skew in [0, 1, 3] {
        check_outer::<f32>(&mut rng, 300, 67, skew);
        check_outer::<f64>(&mut rng, 150, 67, skew);
        check_outer::<f32>(&mut rng, 2000, 9, skew);
        check_outer::<f64>(&mut rng, 2000, 5, skew);
    }
}

#[test]
fn outer_rows_shorter_than_a_vector_every_length_and_alignment() {
    // Rows of 1 to 15 f32 and 1 to 7 f64 are shorter than an AVX-512 vector (1 to 7 and 1 to
    // 3 for AVX2): chunks of at least 16 KiB take the permute kernel, whose lane pattern
    // repeats every n / gcd(n, W) vectors, and stop where a window of `a` would pass its
    // end. 20 to 40 KiB (one piece, or two cut mid-row at 2 threads) and about 300 KiB
    // (several pieces), at every skew of a 16-byte step.
    let mut rng = StdRng::seed_from_u64(31);
    for n in 1..16 {
        for skew in [0, 1, 3] {
            check_outer::<f32>(&mut rng, 5000 / n + 7, n, skew);
        }
        check_outer::<f32>(&mut rng, 75_000 / n + 3, n, 2);
    }
    for n in 1..8 {
        for skew in [0, 1, 3] {
            check_outer::<f64>(&mut rng, 2500 / n + 7, n, skew);
        }
        check_outer::<f64>(&mut rng, 37_500 / n + 3, n, 1);
    }
}

#[test]
fn outer_generic_types_take_the_blocked_path() {
    let mut rng = StdRng::seed_from_u64(4);
    for (m, n) in [(0, 3), (1, 1), (3, 4097), (17, 9), (40, 65)] {
        check_outer::<i64>(&mut rng, m, n, 1);
        check_outer::<Wrapping<u8>>(&mut rng, m, n, 0);
    }
}

#[test]
fn outer_special_values() {
    let s = [
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE,
        5e-324,
        1e308,
        -3.5,
    ];
    let want = reference::outer(&s, &s);
    let s32: Vec<f32> = s.iter().map(|&v| v as f32).collect();
    let want32 = reference::outer(&s32, &s32);
    for path in paths() {
        for stores in [Stores::Normal, Stores::NonTemporal] {
            let mut out = vec![1.0; s.len() * s.len()];
            let mut out32 = vec![1.0f32; s.len() * s.len()];
            with_thresholds(forced(stores, false, true), || {
                with_kernel_path(path, || {
                    outer_into(&mut out, &s, &s).unwrap();
                    outer_into(&mut out32, &s32, &s32).unwrap();
                })
            });
            assert_bitwise(&out, want.as_slice(), &format!("{path:?} {stores:?}"));
            assert_bitwise(
                &out32,
                want32.as_slice(),
                &format!("{path:?} {stores:?} f32"),
            );
        }
    }
}

/// Big enough that the default thresholds choose streaming stores and both threads on their
/// own (64 MiB of f32, above half of any common last-level cache); checked on a sample of rows.
#[test]
fn outer_default_thresholds_on_a_dram_sized_output() {
    let mut rng = StdRng::seed_from_u64(5);
    let (m, n) = (4096, 4099);
    let a: Vec<f32> = vector(&mut rng, m);
    let b: Vec<f32> = vector(&mut rng, n);
    let mut out = vec![0f32; m * n];
    assert!(std::mem::size_of_val(&out[..]) >= default_thresholds().streaming_min_bytes);
    for path in paths() {
        pool(2).install(|| with_kernel_path(path, || outer_into(&mut out, &a, &b).unwrap()));
        for i in (0..m).step_by(97).chain([m - 1]) {
            let want: Vec<f32> = b.iter().map(|&bj| a[i] * bj).collect();
            assert_bitwise(
                &out[i * n..(i + 1) * n],
                &want,
                &format!("{path:?} row {i}"),
            );
        }
    }
}

/// An L3-sized product on two threads with the default thresholds: many pieces per thread
/// (cut mid-row, rows of 1001 elements), each written with ordinary stores.
#[test]
fn outer_default_thresholds_in_many_pieces() {
    let mut rng = StdRng::seed_from_u64(6);
    let (m, n) = (1000, 1001);
    let a: Vec<f32> = vector(&mut rng, m);
    let b: Vec<f32> = vector(&mut rng, n);
    let want = reference::outer(&a, &b);
    let want_t = reference::outer(&b, &a);
    let mut out = vec![0f32; m * n];
    let bytes = std::mem::size_of_val(&out[..]);
    let t = default_thresholds();
    assert!(bytes >= 8 * t.parallel_min_bytes && bytes < t.streaming_min_bytes);
    for path in paths() {
        pool(2).install(|| with_kernel_path(path, || outer_into(&mut out, &a, &b).unwrap()));
        assert_bitwise(&out, want.as_slice(), &format!("{path:?} row-major"));
        pool(2).install(|| {
            with_kernel_path(path, || {
                outer_into_layout(&mut out, &a, &b, Layout::ColMajor).unwrap()
            })
        });
        assert_bitwise(&out, want_t.as_slice(), &format!("{path:?} col-major"));
    }
}

/// `outer_into` and its column-major form into `out` under `path`, `t` and `threads`, each
/// against its reference bit for bit (`want` = a bᵀ, `want_t` = b aᵀ, both row-major).
fn outer_both_layouts<T: Sample>(
    out: &mut [T],
    (a, b): (&[T], &[T]),
    (want, want_t): (&[T], &[T]),
    path: KernelPath,
    t: Thresholds,
    threads: usize,
    what: &str,
) {
    let under = |f: &mut (dyn FnMut() + Send)| {
        pool(threads).install(|| with_thresholds(t, || with_kernel_path(path, f)))
    };
    under(&mut || outer_into(&mut *out, a, b).unwrap());
    assert_bitwise(out, want, what);
    under(&mut || outer_into_layout(&mut *out, a, b, Layout::ColMajor).unwrap());
    assert_bitwise(out, want_t, &format!("{what} col-major"));
}

/// Outputs that live in L2 (above L1d, rows longer than 512 bytes), which the AVX-512 path
/// writes with the kernels `Thresholds::l2_kernels` names: each choice, the measured one
/// included, on every path, 1 and 2 threads, on a line and 16 bytes off, row- and
/// column-major, against the reference bit for bit.
fn check_outer_in_l2<T: Sample>(rng: &mut StdRng, m: usize, n: usize) {
    let a: Vec<T> = vector(rng, m);
    let b: Vec<T> = vector(rng, n);
    let want = reference::outer(&a, &b);
    let want_t = reference::outer(&b, &a);
    let skew = 16 / std::mem::size_of::<T>();
    for path in paths() {
        for l2_kernels in [L2Kernels::Measured, L2Kernels::Avx512, L2Kernels::Avx2] {
            let t = Thresholds {
                l2_kernels,
                ..default_thresholds()
            };
            for threads in [1, 2] {
                for at in [0, skew] {
                    let what = format!("{m}×{n} {path:?} {l2_kernels:?} {threads}t at {at}");
                    let mut buf = vec![T::zero(); m * n + skew];
                    let out = &mut buf[at..at + m * n];
                    let wants = (want.as_slice(), want_t.as_slice());
                    outer_both_layouts(out, (&a, &b), wants, path, t, threads, &what);
                }
            }
        }
    }
}

#[test]
fn outer_in_l2_every_kernel_choice() {
    let mut rng = StdRng::seed_from_u64(7);
    // 256 KiB (rows of 1 KiB), ragged rows of 1028 and 1200 bytes, 64 KiB just above a 48 KiB
    // L1d; f64 rows of 768 and 2048 bytes (512 KiB).
    for (m, n) in [(256, 256), (100, 257), (90, 300), (64, 256)] {
        check_outer_in_l2::<f32>(&mut rng, m, n);
    }
    for (m, n) in [(96, 96), (256, 256), (70, 130)] {
        check_outer_in_l2::<f64>(&mut rng, m, n);
    }
}

/// Outputs "in L3" (the spread size forced down to 16 KiB) with rows of 2 KiB up to a column
/// block, whose writing `Thresholds::long_row_write` names under either default spread walk:
/// each choice, the measured one included, every path, 1 and 2 threads, row- and
/// column-major, against the reference bit for bit.
fn check_outer_long_rows_in_l3<T: Sample>(rng: &mut StdRng, m: usize, n: usize) {
    let a: Vec<T> = vector(rng, m);
    let b: Vec<T> = vector(rng, n);
    let want = reference::outer(&a, &b);
    let want_t = reference::outer(&b, &a);
    for path in paths() {
        for spread_write in [SpreadWrite::RowByRow, SpreadWrite::FourRows] {
            for long_row_write in [
                LongRowWrite::Measured,
                LongRowWrite::RowByRow,
                LongRowWrite::FourRows,
            ] {
                let t = Thresholds {
                    spread_min_bytes: 16 * 1024,
                    streaming_min_bytes: usize::MAX,
                    spread_write,
                    long_row_write,
                    ..default_thresholds()
                };
                for threads in [1, 2] {
                    let what =
                        format!("{m}×{n} {path:?} {spread_write:?} {long_row_write:?} {threads}t");
                    let mut out = vec![T::zero(); m * n];
                    let (ab, wants) = ((&a[..], &b[..]), (want.as_slice(), want_t.as_slice()));
                    outer_both_layouts(&mut out, ab, wants, path, t, threads, &what);
                }
            }
        }
    }
}

#[test]
fn outer_long_rows_in_l3_every_writing() {
    let mut rng = StdRng::seed_from_u64(8);
    // f32 rows of 2 KiB, 4000 bytes (ragged) and 8 KiB; f64 rows of 2400 bytes and 8 KiB.
    for (m, n) in [(40, 512), (33, 1000), (17, 2048)] {
        check_outer_long_rows_in_l3::<f32>(&mut rng, m, n);
    }
    for (m, n) in [(24, 300), (20, 1024)] {
        check_outer_long_rows_in_l3::<f64>(&mut rng, m, n);
    }
}

// ------------------------------------------------------------------------------------------
// ger
// ------------------------------------------------------------------------------------------

/// An m×n layout inside a buffer: (buffer length, offset, row stride, column stride).
/// `kron_mat` / `kron_mat_into` write the rows of A ⊗ B as a stack of outer products
/// (one per row pair) cut into pieces across product boundaries: every path, both store
/// kinds, the small loops and the kernels, 1 and 2 threads, row- and column-major `out`
/// (the latter is Aᵀ ⊗ Bᵀ row-major) and strided factors, against the reference bit for bit.
/// The row-major `data` (rows of `cols`) with each row followed by `cols` random elements.
fn padded_rows<T: Sample>(rng: &mut StdRng, data: &[T], cols: usize) -> Vec<T> {
    (0..2 * data.len())
        .map(|k| {
            if k % (2 * cols) < cols {
                data[k / (2 * cols) * cols + k % (2 * cols)]
            } else {
                T::sample(rng)
            }
        })
        .collect()
}

fn check_kron<T: Sample>(rng: &mut StdRng, (m, n): (usize, usize), (p, q): (usize, usize)) {
    let a: Vec<T> = vector(rng, m * n);
    let b: Vec<T> = vector(rng, p * q);
    let (av, bv) = (
        MatRef::row_major(&a, m, n).unwrap(),
        MatRef::row_major(&b, p, q).unwrap(),
    );
    // B read column by column: a transposed view of q×p data.
    let bt_data: Vec<T> = (0..p * q).map(|k| b[(k % p) * q + k / p]).collect();
    let bt = MatRef::col_major(&bt_data, p, q).unwrap();
    // A and B with row strides of twice their widths (a single column strided too).
    let (a_wide, b_wide) = (padded_rows(rng, &a, n), padded_rows(rng, &b, q));
    let a_str = MatRef::new(&a_wide, 0, m, n, 2 * n as isize, 1).unwrap();
    let b_str = MatRef::new(&b_wide, 0, p, q, 2 * q as isize, 1).unwrap();
    let want = reference::kron(av, bv);
    let want_col = want.vec();
    let (rows, cols) = (m * p, n * q);
    for path in paths() {
        for stores in [Stores::Normal, Stores::NonTemporal] {
            // The last two plans put the output "in L3" with the Intel walk, where products
            // with long rows are written a row at a time; with L2 taken as empty they also
            // order products of 2 KiB and more by the rows of B (for streamed outputs, that
            // is all they change).
            let plans = [
                (false, false, false),
                (true, false, false),
                (true, true, false),
                (false, false, true),
                (true, false, true),
            ];
            for (threaded, small, in_l3) in plans {
                let mut t = forced(stores, threaded, in_l3);
                if small {
                    t.small_max_bytes = default_thresholds().small_max_bytes;
                }
                if in_l3 {
                    t.spread_write = SpreadWrite::RowByRow;
                }
                for threads in [1, 2] {
                    let what = format!(
                        "{path:?} {stores:?} threaded {threaded} small {small} in L3 {in_l3} \
                         {threads}T {m}×{n} ⊗ {p}×{q}"
                    );
                    let run = |f: &mut (dyn FnMut() + Send)| {
                        pool(threads).install(|| with_kernel_path(path, || with_thresholds(t, f)))
                    };
                    let mut got = Vec::new();
                    run(&mut || got = kron_mat(av, bv).as_slice().to_vec());
                    assert_bitwise(&got, want.as_slice(), &what);
                    let mut out = vec![T::sample(rng); rows * cols];
                    run(&mut || kron_mat(av, bt).as_slice().clone_into(&mut got));
                    assert_bitwise(&got, want.as_slice(), &format!("{what} strided B"));
                    run(&mut || kron_mat(a_str, bv).as_slice().clone_into(&mut got));
                    assert_bitwise(&got, want.as_slice(), &format!("{what} strided A"));
                    run(&mut || kron_mat(av, b_str).as_slice().clone_into(&mut got));
                    assert_bitwise(&got, want.as_slice(), &format!("{what} row-strided B"));
                    run(&mut || {
                        kron_mat_into(MatMut::col_major(&mut out, rows, cols).unwrap(), av, bv)
                            .unwrap()
                    });
                    assert_bitwise(&out, &want_col, &format!("{what} column-major out"));
                }
            }
        }
    }
}

#[test]
fn kron_mat_every_path_store_kind_and_thread_count() {
    let mut rng = StdRng::seed_from_u64(7);
    // Products of one element, of whole and ragged vectors, of rows of 1 KiB and more (the
    // row-at-a-time walk in L3) and longer than the column block; stacks of one product and
    // of many (the pieces then cut products in two); products of 2 KiB and more in more
    // and fewer than 8 rows of A (the order by rows of B); A of one column (one outer
    // product of its column and B's rows end to end); B of one column (a product of B's
    // column and each row of A), and of one row (one outer product of A's rows end to end
    // and B's row; B's column of the column-major `out`);
    // rows shorter than a vector in products of 8 KiB and more (streamed: the permute
    // kernel); rows of B of 2, 4 and 8 elements, dividing a vector (in cache: the short-row
    // Kronecker kernel), with rows of the result of whole and ragged vectors.
    let shapes: [((usize, usize), (usize, usize)); 26] = [
        ((1, 1), (1, 1)),
        ((1, 3), (2, 1)),
        ((3, 5), (4, 7)),
        ((7, 9), (5, 17)),
        ((16, 16), (16, 16)),
        ((2, 3), (33, 40)),
        ((40, 33), (3, 2)),
        ((3, 2), (9, 2100)),
        ((5, 3), (3, 256)),
        ((1, 2), (2, 7001)),
        ((11, 2), (5, 300)),
        ((6, 1), (4, 300)),
        ((9, 1), (1, 5)),
        ((4, 1), (50, 3)),
        ((3, 40), (7, 1)),
        ((2, 300), (9, 1)),
        ((5, 4), (6, 1)),
        ((3, 5), (1, 40)),
        ((40, 33), (1, 2)),
        ((2, 2100), (3, 2)),
        ((3, 1100), (2, 3)),
        ((5, 13), (3, 4)),
        ((4, 21), (6, 8)),
        ((9, 3), (2, 2)),
        ((2, 40), (5, 2)),
        ((0, 3), (2, 2)),
    ];
    for (a, b) in shapes {
        check_kron::<f32>(&mut rng, a, b);
        check_kron::<f64>(&mut rng, a, b);
    }
    check_kron::<i64>(&mut rng, (5, 6), (7, 3));
    check_kron::<i64>(&mut rng, (5, 6), (1, 3));
    check_kron::<i64>(&mut rng, (5, 6), (3, 1));
}

/// Rows of B of one to four whole vectors (of each AVX path: 8 and 16 f32, 4 and 8 f64)
/// take a kernel that writes whole rows of the result from registers, with aligned stores
/// joined across segment and row ends when the output is off a vector boundary: every
/// start of `out` within 16 elements, on every path, ordinary and streaming stores, one
/// piece or two (which then meet inside a segment), 1 and 2 threads, against the reference
/// bit for bit.
#[test]
fn kron_mat_rows_of_whole_vectors_at_every_output_offset() {
    let mut rng = StdRng::seed_from_u64(11);
    let shapes = [
        ((3, 5), (4, 8)),
        ((4, 3), (3, 16)),
        ((5, 2), (2, 24)),
        ((2, 3), (3, 32)),
        ((3, 4), (2, 48)),
        ((2, 2), (3, 64)),
        ((1, 2), (2, 16)),
    ];
    for (a, b) in shapes {
        kron_at_every_output_offset::<f32>(&mut rng, a, b);
    }
    for ((m, n), (p, q)) in shapes {
        kron_at_every_output_offset::<f64>(&mut rng, (m, n), (p, q / 2));
    }
}

/// Rows of B longer than a vector but not a whole number of vectors (up to eight) take a
/// kernel whose vectors, all stored aligned, hold the ends of two segments of a row (or of
/// two rows) wherever a segment ends inside one: as above, at every output offset, on every
/// path, with both kinds of stores, one or two pieces and 1 and 2 threads. The lengths sit
/// one past a vector and one short of two, and up to the longest row the kernel takes on
/// the AVX-512 path (127 f32, 63 f64); on the other path the same lengths may be whole
/// vectors, shorter than a vector or too long, which takes the other routes.
#[test]
fn kron_mat_rows_between_whole_vectors_at_every_output_offset() {
    let mut rng = StdRng::seed_from_u64(12);
    let f32_shapes = [
        ((3, 5), (4, 17)),
        ((4, 3), (3, 9)),
        ((2, 4), (3, 31)),
        ((5, 2), (2, 20)),
        ((2, 3), (2, 33)),
        ((1, 7), (2, 23)),
        ((2, 2), (3, 127)),
        ((3, 2), (2, 60)),
    ];
    for (a, b) in f32_shapes {
        kron_at_every_output_offset::<f32>(&mut rng, a, b);
    }
    let f64_shapes = [
        ((3, 5), (4, 9)),
        ((4, 3), (3, 5)),
        ((2, 4), (3, 15)),
        ((5, 2), (2, 12)),
        ((1, 7), (2, 17)),
        ((2, 2), (3, 63)),
        ((3, 2), (2, 30)),
    ];
    for (a, b) in f64_shapes {
        kron_at_every_output_offset::<f64>(&mut rng, a, b);
    }
}

/// A ⊗ B (A m×n, B p×q) into a buffer refilled with junk before each call, at every start
/// within 16 elements, on every path, with ordinary and streaming stores, in one piece or
/// two, on 1 and 2 threads: the reference bit for bit.
fn kron_at_every_output_offset<T: Sample>(
    rng: &mut StdRng,
    (m, n): (usize, usize),
    (p, q): (usize, usize),
) {
    let a: Vec<T> = vector(rng, m * n);
    let b: Vec<T> = vector(rng, p * q);
    let (av, bv) = (
        MatRef::row_major(&a, m, n).unwrap(),
        MatRef::row_major(&b, p, q).unwrap(),
    );
    let want = reference::kron(av, bv);
    let (rows, cols) = (m * p, n * q);
    let junk: Vec<T> = vector(rng, rows * cols + 16);
    let mut buf = junk.clone();
    for offset in 0..16 {
        for path in paths() {
            for (threaded, stores) in [
                (false, Stores::Normal),
                (true, Stores::Normal),
                (false, Stores::NonTemporal),
                (true, Stores::NonTemporal),
            ] {
                let t = forced(stores, threaded, false);
                for threads in [1, 2] {
                    // A fresh start, so that no element is right from an earlier call.
                    buf.copy_from_slice(&junk);
                    let out = &mut buf[offset..offset + rows * cols];
                    pool(threads).install(|| {
                        with_kernel_path(path, || {
                            with_thresholds(t, || {
                                let view = MatMut::row_major(out, rows, cols).unwrap();
                                kron_mat_into(view, av, bv).unwrap()
                            })
                        })
                    });
                    assert_bitwise(
                        &buf[offset..offset + rows * cols],
                        want.as_slice(),
                        &format!(
                            "{path:?} {stores:?} threaded {threaded} {threads}T offset \
                             {offset} {m}×{n} ⊗ {p}×{q}"
                        ),
                    );
                }
            }
        }
    }
}

/// Default thresholds on a product large enough to be split between two threads (about
/// 1.1 MiB of f32, pieces of 128 KiB cutting 64×68-element products): the same bits as one
/// thread and the reference.
#[test]
fn kron_mat_default_thresholds_one_and_two_threads_agree() {
    let mut rng = StdRng::seed_from_u64(8);
    let a: Vec<f32> = vector(&mut rng, 64 * 68);
    let b: Vec<f32> = vector(&mut rng, 3 * 17);
    let (av, bv) = (
        MatRef::row_major(&a, 64, 68).unwrap(),
        MatRef::row_major(&b, 3, 17).unwrap(),
    );
    let want = reference::kron(av, bv);
    for threads in [1, 2] {
        let got = pool(threads).install(|| kron_mat(av, bv));
        assert_bitwise(got.as_slice(), want.as_slice(), &format!("{threads}T"));
    }
}

fn layouts(m: usize, n: usize) -> Vec<(&'static str, usize, usize, isize, isize)> {
    let (mi, ni) = (m as isize, n as isize);
    let last = |len: usize| len.saturating_sub(1);
    vec![
        ("row-major", m * n, 0, ni, 1),
        ("col-major", m * n, 0, 1, mi),
        ("row-major padded", m * (n + 3), 0, ni + 3, 1),
        ("col-major padded", (m + 2) * n, 0, 1, mi + 2),
        ("row-major rows reversed", m * n, last(m) * n, -ni, 1),
        ("col-major cols reversed", m * n, last(n) * m, 1, -mi),
        ("row-major both reversed", m * n, last(m * n), -ni, -1),
        ("col-major both reversed", m * n, last(m * n), -1, -mi),
        ("strided", 4 * m * n + 1, 1, 2 * ni, 2),
        ("strided transposed", 4 * m * n + 1, 1, 2, 2 * mi),
    ]
}

/// (buffer, offset) for a vector of `len` at `stride`.
fn strided<T: Sample>(rng: &mut StdRng, len: usize, stride: isize) -> (Vec<T>, usize) {
    let span = len.saturating_sub(1) * stride.unsigned_abs() + 1;
    let buf = vector(rng, span);
    let offset = if stride < 0 { span - 1 } else { 0 };
    (buf, offset)
}

/// `start` after the reference `ger` on the view (`off`, m×n, strides `rs`, `cs`) of it.
fn ger_reference<T: Sample>(
    alpha: T,
    x: VecRef<'_, T>,
    y: VecRef<'_, T>,
    start: &[T],
    off: usize,
    (m, n): (usize, usize),
    (rs, cs): (isize, isize),
) -> Vec<T> {
    let mut want = start.to_vec();
    reference::ger(
        alpha,
        x,
        y,
        MatMut::new(&mut want, off, m, n, rs, cs).unwrap(),
    );
    want
}

/// `start` after `ger` on the view (`off`, m×n, strides `rs`, `cs`) of a copy of it, with
/// `path` and `thresholds`, on a pool of `threads`.
#[allow(clippy::too_many_arguments)]
fn ger_on<T: Sample>(
    start: &[T],
    (alpha, x, y): (T, VecRef<'_, T>, VecRef<'_, T>),
    off: usize,
    (m, n): (usize, usize),
    (rs, cs): (isize, isize),
    path: KernelPath,
    thresholds: Thresholds,
    threads: usize,
) -> Vec<T> {
    let mut got = start.to_vec();
    pool(threads).install(|| {
        with_thresholds(thresholds, || {
            with_kernel_path(path, || {
                let a = MatMut::new(&mut got, off, m, n, rs, cs).unwrap();
                ger(alpha, x, y, a).unwrap();
            })
        })
    });
    got
}

fn check_ger<T: Sample>(rng: &mut StdRng, m: usize, n: usize, alpha: T, threads: &[usize]) {
    for (name, len, off, rs, cs) in layouts(m, n) {
        for (sx, sy) in [(1, 1), (2, 1), (1, -1), (-3, 2), (-1, -2)] {
            let (xb, xo) = strided::<T>(rng, m, sx);
            let (yb, yo) = strided::<T>(rng, n, sy);
            let x = VecRef::new(&xb, xo, m, sx).unwrap();
            let y = VecRef::new(&yb, yo, n, sy).unwrap();
            let start: Vec<T> = vector(rng, len);
            let want = ger_reference(alpha, x, y, &start, off, (m, n), (rs, cs));
            for path in paths() {
                for &t in threads {
                    for spread in [false, true] {
                        let what =
                            format!("ger {m}×{n} {name} x{sx} y{sy} {path:?} {t}t spread {spread}");
                        let thresholds = forced(Stores::Normal, t > 1, spread);
                        let operands = (alpha, x, y);
                        let got =
                            ger_on(&start, operands, off, (m, n), (rs, cs), path, thresholds, t);
                        assert_bitwise(&got, &want, &what);
                    }
                }
            }
            // Default thresholds: shapes of at most `small_max_bytes` take the plain loop.
            let mut got = start.clone();
            ger(
                alpha,
                x,
                y,
                MatMut::new(&mut got, off, m, n, rs, cs).unwrap(),
            )
            .unwrap();
            assert_bitwise(
                &got,
                &want,
                &format!("ger {m}×{n} {name} x{sx} y{sy} default"),
            );
        }
    }
}

/// `ger` on a row-major and a column-major `A` that start `skew` elements into their buffer,
/// every path, 1 and 2 threads, adjacent and spread rows, against the reference.
fn check_ger_skewed<T: Sample>(rng: &mut StdRng, m: usize, n: usize, skew: usize) {
    let alpha = T::sample(rng);
    let (xb, yb) = (vector::<T>(rng, m), vector::<T>(rng, n));
    let (x, y) = (VecRef::from(&xb[..]), VecRef::from(&yb[..]));
    let start: Vec<T> = vector(rng, m * n + skew);
    for (name, rs, cs) in [("row-major", n as isize, 1), ("col-major", 1, m as isize)] {
        let want = ger_reference(alpha, x, y, &start, skew, (m, n), (rs, cs));
        for path in paths() {
            for t in [1, 2] {
                for spread in [false, true] {
                    let what =
                        format!("ger {m}×{n} {name} skew {skew} {path:?} {t}t spread {spread}");
                    let thresholds = forced(Stores::Normal, t > 1, spread);
                    let operands = (alpha, x, y);
                    let got = ger_on(
                        &start,
                        operands,
                        skew,
                        (m, n),
                        (rs, cs),
                        path,
                        thresholds,
                        t,
                    );
                    assert_bitwise(&got, &want, &what);
                }
            }
        }
    }
}

#[test]
fn ger_short_rows_every_length_and_alignment() {
    // Rows shorter than a vector (rows of A row-major, columns column-major) of 64 KiB and
    // more take the short-row kernel on the AVX2 and AVX-512 paths: one stream across rows,
    // from a scalar head to the first vector boundary, through whole periods of the lane
    // patterns, to a scalar tail. Every length below 16, with row counts that end mid-period,
    // and four skews; the transposed shape gives the other orientation.
    let mut rng = StdRng::seed_from_u64(10);
    for n in 1..16 {
        let m = 40_000 / n + 3;
        for skew in [0, 1, 3, 6] {
            check_ger_skewed::<f32>(&mut rng, m, n, skew);
            check_ger_skewed::<f32>(&mut rng, n, m, skew);
        }
    }
    for n in 1..8 {
        let m = 24_000 / n + 3;
        for skew in [0, 1, 3] {
            check_ger_skewed::<f64>(&mut rng, m, n, skew);
            check_ger_skewed::<f64>(&mut rng, n, m, skew);
        }
    }
}

#[test]
fn ger_few_rows_a_piece_split_by_elements() {
    // Threaded updates with a few rows a piece, an odd number of them or fewer than the
    // pieces, and each thread's share within L2 (spread off) split A's elements in row order,
    // so pieces start and end inside rows. About 1 MiB each: six or eight pieces at 2
    // threads. Rows of row-major A and, transposed, columns of column-major A; spread on takes
    // whole rows, and 5 rows split the columns.
    let mut rng = StdRng::seed_from_u64(11);
    for (m, n) in [(7, 37449), (13, 20164), (31, 8459)] {
        check_ger_skewed::<f32>(&mut rng, m, n, 1);
        check_ger_skewed::<f32>(&mut rng, n, m, 1);
    }
    for (m, n) in [(9, 14563), (5, 26215)] {
        check_ger_skewed::<f64>(&mut rng, m, n, 1);
        check_ger_skewed::<f64>(&mut rng, n, m, 1);
    }
}

#[test]
fn ger_every_alignment_of_a() {
    // Rows of eight vectors or more peel to row 0's trip boundary, in pieces of 1, 2,
    // 4… lanes and one whole vector, and every ragged end is written in pieces; rows a whole
    // number of vectors apart then share the alignment, the others (67, 35 columns) do not.
    // Skews up to 64 bytes meet every peel; rows of 256 bytes keep it from group to group,
    // rows of 288 bytes (72 f32, 36 f64) change it.
    let mut rng = StdRng::seed_from_u64(8);
    for skew in 0..16 {
        for (m, n) in [(5, 64), (9, 67), (4, 72), (6, 131)] {
            check_ger_skewed::<f32>(&mut rng, m, n, skew);
        }
    }
    for skew in 0..8 {
        for (m, n) in [(5, 32), (9, 35), (4, 36), (6, 67)] {
            check_ger_skewed::<f64>(&mut rng, m, n, skew);
        }
    }
}

fn ger_shapes<T>() -> Vec<(usize, usize)> {
    let block = BLOCK_BYTES / std::mem::size_of::<T>();
    let mut shapes = vec![
        (1, 1),
        (1, 9),
        (9, 1),
        (2, 3),
        (7, 8),
        (8, 8),
        (9, 17),
        (33, 31),
    ];
    // The four-row kernel peels to row 0's vector alignment; rows a whole number of vectors
    // apart (16 and 48 columns of f32, 8 and 24 of f64) are then all aligned, the others not.
    // 5, 9 and 13 rows cover groups of four plus a remainder, in both orientations.
    shapes.extend([(5, 16), (9, 48), (13, 24), (4, 64), (16, 5), (8, 13)]);
    for k in [block - 1, block + 1] {
        shapes.push((3, k));
        shapes.push((k, 2));
    }
    // About 160 KiB of f32 (320 of f64): a share larger than L1d at 1 and 2 threads, where the
    // four-row x86 loops prefetch ahead, within long rows and on into the next group's
    // (13×3100), or, on rows shorter than the distance, at the same column of the next
    // group's (840×48).
    shapes.extend([(13, 3100), (840, 48)]);
    shapes
}

#[test]
fn ger_f32_every_layout_path_and_thread_count() {
    let mut rng = StdRng::seed_from_u64(6);
    for (m, n) in ger_shapes::<f32>() {
        for alpha in [1.0, -1.0, 0.5, 3.1] {
            check_ger::<f32>(&mut rng, m, n, alpha, &[1, 2]);
        }
    }
}

#[test]
fn ger_f64_every_layout_path_and_thread_count() {
    let mut rng = StdRng::seed_from_u64(7);
    for (m, n) in ger_shapes::<f64>() {
        for alpha in [1.0, -1.0, 0.5, 3.1] {
            check_ger::<f64>(&mut rng, m, n, alpha, &[1, 2]);
        }
    }
}

#[test]
fn ger_generic_types() {
    let mut rng = StdRng::seed_from_u64(8);
    for (m, n) in [(1, 1), (5, 7), (33, 2), (2, 4097)] {
        check_ger::<i64>(&mut rng, m, n, -3, &[1, 2]);
        check_ger::<Wrapping<u8>>(&mut rng, m, n, Wrapping(201), &[1, 2]);
    }
}

#[test]
fn ger_special_values() {
    let s = [0.0, -0.0, f64::NAN, f64::INFINITY, -1.5, 5e-324, 1e308];
    let n = s.len();
    let start: Vec<f64> = (0..n * n).map(|k| s[(k * 3) % n]).collect();
    let mut want = start.clone();
    reference::ger(
        2.0,
        VecRef::from(&s),
        VecRef::from(&s),
        MatMut::row_major(&mut want, n, n).unwrap(),
    );
    for path in paths() {
        let mut got = start.clone();
        with_kernel_path(path, || {
            ger(
                2.0,
                VecRef::from(&s),
                VecRef::from(&s),
                MatMut::row_major(&mut got, n, n).unwrap(),
            )
            .unwrap()
        });
        assert_bitwise(&got, &want, &format!("{path:?}"));
    }
}

#[test]
fn ger_empty_is_a_no_op_on_every_path() {
    for path in paths() {
        let mut a: Vec<f32> = vec![];
        with_kernel_path(path, || {
            ger(
                1.0,
                VecRef::from(&[] as &[f32]),
                VecRef::from(&[1.0f32, 2.0]),
                MatMut::row_major(&mut a, 0, 2).unwrap(),
            )
            .unwrap();
            let mut out: [f64; 0] = [];
            outer_into(&mut out, &[], &[1.0, 2.0]).unwrap();
            outer_into(&mut out, &[3.0], &[]).unwrap();
        });
    }
}

/// The stride of a unit dimension is never followed, so a view may carry any value there,
/// `isize::MIN` included. `ger` on one long row or column with such strides (on A and on the
/// length-1 vector) must match the reference on every path and thread count, and in the debug
/// run of this suite (CI) must not overflow in its stride arithmetic.
#[test]
fn ger_ignores_the_stride_of_a_unit_dimension() {
    let mut rng = StdRng::seed_from_u64(41);
    let len = 300; // 2400 bytes of f64: past the plain loop of small updates
    for odd in [isize::MIN, isize::MAX, isize::MAX / 4, -7, 0] {
        let long: Vec<f64> = vector(&mut rng, len);
        let one = [1.5f64];
        let start: Vec<f64> = vector(&mut rng, len);
        for row in [true, false] {
            // (ger rejects a zero vector stride, as BLAS does inc = 0)
            let unit = VecRef::new(&one, 0, 1, if odd == 0 { 1 } else { odd }).unwrap();
            let (x, y, (m, n), (rs, cs)) = if row {
                (unit, VecRef::from(&long[..]), (1, len), (odd, 1))
            } else {
                (VecRef::from(&long[..]), unit, (len, 1), (1, odd))
            };
            let want = ger_reference(0.75, x, y, &start, 0, (m, n), (rs, cs));
            for path in paths() {
                for t in [1, 2] {
                    let mut got = start.clone();
                    pool(t).install(|| {
                        with_thresholds(forced(Stores::Normal, t > 1, false), || {
                            with_kernel_path(path, || {
                                let a = MatMut::new(&mut got, 0, m, n, rs, cs).unwrap();
                                ger(0.75, x, y, a).unwrap();
                            })
                        })
                    });
                    let what = format!("ger {m}×{n} stride {odd} {path:?} {t}t");
                    assert_bitwise(&got, &want, &what);
                }
            }
            let mut got = start.clone();
            ger(0.75, x, y, MatMut::new(&mut got, 0, m, n, rs, cs).unwrap()).unwrap();
            assert_bitwise(&got, &want, &format!("ger {m}×{n} stride {odd} default"));
        }
    }
}

/// Column-major `f32`/`f64` updates of 1 MiB and more run the row-major loop, `x` scaled by
/// exactly 1 (`SAME_LOOP_MIN_BYTES` in `src/arch/ger.rs`): bitwise the reference
/// on every path, 1 and 2 threads, plain, padded and reversed columns, strided and reversed
/// vectors, with NaN, ±∞, −0 and subnormals in both vectors.
fn check_large_column_major<T: Sample + num_traits::Float>(seed: u64, m: usize, n: usize) {
    assert!(m * n * std::mem::size_of::<T>() >= 1 << 20);
    let mut rng = StdRng::seed_from_u64(seed);
    let specials = [
        T::nan(),
        T::infinity(),
        T::neg_infinity(),
        -T::zero(),
        T::zero(),
        T::min_positive_value() / (T::one() + T::one()),
    ];
    for (name, len, off, rs, cs) in layouts(m, n)
        .into_iter()
        .filter(|l| l.0.starts_with("col-major"))
    {
        for (sx, sy) in [(1, 1), (-1, 2)] {
            let (mut xb, xo) = strided::<T>(&mut rng, m, sx);
            let (mut yb, yo) = strided::<T>(&mut rng, n, sy);
            for (k, &v) in specials.iter().enumerate() {
                let (nx, ny) = (xb.len(), yb.len());
                xb[(7 + 41 * k) % nx] = v;
                yb[(3 + 37 * k) % ny] = v;
            }
            let x = VecRef::new(&xb, xo, m, sx).unwrap();
            let y = VecRef::new(&yb, yo, n, sy).unwrap();
            let alpha = T::sample(&mut rng);
            let start: Vec<T> = vector(&mut rng, len);
            let want = ger_reference(alpha, x, y, &start, off, (m, n), (rs, cs));
            for path in paths() {
                for t in [1, 2] {
                    let mut got = start.clone();
                    pool(t).install(|| {
                        with_kernel_path(path, || {
                            let a = MatMut::new(&mut got, off, m, n, rs, cs).unwrap();
                            ger(alpha, x, y, a).unwrap();
                        })
                    });
                    let what = format!("ger {m}×{n} {name} x{sx} y{sy} {path:?} {t}t");
                    assert_bitwise(&got, &want, &what);
                }
            }
        }
    }
}

#[test]
fn ger_large_column_major_runs_the_row_major_loop_exactly() {
    // Just over 1 MiB, with rows and columns that are not whole vectors.
    check_large_column_major::<f32>(11, 515, 513);
    check_large_column_major::<f64>(12, 363, 362);
    // Short columns: many scalars α·y[j], each formed by the kernel as it reaches it; the
    // last two shorter than a vector on every SIMD path (the short-row kernel).
    check_large_column_major::<f32>(13, 17, 15500);
    check_large_column_major::<f64>(14, 9, 14600);
    check_large_column_major::<f32>(15, 7, 40000);
    check_large_column_major::<f64>(16, 3, 45000);
}

/// `ger` on shares that live in L2 (above a 48 KiB L1d, below the L2 size), where the
/// AVX-512 path takes the kernels of `Thresholds::l2_kernels` and the SIMD paths move the inner
/// vector onto the rows' offset from a cache line: every choice, every path, 1 and 2
/// threads, row- and column-major `A` at two offsets, `x` and `y` at four offsets from a
/// line and gathered from a stride, against the reference bit for bit.
fn check_ger_in_l2<T: Sample>(rng: &mut StdRng, m: usize, n: usize) {
    let alpha = T::sample(rng);
    let lanes = 64 / std::mem::size_of::<T>();
    let start: Vec<T> = vector(rng, m * n + lanes);
    let (xb, yb) = (
        vector::<T>(rng, 2 * m + lanes),
        vector::<T>(rng, 2 * n + lanes),
    );
    for (name, rs, cs) in [("row-major", n as isize, 1), ("col-major", 1, m as isize)] {
        for skew in [0, 1] {
            for (at, stride) in [(0, 1), (1, 1), (lanes / 2, 1), (lanes - 1, 1), (1, 2)] {
                let x = VecRef::new(&xb, at, m, stride).unwrap();
                let y = VecRef::new(&yb, at, n, stride).unwrap();
                let want = ger_reference(alpha, x, y, &start, skew, (m, n), (rs, cs));
                for path in paths() {
                    for l2_kernels in [L2Kernels::Measured, L2Kernels::Avx512, L2Kernels::Avx2] {
                        for t in [1, 2] {
                            let thresholds = Thresholds {
                                l2_kernels,
                                parallel_min_bytes: 0,
                                cold_parallel_min_bytes: 0,
                                ..default_thresholds()
                            };
                            let what = format!(
                                "ger {m}×{n} {name} skew {skew} v at {at} stride {stride} \
                                 {path:?} {l2_kernels:?} {t}t"
                            );
                            let (operands, shape) = ((alpha, x, y), (m, n));
                            let got = ger_on(
                                &start,
                                operands,
                                skew,
                                shape,
                                (rs, cs),
                                path,
                                thresholds,
                                t,
                            );
                            assert_bitwise(&got, &want, &what);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn ger_in_l2_every_kernel_choice_and_placement_of_v() {
    let mut rng = StdRng::seed_from_u64(12);
    // f32: rows of 1 KiB (256 KiB), 2 KiB (128 KiB), 768 bytes (75 KiB, under L1d per thread
    // at 2 threads) and 1000 bytes (off a line: `v` stays where it is).
    for (m, n) in [(256, 256), (64, 512), (100, 192), (70, 250)] {
        check_ger_in_l2::<f32>(&mut rng, m, n);
    }
    // f64: rows of 1 KiB, 768 bytes and 2000 bytes.
    for (m, n) in [(128, 128), (96, 96), (64, 250)] {
        check_ger_in_l2::<f64>(&mut rng, m, n);
    }
}

/// ger at a size where the default thresholds split the work, 1 vs 2 threads.
#[test]
fn ger_default_thresholds_one_and_two_threads_agree() {
    let mut rng = StdRng::seed_from_u64(9);
    let (m, n) = (700, 513);
    let x: Vec<f64> = vector(&mut rng, m);
    let y: Vec<f64> = vector(&mut rng, n);
    let start: Vec<f64> = vector(&mut rng, m * n);
    assert!(m * n * 8 >= default_thresholds().parallel_min_bytes);
    for layout in [Layout::RowMajor, Layout::ColMajor] {
        let mut results = Vec::new();
        for t in [1, 2] {
            let mut a = start.clone();
            pool(t).install(|| {
                let view = match layout {
                    Layout::RowMajor => MatMut::row_major(&mut a, m, n),
                    Layout::ColMajor => MatMut::col_major(&mut a, m, n),
                }
                .unwrap();
                ger(0.75, VecRef::from(&x), VecRef::from(&y), view).unwrap();
            });
            results.push(a);
        }
        assert_bitwise(&results[0], &results[1], &format!("{layout:?}"));
    }
}

/// Offset (in elements) into `buf` at which a slice starts `above` bytes above `v`, modulo 4 KiB.
fn offset_above<T>(buf: &[T], v: &[T], above: usize) -> usize {
    let size = std::mem::size_of::<T>();
    let want = (v.as_ptr() as usize + above) % 4096;
    let base = buf.as_ptr() as usize % 4096;
    (want + 4096 - base) % 4096 / size
}

/// Outputs whose rows are a multiple of 2 or 4 KiB apart and start a few bytes above the
/// reused vector (modulo 4 KiB) make the drivers read a moved copy of that vector (one per
/// thread when threaded); the results must not change. Every path, 1 and 2 threads, outer
/// in both layouts and ger on both layouts; two vectors in turn at the same place, so that a
/// copy kept from the call before would show.
#[test]
fn vectors_moved_away_from_4k_aliasing_give_the_same_results() {
    let mut rng = StdRng::seed_from_u64(10);
    // Enough rows to move the vector (and, at rows of 4 KiB, 560 KiB: two pieces a thread, so
    // that a thread's later piece reuses its copy); one pool for each thread count, so that
    // its threads keep their copies from call to call.
    let rows = 140;
    let pools = [pool(1), pool(2)];
    for long in [1024, 512, 256] {
        // rows of 4, 2 and 1 KiB of f32 (1 KiB: not moved)
        let vs: [Vec<f32>; 2] = [vector(&mut rng, long), vector(&mut rng, long)];
        let mut v = vs[0].clone();
        let s: Vec<f32> = vector(&mut rng, rows);
        for above in [16, 32, 256, 1040, 2048, 2064] {
            let mut buf = vec![0f32; long * rows + 1024];
            let at = offset_above(&buf, &v, above);
            for path in paths() {
                for (t, pool) in [1, 2].into_iter().zip(&pools) {
                    for which in &vs {
                        v.copy_from_slice(which);
                        let what = format!("{long} long, {above} B above, {path:?} {t}t");
                        aliased_outer_and_ger(
                            &mut buf,
                            at,
                            &v,
                            &s,
                            (path, t, pool),
                            &mut rng,
                            &what,
                        );
                    }
                }
            }
        }
    }
}

/// One round of [`vectors_moved_away_from_4k_aliasing_give_the_same_results`]: `v` reused
/// across `s.len()` rows of output starting at `buf[at]`.
fn aliased_outer_and_ger(
    buf: &mut [f32],
    at: usize,
    v: &[f32],
    s: &[f32],
    (path, t, pool): (KernelPath, usize, &rayon::ThreadPool),
    rng: &mut StdRng,
    what: &str,
) {
    let (long, rows) = (v.len(), s.len());
    let run = |f: &mut (dyn FnMut() + Send)| {
        pool.install(|| {
            with_thresholds(forced(Stores::Normal, t > 1, false), || {
                with_kernel_path(path, &mut *f)
            })
        })
    };
    run(&mut || outer_into(&mut buf[at..at + long * rows], s, v).unwrap());
    let want = reference::outer(s, v);
    assert_bitwise(&buf[at..at + long * rows], want.as_slice(), what);
    run(&mut || outer_into_layout(&mut buf[at..at + long * rows], v, s, Layout::ColMajor).unwrap());
    assert_bitwise(&buf[at..at + long * rows], want.as_slice(), what);
    // ger: the row-major A reuses y, the column-major A reuses x.
    let start: Vec<f32> = vector(rng, long * rows);
    for (name, m, n, rs, cs) in [
        ("row-major", rows, long, long as isize, 1),
        ("col-major", long, rows, 1, long as isize),
    ] {
        let (x, y) = if rs == 1 { (v, s) } else { (s, v) };
        let mut want = start.clone();
        let a = MatMut::new(&mut want, 0, m, n, rs, cs).unwrap();
        reference::ger(0.5, VecRef::from(x), VecRef::from(y), a);
        buf[at..at + long * rows].copy_from_slice(&start);
        run(&mut || {
            let a = MatMut::new(&mut *buf, at, m, n, rs, cs).unwrap();
            ger(0.5, VecRef::from(x), VecRef::from(y), a).unwrap();
        });
        let got = &buf[at..at + long * rows];
        assert_bitwise(got, &want, &format!("ger {name} {what}"));
    }
}

// ------------------------------------------------------------------------------------------
// baselines
// ------------------------------------------------------------------------------------------

#[test]
fn baselines_write_what_they_claim() {
    for path in paths() {
        for stores in [Stores::Normal, Stores::NonTemporal] {
            for len in [0, 1, 7, 8, 9, 33, 1000] {
                for skew in 0..3 {
                    let mut buf = vec![0f32; len + skew];
                    with_kernel_path(path, || {
                        outerprod::testing::fill(&mut buf[skew..], 2.5, stores)
                    });
                    assert!(
                        buf[skew..].iter().all(|&v| v == 2.5),
                        "{path:?} {stores:?} {len}"
                    );
                    assert!(buf[..skew].iter().all(|&v| v == 0.0));
                    let mut d = vec![1.0f64; len + skew];
                    with_kernel_path(path, || {
                        outerprod::testing::fill(&mut d[skew..], -1.0, stores);
                        outerprod::testing::add_in_place(&mut d[skew..], 3.0);
                    });
                    assert!(d[skew..].iter().all(|&v| v == 2.0), "{path:?} {len}");
                    assert!(d[..skew].iter().all(|&v| v == 1.0));
                }
            }
        }
    }
}
