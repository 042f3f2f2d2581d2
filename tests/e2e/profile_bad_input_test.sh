#!/usr/bin/env bash
# Bad input: malformed datasets, an unreachable server and a server answering 500 each give a clear
# message (naming the file:line or URL), a non-zero exit where the run cannot proceed, and a
# consistent run store that --resume completes.
source "$(dirname "$0")/lib.sh"
E2E="$IPW_SOURCE_DIR/tests/e2e"
python3 "$E2E/fixtures_small_dataset.py" "$WORK/ds.jsonl" "$WORK/answers.jsonl"
common=(--model mock --idle-seconds 0 --warmup 0 --telemetry estimated)

expect_fail() {  # expect_fail CODE PATTERN -- command...: exit code and stderr pattern
  local code=$1 pattern=$2; shift 3
  set +e
  "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  set -e
  [ "$rc" = "$code" ] || { cat "$WORK/out" "$WORK/err"; fail "expected exit $code, got $rc: $*"; }
  grep -q -- "$pattern" "$WORK/err" || { cat "$WORK/err"; fail "stderr lacks '$pattern'"; }
}

# 1. malformed dataset line: the message names file:line; no run directory is created.
{ head -2 "$WORK/ds.jsonl"; echo '{"id": "broken", "prompt": '; tail -1 "$WORK/ds.jsonl"; } >"$WORK/bad.jsonl"
expect_fail 1 "bad.jsonl:3" -- "$IPW" profile --server http://127.0.0.1:9 --dataset "$WORK/bad.jsonl" \
  --out "$WORK/runs-bad" "${common[@]}"
[ ! -e "$WORK/runs-bad" ] || [ -z "$(ls -A "$WORK/runs-bad")" ] || fail "a bad dataset left a run directory"

# 2. missing required field.
echo '{"id": "x1", "answer": "4"}' >"$WORK/missing.jsonl"
expect_fail 1 "missing.jsonl:1" -- "$IPW" profile --server http://127.0.0.1:9 --dataset "$WORK/missing.jsonl" \
  --out "$WORK/runs-bad" "${common[@]}"

# 3. missing dataset file.
expect_fail 1 "nonexistent.jsonl" -- "$IPW" profile --server http://127.0.0.1:9 \
  --dataset "$WORK/nonexistent.jsonl" --out "$WORK/runs-bad" "${common[@]}"

# 3b. inputs no server or engine could work with: exit 2, a message saying what to do, and no run
#     directory (they used to create one, print an empty summary and suggest --resume).
no_run_dir() { [ ! -e "$1" ] || [ -z "$(ls -A "$1")" ] || fail "$2 left a run directory: $(ls "$1")"; }
printf 'not a gguf file\n' >"$WORK/not-a-model.gguf"
expect_fail 2 "does not exist" -- "$IPW" profile --engine llama.cpp --model "$WORK/misspelt.gguf" \
  --dataset "$WORK/ds.jsonl" --out "$WORK/runs-in" "${common[@]:2}"
no_run_dir "$WORK/runs-in" "a missing --model file"
expect_fail 2 "not a readable GGUF model" -- "$IPW" profile --engine llama.cpp --model "$WORK/not-a-model.gguf" \
  --dataset "$WORK/ds.jsonl" --out "$WORK/runs-in" "${common[@]:2}"
no_run_dir "$WORK/runs-in" "a non-GGUF --model file"
expect_fail 2 "ipw starts the server on a free loopback port itself; remove it" -- "$IPW" profile \
  --engine llama.cpp --model "$WORK/not-a-model.gguf" --engine-arg --port --engine-arg 9999 \
  --dataset "$WORK/ds.jsonl" --out "$WORK/runs-in" "${common[@]:2}"
grep -q "ipw option" "$WORK/err" && fail "the --engine-arg message names an ipw option that does not exist"
no_run_dir "$WORK/runs-in" "--engine-arg --port"
expect_fail 2 "is not an http:// or https:// URL" -- "$IPW" profile --server ftp://127.0.0.1:21 \
  --dataset "$WORK/ds.jsonl" --out "$WORK/runs-in" "${common[@]}"
