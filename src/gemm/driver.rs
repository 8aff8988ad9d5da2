//! The five loops of the BLIS algorithm, the small-product path, and kernel selection.
//!
//! ```text
//! for jc in 0..n step NC            B block (KC×NC) packed once per (jc, pc), shared by threads
//!   for pc in 0..k step KC          β applied on pc = 0 only; later blocks accumulate (β = 1)
//!     for (ic, jchunk) in tasks     in parallel: rows in MR multiples ≤ MC, columns in NR multiples
//!       pack A block (MC×KC)        per-thread buffer
//!       for jr in chunk step NR
//!         for ir in 0..mc step MR
//!           microkernel: MR×NR tile += KC outer products
//! ```
//! K is never split, so the thread count cannot change any element's operations.

use std::any::Any;
use std::ops::Range;

use super::blocking::{self, PARALLEL_WORK, SMALL_WORK_GENERIC, SMALL_WORK_SIMD};
use super::kernel::{Microkernel, Reference};
#[cfg(target_arch = "x86_64")]
use super::kernel_x86::{Avx2F32, Avx2F64, Avx512F32, Avx512F64};
use super::pack::{pack_a, pack_b, panel_stride, Block};
use super::parallel::{for_each_task, with_buffer, SharedPtr, Split, PACK_A, PACK_B};
use crate::arch::KernelPath;
use crate::scalar::{Scalar, ScalarKind};
use crate::view::{MatMut, MatRef};

/// A validated product `C ← αAB + βC` as raw pointers and strides: m, n, k > 0, α ≠ 0.
pub(crate) struct Operands<T> {
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    beta: T,
    a: SharedPtr<T>,
    rsa: isize,
    csa: isize,
    b: SharedPtr<T>,
    rsb: isize,
    csb: isize,
    c: SharedPtr<T>,
    rsc: isize,
    csc: isize,
}

impl<T: Copy> Clone for Operands<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Copy> Copy for Operands<T> {}

/// Where the running sums of the dense-layer backward pass go (see `gemm_with_a_row_sums`).
#[derive(Clone, Copy)]
pub(crate) enum Sums<T> {
    /// No sums.
    None,
    /// `sums[i] += Σₚ A[i, p]` (length m).
    RowsOfA(SharedPtr<T>),
    /// `sums[j] += Σₚ B[p, j]` (length n): row sums of A after the problem was transposed.
    ColsOfB(SharedPtr<T>),
}

impl<T: Scalar> Operands<T> {
    /// Captures the views; the caller has checked the shapes, and that m, n, k > 0, α ≠ 0.
    pub(crate) fn new(
        alpha: T,
        a: &MatRef<'_, T>,
        b: &MatRef<'_, T>,
        beta: T,
        c: &mut MatMut<'_, T>,
    ) -> Self {
        debug_assert!(!c.is_empty() && a.cols() > 0 && alpha != T::zero());
        Operands {
            m: a.rows(),
            n: b.cols(),
            k: a.cols(),
            alpha,
            beta,
            // A and B are only ever read through these pointers.
            a: SharedPtr(a.as_ptr().cast_mut()),
            rsa: a.row_stride(),
            csa: a.col_stride(),
            b: SharedPtr(b.as_ptr().cast_mut()),
            rsb: b.row_stride(),
            csb: b.col_stride(),
            c: SharedPtr(c.as_mut_ptr()),
            rsc: c.row_stride(),
            csc: c.col_stride(),
        }
    }

    /// Cᵀ = BᵀAᵀ: the same product with the roles of rows and columns exchanged.
    fn transposed(self) -> Self {
        Operands {
            m: self.n,
            n: self.m,
            a: self.b,
            rsa: self.csb,
            csa: self.rsb,
            b: self.a,
            rsb: self.csa,
            csb: self.rsa,
            rsc: self.csc,
            csc: self.rsc,
            ..self
        }
    }

