#!/usr/bin/env bash
# Safety: a non-loopback bind needs --token (or --insecure); with a token,
# every RPC and /metrics refuse requests without it. The monitor binds
# 0.0.0.0, but every connection here goes to 127.0.0.1.
source "$(dirname "$0")/monitor_lib.sh"

printf 't_s,power_w\n0,42\n36000,42\n' >"$WORK/const.csv"
TEL="replay:$WORK/const.csv"

# 1. Refused to start: non-loopback without a token.
set +e
"$IPW" monitor --bind 0.0.0.0 --port 0 --metrics-port 0 --telemetry "$TEL" >"$WORK/refuse.out" 2>"$WORK/refuse.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "non-loopback bind without a token exited $rc, expected 2"
grep -q -- '--token' "$WORK/refuse.err" || fail "the refusal does not say how to fix it"

# 2. With a token: requests without it (or with a wrong one) are refused.
printf 'auth-e2e-token\n' >"$WORK/token"
start_monitor tok --bind 0.0.0.0 --token-file "$WORK/token" --telemetry "$TEL"
T="127.0.0.1:$(grpc_port)"
M="http://127.0.0.1:$(metrics_port)/metrics"
PEER="$IPW_SOURCE_DIR/tests/e2e/monitor_peer.py"
"$PY" "$PEER" "$T" --expect-unauthenticated >"$WORK/p1.out" 2>"$WORK/p1.err" || fail "RPC without a token was not refused"
"$PY" "$PEER" "$T" --token wrong --expect-unauthenticated >"$WORK/p2.out" 2>"$WORK/p2.err" ||
  fail "RPC with a wrong token was not refused"
"$PY" "$PEER" "$T" --token auth-e2e-token --readings 3 --expect-power 42 >"$WORK/p3.out" 2>"$WORK/p3.err" ||
  fail "RPC with the token failed"
code="$(curl -s -o /dev/null -w '%{http_code}' "$M")"
[ "$code" = 401 ] || fail "/metrics without a token answered $code"
code="$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "$M")"
[ "$code" = 401 ] || fail "/metrics with a wrong token answered $code"
curl -fsS -H 'Authorization: Bearer auth-e2e-token' "$M" | grep -q '^ipw_energy_joules_total' ||
  fail "/metrics with the token"

# The token is never logged, whatever the clients sent (right or wrong).
if grep -q 'auth-e2e-token' "$WORK/tok.out" "$WORK/tok.err"; then fail "the monitor logged its token"; fi

# `ipw profile --telemetry remote:` without IPW_MONITOR_TOKEN is refused too, with a hint.
set +e
env -u IPW_MONITOR_TOKEN "$IPW" profile --server http://127.0.0.1:9 --model m --max-queries 1 --idle-seconds 0 \
  --out "$WORK/runs" --telemetry "remote:$T" >"$WORK/prof.out" 2>"$WORK/prof.err"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "profile without the token succeeded"
grep -q 'IPW_MONITOR_TOKEN' "$WORK/prof.err" || fail "profile's refusal does not mention IPW_MONITOR_TOKEN"

# 3. --insecure: allowed on purpose, with a warning.
start_monitor open --bind 0.0.0.0 --insecure --telemetry "$TEL"
grep -q 'WITHOUT authentication' "$WORK/open.err" || fail "--insecure did not warn"
"$PY" "$PEER" "127.0.0.1:$(grpc_port)" --readings 3 >"$WORK/p4.out" 2>"$WORK/p4.err" || fail "--insecure monitor"

# 4. Loopback (the default) needs no token.
start_monitor lo --telemetry "$TEL"
case "$MON_GRPC" in 127.0.0.1:*) ;; *) fail "default bind is $MON_GRPC, expected loopback" ;; esac
"$PY" "$PEER" "$MON_GRPC" --readings 3 >"$WORK/p5.out" 2>"$WORK/p5.err" || fail "loopback monitor"
echo "ok: non-loopback bind refused without a token; token enforced on gRPC and /metrics"
