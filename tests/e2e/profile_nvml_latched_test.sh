#!/usr/bin/env bash
# ipw profile through the production NVML path (dlopen of the fake libnvidia-ml) on a
# counter that, like a real GPU's, latches a new value only every 10 ms, at a constant
# 200 W: each query's energy must be 200 W x its duration. Read at the query's edges
# alone, such a counter is up to 10 ms stale at each edge (±2 J per edge here, 5-20 %
# of these 100-400 ms queries); placed at its latch instants (LatchedCounter, polled by
# Sampler::sample_latches) it is within 1 %, or flagged coarse_edges when a loaded
# machine starved the polling (then within two periods).
source "$(dirname "$0")/lib.sh"
E2E="$IPW_SOURCE_DIR/tests/e2e"
FAKE_NVML="$IPW_BIN/../lib/fake_nvml/libnvidia-ml.so.1"
[ -f "$FAKE_NVML" ] || fail "fake NVML not built at $FAKE_NVML (build the ipw_fake_nvml target)"
echo "gpu name=Fake_H100 uuid=GPU-latched energy_mj=5000000 rate_mw=200000 step_ms=10 power_mw=200000" \
  >"$WORK/nvml.conf"
export IPW_NVML_LIBRARY="$FAKE_NVML" IPW_FAKE_NVML_CONFIG="$WORK/nvml.conf"
unset CUDA_VISIBLE_DEVICES IPW_DEVICES

python3 "$E2E/fixtures_small_dataset.py" "$WORK/ds.jsonl" "$WORK/answers.jsonl"
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 40 --tokens-per-s 60
# The accuracy contract (within 1 %, or flagged and within two periods) must hold on
# every try. Whether the polls ran in time for some long query to stay unflagged
# depends on the scheduler (a heavily loaded machine starves them: exit 3), so that
# must hold on one try of three.
for try in 1 2 3; do
rm -rf "$WORK/runs"
"$IPW" profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry nvml \
  --idle-seconds 1 --warmup 1 --out "$WORK/runs" >"$WORK/profile.out" 2>&1 ||
  { cat "$WORK/profile.out"; fail "ipw profile failed"; }
run=$(run_dir_in "$WORK/runs")
"$IPW" export "$run" --format jsonl -o "$WORK/q.jsonl"
set +e
python3 - "$WORK/q.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in rows if not r["error_kind"]]
if len(ok) != len(rows) or not ok:
    sys.exit(f"expected every query to succeed: {len(ok)} of {len(rows)}")
worst = 0.0
flagged = 0
for r in ok:
    dur = r["t_end_s"] - r["t_start_s"]
    want = 200.0 * dur
    if r["energy_source"] != "counter":
        sys.exit(f"{r['id']}: energy source {r['energy_source']}, expected counter")
    err = abs(r["energy_j"] - want) / want
    if "coarse_edges" in r["energy_flags"]:
        # The sampler's polls were starved (a loaded machine): the latches at the
        # edges are known only within their bounds, each within one 10 ms period.
        flagged += 1
        bound = 2 * 0.010 / dur
        if err > bound:
            sys.exit(f"{r['id']}: flagged coarse_edges, error {err:.2%} beyond two update periods ({bound:.2%})")
        continue
    worst = max(worst, err)
    if err > 0.01:
        sys.exit(f"{r['id']}: {r['energy_j']:.4f} J over {dur * 1e3:.1f} ms vs 200 W x duration = "
                 f"{want:.4f} J: error {err:.2%} > 1 % and not flagged coarse_edges")
# Not vacuous: the long queries' edges may be off by 1 % of 300 ms (3 ms) before
# the flag is due, so on any machine that runs the polls at all some stay unflagged.
long_ok = [r for r in ok if r["t_end_s"] - r["t_start_s"] >= 0.3]
if all("coarse_edges" in r["energy_flags"] for r in long_ok):
    print(f"all {len(long_ok)} queries of 300 ms or more flagged coarse_edges: the latch polling never ran in time")
    sys.exit(3)
print(f"{len(ok)} queries of {min(r['t_end_s'] - r['t_start_s'] for r in ok) * 1e3:.0f}-"
      f"{max(r['t_end_s'] - r['t_start_s'] for r in ok) * 1e3:.0f} ms on a 10 ms latched counter: "
      f"worst error {worst:.3%} ({flagged} flagged coarse_edges)")
PY
rc=$?
set -e
[ "$rc" = 0 ] && { echo "profile_nvml_latched: ok (try $try)"; exit 0; }
[ "$rc" = 3 ] || fail "the energy contract broke on try $try"
done
fail "on three tries the latch polling never ran in time for a long query"
