#!/usr/bin/env bash
# CI entry point for the native code. From anywhere:  bash cpp/run_native_tests.sh
#  1. configure + build (Release) + ctest: C++ core tests, C ABI tests, threads;
#  2. the C/C++ tests again with -fsanitize=address,undefined;
#  3. install the core + C library to a temporary prefix, build cpp/examples as a separate
#     CMake project against the installed package (find_package(pyengine)), and run the C
#     example on ../shared/data/mlkit/fitness_pose_samples.csv (skipped if absent).
# Environment: JOBS (default 2), BUILD_ROOT (default <repo>/build/native-ci), CMAKE_GENERATOR,
# PYENGINE_SHARED_DATA (the shared test data, default <repo>/../shared/data, as for pytest).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-2}"
BUILD_ROOT="${BUILD_ROOT:-$REPO/build/native-ci}"
CSV="${PYENGINE_SHARED_DATA:-$REPO/../shared/data}/mlkit/fitness_pose_samples.csv"
GEN=()
if [[ -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja > /dev/null; then GEN=(-G Ninja); fi
COMMON=(-DPYENGINE_BUILD_PYTHON=OFF -DPYENGINE_BUILD_BENCHMARKS=OFF -DPYENGINE_MLKIT_CSV="$CSV")

mkdir -p "$BUILD_ROOT"
step() { printf '\n=== %s ===\n' "$*"; }
start=$SECONDS

step "1/3 build and ctest (Release)"
cmake -S "$REPO" -B "$BUILD_ROOT/release" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release "${COMMON[@]}" \
      -DPYENGINE_BUILD_BENCHMARKS=ON > "$BUILD_ROOT.release.configure.log" 2>&1 \
  || { cat "$BUILD_ROOT.release.configure.log"; exit 1; }
cmake --build "$BUILD_ROOT/release" -j "$JOBS"
ctest --test-dir "$BUILD_ROOT/release" --output-on-failure

step "2/3 tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S "$REPO" -B "$BUILD_ROOT/asan" "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${COMMON[@]}" \
      -DPYENGINE_SANITIZE=ON -DPYENGINE_BUILD_EXAMPLES=OFF > "$BUILD_ROOT.asan.configure.log" 2>&1 \
  || { cat "$BUILD_ROOT.asan.configure.log"; exit 1; }
cmake --build "$BUILD_ROOT/asan" -j "$JOBS"
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  ctest --test-dir "$BUILD_ROOT/asan" --output-on-failure

step "3/3 install, then build cpp/examples against the installed package"
PREFIX="$(mktemp -d "${TMPDIR:-/tmp}/pyengine-prefix.XXXXXX")"
trap 'rm -rf "$PREFIX"' EXIT
cmake --install "$BUILD_ROOT/release" --prefix "$PREFIX" > /dev/null
cmake -S "$REPO/cpp/examples" -B "$BUILD_ROOT/examples" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$PREFIX" > "$BUILD_ROOT.examples.configure.log" 2>&1 \
  || { cat "$BUILD_ROOT.examples.configure.log"; exit 1; }
cmake --build "$BUILD_ROOT/examples" -j "$JOBS"
if [[ -f "$CSV" ]]; then
  "$BUILD_ROOT/examples/classify_c" "$CSV"
  "$BUILD_ROOT/examples/classify_cpp" "$CSV"
else
  echo "SKIP: $CSV is absent, so the examples were built but not run"
fi

printf '\nnative tests passed in %ds\n' $((SECONDS - start))
