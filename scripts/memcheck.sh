#!/usr/bin/env bash
# Runs the kernel-exercising test binary under valgrind memcheck and fails on any invalid read
# or write. The binary is built in release mode with debug assertions on, so the SAFETY
# preconditions are checked too. Valgrind emulates AVX2 but not AVX-512, which it hides from
# the program, so the portable, SSE2 and AVX2+FMA dispatch paths run (tests/memcheck.rs forces
# each in turn); scripts/asan.sh checks the Avx512 path on CPUs that have it.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { echo "memcheck: valgrind is not installed" >&2; exit 1; }

export CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/memcheck"
bin=$(cargo test --release --test memcheck --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "memcheck" and m.get("executable"):
        print(m["executable"])')
[ -n "$bin" ] || { echo "memcheck: could not build tests/memcheck.rs" >&2; exit 1; }

echo "memcheck: $bin"
# One test thread keeps valgrind's serialised scheduler simple; rayon still gets 2 workers.
RAYON_NUM_THREADS=2 valgrind --tool=memcheck --error-exitcode=1 --leak-check=no \
  --track-origins=no --quiet "$bin" --test-threads=1 "$@"
echo "memcheck: no invalid reads or writes"
