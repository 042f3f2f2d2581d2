#!/usr/bin/env bash
# The LLM judge end to end:
#  1. ipw profile (no judge) on the mock server: chat items stay unscored, not wrong;
#  2. ipw score RUN --judge <mock scripted as a judge>: pairwise and reference verdicts stored in the
#     judgments table with tokens, the queries' verdicts updated, summary.json rewritten to match;
#  3. ipw score --rescore-all again: every verdict from the cache, only the failed one asked again; then
#     the same judge model elsewhere supplies the missing verdict, and a further --rescore-all sends
#     no request at all;
#  4. ipw profile --judge --repeat 2: judged as it goes, repeats from the cache; analyze (table and JSON)
#     reports mean ± σ across repeats, per-category and per-source breakdowns and the judge's totals;
#  5. ipw score with the real llama-server (the tiny model) as judge: every judged query has a verdict
#     or a recorded failure, and ipw exits 0. FAILS (never skips) when llama-server or the model is missing.
source "$(dirname "$0")/lib.sh"
server="${IPW_LLAMA_SERVER:-$IPW_SOURCE_DIR/third_party/llama/build/bin/llama-server}"
model="${IPW_ENGINE_MODEL:-$IPW_SOURCE_DIR/third_party/models/ipw-tiny.gguf}"
[ -x "$server" ] || fail "llama-server not built ($server): run scripts/build-llama.sh"
[ -s "$model" ] || fail "default model missing ($model): run scripts/make-model.sh"

python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
# id, kind, prompt, reference, the model's scripted reply, options
items = [
    ("mc-1", "mc", "Which planet is called the red planet?", "B", "Answer: B", ["Venus", "Mars", "Jupiter", "Saturn"]),
    ("num-1", "numeric", "What is 6 times 7?", "42", "Answer: 41", None),
    ("ex-1", "exact", "Which city is the capital of France?", "Paris", "It is the French capital city, mark-para-true.", None),
    ("ex-2", "exact", "Which metal has the symbol Au?", "gold", "Answer: gold", None),
    ("chat-1", "chat", "Write one sentence about rain.", "Rain falls from clouds when droplets grow heavy.", "Rain is water from clouds mark-chat-good.", None),
    ("chat-2", "chat", "Give a tip for sleeping well.", "Keep a regular bedtime and a dark, cool room.", "Sleep is nice mark-chat-tie.", None),
    ("chat-3", "chat", "Name a benefit of walking.", "Walking strengthens the heart and lifts mood.", "Bananas are yellow mark-chat-bad.", None),
    ("chat-4", "chat", "Describe the sea in five words.", "Vast, blue, restless, salty, deep.", "The sea mark-chat-muddle.", None),
    ("rs-1", "reasoning", "Why does ice float on water?", "Ice is less dense than liquid water.", "Because ice is lighter per volume mark-rs-false.", None),
]
with open(f"{w}/ds.jsonl", "w") as ds, open(f"{w}/answers.jsonl", "w") as ans:
    for id_, kind, prompt, ref, reply, options in items:
        row = {"id": id_, "prompt": prompt, "answer": ref, "kind": kind, "category": kind, "source": "e2e-judge"}
        if options:
            row["options"] = options
        ds.write(json.dumps(row) + "\n")
        ans.write(json.dumps({"prompt": prompt, "answer": reply}) + "\n")
judge = [
    ("mark-para-true", "It names Paris.\nVerdict: True"),
    ("mark-chat-good", "Reply A is vivid and correct.\n[[A>B]]"),
    ("mark-chat-tie", "**Verdict: [[A=B]]**"),
    ("mark-chat-bad", "Reply A is off topic. [[B>>A]]"),
    ("mark-chat-muddle", "Hard to say."),
    ("mark-rs-false", "It skips density.\nVerdict: False"),
]
with open(f"{w}/judge.jsonl", "w") as f:
    for mark, reply in judge:
        f.write(json.dumps({"prompt": mark, "answer": reply}) + "\n")
PY

