#!/usr/bin/env bash
# ipw doctor and ipw energy, twice: on this machine as it is (a VM has no energy
# sensor: doctor must say so and `auto` must use the labelled estimator), and
# against a fake sysfs RAPL tree plus the fake NVML library, whose scripted
# counters advance at a known rate, so energy ≈ power × seconds can be checked.
source "$(dirname "$0")/lib.sh"

check_energy_json() {  # FILE: the fields every domain object must have, and E = P × t
  python3 - "$1" <<'PY'
import json, sys
doms = json.load(open(sys.argv[1]))
assert isinstance(doms, list) and doms, "expected a non-empty JSON array"
for d in doms:
    for k in ("domain", "device", "source", "energy_j", "mean_power_w", "seconds", "flags"):
        assert k in d, f"{d.get('domain')}: missing {k}"
    assert d["source"] in ("counter", "integrated", "estimated"), d
    assert isinstance(d["flags"], list), d
    assert 0.95 <= d["seconds"] <= 1.5, f"seconds {d['seconds']}"
    assert d["energy_j"] is not None and d["energy_j"] >= 0, d
    assert abs(d["energy_j"] - d["mean_power_w"] * d["seconds"]) <= 1e-6 * max(1.0, d["energy_j"]), d
PY
}

# --- 1. this machine, as it is -------------------------------------------------
"$IPW" doctor >"$WORK/doctor.txt" || { cat "$WORK/doctor.txt"; fail "ipw doctor failed"; }
cat "$WORK/doctor.txt"
for s in nvml amd rapl jetson powermetrics estimated; do
  [ "$(grep -c "^$s " "$WORK/doctor.txt")" = 1 ] || fail "doctor: expected one line for $s"
done
grep -q '^auto: ' "$WORK/doctor.txt" || fail "doctor: no 'auto:' line"
"$IPW" doctor --json --quick >"$WORK/doctor.json" || fail "ipw doctor --json failed"
"$IPW" energy --seconds 1 --json >"$WORK/energy.json" 2>"$WORK/energy.err" ||
  { cat "$WORK/energy.err"; fail "ipw energy failed"; }
check_energy_json "$WORK/energy.json"
"$IPW" energy --watch --seconds 1.6 --interval 0.5 >"$WORK/watch.txt" 2>&1 || fail "ipw energy --watch failed"
[ "$(grep -c '^\[ *[0-9.]* s\]' "$WORK/watch.txt")" -ge 2 ] || { cat "$WORK/watch.txt"; fail "--watch printed < 2 live lines"; }
grep -q '^domain ' "$WORK/watch.txt" || fail "--watch printed no final table"
python3 - "$WORK/doctor.json" "$WORK/energy.json" "$WORK/doctor.txt" "$WORK/energy.err" <<'PY'
import json, sys
doc, energy = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
text, err = open(sys.argv[3]).read(), open(sys.argv[4]).read()
readable_hw = [s["source"] for s in doc["sources"] if s["in_auto"] and s["readable"]]
for s in doc["sources"]:
    if not s["readable"]:
        assert s["reason"], f"{s['source']}: not readable but no reason"
if not readable_hw:  # a VM or container: the estimator, said out loud
    assert doc["estimator_used"] and doc["auto"] == ["estimated"], doc["auto"]
    assert "no readable hardware energy sensor" in text and 'labelled "estimated"' in text
    assert [d["source"] for d in energy] == ["estimated"], energy
    assert "ESTIMATED" in err, err
    print("this machine: no sensor; doctor says so and ipw energy is labelled estimated")
else:
    assert doc["auto"] == readable_hw and not doc["estimator_used"], doc
    assert all(d["source"] != "estimated" for d in energy), energy
    print("this machine: sensors", readable_hw)
PY

# --- 2. a fake RAPL tree (20 W) and a fake NVML GPU (150 W) ----------------------
SYS="$WORK/sys"
ZONE="$SYS/class/powercap/intel-rapl:0"
mkdir -p "$ZONE"
echo package-0 >"$ZONE/name"
echo 262143328850 >"$ZONE/max_energy_range_uj"
printf '%015d\n' 5000000 >"$ZONE/energy_uj"
# The RAPL counter, like the hardware's, ticks every ~1 ms: µJ = 5e6 + 20 W × elapsed µs.
# The writer is a Python loop that a loaded machine can starve: it records its longest
# pause between writes after ticker.mark appears (in ticker.stall when it stops), since a
# counter that stood still that long at a window's edge moves the window's energy by
# up to 20 W × the pause at each end.
python3 - "$ZONE/energy_uj" "$WORK/ticker.stop" "$WORK/ticker.mark" "$WORK/ticker.stall" <<'PY' &
import os, sys, time
fd, t0 = os.open(sys.argv[1], os.O_WRONLY), time.monotonic()
last, stall, marked = t0, 0.0, False
while not os.path.exists(sys.argv[2]):
    now = time.monotonic()
    if marked:
        stall = max(stall, now - last)
    elif os.path.exists(sys.argv[3]):
        marked = True
    last = now
    uj = 5_000_000 + int(20.0 * (now - t0) * 1e6)
    os.pwrite(fd, b"%015d\n" % uj, 0)  # in place, fixed width: never a torn read
    time.sleep(0.001)
