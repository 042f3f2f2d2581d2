#!/usr/bin/env bash
# Shards and merge against the mock server (docs/cluster.md): `--shard I/N` runs
# exactly the items whose id hashes to I (checked here with Python's own SHA-256), the
# shards cover the workload once, `ipw merge` makes one run that analyze, export,
# compare and report read as any other, and a resume keeps its shard. Refusals: a bad
# --shard, a resume with another shard, shards of different experiments, a shard twice.
source "$(dirname "$0")/lib.sh"
E2E="$IPW_SOURCE_DIR/tests/e2e"
PY=python3

"$PY" - "$WORK/ds.jsonl" "$WORK/answers.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as ds, open(sys.argv[2], "w") as ans:
    for i in range(30):
        prompt = f"What is {i} times 3?"
        ds.write(json.dumps({"id": f"item-{i}", "prompt": prompt, "answer": str(3 * i), "kind": "numeric"}) + "\n")
        ans.write(json.dumps({"prompt": prompt, "answer": str(3 * i) if i % 4 else "I do not know"}) + "\n")
PYEOF
"$PY" "$E2E/replay_trace.py" write "$WORK/trace.csv" 300
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 5 --tokens-per-s 500

profile() {  # profile OUT [flags...]
  local out="$1"
  shift
  "$IPW" profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry "replay:$WORK/trace.csv" \
    --idle-seconds 0 --warmup 0 --repeat 2 --out "$out" "$@" >"$out.log" 2>&1 || { cat "$out.log"; fail "profile $*"; }
}

profile_refused "--shard '3/3': I must be between 0 and 2" --shard 3/3
profile_refused "--shard 'half'" --shard half

profile "$WORK/whole"
for i in 0 1 2; do profile "$WORK/s$i" --shard "$i/3"; done
shards=("$(run_dir_in "$WORK/s0")" "$(run_dir_in "$WORK/s1")" "$(run_dir_in "$WORK/s2")")

# Each shard holds exactly its items (Python's SHA-256 of the id, first 8 bytes, mod N).
for i in 0 1 2; do
  "$PY" - "${shards[$i]}/run.db" "$i" <<'PYEOF' || fail "shard $i's items"
import hashlib, json, sqlite3, sys
db, index = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
rows = db.execute("SELECT item_id, seq, repeat FROM queries").fetchall()
assert rows, "an empty shard"
for item, seq, repeat in rows:
    assert int(hashlib.sha256(item.encode()).hexdigest()[:16], 16) % 3 == index, (item, index)
    assert item == f"item-{seq}", (item, seq)  # seq is the position in the whole workload
want = {f"item-{i}" for i in range(30) if int(hashlib.sha256(f"item-{i}".encode()).hexdigest()[:16], 16) % 3 == index}
assert {r[0] for r in rows} == want and len(rows) == 2 * len(want), (len(rows), len(want))
manifest = json.loads(db.execute("SELECT json FROM manifest").fetchone()[0])
assert manifest["workload"]["shard"] == {"index": index, "count": 3}, manifest["workload"]
print(f"shard {index}/3: {len(want)} items")
PYEOF
done

# A resume keeps the shard, and may not change it.
set +e
"$IPW" profile --resume "${shards[0]}" --shard 1/3 >"$WORK/reshard.log" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "'shard' was \"0/3\"" "$WORK/reshard.log" || { cat "$WORK/reshard.log"; fail "resume with another shard: exit $rc"; }

# Refusals write nothing: a shard twice, another experiment (temperature), an existing target.
merge_refused() {  # merge_refused EXPECTED RUN...
  local want="$1"
  shift
  set +e
  "$IPW" merge "$@" -o "$WORK/refused-merge" >"$WORK/merge-refused.log" 2>&1
  local rc=$?
  set -e
  [ "$rc" = 2 ] || { cat "$WORK/merge-refused.log"; fail "merge $* exited $rc, expected 2"; }
  grep -qF -- "$want" "$WORK/merge-refused.log" || { cat "$WORK/merge-refused.log"; fail "merge: no '$want'"; }
  [ ! -e "$WORK/refused-merge" ] || fail "a refused merge wrote its target"
}
merge_refused "is given twice" "${shards[0]}" "${shards[1]}" "${shards[1]}"
profile "$WORK/s1-again" --shard 1/3
merge_refused "shard 1/3 is given twice" "${shards[0]}" "${shards[1]}" "$(run_dir_in "$WORK/s1-again")"
profile "$WORK/hot" --shard 2/3 --temperature 0.9
merge_refused "temperature: 0.6 in" "${shards[0]}" "${shards[1]}" "$(run_dir_in "$WORK/hot")"
merge_refused "shard 2 of 3 missing" "${shards[0]}" "${shards[1]}"

"$IPW" merge "${shards[@]}" -o "$WORK/merged" >"$WORK/merge.log" 2>&1 || { cat "$WORK/merge.log"; fail "merge"; }
grep -q "merged 3 runs (60 queries, 3 sessions" "$WORK/merge.log" || { cat "$WORK/merge.log"; fail "merge's summary line"; }
[ -f "$WORK/merged/summary.json" ] || fail "no summary.json in the merged run"

# The merged run is the unsharded run's workload, each query once, and reads as a run.
whole=$(run_dir_in "$WORK/whole")
"$IPW" export "$whole" --format jsonl -o "$WORK/whole.jsonl"
"$IPW" export "$WORK/merged" --format jsonl -o "$WORK/merged.jsonl"
"$IPW" export "$WORK/merged" --telemetry -o "$WORK/merged.samples.csv"
"$IPW" analyze "$WORK/merged" --json >"$WORK/merged.json"
"$IPW" analyze "$whole" --json >"$WORK/whole.json"
"$PY" - "$WORK/whole.jsonl" "$WORK/merged.jsonl" "$WORK/whole.json" "$WORK/merged.json" <<'PYEOF' || fail "merged vs whole"
import json, sys
whole = [json.loads(l) for l in open(sys.argv[1])]
merged = [json.loads(l) for l in open(sys.argv[2])]
key = lambda r: (r["stage"], r["seq"], r["repeat"])
assert sorted(map(key, merged)) == sorted(map(key, whole)) and len(set(map(key, merged))) == 60
by_key = {key(r): r for r in whole}
for r in merged:  # the mock's answers are fixed: every verdict and token count is the unsharded run's
    w = by_key[key(r)]
    assert (r["id"], r["correct"], r["output_tokens"]) == (w["id"], w["correct"], w["output_tokens"]), r
assert {r["session"] for r in merged} == {1, 2, 3}
a, b = json.load(open(sys.argv[3]))["summary"], json.load(open(sys.argv[4]))["summary"]
for k in ("queries", "accuracy", "correct"):
    assert a.get(k) == b.get(k), (k, a.get(k), b.get(k))
print(f"merged: 60 queries as in the unsharded run, accuracy {b['accuracy']}")
PYEOF
# Every merged energy is the trace's integral over its window, through its own shard's samples.
"$PY" "$E2E/replay_trace.py" check "$WORK/trace.csv" "$WORK/merged.jsonl" 0.005 "$WORK/merged.samples.csv" ||
  fail "merged energies"
"$IPW" compare "$WORK/merged" "$whole" >"$WORK/compare.txt" || fail "compare on a merged run"
"$IPW" report "$WORK/merged" -o "$WORK/report.html" >/dev/null || fail "report on a merged run"
grep -q "<html" "$WORK/report.html" || fail "the report is not HTML"
echo "ok: shards cover the workload once; merge makes one run that analyze, export, compare and report read"
