#!/usr/bin/env bash
# Profiling under load against the mock server (docs/load.md): a closed loop at
# concurrency 4 whose queries really overlap and whose energies add up to the
# replayed trace's exact integral over the union of their windows; the wall time
# against concurrency 1; the open loop's Poisson and gamma arrivals; bad load
# flags refused before anything is written; an interrupted load run resumed.
source "$(dirname "$0")/lib.sh"
E2E="$IPW_SOURCE_DIR/tests/e2e"
PY=python3

"$PY" - "$WORK/ds.jsonl" "$WORK/answers.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as ds, open(sys.argv[2], "w") as ans:
    for i in range(300):
        prompt = f"Question number {i}: what is {i} plus {i}?"
        ds.write(json.dumps({"id": f"q{i:03d}", "prompt": prompt, "answer": str(2 * i), "kind": "numeric",
                             "category": "maths", "source": "e2e"}) + "\n")
        ans.write(json.dumps({"prompt": prompt, "answer": f"{2 * i} " + "and a few more words " * 3}) + "\n")
PYEOF
"$PY" "$E2E/replay_trace.py" write "$WORK/trace.csv" 600
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 30 --tokens-per-s 100
FAST_URL="$MOCK_URL"
profile() {  # profile OUT [flags...]
  local out="$1"
  shift
  "$IPW" profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry "replay:$WORK/trace.csv" \
    --idle-seconds 0 --warmup 0 --out "$WORK/$out" "$@" >"$WORK/$out.log" 2>&1 || { cat "$WORK/$out.log"; fail "profile $*"; }
  "$IPW" export "$(run_dir_in "$WORK/$out")" --format jsonl -o "$WORK/$out.jsonl"
}

# Closed loop.
profile c4 --max-queries 40 --concurrency 4
profile c1 --max-queries 40 --concurrency 1
"$IPW" analyze "$(run_dir_in "$WORK/c4")" --json | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
st = d["stages"][0]
assert st["queries"]["queries"] == d["summary"]["queries"] == 40, (st["queries"]["queries"], d["summary"]["queries"])
assert st["setting"] == {"concurrency": 4} and d["conservation_error_j"] < 1e-6, st' || fail "analyze --json stages"
"$IPW" export "$(run_dir_in "$WORK/c4")" --telemetry -o "$WORK/c4.samples.csv"
"$PY" "$E2E/replay_trace.py" union "$WORK/trace.csv" "$WORK/c4.jsonl" 0.005 "$WORK/c4.samples.csv" ||
  fail "energy not conserved at concurrency 4"
"$IPW" export "$(run_dir_in "$WORK/c1")" --telemetry -o "$WORK/c1.samples.csv"
"$PY" "$E2E/replay_trace.py" check "$WORK/trace.csv" "$WORK/c1.jsonl" 0.005 "$WORK/c1.samples.csv" ||
  fail "concurrency 1 energies"
"$PY" - "$WORK/c4.jsonl" "$WORK/c1.jsonl" "$(run_dir_in "$WORK/c4")" <<'PYEOF' || fail "closed loop"
import json, sqlite3, sys
c4 = [json.loads(l) for l in open(sys.argv[1])]
c1 = [json.loads(l) for l in open(sys.argv[2])]
assert len(c4) == 40 and all(not r["error_kind"] for r in c4), len(c4)
w = sorted((r["t_start_s"], r["t_end_s"]) for r in c4)
overlapping = sum(1 for (a, b), (c, d) in zip(w, w[1:]) if c < b)
assert overlapping >= 30, f"only {overlapping} of 39 neighbouring windows overlap at concurrency 4"
wall = lambda rows: max(r["t_end_s"] for r in rows) - min(r["t_start_s"] for r in rows)
ratio = wall(c4) / wall(c1)
assert ratio <= 0.35, f"concurrency 4 took {ratio:.2f} of concurrency 1's wall time"
assert all(r["stage"] == 0 and r["queue_s"] is None for r in c4)
# The stage's own check, stored: shares + unattributed = measured.
totals = json.loads(sqlite3.connect(sys.argv[3] + "/run.db").execute("SELECT totals_json FROM sessions").fetchone()[0])
st = totals["stages"][0]
assert st["setting"] == {"concurrency": 4}, st
assert st["conservation_error_j"] < 1e-6, st
# Mean in flight: the stored figure is the windows' own (their summed length over the stage's
# span), never above 4; that the loop refilled each slot at once (above 3.5) is asked only where
# the machine let it: a refill (a query's end to the next start) within 10 ms at the 90th
# percentile (an ASan stress run at a load average of 36 read 3.39 with slow refills).
span_s = (st["t_end_ns"] - st["t_start_ns"]) * 1e-9
from_windows = sum(r["t_end_s"] - r["t_start_s"] for r in c4) / span_s
assert abs(st["mean_in_flight"] - from_windows) <= 0.02 * from_windows and st["mean_in_flight"] <= 4.0, (st, from_windows)
starts = [r["t_start_s"] for r in c4]
refills = sorted(min(s - r["t_end_s"] for s in starts if s >= r["t_end_s"])
                 for r in c4 if any(s >= r["t_end_s"] for s in starts))  # the last ends have none
