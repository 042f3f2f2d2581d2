#!/usr/bin/env bash
# A full disk mid-run (docs/reliability.md): the run directory lives on a 16 MiB tmpfs
# that a filler file fills while ipw profiles. ipw stops with a message that says the
# disk is full, the store stays consistent (every export works), and once space is
# freed `--resume` finishes the run with every query stored once. Mounting needs root
# (CI runs as root; elsewhere passwordless sudo): without it the test fails, saying so.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  sudo -n true 2>/dev/null || fail "this test mounts a small tmpfs: run it as root or with passwordless sudo"
  SUDO="sudo -n"
fi

"$PY" - "$WORK/ds.jsonl" "$WORK/answers.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as ds, open(sys.argv[2], "w") as ans:
    for i in range(60):
        prompt = f"Disk question {i}: what is {i} plus one?"
        ds.write(json.dumps({"id": f"d{i:02d}", "prompt": prompt, "answer": str(i + 1), "kind": "numeric"}) + "\n")
        # Long answers: each query stores a few KiB, so the disk fills within the run.
        ans.write(json.dumps({"prompt": prompt, "answer": f"{i + 1} " + "and a long explanation " * 200}) + "\n")
PYEOF
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 5 --tokens-per-s 0
disk="$WORK/disk"
mkdir -p "$disk"
$SUDO mount -t tmpfs -o size=16m,mode=0777 ipw-full-disk-test "$disk" || fail "cannot mount a tmpfs on $disk"
unmount() { $SUDO umount "$disk" 2>/dev/null || true; }
trap 'rc=$?; unmount; (exit $rc); cleanup' EXIT

"$IPW" profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry estimated \
  --idle-seconds 0 --warmup 0 --repeat 3 --out "$disk/runs" >"$WORK/p1.out" 2>"$WORK/p1.err" &
pid=$!
PIDS+=("$pid")
# Fill the disk once the run has stored a few queries.
for _ in $(seq 300); do
  db=$(find "$disk/runs" -name run.db 2>/dev/null | head -1 || true)
  [ -n "$db" ] && [ "$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM queries").fetchone()[0])' "$db" 2>/dev/null || echo 0)" -ge 5 ] && break
  sleep 0.05
done
dd if=/dev/zero of="$disk/filler" bs=64k 2>/dev/null || true  # until the disk is full
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" -ne 0 ] || { cat "$WORK/p1.out" "$WORK/p1.err"; fail "a run on a full disk exited 0"; }
grep -qiE "disk is full|No space left|database or disk is full" "$WORK/p1.err" ||
  { cat "$WORK/p1.err"; fail "the message does not say the disk is full"; }
grep -q "Free space on that disk, then finish the run with: ipw profile --resume $disk/runs/" "$WORK/p1.err" ||
  { cat "$WORK/p1.err"; fail "the message does not say what to do"; }
run=$(find "$disk/runs" -mindepth 1 -maxdepth 1 -type d)
[ -n "$run" ] || fail "no run directory"
stored=$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM queries").fetchone()[0])' "$run/run.db")
[ "$stored" -lt 180 ] || fail "the disk never filled: all 180 queries were stored"

echo "the full disk stopped the run with: $(grep -i "free space" "$WORK/p1.err" | tail -1)"
rm -f "$disk/filler"  # space freed
"$IPW" export "$run" --format jsonl -o "$WORK/partial.jsonl" || fail "export of the interrupted run"
"$IPW" profile --resume "$run" >"$WORK/p2.out" 2>"$WORK/p2.err" || { cat "$WORK/p2.err"; df -h "$disk"; ls -la "$run"; fail "--resume after freeing space"; }
"$IPW" export "$run" --format jsonl -o "$WORK/all.jsonl" || fail "export"
"$PY" - "$WORK/all.jsonl" "$stored" <<'PYEOF' || fail "stored queries"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = sorted((r["seq"], r["repeat"]) for r in rows)
assert keys == [(s, r) for s in range(60) for r in range(3)], f"{len(rows)} rows, not each of 180 once"
assert all(not r["error_kind"] for r in rows), [r["error"] for r in rows if r["error_kind"]][:3]
print(f"disk full after {sys.argv[2]} queries; resumed to all {len(rows)}, each once")
PYEOF
echo "ok: a full disk stops the run clearly and --resume finishes it"
