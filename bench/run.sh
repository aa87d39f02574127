#!/usr/bin/env bash
# Runs every benchmark in one go and writes bench/RESULTS.md: the engine on the standard rule
# base, our engine against CLIPS 6.30 on generated workloads, and alignd under load against
# the Health/Check floor of the same server. Takes about ten minutes on two cores.
#
#   bench/run.sh              everything, results in bench/RESULTS.md
#   bench/run.sh --out FILE   results elsewhere
#
# Benchmarks are not tests: scripts/test.sh only builds them and runs each once on a tiny size.
# Where the machine has two cores, the engine (or alignd) runs on core 0 and the load generator
# on core 1, so that neither measures the other's work.
set -euo pipefail

root="$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/bench/RESULTS.md"
while (( $# > 0 )); do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

source "$root/scripts/build.sh" -- engine_bench compare_bench load_bench alignd
build="$BUILD_DIR"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cores="$(nproc)"
engine_cpu=(); client_cpu=(); pinning="none (one core)"
if (( cores >= 2 )); then
  engine_cpu=(taskset -c 0); client_cpu=(--server-cpu 0 --client-cpu 1)
  pinning="engine and alignd on core 0, load generator on core 1"
fi

echo "run.sh: engine on the standard rule base" >&2
"${engine_cpu[@]}" "$build/bench/engine_bench" --benchmark_repetitions=5 \
  --benchmark_enable_random_interleaving=true --benchmark_min_time=0.5 \
  --markdown "$work/engine.md" >/dev/null

echo "run.sh: our engine against CLIPS" >&2
"${engine_cpu[@]}" "$build/bench/compare/compare_bench" --markdown "$work/compare.md"
# The same cases against CLIPS building every fact from a string, the simplest way to embed it:
# context for the table above, whose faster CLIPS the ratios are judged against.
"${engine_cpu[@]}" "$build/bench/compare/compare_bench" --clips-assert string --rounds 3 \
  --default-rounds 0 --causes-rounds 0 --markdown "$work/compare_string.md"
# Its diagnosis table alone: from the line that introduces it to the blank line after it.
string_table="$(awk '/^One diagnosis, microseconds:/ {on = 1} on && /^$/ && rows {exit}
                     on {print; if (/^[|]/) rows = 1}' "$work/compare_string.md")"
if [[ "$string_table" != *"| CLIPS |"* ]]; then
  echo "run.sh: no diagnosis table in the string-assert run's output" >&2
  exit 1
fi

echo "run.sh: alignd under load" >&2
"$build/bench/served/load_bench" --alignd "$build/service/alignd" --rules "$root/rules" \
  --assessment "$root/examples/assessments/overloaded-it.yaml" "${client_cpu[@]}" \
  --markdown "$work/served.md"

# The commit measured, and whether the tree differs from it (the results file aside, which this
# run rewrites).
commit="$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet -- . ':!bench/RESULTS.md' || echo ' (with local changes)')"
{
  echo "# Benchmark results"
  echo
  echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); every number below comes"
  echo "from that one run. Ratios compare engines or calls measured side by side in the same run."
  echo
  echo "## Machine"
  echo
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $cores cores; $(free -g | awk '/^Mem:/ {print $2}') GiB"
  echo "- Pinning: $pinning"
  echo "- Compiler: $(c++ --version | head -1); build type $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")"
  echo "- Libraries: gRPC $(dpkg-query -W -f='${Version}' libgrpc++-dev), protobuf $(dpkg-query -W -f='${Version}' libprotobuf-dev), CLIPS $(dpkg-query -W -f='${Version}' libclips-dev)"
  echo "- Commit: $commit"
  echo
  echo "## Engine, standard rule base"
  echo
  echo "One diagnosis of each bundled example, in process. \`how\`: default options, so the HOW"
  echo "tree of every conclusion, five open questions and the first ten would-fire rules;"
  echo "\`how-only\`: the HOW trees alone (no questions, no would-fire list); \`bare\`: default"
  echo "options without HOW trees. Medians over 5 repetitions (min–max in brackets); p50 and p99"
  echo "time each single diagnosis, freeing the answer included."
  echo
  cat "$work/engine.md"
  echo
  cat "$work/compare.md"
  echo
  echo "### The same cases, CLIPS asserting strings"
  echo
  echo "A second \`compare_bench\` run (\`--clips-assert string --rounds 3 --default-rounds 0"
  echo "--causes-rounds 0\`):"
  echo "CLIPS builds each fact from a string (\`EnvAssertString\`), the simplest way to embed it,"
  echo "so its time includes parsing the strings. For context only: the ratios above, against the"
  echo "faster CLIPS, are the ones the targets are judged on."
  echo
  echo "$string_table"
  echo
  cat "$work/served.md"
  if [[ -f "$root/bench/NOTES.md" ]]; then
    echo
    cat "$root/bench/NOTES.md"
  fi
} > "$out"
echo "run.sh: wrote $out" >&2
