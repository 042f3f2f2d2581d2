#!/usr/bin/env bash
# Runs a test pass again and again on a loaded machine, to find tests that
# depend on the scheduler (docs/testing.md, "Flaky tests").
#   tests/stress.sh [RUNS] [BUSY_LOOPS] [PASS...]
# RUNS (default 10) runs of each PASS — `normal` (build/), `asan` (build-asan/)
# and/or `tsan` (build-tsan/, the threaded unit tests), default normal and asan —
# each `ctest -j$(nproc)` while BUSY_LOOPS (default 2) shell busy loops compete
# for the cores. The builds must exist (scripts/test.sh makes them). Extra ctest arguments: IPW_STRESS_CTEST_ARGS
# (e.g. "-L unit" or "-R Sampler"). Each run's failures go to a log under
# $IPW_STRESS_LOG_DIR (default build/stress/); a summary line per pass ends the
# output, and the exit status is 1 if any run failed. A process a run leaves
# behind fails that run (tests/leak_check.sh, as in scripts/test.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
busy="${2:-2}"
shift $(( $# >= 2 ? 2 : $# ))
passes=("$@")
[ ${#passes[@]} -eq 0 ] && passes=(normal asan)
logs="${IPW_STRESS_LOG_DIR:-build/stress}"
mkdir -p "$logs"

loops=()
stop_loops() { for p in "${loops[@]}"; do kill "$p" 2>/dev/null; done; wait "${loops[@]}" 2>/dev/null; }
trap stop_loops EXIT
trap 'exit 130' INT TERM
for _ in $(seq "$busy"); do
  ( while :; do :; done ) &
  loops+=($!)
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
summary=()
for pass in "${passes[@]}"; do
  prefix=()
  case "$pass" in
    normal) dir=build ;;
    asan) dir=build-asan ;;
    tsan) dir=build-tsan; prefix=(setarch "$(uname -m)" -R) ;;  # as scripts/test.sh runs it
    *) echo "stress: unknown pass '$pass' (normal, asan or tsan)" >&2; exit 2 ;;
  esac
  [ -f "$dir/CTestTestfile.cmake" ] || { echo "stress: $dir is not built: run scripts/test.sh first" >&2; exit 2; }
  failed_runs=0
  failures=""
  for i in $(seq "$runs"); do
    log="$logs/$pass-$i.log"
    start=$(date +%s)
    # As scripts/test.sh does: every process the run starts carries a tag, and
    # one still alive after it is a failure (tests/leak_check.sh).
    tag="ipw-stress-$$-$pass-$i"
    # shellcheck disable=SC2086
    IPW_TEST_SUITE_TAG="$tag" "${prefix[@]}" ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" ${IPW_STRESS_CTEST_ARGS:-} \
      >"$log" 2>&1
    rc=$?
    if ! bash tests/leak_check.sh "$tag" >>"$log" 2>&1; then
      rc=1
      printf 'The following tests FAILED:\n\t0 - leak check (Failed)\n' >>"$log"
    fi
    secs=$(( $(date +%s) - start ))
    tally=$(grep -Eo '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
    if [ "$rc" -ne 0 ]; then
      failed_runs=$((failed_runs + 1))
      # The names under ctest's "The following tests FAILED:" (not its list of disabled tests).
      names=$(sed -n '/^The following tests FAILED:/,/^[^[:space:]]/p' "$log" |
              sed -nE 's/^[[:space:]]+[0-9]+ - (.*) \(.*$/\1/p' | sort -u | tr '\n' ' ')
      failures+="$i: ${names:-exit $rc}; "
      echo "stress: $pass run $i/$runs FAILED in ${secs}s: ${names:-exit $rc} ($tally; log $log)"
    else
      echo "stress: $pass run $i/$runs passed in ${secs}s ($tally)"
      rm -f "$log"
    fi
  done
  summary+=("stress: $pass: $((runs - failed_runs)) of $runs runs passed with $busy busy loops${failures:+ — failed: $failures}")
  [ "$failed_runs" -eq 0 ] || status=1
done
printf '%s\n' "${summary[@]}"
exit "$status"
