//! System OpenBLAS and BLIS, each loaded at run time from its own shared object.
//!
//! Both libraries export the same `cblas_*` names, so linking both into one binary would let the
//! dynamic linker pick one for both. Instead each is `dlopen`ed with `RTLD_LOCAL | RTLD_DEEPBIND`
//! (its symbols stay out of the global scope, and its own internal calls bind inside itself), and
//! every function pointer is taken from that library's handle. `dladdr` on each pointer then
//! reports which file it really lives in; the header prints that as proof.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::{Path, PathBuf};

use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};

/// glibc's `RTLD_DEEPBIND` (not re-exported by libloading).
const RTLD_DEEPBIND: c_int = 0x0008;

/// CBLAS order and transpose codes.
pub const ROW_MAJOR: c_int = 101;
/// Column-major order.
pub const COL_MAJOR: c_int = 102;
/// No transpose.
pub const NO_TRANS: c_int = 111;
/// Transpose.
pub const TRANS: c_int = 112;

/// `cblas_?gemm`.
pub type Gemm<T> = unsafe extern "C" fn(
    order: c_int,
    ta: c_int,
    tb: c_int,
    m: c_int,
    n: c_int,
    k: c_int,
    alpha: T,
    a: *const T,
    lda: c_int,
    b: *const T,
    ldb: c_int,
    beta: T,
    c: *mut T,
    ldc: c_int,
);

/// `cblas_?ger`.
pub type Ger<T> = unsafe extern "C" fn(
    order: c_int,
    m: c_int,
    n: c_int,
    alpha: T,
    x: *const T,
    incx: c_int,
    y: *const T,
    incy: c_int,
    a: *mut T,
    lda: c_int,
);

/// Which library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// OpenBLAS (pthreads build).
    OpenBlas,
    /// BLIS (pthreads build).
    Blis,
}

/// One loaded CBLAS.
pub struct Blas {
    /// Which library.
    pub which: Which,
    /// The file opened.
    pub path: PathBuf,
    /// Version and configuration as the library reports it.
    pub info: String,
    /// `cblas_sgemm`.
    pub sgemm: Gemm<f32>,
    /// `cblas_dgemm`.
    pub dgemm: Gemm<f64>,
    /// `cblas_sger`.
    pub sger: Ger<f32>,
    /// `cblas_dger`.
    pub dger: Ger<f64>,
    set_threads_i32: Option<unsafe extern "C" fn(c_int)>,
    set_threads_i64: Option<unsafe extern "C" fn(i64)>,
    get_threads_i32: Option<unsafe extern "C" fn() -> c_int>,
    get_threads_i64: Option<unsafe extern "C" fn() -> i64>,
    _lib: Library,
}

const LIBDIRS: [&str; 2] = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"];

fn find(env: &str, rel: &str) -> Option<PathBuf> {
    if let Ok(p) = std::env::var(env) {
        return Some(PathBuf::from(p));
    }
    LIBDIRS
        .iter()
        .map(|d| Path::new(d).join(rel))
        .find(|p| p.exists())
}

/// The file a function pointer lives in, from `dladdr`.
pub fn origin(ptr: *const c_void) -> String {
    let mut info = libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    };
    // SAFETY: dladdr only reads the address and fills `info`; the strings it returns belong to
    // the loaded object, which stays loaded for the life of the process.
    let ok = unsafe { libc::dladdr(ptr, &mut info) };
    if ok == 0 || info.dli_fname.is_null() {
        return "?".into();
    }
    // SAFETY: non-null C string owned by the dynamic loader (see above).
    unsafe { CStr::from_ptr(info.dli_fname) }
        .to_string_lossy()
        .into_owned()
}

fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        return "?".into();
    }
    // SAFETY: the libraries return static NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }
        .to_string_lossy()
        .trim()
        .to_owned()
}

impl Blas {
    /// Loads OpenBLAS (`$OUTERPROD_PEERS_OPENBLAS` or Debian's pthreads build).
    pub fn openblas() -> Result<Blas, String> {
        let path = find(
            "OUTERPROD_PEERS_OPENBLAS",
            "openblas-pthread/libopenblas.so.0",
        )
        .ok_or("libopenblas.so.0 not found (apt-get install libopenblas0-pthread)")?;
        Self::load(Which::OpenBlas, path)
    }

    /// Loads BLIS (`$OUTERPROD_PEERS_BLIS` or Debian's pthreads build).
    pub fn blis() -> Result<Blas, String> {
        let path = find("OUTERPROD_PEERS_BLIS", "blis-pthread/libblis.so.4")
            .ok_or("libblis.so.4 not found (apt-get install libblis4-pthread)")?;
        Self::load(Which::Blis, path)
    }

