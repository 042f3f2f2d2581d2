#!/usr/bin/env bash
# Datasets as users download them (docs/workloads.md, "Parquet and Arrow"): a Parquet file
# with a preset, a hub folder of Parquet shards read one --split at a time (the split held
# on --resume), the reference harness's save_to_disk folder of .arrow files, a WildChat
# conversation's earlier turns sent as context, --list-formats; and the failures: a corrupt
# Parquet file, a missing column, a missing DuckDB library — each a clear message with
# nothing written.
source "$(dirname "$0")/lib.sh"
start_mock --tokens-per-s 2000 --request-log "$WORK/requests.jsonl"
common=(--server "$MOCK_URL" --model mock --idle-seconds 0 --warmup 0 --telemetry estimated)
fixtures="$IPW_SOURCE_DIR/tests/fixtures/datasets"
parquet="$IPW_BIN/ipw-test-write-parquet"
manifest() { python3 -c 'import json,sqlite3,sys; print(json.dumps(json.loads(sqlite3.connect(sys.argv[1]).execute("SELECT json FROM manifest").fetchone()[0])["workload"]))' "$1/run.db"; }
# refused NAME EXPECTED-MESSAGE EXIT [flags...]: the profile fails with EXIT, says EXPECTED-MESSAGE, writes nothing.
refused() {
  local name="$1" want="$2" code="$3"
  shift 3
  set +e
  "$IPW" profile "${common[@]}" --out "$WORK/$name" "$@" >"$WORK/$name.out" 2>&1
  local rc=$?
  set -e
  [ "$rc" = "$code" ] || { cat "$WORK/$name.out"; fail "$name: exit $rc, expected $code"; }
  grep -qF -- "$want" "$WORK/$name.out" || { cat "$WORK/$name.out"; fail "$name: no '$want' in the message"; }
  [ ! -e "$WORK/$name" ] || [ -z "$(ls -A "$WORK/$name")" ] || fail "$name left a run directory"
}

# 1. A Parquet file in MMLU-Pro's layout.
"$parquet" "$fixtures/mmlu_pro.jsonl" "$WORK/mmlu.parquet"
"$IPW" profile --dataset "$WORK/mmlu.parquet" --format mmlu-pro --out "$WORK/r1" "${common[@]}" >"$WORK/o1" 2>&1 ||
  { cat "$WORK/o1"; fail "parquet profile"; }
r1=$(run_dir_in "$WORK/r1")
manifest "$r1" | python3 -c '
import json, sys
w = json.load(sys.stdin)
assert w["items"] == 3 and w["format"] == "mmlu-pro" and len(w["sha256"]) == 64, w
assert w["files"] and w["files"][0].endswith("mmlu.parquet"), w' || fail "parquet manifest"

# 2. A hub folder: two splits, the test split in two shards.
mkdir -p "$WORK/hub/data"
"$parquet" "$fixtures/mmlu_pro.jsonl" "$WORK/hub/data/test-00000-of-00002.parquet" "*" "question_id = 70"
"$parquet" "$fixtures/mmlu_pro.jsonl" "$WORK/hub/data/test-00001-of-00002.parquet" "*" "question_id = 71"
"$parquet" "$fixtures/mmlu_pro.jsonl" "$WORK/hub/data/validation-00000-of-00001.parquet" "*" "question_id = 72"
refused nosplit "holds the splits test, validation: choose one with --split" 1 --dataset "$WORK/hub" --format mmlu-pro
"$IPW" profile --dataset "$WORK/hub" --split test --format mmlu-pro --out "$WORK/r2" "${common[@]}" \
  >"$WORK/o2" 2>&1 || { cat "$WORK/o2"; fail "hub folder profile"; }
r2=$(run_dir_in "$WORK/r2")
manifest "$r2" | python3 -c '
import json, sys
w = json.load(sys.stdin)
assert w["split"] == "test" and w["items"] == 2 and len(w["files"]) == 2, w' || fail "hub manifest"
set +e
"$IPW" profile --resume "$r2" --split validation "${common[@]}" >"$WORK/o2b" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "dataset_split" "$WORK/o2b" || { cat "$WORK/o2b"; fail "--resume let the split change (exit $rc)"; }
# The stored split is the one reloaded (without it the folder's two splits would be refused).
"$IPW" profile --resume "$r2" "${common[@]}" >"$WORK/o2c" 2>&1 || { cat "$WORK/o2c"; fail "resume of the split run"; }

# 3. The reference harness's mixed workload, a save_to_disk folder of .arrow files.
"$IPW" profile --dataset "$fixtures/mixed_1k_seed1_base" --format ipw-mixed --out "$WORK/r3" "${common[@]}" \
  >"$WORK/o3" 2>&1 || { cat "$WORK/o3"; fail "save_to_disk profile"; }
python3 - "$(run_dir_in "$WORK/r3")/run.db" <<'PY' || fail "mixed items"
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT kind, source FROM queries ORDER BY seq").fetchall()
assert rows == [("chat", "wildchat"), ("reasoning", "natural-reasoning"), ("chat", "lmsys-chat")], rows
PY

# 4. WildChat from Arrow: the earlier turns reach the server before the prompt.
: >"$WORK/requests.jsonl"
"$IPW" profile --dataset "$fixtures/arrow/wildchat.arrow" --format wildchat --skip-bad-rows --out "$WORK/r4" \
  "${common[@]}" >"$WORK/o4" 2>&1 || { cat "$WORK/o4"; fail "wildchat profile"; }
python3 - "$WORK/requests.jsonl" <<'PY' || fail "context turns"
import json, sys
bodies = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
turns = [[(m["role"], m["content"]) for m in b["messages"]] for b in bodies]
assert [("user", "Bonjour !"), ("assistant", "Bonjour ! Comment puis-je vous aider ?"), ("user", "Merci.")] in turns, turns
PY

# 5. Failures: nothing is written and the message says what to do.
printf 'PAR1 not really parquet' >"$WORK/broken.parquet"
refused corrupt "broken.parquet: cannot read it as Parquet" 1 --dataset "$WORK/broken.parquet"
"$parquet" "$fixtures/mmlu_pro.jsonl" "$WORK/partial.parquet" "question, options, answer, answer_index"
refused column "the mmlu-pro layout needs the column 'question_id'" 1 --dataset "$WORK/partial.parquet" --format mmlu-pro
IPW_DUCKDB_LIBRARY=/nonexistent/libduckdb.so refused nolib "npm ci" 1 --dataset "$WORK/mmlu.parquet"
refused splitfile "--split chooses a split of a dataset folder" 2 --dataset "$WORK/mmlu.parquet" --split test

# 6. --list-formats names every preset with its columns.
"$IPW" profile --list-formats >"$WORK/formats.txt" || fail "--list-formats"
for want in "mmlu-pro  TIGER-Lab/MMLU-Pro" "supergpqa" "GPQA Diamond" "math500" "natural-reasoning" "wildchat" \
  "simpleqa" "ipw-mixed" "'answer' or 'answer_index'" "parquet"; do
  grep -qF -- "$want" "$WORK/formats.txt" || { cat "$WORK/formats.txt"; fail "--list-formats lacks '$want'"; }
done
echo "PASS"
