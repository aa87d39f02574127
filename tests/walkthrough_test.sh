#!/usr/bin/env bash
# Follows the walk-through in rules/README.md on a copy of the rule base: every
# ```<lang> file=PATH block is written to PATH and every ```sh walkthrough block is run, in
# document order, in one shell, exactly as written (only the port is swapped for a free one).
#
#   tests/walkthrough_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir="$1"
build_dir="$2"

work="$(mktemp -d)"
cleanup() {
  # The walk-through stops its server itself; this only catches a failure half-way.
  pkill -f "alignd --rules rules/ --listen 127.0.0.1:$port" 2>/dev/null || true
  rm -rf "$work"
}
# A free loopback port for the guide's 50051 (python3 asks the kernel; without it, a random one).
if command -v python3 >/dev/null; then
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
else
  port=$((20000 + RANDOM % 20000))
fi
trap cleanup EXIT

cp -r "$source_dir/rules" "$source_dir/examples" "$work/"
ln -s "$build_dir" "$work/build"

# Turn the guide into one script.
awk -v port="$port" '
  /^```/ && mode == "" {
    if ($0 ~ /^```[a-z]+ file=/) {
      split($0, parts, "file="); mode = "file"
      print "mkdir -p \"$(dirname " parts[2] ")\""
      print "cat > " parts[2] " <<'"'"'WALKTHROUGH_EOF'"'"'"
      next
    }
    if ($0 ~ /^```sh walkthrough/) { mode = "sh"; print "echo \"+ step at line " NR "\" >&2"; next }
    mode = "skip"; next
  }
  /^```/ && mode != "" {
    if (mode == "file") print "WALKTHROUGH_EOF"
    mode = ""; next
  }
  mode == "file" { print; next }
  mode == "sh" { gsub(/127\.0\.0\.1:50051/, "127.0.0.1:" port); print; next }
' "$source_dir/rules/README.md" > "$work/walkthrough.sh"

steps=$(grep -c '^echo "+ step' "$work/walkthrough.sh" || true)
files=$(grep -c '^cat > ' "$work/walkthrough.sh" || true)
if (( steps < 4 || files < 2 )); then
  echo "walkthrough_test: found only $steps steps and $files files in rules/README.md" >&2
  exit 1
fi

cd "$work"
set +e
bash -e -o pipefail walkthrough.sh > walkthrough.out 2>&1
status=$?
set -e
cat walkthrough.out
if (( status != 0 )); then
  echo "walkthrough_test: the walk-through failed (exit $status); server log:" >&2
  cat alignd.log >&2 2>/dev/null || true
  exit 1
fi

# What following the guide must have shown.
expect() {
  if ! grep -qF -- "$1" walkthrough.out; then
    echo "walkthrough_test: expected in the output: $1" >&2
    exit 1
  fi
}
expect "0 errors, 0 warnings"
expect "reloaded alignment.standard 1.1.0"
expect ", was alignment.standard 1.0.0"
expect "\"debt.workaround_share\" -> \"pattern.technical_debt_drag\""
expect "Technical debt drag (pattern.technical_debt_drag) was concluded with certainty 0.7."
expect "- rule debt_drag.workarounds fired"
echo "walkthrough_test: $steps steps and $files files followed"