p90_refill_s = refills[int(0.9 * (len(refills) - 1))] if refills else 0
assert st["mean_in_flight"] > 3.5 or p90_refill_s > 0.010, (st["mean_in_flight"], p90_refill_s)
measured = st["measured_energy_j"]["replay"]
shares = sum(r["energy_j"] for r in c4)
assert abs(shares + st["unattributed_energy_j"]["replay"] - measured) < 1e-6 * measured, (shares, st)
print(f"concurrency 4: {overlapping}/39 overlaps, {ratio:.2f} of the wall time, mean in flight {st['mean_in_flight']:.2f}")
PYEOF

# The mock's batching model: with --batch-slowdown 1 each token takes (1 + 3) times as
# long at 4 in flight, so TPOT grows about 4x from concurrency 1 while throughput holds.
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 10 --tokens-per-s 100 --batch-slowdown 1
profile b1 --max-queries 12 --concurrency 1
profile b4 --max-queries 12 --concurrency 4
"$PY" - "$WORK/b1.jsonl" "$WORK/b4.jsonl" <<'PYEOF' || fail "--batch-slowdown"
import json, statistics, sys
tpot = lambda p: statistics.median(json.loads(l)["tpot_s"] for l in open(p))
t1, t4 = tpot(sys.argv[1]), tpot(sys.argv[2])
assert 2.5 < t4 / t1 < 5, f"TPOT {t1 * 1e3:.1f} ms at 1 in flight, {t4 * 1e3:.1f} ms at 4"
print(f"--batch-slowdown 1: TPOT {t1 * 1e3:.1f} ms at 1 in flight, {t4 * 1e3:.1f} ms at 4")
PYEOF
MOCK_URL="$FAST_URL"

# Open loop: the arrivals' mean gap and burstiness (the default seed, 0; 300 gamma:2
# gaps' sample CV is 1.8-2.3 across seeds, docs/load.md).
profile poisson --rate 20 --arrival poisson
profile gamma --rate 20 --arrival gamma:2 --max-concurrency 64
"$PY" - "$WORK/poisson.jsonl" "$WORK/gamma.jsonl" <<'PYEOF' || fail "open loop arrivals"
import json, statistics, sys
# Each arrival's scheduled instant is its send minus how long it waited (queue_s, stored
# for every open-loop query): the schedule is checked exactly; the sends follow it unless
# the machine made the loop late, which queue_s measures.
def gaps(rows, instant):
    t = sorted(instant(r) for r in rows)
    g = [b - a for a, b in zip(t, t[1:])]
    m = statistics.mean(g)
    return m, statistics.stdev(g) / m
def load(path):
    rows = [json.loads(l) for l in open(path)]
    assert len(rows) == 300, len(rows)
    assert all(r["queue_s"] is not None and r["queue_s"] >= 0 for r in rows)
    return rows