    /// The same operands with `U = T` (checked by `TypeId`), to reach the typed kernels.
    fn cast<U: Scalar>(self) -> Option<Operands<U>> {
        let alpha = *(&self.alpha as &dyn Any).downcast_ref::<U>()?;
        let beta = *(&self.beta as &dyn Any).downcast_ref::<U>()?;
        Some(Operands {
            m: self.m,
            n: self.n,
            k: self.k,
            alpha,
            beta,
            a: SharedPtr(self.a.0.cast::<U>()),
            rsa: self.rsa,
            csa: self.csa,
            b: SharedPtr(self.b.0.cast::<U>()),
            rsb: self.rsb,
            csb: self.csb,
            c: SharedPtr(self.c.0.cast::<U>()),
            rsc: self.rsc,
            csc: self.csc,
        })
    }
}

impl<T: Scalar> Operands<T> {
    /// A at (i, p) onwards, as a packing source.
    ///
    /// # Safety
    /// `i < m` and `p < k` (the result points inside A).
    #[inline]
    unsafe fn a_block(&self, i: usize, p: usize) -> Block<T> {
        debug_assert!(i < self.m && p < self.k);
        Block {
            // SAFETY: (i, p) is an element of A, whose addresses the view validated.
            ptr: unsafe {
                self.a
                    .get()
                    .offset(i as isize * self.rsa + p as isize * self.csa)
            },
            rs: self.rsa,
            cs: self.csa,
        }
    }

    /// B at (p, j) onwards, as a packing source.
    ///
    /// # Safety
    /// `p < k` and `j < n`.
    #[inline]
    unsafe fn b_block(&self, p: usize, j: usize) -> Block<T> {
        debug_assert!(p < self.k && j < self.n);
        Block {
            // SAFETY: (p, j) is an element of B, whose addresses the view validated.
            ptr: unsafe {
                self.b
                    .get()
                    .offset(p as isize * self.rsb + j as isize * self.csb)
            },
            rs: self.rsb,
            cs: self.csb,
        }
    }

    /// The address of C's element (i, j).
    ///
    /// # Safety
    /// `i < m` and `j < n`.
    #[inline]
    unsafe fn c_at(&self, i: usize, j: usize) -> *mut T {
        debug_assert!(i < self.m && j < self.n);
        // SAFETY: (i, j) is an element of C, whose addresses the view validated.
        unsafe {
            self.c
                .get()
                .offset(i as isize * self.rsc + j as isize * self.csc)
        }
    }
}

impl<T> Sums<T> {
    /// The same sums for the transposed problem: rows of A are columns of Bᵀ and vice versa.
    fn swapped(self) -> Self {
        match self {
            Sums::None => Sums::None,
            Sums::RowsOfA(p) => Sums::ColsOfB(p),
            Sums::ColsOfB(p) => Sums::RowsOfA(p),
        }
    }

    fn cast<U>(self) -> Sums<U> {
        match self {
            Sums::None => Sums::None,
            Sums::RowsOfA(p) => Sums::RowsOfA(SharedPtr(p.0.cast())),
            Sums::ColsOfB(p) => Sums::ColsOfB(SharedPtr(p.0.cast())),
        }
    }
}

/// Which engine a product takes (for tests and benches, through `gemm_with_route`).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// No packing: the microkernel on operands in place (f32/f64 with AVX2+FMA, its column
    /// tiles split between threads when called from a pool thread), plain loops otherwise.
    Small,
    /// The packed, blocked, threaded engine.
    Blocked,
}

