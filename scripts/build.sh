#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh), configures and builds Alignment Advisor.
#
#   scripts/build.sh              RelWithDebInfo build in build/
#   scripts/build.sh --sanitize   Debug build with ASan + UBSan (g++) in build-sanitize/
#
# Extra arguments after `--` go to the build tool's target list, e.g. `-- alignctl`.
# Configures only when the build directory has no usable build system yet; later runs
# are incremental (CMake re-runs itself when a CMakeLists.txt changes).
#
# Executed, it prints the build directory as its last line ("build dir: <path>").
# Sourced (`source scripts/build.sh [--sanitize] --`), it builds and sets BUILD_DIR. Pass at
# least `--` when sourcing: with no arguments, bash hands the caller's own arguments over.
# Environment: JOBS (default: nproc), CMAKE_GENERATOR (default: Ninja if installed, else
# Unix Makefiles), CXX (default compiler; the sanitizer build defaults to g++).

align_build() {
  BUILD_DIR=""
  local root
  root="$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)" || return 1

  local sanitize=0 arg
  local -a targets=()
  while (( $# > 0 )); do
    arg="$1"; shift
    case "$arg" in
      --sanitize) sanitize=1 ;;
      --) targets=("$@"); break ;;
      -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; return 0 ;;
      *) echo "build.sh: unknown argument: $arg" >&2; return 2 ;;
    esac
  done

  local setup_args=()
  (( sanitize )) && setup_args+=(--sanitize)
  "$root/scripts/setup.sh" "${setup_args[@]}" || return 1

  local build_dir build_type
  local -a extra=()
  if (( sanitize )); then
    build_dir="$root/build-sanitize"
    build_type=Debug
    extra+=(-DALIGN_SANITIZE=ON -DCMAKE_CXX_COMPILER="${CXX:-g++}")
  else
    build_dir="$root/build"
    build_type=RelWithDebInfo
  fi

  # Configure only when there is no generated build system yet (first run, or a failed
  # configure). An existing cache keeps its generator; CMake re-checks itself on build.
  if [[ ! -f "$build_dir/CMakeCache.txt" ||
        ( ! -f "$build_dir/build.ninja" && ! -f "$build_dir/Makefile" ) ]]; then
    local generator="${CMAKE_GENERATOR:-}"
    if [[ -f "$build_dir/CMakeCache.txt" ]]; then
      generator="$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$build_dir/CMakeCache.txt")"
    fi
    if [[ -z "$generator" ]]; then
      if command -v ninja >/dev/null 2>&1; then generator=Ninja; else generator="Unix Makefiles"; fi
    fi
    echo "build.sh: configuring $build_dir ($generator, $build_type)"
    cmake -S "$root" -B "$build_dir" -G "$generator" \
      -DCMAKE_BUILD_TYPE="$build_type" "${extra[@]}" || return 1
  fi

  local jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
  local -a target_args=()
  (( ${#targets[@]} > 0 )) && target_args=(--target "${targets[@]}")
  cmake --build "$build_dir" -j "$jobs" "${target_args[@]}" || return 1

  BUILD_DIR="$build_dir"
  export BUILD_DIR
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  align_build "$@"
  if [[ -n "$BUILD_DIR" ]]; then echo "build dir: $BUILD_DIR"; fi
else
  align_build "$@"
fi
