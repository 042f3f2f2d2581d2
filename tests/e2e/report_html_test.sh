#!/usr/bin/env bash
# End to end: two real `ipw profile` runs against ipw-mock-server (replayed
# power trace), then analyze, compare, route, trend, every export read by
# pandas, and the HTML report loaded in headless Chromium with networking off.
# Needs: chromium, python3-pandas (Debian packages; scripts/setup.sh installs them).
# Env: IPW_BIN (build/bin), IPW_SOURCE_DIR. The screenshot is kept under
# $IPW_BIN/../test-artifacts/.
set -euo pipefail
: "${IPW_BIN:?}" "${IPW_SOURCE_DIR:?}"
ipw="$IPW_BIN/ipw"
artifacts="$IPW_BIN/../test-artifacts"
mkdir -p "$artifacts"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# A signal (ctest's timeout, Ctrl-C) exits through the EXIT trap too.
trap 'exit 143' TERM INT HUP
[ -n "${IPW_KEEP_TMP:-}" ] && trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; echo "kept $tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A replayed power trace: 60 W idle with a 240 W plateau every other second.
/usr/bin/python3 - "$tmp/trace.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("t_s,power_w\n")
    for i in range(0, 6001):
        t = i * 0.05
        f.write(f"{t:.2f},{60 + 180 * (int(t) % 2) + 20 * ((i % 7) / 7):.3f}\n")
PY

# A small workload over several categories (4 built-in items from each of 6),
# and per-model answer books: the small model gets every 3rd item wrong, the
# large one every 5th, so accuracy, coverage and routing have something to show.
/usr/bin/python3 - "$IPW_SOURCE_DIR/data/builtin" "$tmp" <<'PY'
import json, pathlib, sys
src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
items = []
for f in sorted(src.glob("*.jsonl"))[:6]:
    items += [json.loads(l) for l in f.read_text().splitlines() if l.strip()][:4]
