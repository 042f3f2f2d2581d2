#!/usr/bin/env bash
# `ipw profile`'s workload flags reach the loaders: --format (a public benchmark's preset), --field
# (a CSV with its own column names), --skip-bad-rows (bad rows named file:line, skipped, recorded),
# --sample N --seed S --stratify (a deterministic subset, the same on every run), and --resume keeps
# the run's subset fixed.
source "$(dirname "$0")/lib.sh"
start_mock --tokens-per-s 2000
common=(--server "$MOCK_URL" --model mock --idle-seconds 0 --warmup 0 --telemetry estimated)
ids() { "$IPW" export "$1" --format jsonl | python3 -c 'import json,sys; print(" ".join(json.loads(l)["id"] for l in sys.stdin))'; }

# 1. --format mmlu-pro on the preset's fixture: every row becomes a multiple-choice item.
"$IPW" profile --dataset "$IPW_SOURCE_DIR/tests/fixtures/datasets/mmlu_pro.jsonl" --format mmlu-pro \
  --out "$WORK/r1" "${common[@]}" >"$WORK/o1" 2>&1 || { cat "$WORK/o1"; fail "mmlu-pro profile"; }
r1=$(run_dir_in "$WORK/r1")
python3 - "$r1/run.db" <<'PY' || fail "mmlu-pro items"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT kind, reference FROM queries").fetchall()
assert len(rows) == 3 and all(k == "mc" for k, _ in rows), rows
assert sorted(r for _, r in rows) == ["B", "C", "D"], rows   # letters, from answer or answer_index
w = json.loads(db.execute("SELECT json FROM manifest").fetchone()[0])["workload"]
assert w["format"] == "mmlu-pro" and w["items"] == 3, w
PY

# 2. A CSV with its own column names and one bad row.
cat >"$WORK/own.csv" <<'CSV'
qid,question,gold,type,topic
c1,What is 2 plus 2?,4,numeric,maths
c2,What is 3 plus 3?,6,numeric,maths
c3,What is the capital of France?,,exact,geography
c4,What is 5 plus 5?,10,numeric,maths
CSV
fields=(--field id=qid --field prompt=question --field answer=gold --field kind=type --field category=topic)
set +e
"$IPW" profile --dataset "$WORK/own.csv" "${fields[@]}" --out "$WORK/r2" "${common[@]}" >"$WORK/o2" 2>"$WORK/e2"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$WORK/o2" "$WORK/e2"; fail "a bad row should be fatal by default (exit $rc)"; }
grep -q "own.csv:4" "$WORK/e2" || { cat "$WORK/e2"; fail "the bad row is not named file:line"; }
[ ! -e "$WORK/r2" ] || [ -z "$(ls -A "$WORK/r2")" ] || fail "a bad dataset left a run directory"

"$IPW" profile --dataset "$WORK/own.csv" "${fields[@]}" --skip-bad-rows --out "$WORK/r3" "${common[@]}" \
  >"$WORK/o3" 2>"$WORK/e3" || { cat "$WORK/o3" "$WORK/e3"; fail "--skip-bad-rows profile"; }
grep -q "own.csv:4.*row skipped" "$WORK/e3" || { cat "$WORK/e3"; fail "the skipped row is not reported"; }
r3=$(run_dir_in "$WORK/r3")
[ "$(ids "$r3")" = "c1 c2 c4" ] || fail "expected items c1 c2 c4, got: $(ids "$r3")"
python3 - "$r3/run.db" <<'PY' || fail "skipped rows in the manifest"
import json, sqlite3, sys
w = json.loads(sqlite3.connect(sys.argv[1]).execute("SELECT json FROM manifest").fetchone()[0])["workload"]
assert len(w["skipped_rows"]) == 1 and "own.csv:4" in w["skipped_rows"][0], w
PY

# 3. --sample with --seed and --stratify: the same subset twice, both categories kept.
python3 "$IPW_SOURCE_DIR/tests/e2e/fixtures_small_dataset.py" "$WORK/ds.jsonl" "$WORK/answers.jsonl"
for d in r4 r5; do
  "$IPW" profile --dataset "$WORK/ds.jsonl" --sample 4 --seed 7 --stratify category --out "$WORK/$d" \
    "${common[@]}" >"$WORK/o$d" 2>&1 || { cat "$WORK/o$d"; fail "--sample profile"; }
done
a=$(ids "$(run_dir_in "$WORK/r4")"); b=$(ids "$(run_dir_in "$WORK/r5")")
[ "$a" = "$b" ] || fail "--sample 4 --seed 7 picked different items: '$a' vs '$b'"
[ "$(wc -w <<<"$a")" = 4 ] || fail "--sample 4 gave: $a"
"$IPW" export "$(run_dir_in "$WORK/r4")" --format jsonl | python3 -c '
import collections, json, sys
c = collections.Counter(json.loads(l)["category"] for l in sys.stdin)
assert c == {"science": 2, "maths": 2}, c' || fail "--stratify category did not keep the shares"
"$IPW" profile --dataset "$WORK/ds.jsonl" --sample 4 --sample-seed 8 --stratify category --out "$WORK/r6" \
  "${common[@]}" >"$WORK/o6" 2>&1 || { cat "$WORK/o6"; fail "--sample-seed profile"; }
[ "$(ids "$(run_dir_in "$WORK/r6")")" != "$a" ] || fail "another --sample-seed picked the same 4 of 8 items"

# 4. --stratify without --sample, and a malformed --field, are usage errors before any run exists.
set +e
"$IPW" profile --dataset "$WORK/ds.jsonl" --stratify category --out "$WORK/r7" "${common[@]}" >/dev/null 2>"$WORK/e7"
rc7=$?
"$IPW" profile --dataset "$WORK/own.csv" --field prompt --out "$WORK/r7" "${common[@]}" >/dev/null 2>"$WORK/e8"
rc8=$?
set -e
[ "$rc7" != 0 ] && grep -q -- "--sample" "$WORK/e7" || { cat "$WORK/e7"; fail "--stratify alone: exit $rc7"; }
[ "$rc8" != 0 ] && grep -q "IPW_FIELD=COLUMN" "$WORK/e8" || { cat "$WORK/e8"; fail "--field without '=': exit $rc8"; }
[ ! -e "$WORK/r7" ] || [ -z "$(ls -A "$WORK/r7")" ] || fail "a usage error left a run directory"

# 5. Resume keeps the subset: another --sample-seed is refused; the stored one is used.
r4=$(run_dir_in "$WORK/r4")
set +e
"$IPW" profile --resume "$r4" --sample-seed 9 >/dev/null 2>"$WORK/e9"
rc9=$?
set -e
[ "$rc9" != 0 ] && grep -q "cannot change" "$WORK/e9" || { cat "$WORK/e9"; fail "resume accepted a new subset (exit $rc9)"; }
"$IPW" profile --resume "$r4" --server "$MOCK_URL" >"$WORK/o10" 2>&1 || { cat "$WORK/o10"; fail "resume"; }
[ "$(ids "$r4")" = "$a" ] || fail "resume changed the run's items"
echo "ok: --format, --field, --skip-bad-rows, --sample/--seed/--stratify, resume keeps the subset"
