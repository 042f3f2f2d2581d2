#!/usr/bin/env bash
# Thinking models, every way servers stream the thinking (docs/analysis.md,
# "Reasoning and truncation"): reasoning deltas with usage's reasoning count, <think>
# tags in the content without it, a closing tag only with no usage at all, and
# Ollama's `thinking`. Each stored query: the thinking kept out of the scored answer,
# the tokens split (and labelled by where the counts came from), the first answer token
# after the first token, the decode energy split at it (the parts add up), and a
# reply stopped by the token limit stored as truncated, counted by analyze and warned
# about at the end of the run.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

"$PY" - "$WORK/ds.jsonl" "$WORK/answers.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as ds, open(sys.argv[2], "w") as ans:
    for i in range(4):
        prompt = f"Reasoning case {i}: what is {i} plus two?"
        ds.write(json.dumps({"id": f"r{i}", "prompt": prompt, "answer": str(i + 2), "kind": "numeric"}) + "\n")
        ans.write(json.dumps({"prompt": prompt, "answer": f"The answer is {i + 2}",
                              "reasoning": f"I add {i} and two, which makes {i + 2}, so I say {i + 2}."}) + "\n")
PYEOF
printf 't_s,power_w\n0,100\n36000,100\n' >"$WORK/const.csv"

# profile NAME [mock flags...] -- [profile flags...]: one run against a fresh mock;
# its jsonl export is $WORK/NAME.jsonl.
profile() {
  local name=$1 mock=() prof=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do mock+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  prof=("$@")
  start_mock --answers "$WORK/answers.jsonl" --ttft-ms 20 --tokens-per-s 200 "${mock[@]}"
  "$IPW" profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry "replay:$WORK/const.csv" \
    --idle-seconds 0 --warmup 0 --out "$WORK/runs-$name" "${prof[@]}" >"$WORK/$name.out" 2>"$WORK/$name.err" ||
    { cat "$WORK/$name.out" "$WORK/$name.err"; fail "profile $name"; }
  "$IPW" export "$(run_dir_in "$WORK/runs-$name")" --format jsonl -o "$WORK/$name.jsonl" || fail "export $name"
  kill "$MOCK_PID"
}

profile deltas
profile tags --reasoning-format think-tags --no-reasoning-count
profile open --reasoning-format open-think --no-usage
profile ollama -- --api ollama
profile cut -- --max-tokens 5

"$PY" - "$WORK" <<'PYEOF'
import json, pathlib, sys
work = pathlib.Path(sys.argv[1])
def rows(name):
    return [json.loads(l) for l in (work / f"{name}.jsonl").read_text().splitlines()]
for name, source in (("deltas", "usage"), ("tags", "usage+stream"), ("open", "stream"), ("ollama", "usage+stream")):
    for r in rows(name):
        where = f"{name} {r['id']}"
        assert r["error_kind"] == "", (where, r["error"])
        assert r["correct"] is True, (where, "the thinking must not be scored", r["response"], r["extracted"])
        assert "<think>" not in r["response"] and "</think>" not in r["response"], (where, r["response"])
        assert r["reasoning"].startswith("I add") and "makes" in r["reasoning"], (where, r["reasoning"])
        assert r["token_source"] == source, (where, r["token_source"])
        assert r["reasoning_tokens"] > 0 and r["answer_tokens"] > 0, (where, r)
        assert r["reasoning_tokens"] + r["answer_tokens"] == r["output_tokens"], (where, r)
        assert r["finish_reason"] == "stop" and r["truncated"] is False, (where, r["finish_reason"])
        assert r["t_first_answer_token_s"] > r["t_first_token_s"], (where, "the answer follows the thinking")
        # 100 W throughout: each energy is 100 W × its span.
        think_s = r["t_first_answer_token_s"] - r["t_first_token_s"]
        assert abs(r["reasoning_energy_j"] - 100 * think_s) < 1e-6, (where, r["reasoning_energy_j"], think_s)
        assert abs(r["reasoning_energy_j"] + r["answer_energy_j"] - r["decode_energy_j"]) < 1e-9, (where, r)
# The mock's deltas: 12 thinking words then 4 answer words, usage counting both.
d = rows("deltas")[0]
assert (d["reasoning_tokens"], d["answer_tokens"]) == (12, 4), d
# --max-tokens 5 stops every reply while it thinks: no answer, truncated, not correct.
for r in rows("cut"):
    assert r["finish_reason"] == "length" and r["truncated"] is True, r
    assert r["answer_tokens"] == 0 and r["t_first_answer_token_s"] is None, r
    assert r["reasoning_energy_j"] == r["decode_energy_j"] and r["answer_energy_j"] == 0, r
    assert r["correct"] is False, r
print("reasoning ok")
PYEOF
grep -q "warning: 4 of 4 replies (100.0%) stopped at the token limit" "$WORK/cut.err" ||
  { cat "$WORK/cut.err"; fail "no truncation warning at the end of the run"; }
grep -q "warning:.*token limit" "$WORK/deltas.err" && fail "a run without truncation warned about it"
"$IPW" analyze "$(run_dir_in "$WORK/runs-deltas")" >"$WORK/a.txt" || fail "analyze"
grep -q "reasoning share of tokens *75.0%" "$WORK/a.txt" || { cat "$WORK/a.txt"; fail "analyze: reasoning share"; }
grep -q "IPJ were thinking free" "$WORK/a.txt" || { cat "$WORK/a.txt"; fail "analyze: IPJ without thinking"; }
"$IPW" analyze "$(run_dir_in "$WORK/runs-cut")" --json >"$WORK/cut.json" || fail "analyze --json"
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; assert (s["truncated"], s["finish_known"], s["truncated_share"]) == (4, 4, 1.0), s' \
  "$WORK/cut.json" || fail "analyze --json: truncated share"
"$IPW" report "$(run_dir_in "$WORK/runs-cut")" -o "$WORK/cut.html" >/dev/null || fail "report"
"$PY" "$IPW_SOURCE_DIR/tests/e2e/check_report.py" "$WORK/cut.html" "$WORK/cut.png" \
  "text:reasoning share" "text:truncated (length)" "text:4 of 4 replies hit the token limit" || fail "report: reasoning cards"
echo "ok: thinking measured apart in every streaming form; truncation stored, counted and warned about"
