# Helpers for tests/e2e/monitor_*_test.sh (sourced, not a test itself): start
# `ipw monitor` and the mock server on ephemeral loopback ports, and stop every
# process started here on exit. All traffic stays on this machine.
set -euo pipefail
: "${IPW_BIN:?IPW_BIN must name the directory holding ipw}"
: "${IPW_SOURCE_DIR:?IPW_SOURCE_DIR must name the source tree}"
IPW="$IPW_BIN/ipw"
# Debian's python3: it has python3-grpcio and python3-protobuf (a pyenv shim may not).
PY=/usr/bin/python3
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ipw-monitor-e2e.XXXXXX")"
PIDS=()

monitor_cleanup() {
  # (CONT: a stopped process, as monitor_outage_test makes one, acts on TERM only once resumed)
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && kill -CONT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap monitor_cleanup EXIT
# A signal (ctest's timeout, Ctrl-C) exits through the EXIT trap too.
trap 'exit 143' TERM INT HUP

# fail with the logs of every process this test started.
fail() {
  echo "FAIL: $*" >&2
  for f in "$WORK"/*.out "$WORK"/*.err; do
    [ -f "$f" ] || continue
    echo "--- $f" >&2
    tail -n 30 "$f" >&2
  done
  exit 1
}

# wait_for_line FILE PATTERN PID WHAT: until FILE has a line matching PATTERN (30 s).
wait_for_line() {
  for _ in $(seq 1 300); do
    grep -q -m1 "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || fail "$4 exited before it was ready"
    sleep 0.1
  done
  fail "$4 was not ready within 30 s"
}

# start_monitor NAME ARGS...: runs `ipw monitor ARGS` in the background, on
# ephemeral ports unless ARGS name them; sets MON_PID, MON_GRPC (host:port)
# and MON_METRICS (URL).
start_monitor() {
  local name="$1"
  shift
  local ports=()
  [[ " $* " == *" --port "* ]] || ports+=(--port 0)
  [[ " $* " == *" --metrics-port "* ]] || ports+=(--metrics-port 0)
  "$IPW" monitor "${ports[@]}" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  MON_PID=$!
  PIDS+=("$MON_PID")
  wait_for_line "$WORK/$name.out" 'listening' "$MON_PID" "ipw monitor ($name)"
  local line
  line="$(grep -m1 'listening' "$WORK/$name.out")"
  MON_GRPC="$(sed -E 's/.*grpc=([^ ]+).*/\1/' <<<"$line")"
  MON_METRICS="$(sed -E 's/.*metrics=([^ ]+).*/\1/' <<<"$line")"
}

# start_mock ARGS...: ipw-mock-server on a free port; sets MOCK_URL and MOCK_PID.
start_mock() {
  "$IPW_BIN/ipw-mock-server" --port 0 "$@" >"$WORK/mock.out" 2>"$WORK/mock.err" &
  MOCK_PID=$!
  PIDS+=("$MOCK_PID")
  wait_for_line "$WORK/mock.out" 'listening on' "$MOCK_PID" "ipw-mock-server"
  MOCK_URL="$(grep -o 'http://[0-9.:]*' "$WORK/mock.out" | head -1)"
}

# The ports of the last monitor, to connect through 127.0.0.1 whatever it binds.
grpc_port() { sed -E 's/.*:([0-9]+)$/\1/' <<<"$MON_GRPC"; }
metrics_port() { sed -E 's#.*:([0-9]+)/metrics$#\1#' <<<"$MON_METRICS"; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# the only run directory under $1
run_dir_in() {
  local dirs
  dirs="$(find "$1" -mindepth 1 -maxdepth 1 -type d)"
  [ "$(wc -l <<<"$dirs")" = 1 ] && [ -n "$dirs" ] || fail "expected one run directory in $1: $dirs"
  echo "$dirs"
}
