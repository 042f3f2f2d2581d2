#!/usr/bin/env bash
# `ipw sweep` with the local backend against the mock server (docs/cluster.md): a
# 2-model x 2-shard plan runs its 4 tasks and merges each cell; `sweep status` says done
# (exit 0); a lost task is the only one `sweep resume` runs again; a plan with a flag
# ipw profile does not know is refused naming its line, before anything runs.
source "$(dirname "$0")/lib.sh"
PY=python3

"$PY" - "$WORK/ds.jsonl" "$WORK/answers.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as ds, open(sys.argv[2], "w") as ans:
    for i in range(12):
        prompt = f"What is {i} plus 1?"
        ds.write(json.dumps({"id": f"s{i}", "prompt": prompt, "answer": str(i + 1), "kind": "numeric"}) + "\n")
        ans.write(json.dumps({"prompt": prompt, "answer": str(i + 1)}) + "\n")
PYEOF
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 2 --tokens-per-s 1000

printf 'out: %s\nprofile:\n  server: %s\n  max-querys: 3\nmatrix:\n  model: [a]\n' "$WORK/bad" "$MOCK_URL" >"$WORK/bad.yaml"
set +e
"$IPW" sweep "$WORK/bad.yaml" >"$WORK/bad.log" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "line 4: 'max-querys'" "$WORK/bad.log" || { cat "$WORK/bad.log"; fail "bad plan: exit $rc"; }
[ ! -e "$WORK/bad" ] || fail "a refused plan created its out directory"

# backend slurm where sbatch is missing: a clear message, nothing created.
printf 'out: %s\nbackend: slurm\nprofile:\n  server: %s\nmatrix:\n  model: [a]\n' "$WORK/nosbatch" "$MOCK_URL" >"$WORK/nosbatch.yaml"
set +e
PATH="$WORK/empty-path" "$IPW" sweep "$WORK/nosbatch.yaml" >"$WORK/nosbatch.log" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "sbatch is not on PATH" "$WORK/nosbatch.log" && [ ! -e "$WORK/nosbatch" ] ||
  { cat "$WORK/nosbatch.log"; fail "slurm plan without sbatch: exit $rc"; }

cat >"$WORK/plan.yaml" <<PLAN
name: e2e
out: $WORK/sweep
profile:
  server: $MOCK_URL
  dataset: $WORK/ds.jsonl
  telemetry: estimated
  idle-seconds: 0
  warmup: 0
matrix:
  model: [mock-a, mock-b]
shards: 2
backend: local
PLAN
"$IPW" sweep "$WORK/plan.yaml" --dry-run >"$WORK/dry.log" || { cat "$WORK/dry.log"; fail "dry run"; }
grep -q "2 cells x 2 shards = 4 tasks" "$WORK/dry.log" || { cat "$WORK/dry.log"; fail "dry run's plan"; }
[ ! -e "$WORK/sweep" ] || fail "a dry run created the sweep"

"$IPW" sweep "$WORK/plan.yaml" >"$WORK/sweep.log" 2>&1 || { cat "$WORK/sweep.log"; fail "sweep"; }
"$IPW" sweep status "$WORK/sweep" >"$WORK/status.log" || { cat "$WORK/status.log"; fail "status after the sweep"; }
grep -q "all tasks and merges done" "$WORK/status.log" || fail "status does not say done"

check_cells() {
  "$PY" - "$WORK/sweep" <<'PYEOF'
import glob, json, sqlite3, sys
cells = sorted(glob.glob(sys.argv[1] + "/model=*/merged/run.db"))
assert len(cells) == 2, cells
for db in cells:
    rows = sqlite3.connect(db).execute("SELECT item_id, seq, repeat FROM queries").fetchall()
    assert sorted(r[0] for r in rows) == sorted(f"s{i}" for i in range(12)), (db, rows)
    model = json.loads(sqlite3.connect(db).execute("SELECT json FROM manifest").fetchone()[0])["server"]["model"]
    assert db.split("/")[-3] == f"model={model}", (db, model)
print("each merged cell holds every item once")
PYEOF
}
check_cells || fail "merged cells"
"$IPW" compare "$WORK"/sweep/*/merged >"$WORK/compare.log" || { cat "$WORK/compare.log"; fail "compare of the cells"; }

# A task lost (its run and its cell's merge deleted): status says so, resume runs only it.
lost=$(find "$WORK/sweep/model=mock-b/shard-1" -mindepth 1 -maxdepth 1 -type d)
rm -rf "$lost" "$WORK/sweep/model=mock-b/merged"
kept=$(find "$WORK/sweep/model=mock-a/shard-0" -name run.db)
before=$(stat -c %Y "$kept")
set +e
"$IPW" sweep status "$WORK/sweep" >"$WORK/status2.log"
rc=$?
set -e
[ "$rc" = 3 ] && grep -q "task   3  shard 1/2  pending" "$WORK/status2.log" || { cat "$WORK/status2.log"; fail "status of a lost task: exit $rc"; }
"$IPW" sweep resume "$WORK/sweep" >"$WORK/resume.log" 2>&1 || { cat "$WORK/resume.log"; fail "resume"; }
grep -q "task 3 (1 of 1)" "$WORK/resume.log" || { cat "$WORK/resume.log"; fail "resume ran other tasks"; }
[ "$(stat -c %Y "$kept")" = "$before" ] || fail "resume touched a finished task's run"
check_cells || fail "merged cells after resume"
"$IPW" sweep status "$WORK/sweep" >/dev/null || fail "status after resume"
echo "ok: local sweep, status, resume of a lost task, bad plan refused"