(out / "workload.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
for name, every in (("mock-small", 3), ("mock-large", 5)):
    book = [{"prompt": i["prompt"], "answer": ("I am not sure." if k % every == 0 else str(i["answer"]))}
            for k, i in enumerate(items)]
    (out / f"answers-{name}.jsonl").write_text("".join(json.dumps(b) + "\n" for b in book))
PY

# Runs in this shell (not in $(…)), so its pid reaches `pids` and the trap stops it.
start_mock() {  # name ttft_ms tokens_per_s; sets url
  "$IPW_BIN/ipw-mock-server" --port 0 --model "$1" --ttft-ms "$2" --tokens-per-s "$3" \
    --answers "$tmp/answers-$1.jsonl" >"$tmp/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q "listening on" "$tmp/$1.log" 2>/dev/null && break
    sleep 0.1
  done
  url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$tmp/$1.log")
}

profile() {  # name url [profile flags...]
  local name=$1 url=$2
  shift 2
  "$ipw" profile --server "$url" --model "$name" --dataset "$tmp/workload.jsonl" "$@" \
    --telemetry "replay:$tmp/trace.csv" --idle-seconds 0 --sample-period-ms 20 \
    --out "$tmp/runs-$name" >"$tmp/profile-$name.log" 2>&1 || { cat "$tmp/profile-$name.log"; fail "ipw profile $name"; }
  ls -d "$tmp/runs-$name"/*/ | head -n1
}

start_mock mock-small 20 400
url_a=$url
start_mock mock-large 60 150
url_b=$url
[ -n "$url_a" ] && [ -n "$url_b" ] || fail "mock servers did not start"
# What the user knows of each model, recorded at profile time: trend and route read it from the runs.
run_a=$(profile mock-small "$url_a" --model-info parameters=1B --model-info release_date=2024-01-10)
run_b=$(profile mock-large "$url_b" --model-info parameters=70B --model-info release_date=2025-02-01)

"$ipw" analyze "$run_a" >"$tmp/analyze.txt" || fail "analyze"
grep -q "energy model" "$tmp/analyze.txt" || fail "analyze lacks the energy model section"
grep -q "by category" "$tmp/analyze.txt" || fail "analyze lacks the per-category table"
"$ipw" analyze "$run_a" --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["analysis"]["ci95"]["replicates"] > 0, d["analysis"]["ci95"]'
# --idle-seconds 0 measured no baseline: the net-of-idle figures are unknown (null), not the gross ones.
"$ipw" analyze "$run_a" --json | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)["summary"]
assert s["mean_energy_j"] is not None and s["mean_net_energy_j"] is None and s["ipj_net"] is None, s'
"$ipw" export "$run_a" --format jsonl -o "$tmp/net.jsonl" || fail "export"
/usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows and all(r["net_energy_j"] is None for r in rows), [r["net_energy_j"] for r in rows][:3]' "$tmp/net.jsonl" ||
  fail "net_energy_j must be null without an idle baseline"

"$ipw" compare "$run_a" "$run_b" >"$tmp/compare.txt" || fail "compare"
grep -q "best-of-2 oracle" "$tmp/compare.txt" || fail "compare lacks coverage"
"$ipw" compare "$run_a" "$run_b" --csv -o "$tmp/leaderboard.csv" || fail "compare --csv"
"$ipw" compare "$run_a" "$run_b" --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["leaderboard"]) == 2'

"$ipw" route "$run_a" --cloud "$run_b" --cloud-price-in 1 --cloud-price-out 4 --params mock-small=1B \
  --params mock-large=70B --arrival-rate 2 --arrivals 200 >"$tmp/route.txt" || fail "route"
grep -q "^oracle" "$tmp/route.txt" || fail "route lacks the oracle router"
grep -q "arrival load" "$tmp/route.txt" || fail "route lacks the load simulation"
# Without --params, route finds each run's parameter count in its manifest (--model-info).
"$ipw" route "$run_a" --cloud "$run_b" --json | /usr/bin/python3 -c '
import json, sys
p = json.load(sys.stdin)["options"]["parameters"]
assert sorted(p.values()) == [1e9, 70e9], p' || fail "route did not read model_info.parameters from the runs"
# Exit codes: a command line that cannot work is usage (2); runs that cannot be routed
# (they share no item) are a failure (1), not a usage error, though the library reports
# both as bad arguments (ipw/common/usage_error.h).
set +e
"$ipw" route "$run_a" --cloud "$run_b" --params mock-small >"$tmp/route-usage.out" 2>&1
rc_usage=$?
printf '{"id": "other-1", "prompt": "Name a colour.", "answer": "red"}\n' >"$tmp/other.jsonl"
"$ipw" profile --server "$url_a" --model mock-small --dataset "$tmp/other.jsonl" --telemetry "replay:$tmp/trace.csv" \
  --idle-seconds 0 --out "$tmp/runs-other" >"$tmp/profile-other.log" 2>&1 || { cat "$tmp/profile-other.log"; fail "profile other"; }
"$ipw" route "$run_a" --cloud "$(ls -d "$tmp/runs-other"/*/ | head -n1)" >"$tmp/route-disjoint.out" 2>&1
rc_disjoint=$?
set -e
[ "$rc_usage" = 2 ] && grep -q "expects NAME=VALUE, got 'mock-small'" "$tmp/route-usage.out" ||
  { cat "$tmp/route-usage.out"; fail "route --params without a value: exit $rc_usage, expected 2 (usage)"; }
[ "$rc_disjoint" = 1 ] && grep -q "error: the local and cloud runs share no workload item" "$tmp/route-disjoint.out" ||
  { cat "$tmp/route-disjoint.out"; fail "route over disjoint runs: exit $rc_disjoint, expected 1 (failure)"; }
# README example: `ipw trend runs/*` on runs made by ipw profile (release dates from --model-info).
"$ipw" trend "$run_a" "$run_b" >"$tmp/trend-from-runs.txt" ||
  { cat "$tmp/trend-from-runs.txt"; fail "trend on profiled runs without --release-date"; }
grep -q "2024-01-10" "$tmp/trend-from-runs.txt" || fail "trend does not show the recorded release date"

"$ipw" trend "$run_a" "$run_b" --release-date mock-small=2024-01-10 --release-date mock-large=2025-02-01 \
  >"$tmp/trend.txt" || fail "trend"
grep -q "model factor" "$tmp/trend.txt" || fail "trend lacks the decomposition"

"$ipw" export "$run_a" --format csv -o "$tmp/queries.csv" || fail "export csv"
"$ipw" export "$run_a" -o "$tmp/queries.jsonl" || fail "export jsonl"
"$ipw" export "$run_a" --telemetry -o "$tmp/telemetry.csv" || fail "export telemetry"
/usr/bin/python3 "$IPW_SOURCE_DIR/tests/e2e/check_exports.py" "$tmp/queries.csv" "$tmp/queries.jsonl" \
  "$tmp/telemetry.csv" "$tmp/leaderboard.csv" || fail "pandas export check"

# One run: the default output is RUN/report.html.
"$ipw" report "$run_a" >/dev/null || fail "report (one run)"
[ -s "$run_a/report.html" ] || fail "no $run_a/report.html"
/usr/bin/python3 "$IPW_SOURCE_DIR/tests/e2e/check_report.py" "$run_a/report.html" "$artifacts/report-one-run.png" \
  timeline-0 scatter-0 category-0 ttft_ms-0 tpot_ms-0 latency_s-0 || fail "one-run report in chromium"
# Several runs with routing.
"$ipw" report "$run_a" "$run_b" --cloud "$run_b" --cloud-price-in 1 --cloud-price-out 4 -o "$tmp/all.html" >/dev/null \
  || fail "report (several runs)"
/usr/bin/python3 "$IPW_SOURCE_DIR/tests/e2e/check_report.py" "$tmp/all.html" "$artifacts/report-compare.png" \
  pareto ipw-bars coverage routing-chart timeline-0 timeline-1 || fail "multi-run report in chromium"
cp "$tmp/all.html" "$artifacts/report-compare.html"

# A load sweep: the report plots its stages (J/token and IPJ against concurrency, energy
# against p90 latency), and compare prints and exports their table.
"$ipw" profile --server "$url_a" --model mock-small --dataset "$tmp/workload.jsonl" --telemetry "replay:$tmp/trace.csv" \
  --idle-seconds 0 --sample-period-ms 20 --max-queries 8 --sweep concurrency=1,4 --slo e2e=5 \
  --out "$tmp/runs-sweep" >"$tmp/profile-sweep.log" 2>&1 || { cat "$tmp/profile-sweep.log"; fail "ipw profile --sweep"; }
run_s=$(ls -d "$tmp/runs-sweep"/*/ | head -n1)
"$ipw" report "$run_s" -o "$tmp/sweep.html" >/dev/null || fail "report (sweep)"
/usr/bin/python3 "$IPW_SOURCE_DIR/tests/e2e/check_report.py" "$tmp/sweep.html" "$artifacts/report-sweep.png" \
  stages-0 stage-latency-0 timeline-0 || fail "sweep report in chromium"
"$ipw" compare "$run_a" "$run_s" >"$tmp/compare-sweep.txt" || fail "compare with a sweep"
grep -q "load stages" "$tmp/compare-sweep.txt" && grep -q "within SLO" "$tmp/compare-sweep.txt" ||
  { cat "$tmp/compare-sweep.txt"; fail "compare prints no stage table for the sweep"; }
"$ipw" compare "$run_a" "$run_s" --json | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)
assert len(c["load_runs"]) == 1, c["load_runs"]  # the sequential run has no stage table
st = c["load_runs"][0]["stages"]
assert [s["setting"] for s in st] == [{"concurrency": 1}, {"concurrency": 4}] and c["load_runs"][0]["slo"] == {"e2e_s": 5}, st
assert all(s["queries"]["queries"] == 8 for s in st), st' || fail "compare --json load_runs"
echo "report_html_test: ok"
