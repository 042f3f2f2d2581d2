#!/usr/bin/env bash
# Docs and behaviour cannot drift apart: every `ipw` command line in README.md and
# docs/*.md is parsed by the built ipw and, unless it needs hardware or runs until
# stopped, run against the mock server and run directories made here
# (tests/e2e/docs_commands.py says how each placeholder is filled).
source "$(dirname "$0")/lib.sh"
E2E="$IPW_SOURCE_DIR/tests/e2e"
PY=/usr/bin/python3

# The mock answers the built-in workload, and judges: the judge prompts' first lines
# (data/judge/*.txt) come first, so a judge request gets a verdict.
{
  echo '{"prompt": "You are grading one answer to a question.", "answer": "It agrees with the reference.\nVerdict: True"}'
  echo '{"prompt": "You are comparing two replies", "answer": "Both serve the user. [[A=B]]"}'
  cat "$IPW_SOURCE_DIR"/data/builtin/*.jsonl
} >"$WORK/answers.jsonl"
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 1 --tokens-per-s 0

cd "$WORK"
printf 't_s,power_w\n0,50\n3600,50\n' >trace.csv
printf 't_s\n0\n0.2\n0.5\n' >arrivals.csv
# The run directories the docs name. Two models and two release dates, so trend and
# route have something to compare; the cloud run is the bigger "model".
mkrun() {  # mkrun NAME MODEL RELEASE PARAMS
  "$IPW" profile --server "$MOCK_URL" --model "$2" --max-queries 6 --idle-seconds 0 --warmup 0 --telemetry estimated \
    --model-info "release_date=$3" --model-info "parameters=$4" --out "mk-$1" >/dev/null 2>&1 || fail "mkrun $1"
  mv "$(find "mk-$1" -mindepth 1 -maxdepth 1 -type d)" "runs/$1"
  rmdir "mk-$1"
}
mkdir -p runs
mkrun RUNID qwen3:4b 2025-04-29 4B
mkrun A llama3.2:1b 2024-09-25 1B
for n in B a b local local-1 qwen3-4b gpt-oss-20b; do cp -r runs/A "runs/$n"; done
mkrun cloud big-model 2025-06-01 400B
cp -r runs/cloud runs/big-model
# A Hugging Face download of MMLU-Pro as the docs name it (~/MMLU-Pro): Parquet shards of two splits.
mkdir -p MMLU-Pro/data
"$IPW_BIN/ipw-test-write-parquet" "$IPW_SOURCE_DIR/tests/fixtures/datasets/mmlu_pro.jsonl" \
  MMLU-Pro/data/test-00000-of-00001.parquet || fail "writing the MMLU-Pro fixture"
"$IPW_BIN/ipw-test-write-parquet" "$IPW_SOURCE_DIR/tests/fixtures/datasets/mmlu_pro.jsonl" \
  MMLU-Pro/data/validation-00000-of-00001.parquet "*" "question_id = 70" || fail "writing the MMLU-Pro fixture"

# The files the agent docs name: a results file, a task file and a knowledge file.
printf '%s\n' '{"task": "t1", "success": true}' >outcomes.jsonl
printf '%s\n' '{"id": "t1", "prompt": "How long is the pool?", "answer": "50", "kind": "numeric"}' >my-tasks.jsonl
printf '%s\n' '{"pool length": "50 m"}' >facts.json

# The sweep plan the docs name (plan.yaml), and a finished sweep of it (sweeps/demo) for status.
printf 'out: sweeps/demo\nprofile:\n  server: %s\n  max-queries: 2\n  telemetry: estimated\n  idle-seconds: 0\n  warmup: 0\nmatrix:\n  model: [a, b]\nshards: 2\n' \
  "$MOCK_URL" >plan.yaml
"$IPW" sweep plan.yaml >/dev/null 2>&1 || fail "the docs' sweep plan"
"$PY" "$E2E/docs_commands.py" "$IPW_SOURCE_DIR" "$WORK" "$IPW" "$MOCK_URL" >"$WORK/docs.out" 2>"$WORK/docs.err" ||
  { cat "$WORK/docs.out" "$WORK/docs.err"; fail "a documented command line does not work"; }
tail -1 "$WORK/docs.out"
