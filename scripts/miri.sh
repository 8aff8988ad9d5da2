#!/usr/bin/env bash
# Runs tests/miri.rs under Miri, which reports undefined behaviour that valgrind cannot see:
# a pointer formed outside its allocation (even if never dereferenced), reads of
# uninitialised memory, aliasing violations. AVX2 and FMA are enabled at compile time because
# Miri's feature detection reports only those, so the AVX2, SSE2 and portable paths run (Miri
# has no AVX-512). The nightly is pinned so that a new one cannot change the result.
set -euo pipefail
cd "$(dirname "$0")/.."

toolchain="${MIRI_TOOLCHAIN:-nightly-2026-05-20}"
command -v rustup >/dev/null || { echo "miri: rustup is needed to install $toolchain" >&2; exit 1; }
rustup toolchain install "$toolchain" --profile minimal --component miri,rust-src
export RUSTFLAGS="-C target-feature=+avx2,+fma"
export MIRIFLAGS="-Zmiri-isolation-error=warn-nobacktrace"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/miri-run"
cargo "+$toolchain" miri test --no-default-features --test miri "$@"
echo "miri: no undefined behaviour found"
