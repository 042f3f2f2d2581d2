#!/usr/bin/env bash
# Load sweeps against the mock server (docs/load.md): stages in one run, each query
# keyed by its stage; --stop-on-saturation against the mock's batching model;
# steady-state windows (--warmup-s/--cooldown-s) whose energy is the replayed trace's
# exact integral; --slo goodput; bad sweep flags; a sweep interrupted and resumed.
source "$(dirname "$0")/lib.sh"
E2E="$IPW_SOURCE_DIR/tests/e2e"
PY=python3

"$PY" - "$WORK/ds.jsonl" "$WORK/answers.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as ds, open(sys.argv[2], "w") as ans:
    for i in range(40):
        prompt = f"Question number {i}: what is {i} plus {i}?"
        ds.write(json.dumps({"id": f"q{i:03d}", "prompt": prompt, "answer": str(2 * i), "kind": "numeric"}) + "\n")
        ans.write(json.dumps({"prompt": prompt, "answer": f"{2 * i} " + "and a few more words " * 3}) + "\n")
PYEOF
"$PY" "$E2E/replay_trace.py" write "$WORK/trace.csv" 600
profile() {  # profile OUT [flags...]
  local out="$1"
  shift
  "$IPW" profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry "replay:$WORK/trace.csv" \
    --idle-seconds 0 --warmup 0 --out "$WORK/$out" "$@" >"$WORK/$out.log" 2>&1 || { cat "$WORK/$out.log"; fail "profile $*"; }
  "$IPW" export "$(run_dir_in "$WORK/$out")" --format jsonl -o "$WORK/$out.jsonl"
  "$IPW" analyze "$(run_dir_in "$WORK/$out")" --json >"$WORK/$out.json" "${ANALYZE_FLAGS[@]}"
}
ANALYZE_FLAGS=()

# A sweep of two closed loops; the mock serves streams independently, so 4 in flight
# make about 4 times the tokens per second (no saturation).
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 20 --tokens-per-s 100
profile sweep --max-queries 12 --sweep concurrency=1,4 --slo e2e=1000
"$PY" - "$WORK/sweep.jsonl" "$WORK/sweep.json" <<'PYEOF' || fail "sweep"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
d = json.load(open(sys.argv[2]))
keys = [(r["stage"], r["seq"], r["repeat"]) for r in rows]
assert len(keys) == len(set(keys)) == 24, len(keys)
assert sorted({r["stage"] for r in rows}) == [0, 1]
assert [s["setting"] for s in d["stages"]] == [{"concurrency": 1}, {"concurrency": 4}], d["stages"]
s0, s1 = d["stages"]
assert s0["queries"]["queries"] == s1["queries"]["queries"] == 12
assert d["conservation_error_j"] < 1e-6, d["conservation_error_j"]
gain = s1["output_tokens_per_s"] / s0["output_tokens_per_s"]
assert gain > 2, f"4 in flight made only {gain:.2f}x the tokens/s of 1"
assert d["saturation"] is None, d["saturation"]
# A generous SLO: every answered query is within it, and goodput is the correct ones per joule.
for s in d["stages"]:
    assert s["slo_attainment"] == 1.0, s
    correct = round(s["queries"]["accuracy"] * s["queries"]["scored"])
    assert s["goodput_queries"] == correct and abs(s["goodput_ipj"] - correct / s["energy_j"]) < 1e-9, s
print(f"sweep: 24 queries in 2 stages, tokens/s x{gain:.2f} at 4 in flight")
PYEOF
# An impossible SLO, given to analyze: nothing is within it.
"$IPW" analyze "$(run_dir_in "$WORK/sweep")" --json --slo ttft=0.000001 | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
assert d["slo"] == {"ttft_s": 1e-06}, d["slo"]
assert all(s["slo_attainment"] == 0 and s["goodput_queries"] == 0 and s["goodput_ipj"] == 0 for s in d["stages"])' ||
  fail "analyze --slo"
"$IPW" analyze "$(run_dir_in "$WORK/sweep")" | grep -q "within SLO" || fail "analyze prints no SLO lines"

