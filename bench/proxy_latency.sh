#!/usr/bin/env bash
# What `ipw proxy` adds to a request (docs/BENCHMARKS.md, "The measuring proxy"): the
# same client (ipw profile) against the mock server directly and through the proxy,
# in one sitting, at 1 and 64 concurrent streams. Per run:
#   * TTFT p50 and p99 (the client's send to its first token), whose difference between
#     the two paths is the proxy's added latency per request (accept, forward the
#     request, the first chunk back);
#   * lag per streamed token: the client's stamp minus the instant the mock handed the
#     token to its socket (the mock's --token-log, same monotonic clock), p50 and p99:
#     the difference is the proxy's added latency per token;
#   * the proxy's CPU (user+sys) per forwarded token, its recording of each request
#     (decoding, attribution, the store) included.
# usage: [IPW_BENCH_BIN=DIR] bash bench/proxy_latency.sh [STREAMS...]   (default: 1 64)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${IPW_BENCH_BIN:-build/bin}"
[ -x "$BIN/ipw" ] && [ -x "$BIN/ipw-mock-server" ] || { echo "build first (scripts/setup.sh)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ipw-proxy-latency.XXXXXX)
PIDS=()
trap '[ -z "${MOCK:-}" ] || kill "$MOCK" 2>/dev/null; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
streams=("$@")
[ ${#streams[@]} -gt 0 ] || streams=(1 64)
PIECES=100  # tokens per reply
RATE=100    # tokens/s per stream, a small model's pace

source bench/lib.sh
bench_replies Proxy 1024 "$PIECES"

cat >"$WORK/measure.py" <<'PY'
import json, sqlite3, sys
db, log = sys.argv[1], sys.argv[2]
sent = {}
for line in open(log):
    d = json.loads(line)
    sent[d["prompt"]] = d["sent_ns"]
db = sqlite3.connect(db)
t0 = dict(db.execute("SELECT id, t0_monotonic_ns FROM sessions"))
lags, ttft = [], []
for prompt, s, tt, start, first in db.execute(
        "SELECT prompt, session, token_times_json, t_start_ns, t_first_token_ns FROM queries WHERE error_kind IS NULL OR error_kind = ''"):
    stamps = [t0[s] + t for t in json.loads(tt)]
    lags += [(b - a) / 1e6 for a, b in zip(sent.get(prompt, []), stamps)]
    ttft.append((first - start) / 1e6)
q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]
print(json.dumps({"requests": len(ttft), "tokens": len(lags), "ttft_p50_ms": q(ttft, 0.5), "ttft_p99_ms": q(ttft, 0.99),
                  "lag_p50_ms": q(lags, 0.5), "lag_p99_ms": q(lags, 0.99)}))
PY

profile() {  # profile STREAMS URL NAME: the client's run, measured against the mock's log
  local n="$1" url="$2" name="$3" total=$(( $1 * 4 < 32 ? 32 : $1 * 4 ))
  "$BIN/ipw" profile --server "$url" --model mock --dataset "$WORK/ds.jsonl" --max-queries "$total" \
    --concurrency "$n" --max-tokens 100000 --telemetry "replay:$WORK/const.csv" --idle-seconds 0 --warmup 0 \
    --out "$WORK/runs-$name" >"$WORK/$name.out" 2>&1
  python3 "$WORK/measure.py" "$(ls -d "$WORK/runs-$name"/*/)run.db" "$WORK/$name.log"
}

printf '%-8s %-7s %9s %8s %14s %14s %14s %14s %16s\n' streams path requests tokens "TTFT p50 ms" "TTFT p99 ms" \
  "lag p50 ms" "lag p99 ms" "proxy CPU µs/tok"
row() {  # row STREAMS PATH JSON [CPU_US]
  python3 -c "import json,sys; d=json.loads(sys.argv[3]); print('%-8s %-7s %9d %8d %14.3f %14.3f %14.3f %14.3f %16s' % (sys.argv[1], sys.argv[2], d['requests'], d['tokens'], d['ttft_p50_ms'], d['ttft_p99_ms'], d['lag_p50_ms'], d['lag_p99_ms'], sys.argv[4]))" "$@"
}
for n in "${streams[@]}"; do
  start_mock "$WORK/direct-$n.log" "$RATE" 300
  row "$n" direct "$(profile "$n" "$URL" "direct-$n")" "-"
  stop_mock
  start_mock "$WORK/proxy-$n.log" "$RATE" 300
  /usr/bin/time -f "%U %S" -o "$WORK/proxy-$n.time" "$BIN/ipw" proxy --upstream "$URL" --listen 127.0.0.1:0 \
    --telemetry "replay:$WORK/const.csv" --idle-seconds 0 --out "$WORK/proxy-runs-$n" >"$WORK/proxy-$n.out" 2>&1 &
  PROXY=$!
  PIDS+=("$PROXY")
  until grep -qs 'ipw proxy: http' "$WORK/proxy-$n.out"; do sleep 0.05; done  # -s: the file may not exist yet
  PURL=$(grep -o 'ipw proxy: http://[0-9.:]*' "$WORK/proxy-$n.out" | cut -d' ' -f3)
  via=$(profile "$n" "$PURL" "proxy-$n")
  pkill -INT -P "$PROXY"  # the proxy itself, not GNU time, which ignores SIGINT while it waits
  wait "$PROXY" || true
  stop_mock
  tokens=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['tokens'])" "$via")
  row "$n" proxy "$via" "$(awk -v t="$tokens" '{printf "%.1f", ($1 + $2) * 1e6 / t}' "$WORK/proxy-$n.time")"
done
