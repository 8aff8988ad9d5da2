//! Physical limits measured in the same run: a 256-bit-store fill, a non-temporal fill, an
//! in-place read+modify+write pass, and a register-only FMA loop.
//!
//! All are dispatched at run time (AVX2 / AVX2+FMA via `is_x86_feature_detected!`), with a plain
//! scalar loop otherwise (reported as such in the header). The memory passes split the buffer into
//! one contiguous 64-byte-aligned chunk per thread of the current rayon pool (the calling
//! thread's first chunk a little larger, as in outerprod), but only use as many threads as there
//! are 128 KiB chunks: a baseline is the best the hardware does, and for a tiny buffer that is
//! one thread.

/// Smallest chunk handed to one thread by the memory passes.
const MIN_CHUNK_BYTES: usize = 128 * 1024;

/// Which instruction set the baselines use on this CPU.
pub fn isa() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return "AVX2+FMA (256-bit)";
        }
    }
    "scalar fallback (no AVX2+FMA: baselines are not hardware limits)"
}

fn have_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Views any f32/f64 buffer as its bytes in f32 units (both are multiples of 4 bytes).
fn as_f32<T: Copy>(buf: &mut [T]) -> &mut [f32] {
    assert!(std::mem::size_of::<T>().is_multiple_of(4) && std::mem::align_of::<T>() >= 4);
    let len = std::mem::size_of_val(buf) / 4;
    // SAFETY: T is f32 or f64 (size a multiple of 4, alignment ≥ 4), every bit pattern is a valid
    // f32, and the new slice covers exactly the same bytes under the same exclusive borrow.
    unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<f32>(), len) }
}

/// Bytes the forking thread takes beyond an even share at the first split, capped at an
/// eighth of the buffer: the same head start as outerprod's own split
/// (`FORKER_HEAD_START_BYTES`), since the thread that steals the second half starts about a
/// microsecond late and a baseline should not lose that time where the library does not.
const HEAD_START_BYTES: usize = 32 * 1024;

fn chunked(buf: &mut [f32], f: impl Fn(&mut [f32]) + Sync + Send) {
    let bytes = buf.len() * 4;
    let threads = rayon::current_num_threads()
        .min(bytes.div_ceil(MIN_CHUNK_BYTES))
        .max(1);
    if threads == 1 {
        f(buf);
        return;
    }
    // Splits at multiples of 16 f32 (64 bytes: on a line wherever the buffer starts on one).
    fn go(buf: &mut [f32], pieces: usize, extra: usize, f: &(impl Fn(&mut [f32]) + Sync)) {
        if pieces <= 1 {
            f(buf);
            return;
        }
        let left = pieces / 2;
        let mid = ((buf.len() * left / pieces + extra).div_ceil(16) * 16).min(buf.len());
        let (l, r) = buf.split_at_mut(mid);
        rayon::join(|| go(l, left, 0, f), || go(r, pieces - left, 0, f));
    }
    let extra = HEAD_START_BYTES.min(bytes / 8) / 4;
    go(buf, threads, extra, &f);
}

/// Fills `buf` with ordinary 256-bit stores (`_mm256_storeu_ps`).
pub fn fill256<T: Copy>(buf: &mut [T]) {
    let buf = as_f32(buf);
    let avx = have_avx2_fma();
    chunked(buf, |c| {
        #[cfg(target_arch = "x86_64")]
        if avx {
            debug_assert!(std::is_x86_feature_detected!("avx2"));
            // SAFETY: AVX2 detected just above; the kernel writes only inside `c`.
            unsafe { x86::fill(c, 1.0) };
            return;
        }
        let _ = avx;
        c.fill(1.0);
    });
}

/// Fills `buf` with non-temporal 256-bit stores (`_mm256_stream_ps`) and an `sfence`.
pub fn fill_nt<T: Copy>(buf: &mut [T]) {
    let buf = as_f32(buf);
    let avx = have_avx2_fma();
    chunked(buf, |c| {
        #[cfg(target_arch = "x86_64")]
        if avx {
            debug_assert!(std::is_x86_feature_detected!("avx2"));
            // SAFETY: AVX2 detected; the kernel aligns itself and writes only inside `c`.
            unsafe { x86::fill_nt(c, 1.0) };
            return;
        }
        let _ = avx;
        c.fill(1.0);
    });
}