/// Runs a validated product. `sums`, when `RowsOfA`, points at m elements.
///
/// # Safety
/// The operands come from live views (A, B readable at every (i, p), (p, j); C exclusively
/// borrowed and non-aliasing), and the sums pointer, if any, is valid and exclusive for m
/// elements. Nothing else touches C or the sums during the call.
pub(crate) unsafe fn run<T: Scalar>(
    op: Operands<T>,
    sums: Sums<T>,
    path: KernelPath,
    route: Option<Route>,
) {
    // Make C's rows contiguous when its columns are not: the kernels write columns of C.
    let (op, sums) = if op.rsc != 1 && op.csc == 1 {
        (op.transposed(), sums.swapped())
    } else {
        (op, sums)
    };
    let work = op.m.saturating_mul(op.n).saturating_mul(op.k);
    let simd = matches!(path, KernelPath::Avx2Fma | KernelPath::Avx512)
        && ScalarKind::of::<T>() != ScalarKind::Other;
    let small_work = if simd {
        SMALL_WORK_SIMD
    } else {
        SMALL_WORK_GENERIC
    };
    let route = route.unwrap_or(if work < small_work {
        Route::Small
    } else {
        Route::Blocked
    });
    let threads = if work < PARALLEL_WORK {
        1
    } else {
        crate::threading::current_num_threads()
    };
    // SAFETY: forwarded from this function's contract; the SIMD kernels are only chosen on
    // their own path (Avx2Fma, Avx512), which `arch` grants only when the CPU has the features.
    unsafe {
        match (route, ScalarKind::of::<T>(), path) {
            #[cfg(target_arch = "x86_64")]
            (Route::Small, ScalarKind::F64, KernelPath::Avx2Fma) => {
                small_or_blocked::<T, f64, Avx2F64>(op, sums, path)
            }
            #[cfg(target_arch = "x86_64")]
            (Route::Small, ScalarKind::F32, KernelPath::Avx2Fma) => {
                small_or_blocked::<T, f32, Avx2F32>(op, sums, path)
            }
            #[cfg(target_arch = "x86_64")]
            (Route::Small, ScalarKind::F64, KernelPath::Avx512) => {
                small_or_blocked::<T, f64, Avx512F64>(op, sums, path)
            }
            #[cfg(target_arch = "x86_64")]
            (Route::Small, ScalarKind::F32, KernelPath::Avx512) => {
                small_or_blocked::<T, f32, Avx512F32>(op, sums, path)
            }
            (Route::Small, _, _) => small(op, sums),
            (Route::Blocked, _, _) => dispatch(op, sums, path, threads),
        }
    }
}

/// The small path with kernel `K` on `F` (= `T`), or the packed engine on one thread when
/// the operands do not suit it.
///
/// # Safety
/// As [`run`], plus: `K`'s CPU features are available.
unsafe fn small_or_blocked<T: Scalar, F: Scalar, K: Microkernel<F>>(
    op: Operands<T>,
    sums: Sums<T>,
    path: KernelPath,
) {
    if let Some(opf) = op.cast::<F>() {
        // SAFETY: forwarded contract; `cast` succeeded, so F is T.
        if !unsafe { small_simd::<F, K>(opf, sums.cast()) } {
            // SAFETY: forwarded contract.
            unsafe { dispatch(op, sums, path, 1) };
        }
    }
}