with open(sys.argv[4] + ".tmp", "w") as f:
    f.write(f"{stall}\n")
os.rename(sys.argv[4] + ".tmp", sys.argv[4])
PY
PIDS+=("$!")
FAKE_NVML="$IPW_BIN/../lib/fake_nvml/libnvidia-ml.so.1"
[ -f "$FAKE_NVML" ] || fail "fake NVML not built at $FAKE_NVML (build the ipw_fake_nvml target)"
echo "gpu name=Fake_H100 uuid=GPU-e2e energy_mj=1000000 rate_mw=150000 step_ms=5 power_mw=150000 instant_mw=150000" \
  >"$WORK/nvml.conf"
export IPW_SYSFS_ROOT="$SYS" IPW_NVML_LIBRARY="$FAKE_NVML" IPW_FAKE_NVML_CONFIG="$WORK/nvml.conf"
unset CUDA_VISIBLE_DEVICES IPW_DEVICES

# doctor measures the RAPL counter's update period by watching it change; the fake's
# writer is a Python loop, which a loaded machine can starve for the whole watch (doctor
# then says "update unknown", as it should). Found, readable and used must hold on every
# try; the measured period on one of three.
for try in 1 2 3; do
  "$IPW" doctor >"$WORK/fake_doctor.txt" || { cat "$WORK/fake_doctor.txt"; fail "doctor (fakes) failed"; }
  cat "$WORK/fake_doctor.txt"
  grep -Eq '^rapl +found +readable +update .*cpu-package0 — used by auto' "$WORK/fake_doctor.txt" ||
    fail "doctor: the fake RAPL zone is not found/readable/used"
  grep -Eq '^rapl +found +readable +update [0-9.]+ ms ' "$WORK/fake_doctor.txt" && break
  [ "$try" -lt 3 ] || fail "doctor: no measured update period for the fake RAPL zone in 3 tries"
  echo "try $try: the RAPL writer was starved during doctor's watch; again"
done
grep -Eq '^nvml +found +readable +update [0-9.]+ ms .*gpu0 — used by auto' "$WORK/fake_doctor.txt" ||
  fail "doctor: the fake NVML GPU is not found/readable/used with a measured period"
grep -q '^auto: nvml, rapl ' "$WORK/fake_doctor.txt" || fail "doctor: auto should use nvml and rapl"
grep -q 'not used by auto' "$WORK/fake_doctor.txt" || fail "doctor: the estimator should be unused"

touch "$WORK/ticker.mark"
"$IPW" energy --seconds 1 --json >"$WORK/fake_energy.json" 2>"$WORK/fake_energy.err" ||
  { cat "$WORK/fake_energy.err"; fail "ipw energy (fakes) failed"; }
touch "$WORK/ticker.stop"
for _ in $(seq 100); do [ -f "$WORK/ticker.stall" ] && break; sleep 0.05; done
[ -f "$WORK/ticker.stall" ] || fail "the fake RAPL writer did not stop"
check_energy_json "$WORK/fake_energy.json"
python3 - "$WORK/fake_energy.json" "$(cat "$WORK/ticker.stall")" <<'PY'
import json, sys
doms = {d["domain"]: d for d in json.load(open(sys.argv[1]))}
stall_s = float(sys.argv[2])
assert set(doms) == {"gpu0", "cpu-package0"}, sorted(doms)
# The scripted rates are exact. The fake NVML computes its counter in the process
# that reads it: 3 % covers its 5 ms steps. The RAPL writer's ~1 ms steps take 5 %, and
# its longest pause during the run (measured, above) can stand at each of the window's
# two edges: 2 × 20 W × that pause more.
for name, watts, rel, stall in (("gpu0", 150.0, 0.03, 0.0), ("cpu-package0", 20.0, 0.05, stall_s)):
    d = doms[name]
    # A counter that stood still for 100 of its update periods is flagged `stale` and the
    # window's energy comes from power instead ("integrated"): right when the writer
    # paused that long (seen once under the ASan stress), wrong otherwise.
    frozen = "stale" in d["flags"] and stall >= 100 * (d.get("update_period_s") or 0)
    assert d["source"] == "counter" or (frozen and d["source"] == "integrated"), (d, f"the writer's longest pause {stall * 1e3:.1f} ms")
    want = watts * d["seconds"]
    err_j, allowed_j = abs(d["energy_j"] - want), rel * want + 2 * watts * stall
    assert err_j <= allowed_j, (
        f"{name}: {d['energy_j']:.3f} J vs {watts} W x {d['seconds']:.3f} s = {want:.3f} J "
        f"(off {err_j:.3f} J, allowed {allowed_j:.3f} J; the RAPL writer's longest pause {stall_s * 1e3:.1f} ms)")
    pause = f"; the writer's longest pause {stall * 1e3:.1f} ms" if name == "cpu-package0" else ""
    print(f"{name}: {d['energy_j']:.3f} J over {d['seconds']:.3f} s = {d['mean_power_w']:.2f} W "
          f"(scripted {watts} W, off {err_j / want:.2%}{pause})")
PY
echo "doctor_energy: ok"
