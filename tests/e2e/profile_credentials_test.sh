#!/usr/bin/env bash
# Credentials in a server or judge URL, and an API key from --api-key-env, are used, never printed
# or stored: user:password@, a secret query parameter (?api_key=) and the key appear nowhere in the
# output (debug logs included) or anywhere in the run directory
# (manifest, summary.json, the store's session command line, exports, report); the run works with
# them; and --resume without the URL says to give it again instead of connecting to `***`.
source "$(dirname "$0")/lib.sh"
E2E="$IPW_SOURCE_DIR/tests/e2e"
python3 "$E2E/fixtures_small_dataset.py" "$WORK/ds.jsonl" "$WORK/answers.jsonl"
common=(--model mock --idle-seconds 0 --warmup 0 --telemetry estimated --dataset "$WORK/ds.jsonl")
SECRETS=(s3cretUser pa55word t0kenValue sk-ap1KeyValue)

# Fails when any secret is in the given files or anywhere under the given directories.
no_secrets() {
  local s
  for s in "${SECRETS[@]}"; do
    if grep -r -a -l -- "$s" "$@" >"$WORK/hits" 2>/dev/null; then
      fail "'$s' is stored or printed in: $(tr '\n' ' ' <"$WORK/hits")"
    fi
  done
}

# 1. A live server behind user:password@: the run completes, and no secret is printed or stored.
start_mock --answers "$WORK/answers.jsonl"
url="${MOCK_URL/http:\/\//http://s3cretUser:pa55word@}"
"$IPW" profile --server "$url" --out "$WORK/runs" --max-queries 3 "${common[@]}" \
  >"$WORK/out1" 2>"$WORK/err1" || { cat "$WORK/out1" "$WORK/err1"; fail "profile with userinfo"; }
run=$(run_dir_in "$WORK/runs")
grep -q 'http://\*\*\*@127.0.0.1' "$WORK/out1" || { cat "$WORK/out1"; fail "the output does not show the URL as ***@"; }
"$IPW" export "$run" --format jsonl -o "$WORK/q.jsonl" >/dev/null || fail "export"
"$IPW" report "$run" -o "$WORK/report.html" >/dev/null || fail "report"
sqlite3 "$run/run.db" .dump >"$WORK/dump.sql" 2>/dev/null || fail "sqlite3 dump"
no_secrets "$WORK/out1" "$WORK/err1" "$run" "$WORK/q.jsonl" "$WORK/report.html" "$WORK/dump.sql"

# 2. --resume without the URL: a clear error naming --server, not a connection to ***.
set +e
"$IPW" profile --resume "$run" --max-queries 5 >"$WORK/out2" 2>"$WORK/err2"
rc=$?
set -e
[ "$rc" = 2 ] || { cat "$WORK/out2" "$WORK/err2"; fail "resume without --server: expected exit 2, got $rc"; }
grep -q "give --server URL again" "$WORK/err2" || { cat "$WORK/err2"; fail "resume: message lacks the remedy"; }
# …and with it, the run finishes.
"$IPW" profile --resume "$run" --server "$url" --max-queries 5 >"$WORK/out3" 2>"$WORK/err3" ||
  { cat "$WORK/out3" "$WORK/err3"; fail "resume with --server"; }
no_secrets "$WORK/out2" "$WORK/err2" "$WORK/out3" "$WORK/err3" "$run"

# 3. A secret query parameter and a judge URL with userinfo, against a dead server: the failure
#    message names the URL, redacted, and nothing is stored in the clear.
port=$(dead_port)
set +e
"$IPW" profile --server "http://127.0.0.1:$port/?api_key=t0kenValue" --judge "http://s3cretUser:pa55word@127.0.0.1:$port" \
  --judge-model j --out "$WORK/runs-dead" --connect-timeout 1 "${common[@]}" >"$WORK/out4" 2>"$WORK/err4"
set -e
grep -q "api_key=\*\*\*" "$WORK/out4" "$WORK/err4" || { cat "$WORK/out4" "$WORK/err4"; fail "the redacted URL is not named"; }
no_secrets "$WORK/out4" "$WORK/err4" "$WORK/runs-dead"
# 4. An API key (--api-key-env): sent as a bearer token, never printed (not even by -v) or stored.
start_mock --answers "$WORK/answers.jsonl" --verbose
IPW_E2E_KEY=sk-ap1KeyValue "$IPW" -v profile --server "$MOCK_URL" --api-key-env IPW_E2E_KEY --out "$WORK/runs-key" \
  --max-queries 2 "${common[@]}" >"$WORK/out5" 2>"$WORK/err5" || { cat "$WORK/out5" "$WORK/err5"; fail "profile with an API key"; }
key_run=$(run_dir_in "$WORK/runs-key")
"$IPW" report "$key_run" -o "$WORK/key-report.html" >/dev/null || fail "report"
sqlite3 "$key_run/run.db" .dump >"$WORK/key-dump.sql" 2>/dev/null || fail "sqlite3 dump"
grep -q "IPW_E2E_KEY" "$WORK/key-dump.sql" || fail "the manifest should name the variable the key came from"
no_secrets "$WORK/out5" "$WORK/err5" "$key_run" "$WORK/key-report.html" "$WORK/key-dump.sql"
echo "ok: no credential printed or stored"
