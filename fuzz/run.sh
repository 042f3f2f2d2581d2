#!/usr/bin/env bash
# Runs every fuzz target of BUILD_DIR over its seed corpus (fuzz/corpus/NAME, in the
# repository), then SECONDS of new inputs each. New inputs the fuzzer keeps go to a
# scratch directory, never into the repository; a crash or a broken invariant fails
# the run and leaves the input in BUILD_DIR/findings/ (reproduce: BUILD/NAME_fuzz FILE).
#   bash fuzz/run.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build-fuzz}"
seconds="${2:-10}"
findings="$build/findings"
mkdir -p "$findings"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
status=0
for bin in "$build"/*_fuzz; do
  name="$(basename "$bin" _fuzz)"
  corpus="$here/corpus/$name"
  [ -d "$corpus" ] || { echo "fuzz: no seed corpus $corpus for $name" >&2; exit 1; }
  mkdir -p "$scratch/$name"
  # -max_total_time bounds the whole target; -timeout makes one input running over 10 s a
  # finding (a hang, as std::regex once gave); -rss_limit_mb keeps a leak from eating the machine.
  if ! "$bin" "$scratch/$name" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
      -artifact_prefix="$findings/$name-" -print_final_stats=1 >"$scratch/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; input and log in $findings" >&2
    cp "$scratch/$name.log" "$findings/$name.log"
    tail -30 "$scratch/$name.log" >&2
    status=1
    continue
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$name.log" | grep -o '[0-9]*$' || echo "?")
  echo "fuzz: $name ok, $runs executions"
done
exit "$status"
