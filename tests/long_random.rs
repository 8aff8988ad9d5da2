//! Long randomised runs, `#[ignore]`d by default. `.ci/run` runs them in release mode with
//! `cargo test --release --test long_random -- --ignored`; the number of cases per property
//! comes from `OUTERPROD_LONG_CASES` (default 256).
//!
//! Integer inputs make every result exact, so each case compares against the plain reference
//! loops in `outerprod::reference` with `==`, over random shapes, strides (negative included)
//! and dispatch paths.

use outerprod::testing::{with_kernel_path, KernelPath};
use outerprod::{gemm, ger, outer_into_layout, reference, Layout, MatMut, MatRef, VecRef};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("OUTERPROD_LONG_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// The `pick`-th available kernel path (modulo their count), so each case runs one of them.
fn path(pick: u8) -> KernelPath {
    let paths: Vec<KernelPath> = KernelPath::ALL
        .into_iter()
        .filter(|p| p.is_available())
        .collect();
    paths[pick as usize % paths.len()]
}

/// A strided m×n view description: (reverse rows, reverse cols, column-major, padding).
#[derive(Clone, Copy, Debug)]
struct Shape {
    rev_r: bool,
    rev_c: bool,
    col_major: bool,
    pad: usize,
}

fn shape() -> impl Strategy<Value = Shape> {
    (any::<bool>(), any::<bool>(), any::<bool>(), 0usize..3).prop_map(
        |(rev_r, rev_c, col_major, pad)| Shape {
            rev_r,
            rev_c,
            col_major,
            pad,
        },
    )
}

impl Shape {
    /// Buffer length, offset of element (0, 0), row stride, column stride.
    fn place(self, m: usize, n: usize) -> (usize, usize, isize, isize) {
        let (lead, (rs, cs)) = if self.col_major {
            let ld = m + self.pad;
            (ld * n, (1isize, ld as isize))
        } else {
            let ld = n + self.pad;
            (ld * m, (ld as isize, 1isize))
        };
        let len = lead.max(1);
        if m == 0 || n == 0 {
            return (len, 0, rs, cs);
        }
        let mut off = 0isize;
        let (mut rs, mut cs) = (rs, cs);
        if self.rev_r {
            off += (m as isize - 1) * rs;
            rs = -rs;
        }
        if self.rev_c {
            off += (n as isize - 1) * cs;
            cs = -cs;
        }
        (len, off as usize, rs, cs)
    }
}

fn ints(n: usize, seed: i64) -> Vec<i64> {
    (0..n as i64)
        .map(|i| (i * 37 + seed * 11) % 19 - 9)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    #[ignore]
    fn gemm_random_shapes_strides_paths(
        m in 0usize..90, n in 0usize..90, k in 0usize..300,
        sa in shape(), sb in shape(), sc in shape(),
        alpha in -3i64..4, beta in -3i64..4, seed in 0i64..1000, pick in any::<u8>(),
    ) {
        let (la, oa, ra, ca) = sa.place(m, k);
        let (lb, ob, rb, cb) = sb.place(k, n);
        let (lc, oc, rc, cc) = sc.place(m, n);
        let (a, b) = (ints(la, seed), ints(lb, seed + 1));
        let a = a.iter().map(|&v| v as f64).collect::<Vec<_>>();
        let b = b.iter().map(|&v| v as f64).collect::<Vec<_>>();
        let c0: Vec<f64> = ints(lc, seed + 2).iter().map(|&v| v as f64).collect();
        let av = MatRef::new(&a, oa, m, k, ra, ca).unwrap();
        let bv = MatRef::new(&b, ob, k, n, rb, cb).unwrap();
        let mut got = c0.clone();
        let mut want = c0.clone();
        with_kernel_path(path(pick), || gemm(alpha as f64, av, bv, beta as f64,
            MatMut::new(&mut got, oc, m, n, rc, cc).unwrap())).unwrap();
        reference::gemm(alpha as f64, av, bv, beta as f64,
            MatMut::new(&mut want, oc, m, n, rc, cc).unwrap());
        // Small integers: every partial sum is exact in f64, so any order gives the same bits.
        prop_assert_eq!(got, want);
    }

    #[test]
    #[ignore]
    fn ger_random_shapes_strides_paths(
        m in 0usize..200, n in 0usize..200, sa in shape(),
        incx in -3isize..4, incy in -3isize..4, alpha in -3i64..4, seed in 0i64..1000,
        pick in any::<u8>(),
    ) {
        let incx = if incx == 0 { 1 } else { incx };
        let incy = if incy == 0 { 1 } else { incy };
        let vec_place = |len: usize, inc: isize| {
            let span = if len == 0 { 1 } else { (len - 1) * inc.unsigned_abs() + 1 };
            let off = if inc < 0 && len > 0 { (len - 1) * inc.unsigned_abs() } else { 0 };
            (span, off)
        };
        let (lx, ox) = vec_place(m, incx);
        let (ly, oy) = vec_place(n, incy);
        let x: Vec<f32> = ints(lx, seed).iter().map(|&v| v as f32).collect();
        let y: Vec<f32> = ints(ly, seed + 1).iter().map(|&v| v as f32).collect();
        let (la, oa, ra, ca) = sa.place(m, n);
        let a0: Vec<f32> = ints(la, seed + 2).iter().map(|&v| v as f32).collect();
        let xv = VecRef::new(&x, ox, m, incx).unwrap();
        let yv = VecRef::new(&y, oy, n, incy).unwrap();
        let (mut got, mut want) = (a0.clone(), a0);
        with_kernel_path(path(pick), || ger(alpha as f32, xv, yv,
            MatMut::new(&mut got, oa, m, n, ra, ca).unwrap())).unwrap();
        if m > 0 && n > 0 && alpha != 0 {
            reference::ger(alpha as f32, xv, yv, MatMut::new(&mut want, oa, m, n, ra, ca).unwrap());
        }
        prop_assert_eq!(got, want);
    }

    #[test]
    #[ignore]
    fn outer_random_lengths_paths(
        m in 0usize..600, n in 0usize..600, seed in 0i64..1000, pick in any::<u8>(),
        col_major in any::<bool>(),
    ) {
        let a: Vec<i64> = ints(m, seed);
        let b: Vec<i64> = ints(n, seed + 1);
        let af: Vec<f32> = a.iter().map(|&v| v as f32).collect();
        let bf: Vec<f32> = b.iter().map(|&v| v as f32).collect();
        let layout = if col_major { Layout::ColMajor } else { Layout::RowMajor };
        let mut out = vec![0.0f32; m * n];
        with_kernel_path(path(pick), || outer_into_layout(&mut out, &af, &bf, layout)).unwrap();
        let want = reference::outer(&a, &b);
        for i in 0..m {
            for j in 0..n {
                let got = if col_major { out[i + j * m] } else { out[i * n + j] };
                prop_assert_eq!(got, want[(i, j)] as f32);
            }
        }
    }
}
