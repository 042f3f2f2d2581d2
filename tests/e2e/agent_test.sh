#!/usr/bin/env bash
# ipw agent (docs/agents.md) on the mock server: the built-in task set, each task a
# tool call the agent runs (lookup, convert_units, calculator) and a final answer the
# mock gives once the tool's result is back. Every task is two turns of one task in
# the run, its outcome is its scored answer (two scripted wrong answers fail), and
# the run's tasks section says so; a task file of the user's works too, and an
# unreachable server fails every task without losing the run.
source "$(dirname "$0")/lib.sh"
PY=python3
TASKS="$IPW_SOURCE_DIR/data/agent/tasks.jsonl"

"$PY" - "$TASKS" "$WORK/answers.jsonl" <<'PYEOF'
import json, sys
tools = [("lookup", {"key": "lab GPU peak power"}), ("convert_units", {"value": 1, "from": "mile", "to": "km"}),
         ("calculator", {"expression": "(2 + 3) * 4"})]
with open(sys.argv[2], "w") as f:
    for n, line in enumerate(open(sys.argv[1])):
        t = json.loads(line)
        name, args = tools[n % 3]
        answer = t["answer"] if n not in (1, 4) else "12345"  # two wrong on purpose
        f.write(json.dumps({"prompt": t["prompt"], "answer": f"Worked it out. Answer: {answer}",
                            "tool_calls": [{"name": name, "arguments": args}]}) + "\n")
PYEOF
# The task files of the user's below.
printf '%s\n' '{"prompt": "Conv first", "answer": "Hi there"}' '{"prompt": "Conv second", "answer": "Ready"}' \
  '{"prompt": "Conv final", "answer": "Answer: 42"}' >>"$WORK/answers.jsonl"
printf '%s\n' '{"prompt": "Pool question", "answer": "Answer: 50", "tool_calls": [{"name": "lookup", "arguments": {"key": "pool length"}}]}' \
  >>"$WORK/answers.jsonl"
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 5 --tokens-per-s 2000 --deterministic
"$IPW" agent --server "$MOCK_URL" --idle-seconds 0 --telemetry estimated --concurrency 3 --out "$WORK/runs" \
  >"$WORK/agent.out" 2>"$WORK/agent.err" || { cat "$WORK/agent.out" "$WORK/agent.err"; fail "ipw agent"; }
n=$(grep -c '' "$TASKS")
grep -q "$((n - 2)) of $n tasks solved ($n with an outcome)" "$WORK/agent.out" || { cat "$WORK/agent.out"; fail "summary line"; }
run=$(run_dir_in "$WORK/runs")
"$IPW" export "$run" --format jsonl -o "$WORK/agent.jsonl"
"$IPW" analyze "$run" --json >"$WORK/agent.json" || fail "analyze"
"$PY" - "$WORK/agent.jsonl" "$WORK/agent.json" "$n" <<'PYEOF' || fail "agent run"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
t = json.load(open(sys.argv[2]))["tasks"]
n = int(sys.argv[3])
assert len(rows) == 2 * n, len(rows)
by = {}
for r in rows:
    assert r["error_kind"] == "", r
    by.setdefault(r["task"], []).append(r)
assert len(by) == n, sorted(by)
for task, rs in by.items():
    rs.sort(key=lambda r: r["turn"])
    assert [r["turn"] for r in rs] == [1, 2] and [r["tool_calls"] for r in rs] == [1, 0], rs
    assert rs[0]["finish_reason"] == "tool_calls" and "Answer:" in rs[1]["response"], rs
s = t["summary"]
assert s["tasks"] == n and s["with_outcome"] == n and s["succeeded"] == n - 2, s
rows_t = {r["task"]: r for r in t["tasks"]}
assert rows_t["agent-002"]["success"] is False and rows_t["agent-005"]["success"] is False, rows_t["agent-002"]
assert rows_t["agent-001"]["success"] is True and rows_t["agent-001"]["turns"] == 2, rows_t["agent-001"]
assert s["ipj_per_task"] and s["ipj_per_task"] > 0, s
print(f"agent: {n} tasks, {n - 2} solved, IPJ per task {s['ipj_per_task']:.4g}")
PYEOF

# A task file of the user's, and a turn limit the mock's scripted tool calls exceed.
printf '%s\n' '{"id": "mine", "prompt": "Pool question: how long is the pool?", "answer": "50", "kind": "numeric"}' >"$WORK/mine.jsonl"
"$IPW" agent --server "$MOCK_URL" --idle-seconds 0 --telemetry estimated --tasks "$WORK/mine.jsonl" --max-turns 1 \
  --out "$WORK/limit" >"$WORK/limit.out" 2>"$WORK/limit.err" || { cat "$WORK/limit.err"; fail "turn limit run"; }
grep -q "task mine: no final answer within 1 turns" "$WORK/limit.err" || { cat "$WORK/limit.err"; fail "turn limit"; }
grep -q "0 of 1 tasks solved (1 with an outcome)" "$WORK/limit.out" || { cat "$WORK/limit.out"; fail "turn limit summary"; }

# A conversation (an item with context) is replayed turn by turn with the model's own
# replies: three requests of one task, the last one scored.
printf '%s\n' '{"id": "conv", "prompt": "Conv final: six times seven?", "answer": "42", "kind": "numeric", "context": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Conv first: hello"}, {"role": "assistant", "content": "the dataset reply, not sent"}, {"role": "user", "content": "Conv second: ready?"}]}' \
  >"$WORK/conv.jsonl"
"$IPW" agent --server "$MOCK_URL" --idle-seconds 0 --telemetry estimated --tasks "$WORK/conv.jsonl" --out "$WORK/conv" \
  >"$WORK/conv.out" 2>"$WORK/conv.err" || { cat "$WORK/conv.err"; fail "conversation run"; }
grep -q "1 of 1 tasks solved" "$WORK/conv.out" || { cat "$WORK/conv.out" "$WORK/conv.err"; fail "conversation summary"; }
"$IPW" export "$(run_dir_in "$WORK/conv")" --format jsonl | "$PY" -c '
import json, sys
rows = sorted((json.loads(l) for l in sys.stdin), key=lambda r: r["turn"])
assert [(r["task"], r["turn"]) for r in rows] == [("conv", 1), ("conv", 2), ("conv", 3)], rows
assert [r["response"] for r in rows] == ["Hi there", "Ready", "Answer: 42"], [r["response"] for r in rows]' ||
  fail "conversation turns"

# The server down: every task fails with the reason, the run is still whole.
"$IPW" agent --server "http://127.0.0.1:$(dead_port)" --idle-seconds 0 --telemetry estimated --tasks "$WORK/mine.jsonl" \
  --out "$WORK/down" >"$WORK/down.out" 2>"$WORK/down.err" || { cat "$WORK/down.err"; fail "down run"; }
grep -q "task mine: HTTP 502" "$WORK/down.err" || { cat "$WORK/down.err"; fail "no 502 for a dead server"; }
"$IPW" tasks "$(run_dir_in "$WORK/down")" --json | "$PY" -c '
import json, sys
t = json.load(sys.stdin)
assert t["summary"]["with_outcome"] == 1 and t["summary"]["succeeded"] == 0, t' || fail "down outcome"
echo "ok: agent"
