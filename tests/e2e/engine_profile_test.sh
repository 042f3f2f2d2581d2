#!/usr/bin/env bash
# `ipw profile --engine llama.cpp` end to end on the real llama-server and the generated model:
#  1. a slice of the built-in workload: every query answered, token counts equal to the server's own
#     (timings.prompt_n / predicted_n), 0 < TTFT <= latency, prefill + decode energy = total, the
#     server's CPU time recorded per query, model facts in the manifest, no server left running;
#  2. the server killed mid-run: ipw stops with a clear message, the run store stays consistent, and
#     --resume finishes the run with a fresh server without duplicating a query.
# FAILS (never skips) when llama-server, the model or the ipw binary is missing.
set -euo pipefail
: "${IPW_BIN:?IPW_BIN must be set}" "${IPW_SOURCE_DIR:?IPW_SOURCE_DIR must be set}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipw-e2e-engine.XXXXXX")
BG=""
cleanup() { [ -z "$BG" ] || kill "$BG" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
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

# 1. A clean profile of 25 queries.
"$IPW" profile "${common[@]}" --max-queries 25 --out "$WORK/runs" >"$WORK/p1.out" 2>&1 \
  || { cat "$WORK/p1.out"; fail "ipw profile --engine llama.cpp failed"; }
run=$(only_dir "$WORK/runs")
python3 - "$run/run.db" 25 <<'PY' || fail "run 1 checks failed"
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
m = json.loads(db.execute("SELECT json FROM manifest").fetchone()[0])
assert m["server"]["engine"] == "llama.cpp", m["server"]
g = m["model"]["gguf"]
assert g["architecture"] == "llama" and g["file_type"] == "F32" and g["parameter_count"] > 100000, g
assert len(m["model"]["file_sha256"]) == 64
assert m["model"]["server_models"]["data"][0]["meta"]["n_params"] == g["parameter_count"]
PY
ls "$run"/engine-*.log >/dev/null 2>&1 || fail "the server log is not in the run directory"
pid=$(python3 -c "import json,sqlite3,sys; print(json.loads(sqlite3.connect(sys.argv[1]).execute('SELECT json FROM manifest').fetchone()[0])['server']['engine_pid'])" "$run/run.db")
! kill -0 "$pid" 2>/dev/null || fail "llama-server (pid $pid) still runs after ipw profile returned"

# 2. Kill the server mid-run; ipw must stop clearly and --resume must finish the run.
"$IPW" profile "${common[@]}" --max-queries 60 --out "$WORK/runs2" >"$WORK/p2.out" 2>&1 &
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
kill -9 "$pid2"
set +e; wait "$BG"; rc=$?; set -e; BG=""
[ "$rc" != 0 ] || { cat "$WORK/p2.out"; fail "ipw profile exited 0 although its server was killed"; }
grep -q "killed by signal 9" "$WORK/p2.out" || { cat "$WORK/p2.out"; fail "no clear message about the killed server"; }
grep -q -- "--resume" "$WORK/p2.out" || { cat "$WORK/p2.out"; fail "the message does not say how to resume"; }

"$IPW" profile --resume "$run2" >"$WORK/p3.out" 2>&1 || { cat "$WORK/p3.out"; fail "--resume failed"; }
python3 - "$run2/run.db" 60 <<'PY' || { cat "$WORK/p3.out"; fail "resumed run checks failed"; }
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); want = int(sys.argv[2])
total = db.execute("SELECT count(*) FROM queries").fetchone()[0]
answered = db.execute("SELECT count(DISTINCT seq) FROM queries WHERE error_kind IS NULL OR error_kind = ''").fetchone()[0]
assert total == want, f"{total} query rows after --resume, want {want} (one per query, none duplicated)"
assert answered == want, f"{answered} answered queries after --resume, want {want}"
sessions = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
assert sessions >= 2, f"expected a second session for --resume, found {sessions}"
PY
echo "engine_profile_test: 25-query engine profile consistent; killed server reported; --resume completed"