/// One in-place pass `x ← x + c` with 256-bit loads and stores (reads and writes every byte).
pub fn rmw<T: Copy>(buf: &mut [T]) {
    let buf = as_f32(buf);
    let avx = have_avx2_fma();
    chunked(buf, |c| {
        #[cfg(target_arch = "x86_64")]
        if avx {
            debug_assert!(std::is_x86_feature_detected!("avx2"));
            // SAFETY: AVX2 detected; the kernel reads and writes only inside `c`.
            unsafe { x86::rmw(c, 1.0e-30) };
            return;
        }
        let _ = avx;
        for x in c.iter_mut() {
            *x += 1.0e-30;
        }
    });
}

/// Register-only FMA loop on every thread of the current pool; returns FLOPs done.
/// `iters` iterations of 12 independent 256-bit FMAs per thread.
pub fn fma_peak(lanes: usize, iters: usize) -> f64 {
    let results: Vec<f64> = rayon::broadcast(|_| {
        #[cfg(target_arch = "x86_64")]
        if have_avx2_fma() {
            debug_assert!(std::is_x86_feature_detected!("fma"));
            // SAFETY: AVX2+FMA detected just above; the loop touches registers only.
            return unsafe {
                if lanes == 8 {
                    x86::fma_f32(iters)
                } else {
                    x86::fma_f64(iters)
                }
            };
        }
        scalar_fma(iters)
    });
    std::hint::black_box(results.iter().sum::<f64>());
    let per_thread = if have_avx2_fma() {
        iters as f64 * 12.0 * lanes as f64 * 2.0
    } else {
        iters as f64 * 12.0 * 2.0
    };
    per_thread * results.len() as f64
}

/// As [`fma_peak`] with 512-bit FMAs (`lanes` counts 256-bit lanes: 8 for f32, 4 for f64), or
/// `None` without AVX-512F. On Zen 4 a 512-bit FMA is two 256-bit halves, so this should match
/// the 256-bit peak there; it is printed to show that the AVX2 peak is the hardware limit.
pub fn fma_peak512(lanes: usize, iters: usize) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    {
        if !std::is_x86_feature_detected!("avx512f") {
            return None;
        }
        let results: Vec<f64> = rayon::broadcast(|_| {
            debug_assert!(std::is_x86_feature_detected!("avx512f"));
            // SAFETY: AVX-512F detected above; the loop touches registers only.
            unsafe {
                if lanes == 8 {
                    x86::fma512_f32(iters)
                } else {
                    x86::fma512_f64(iters)
                }
            }
        });
        std::hint::black_box(results.iter().sum::<f64>());
        Some(iters as f64 * 12.0 * 2.0 * lanes as f64 * 2.0 * results.len() as f64)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (lanes, iters);
        None
    }
}