start_mock --answers "$WORK/answers.jsonl" --ttft-ms 5 --tokens-per-s 0
MODEL_URL="$MOCK_URL"
# The judge takes 300 ms to answer, the model 5 ms: a judge call inside a query's window would show.
start_mock --answers "$WORK/judge.jsonl" --ttft-ms 300 --tokens-per-s 0 --verbose
JUDGE_URL="$MOCK_URL"
judge_requests() { cat "$WORK"/mock.*.out | grep -c "mock: POST /v1/chat/completions" || true; }
common=(--server "$MODEL_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry estimated --idle-seconds 0 --warmup 0)

# 1. Profile without a judge.
"$IPW" profile "${common[@]}" --out "$WORK/runs" >"$WORK/p1.out" 2>&1 || { cat "$WORK/p1.out"; fail "ipw profile failed"; }
run=$(run_dir_in "$WORK/runs")
python3 - "$run/run.db" <<'PY' || fail "unjudged run checks failed"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = {r[0]: r[1:] for r in db.execute("SELECT item_id, correct, score_method FROM queries")}
for chat in ("chat-1", "chat-2", "chat-3", "chat-4", "rs-1"):
    assert rows[chat] == (None, "none"), (chat, rows[chat])
assert rows["ex-1"] == (0, "exact") and rows["mc-1"] == (1, "mc") and rows["num-1"] == (0, "numeric"), rows
assert db.execute("SELECT count(*) FROM judgments").fetchone()[0] == 0
PY
[ "$(judge_requests)" = 0 ] || fail "the judge was asked during a profile without --judge"

# 2. Score with the mock judge.
"$IPW" score "$run" --judge "$JUDGE_URL" --judge-model mock-judge >"$WORK/s1.out" 2>&1 || { cat "$WORK/s1.out"; fail "ipw score failed"; }
python3 - "$run" <<'PY' || { cat "$WORK/s1.out"; fail "judged run checks failed"; }
import json, sqlite3, sys
run = sys.argv[1]
db = sqlite3.connect(f"{run}/run.db")
rows = {r[0]: r[1:] for r in db.execute("SELECT item_id, correct, score_method FROM queries")}
want = {"chat-1": (1, "judge-pairwise"), "chat-2": (1, "judge-pairwise"), "chat-3": (0, "judge-pairwise"),
        "chat-4": (None, "judge-failed"), "rs-1": (0, "judge-reference"), "ex-1": (1, "judge-reference"),
        "ex-2": (1, "exact"), "mc-1": (1, "mc"), "num-1": (0, "numeric")}
for k, v in want.items():
    assert rows[k] == v, (k, rows[k], v)
j = db.execute("SELECT protocol, verdict, correct, input_tokens, output_tokens, error, prompt_version, judge_model FROM judgments").fetchall()
assert len(j) == 6, j
ok = [r for r in j if r[5] is None]
assert sorted(r[1] for r in ok) == ["A=B", "A>B", "B>>A", "false", "true"], ok
assert all(r[3] > 0 and r[4] > 0 for r in j), "judge tokens not recorded"
failed = [r for r in j if r[5] is not None]
assert len(failed) == 1 and "no pairwise verdict" in failed[0][5], failed
assert {r[6] for r in j} == {"pairwise-v1", "reference-v1"} and {r[7] for r in j} == {"mock-judge"}
m = json.loads(db.execute("SELECT json FROM manifest").fetchone()[0])
assert m["judge"]["model"] == "mock-judge" and len(m["judge"]["prompts"]["pairwise"]["sha256"]) == 64, m["judge"]
assert "api_key" not in json.dumps(m["judge"]).replace("api_key_env", ""), "a key in the manifest"
s = json.load(open(f"{run}/summary.json"))["summary"]
scored = [v for v in rows.values() if v[0] is not None]
assert s["scored"] == len(scored) == 8 and s["correct"] == sum(v[0] for v in scored) == 5, s
PY
n1=$(judge_requests)
[ "$n1" = 6 ] || fail "expected 6 judge requests, the judge saw $n1"

# 3. Again with --rescore-all: all from the cache (the failure is asked again: failures are never cached).
"$IPW" score "$run" --judge "$JUDGE_URL" --judge-model mock-judge --rescore-all >"$WORK/s2.out" 2>&1 \
  || { cat "$WORK/s2.out"; fail "second ipw score failed"; }
grep -q "judged    1 by the judge, 5 from the cache, 1 failed" "$WORK/s2.out" || { cat "$WORK/s2.out"; fail "expected 5 cache hits"; }
n2=$(judge_requests)
[ "$n2" = $((n1 + 1)) ] || fail "the cached rescoring sent $((n2 - n1)) requests to the judge, want 1 (the earlier failure)"
# The same judge model, now answering the muddled case too (served elsewhere: the URL is not part of
# the cache key). A plain ipw score asks only for the missing verdict; after that, --rescore-all is
# answered entirely from the cache: not one request reaches the judge.
sed 's/"Hard to say."/"Hard to say.\\nVerdict: [[A=B]]"/' "$WORK/judge.jsonl" >"$WORK/judge2.jsonl"
grep -q 'A=B' "$WORK/judge2.jsonl" || fail "could not script the second judge"
"$IPW_BIN/ipw-mock-server" --port 0 --answers "$WORK/judge2.jsonl" --ttft-ms 0 --tokens-per-s 0 --verbose \
  >"$WORK/judge2.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 200); do grep -q 'listening on' "$WORK/judge2.log" && break; sleep 0.05; done
JUDGE2_URL=$(grep -o 'http://[0-9.:]*' "$WORK/judge2.log" | head -1)
[ -n "$JUDGE2_URL" ] || fail "second judge did not start"
judge2_requests() { grep -c "mock: POST /v1/chat/completions" "$WORK/judge2.log" || true; }
"$IPW" score "$run" --judge "$JUDGE2_URL" --judge-model mock-judge >"$WORK/s2b.out" 2>&1 \
  || { cat "$WORK/s2b.out"; fail "ipw score with the second judge failed"; }
grep -q "judged    1 by the judge, 0 from the cache, 0 failed" "$WORK/s2b.out" || { cat "$WORK/s2b.out"; fail "expected only the missing verdict to be asked"; }
[ "$(judge2_requests)" = 1 ] || fail "expected 1 request for the missing verdict, the judge saw $(judge2_requests)"
"$IPW" score "$run" --judge "$JUDGE2_URL" --judge-model mock-judge --rescore-all >"$WORK/s2c.out" 2>&1 \
  || { cat "$WORK/s2c.out"; fail "cached ipw score failed"; }
grep -q "judged    0 by the judge, 6 from the cache, 0 failed" "$WORK/s2c.out" || { cat "$WORK/s2c.out"; fail "expected 6 cache hits"; }
[ "$(judge2_requests)" = 1 ] || fail "the fully cached ipw score sent $(( $(judge2_requests) - 1 )) requests to the judge"
python3 - "$run/run.db" <<'PY' || fail "verdicts after the second judge"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("SELECT correct, score_method FROM queries WHERE item_id = 'chat-4'").fetchone() == (1, "judge-pairwise")
assert db.execute("SELECT count(*) FROM judgments").fetchone()[0] == 8  # 6 + the failure again + its verdict
PY
# A judge that cannot be reached changes no verdict: the earlier judge's stand (a failed judgment
# once turned them back to wrong and rewrote summary.json with the lower accuracy).
verdicts() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT group_concat(item_id||\":\"||ifnull(correct,\"-\")||\":\"||score_method, \" \") FROM (SELECT * FROM queries ORDER BY item_id, repeat)").fetchone()[0])' "$run/run.db"; }
accuracy() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["accuracy"])' "$run/summary.json"; }
before_v=$(verdicts); before_a=$(accuracy)
if "$IPW" score "$run" --judge "http://127.0.0.1:$(dead_port)" --judge-model x --rescore-all --judge-retries 0 \
     >"$WORK/s2d.out" 2>&1; then cat "$WORK/s2d.out"; fail "ipw score with an unreachable judge exited 0"; fi