/// The small path for the SIMD kernels: no packing of full operands. The
/// microkernel reads A's columns and B's elements in place ([`Microkernel::run_strided`]); only
/// a last partial panel of fewer than MR rows is copied, zero-padded, to a reused buffer.
/// Needs A's rows contiguous (unit row stride) in the problem or its transpose; returns `false`
/// without touching anything when neither has them.
///
/// # Safety
/// As [`run`], plus: `K`'s CPU features are available.
unsafe fn small_simd<T: Scalar, K: Microkernel<T>>(op: Operands<T>, sums: Sums<T>) -> bool {
    let (op, sums) = if op.rsa == 1 {
        (op, sums)
    } else if op.csb == 1 {
        (op.transposed(), sums.swapped())
    } else {
        return false;
    };
    // SAFETY: forwarded from the caller.
    unsafe { add_sums(&op, sums) };
    let (m, n, k, nr) = (op.m, op.n, op.k, K::NR);
    // Column tiles are independent, so called from a pool thread (where a fork-join costs a
    // few µs) the products near the small-path limit split their NR-column tiles between
    // threads; every tile is computed exactly as on one thread. Measured in the peer bench,
    // 64³ on 2 threads: f32 0.81–0.91× matrixmultiply's threaded split without this, 0.99–1.04×
    // with it; f64 0.72–0.74× and 1.02–1.21×. From outside a pool the hand-over alone (about
    // 15 µs) outweighs a 64³ product, so those calls stay on the calling thread.
    let tiles = n.div_ceil(nr);
    let pieces = if crate::threading::on_pool_thread() {
        (m * n * k / SMALL_PIECE_WORK)
            .min(tiles)
            .min(crate::threading::current_num_threads())
            .max(1)
    } else {
        1
    };
    let op_ref = &op;
    for_each_task(pieces, pieces, |t| {
        let (j0, j1) = (
            t * tiles / pieces * nr,
            ((t + 1) * tiles / pieces * nr).min(n),
        );
        // SAFETY: forwarded from the caller; the pieces own disjoint column ranges of C.
        unsafe { small_simd_cols::<T, K>(op_ref, j0..j1) };
    });
    true
}

/// Multiply-adds per thread below which the small path stays on fewer threads (64³ makes
/// two pieces, 80³ three).
const SMALL_PIECE_WORK: usize = 128 * 1024;

/// The columns `cols` (whole NR tiles, the last one possibly partial) of the small path's
/// product.
///
/// # Safety
/// As [`small_simd`], with A's rows contiguous; nobody else touches these columns of C.
unsafe fn small_simd_cols<T: Scalar, K: Microkernel<T>>(op: &Operands<T>, cols: Range<usize>) {
    let (m, k, mr, nr) = (op.m, op.k, K::MR, K::NR);
    let full_rows = m / mr * mr;
    for ir in (0..full_rows).step_by(mr) {
        for jr in cols.clone().step_by(nr) {
            let width = nr.min(cols.end - jr);
            debug_assert!(ir + mr <= m && jr + width <= op.n);
            // SAFETY: rows ir..ir+MR of A (unit row stride) exist for every p < k; B is read at
            // (p, jr + j) for j < width; the tile of C is inside C. (# Safety of `run`.)
            unsafe {
                K::run_strided(
                    k,
                    op.alpha,
                    op.a_block(ir, 0).ptr,
                    op.csa,
                    op.b_block(0, jr).ptr,
                    op.rsb,
                    op.csb,
                    op.beta,
                    op.c_at(ir, jr),
                    op.rsc,
                    op.csc,
                    mr,
                    width,
                );
            }
        }
    }
    if full_rows < m {
        let rows = m - full_rows;
        with_buffer::<T, _>(&PACK_A, mr * k, |panel| {
            // SAFETY: the buffer holds MR·k elements; A is readable at (full_rows + i, p) for
            // i < rows, p < k; the kernel then reads the padded panel with step MR.
            unsafe {
                pack_a(mr, mr * k, panel, op.a_block(full_rows, 0), rows, k, None);
                for jr in cols.clone().step_by(nr) {
                    let width = nr.min(cols.end - jr);
                    K::run_strided(
                        k,
                        op.alpha,
                        panel,
                        mr as isize,
                        op.b_block(0, jr).ptr,
                        op.rsb,
                        op.csb,
                        op.beta,
                        op.c_at(full_rows, jr),
                        op.rsc,
                        op.csc,
                        rows,
                        width,
                    );
                }
            }
        });
    }
}

