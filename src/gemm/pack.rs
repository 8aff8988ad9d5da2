//! Packing: copies a block of A into MR-row micro-panels and a block of B into NR-column
//! micro-panels, in the order the microkernel reads them, zero-padding partial panels.
//!
//! Packed A (mc×kc): panel r holds rows `r·mr .. r·mr + mr`; inside it, step p holds the mr
//! values `A[r·mr + i, p]` contiguously. Packed B (kc×nc): panel s holds columns
//! `s·NR .. s·NR + NR`; step p holds `B[p, s·NR + j]` contiguously.
//!
//! Both packers can also add the values they copy into running sums (row sums of A, column sums
//! of B): the dense-layer backward pass gets its bias gradient from the pass that packs dY.

use crate::scalar::Scalar;

/// A strided source block: element `(i, j)` at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy)]
pub(crate) struct Block<T> {
    pub(crate) ptr: *const T,
    pub(crate) rs: isize,
    pub(crate) cs: isize,
}

impl<T> Block<T> {
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> *const T {
        self.ptr
            .wrapping_offset(i as isize * self.rs + j as isize * self.cs)
    }
}

/// Packs the `mc×kc` block `src` into `ceil(mc/mr)` MR-row panels at `dst`, panel r starting
/// at `dst + r·ps` (`ps ≥ mr·kc`, see [`panel_stride`]), and, when `sums` is given, adds
/// `Σ_p src[i, p]` into `sums[i]` for `i < mc` (in increasing p).
///
/// # Safety
/// - every `src` element `(i, p)` with `i < mc`, `p < kc` is valid for reads;
/// - `ps ≥ mr·kc`; `dst` is valid for writes of `ceil(mc/mr)·ps` elements, aligned, and not read by
///   anyone else during the call;
/// - `sums`, when given, is valid for reads and writes of `mc` elements and exclusive to us.
#[inline(always)]
pub(crate) unsafe fn pack_a<T: Scalar>(
    mr: usize,
    ps: usize,
    dst: *mut T,
    src: Block<T>,
    mc: usize,
    kc: usize,
    sums: Option<*mut T>,
) {
    let panels = mc.div_ceil(mr);
    if src.rs == 1 && mc >= mr {
        // Columns of the block are contiguous: walk them in order (p outer), so the source is
        // read as one stream per column instead of one cache line per (panel, p) pair, which
        // costs a cache miss each when the column stride is large.
        for p in 0..kc {
            debug_assert!(p < kc && mc <= panels * mr);
            // SAFETY: column p of the source has mc readable elements from `src.at(0, p)`
            // (# Safety, first point); panel r's step p is dst[r·mr·kc + p·mr ..][..mr], inside
            // the ceil(mc/mr)·mr·kc elements provided.
            unsafe {
                let col = src.at(0, p);
                prefetch_column(src.at(0, p + PREFETCH_AHEAD), mc, p + PREFETCH_AHEAD < kc);
                for r in 0..panels {
                    let (i0, d) = (r * mr, dst.add(r * ps + p * mr));
                    let rows = mr.min(mc - i0);
                    if rows == mr {
                        for i in 0..mr {
                            *d.add(i) = *col.add(i0 + i);
                        }
                    } else {
                        for i in 0..mr {
                            *d.add(i) = if i < rows {
                                *col.add(i0 + i)
                            } else {
                                T::zero()
                            };
                        }
                    }
                }
            }
        }
    } else {
        for r in 0..panels {
            let i0 = r * mr;
            let rows = mr.min(mc - i0);
            debug_assert!(i0 + rows <= mc);
            // SAFETY: panel r occupies dst[r·mr·kc .. (r+1)·mr·kc], inside the
            // ceil(mc/mr)·mr·kc elements the caller provided; the source rows i0..i0+rows < mc
            // and columns p < kc are readable (# Safety, first point).
            unsafe {
                pack_panel::<T>(mr, dst.add(r * ps), src.at(i0, 0), src.rs, src.cs, rows, kc);
            }
        }
    }
    if let Some(s) = sums {
        for r in 0..panels {
            let i0 = r * mr;
            let rows = mr.min(mc - i0);
            debug_assert!(i0 + rows <= mc);
            // SAFETY: the panel was just written (in bounds, as above); sums has mc elements.
            unsafe {
                let panel = dst.add(r * ps);
                let s = s.add(i0);
                for i in 0..rows {
                    let mut acc = *s.add(i);
                    for p in 0..kc {
                        acc = acc + *panel.add(p * mr + i);
                    }
                    *s.add(i) = acc;
                }
            }
        }
    }
}

