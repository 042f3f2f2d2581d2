# Shared helpers for the end-to-end tests (sourced, not run). ctest sets IPW_BIN
# (the build's bin/ directory) and IPW_SOURCE_DIR.
set -euo pipefail
: "${IPW_BIN:?IPW_BIN must point at the build bin directory}"
: "${IPW_SOURCE_DIR:?IPW_SOURCE_DIR must point at the source tree}"
IPW="$IPW_BIN/ipw"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipw-e2e.XXXXXX")
PIDS=()
cleanup() {
  local status=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # IPW_E2E_KEEP=1 keeps a failed test's work directory (run stores, logs) to look into.
  if [ "${IPW_E2E_KEEP:-0}" = 1 ] && [ "$status" -ne 0 ]; then
    echo "kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
# A signal (ctest's timeout, Ctrl-C) exits through the EXIT trap too.
trap 'exit 143' TERM INT HUP

fail() { echo "FAIL: $*" >&2; exit 1; }

# start_mock [mock-server flags...]: starts ipw-mock-server on a free port; sets MOCK_URL and MOCK_PID.
start_mock() {
  local log="$WORK/mock.$RANDOM.out"
  "$IPW_BIN/ipw-mock-server" --port 0 "$@" >"$log" 2>&1 &
  MOCK_PID=$!
  PIDS+=("$MOCK_PID")
  for _ in $(seq 200); do
    if grep -q 'listening on' "$log"; then
      MOCK_URL=$(grep -o 'http://[0-9.:]*' "$log" | head -1)
      return 0
    fi
    sleep 0.05
  done
  cat "$log" >&2
  fail "mock server did not start"
}

# a free loopback port nobody listens on (for "unreachable server" tests)
dead_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# the only run directory under $1
run_dir_in() {
  local n
  n=$(find "$1" -mindepth 1 -maxdepth 1 -type d | wc -l)
  [ "$n" = 1 ] || fail "expected one run directory in $1, found $n"
  find "$1" -mindepth 1 -maxdepth 1 -type d
}

# profile_refused EXPECTED-MESSAGE [flags...]: `ipw profile` against the mock with the
# test's $WORK/ds.jsonl and $WORK/trace.csv must exit 2, name EXPECTED-MESSAGE and write nothing.
profile_refused() {
  local want="$1"
  shift
  set +e
  "$IPW" profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry "replay:$WORK/trace.csv" \
    --idle-seconds 0 --out "$WORK/refused" "$@" >"$WORK/refused.out" 2>&1
  local rc=$?
  set -e
  [ "$rc" = 2 ] || { cat "$WORK/refused.out"; fail "$* exited $rc, expected 2"; }
  grep -qF -- "$want" "$WORK/refused.out" || { cat "$WORK/refused.out"; fail "$*: no '$want' in the message"; }
  [ ! -e "$WORK/refused" ] || fail "$* wrote $WORK/refused"
}

# wait_for_rows DIR SQL N: waits (up to 60 s) until the run store under DIR answers SQL
# (a count) with N or more; for interrupting a run part-way.
wait_for_rows() {
  local db
  for _ in $(seq 600); do
    db="$(find "$1" -name run.db 2>/dev/null | head -1 || true)"
    if [ -n "$db" ] && [ "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$db" "$2" 2>/dev/null || echo 0)" -ge "$3" ]; then
      return 0
    fi
    sleep 0.1
  done
  fail "no $3 rows for '$2' under $1 within 60 s"
}