[ "$(verdicts)" = "$before_v" ] || { cat "$WORK/s2d.out"; fail "an unreachable judge changed verdicts: $before_v -> $(verdicts)"; }
[ "$(accuracy)" = "$before_a" ] || fail "an unreachable judge changed summary.json's accuracy: $before_a -> $(accuracy)"
grep -q "changed   0 verdicts" "$WORK/s2d.out" || { cat "$WORK/s2d.out"; fail "ipw score should report no changed verdict"; }

# 4. Profile with --judge and --repeat 2: judged as it goes; the second pass's identical answers come
#    from the cache (only the failure is asked again); analyze reports repeats and breakdowns.
"$IPW" profile "${common[@]}" --repeat 2 --judge "$JUDGE_URL" --judge-model mock-judge --out "$WORK/runs2" \
  >"$WORK/p2.out" 2>&1 || { cat "$WORK/p2.out"; fail "ipw profile --judge failed"; }
run2=$(run_dir_in "$WORK/runs2")
python3 - "$run2/run.db" <<'PY' || fail "profile --judge checks failed"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for rep in (0, 1):
    rows = {r[0]: r[1:] for r in db.execute("SELECT item_id, correct, score_method FROM queries WHERE repeat = ?", (rep,))}
    assert rows["chat-1"] == (1, "judge-pairwise") and rows["rs-1"] == (0, "judge-reference"), rows
    assert rows["chat-4"] == (None, "judge-failed"), rows