no_run_dir "$WORK/runs-in" "--server ftp://"
expect_fail 2 "not a YYYY-MM-DD date" -- "$IPW" profile --server http://127.0.0.1:9 --model-info release_date=April \
  --dataset "$WORK/ds.jsonl" --out "$WORK/runs-in" "${common[@]}"
no_run_dir "$WORK/runs-in" "a malformed --model-info"

# 4. unreachable server: the URL is named, the exit is non-zero, and the store is consistent.
port=$(dead_port)
expect_fail 1 "127.0.0.1:$port" -- "$IPW" profile --server "http://127.0.0.1:$port" \
  --dataset "$WORK/ds.jsonl" --out "$WORK/runs-dead" --connect-timeout 1 "${common[@]}"
dead=$(run_dir_in "$WORK/runs-dead")
# profile itself printed the error and the resume hint, not a table of n/a for no query.
grep -q "continue with: ipw profile --resume $dead" "$WORK/err" || { cat "$WORK/err"; fail "no resume hint"; }
grep -q "uncertainty and robustness\|latency (ms)" "$WORK/out" && { cat "$WORK/out"; fail "a run with no query printed an analysis table"; }
"$IPW" analyze "$dead" --json | python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]; assert s["queries"]==0, s'
# The printout says no query was measured (not "energy none (cpu)", which reads as a kind of energy).
"$IPW" analyze "$dead" >"$WORK/dead.txt"
grep -q "no query has an energy figure (domains .*: no query ran)" "$WORK/dead.txt" || { cat "$WORK/dead.txt"; fail "dead-server analysis"; }
grep -q "energy    none" "$WORK/dead.txt" && fail "analysis prints 'energy none'"
grep -q "at http://127.0.0.1:$port" "$WORK/dead.txt" || fail "analysis does not name the server" 

# 5. a server answering 500 to everything: failed queries are recorded with their error, the run
#    stops after --max-consecutive-failures (exit 3), and --resume against a good server finishes it
#    without repeating a stored query.
start_mock --answers "$WORK/answers.jsonl" --fail-every 1 --fail-status 500
expect_fail 3 "in a row failed" -- "$IPW" profile --server "$MOCK_URL" --dataset "$WORK/ds.jsonl" \
  --out "$WORK/runs-500" --max-consecutive-failures 3 --retries 1 --retry-max-wait 0.2 "${common[@]}"
run=$(run_dir_in "$WORK/runs-500")
"$IPW" export "$run" >"$WORK/partial.jsonl"
[ "$(wc -l <"$WORK/partial.jsonl")" = 3 ] || fail "expected the 3 failed queries to be stored"
# A 500 before any token is sent again (--retries 1): each stored failure is its second attempt.
[ "$(grep -c '"attempts":2' "$WORK/partial.jsonl")" = 3 ] || fail "each failure should record 2 attempts"
grep -q '"error_kind":"http_status"' "$WORK/partial.jsonl" || fail "failed queries lack error_kind http_status"
grep -q '500' "$WORK/partial.jsonl" || fail "the error message does not mention HTTP 500"

start_mock --answers "$WORK/answers.jsonl"
"$IPW" profile --resume "$run" --server "$MOCK_URL" >"$WORK/resume.out" 2>&1 || { cat "$WORK/resume.out"; fail "resume failed"; }
"$IPW" export "$run" >"$WORK/full.jsonl"
python3 - "$WORK/full.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ids = [r["id"] for r in rows]
assert len(rows) == 8, f"expected 8 queries after resume, got {len(rows)}"
assert len(set(ids)) == 8, f"a query was repeated: {ids}"
assert sum(1 for r in rows if r["error_kind"]) == 3, "the 3 stored failures must be kept as they were"
assert {r["session"] for r in rows} == {1, 2}, "resumed queries belong to session 2"
PY
echo "profile_bad_input: ok"