/// Adds the requested sums (rows of A or columns of B) with plain loops.
///
/// # Safety
/// As [`run`].
unsafe fn add_sums<T: Scalar>(op: &Operands<T>, sums: Sums<T>) {
    match sums {
        Sums::None => {}
        Sums::RowsOfA(s) => {
            for i in 0..op.m {
                // SAFETY: (i, p) is inside A, s has m entries (# Safety of `run`).
                unsafe {
                    let mut acc = *s.get().add(i);
                    for p in 0..op.k {
                        acc = acc + *op.a_block(i, p).ptr;
                    }
                    *s.get().add(i) = acc;
                }
            }
        }
        Sums::ColsOfB(s) => {
            for j in 0..op.n {
                // SAFETY: (p, j) is inside B, s has n entries (# Safety of `run`).
                unsafe {
                    let mut acc = *s.get().add(j);
                    for p in 0..op.k {
                        acc = acc + *op.b_block(p, j).ptr;
                    }
                    *s.get().add(j) = acc;
                }
            }
        }
    }
}

/// Picks the microkernel for the element type and kernel path.
///
/// # Safety
/// As [`run`].
unsafe fn dispatch<T: Scalar>(op: Operands<T>, sums: Sums<T>, path: KernelPath, threads: usize) {
    // SAFETY: forwarded from the caller; the SIMD kernels are only chosen on their own path
    // (Avx2Fma, Avx512), which `arch` grants only when the CPU has the features.
    unsafe {
        match (ScalarKind::of::<T>(), path) {
            #[cfg(target_arch = "x86_64")]
            (ScalarKind::F64, KernelPath::Avx2Fma) => {
                blocked_as::<T, f64, Avx2F64>(op, sums, threads)
            }
            #[cfg(target_arch = "x86_64")]
            (ScalarKind::F32, KernelPath::Avx2Fma) => {
                blocked_as::<T, f32, Avx2F32>(op, sums, threads)
            }
            #[cfg(target_arch = "x86_64")]
            (ScalarKind::F64, KernelPath::Avx512) => {
                blocked_as::<T, f64, Avx512F64>(op, sums, threads)
            }
            #[cfg(target_arch = "x86_64")]
            (ScalarKind::F32, KernelPath::Avx512) => {
                blocked_as::<T, f32, Avx512F32>(op, sums, threads)
            }
            (ScalarKind::F32, _) => blocked::<T, Reference<8, 4>>(op, sums, threads),
            _ => blocked::<T, Reference<4, 4>>(op, sums, threads),
        }
    }
}

/// [`blocked`] with kernel `K` on `F` (= `T`; nothing happens otherwise).
///
/// # Safety
/// As [`blocked`].
unsafe fn blocked_as<T: Scalar, F: Scalar, K: Microkernel<F>>(
    op: Operands<T>,
    sums: Sums<T>,
    threads: usize,
) {
    debug_assert_eq!(std::any::TypeId::of::<T>(), std::any::TypeId::of::<F>());
    if let Some(op) = op.cast::<F>() {
        // SAFETY: forwarded contract; `cast` succeeded, so F is T.
        unsafe { blocked::<F, K>(op, sums.cast(), threads) };
    }
}

