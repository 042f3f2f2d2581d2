#!/usr/bin/env bash
# `ipw profile --telemetry remote:HOST:PORT` against `ipw monitor` in another
# process, fed a replayed power trace, with the monitor's clock shifted by 5 s
# (--clock-offset-s): the offset is detected and undone, and every query's
# energy matches the exact integral of the trace over its window within 1%,
# as the local replay of the same trace does.
source "$(dirname "$0")/monitor_lib.sh"
E2E="$IPW_SOURCE_DIR/tests/e2e"

# A slow sine (period 60 s, 60..180 W, steepest at t=0): a few ms between the
# two replays' origins moves a query's energy by < 0.3%, but a 5 s clock error
# moves it by far more than 1% (checked below, so this test can fail).
"$PY" - "$WORK/trace.csv" <<'PYEOF'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("t_s,power_w\n")
    for i in range(0, 600 * 20 + 1):
        t = i / 20
        f.write(f"{t:.2f},{120 + 60 * math.sin(2 * math.pi * t / 60):.6f}\n")
PYEOF
"$PY" "$E2E/fixtures_small_dataset.py" "$WORK/ds.jsonl" "$WORK/answers.jsonl"
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 60 --tokens-per-s 60
start_monitor remote --telemetry "replay:$WORK/trace.csv" --clock-offset-s 5

profile() {  # profile NAME TELEMETRY
  "$IPW" -v profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry "$2" \
    --idle-seconds 0 --warmup 0 --out "$WORK/$1-runs" >"$WORK/$1-profile.out" 2>"$WORK/$1-profile.err" ||
    fail "ipw profile --telemetry $2 failed"
  "$IPW" export "$(run_dir_in "$WORK/$1-runs")" --format jsonl -o "$WORK/$1.jsonl" || fail "export $1"
  [ "$(wc -l <"$WORK/$1.jsonl")" = 8 ] || fail "$1: expected 8 exported queries"
}
profile remote "remote:$MON_GRPC"
profile local "replay:$WORK/trace.csv"

# The offset was measured before the run (and after it), within a few ms of 5 s.
offsets="$(grep -oE 'clock offset (after the run )?[-+][0-9.]+ s' "$WORK/remote-profile.err" | grep -oE '[-+][0-9.]+' || true)"
[ "$(wc -l <<<"$offsets")" -ge 2 ] || fail "expected clock offsets before and after the run, got: $offsets"
for o in $offsets; do
  "$PY" -c "import sys; sys.exit(0 if abs(float('$o') - 5) < 0.05 else 1)" ||
    fail "clock offset $o s, expected 5 s (the monitor's --clock-offset-s)"
done

# Both runs: every query within 1% of the exact integral over its own window.
"$PY" "$E2E/replay_trace.py" check "$WORK/trace.csv" "$WORK/local.jsonl" 0.01 || fail "local replay"
"$PY" "$E2E/replay_trace.py" check "$WORK/trace.csv" "$WORK/remote.jsonl" 0.01 || fail "remote energies"

"$PY" - "$E2E" "$WORK/trace.csv" "$WORK/remote.jsonl" <<'PYEOF' || fail "remote run details"
import json, sys
sys.path.insert(0, sys.argv[1])
import replay_trace as rt
ts, ps = rt.load(sys.argv[2])
rows = [json.loads(l) for l in open(sys.argv[3])]
assert all(not r["error_kind"] for r in rows), rows
assert all(r["energy_source"] == "integrated" for r in rows), [r["energy_source"] for r in rows]
# Control: had the 5 s offset not been undone, the energies would be those of
# the trace 5 s earlier -- most queries would miss the 1% bound by far.
off = 0
for r in rows:
    exact = rt.integral(ts, ps, r["t_start_s"], r["t_end_s"])
    shifted = rt.integral(ts, ps, r["t_start_s"] - 5, r["t_end_s"] - 5)
    if abs(shifted - exact) / exact > 0.02:
        off += 1
assert off >= len(rows) // 2, f"the trace does not discriminate a 5 s offset ({off}/{len(rows)})"
print(f"remote: {len(rows)} queries match; an uncorrected 5 s offset would break {off} of them")
PYEOF

# Two monitors in one run (docs/cluster.md): each host's domains are named after its address, so
# the two replays' domains do not clash, and every query's energy is both hosts' together: the
# first monitor's share within its trace's range (60-180 W; its replay started with that monitor,
# so where in the trace is its own), the second's a flat 50 W over the query's window.
first="$MON_GRPC"
printf 't_s,power_w\n0,50\n3600,50\n' >"$WORK/flat.csv"
start_monitor second --telemetry "replay:$WORK/flat.csv"
second="$MON_GRPC"
profile two "remote:$first,remote:$second"
"$PY" - "$WORK/two.jsonl" "$(run_dir_in "$WORK/two-runs")/run.db" "$first" "$second" <<'PYEOF' ||
import json, sqlite3, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
db = sqlite3.connect(sys.argv[2])
names = [r[0] for r in db.execute("SELECT domain FROM domains ORDER BY idx")]
first, second = sys.argv[3], sys.argv[4]
assert len(names) == 2 and names[0].startswith(first + "/") and names[1].startswith(second + "/"), names
per = {}
for seq, rep, d, e in db.execute("SELECT seq, repeat, domain_idx, energy_j FROM query_energy"):
    per.setdefault((seq, rep), {})[d] = e
for r in rows:
    dur = r["t_end_s"] - r["t_start_s"]
    e = per[(r["seq"], r["repeat"])]
    assert abs(r["energy_j"] - (e[0] + e[1])) <= 1e-6 * r["energy_j"], (r["id"], r["energy_j"], e)
    assert 60 * dur * 0.99 <= e[0] <= 180 * dur * 1.01, (r["id"], "first host", e[0], dur)
    assert abs(e[1] - 50 * dur) <= 0.01 * 50 * dur, (r["id"], "second host", e[1], 50 * dur)
print(f"two monitors: domains {names}; {len(rows)} queries hold both hosts' energy, the flat host's within 1%")
PYEOF
  fail "two monitors in one run"
echo "ok: remote telemetry with a 5 s clock offset matches the local replay within 1%; two monitors in one run"
