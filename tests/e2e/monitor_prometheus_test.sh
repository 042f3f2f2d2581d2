#!/usr/bin/env bash
# /metrics passes `promtool check metrics`, and a real Prometheus server
# scraping it on loopback answers a query for the energy counter, whose rate
# is the replayed power. The scrape carries the bearer token.
source "$(dirname "$0")/monitor_lib.sh"

printf 't_s,power_w\n0,80\n36000,80\n' >"$WORK/const.csv"
printf 'prom-e2e-token\n' >"$WORK/token"
start_monitor prom --telemetry "replay:$WORK/const.csv" --token-file "$WORK/token" --interval-ms 20

curl -fsS -H 'Authorization: Bearer prom-e2e-token' "$MON_METRICS" >"$WORK/metrics.txt" || fail "scrape"
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.out" 2>&1 ||
  { cat "$WORK/promtool.out" >&2; fail "promtool check metrics rejected the exposition"; }
[ ! -s "$WORK/promtool.out" ] || { cat "$WORK/promtool.out" >&2; fail "promtool lint findings"; }
grep -q '^ipw_energy_joules_total{domain="replay",' "$WORK/metrics.txt" || fail "no energy counter"
grep -q '^ipw_power_watts{domain="replay",.*} 80$' "$WORK/metrics.txt" || fail "power gauge is not 80 W"
grep -q '^ipw_monitor_sampling 1$' "$WORK/metrics.txt" || fail "a scrape should start sampling"

# A real Prometheus server, on loopback only, scraping every second.
PROM_PORT="$(free_port)"
mkdir -p "$WORK/tsdb"
cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ipw-monitor
    authorization:
      type: Bearer
      credentials_file: $WORK/token
    static_configs:
      - targets: ['127.0.0.1:$(metrics_port)']
YAML
promtool check config "$WORK/prometheus.yml" >"$WORK/promcfg.out" 2>&1 || fail "prometheus config"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.out" 2>"$WORK/prometheus.err" &
PIDS+=("$!")

API="http://127.0.0.1:$PROM_PORT/api/v1"
# Prometheus extrapolates rate() to the window's edges only when the series covers them (a gap
# under 1.1 scrape intervals); a series younger than the window reads low. Wait until the series
# is older than the 5 s window (9 scrapes in the last 10 s), then ask once.
query() {
  curl -fsS "$API/query" --data-urlencode "query=$1" 2>/dev/null |
    "$PY" -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null || true
}
ready=""
for _ in $(seq 1 60); do
  sleep 1
  n="$(query 'count_over_time(ipw_energy_joules_total{domain="replay"}[10s])')"
  if [ -n "$n" ] && [ "${n%.*}" -ge 9 ]; then ready=1; break; fi
done
[ -n "$ready" ] || fail "Prometheus never held 9 scrapes of the energy counter"
got="$(query 'rate(ipw_energy_joules_total{domain="replay"}[5s])')"
[ -n "$got" ] && [ "$got" != "NaN" ] || fail "Prometheus returned no rate for the energy counter"
"$PY" -c "import sys; r = float('$got'); sys.exit(0 if abs(r - 80) < 4 else 1)" || {
  curl -fsS "$API/query" --data-urlencode 'query=ipw_energy_joules_total{domain="replay"}[10s]' >&2 || true
  fail "rate(ipw_energy_joules_total) = $got W, expected 80 W"
}

# The counter itself, with its labels.
curl -fsS "$API/query" --data-urlencode 'query=ipw_energy_joules_total' >"$WORK/q.json"
"$PY" - "$WORK/q.json" <<'PYEOF' || fail "energy counter query"
import json, sys
r = json.load(open(sys.argv[1]))["data"]["result"]
assert len(r) == 1, r
m = r[0]["metric"]
assert m["job"] == "ipw-monitor" and m["domain"] == "replay" and m["source"] == "integrated", m
assert float(r[0]["value"][1]) > 0, r
PYEOF
curl -fsS "$API/targets" | grep -q '"health":"up"' || fail "the scrape target is not up"
echo "ok: promtool clean; Prometheus scraped rate(ipw_energy_joules_total) = $got W"