/// The packed engine with kernel `K` on up to `threads` threads.
///
/// # Safety
/// As [`run`], plus: `K`'s CPU features are available.
pub(crate) unsafe fn blocked<T: Scalar, K: Microkernel<T>>(
    op: Operands<T>,
    sums: Sums<T>,
    threads: usize,
) {
    let (mr, nr) = (K::MR, K::NR);
    let bl = blocking::blocking(mr, nr, std::mem::size_of::<T>());
    let (m, n, k) = (op.m, op.n, op.k);
    let size = std::mem::size_of::<T>();
    let kc_max = bl.kc.min(k);
    let b_elems = n.min(bl.nc).div_ceil(nr) * (nr * kc_max + nr);
    let a_elems = m.min(bl.mc).div_ceil(mr) * (mr * kc_max + mr);
    with_buffer::<T, _>(&PACK_B, b_elems, |bbuf| {
        let bbuf = SharedPtr(bbuf);
        for jc in (0..n).step_by(bl.nc) {
            let ncb = bl.nc.min(n - jc);
            let split = Split::new(m, ncb, bl.mc, mr, nr, threads);
            let (mt, nt) = (m.div_ceil(split.m_chunk), ncb.div_ceil(split.n_chunk));
            for pc in (0..k).step_by(bl.kc) {
                let kcb = bl.kc.min(k - pc);
                let (a_ps, b_ps) = (panel_stride(mr, kcb, size), panel_stride(nr, kcb, size));
                let beta = if pc == 0 { op.beta } else { T::one() };

                // Pack the KC×NC block of B, split by NR panels among the threads.
                let panels = ncb.div_ceil(nr);
                let groups = threads.min(panels);
                let per = panels.div_ceil(groups);
                for_each_task(groups, threads, |g| {
                    let (p0, p1) = (g * per, panels.min(g * per + per));
                    if p0 >= p1 {
                        return;
                    }
                    let (j0, cols) = (p0 * nr, ncb.min(p1 * nr) - p0 * nr);
                    let col_sums = match sums {
                        Sums::ColsOfB(s) => Some(s.get().wrapping_add(jc + j0)),
                        _ => None,
                    };
                    debug_assert!((p0 + cols.div_ceil(nr)) * b_ps <= b_elems);
                    // SAFETY: B is readable at (pc + p, jc + j0 + j) for p < kcb, j < cols (all
                    // inside k×n); the group writes panels p0..p1 of the buffer, disjoint from
                    // other groups', inside b_elems; its column sums jc+j0.. are its own.
                    unsafe {
                        let src = op.b_block(pc, jc + j0);
                        pack_b(
                            nr,
                            b_ps,
                            bbuf.get().add(p0 * b_ps),
                            src,
                            kcb,
                            cols,
                            col_sums,
                        );
                    }
                });

                // Each task: one row chunk × one column chunk of this C block.
                for_each_task(mt * nt, threads, |t| {
                    let (ti, tj) = (t % mt, t / mt);
                    let i0 = ti * split.m_chunk;
                    let mcb = split.m_chunk.min(m - i0);
                    let j0 = tj * split.n_chunk;
                    let ncc = split.n_chunk.min(ncb - j0);
                    // Sum each row once: on the first column pass and the first column chunk.
                    let row_sums = match sums {
                        Sums::RowsOfA(s) if jc == 0 && tj == 0 => Some(s.get().wrapping_add(i0)),
                        _ => None,
                    };
                    debug_assert!(mcb.div_ceil(mr) * a_ps <= a_elems);
                    with_buffer::<T, _>(&PACK_A, a_elems, |abuf| {
                        // SAFETY: A is readable at (i0 + i, pc + p) for i < mcb, p < kcb; the
                        // A buffer is this thread's own (taken out of its thread-local); the
                        // row sums i0..i0+mcb belong to this task alone (only tj = 0 tasks
                        // write sums, and they have disjoint rows); the B panels read were
                        // finished by the fork-join above; C rows i0.. and columns
                        // jc+j0..jc+j0+ncc form a block no other task writes.
                        unsafe {
                            pack_a(mr, a_ps, abuf, op.a_block(i0, pc), mcb, kcb, row_sums);
                            let c = op.c_at(i0, jc + j0);
                            macrokernel::<T, K>(
                                kcb,
                                op.alpha,
                                beta,
                                abuf,
                                a_ps,
                                mcb,
                                bbuf.get().add(j0 / nr * b_ps),
                                b_ps,
                                ncc,
                                c,
                                op.rsc,
                                op.csc,
                            );
                        }
                    });
                });
            }
        }
    });
}

