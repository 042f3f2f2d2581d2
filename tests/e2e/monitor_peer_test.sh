#!/usr/bin/env bash
# An independent client (Python + python3-grpcio, descriptors written by hand
# from the reference harness's layout, not from ipw's code) reads Health and a
# telemetry stream from `ipw monitor`; `--once` prints one reading as JSON.
source "$(dirname "$0")/monitor_lib.sh"

printf 't_s,power_w\n0,123.5\n36000,123.5\n' >"$WORK/const.csv"
start_monitor peer --telemetry "replay:$WORK/const.csv"

"$PY" "$IPW_SOURCE_DIR/tests/e2e/monitor_peer.py" "127.0.0.1:$(grpc_port)" --readings 12 \
  --expect-power 123.5 --expect-platform replay >"$WORK/peer.json" 2>"$WORK/peer.err" ||
  fail "the Python peer could not read the monitor"
"$PY" - "$WORK/peer.json" <<'PYEOF' || fail "peer summary"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["readings"] == 12, s
assert s["power_watts"] == 123.5, s
assert s["gpu_memory_usage_mb"] == -1 and s["temperature_celsius"] == -1, s  # unavailable = -1
assert s["cpu_memory_usage_mb"] > 0 and s["cpu_count"] > 0, s
assert s["gpu_name"] == "", s  # no GPU: empty GpuInfo
PYEOF

# The stream is sampled only while a client is connected: after the peer left, nobody is.
sleep 0.5
metrics="$(curl -fsS "$MON_METRICS")" || fail "scrape"
grep -q '^ipw_monitor_clients 0$' <<<"$metrics" || fail "the peer's stream was not released"

# --once: one JSON reading for scripts.
"$IPW" monitor --once --telemetry "replay:$WORK/const.csv" >"$WORK/once.json" 2>"$WORK/once.err" ||
  fail "ipw monitor --once"
"$PY" - "$WORK/once.json" <<'PYEOF' || fail "--once output"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["json_schema_version"] == 1, j
assert j["platform"] == "replay", j
[d] = j["domains"]
assert d["domain"] == "replay" and d["source"] == "integrated" and d["collector"] == "replay", d
assert d["power_w"] == 123.5, d
assert d["energy_j"] is None and d["temperature_c"] is None, d  # unknown is null, never 0
assert j["timestamp_nanos"] > 1.6e18, j
PYEOF
echo "ok: Python peer read Health and $(grep -o '"readings": [0-9]*' "$WORK/peer.json")"
