#!/usr/bin/env bash
# The streaming client at scale (docs/BENCHMARKS.md, "Load: the client at scale"):
# ipw profile --concurrency N against the mock server at full speed (unpaced tokens),
# and beside it, in the same run, an aiohttp client doing what vLLM's `bench serve`
# does (one coroutine per stream, chunks stamped as they are read) and the floor, the
# least a client can do (bench/stream_floor_bench.cpp). For each N:
#   * CPU per streamed token: the client process's user+sys CPU time / tokens received
#     (for ipw the whole `ipw profile` process: store, scoring and sampler included);
#   * lag: per token, the client's stamp minus the instant the mock handed the token
#     to its socket (the mock's --token-log, on the same monotonic clock), p50 and p99.
# usage: [IPW_BENCH_TOKENS_PER_S=R] [IPW_BENCH_CLIENTS="ipw aiohttp floor"] [IPW_BENCH_BIN=DIR]
#        bash bench/client_scale.sh [STREAMS...]   (default: 1 64 256 1024; R tokens/s per stream
#        from the mock, default 0: as fast as it can send; the clients to run, default all three;
#        DIR the build's bin/ to take ipw, the mock and the floor from, default build/bin, so two
#        builds can be compared in one sitting)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${IPW_BENCH_BIN:-build/bin}"
CLIENTS=" ${IPW_BENCH_CLIENTS:-ipw aiohttp floor} "
PY=/usr/bin/python3  # Debian's interpreter, where python3-aiohttp is installed
[ -x "$BIN/ipw" ] && [ -x "$BIN/ipw-mock-server" ] && [ -x "$BIN/stream_floor_bench" ] || { echo "build first (scripts/setup.sh)" >&2; exit 1; }
"$PY" -c 'import aiohttp' 2>/dev/null || { echo "needs python3-aiohttp (scripts/setup.sh installs it)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ipw-client-scale.XXXXXX)
trap '[ -z "${MOCK:-}" ] || kill "$MOCK" 2>/dev/null; rm -rf "$WORK"' EXIT
streams=("$@")
[ ${#streams[@]} -gt 0 ] || streams=(1 64 256 1024)
PIECES=200  # tokens per reply
RATE="${IPW_BENCH_TOKENS_PER_S:-0}"  # the mock's tokens/s per stream; 0: full speed

source bench/lib.sh
bench_replies Stream 4096 "$PIECES"

cat >"$WORK/aio.py" <<'PY'
# What vLLM's bench serve does per request: POST with stream=true, read the body's
# chunks as they come, stamp each data line. One coroutine per stream.
import asyncio, json, os, sys, time
import aiohttp
url, n, total, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
prompts = [json.loads(l)["prompt"] for l in open(sys.argv[5])][:total]
stamps = {}
async def one(session, prompt):
    body = {"model": "mock", "stream": True, "messages": [{"role": "user", "content": prompt}], "max_tokens": 100000}
    got = []
    async with session.post(url + "/v1/chat/completions", json=body) as r:
        buf = b""
        async for chunk in r.content.iter_any():
            t = time.monotonic_ns()
            buf += chunk
            while b"\n\n" in buf:
                event, buf = buf.split(b"\n\n", 1)
                if event.startswith(b"data: ") and event != b"data: [DONE]":
                    d = json.loads(event[6:])
                    if d.get("choices") and d["choices"][0].get("delta", {}).get("content"):
                        got.append(t)
    stamps[prompt] = got
async def main():
    conn = aiohttp.TCPConnector(limit=n)
    async with aiohttp.ClientSession(connector=conn) as s:
        queue = list(prompts)
        async def worker():
            while queue:
                await one(s, queue.pop())
        await asyncio.gather(*(worker() for _ in range(n)))
asyncio.run(main())
cpu = os.times()
json.dump({"cpu_s": cpu.user + cpu.system, "stamps": stamps}, open(out, "w"))
PY

cat >"$WORK/lag.py" <<'PY'
import json, sqlite3, sys
kind, path, log = sys.argv[1], sys.argv[2], sys.argv[3]
sent = {}
for line in open(log):
    d = json.loads(line)
    sent[d["prompt"]] = d["sent_ns"]
if kind == "ipw":
    db = sqlite3.connect(path)
    t0 = dict(db.execute("SELECT id, t0_monotonic_ns FROM sessions"))
    got = {p: [t0[s] + t for t in json.loads(tt)] for p, s, tt in db.execute("SELECT prompt, session, token_times_json FROM queries")}
else:
    got = json.load(open(path))["stamps"]
lags = []
for prompt, stamps in got.items():
    s = sent.get(prompt, [])
    for a, b in zip(s, stamps):
        lags.append((b - a) / 1e6)
lags.sort()
q = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))]
print(json.dumps({"tokens": len(lags), "lag_p50_ms": q(0.5), "lag_p99_ms": q(0.99)}))
PY

