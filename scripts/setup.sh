#!/usr/bin/env bash
# Installs the Debian 12 packages Alignment Advisor needs to build, test and run.
# Idempotent: it only calls apt-get when a package is missing.
#
#   scripts/setup.sh            base toolchain and libraries
#   scripts/setup.sh --fuzz     also clang-14 and libclang-rt-14-dev (libFuzzer builds)
#   scripts/setup.sh --sanitize same as the base set: the sanitizer build uses g++ 12,
#                               whose ASan/UBSan runtimes come with build-essential
#
# As root it installs what is missing; otherwise it prints the sudo command and exits 1.
set -euo pipefail

# The one list of packages. Keep one package per line, with the reason it is here.
BASE_PACKAGES=(
  build-essential        # g++ 12 (C++20), make, libc headers; also the ASan/UBSan runtimes
  cmake                  # the build system (3.25 in Debian 12; presets need >= 3.21)
  pkg-config             # lets CMake's find modules locate gRPC, protobuf and OpenSSL
  libgrpc++-dev          # gRPC C++: the alignment.v1 API served by alignd and called by alignctl
  protobuf-compiler-grpc # grpc_cpp_plugin: generates the gRPC service stubs from proto/
  libprotobuf-dev        # protobuf runtime: the data model on the wire and in the engine
  protobuf-compiler      # protoc: generates the message classes from proto/
  libabsl-dev            # Abseil: Status/StatusOr, strings, flags, containers
  libboost-graph-dev     # Boost.Graph: the dependency model (topological order, cycles)
  libyaml-cpp-dev        # yaml-cpp: reads assessments and scenario files (YAML, and JSON as YAML)
  libssl-dev             # OpenSSL libcrypto: SHA-256 digest of the rule base
  libgtest-dev           # GoogleTest: the unit and integration test suites in tests/
  libgmock-dev           # GoogleMock: matchers used by the test suites
  libbenchmark-dev       # Google Benchmark: the benchmarks in bench/
  libclips-dev           # CLIPS 6.30 (static libclips.a): the peer engine bench/ measures against
  graphviz               # dot: renders rule and dependency graphs to pictures
  openssl                # openssl CLI: makes test certificates
)

# Only for libFuzzer builds (the `fuzz` preset); about 300 MB with their LLVM dependencies.
FUZZ_PACKAGES=(
  clang-14               # clang++-14: the only compiler here with libFuzzer (-fsanitize=fuzzer)
  libclang-rt-14-dev     # compiler-rt: libFuzzer and clang's sanitizer runtimes
)

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

want_fuzz=0
for arg in "$@"; do
  case "$arg" in
    --fuzz) want_fuzz=1 ;;
    --sanitize) ;;  # g++ sanitizers need nothing beyond the base set
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

packages=("${BASE_PACKAGES[@]}")
if (( want_fuzz )); then
  packages+=("${FUZZ_PACKAGES[@]}")
fi

is_installed() {
  local status
  status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" || return 1
  [[ "$status" == "install ok installed" ]]
}

missing_packages() {
  local pkg
  for pkg in "${packages[@]}"; do
    is_installed "$pkg" || printf '%s\n' "$pkg"
  done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup.sh: dpkg-query not found; this script supports Debian 12 (bookworm) only." >&2
  echo "setup.sh: install these packages by other means: ${packages[*]}" >&2
  exit 1
fi

mapfile -t missing < <(missing_packages)

if (( ${#missing[@]} == 0 )); then
  echo "setup.sh: all ${#packages[@]} required packages are installed."
  exit 0
fi

echo "setup.sh: missing packages: ${missing[*]}"

if (( EUID != 0 )); then
  echo "setup.sh: not root; install them with:" >&2
  echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

mapfile -t still_missing < <(missing_packages)
if (( ${#still_missing[@]} != 0 )); then
  echo "setup.sh: still missing after apt-get install: ${still_missing[*]}" >&2
  exit 1
fi
echo "setup.sh: installed ${missing[*]}."
