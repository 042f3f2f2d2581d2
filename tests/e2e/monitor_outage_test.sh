#!/usr/bin/env bash
# Losing the monitor mid-run: `ipw profile --telemetry remote:` neither aborts
# nor reads the outage as 0 W. The monitor is killed and restarted on the same
# port; the run completes, every query whose window touches the outage carries
# the `gap` or `partial` flag, and queries after it are measured again (reconnected).
source "$(dirname "$0")/monitor_lib.sh"
E2E="$IPW_SOURCE_DIR/tests/e2e"

printf 't_s,power_w\n0,100\n36000,100\n' >"$WORK/const.csv"
"$PY" - "$WORK/ds.jsonl" "$WORK/answers.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as ds, open(sys.argv[2], "w") as ans:
    for i in range(30):
        prompt = f"Question number {i}: what is {i} plus {i}?"
        ds.write(json.dumps({"id": f"q{i:02d}", "prompt": prompt, "answer": str(2 * i), "kind": "numeric",
                             "category": "maths", "source": "e2e"}) + "\n")
        ans.write(json.dumps({"prompt": prompt, "answer": f"{2 * i} " + "and some more words " * 5}) + "\n")
PYEOF
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 50 --tokens-per-s 60
PORT="$(free_port)"
start_monitor m1 --port "$PORT" --telemetry "replay:$WORK/const.csv"

"$IPW" -v profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry "remote:127.0.0.1:$PORT" \
  --idle-seconds 0 --warmup 0 --out "$WORK/runs" >"$WORK/profile.out" 2>"$WORK/profile.err" &
PROFILE=$!
PIDS+=("$PROFILE")
# The outage must come after the profile is measuring through the monitor: wait
# until a query is stored (on a loaded machine starting up can take seconds; a
# fixed sleep once killed the monitor before ipw had connected).
for _ in $(seq 600); do
  kill -0 "$PROFILE" 2>/dev/null || fail "ipw profile exited before the outage"
  db="$(find "$WORK/runs" -name run.db 2>/dev/null | head -1 || true)"
  if [ -n "$db" ] && [ "$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM queries").fetchone()[0])' "$db" 2>/dev/null || echo 0)" -ge 3 ]; then
    break
  fi
  sleep 0.1
done
# Hold the run while the monitor is down: with the mock server stopped, the query
# in flight cannot finish, so the run is still measuring when the monitor is back,
# however long the restarted monitor takes to start on a loaded machine (once the
# whole run ended before it listened, and nothing was left to reconnect).
kill -STOP "$MOCK_PID"
kill "$MON_PID"
wait "$MON_PID" 2>/dev/null || true
sleep 1.5
"$IPW" monitor --port "$PORT" --metrics-port 0 --telemetry "replay:$WORK/const.csv" >"$WORK/m2.out" 2>"$WORK/m2.err" &
PIDS+=("$!")
for _ in $(seq 1200); do
  grep -q 'stream restored' "$WORK/profile.err" && break
  kill -0 "$PROFILE" 2>/dev/null || fail "ipw profile exited during the outage"
  sleep 0.1
done
kill -CONT "$MOCK_PID"
wait "$PROFILE" || fail "ipw profile did not survive the monitor's restart"

"$IPW" export "$(run_dir_in "$WORK/runs")" --format jsonl -o "$WORK/q.jsonl" || fail "export"
"$IPW" export "$(run_dir_in "$WORK/runs")" --telemetry -o "$WORK/samples.csv" || fail "export --telemetry"
grep -q 'stream lost' "$WORK/profile.err" || fail "the outage was not logged"
grep -q 'stream restored' "$WORK/profile.err" || fail "the stream was not restored"
"$PY" - "$WORK/q.jsonl" "$WORK/samples.csv" <<'PYEOF' || fail "outage flags"
import csv, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 30, len(rows)
# The outage is the longest hole between stored samples. Which flag a query that
# touches it gets depends on where its edges fall: one inside the hole, attributed
# before the stream came back, is "partial" (edges held from the last sample); one
# attributed after, or spanning the hole's end, sees the hole ("gap"). Either way
# every query touching the hole must carry one of them.
ts = sorted(float(r["t_s"]) for r in csv.DictReader(open(sys.argv[2])))
hole = max(zip(ts, ts[1:]), key=lambda p: p[1] - p[0])
assert hole[1] - hole[0] > 1.0, f"no outage-sized hole in the samples: longest {hole}"
def flags(r):
    return set(r["energy_flags"].split(","))
touching = [r for r in rows if r["t_start_s"] < hole[1] and r["t_end_s"] > hole[0]]
assert touching, f"no query's window touches the outage {hole}"
for r in touching:
    assert {"gap", "partial"} & flags(r), ("unflagged across the outage", hole, r["id"], r["energy_flags"])
hit = [r["id"] for r in rows if {"gap", "partial"} & flags(r)]
assert "partial" not in flags(rows[-1]), rows[-1]  # bracketed again: reconnected
for r in rows:
    # Never a silent zero: every query is measured, at the replayed 100 W --
    # across the outage too (interpolated, and flagged).
    assert r["energy_j"] is not None and r["energy_j"] > 0, r
    assert abs(r["power_w"] - 100) < 1, (r["id"], r["power_w"], r["energy_flags"])
print(f"outage {hole[0]:.2f}-{hole[1]:.2f} s; {len(hit)} of {len(rows)} queries flagged gap/partial: {hit}")
PYEOF
echo "ok: the run survived the monitor's restart; affected queries are flagged"