fn scalar_fma(iters: usize) -> f64 {
    let mut acc = [0.0f64; 12];
    let x = std::hint::black_box(1.000_000_1f64);
    let y = std::hint::black_box(1.0e-9f64);
    for _ in 0..iters {
        for a in acc.iter_mut() {
            *a = a.mul_add(x, y);
        }
    }
    acc.iter().sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// # Safety
    /// Needs AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn fill(c: &mut [f32], v: f32) {
        let x = _mm256_set1_ps(v);
        let n = c.len();
        let p = c.as_mut_ptr();
        // Scalars up to the first 32-byte boundary, so that no vector store splits a cache
        // line: on Intel (Emerald Rapids) an unaligned fill of a buffer 16 bytes off ran at
        // about half the aligned rate in L1, which is no write limit.
        let head = (p.align_offset(32)).min(n);
        c[..head].fill(v);
        let mut i = head;
        while i + 32 <= n {
            debug_assert!((p as usize + i * 4).is_multiple_of(32) && i + 32 <= n);
            // SAFETY: i + 32 ≤ n, so all four 8-lane stores are in bounds.
            unsafe {
                _mm256_storeu_ps(p.add(i), x);
                _mm256_storeu_ps(p.add(i + 8), x);
                _mm256_storeu_ps(p.add(i + 16), x);
                _mm256_storeu_ps(p.add(i + 24), x);
            }
            i += 32;
        }
        c[i..].fill(v);
    }

    /// # Safety
    /// Needs AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn fill_nt(c: &mut [f32], v: f32) {
        let x = _mm256_set1_ps(v);
        let n = c.len();
        let p = c.as_mut_ptr();
        // Ordinary stores up to the first 32-byte boundary (streaming stores need alignment).
        let head = (p.align_offset(32)).min(n);
        c[..head].fill(v);
        let mut i = head;
        while i + 32 <= n {
            debug_assert!((p as usize + i * 4).is_multiple_of(32) && i + 32 <= n);
            // SAFETY: p+i is 32-byte aligned (head aligned it, steps are 128 bytes) and
            // i + 32 ≤ n keeps the four stores in bounds.
            unsafe {
                _mm256_stream_ps(p.add(i), x);
                _mm256_stream_ps(p.add(i + 8), x);
                _mm256_stream_ps(p.add(i + 16), x);
                _mm256_stream_ps(p.add(i + 24), x);
            }
            i += 32;
        }
        c[i..].fill(v);
        _mm_sfence();
    }

    /// # Safety
    /// Needs AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn rmw(c: &mut [f32], v: f32) {
        let x = _mm256_set1_ps(v);
        let n = c.len();
        let p = c.as_mut_ptr();
        // Scalars up to the first 32-byte boundary, as in `fill`.
        let head = (p.align_offset(32)).min(n);
        for y in c[..head].iter_mut() {
            *y += v;
        }
        let mut i = head;
        while i + 32 <= n {
            debug_assert!((p as usize + i * 4).is_multiple_of(32) && i + 32 <= n);
            // SAFETY: i + 32 ≤ n, so the four loads and stores are in bounds.
            unsafe {
                let a = _mm256_loadu_ps(p.add(i));
                let b = _mm256_loadu_ps(p.add(i + 8));
                let d = _mm256_loadu_ps(p.add(i + 16));
                let e = _mm256_loadu_ps(p.add(i + 24));
                _mm256_storeu_ps(p.add(i), _mm256_add_ps(a, x));
                _mm256_storeu_ps(p.add(i + 8), _mm256_add_ps(b, x));
                _mm256_storeu_ps(p.add(i + 16), _mm256_add_ps(d, x));
                _mm256_storeu_ps(p.add(i + 24), _mm256_add_ps(e, x));
            }
            i += 32;
        }
        for y in c[i..].iter_mut() {
            *y += v;
        }
    }

    macro_rules! fma_loop {
        ($name:ident, $t:ty, $set1:ident, $fmadd:ident, $store:ident, $lanes:literal, $feat:literal) => {
            /// # Safety
            /// Needs the CPU features named in `target_feature`.
            #[target_feature(enable = $feat)]
            pub unsafe fn $name(iters: usize) -> f64 {
                let x = $set1(std::hint::black_box(1.000_000_1 as $t));
                let y = $set1(std::hint::black_box(1.0e-9 as $t));
                let mut a = [$set1(0.0); 12];
                for _ in 0..iters {
                    // 12 independent chains: more than latency (4) × FMA ports (2).
                    a[0] = $fmadd(a[0], x, y);
                    a[1] = $fmadd(a[1], x, y);
                    a[2] = $fmadd(a[2], x, y);
                    a[3] = $fmadd(a[3], x, y);
                    a[4] = $fmadd(a[4], x, y);
                    a[5] = $fmadd(a[5], x, y);
                    a[6] = $fmadd(a[6], x, y);
                    a[7] = $fmadd(a[7], x, y);
                    a[8] = $fmadd(a[8], x, y);
                    a[9] = $fmadd(a[9], x, y);
                    a[10] = $fmadd(a[10], x, y);
                    a[11] = $fmadd(a[11], x, y);
                }
                let mut out = [0.0 as $t; $lanes];
                let mut s = 0.0f64;
                for v in a {
                    // SAFETY: `out` has exactly one register's worth of lanes.
                    unsafe { $store(out.as_mut_ptr(), v) };
                    s += out.iter().map(|&z| z as f64).sum::<f64>();
                }
                s
            }
        };
    }
    fma_loop!(
        fma_f32,
        f32,
        _mm256_set1_ps,
        _mm256_fmadd_ps,
        _mm256_storeu_ps,
        8,
        "avx2,fma"
    );
    fma_loop!(
        fma_f64,
        f64,
        _mm256_set1_pd,
        _mm256_fmadd_pd,
        _mm256_storeu_pd,
        4,
        "avx2,fma"
    );
    fma_loop!(
        fma512_f32,
        f32,
        _mm512_set1_ps,
        _mm512_fmadd_ps,
        _mm512_storeu_ps,
        16,
        "avx512f"
    );
    fma_loop!(
        fma512_f64,
        f64,
        _mm512_set1_pd,
        _mm512_fmadd_pd,
        _mm512_storeu_pd,
        8,
        "avx512f"
    );
}