/// Sweeps the microkernel over an mc×nc block of C from packed A (mc rows) and packed B
/// (nc columns), B micro-panels outside so each stays in L1 while A's stream from L2.
///
/// # Safety
/// Packed A holds ceil(mc/MR) panels `a_ps` apart, packed B ceil(nc/NR) panels `b_ps` apart,
/// each panel MR·kc (resp. NR·kc) elements; C is valid and
/// exclusive at `c + i·rsc + j·csc` for i < mc, j < nc; `K`'s CPU features are available.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn macrokernel<T: Scalar, K: Microkernel<T>>(
    kc: usize,
    alpha: T,
    beta: T,
    a: *const T,
    a_ps: usize,
    mc: usize,
    b: *const T,
    b_ps: usize,
    nc: usize,
    c: *mut T,
    rsc: isize,
    csc: isize,
) {
    for jr in (0..nc).step_by(K::NR) {
        let nr = K::NR.min(nc - jr);
        for ir in (0..mc).step_by(K::MR) {
            let mr = K::MR.min(mc - ir);
            debug_assert!(ir < mc && jr < nc && mr <= K::MR && nr <= K::NR);
            // SAFETY: micro-panel ir/MR of A and jr/NR of B lie inside the packed buffers
            // (# Safety); the mr×nr tile at (ir, jr) is inside the mc×nc block of C.
            unsafe {
                K::run(
                    kc,
                    alpha,
                    a.add(ir / K::MR * a_ps),
                    b.add(jr / K::NR * b_ps),
                    beta,
                    c.offset(ir as isize * rsc + jr as isize * csc),
                    rsc,
                    csc,
                    mr,
                    nr,
                );
            }
        }
    }
}

/// The small path: plain loops, no packing, no threads. Each column of C is accumulated in a
/// stack buffer of up to 64 rows by axpys over the columns of A (contiguous when A is
/// column-major, which the orientation in [`run`] favours), then written as `α·acc + β·C`.
///
/// # Safety
/// As [`run`].
unsafe fn small<T: Scalar>(op: Operands<T>, sums: Sums<T>) {
    const ROWS: usize = 64;
    let (m, n, k) = (op.m, op.n, op.k);
    let zero = T::zero();
    let mut acc = [zero; ROWS];
    for j in 0..n {
        for i0 in (0..m).step_by(ROWS) {
            let rows = ROWS.min(m - i0);
            let acc = &mut acc[..rows];
            acc.fill(zero);
            for p in 0..k {
                debug_assert!(p < k && j < n && i0 + rows <= m);
                // SAFETY: (p, j) is inside B and (i0 + i, p) for i < rows inside A, readable
                // (# Safety); the sums are exclusive to this call and have m (resp. n) entries.
                unsafe {
                    let bpj = *op.b_block(p, j).ptr;
                    let ap = op.a_block(i0, p).ptr;
                    if op.rsa == 1 {
                        for (i, x) in acc.iter_mut().enumerate() {
                            *x = *x + *ap.add(i) * bpj;
                        }
                    } else {
                        for (i, x) in acc.iter_mut().enumerate() {
                            *x = *x + *ap.offset(i as isize * op.rsa) * bpj;
                        }
                    }
                    match sums {
                        Sums::RowsOfA(s) if j == 0 => {
                            for i in 0..rows {
                                let si = s.0.add(i0 + i);
                                *si = *si + *ap.offset(i as isize * op.rsa);
                            }
                        }
                        Sums::ColsOfB(s) if i0 == 0 => *s.0.add(j) = *s.0.add(j) + bpj,
                        _ => {}
                    }
                }
            }
            for (i, &x) in acc.iter().enumerate() {
                debug_assert!(i0 + i < m && j < n);
                // SAFETY: (i0 + i, j) is inside C, exclusively borrowed (# Safety).
                unsafe {
                    let cij = op.c_at(i0 + i, j);
                    *cij = if op.beta == zero {
                        op.alpha * x
                    } else {
                        op.alpha * x + op.beta * *cij
                    };
                }
            }
        }
    }
}

/// `C ← βC` (C not read when β = 0): the whole product when α = 0 or k = 0.
pub(crate) fn scale<T: Scalar>(beta: T, c: &mut MatMut<'_, T>) {
    if beta == T::one() {
        return;
    }
    for j in 0..c.cols() {
        for i in 0..c.rows() {
            let v = if beta == T::zero() {
                T::zero()
            } else {
                beta * c.get(i, j)
            };
            c.set(i, j, v);
        }
    }
}
