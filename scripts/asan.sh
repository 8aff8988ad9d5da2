#!/usr/bin/env bash
# Runs the kernel-exercising tests under AddressSanitizer (nightly Rust). Valgrind (see
# memcheck.sh) hides AVX-512 from the program, so on CPUs that have it this is the check of
# the Avx512 kernel path's memory accesses: tests/dispatch.rs, tests/memcheck.rs and
# tests/gemm.rs force every available path (outer and ger on every alignment of the output,
# GEMM on every tile edge).
# Usage: bash scripts/asan.sh   (needs `rustup toolchain install nightly`)
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(rustc -vV | sed -n 's/^host: //p')
RUSTFLAGS=-Zsanitizer=address CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/asan" \
  cargo +nightly test --release --target "$target" --test dispatch --test memcheck --test gemm "$@"
echo "asan: no invalid accesses"
