#!/usr/bin/env bash
# Sets up the machine, builds alignctl and diagnoses an assessment with the local engine
# and the standard rule base in rules/.
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
source scripts/build.sh -- alignctl

alignctl="$BUILD_DIR/clients/alignctl"
echo "+ ${alignctl#"$root"/} diagnose --local --rules rules/ $assessment${*:+ $*}" >&2
exec "$alignctl" diagnose --local --rules rules/ "$assessment" "$@"