# Saturation: with --batch-slowdown 3 each token takes 1 + 3(n − 1) times as long at n in
# flight, so from 2 to 4 in flight throughput falls by a fifth while latency grows 2.5 times:
# the sweep ends at stage 1. (At --batch-slowdown 1 throughput merely held, and on a loaded
# machine the noise in it once crossed the 5 % line.)
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 2 --tokens-per-s 100 --batch-slowdown 3
# Whether the stage's numbers cross the line depends on the machine too (under ASan beside the
# stress, stage 1 once did not), so: the rule is kept on every try — a sweep that saturated ran
# no stage after it, one that did not ran all three — and it saturates at stage 1 on one of three.
for try in 1 2 3; do
  rm -rf "$WORK/sat"
  profile sat --max-queries 8 --sweep concurrency=2,4,8 --stop-on-saturation
  set +e
  "$PY" - "$WORK/sat.jsonl" "$WORK/sat.json" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
d = json.load(open(sys.argv[2]))
ran = sorted({r["stage"] for r in rows})
sat = d["saturation"]
if sat is None:
    assert ran == [0, 1, 2], f"the sweep stopped without saturating: stages {ran}"
    sys.exit(3)
assert ran == list(range(sat["stage"] + 1)), f"stages {ran} ran, saturation at {sat['stage']}"
assert sat["throughput_gain"] < 0.05 and sat["p50_latency_growth"] > 0.5, sat
if sat["stage"] != 1:
    sys.exit(3)
assert sat["previous_stage"] == 0, sat
print(f"saturation at stage 1: throughput {sat['throughput_gain']:+.1%}, p50 latency {sat['p50_latency_growth']:+.1%}")
PYEOF
  rc=$?
  set -e
  [ "$rc" -eq 0 ] && break
  [ "$rc" -eq 3 ] || fail "--stop-on-saturation"
  [ "$try" -lt 3 ] || fail "--stop-on-saturation: no try saturated at stage 1"
done
grep -q "saturated the server" "$WORK/sat.log" || { cat "$WORK/sat.log"; fail "no saturation note"; }
# Resuming a sweep that ended at saturation runs nothing more.
"$IPW" profile --resume "$(run_dir_in "$WORK/sat")" --server "$MOCK_URL" >"$WORK/sat-resume.log" 2>&1 ||
  { cat "$WORK/sat-resume.log"; fail "resume of a saturated sweep"; }
"$PY" -c 'import sqlite3, sys; n = sqlite3.connect(sys.argv[1] + "/run.db").execute("SELECT count(*) FROM queries").fetchone()[0]; assert n == 16, n' \
  "$(run_dir_in "$WORK/sat")" || fail "resume ran stages past the saturation"

# Steady state: the first and last 0.3 s of the stage are left out. Its energy is the
# trace's exact integral over the window; queries touching the edges stay stored but out.
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 20 --tokens-per-s 100
profile steady --max-queries 40 --concurrency 4 --warmup-s 0.3 --cooldown-s 0.3
"$IPW" export "$(run_dir_in "$WORK/steady")" --telemetry -o "$WORK/steady.samples.csv" || fail "export telemetry"
"$PY" - "$WORK/steady.jsonl" "$WORK/steady.json" "$(run_dir_in "$WORK/steady")" "$WORK/trace.csv" "$E2E" \
  "$WORK/steady.samples.csv" <<'PYEOF' || fail "steady state"
import json, sqlite3, sys
sys.path.insert(0, sys.argv[5])
import replay_trace
rows = [json.loads(l) for l in open(sys.argv[1])]
d = json.load(open(sys.argv[2]))
part = json.loads(sqlite3.connect(sys.argv[3] + "/run.db").execute("SELECT totals_json FROM sessions").fetchone()[0])["stages"][0]
w = part["steady"]
a, b = w["t_start_ns"] * 1e-9, w["t_end_ns"] * 1e-9
assert abs(a - part["t_start_ns"] * 1e-9 - 0.3) < 1e-6 and abs(part["t_end_ns"] * 1e-9 - b - 0.3) < 1e-6, (part, w)
ts, ps = replay_trace.load(sys.argv[4])
exact = replay_trace.integral(ts, ps, a, b)
got = w["measured_energy_j"]["replay"]
# ipw's own math, exactly: the integral through the samples it stored. Against the trace,
# 0.5 % plus what linear interpolation between those samples can miss of the trace's
# ramps: a stress run's starved sampler (load average 36) left an interval long enough
# at a ramp to read 1.7 % low (replay_trace.interpolation_bound).
(st, sp), = replay_trace.load_samples(sys.argv[6]).values()
through = replay_trace.integral(st, sp, a, b)
assert abs(got - through) <= 1e-6 * through, f"steady energy {got:.6f} J vs {through:.6f} J through ipw's samples"
bound = replay_trace.interpolation_bound(ts, ps, st, a, b)
assert abs(got - exact) <= 0.005 * exact + bound, (
    f"steady energy {got:.4f} J vs exact {exact:.4f} J (interpolation bound {bound:.4f} J, longest sampling "
    f"interval {replay_trace.longest_interval(st, a, b) * 1e3:.1f} ms)")
