#!/usr/bin/env bash
# Crash torture (docs/reliability.md): `ipw profile` killed with SIGKILL at random
# instants, again and again, sequentially and at concurrency 4, each time continued
# with `--resume`. Afterwards every query is stored exactly once (none lost, none
# repeated), every export works, and every stored energy is still the replayed
# trace's exact integral over the query's window, as in an uninterrupted run.
#   IPW_TORTURE_KILLS (default 25 per shape, 50 in all)
source "$(dirname "$0")/lib.sh"
E2E="$IPW_SOURCE_DIR/tests/e2e"
PY=/usr/bin/python3
kills_per_shape="${IPW_TORTURE_KILLS:-25}"

"$PY" - "$WORK/ds.jsonl" "$WORK/answers.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as ds, open(sys.argv[2], "w") as ans:
    for i in range(40):
        prompt = f"Torture question {i}: what is {i} times two?"
        ds.write(json.dumps({"id": f"t{i:02d}", "prompt": prompt, "answer": str(2 * i), "kind": "numeric"}) + "\n")
        ans.write(json.dumps({"prompt": prompt, "answer": f"{2 * i} " + "is what it comes to " * 2}) + "\n")
PYEOF
"$PY" "$E2E/replay_trace.py" write "$WORK/trace.csv" 600
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 10 --tokens-per-s 80

# torture NAME REPEAT [profile flags...]: kill -9 at random instants, then --resume to the end.
torture() {
  local name="$1" repeat="$2"
  shift 2
  local out="$WORK/$name" kills=0 dir="" rc stored=0 stalled=0
  RANDOM=$((${#name} * 7919))  # a fixed seed per shape: the same kill schedule every time
  while :; do
    if [ -z "$dir" ]; then
      "$IPW" profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry "replay:$WORK/trace.csv" \
        --idle-seconds 0 --warmup 0 --repeat "$repeat" --out "$out" "$@" >>"$WORK/$name.log" 2>&1 &
    else
      "$IPW" profile --resume "$dir" >>"$WORK/$name.log" 2>&1 &
    fi
    local pid=$!
    if [ "$kills" -lt "$kills_per_shape" ]; then
      # 20 to 600 ms: through start-up, the store's creation, queries and commits; later by
      # 200 ms for each kill in a row that found no new query stored (a loaded machine's
      # slow start-up, where every kill would land before the first query: a stress run).
      local ms=$((20 + RANDOM % 580 + stalled * 200))
      sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
      if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        kills=$((kills + 1))
      else
        wait "$pid" && rc=0 || rc=$?
        [ "$rc" = 0 ] || { tail -20 "$WORK/$name.log"; fail "$name: a run between kills exited $rc"; }
      fi
    else
      wait "$pid" && rc=0 || rc=$?
      [ "$rc" = 0 ] || { tail -20 "$WORK/$name.log"; fail "$name: the final --resume exited $rc"; }
    fi
    # A kill before the run directory existed leaves nothing to resume: start afresh.
    if [ -z "$dir" ] && [ -d "$out" ]; then
      local found
      found=$(find "$out" -mindepth 2 -maxdepth 2 -name run.db -printf '%h\n' | head -1)
      if [ -n "$found" ] && "$PY" -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("SELECT json FROM manifest").fetchone()[0]' "$found/run.db" 2>/dev/null; then
        dir="$found"
      else
        rm -rf "$out"  # killed while the run directory was being made: no run yet
      fi
    fi
    if [ -n "$dir" ]; then
      local now
      now=$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM queries").fetchone()[0])' "$dir/run.db" 2>/dev/null || echo "$stored")
      if [ "$now" -gt "$stored" ]; then stalled=0; else stalled=$((stalled + 1)); fi
      stored=$now
    else
      stalled=$((stalled + 1))
    fi
    if [ -n "$dir" ] && "$IPW" analyze "$dir" --json 2>/dev/null | "$PY" -c 'import json,sys; s=json.load(sys.stdin)["summary"]; sys.exit(0 if s["queries"] == 40 * int(sys.argv[1]) else 1)' "$repeat"; then
      break
    fi
  done
  [ "$kills" = "$kills_per_shape" ] || fail "$name: the run completed after $kills kills, before $kills_per_shape"
  echo "$name: $kills kills, then complete"
  "$IPW" export "$dir" --format jsonl -o "$WORK/$name.jsonl" || fail "$name: export jsonl"
  "$IPW" export "$dir" --format csv -o "$WORK/$name.csv" || fail "$name: export csv"
  "$IPW" export "$dir" --telemetry -o "$WORK/$name.samples.csv" || fail "$name: export telemetry"
  "$IPW" report "$dir" -o "$WORK/$name.html" >/dev/null || fail "$name: report"
  "$PY" - "$WORK/$name.jsonl" "$kills" "$repeat" <<'PYEOF' || fail "$name: stored queries"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = [(r["stage"], r["seq"], r["repeat"]) for r in rows]
assert len(keys) == len(set(keys)), "a query was stored twice"
assert sorted(keys) == [(0, s, r) for s in range(40) for r in range(int(sys.argv[3]))], "queries missing"
sessions = {r["session"] for r in rows}
assert len(sessions) > 1, f"all queries in one session after {sys.argv[2]} kills"
print(f"{len(rows)} queries, each once, over {len(sessions)} sessions")
PYEOF
  # Energies against the trace (each session's origin is the trace's t=0), as in an
  # uninterrupted run: one at a time, each is the exact integral over its window; in
  # flight together, each is a share, at most that integral, and a session's shares add
  # up to at most the integral over the union of its windows (queries killed in flight
  # took the rest). The kills lost no telemetry that a stored query used.
  if [ "$name" = sequential ]; then
    # With the stored samples: a query whose window a starved sampler (kill -9s and restarts
    # on 2 loaded cores) left a long interval in passes on that measured evidence only, and
    # every energy must still be ipw's own integral through the samples it stored.
    "$PY" "$E2E/replay_trace.py" check "$WORK/trace.csv" "$WORK/$name.jsonl" 0.005 "$WORK/$name.samples.csv" ||
      fail "$name: energies"
  else
    # The same, with the stored samples (a starved sampler may leave a share above the
    # trace's integral; never above ipw's own samples').
    "$PY" "$E2E/replay_trace.py" shares "$WORK/trace.csv" "$WORK/$name.jsonl" 0.005 "$WORK/$name.samples.csv" ||
      fail "$name: energy shares"
  fi
}

torture sequential 2
torture concurrent 6 --concurrency 4
echo "ok: $((2 * kills_per_shape)) kills survived: nothing lost, nothing repeated, energies exact"
