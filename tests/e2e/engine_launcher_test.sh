#!/usr/bin/env bash
# The engine launcher against the real llama-server (built by scripts/build-llama.sh) on the
# generated default model (scripts/make-model.sh): start/health/warm-up/stop, bad model path,
# unloadable model, port in use, a server killed mid-run, the Ctrl-C hook. The cases live in
# tests/unit/engine_live_test.cpp as DISABLED_ tests of ipw_tests; this script runs them. It FAILS
# (never skips) when llama-server or the model is missing.
set -euo pipefail
# Self-contained (no lib.sh): ctest sets IPW_BIN (the build's bin directory) and IPW_SOURCE_DIR.
: "${IPW_BIN:?IPW_BIN must be set}" "${IPW_SOURCE_DIR:?IPW_SOURCE_DIR must be set}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipw-e2e-engine.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

server="${IPW_LLAMA_SERVER:-$IPW_SOURCE_DIR/third_party/llama/build/bin/llama-server}"
model="${IPW_ENGINE_MODEL:-$IPW_SOURCE_DIR/third_party/models/ipw-tiny.gguf}"
[ -x "$server" ] || fail "llama-server not built ($server): run scripts/build-llama.sh"
[ -s "$model" ] || fail "default model missing ($model): run scripts/make-model.sh"
[ -x "$IPW_BIN/ipw_tests" ] || fail "$IPW_BIN/ipw_tests not built"
export IPW_LLAMA_SERVER="$server" IPW_ENGINE_MODEL="$model"

expected=10  # the number of EngineLive cases; a filter that matched nothing must not pass
"$IPW_BIN/ipw_tests" --gtest_also_run_disabled_tests --gtest_filter='EngineLive.*' \
  --gtest_brief=0 >"$WORK/live.out" 2>&1 || { cat "$WORK/live.out"; fail "EngineLive tests failed"; }
passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\{0,1\}\..*/\1/p' "$WORK/live.out")
[ "$passed" = "$expected" ] || { cat "$WORK/live.out"; fail "expected $expected EngineLive tests to pass, got '${passed}'"; }

# An engine that never starts serving (a server binary that exits at once): profile prints the
# error and the resume hint only (no table of n/a), and the run's analysis names the engine, not
# an empty URL ("(openai at )").
printf '#!/bin/sh\necho "fake llama-server: cannot start" >&2\nexit 1\n' >"$WORK/dead-server"
chmod +x "$WORK/dead-server"
set +e
IPW_LLAMA_SERVER="$WORK/dead-server" "$IPW_BIN/ipw" profile --engine llama.cpp --model "$model" --max-queries 1 \
  --idle-seconds 0 --telemetry estimated --out "$WORK/dead" >"$WORK/dead.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || { cat "$WORK/dead.out"; fail "a server that never started gave exit 0"; }
grep -q "continue with: ipw profile --resume" "$WORK/dead.out" || { cat "$WORK/dead.out"; fail "no resume hint"; }
grep -q "uncertainty and robustness\|latency (ms)" "$WORK/dead.out" && { cat "$WORK/dead.out"; fail "a run with no query printed an analysis table"; }
dead_run=$(find "$WORK/dead" -mindepth 1 -maxdepth 1 -type d)
"$IPW_BIN/ipw" analyze "$dead_run" >"$WORK/dead-analysis.out" 2>&1
grep -q "llama.cpp engine, which never started serving" "$WORK/dead-analysis.out" || { cat "$WORK/dead-analysis.out"; fail "no engine named"; }
grep -q " at )" "$WORK/dead.out" && { cat "$WORK/dead.out"; fail "the printout shows an empty server URL"; }

# The embedded demo (no --server, no --engine): capped at 256 tokens (its random weights
# never stop by themselves), and the summary says its accuracy means nothing.
IPW_DEFAULT_MODEL="$model" "$IPW_BIN/ipw" profile --max-queries 2 --idle-seconds 0 --telemetry estimated \
  --warmup 0 --out "$WORK/demo" >"$WORK/demo.out" 2>&1 || { cat "$WORK/demo.out"; fail "the demo profile failed"; }
grep -q "embedded demo model, whose weights are random: its accuracy is near 0 by design" "$WORK/demo.out" ||
  { cat "$WORK/demo.out"; fail "the demo's summary does not say its accuracy is near 0 by design"; }
demo_run=$(find "$WORK/demo" -mindepth 1 -maxdepth 1 -type d)
python3 -c 'import json,sqlite3,sys; m=json.loads(sqlite3.connect(sys.argv[1]).execute("SELECT json FROM manifest").fetchone()[0]); assert m["decoding"]["max_tokens"] == 256, m["decoding"]' \
  "$demo_run/run.db" || fail "the demo is not capped at 256 tokens"

echo "engine_launcher_test: $passed live launcher tests passed; a dead engine is named; the demo says what it is"