st = d["stages"][0]
inside = [r for r in rows if r["t_start_s"] >= a and r["t_end_s"] <= b]
assert len(rows) == 40 and 0 < len(inside) < 40, len(inside)
assert st["steady_state"] and st["transient_queries"] == 40 - len(inside), st
assert st["queries"]["queries"] == len(inside), st["queries"]["queries"]
assert abs(st["energy_j"] - got) < 1e-9 and abs(st["duration_s"] - (b - a)) < 1e-9, st
assert d["summary"]["queries"] == 40  # the run's summary keeps every query
print(f"steady state: {len(inside)} of 40 queries inside [{a:.2f}, {b:.2f}] s; energy {got:.3f} J (exact {exact:.3f} J)")
PYEOF

# Bad sweep flags: a clear message, exit 2, nothing written.
profile_refused "unknown key 'batch'" --sweep batch=1,2
profile_refused "concurrency 0 is not a whole number" --sweep concurrency=0,4
profile_refused "'x' is not a number" --sweep rate=1,x
profile_refused "drop --rate" --sweep concurrency=1,4 --rate 2
profile_refused "--slo 'ttft=soon'" --slo ttft=soon
profile_refused "unknown key 'p99'" --slo p99=1

# A sweep interrupted in its second stage, then resumed: each stage's queries once, at
# the stage's own setting. Stage 1 runs 4 rounds of about 0.85 s: the interrupt comes after
# its first query is stored, with seconds to spare — unless the machine is so loaded that
# the polls (a Python each) outlast the stage. A try whose run completed first tested
# nothing and is made again (at most 3); any other exit status fails at once.
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 50 --tokens-per-s 20
for try in 1 2 3; do
  rm -rf "$WORK/int"
  "$IPW" profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry "replay:$WORK/trace.csv" \
    --idle-seconds 0 --warmup 0 --max-queries 16 --sweep concurrency=2,4 --model-info parameters=1B \
    --out "$WORK/int" >"$WORK/int.log" 2>&1 &
  PROFILE=$!
  PIDS+=("$PROFILE")
  wait_for_rows "$WORK/int" "SELECT count(*) FROM queries WHERE stage = 1" 1
  kill -INT "$PROFILE" 2>/dev/null || true
  set +e
  wait "$PROFILE"
  rc=$?
  set -e
  [ "$rc" = 0 ] || break
  echo "try $try: the sweep completed before the interrupt; again"
done
[ "$rc" = 130 ] || { cat "$WORK/int.log"; fail "interrupted sweep exited $rc, expected 130"; }
run=$(run_dir_in "$WORK/int")
"$IPW" profile --resume "$run" --server "$MOCK_URL" --model-info release_date=2024-01-10 >"$WORK/resume.log" 2>&1 ||
  { cat "$WORK/resume.log"; fail "resume"; }
"$IPW" export "$run" --format jsonl -o "$WORK/int.jsonl"
"$PY" - "$WORK/int.jsonl" "$run" <<'PYEOF' || fail "sweep resume"
import json, sqlite3, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = [(r["stage"], r["seq"], r["repeat"]) for r in rows]
assert len(keys) == len(set(keys)) == 32, (len(keys), len(set(keys)))
assert sum(1 for r in rows if r["stage"] == 1 and r["session"] == 2) > 0, "nothing of stage 1 was resumed"
assert all(r["session"] == 1 for r in rows if r["stage"] == 0), "stage 0 ran again"
sessions = sqlite3.connect(sys.argv[2] + "/run.db").execute("SELECT status, totals_json FROM sessions").fetchall()
assert [s[0] for s in sessions] == ["interrupted", "completed"], sessions
resumed = json.loads(sessions[1][1])["stages"]
assert [p["setting"] for p in resumed] == [{"concurrency": 4}], resumed
# --model-info given on resume adds to what the run recorded; it does not wipe it.
info = json.loads(sqlite3.connect(sys.argv[2] + "/run.db").execute("SELECT json FROM manifest").fetchone()[0])["model_info"]
assert info.get("parameters") == 1e9 and info.get("release_date") == "2024-01-10", info
print(f"sweep interrupted in stage 1 with {sum(1 for r in rows if r['stage'] == 1 and r['session'] == 1)} of its 16 stored; resumed to 32")
PYEOF
echo "ok: sweeps, saturation, steady state, SLO goodput, bad sweep flags, resume"
