#!/usr/bin/env bash
# Sets up the machine, builds everything and runs every test with ctest.
#
#   scripts/test.sh              RelWithDebInfo build in build/
#   scripts/test.sh --sanitize   ASan + UBSan build in build-sanitize/; any report fails the run
#
# Other arguments go to ctest, e.g. `scripts/test.sh -R rule_parser` or `-L scenario`.
# Exits non-zero if anything fails to build, any test fails, or no tests are found.
set -euo pipefail
cd "$(dirname "$0")/.."

build_args=()
ctest_args=()
for arg in "$@"; do
  case "$arg" in
    --sanitize) build_args+=(--sanitize) ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) ctest_args+=("$arg") ;;
  esac
done

if (( ${#build_args[@]} > 0 )); then
  # Exported before the build too: gtest_discover_tests runs the test binaries at build time.
  # Options the caller already set come last, so they win.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
fi

# Sets BUILD_DIR (build/ or build-sanitize/).
source scripts/build.sh "${build_args[@]}" --

ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 300 --no-tests=error \
  "${ctest_args[@]}"