/// How many source columns ahead the column-contiguous packer prefetches. Each column is a
/// separate short stream (MC elements, then a jump of a whole column stride), too short for the
/// hardware prefetcher to ramp up on.
const PREFETCH_AHEAD: usize = 2;

/// Prefetches the `len` elements from `ptr` into L1 when `valid`; never dereferences.
#[inline(always)]
fn prefetch_column<T>(ptr: *const T, len: usize, valid: bool) {
    #[cfg(target_arch = "x86_64")]
    if valid {
        let bytes = len * std::mem::size_of::<T>();
        for off in (0..bytes).step_by(64) {
            // SAFETY: a prefetch is a hint and never faults, whatever the address; the
            // address arithmetic is wrapping, so no pointer offset is ever out of range UB.
            unsafe {
                core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                    ptr.cast::<i8>().wrapping_add(off),
                )
            };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (ptr, len, valid);
}

/// Distance in elements between consecutive packed panels of `width` rows and depth `kc`:
/// `width·kc`, plus one step when that is a multiple of 4 KiB, so that the panels of a block do
/// not all share their low 12 address bits (4K aliasing stalls the pack's stores against its
/// loads, and crowds one L1 set when the kernel walks the panels).
pub(crate) fn panel_stride(width: usize, kc: usize, elem_size: usize) -> usize {
    let ps = width * kc;
    if (ps * elem_size).is_multiple_of(4096) {
        ps + width
    } else {
        ps
    }
}

/// Packs the `kc×nc` block `src` into `ceil(nc/NR)` NR-column panels at `dst`, and, when `sums`
/// is given, adds `Σ_p src[p, j]` into `sums[j]` for `j < nc`.
///
/// # Safety
/// As [`pack_a`] with the roles of rows and columns exchanged: `src` readable at `(p, j)` for
/// `p < kc`, `j < nc`; `dst` writable for `ceil(nc/NR)·ps` elements; `sums` for `nc`.
#[inline(always)]
pub(crate) unsafe fn pack_b<T: Scalar>(
    nr: usize,
    ps: usize,
    dst: *mut T,
    src: Block<T>,
    kc: usize,
    nc: usize,
    sums: Option<*mut T>,
) {
    // Packing columns of B is packing rows of Bᵀ.
    let t = Block {
        ptr: src.ptr,
        rs: src.cs,
        cs: src.rs,
    };
    // SAFETY: Bᵀ's element (j, p) is B's (p, j), readable for j < nc, p < kc; the destination
    // and sums requirements are the same as pack_a's with mc = nc.
    unsafe { pack_a::<T>(nr, ps, dst, t, nc, kc, sums) }
}

/// One panel: `rows ≤ mr` rows starting at `src`, `kc` columns, zero rows after `rows`.
///
/// # Safety
/// `src + i·rs + p·cs` readable for `i < rows`, `p < kc`; `dst` writable for `mr·kc`.
#[inline(always)]
unsafe fn pack_panel<T: Scalar>(
    mr: usize,
    dst: *mut T,
    src: *const T,
    rs: isize,
    cs: isize,
    rows: usize,
    kc: usize,
) {
    debug_assert!(rows <= mr);
    let zero = T::zero();
    // SAFETY: reads at src + i·rs + p·cs with i < rows, p < kc, writes at dst + p·mr + i with
    // i < mr, p < kc, as the caller guarantees.
    unsafe {
        if rows == mr && rs == 1 {
            // Columns of the panel are contiguous in the source: straight copies.
            for p in 0..kc {
                let s = src.offset(p as isize * cs);
                let d = dst.add(p * mr);
                for i in 0..mr {
                    *d.add(i) = *s.add(i);
                }
            }
        } else if rows == mr && cs == 1 {
            // Rows are contiguous: read mr rows side by side in chunks, transpose in registers.
            const CH: usize = 8;
            let mut p = 0;
            while p + CH <= kc {
                for i in 0..mr {
                    let s = src.offset(i as isize * rs).add(p);
                    let row: [T; CH] = s.cast::<[T; CH]>().read_unaligned();
                    for (q, &v) in row.iter().enumerate() {
                        *dst.add((p + q) * mr + i) = v;
                    }
                }
                p += CH;
            }
            for p in p..kc {
                for i in 0..mr {
                    *dst.add(p * mr + i) = *src.offset(i as isize * rs).add(p);
                }
            }
        } else {
            for p in 0..kc {
                let d = dst.add(p * mr);
                for i in 0..mr {
                    *d.add(i) = if i < rows {
                        *src.offset(i as isize * rs + p as isize * cs)
                    } else {
                        zero
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_pack_a<const MR: usize>(mc: usize, kc: usize, rs: isize, cs: isize) {
        // Source A[i, p] = 100·i + p + 1 at base + i·rs + p·cs inside a big buffer.
        let span = (mc as isize * rs.abs() + kc as isize * cs.abs() + 1) as usize;
        let base = span as isize;
        let mut buf = vec![0i64; 2 * span + 1];
        for i in 0..mc {
            for p in 0..kc {
                buf[(base + i as isize * rs + p as isize * cs) as usize] = (100 * i + p + 1) as i64;
            }
        }
        let src = Block {
            ptr: buf.as_ptr().wrapping_offset(base),
            rs,
            cs,
        };
        let panels = mc.div_ceil(MR);
        let mut dst = vec![-7i64; panels * MR * kc];
        let mut sums = vec![5i64; mc];
        // SAFETY: the source addresses were written above, so they are inside `buf`; dst and
        // sums have the documented lengths.
        unsafe {
            pack_a::<i64>(
                MR,
                MR * kc,
                dst.as_mut_ptr(),
                src,
                mc,
                kc,
                Some(sums.as_mut_ptr()),
            )
        };
        for r in 0..panels {
            for p in 0..kc {
                for i in 0..MR {
                    let row = r * MR + i;
                    let want = if row < mc {
                        (100 * row + p + 1) as i64
                    } else {
                        0
                    };
                    assert_eq!(
                        dst[r * MR * kc + p * MR + i],
                        want,
                        "mc={mc} kc={kc} rs={rs}"
                    );
                }
            }
        }
        for (i, s) in sums.iter().enumerate() {
            let want: i64 = 5 + (0..kc).map(|p| (100 * i + p + 1) as i64).sum::<i64>();
            assert_eq!(*s, want);
        }
    }

    #[test]
    fn pack_a_all_layouts_and_edges() {
        for mc in [0, 1, 3, 4, 5, 9] {
            for kc in [0, 1, 7, 8, 9, 17] {
                let (mcs, kcs) = (mc.max(1) as isize, kc.max(1) as isize);
                for (rs, cs) in [(1, mcs), (kcs, 1), (2, 2 * mcs + 1), (-1, -mcs), (-kcs, 1)] {
                    check_pack_a::<4>(mc, kc, rs, cs);
                    check_pack_a::<8>(mc, kc, rs, cs);
                }
            }
        }
    }

    #[test]
    fn pack_b_is_pack_a_of_the_transpose() {
        let (kc, nc) = (5, 7);
        let b: Vec<i32> = (0..kc * nc).map(|x| x as i32).collect(); // row-major kc×nc
        let mut dst = vec![-1; 8 * kc];
        let mut sums = vec![0; nc];
        let src = Block {
            ptr: b.as_ptr(),
            rs: nc as isize,
            cs: 1,
        };
        // SAFETY: b holds kc·nc elements at p·nc + j; dst holds ceil(7/4)·4·kc.
        unsafe {
            pack_b::<i32>(
                4,
                4 * kc,
                dst.as_mut_ptr(),
                src,
                kc,
                nc,
                Some(sums.as_mut_ptr()),
            )
        };
        for s in 0..2 {
            for p in 0..kc {
                for j in 0..4 {
                    let col = s * 4 + j;
                    let want = if col < nc { b[p * nc + col] } else { 0 };
                    assert_eq!(dst[s * 4 * kc + p * 4 + j], want);
                }
            }
        }
        for (j, s) in sums.iter().enumerate() {
            assert_eq!(*s, (0..kc).map(|p| b[p * nc + j]).sum::<i32>());
        }
    }
}