    fn load(which: Which, path: PathBuf) -> Result<Blas, String> {
        // SAFETY: loading a system BLAS runs its initialisers (thread pool setup, CPU detection);
        // both are plain C libraries with no Rust-visible global state.
        let lib = unsafe { Library::open(Some(&path), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND) }
            .map_err(|e| format!("{}: {e}", path.display()))?;
        macro_rules! sym {
            ($t:ty, $name:literal) => {
                // SAFETY: the symbol has this C signature in every CBLAS (cblas.h, 32-bit ints as
                // in Debian's LP64 builds).
                *unsafe { lib.get::<$t>(concat!($name, "\0").as_bytes()) }
                    .map_err(|e| format!("{}: {}: {e}", path.display(), $name))?
            };
        }
        macro_rules! opt_sym {
            ($t:ty, $name:literal) => {
                // SAFETY: as in `sym!`; the signature is the library's documented one.
                unsafe { lib.get::<$t>(concat!($name, "\0").as_bytes()) }
                    .ok()
                    .map(|s| *s)
            };
        }
        type StrFn = unsafe extern "C" fn() -> *const c_char;
        let sgemm = sym!(Gemm<f32>, "cblas_sgemm");
        let dgemm = sym!(Gemm<f64>, "cblas_dgemm");
        let sger = sym!(Ger<f32>, "cblas_sger");
        let dger = sym!(Ger<f64>, "cblas_dger");
        let mut set_threads_i32 = None;
        let mut set_threads_i64 = None;
        let mut get_threads_i32 = None;
        let mut get_threads_i64 = None;
        let info = match which {
            Which::OpenBlas => {
                set_threads_i32 = opt_sym!(unsafe extern "C" fn(c_int), "openblas_set_num_threads");
                get_threads_i32 =
                    opt_sym!(unsafe extern "C" fn() -> c_int, "openblas_get_num_threads");
                let config = opt_sym!(StrFn, "openblas_get_config");
                let core = opt_sym!(StrFn, "openblas_get_corename");
                // SAFETY: both return static strings and take no arguments.
                unsafe {
                    format!(
                        "config \"{}\", core \"{}\"",
                        config.map_or("?".into(), |f| cstr(f())),
                        core.map_or("?".into(), |f| cstr(f()))
                    )
                }
            }
            Which::Blis => {
                // dim_t is 64-bit in Debian's BLIS (only the BLAS/CBLAS integers are 32-bit).
                set_threads_i64 = opt_sym!(unsafe extern "C" fn(i64), "bli_thread_set_num_threads");
                get_threads_i64 =
                    opt_sym!(unsafe extern "C" fn() -> i64, "bli_thread_get_num_threads");
                let version = opt_sym!(StrFn, "bli_info_get_version_str");
                let arch_id = opt_sym!(unsafe extern "C" fn() -> c_int, "bli_arch_query_id");
                let arch_str = opt_sym!(
                    unsafe extern "C" fn(c_int) -> *const c_char,
                    "bli_arch_string"
                );
                // SAFETY: documented BLIS query functions, no arguments / an arch id from BLIS.
                unsafe {
                    let arch = match (arch_id, arch_str) {
                        (Some(id), Some(s)) => cstr(s(id())),
                        _ => "?".into(),
                    };
                    format!(
                        "version {}, arch \"{arch}\"",
                        version.map_or("?".into(), |f| cstr(f()))
                    )
                }
            }
        };
        Ok(Blas {
            which,
            path,
            info,
            sgemm,
            dgemm,
            sger,
            dger,
            set_threads_i32,
            set_threads_i64,
            get_threads_i32,
            get_threads_i64,
            _lib: lib,
        })
    }

    /// Sets the library's own thread count, and reads it back (a warning on stderr if the
    /// library reports another count or has no setter).
    pub fn set_threads(&self, n: usize) {
        // SAFETY: documented setters taking a positive count, and getters with no arguments.
        let got = unsafe {
            if let Some(f) = self.set_threads_i32 {
                f(n as c_int);
            }
            if let Some(f) = self.set_threads_i64 {
                f(n as i64);
            }
            match (self.get_threads_i32, self.get_threads_i64) {
                (Some(g), _) => Some(g() as i64),
                (_, Some(g)) => Some(g()),
                _ => None,
            }
        };
        if got != Some(n as i64) {
            eprintln!(
                "WARNING: {:?} asked for {n} threads, reports {got:?}",
                self.which
            );
        }
    }

    /// A one-line description: file, version, where `cblas_sgemm` really resolved.
    pub fn describe(&self) -> String {
        format!(
            "{:?}: {} — {}; cblas_sgemm resolved in {}",
            self.which,
            self.path.display(),
            self.info,
            origin(self.sgemm as *const c_void)
        )
    }
}
