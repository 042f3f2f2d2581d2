#!/usr/bin/env bash
# `ipw profile --engine llama.cpp` end to end on the real llama-server and the generated model:
#  1. a slice of the built-in workload: every query answered, token counts equal to the server's own
#     (timings.prompt_n / predicted_n), 0 < TTFT <= latency, prefill + decode energy = total, the
#     server's CPU time recorded per query, model facts in the manifest, no server left running;
#     ipw's clock against the server's (tolerances below), and the export's server_* columns;
#  2. the server killed mid-run: ipw stops with a clear message, the run store stays consistent, and
#     --resume finishes the run with a fresh server without duplicating a query;
#  3. --perplexity: every answered query's reference scored, the scores equal to an independent
#     token-by-token re-scoring on a fresh llama-server, and `ipw analyze` reporting perplexity,
#     PPW and PPJ as docs/analysis.md defines them.
# FAILS (never skips) when llama-server, the model or the ipw binary is missing.
set -euo pipefail
: "${IPW_BIN:?IPW_BIN must be set}" "${IPW_SOURCE_DIR:?IPW_SOURCE_DIR must be set}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipw-e2e-engine.XXXXXX")
BG=""
cleanup() { [ -z "$BG" ] || kill "$BG" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
# A signal (ctest's timeout, Ctrl-C) exits through the EXIT trap too.
trap 'exit 143' TERM INT HUP
fail() { echo "FAIL: $*" >&2; exit 1; }

IPW="$IPW_BIN/ipw"
server="${IPW_LLAMA_SERVER:-$IPW_SOURCE_DIR/third_party/llama/build/bin/llama-server}"
model="${IPW_ENGINE_MODEL:-$IPW_SOURCE_DIR/third_party/models/ipw-tiny.gguf}"
[ -x "$IPW" ] || fail "$IPW not built"
[ -x "$server" ] || fail "llama-server not built ($server): run scripts/build-llama.sh"
[ -s "$model" ] || fail "default model missing ($model): run scripts/make-model.sh"
export IPW_LLAMA_SERVER="$server"
common=(--engine llama.cpp --model "$model" --engine-arg -t --engine-arg 1 --dataset builtin
        --idle-seconds 0 --telemetry estimated --max-tokens 24 --seed 1)
only_dir() { local d; d=$(ls -d "$1"/*/); [ "$(echo "$d" | wc -l)" = 1 ] || fail "expected one run in $1"; echo "${d%/}"; }

# 1. A clean profile of 25 queries. Its contract (tokens, ordering, TTFT >= the server's
# prompt_ms on every query, energies, manifest) must hold on every try; the clock-agreement
# medians measure the scheduler too (an ASan stress run read 25.8 ms for a 25 ms bound), so
# a run that only misses those is made again, up to 3 times (docs/testing.md).
for try in 1 2 3; do
  "$IPW" profile "${common[@]}" --max-queries 25 --out "$WORK/runs-$try" >"$WORK/p1.out" 2>&1 \
    || { cat "$WORK/p1.out"; fail "ipw profile --engine llama.cpp failed"; }
  run=$(only_dir "$WORK/runs-$try")
  set +e
  python3 - "$run/run.db" 25 <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); want = int(sys.argv[2])
rows = db.execute("SELECT seq, error_kind, input_tokens, output_tokens, t_start_ns, t_first_token_ns, t_end_ns,"
                  " energy_j, prefill_energy_j, decode_energy_j, server_timings_json, server_cpu_s FROM queries").fetchall()
assert len(rows) == want, f"{len(rows)} queries stored, want {want}"
for seq, err, n_in, n_out, t0, t1, t2, e, ep, ed, timings, cpu in rows:
    assert not err, f"query {seq} failed: {err}"
    t = json.loads(timings)
    # Token counts come from the usage fields; llama.cpp's own timings count the same tokens.
    # prompt_n excludes prompt tokens served from the cache (cache_n).
    assert n_out == t["predicted_n"], f"query {seq}: output_tokens {n_out} != predicted_n {t['predicted_n']}"
    assert n_in == t["prompt_n"] + t.get("cache_n", 0), f"query {seq}: input_tokens {n_in} != {t}"
    assert n_out > 0 and n_in > 0, f"query {seq}: no tokens"
    ttft, lat = t1 - t0, t2 - t0
    assert 0 < ttft <= lat, f"query {seq}: ttft {ttft} ns, latency {lat} ns"
    assert abs((ep + ed) - e) <= 1e-6 * max(1.0, e), f"query {seq}: prefill {ep} + decode {ed} != {e}"
    assert cpu is not None and cpu >= 0, f"query {seq}: server CPU time {cpu}"

# ipw's clock against the server's own, per query and in aggregate. Tolerances:
#  - TTFT encloses the server's prefill (send -> prefill -> first token sampled -> SSE chunk read),
#    so ipw's TTFT >= prompt_ms on every query (0.5 ms slack for the server's ms rounding);
#  - the median of TTFT - prompt_ms (HTTP, chat template, tokenisation, queueing, first-token
#    sampling, one SSE chunk) is at most 25 ms. It is ~2-4 ms on an idle 2-core VM; the margin
#    absorbs other jobs sharing the CI machine (docs/BENCHMARKS.md holds the measured figure);
#  - decode rate: ipw's (output_tokens - 1) / (t_end - t_first_token) against the server's
#    (predicted_n - 1) / predicted_ms (llama.cpp's predicted_ms runs from the first token's
#    sampling to the last's: predicted_n - 1 decode steps), median ratio within [0.75, 1.25].
#    Measured 0.98-1.00: ipw's window opens at the first token's arrival and closes at the last
#    byte, so it is shifted by one SSE delivery, not lengthened.
import statistics
ttft_gap_ms, rate_ratio = [], []
for seq, err, n_in, n_out, t0, t1, t2, e, ep, ed, timings, cpu in rows:
    t = json.loads(timings)
    ttft_ms = (t1 - t0) / 1e6
    assert ttft_ms >= t["prompt_ms"] - 0.5, f"query {seq}: ipw TTFT {ttft_ms:.3f} ms < server prompt_ms {t['prompt_ms']}"
    ttft_gap_ms.append(ttft_ms - t["prompt_ms"])
    if n_out > 1 and t["predicted_ms"] > 0 and t2 > t1:
        rate_ratio.append(((n_out - 1) / ((t2 - t1) / 1e9)) / ((t["predicted_n"] - 1) / (t["predicted_ms"] / 1e3)))
gap = statistics.median(ttft_gap_ms)
assert len(rate_ratio) >= want // 2, f"only {len(rate_ratio)} queries with more than one token"
ratio = statistics.median(rate_ratio)
timing = []
if gap > 25.0:
    timing.append(f"median TTFT - prompt_ms = {gap:.2f} ms > 25 ms")
if not 0.75 <= ratio <= 1.25:
    timing.append(f"median ipw/server decode-rate ratio {ratio:.3f} outside [0.75, 1.25]")
print(f"clock agreement: median TTFT - prompt_ms {gap:.2f} ms, median decode-rate ratio {ratio:.3f}")
m = json.loads(db.execute("SELECT json FROM manifest").fetchone()[0])
assert m["server"]["engine"] == "llama.cpp", m["server"]
g = m["model"]["gguf"]
assert g["architecture"] == "llama" and g["file_type"] == "F32" and g["parameter_count"] > 100000, g
assert len(m["model"]["file_sha256"]) == 64
assert m["model"]["server_models"]["data"][0]["meta"]["n_params"] == g["parameter_count"]
# model_info (read by trend and route) holds what the GGUF file says of the model.
mi = m["model_info"]
assert mi["parameters"] == g["parameter_count"] and mi["parameters_source"] == "gguf", mi
assert mi["architecture"] == "llama" and mi["quantization"] == "F32" and mi["context_length"] == g["context_length"], mi
if timing:
    print("timing only (the contract held): " + "; ".join(timing), file=sys.stderr)
    sys.exit(3)
PY
  rc=$?
  set -e
  [ "$rc" = 0 ] && break
  [ "$rc" = 3 ] && [ "$try" -lt 3 ] && continue
  fail "run 1 checks failed (try $try, exit $rc)"
done
ls "$run"/engine-*.log >/dev/null 2>&1 || fail "the server log is not in the run directory"
# The export carries the server's timings beside ipw's own (null only where the server gave none).
"$IPW" export "$run" --format jsonl -o "$WORK/q1.jsonl" || fail "ipw export failed"
python3 - "$WORK/q1.jsonl" "$run/run.db" <<'PY' || fail "export server timing checks failed"
import json, sqlite3, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
db = {s: json.loads(t) for s, t in sqlite3.connect(sys.argv[2]).execute("SELECT seq, server_timings_json FROM queries")}
assert len(rows) == len(db)
for r in rows:
    t = db[r["seq"]]
    assert r["server_prompt_ms"] == t["prompt_ms"] and r["server_predicted_ms"] == t["predicted_ms"], (r, t)
    assert r["server_cache_tokens"] == t["cache_n"], (r, t)
    assert r["perplexity"] is None and r["reference_tokens"] is None  # no --perplexity in this run
PY
pid=$(python3 -c "import json,sqlite3,sys; print(json.loads(sqlite3.connect(sys.argv[1]).execute('SELECT json FROM manifest').fetchone()[0])['server']['engine_pid'])" "$run/run.db")
! kill -0 "$pid" 2>/dev/null || fail "llama-server (pid $pid) still runs after ipw profile returned"

# 2. Kill the server mid-run; ipw must stop clearly and --resume must finish the run.
# The tiny model answers 60 queries in a few seconds: on a loaded machine the run could end
# between reading the server's pid and the kill (each poll starts a Python), so the run has
# 150. A try whose run still ended first tested nothing; it is retried (at most 3 tries),
# and a server that vanished from a run that did not complete fails.
killed=""
for try in 1 2 3; do
  rm -rf "$WORK/runs2"
  "$IPW" profile "${common[@]}" --max-queries 150 --out "$WORK/runs2" >"$WORK/p2.out" 2>&1 &
  BG=$!
  run2=""; pid2=""
  for _ in $(seq 600); do  # up to 60 s for the engine to start and 5 queries to be stored
    if [ -z "$run2" ] && ls -d "$WORK/runs2"/*/ >/dev/null 2>&1; then run2=$(only_dir "$WORK/runs2"); fi
    if [ -n "$run2" ] && [ -f "$run2/run.db" ]; then
      n=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM queries').fetchone()[0])" "$run2/run.db" 2>/dev/null || echo 0)
      if [ "$n" -ge 5 ]; then
        pid2=$(python3 -c "import json,sqlite3,sys; print(json.loads(sqlite3.connect(sys.argv[1]).execute('SELECT json FROM manifest').fetchone()[0])['server']['engine_pid'])" "$run2/run.db")
        break
      fi
    fi
    sleep 0.1
  done
  [ -n "$pid2" ] || { cat "$WORK/p2.out"; fail "the second run never stored 5 queries"; }
  if kill -9 "$pid2" 2>/dev/null; then
    killed=1
    set +e; wait "$BG"; rc=$?; set -e; BG=""
    break
  fi
  set +e; wait "$BG"; rc=$?; set -e; BG=""
  n=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM queries').fetchone()[0])" "$run2/run.db")
  [ "$rc" = 0 ] && [ "$n" = 150 ] || { cat "$WORK/p2.out"; fail "llama-server (pid $pid2) was gone before the kill, and the run did not complete (exit $rc, $n queries)"; }
  echo "try $try: the run completed before the kill; again"
done
[ -n "$killed" ] || fail "in 3 tries the run always completed before its server could be killed"
[ "$rc" != 0 ] || { cat "$WORK/p2.out"; fail "ipw profile exited 0 although its server was killed"; }
grep -q "killed by signal 9" "$WORK/p2.out" || { cat "$WORK/p2.out"; fail "no clear message about the killed server"; }
grep -q -- "--resume" "$WORK/p2.out" || { cat "$WORK/p2.out"; fail "the message does not say how to resume"; }

"$IPW" profile --resume "$run2" >"$WORK/p3.out" 2>&1 || { cat "$WORK/p3.out"; fail "--resume failed"; }
python3 - "$run2/run.db" 150 <<'PY' || { cat "$WORK/p3.out"; fail "resumed run checks failed"; }
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); want = int(sys.argv[2])
total = db.execute("SELECT count(*) FROM queries").fetchone()[0]
answered = db.execute("SELECT count(DISTINCT seq) FROM queries WHERE error_kind IS NULL OR error_kind = ''").fetchone()[0]
assert total == want, f"{total} query rows after --resume, want {want} (one per query, none duplicated)"
assert answered == want, f"{answered} answered queries after --resume, want {want}"
sessions = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
assert sessions >= 2, f"expected a second session for --resume, found {sessions}"
PY

# 3. --perplexity on 20 queries.
"$IPW" profile "${common[@]}" --max-queries 20 --perplexity --out "$WORK/runs3" >"$WORK/p4.out" 2>&1 \
  || { cat "$WORK/p4.out"; fail "ipw profile --perplexity failed"; }
run3=$(only_dir "$WORK/runs3")
"$IPW" export "$run3" --format jsonl -o "$WORK/q3.jsonl" || fail "ipw export of the perplexity run failed"
"$IPW" analyze "$run3" --json >"$WORK/a3.json" || fail "ipw analyze --json failed"
"$IPW" analyze "$run3" >"$WORK/a3.txt" || fail "ipw analyze failed"
grep -q "PPW (1/W)" "$WORK/a3.txt" || { cat "$WORK/a3.txt"; fail "ipw analyze prints no PPW"; }
python3 - "$run3/run.db" "$WORK/q3.jsonl" "$WORK/a3.json" "$server" "$model" <<'PY' || { cat "$WORK/p4.out"; fail "perplexity checks failed"; }
import json, math, socket, sqlite3, subprocess, sys, time, urllib.request
db_path, export_path, analysis_path, server, model = sys.argv[1:6]
db = sqlite3.connect(db_path)
rows = db.execute("SELECT seq, kind, prompt, reference, reference_nll_nats, reference_tokens, error_kind"
                  " FROM queries ORDER BY seq").fetchall()
assert len(rows) == 20, len(rows)
for seq, kind, prompt, ref, nll, n, err in rows:
    assert not err, f"query {seq} failed: {err}"
    assert n is not None and n > 0 and nll is not None and nll > 0, f"query {seq}: not scored ({nll}, {n})"
m = json.loads(db.execute("SELECT json FROM manifest").fetchone()[0])
sess = m["perplexity"]["sessions"]["1"]
assert sess["scored"] == 20 and sess["failed"] == 0, m["perplexity"]

# Independent re-scoring on a fresh server: the reference's log-probabilities token by token from
# the full next-token distribution (n_probs = the whole vocabulary) of /completion, fed the chat
# prompt's tokens plus the reference's first i tokens. No grammar, no forced generation.
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
srv = subprocess.Popen([server, "-m", model, "--host", "127.0.0.1", "--port", str(port), "-t", "1"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def call(path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())
try:
    for _ in range(600):
        try:
            if call("/health").get("status") == "ok": break
        except Exception: pass
        time.sleep(0.1)
    n_vocab = call("/v1/models")["data"][0]["meta"]["n_vocab"]
    for seq, kind, prompt, ref, nll, n, err in rows[:3]:
        reply = "Answer: " + ref if kind in ("mc", "numeric", "exact") else ref
        rendered = call("/apply-template", {"messages": [{"role": "user", "content": prompt}]})["prompt"]
        ctx = call("/tokenize", {"content": rendered, "add_special": True, "parse_special": True})["tokens"]
        ids = call("/tokenize", {"content": reply, "add_special": False})["tokens"]
        assert len(ids) == n, f"query {seq}: {len(ids)} reference tokens, ipw scored {n}"
        total = 0.0
        for i, tok in enumerate(ids):
            r = call("/completion", {"prompt": ctx + ids[:i], "n_predict": 1, "n_probs": n_vocab, "temperature": 0})
            dist = {c["id"]: c["logprob"] for c in r["completion_probabilities"][0]["top_logprobs"]}
            total -= dist[tok]
        # Float32 softmax on both sides, different batch shapes: agree to 1e-3 nats per token.
        assert abs(total - nll) <= 1e-3 * n, f"query {seq}: ipw NLL {nll:.6f}, re-scored {total:.6f} over {n} tokens"
        print(f"query {seq}: {n} tokens, NLL {nll:.5f} (ipw) vs {total:.5f} (re-scored)")
finally:
    srv.terminate(); srv.wait(10)

# analyze: perplexity and PPW/PPJ from the exported per-query figures, by docs/analysis.md.
q = [json.loads(l) for l in open(export_path)]
ppl = [r["perplexity"] for r in q]
for r in q:
    assert abs(r["perplexity"] - math.exp(r["reference_nll_nats"] / r["reference_tokens"])) <= 1e-9 * r["perplexity"]
mean_ppl = sum(ppl) / len(ppl)
mean_p = sum(r["power_w"] for r in q) / len(q)
mean_e = sum(r["energy_j"] for r in q) / len(q)
p = json.load(open(analysis_path))["analysis"]["perplexity"]
assert p["scored"] == 20 and p["energy_queries"] == 20, p
def close(a, b): return abs(a - b) <= 1e-9 * abs(b)
assert close(p["mean_perplexity"], mean_ppl), (p, mean_ppl)
assert close(p["ppw"], 1 / (mean_ppl * mean_p)), (p, mean_ppl, mean_p)
assert close(p["ppj"], 1 / (mean_ppl * mean_e)), (p, mean_ppl, mean_e)
# A random-weight model over a ~1.5k vocabulary: perplexity near the vocabulary size, not 1.
assert 100 < mean_ppl < 20 * n_vocab, mean_ppl
print(f"perplexity: mean {mean_ppl:.1f}, PPW {p['ppw']:.4g} 1/W, PPJ {p['ppj']:.4g} 1/J")
PY
echo "engine_profile_test: 25-query engine profile consistent; killed server reported; --resume completed; perplexity verified"
