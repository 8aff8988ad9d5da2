//! Group `dense` (issue 5): the backward pass of a dense layer, f32, row-major throughout.
//!
//! W is (out, in), X is (batch, in), dY is (batch, out). Backward computes
//! `dW = dYᵀX` (out × in), `db = Σ_rows dY` (out) and `dX = dY W` (batch × in).
//! GFLOP/s counts 2·batch·in·out for each GEMM plus batch·out adds for db.
//!
//! Baseline: system OpenBLAS, two `cblas_sgemm` calls and a separate bias reduction.
//! outerprod: `grad::Dense::backward_into` (db fused into the packing of dYᵀ, all three outputs in
//! caller-owned buffers, like the baseline), and for comparison `outerprod::gemm` twice plus the
//! same separate reduction as the baseline ("unfused").

use crate::cblas::{self, Blas};
use crate::check;
use crate::elem::ci;
use crate::harness::{by_case, in_pool, Cfg, RowRun, Table};

const OP_UNFUSED: &str = "outerprod gemm×2 + sum (unfused)";
const OP_FUSED: &str = "outerprod Dense::backward (fused)";
const OPENBLAS: &str = "OpenBLAS sgemm×2 + sum";

/// Column names.
pub fn cols() -> Vec<String> {
    [OP_FUSED, OP_UNFUSED, OPENBLAS].map(String::from).to_vec()
}

/// (batch, in, out).
const SHAPES: [(usize, usize, usize); 3] = [(1, 784, 128), (64, 784, 128), (256, 1024, 1024)];

/// The gradients of one backward pass.
pub struct Grads {
    dw: Vec<f32>,
    db: Vec<f32>,
    dx: Vec<f32>,
}

/// The inputs of one backward pass.
pub struct Inputs {
    batch: usize,
    inp: usize,
    out: usize,
    x: Vec<f32>,
    w: Vec<f32>,
    dy: Vec<f32>,
}

/// Runs the group (f32 only, as in the issue).
pub fn run(cfg: &Cfg, ob: Option<&Blas>) -> Vec<(usize, Table)> {
    let runs = by_case(cfg, |c, t| {
        if let Some(b) = ob {
            b.set_threads(t);
        }
        in_pool(t, || table(c, t, ob))
    });
    let mut res = Vec::new();
    for (t, table) in runs {
        println!("{}", table.rates_md());
        println!("{}", table.ratios_md("OpenBLAS", |_| Some(OPENBLAS.into())));
        res.push((t, table));
    }
    res
}

fn bias_sum(dy: &[f32], out: usize, db: &mut [f32]) {
    db.fill(0.0);
    for r in dy.chunks_exact(out) {
        for (d, &v) in db.iter_mut().zip(r) {
            *d += v;
        }
    }
}

fn openblas(lib: &Blas, p: &Inputs, g: &mut Grads) {
    let (b, i, o) = (p.batch, p.inp, p.out);
    debug_assert!(p.dy.len() == b * o && p.x.len() == b * i && p.w.len() == o * i);
    debug_assert!(g.dw.len() == o * i && g.dx.len() == b * i);
    // SAFETY: dY is b×o, X is b×i, W is o×i, dW is o×i, dX is b×i, all row-major and
    // exactly that long.
    unsafe {
        (lib.sgemm)(
            cblas::ROW_MAJOR,
            cblas::TRANS,
            cblas::NO_TRANS,
            ci(o),
            ci(i),
            ci(b),
            1.0,
            p.dy.as_ptr(),
            ci(o),
            p.x.as_ptr(),
            ci(i),
            0.0,
            g.dw.as_mut_ptr(),
            ci(i),
        );
    }
    bias_sum(&p.dy, o, &mut g.db);
    // SAFETY: as above.
    unsafe {
        (lib.sgemm)(
            cblas::ROW_MAJOR,
            cblas::NO_TRANS,
            cblas::NO_TRANS,
            ci(b),
            ci(i),
            ci(o),
            1.0,
            p.dy.as_ptr(),
            ci(o),
            p.w.as_ptr(),
            ci(i),
            0.0,
            g.dx.as_mut_ptr(),
            ci(i),
        );
    }
}

fn unfused(p: &Inputs, g: &mut Grads) {
    let (b, i, o) = (p.batch, p.inp, p.out);
    let dy = outerprod::MatRef::row_major(&p.dy, b, o).expect("dY");
    let x = outerprod::MatRef::row_major(&p.x, b, i).expect("X");
    let w = outerprod::MatRef::row_major(&p.w, o, i).expect("W");
    outerprod::gemm(
        1.0,
        dy.transpose(),
        x,
        0.0,
        outerprod::MatMut::row_major(&mut g.dw, o, i).expect("dW"),
    )
    .expect("dW gemm");
    bias_sum(&p.dy, o, &mut g.db);
    outerprod::gemm(
        1.0,
        dy,
        w,
        0.0,
        outerprod::MatMut::row_major(&mut g.dx, b, i).expect("dX"),
    )
    .expect("dX gemm");
}

