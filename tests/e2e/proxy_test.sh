#!/usr/bin/env bash
# ipw proxy (docs/agents.md) in front of the mock server: three agents at once run
# tagged tasks (tool calls, tool results, follow-ups; OpenAI and Ollama; streamed and
# not). Replies through the proxy are byte-identical to the server's own; every
# request is stored with its task, turn and tool calls; the tasks' energies add up to
# the run's attributed energy and conserve the replayed trace's; an unreachable
# upstream is a 502 with a JSON error and a failed query, and the proxy keeps serving;
# malformed JSON is forwarded and recorded as an error; Ctrl-C ends the run cleanly.
source "$(dirname "$0")/lib.sh"
E2E="$IPW_SOURCE_DIR/tests/e2e"
PY=python3

"$PY" - "$WORK/answers.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for c in range(3):
        for k in range(2):
            task = f"agent{c}-task{k}"
            f.write(json.dumps({"prompt": f"Task {task}: what is {c} plus {k}?", "answer": f"{c + k} is the sum",
                                "tool_calls": [{"name": "calculator", "arguments": {"expression": f"{c}+{k}"}}]}) + "\n")
            f.write(json.dumps({"prompt": f"Task {task}: and twice that?", "answer": f"twice is {2 * (c + k)}"}) + "\n")
PYEOF
"$PY" "$E2E/replay_trace.py" write "$WORK/trace.csv" 600
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 20 --tokens-per-s 200 --deterministic

start_proxy() {  # start_proxy UPSTREAM OUT: sets PROXY_URL, PROXY_PID
  "$IPW" proxy --upstream "$1" --listen 127.0.0.1:0 --telemetry "replay:$WORK/trace.csv" --idle-seconds 0 \
    --out "$WORK/$2" >"$WORK/$2.log" 2>&1 &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  for _ in $(seq 400); do
    PROXY_URL=$(grep -o 'ipw proxy: http://[0-9.:]*' "$WORK/$2.log" | head -1 | cut -d' ' -f3 || true)
    [ -n "$PROXY_URL" ] && return 0
    kill -0 "$PROXY_PID" 2>/dev/null || { cat "$WORK/$2.log"; fail "ipw proxy exited"; }
    sleep 0.05
  done
  cat "$WORK/$2.log"
  fail "ipw proxy did not start"
}
stop_proxy() {  # Ctrl-C, as a user ends it
  kill -INT "$PROXY_PID"
  wait "$PROXY_PID" || { cat "$WORK/$1.log"; fail "ipw proxy exited with $? after Ctrl-C"; }
}

start_proxy "$MOCK_URL" agents
"$PY" "$E2E/proxy_clients.py" "$PROXY_URL" "$MOCK_URL" "$WORK/clients.json" || fail "clients"
# A request that is not a completion (models list) passes through too.
[ "$(curl -s "$PROXY_URL/v1/models")" = "$(curl -s "$MOCK_URL/v1/models")" ] || fail "GET /v1/models differs"
# Malformed JSON: forwarded unchanged (the mock's 400 comes back) and recorded as an error.
code=$(curl -s -o "$WORK/bad.out" -w '%{http_code}' -H 'X-IPW-Task: broken' -d '{"messages": [' "$PROXY_URL/v1/chat/completions")
[ "$code" = 400 ] || fail "malformed JSON: HTTP $code"
stop_proxy agents
grep -q "requests recorded in" "$WORK/agents.log" || { cat "$WORK/agents.log"; fail "no closing line"; }
run=$(run_dir_in "$WORK/agents")
"$IPW" export "$run" --format jsonl -o "$WORK/agents.jsonl"
"$IPW" export "$run" --telemetry -o "$WORK/agents.samples.csv"
"$IPW" analyze "$run" --json >"$WORK/agents.json" || fail "analyze"
"$PY" - "$WORK/clients.json" "$WORK/agents.jsonl" "$WORK/agents.json" "$run" "$WORK/trace.csv" "$E2E" \
  "$WORK/agents.samples.csv" <<'PYEOF' || fail "agents"
import json, sqlite3, sys
sys.path.insert(0, sys.argv[6])
import replay_trace
clients = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2])]
d = json.load(open(sys.argv[3]))
assert len(clients) == 18 and all(c["status"] == 200 for c in clients), clients
bad = [c for c in clients if not c["identical"]]
assert not bad, f"replies through the proxy differ from the server's: {bad}"
assert {(c["api"], c["stream"]) for c in clients} == {("openai", True), ("openai", False), ("ollama", True), ("ollama", False)}
ok = [r for r in rows if r["task"] != "broken"]
assert len(ok) == 18 and len(rows) == 19, len(rows)
broken = [r for r in rows if r["task"] == "broken"][0]
assert broken["error_kind"] == "bad_request" and "not a JSON object" in broken["error"], broken
for r in ok:
    assert r["error_kind"] == "", r
    assert r["energy_j"] and r["energy_j"] > 0, r
    assert r["output_tokens"], r
