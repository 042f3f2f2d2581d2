#!/usr/bin/env bash
# e2e.profile_nvml_latched_test repeated while busy loops compete for the CPUs:
# how well coarse-counter latches are placed when the sampler's polls are
# delayed (a parallel CI run, a shared machine). Prints each run's worst
# unflagged per-query error, the queries flagged coarse_edges, and a summary;
# exits 1 if any run failed the test.
#   bench/latched_under_load.sh [runs=30] [busy_loops=6]   (after building build/)
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
busy=${2:-6}
pids=()
for _ in $(seq "$busy"); do (while :; do :; done) & pids+=($!); done
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
failed=0
flagged=0
worst=()
for i in $(seq "$runs"); do
  out=$(IPW_E2E_KEEP=1 IPW_BIN=build/bin IPW_SOURCE_DIR=$PWD bash tests/e2e/profile_nvml_latched_test.sh 2>&1)
  line=$(grep -E "worst error|error .* > 1 %" <<<"$out" | tail -1)
  echo "run $i: $line"
  grep "^kept " <<<"$out" || true
  if grep -q "worst error" <<<"$line"; then
    worst+=("$(grep -oE 'worst error [0-9.]+%' <<<"$line" | grep -oE '[0-9.]+')")
    flagged=$((flagged + $(grep -oE '\(([0-9]+) flagged' <<<"$line" | grep -oE '[0-9]+')))
  else
    failed=$((failed + 1))
  fi
done
sorted=$(printf '%s\n' "${worst[@]}" | sort -g)
echo "busy loops: $busy, nproc: $(nproc); runs: $runs, failed: $failed"
echo "queries flagged coarse_edges: $flagged of $((8 * (runs - failed)))"
echo "worst unflagged per-query error of passing runs: median $(sed -n "$(((${#worst[@]} + 1) / 2))p" <<<"$sorted") %, max $(tail -1 <<<"$sorted") %"
[ "$failed" -eq 0 ]