assert db.execute("SELECT count(*) FROM judgments").fetchone()[0] == 7  # 6 + the failure asked again
# Judge calls happen after a query's energy window closes. Were the judge's 300 ms inside the
# windows, every judged query's would last 300 ms or more; a loaded machine can stretch some
# 5 ms queries past 200 ms (244 ms seen under ASan beside the stress), but not all of them.
# (Repeat 0 only: repeat 1's verdicts come from the cache, no call.)
judged = db.execute("SELECT item_id, repeat, (t_end_ns - t_start_ns) / 1e6 FROM queries WHERE score_method LIKE 'judge%' AND repeat = 0").fetchall()
assert len(judged) >= 3, judged
assert min(w for _, _, w in judged) < 300, f"every judged query's window holds the judge's 300 ms: {judged}"
PY
# A judge key variable that is not set fails before any run directory exists.
if "$IPW" profile "${common[@]}" --judge "$JUDGE_URL" --judge-model m --judge-api-key-env IPW_E2E_UNSET_KEY \
     --out "$WORK/runs3" >"$WORK/p3.out" 2>&1; then fail "profile with an unset --judge-api-key-env succeeded"; fi
grep -q "IPW_E2E_UNSET_KEY" "$WORK/p3.out" || { cat "$WORK/p3.out"; fail "no message naming the unset variable"; }
[ ! -d "$WORK/runs3" ] || [ -z "$(ls -A "$WORK/runs3")" ] || fail "a run directory was left behind"
"$IPW" analyze "$run2" --json >"$WORK/a2.json"
python3 - "$WORK/a2.json" <<'PY' || fail "analyze --json lacks repeats, breakdowns or the judge"
import json, sys
a = json.load(open(sys.argv[1]))
r = a["analysis"]["repeats"]
assert r["repeats"] == 2 and len(r["per_repeat"]) == 2, r
assert r["accuracy"]["mean"] == a["summary"]["accuracy"] and r["accuracy"]["sd"] == 0.0, r  # both passes alike
assert r["mean_energy_j"]["mean"] is not None and r["mean_energy_j"]["sd"] is not None, r
cats = {g["key"]: g for g in a["analysis"]["by_category"]}
assert set(cats) == {"mc", "numeric", "exact", "chat", "reasoning"}, cats
assert cats["chat"]["scored"] == 6 and cats["chat"]["correct"] == 4, cats["chat"]  # 2 passes x (good, tie, bad)
assert [g["key"] for g in a["analysis"]["by_source"]] == ["e2e-judge"]
j = a["judge"]
assert j["judgments"] == 7 and j["failures"] == 2 and j["input_tokens"] > 0, j
assert j["queries_by_score_method"]["judge-pairwise"] == 6 and j["config"]["model"] == "mock-judge", j
PY
"$IPW" analyze "$run2" >"$WORK/a2.txt"
for want in "repeats (2 passes" "by category" "by source" "judge     mock-judge: 7 judgments (2 failed)"; do
  grep -qF "$want" "$WORK/a2.txt" || { cat "$WORK/a2.txt"; fail "analyze table lacks '$want'"; }
done

# 5. The real llama-server as judge: a parseable verdict or a recorded failure, never a crash.
port=$(dead_port)
"$server" --model "$model" --host 127.0.0.1 --port "$port" --alias tiny-judge -t 1 >"$WORK/llama.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 300); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$port/health" >/dev/null || { tail -20 "$WORK/llama.log"; fail "llama-server did not become healthy"; }
"$IPW" score "$run" --judge "http://127.0.0.1:$port" --judge-model tiny-judge --judge-max-tokens 48 --rescore-all \
  >"$WORK/s3.out" 2>&1 || { cat "$WORK/s3.out"; fail "ipw score with llama-server as judge exited non-zero"; }
python3 - "$run/run.db" <<'PY' || { cat "$WORK/s3.out"; fail "llama-server judge checks failed"; }
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
judged = db.execute("SELECT item_id, correct, score_method FROM queries WHERE kind IN ('chat', 'reasoning') OR item_id = 'ex-1'").fetchall()
rows = db.execute("SELECT verdict, correct, error, raw_reply FROM judgments WHERE judge_model = 'tiny-judge'").fetchall()
assert len(rows) == len(judged) == 6, (rows, judged)
for verdict, correct, error, raw in rows:
    assert (verdict is not None and correct is not None and error is None) or (verdict is None and correct is None and error), (verdict, correct, error)
for item, correct, method in judged:
    assert method in ("judge-pairwise", "judge-reference", "judge-failed", "exact"), (item, method)
    assert (correct is None) == (method == "judge-failed"), (item, correct, method)
print(f"llama-server judge: {sum(r[2] is None for r in rows)} verdicts, {sum(r[2] is not None for r in rows)} recorded failures")
PY
echo "judge_test: mock judge verdicts, cache, profile --judge and the llama-server judge all ok"