tasks = {}
for r in sorted(ok, key=lambda r: r["t_start_s"]):
    tasks.setdefault(r["task"], []).append(r)
assert sorted(tasks) == sorted(f"agent{c}-task{k}" for c in range(3) for k in range(2)), sorted(tasks)
for t, rs in tasks.items():
    assert [r["turn"] for r in rs] == [1, 2, 3], (t, [r["turn"] for r in rs])  # in the order they were sent
    assert [r["tool_calls"] for r in rs] == [1, 0, 0], (t, [r["tool_calls"] for r in rs])
    assert rs[0]["finish_reason"] == "tool_calls" and rs[2]["response"].startswith("twice is"), rs
    # The prompt grows with the conversation (usage prompt tokens: the mock counts the last user turn).
    assert all(r["input_tokens"] for r in rs), rs
# Conservation: the requests' energies plus the unattributed equal the measured energy,
# and the measured energy is the replayed trace's exact integral over the stage.
stage = json.loads(sqlite3.connect(sys.argv[4] + "/run.db").execute("SELECT totals_json FROM sessions").fetchone()[0])["stages"][0]
measured = sum(v for v in stage["measured_energy_j"].values())
unattributed = sum(v for v in stage["unattributed_energy_j"].values())
per_task = {t: sum(r["energy_j"] for r in rs) for t, rs in tasks.items()}
attributed = sum(per_task.values()) + broken["energy_j"]
assert abs(attributed + unattributed - measured) < 1e-6 * measured, (attributed, unattributed, measured)
ts, ps = replay_trace.load(sys.argv[5])
exact = replay_trace.integral(ts, ps, stage["t_start_ns"] * 1e-9, stage["t_end_ns"] * 1e-9)
(st, sp), = replay_trace.load_samples(sys.argv[7]).values()
through = replay_trace.integral(st, sp, stage["t_start_ns"] * 1e-9, stage["t_end_ns"] * 1e-9)
assert abs(measured - through) < 1e-6 * through, (measured, through)
bound = replay_trace.interpolation_bound(ts, ps, st, stage["t_start_ns"] * 1e-9, stage["t_end_ns"] * 1e-9)
assert abs(measured - exact) <= 0.005 * exact + bound, (measured, exact, bound)
assert d["summary"]["queries"] == 19, d["summary"]
print(f"proxy: 18 requests in 6 tasks byte-identical; per-task energy {min(per_task.values()):.2f}-"
      f"{max(per_task.values()):.2f} J, conserved to {abs(attributed + unattributed - measured):.2e} J")
PYEOF

# Task outcomes: attached from a results file (one names a task the run lacks: warned,
# ignored); energy between requests adds up with the requests' to the measured energy.
"$PY" - "$WORK/results.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for c in range(3):
        for k in range(2):
            f.write(json.dumps({"task": f"agent{c}-task{k}", "success": c != 1, "score": c / 2}) + "\n")
    f.write(json.dumps({"task": "no-such-task", "success": True}) + "\n")
PYEOF
"$IPW" tasks "$run" --results "$WORK/results.jsonl" >"$WORK/tasks.txt" 2>"$WORK/tasks.err" || { cat "$WORK/tasks.err"; fail "ipw tasks"; }
grep -q "warning: 1 result(s) name tasks this run has no request of, ignored: no-such-task" "$WORK/tasks.err" ||
  { cat "$WORK/tasks.err"; fail "no warning of the unknown task"; }
grep -q "agent1-task0" "$WORK/tasks.txt" || { cat "$WORK/tasks.txt"; fail "no task table"; }
"$IPW" analyze "$run" --json >"$WORK/agents.json" || fail "analyze"
"$IPW" analyze "$run" | grep -q "IPJ per task" || fail "analyze prints no tasks section"
"$PY" - "$WORK/agents.jsonl" "$WORK/agents.json" "$run" "$E2E" "$WORK/agents.samples.csv" <<'PYEOF' || fail "tasks"
import json, sqlite3, sys
sys.path.insert(0, sys.argv[4])
import replay_trace
rows = [json.loads(l) for l in open(sys.argv[1])]
t = json.load(open(sys.argv[2]))["tasks"]
stage = json.loads(sqlite3.connect(sys.argv[3] + "/run.db").execute("SELECT totals_json FROM sessions").fetchone()[0])["stages"][0]
measured = sum(v for v in stage["measured_energy_j"].values())
by_task = {r["task"]: r for r in t["tasks"]}
assert len(by_task) == 7, sorted(by_task)  # six agents' tasks and the broken request's
s = t["summary"]
assert s["with_outcome"] == 6 and s["succeeded"] == 4, s
assert abs(s["success_rate"] - 4 / 6) < 1e-12 and s["success_ci95"][0] < 4 / 6 < s["success_ci95"][1], s
energy = {}
for r in rows:
    energy[r["task"]] = energy.get(r["task"], 0) + r["energy_j"]