scheduled = lambda r: r["t_start_s"] - r["queue_s"]
rows = load(sys.argv[1])
mean, cv = gaps(rows, scheduled)
assert abs(mean - 0.05) <= 0.005, f"poisson mean gap {mean * 1e3:.1f} ms, expected 50 ms ± 10 %"
assert 0.85 <= cv <= 1.15, f"poisson CV {cv:.2f}"
smean, scv = gaps(rows, lambda r: r["t_start_s"])
late_p90 = sorted(r["queue_s"] for r in rows)[int(0.9 * len(rows))]
if not 0.85 <= scv <= 1.15:  # no --max-concurrency: queue_s is the loop's lateness alone
    assert late_p90 > 0.005, f"sends' CV {scv:.2f} while the loop was on time (p90 lateness {late_p90 * 1e3:.2f} ms)"
    print(f"sends' CV {scv:.2f}: the loaded machine made the loop late (p90 {late_p90 * 1e3:.1f} ms)")
gmean, gcv = gaps(load(sys.argv[2]), scheduled)
assert 1.7 <= gcv <= 2.3, f"gamma:2 CV {gcv:.2f}"
print(f"poisson: mean gap {mean * 1e3:.1f} ms, CV {cv:.2f} (sends {scv:.2f}, p90 lateness {late_p90 * 1e3:.2f} ms); "
      f"gamma:2: mean gap {gmean * 1e3:.1f} ms, CV {gcv:.2f}")
PYEOF

# Bad load flags: a clear message, exit 2, nothing written.
printf 't_s\n0\nsoon\n' >"$WORK/bad-number.csv"
printf 't_s\n1\n0.5\n' >"$WORK/decreasing.csv"
profile_refused "--rate" --rate 0
profile_refused "--concurrency" --concurrency 0
profile_refused "bad-number.csv:3: t_s 'soon'" --arrival-trace "$WORK/bad-number.csv"
profile_refused "decreasing.csv:3: t_s 0.5 is before" --arrival-trace "$WORK/decreasing.csv"
profile_refused "--arrival 'burst'" --rate 2 --arrival burst
profile_refused "--max-concurrency caps an open loop" --max-concurrency 4
profile_refused "two arrival schedules" --rate 2 --arrival-trace "$WORK/decreasing.csv"

# Interrupted under load, then resumed: every query once, none repeated. Each query
# takes seconds (5 tokens/s), so the run is still going when the signal arrives even
# when polling for its first rows is slow on a loaded machine (at 20 tokens/s an ASan
# stress run finished all 40 before the signal came).
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 100 --tokens-per-s 5
"$IPW" profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry "replay:$WORK/trace.csv" \
  --idle-seconds 0 --warmup 0 --max-queries 40 --concurrency 8 --out "$WORK/int" >"$WORK/int.log" 2>&1 &
PROFILE=$!
PIDS+=("$PROFILE")
wait_for_rows "$WORK/int" "SELECT count(*) FROM queries" 8
kill -INT "$PROFILE"
set +e
wait "$PROFILE"
rc=$?
set -e
[ "$rc" = 130 ] || { cat "$WORK/int.log"; fail "interrupted load run exited $rc, expected 130"; }
run=$(run_dir_in "$WORK/int")
"$IPW" profile --resume "$run" --server "$MOCK_URL" >"$WORK/resume.log" 2>&1 || { cat "$WORK/resume.log"; fail "resume"; }
"$IPW" export "$run" --format jsonl -o "$WORK/int.jsonl"
"$PY" - "$WORK/int.jsonl" "$run" <<'PYEOF' || fail "resume under load"
import json, sqlite3, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = [(r["seq"], r["repeat"]) for r in rows]
assert len(keys) == len(set(keys)) == 40, (len(keys), len(set(keys)))
sessions = sqlite3.connect(sys.argv[2] + "/run.db").execute("SELECT status, totals_json FROM sessions").fetchall()
assert [s[0] for s in sessions] == ["interrupted", "completed"], sessions
for status, totals in sessions:
    st = json.loads(totals)["stages"][0]
    assert st["setting"] == {"concurrency": 8} and st["conservation_error_j"] < 1e-6, st
print(f"interrupted after {sum(1 for r in rows if r['session'] == 1)} stored, resumed to 40; no repeats")
PYEOF
echo "ok: load profiling (closed and open loop), conservation, bad flags, resume"