row() {  # row STREAMS CLIENT LAG_JSON CPU_S
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); print('%-8s %-8s %10d %14.2f %12.3f %12.3f' % (sys.argv[2], sys.argv[3], d['tokens'], float(sys.argv[4]) * 1e6 / d['tokens'], d['lag_p50_ms'], d['lag_p99_ms']))" "$3" "$1" "$2" "$4"
}
# other STREAMS NAME COMMAND...: a client writing {"cpu_s", "stamps"} to $WORK/NAME-STREAMS.json
# (its own arguments say so), against a fresh mock: @URL@ in them becomes its URL, @HOST@ its host:port.
other() {
  local n="$1" name="$2" args=()
  shift 2
  start_mock "$WORK/$name-$n.log" "$RATE" 1100
  for a in "$@"; do a="${a//@URL@/$URL}"; args+=("${a//@HOST@/${URL#http://}}"); done
  if ! "${args[@]}" 2>"$WORK/$name-$n.err"; then
    stop_mock
    printf '%-8s %-8s failed: %s\n' "$n" "$name" "$(tail -1 "$WORK/$name-$n.err")"
    return
  fi
  stop_mock
  row "$n" "$name" "$(python3 "$WORK/lag.py" other "$WORK/$name-$n.json" "$WORK/$name-$n.log")" \
    "$(python3 -c "import json; print(json.load(open('$WORK/$name-$n.json'))['cpu_s'])")"
}

printf '%-8s %-8s %10s %14s %12s %12s\n' streams client tokens "CPU µs/token" "lag p50 ms" "lag p99 ms"
for n in "${streams[@]}"; do
  # Four replies per stream (at full speed at least 256 in all, for enough tokens).
  total=$(( RATE == 0 && n * 4 < 256 ? 256 : n * 4 ))
  if [[ "$CLIENTS" == *" ipw "* ]]; then
    start_mock "$WORK/ipw-$n.log" "$RATE" 1100
    /usr/bin/time -f "%U %S" -o "$WORK/ipw-$n.time" "$BIN/ipw" profile --server "$URL" --model mock \
      --dataset "$WORK/ds.jsonl" --max-queries "$total" --concurrency "$n" --max-tokens 100000 \
      --telemetry "replay:$WORK/const.csv" --idle-seconds 0 --warmup 0 --out "$WORK/runs-$n" >"$WORK/ipw-$n.out" 2>&1
    stop_mock
    run=$(ls -d "$WORK/runs-$n"/*/)
    lag=$(python3 "$WORK/lag.py" ipw "$run/run.db" "$WORK/ipw-$n.log")
    row "$n" ipw "$lag" "$(awk '{print $1 + $2}' "$WORK/ipw-$n.time")"
  fi
  [[ "$CLIENTS" != *" aiohttp "* ]] ||
    other "$n" aiohttp "$PY" "$WORK/aio.py" @URL@ "$n" "$total" "$WORK/aiohttp-$n.json" "$WORK/ds.jsonl"
  # the floor: one epoll loop, a recv and a byte scan per event (bench/stream_floor_bench.cpp)
  [[ "$CLIENTS" != *" floor "* ]] ||
    other "$n" floor "$BIN/stream_floor_bench" @HOST@ "$n" "$total" "$WORK/ds.jsonl" "$WORK/floor-$n.json"
done