for name, row in by_task.items():
    assert abs(row["request_energy_j"] - energy[name]) < 1e-9 * energy[name], (name, row, energy[name])
    assert row["between_energy_j"] is not None and row["between_energy_j"] >= 0, row
# The first tool's 0.15 s was the agent's own: with three agents, some of it had no
# request in flight anywhere.
assert sum(by_task[n]["between_energy_j"] for n in by_task) > 0, by_task
assert by_task["broken"]["between_energy_j"] == 0, by_task["broken"]  # one request: nothing between
agent = [n for n in by_task if n != "broken"]
mean_e = sum(energy[n] for n in agent) / 6
assert abs(s["ipj_per_task"] - (4 / 6) / mean_e) < 1e-9 * s["ipj_per_task"], (s, mean_e)
# Every joule of the stage: a request's, a task's between its requests, or outside every task.
(st, sp), = replay_trace.load_samples(sys.argv[5]).values()
lives = sorted((min(r["t_start_s"] for r in rows if r["task"] == n), max(r["t_end_s"] for r in rows if r["task"] == n))
               for n in by_task)
t0, t1 = stage["t_start_ns"] * 1e-9, stage["t_end_ns"] * 1e-9
outside, covered = 0.0, t0
for a, b in lives:
    if a > covered:
        outside += replay_trace.integral(st, sp, covered, a)
    covered = max(covered, b)
outside += replay_trace.integral(st, sp, covered, t1)
total = sum(energy.values()) + sum(r["between_energy_j"] for r in by_task.values()) + outside
assert abs(total - measured) < 1e-4 * measured, (total, measured, outside)
print(f"tasks: success 4/6, IPJ per task {s['ipj_per_task']:.4g}/J, between requests "
      f"{sum(r['between_energy_j'] for r in by_task.values()):.2f} J, stage closes to {abs(total - measured):.2e} J")
PYEOF

# Upstream down: 502 with a JSON error, recorded as a failed request, and the proxy serves on.
start_proxy "http://127.0.0.1:$(dead_port)" down
for i in 1 2; do
  code=$(curl -s -o "$WORK/down.$i.json" -w '%{http_code}' -H 'X-IPW-Task: t' -d '{"messages":[{"role":"user","content":"hi"}]}' \
    "$PROXY_URL/v1/chat/completions")
  [ "$code" = 502 ] || fail "unreachable upstream: HTTP $code"
  "$PY" -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert "no reply from the inference server" in e["message"], e' \
    "$WORK/down.$i.json" || fail "502 body"
done
stop_proxy down
"$IPW" export "$(run_dir_in "$WORK/down")" --format jsonl -o "$WORK/down.jsonl"
"$PY" - "$WORK/down.jsonl" <<'PYEOF' || fail "down"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["error_kind"] for r in rows] == ["connect", "connect"], rows
assert [r["turn"] for r in rows] == [1, 2] and "cannot reach the inference server" in rows[0]["error"], rows
PYEOF

# Proxy runs are not shards: ipw merge refuses them by name and writes nothing.
code=0
"$IPW" merge "$run" "$(run_dir_in "$WORK/down")" -o "$WORK/merged" >"$WORK/merge.log" 2>&1 || code=$?
[ "$code" = 2 ] && [ ! -e "$WORK/merged" ] || { cat "$WORK/merge.log"; fail "merge of proxy runs: exit $code"; }
grep -q "is a run of ipw proxy" "$WORK/merge.log" || { cat "$WORK/merge.log"; fail "merge's message"; }

# Refused before anything is written: a bad upstream, and a non-loopback address without a token.
for args in "--upstream ftp://x" "--upstream $MOCK_URL --listen 0.0.0.0:0"; do
  # shellcheck disable=SC2086
  if "$IPW" proxy $args --out "$WORK/refused" >"$WORK/refused.log" 2>&1; then fail "ipw proxy $args ran"; fi
  [ ! -e "$WORK/refused" ] || fail "ipw proxy $args wrote a run"
done
grep -q "token" "$WORK/refused.log" || { cat "$WORK/refused.log"; fail "no word of the token"; }
echo "ok: proxy"