/// The fused backward: one `Dense` (holding W) and caller-owned gradient buffers.
struct Fused {
    layer: outerprod::grad::Dense<f32>,
    grads: outerprod::grad::DenseGrads<f32>,
    dx: Vec<f32>,
}

fn fused(p: &Inputs, f: &mut Fused) {
    let x = outerprod::MatRef::row_major(&p.x, p.batch, p.inp).expect("X");
    let dy = outerprod::MatRef::row_major(&p.dy, p.batch, p.out).expect("dY");
    let dx = outerprod::MatMut::row_major(&mut f.dx, p.batch, p.inp).expect("dX");
    f.layer
        .backward_into(
            x,
            dy,
            &mut f.grads,
            outerprod::grad::Accumulate::Overwrite,
            Some(dx),
        )
        .expect("Dense::backward_into");
}

fn verify(p: &Inputs, g: &Grads) -> Result<(), String> {
    verify_parts(p, &g.dw, &g.db, &g.dx)
}

fn verify_parts(p: &Inputs, dw: &[f32], db: &[f32], dx: &[f32]) -> Result<(), String> {
    let (b, i, o) = (p.batch, p.inp, p.out);
    let tol = |k: usize, abs: f64| 2.0 * (k as f64 + 2.0) * f32::EPSILON as f64 * abs + 1e-30;
    check::sampled(
        "dW",
        o,
        i,
        |r, c| dw[r * i + c] as f64,
        |r, c| {
            let (s, a) = (0..b).fold((0.0, 0.0), |(s, a), t| {
                let v = p.dy[t * o + r] as f64 * p.x[t * i + c] as f64;
                (s + v, a + v.abs())
            });
            (s, tol(b, a))
        },
    )?;
    check::sampled(
        "db",
        1,
        o,
        |_, c| db[c] as f64,
        |_, c| {
            let (s, a) = (0..b).fold((0.0, 0.0), |(s, a), t| {
                let v = p.dy[t * o + c] as f64;
                (s + v, a + v.abs())
            });
            (s, tol(b, a))
        },
    )?;
    check::sampled(
        "dX",
        b,
        i,
        |r, c| dx[r * i + c] as f64,
        |r, c| {
            let (s, a) = (0..o).fold((0.0, 0.0), |(s, a), t| {
                let v = p.dy[r * o + t] as f64 * p.w[t * i + c] as f64;
                (s + v, a + v.abs())
            });
            (s, tol(o, a))
        },
    )
}

fn table(cfg: &Cfg, threads: usize, ob: Option<&Blas>) -> Table {
    let cols = cols();
    let mut table = Table::new(
        format!("dense backward f32 — {threads} thread(s)"),
        "GFLOP/s",
        cols.clone(),
    );
    for &(batch, inp, out) in &SHAPES {
        let label = format!("batch {batch}, in {inp}, out {out}");
        if !cfg.wants_case(&label) {
            continue;
        }
        let tag = format!("dense {threads}T {label}");
        eprintln!("{tag}");
        let p = Inputs {
            batch,
            inp,
            out,
            x: check::data(batch * inp, 10),
            w: check::data(out * inp, 11),
            dy: check::data(batch * out, 12),
        };
        let mut g = Grads {
            dw: vec![0.0; out * inp],
            db: vec![0.0; out],
            dx: vec![0.0; batch * inp],
        };
        let flops = (4 * batch * inp * out + batch * out) as f64;
        let mut row = RowRun::new(cfg, tag, &cols, flops);
        let nan = |g: &mut Grads| {
            g.dw.fill(f32::NAN);
            g.db.fill(f32::NAN);
            g.dx.fill(f32::NAN);
        };
        let layer = outerprod::grad::Dense::new(
            outerprod::Matrix::from_vec(out, inp, p.w.clone()).expect("W"),
            vec![0.0; out],
        )
        .expect("layer");
        let mut fz = Fused {
            grads: outerprod::grad::DenseGrads::for_layer(&layer),
            layer,
            dx: vec![0.0; batch * inp],
        };
        row.run(
            &mut fz,
            OP_FUSED,
            |f| f.dx.fill(f32::NAN),
            |f| fused(&p, f),
            |f| verify_parts(&p, f.grads.weights().as_slice(), f.grads.bias(), &f.dx),
        );
        row.run(
            &mut g,
            OP_UNFUSED,
            nan,
            |g| unfused(&p, g),
            |g| verify(&p, g),
        );
        match ob {
            Some(lib) => {
                row.run(
                    &mut g,
                    OPENBLAS,
                    nan,
                    |g| openblas(lib, &p, g),
                    |g| verify(&p, g),
                );
                row.cool_down();
            }
            None => row.skip(OPENBLAS, "not loaded"),
        }
        table.rows.push(row.finish(label));
    }
    table
}
