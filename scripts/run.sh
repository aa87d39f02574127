#!/usr/bin/env bash
# Sets up the machine, builds alignd and alignctl, starts alignd with the standard rule base
# on a free loopback port, diagnoses an assessment through it, and stops the server.
#
#   scripts/run.sh                                   the bundled example assessment
#   scripts/run.sh path/to/assessment.yaml           another assessment (YAML or JSON)
#   scripts/run.sh path/to/assessment.yaml --format json
#
# Arguments after the assessment file go to `alignctl diagnose`. Works from any directory.
set -euo pipefail

caller_dir="$PWD"
cd "$(dirname "$0")/.."
root="$PWD"

assessment="examples/assessments/overloaded-it.yaml"
if (( $# > 0 )) && [[ "$1" != -* ]]; then
  assessment="$1"
  shift
  # A relative path is taken from the caller's directory first, then from the repo root.
  if [[ "$assessment" != /* && "$caller_dir" != "$root" && -e "$caller_dir/$assessment" ]]; then
    assessment="$caller_dir/$assessment"
  fi
fi
if [[ ! -f "$assessment" ]]; then
  echo "run.sh: assessment file not found: $assessment" >&2
  exit 1
fi

# Builds only what the diagnosis needs; sets BUILD_DIR.
source scripts/build.sh -- alignctl alignd

alignctl="$BUILD_DIR/clients/alignctl"
alignd="$BUILD_DIR/service/alignd"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "+ ${alignd#"$root"/} --rules rules/ --listen 127.0.0.1:0 --port-file $work/port" >&2
"$alignd" --rules rules/ --listen 127.0.0.1:0 --port-file "$work/port" 2>"$work/alignd.log" &
server_pid=$!
for _ in $(seq 1 100); do
  [[ -s "$work/port" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: alignd did not start:" >&2
    cat "$work/alignd.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ ! -s "$work/port" ]]; then
  echo "run.sh: alignd did not report its port within 10 s" >&2
  exit 1
fi
port="$(cat "$work/port")"
head -n 1 "$work/alignd.log" >&2

echo "+ ${alignctl#"$root"/} --server 127.0.0.1:$port diagnose $assessment${*:+ $*}" >&2
"$alignctl" --server "127.0.0.1:$port" diagnose "$assessment" "$@"
