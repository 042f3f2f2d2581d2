#!/usr/bin/env bash
# `ipw sweep` on a real single-node Slurm cluster (docs/cluster.md): the test starts
# munged, slurmctld and slurmd on loopback with a slurm.conf of its own (Debian's
# slurm-wlm and munge; root, as CI runs), submits a 2-model x 2-shard plan against the
# mock server, and waits for the job array and the dependent merge job: each merged
# cell holds every item once and `sweep status` says done. Then it cancels one array task
# of a second sweep mid-run (scancel), and `sweep resume` completes it without repeats.
# Where the daemons cannot start (not root, no loopback, a container that forbids them) it
# says why and exits 77, which ctest reports as skipped, never as passed.
source "$(dirname "$0")/lib.sh"
PY=python3

# Daemons write their pid file after they fork away: wait for it (a missing pid must never
# reach `kill`, where 0 would mean this whole process group).
add_pid_file() {
  for _ in $(seq 50); do
    if [ -s "$1" ]; then PIDS+=("$(cat "$1")"); return 0; fi
    sleep 0.1
  done
  return 1
}

skip() {
  echo "SKIPPED: $*" >&2
  for log in "$WORK"/slurm/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -20 "$log" >&2; }; done
  exit 77
}
for tool in munged slurmctld slurmd sbatch squeue scancel sinfo; do
  command -v "$tool" >/dev/null || fail "$tool is missing: scripts/setup.sh installs slurmctld slurmd slurm-client munge"
done
[ "$(id -u)" = 0 ] || skip "the Slurm daemons of this test run as root (CI runs as root)"

# --- a one-node cluster in $WORK/slurm ------------------------------------------------
S="$WORK/slurm"
mkdir -p "$S/state" "$S/spool"
chmod 700 "$S"
dd if=/dev/urandom of="$S/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$S/munge.key"
munged --force --key-file="$S/munge.key" --socket="$S/munge.sock" --pid-file="$S/munged.pid" \
  --log-file="$S/munged.log" --seed-file="$S/munged.seed" || skip "munged did not start"
