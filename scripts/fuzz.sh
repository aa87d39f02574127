#!/usr/bin/env bash
# Real coverage-guided fuzzing of the two parsers that read untrusted text, with clang's
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   scripts/fuzz.sh [SECONDS]     each target runs SECONDS (default 60)
#
# Corpora start from the standard rules, the example assessments and tests/fuzz/corpus/, and
# grow in build-fuzz/corpus/. A crash stops the run and leaves its input in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

scripts/setup.sh --fuzz
cmake --preset fuzz >/dev/null
cmake --build build-fuzz -j"$(nproc)"

run() {
  local target="$1"; shift
  local corpus="build-fuzz/corpus/$target"
  mkdir -p "$corpus"
  cp -n "$@" "$corpus"/ 2>/dev/null || true
  (cd build-fuzz && "./tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 "corpus/$target")
}

run rule_parser rules/*.rules tests/fuzz/corpus/rules/*
run assessment_reader examples/assessments/*.yaml examples/assessments/*.json \
  tests/fuzz/corpus/assessments/*