add_pid_file "$S/munged.pid" || skip "munged wrote no pid file"
read -r ctld_port node_port < <("$PY" -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
node=$(hostname -s)
cat >"$S/slurm.conf" <<CONF
ClusterName=ipwtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$node_port
AuthType=auth/munge
AuthInfo=socket=$S/munge.sock
CryptoType=crypto/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
KillWait=5
MpiDefault=none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF="$S/slurm.conf"
slurmctld -c -i -f "$SLURM_CONF" || skip "slurmctld did not start"
add_pid_file "$S/slurmctld.pid" || skip "slurmctld wrote no pid file"
slurmd -f "$SLURM_CONF" -N "$node" || skip "slurmd did not start"
add_pid_file "$S/slurmd.pid" || skip "slurmd wrote no pid file"
for _ in $(seq 60); do
  state=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || skip "the node did not come up (sinfo: '${state:-nothing}')"
echo "slurm: node $node idle (slurmctld :$ctld_port, slurmd :$node_port)"

# --- the workload and the server ---------------------------------------------------------
"$PY" - "$WORK/ds.jsonl" "$WORK/answers.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as ds, open(sys.argv[2], "w") as ans:
    for i in range(10):
        prompt = f"What is {i} times 2?"
        ds.write(json.dumps({"id": f"w{i}", "prompt": prompt, "answer": str(2 * i), "kind": "numeric"}) + "\n")
        ans.write(json.dumps({"prompt": prompt, "answer": f"{2 * i} is the answer"}) + "\n")
PYEOF
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 2 --tokens-per-s 500
FAST_URL="$MOCK_URL"
# About 4 s a query: a task of the slow sweep is still running when it is cancelled,
# however long polling for its first stored query takes on a loaded machine.
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 2 --tokens-per-s 1
SLOW_URL="$MOCK_URL"

plan() {  # plan NAME URL
  cat >"$WORK/$1.yaml" <<PLAN
name: $1
out: $WORK/$1
profile:
  server: $2
  dataset: $WORK/ds.jsonl
  telemetry: estimated
  idle-seconds: 0
  warmup: 0
matrix:
  model: [mock-a, mock-b]
shards: 2
backend: slurm
slurm:
  partition: debug
  time: "00:10:00"
  max_parallel: 4
PLAN
}

wait_done() {  # wait_done DIR: until sweep status exits 0 (every task and merge done), 240 s at most
  for _ in $(seq 480); do
    "$IPW" sweep status "$1" >"$WORK/status.log" 2>&1 && return 0
    sleep 0.5
  done
  cat "$WORK/status.log"; squeue >&2 || true
  for log in "$1"/slurm/*.log; do echo "--- $log" >&2; tail -20 "$log" >&2; done
  fail "sweep $1 not done within 240 s"
}

check_cells() {  # check_cells DIR: each merged cell holds every item once
  "$PY" - "$1" <<'PYEOF'
import glob, sqlite3, sys
cells = sorted(glob.glob(sys.argv[1] + "/model=*/merged/run.db"))
assert len(cells) == 2, cells
for db in cells:
    ids = [r[0] for r in sqlite3.connect(db).execute("SELECT item_id FROM queries")]
    assert sorted(ids) == sorted(f"w{i}" for i in range(10)), (db, ids)
print(f"{sys.argv[1]}: each merged cell holds every item once")
PYEOF
}

# --- a sweep submitted as a job array and a dependent merge job --------------------------
plan fast "$FAST_URL"
"$IPW" sweep "$WORK/fast.yaml" >"$WORK/fast.log" 2>&1 || { cat "$WORK/fast.log"; fail "sweep submission"; }
grep -q "submitted job array" "$WORK/fast.log" || { cat "$WORK/fast.log"; fail "no job array submitted"; }
wait_done "$WORK/fast"
grep -q "all tasks and merges done" "$WORK/status.log" || fail "status does not say done"
check_cells "$WORK/fast" || fail "fast sweep's merged cells"

# --- one array task cancelled mid-run, then resumed ----------------------------------------
# Task 1 (model=mock-a, shard 1/2) is cancelled once it has stored a query. On a loaded machine
# the poll for that query can outlast the task's remaining ~8 s (a stress run saw it finish
# first): then the cancel has nothing to cancel, and a new slow sweep tries again (3 at most),
# the status still checked every time.
landed=""
for try in 1 2 3; do
  slow="slow$try"
  plan "$slow" "$SLOW_URL"
  "$IPW" sweep "$WORK/$slow.yaml" >"$WORK/$slow.log" 2>&1 || { cat "$WORK/$slow.log"; fail "slow sweep submission"; }
  job=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["submissions"][0]["job"])' "$WORK/$slow/sweep.json")
  db=""
  for _ in $(seq 240); do
    # The task's folder appears only when Slurm starts it: a find that fails is "not yet".
    db=$(find "$WORK/$slow/model=mock-a/shard-1" -name run.db 2>/dev/null | head -1 || true)
    if [ -n "$db" ] && [ "$(sqlite3 "$db" 'SELECT count(*) FROM queries' 2>/dev/null || echo 0)" -ge 1 ]; then
      break
    fi
    sleep 0.5
  done
  [ -n "$db" ] || fail "task 1 of the slow sweep never started"
  scancel "${job}_1"
  # The rest finish; the merge job runs and leaves the cancelled cell unmerged.
  for _ in $(seq 480); do
    [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && [ -z "$(squeue -h -n "ipw-$slow-merge" 2>/dev/null)" ] && break
    sleep 0.5
  done
  set +e
  "$IPW" sweep status "$WORK/$slow" >"$WORK/$slow-status.log" 2>&1
  rc=$?
  set -e
  if [ "$rc" = 3 ] && grep -Eq "task +1 +shard 1/2 +failed" "$WORK/$slow-status.log"; then
    landed=1
    break
  fi
  # Too late: the task had finished, and the sweep is whole.
  [ "$rc" = 0 ] && grep -q "all tasks and merges done" "$WORK/$slow-status.log" ||
    { cat "$WORK/$slow-status.log"; fail "status after scancel (exit $rc)"; }
  echo "$slow: task 1 finished before its cancel landed; another try"
done
[ -n "$landed" ] || fail "three cancels all came after their task had finished"
"$IPW" sweep resume "$WORK/$slow" >"$WORK/resume.log" 2>&1 || { cat "$WORK/resume.log"; fail "resume"; }
grep -q "resubmitted 1 task" "$WORK/resume.log" || { cat "$WORK/resume.log"; fail "resume did not resubmit exactly the cancelled task"; }
wait_done "$WORK/$slow"
check_cells "$WORK/$slow" || fail "slow sweep's merged cells after resume"
# The cancelled task's run was resumed, not made again: one run, two sessions, no repeats.
"$PY" - "$WORK/$slow/model=mock-a/shard-1" <<'PYEOF' || fail "the resumed task"
import glob, sqlite3, sys
runs = glob.glob(sys.argv[1] + "/*/run.db")
assert len(runs) == 1, runs
db = sqlite3.connect(runs[0])
sessions = [r[0] for r in db.execute("SELECT status FROM sessions ORDER BY id")]
assert sessions[-1] == "completed" and len(sessions) >= 2, sessions
keys = db.execute("SELECT stage, seq, repeat FROM queries").fetchall()
assert len(keys) == len(set(keys)), keys
print(f"cancelled task resumed: sessions {sessions}, {len(keys)} queries, none repeated")
PYEOF
echo "ok: a Slurm job array sweep, its merge job, status, and the resume of a cancelled task"
