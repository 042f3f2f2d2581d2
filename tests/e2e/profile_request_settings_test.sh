#!/usr/bin/env bash
# What ipw sends (docs/clients.md, "What is sent"), checked in the request bodies the
# mock received: no max_tokens unless asked (the server's own limit), and every request
# setting — system prompt (text and @FILE), chat-template arguments, reasoning effort,
# stop strings, the paper's sampling, --extra-body (refused when it collides with a key
# ipw sets, unless --extra-body-override) — in both APIs, and stored in the manifest's
# config, from which --resume rebuilds every request. Bad values: exit 2, nothing written.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

printf '{"id": "a", "prompt": "What is 2+2?", "answer": "4", "kind": "numeric"}\n{"id": "b", "prompt": "What is 3+3?", "answer": "6", "kind": "numeric"}\n' >"$WORK/ds.jsonl"
printf 't_s,power_w\n0,100\n36000,100\n' >"$WORK/trace.csv"
printf 'You are terse.\nAnswer with a number.' >"$WORK/system.txt"

start_mock --request-log "$WORK/requests.jsonl"
# run NAME [flags...]: a profile into $WORK/NAME whose requests are $WORK/NAME.jsonl.
run() {
  local name=$1
  shift
  : >"$WORK/requests.jsonl"
  "$IPW" profile --server "$MOCK_URL" --model mock --dataset "$WORK/ds.jsonl" --telemetry "replay:$WORK/trace.csv" \
    --idle-seconds 0 --warmup 0 --out "$WORK/$name" "$@" >"$WORK/$name.out" 2>&1 ||
    { cat "$WORK/$name.out"; fail "profile $name"; }
  cp "$WORK/requests.jsonl" "$WORK/$name.jsonl"
}

run plain
run settings --system-prompt "@$WORK/system.txt" --chat-template-kwargs '{"enable_thinking": true}' \
  --reasoning-effort high --stop "<|end|>" --stop "STOP" --sampling paper --max-tokens 32768 \
  --extra-body '{"repetition_penalty": 1.1}'
run override --extra-body '{"temperature": 1.0, "top_k": 5}' --extra-body-override
run ollama --api ollama --system-prompt "Be brief." --chat-template-kwargs '{"enable_thinking": false}' \
  --stop "STOP" --max-tokens 64 --min-p 0.05

"$PY" - "$WORK" <<'PYEOF'
import json, pathlib, sys
work = pathlib.Path(sys.argv[1])
def bodies(name):
    return [json.loads(l) for l in (work / f"{name}.jsonl").read_text().splitlines() if l.strip()]
plain = bodies("plain")
assert len(plain) == 2, plain
for b in plain:
    assert "max_tokens" not in b, ("no --max-tokens: nothing sent, the server's limit applies", b)
    assert [m["role"] for m in b["messages"]] == ["user"], b
    for key in ("stop", "chat_template_kwargs", "reasoning_effort", "min_p", "repetition_penalty"):
        assert key not in b, (key, b)
    assert b["temperature"] == 0.6 and b["top_p"] == 0.95 and b["top_k"] == 20, b
for b in bodies("settings"):
    assert b["messages"][0] == {"role": "system", "content": "You are terse.\nAnswer with a number."}, b["messages"]
    assert b["messages"][1]["role"] == "user", b
    assert b["chat_template_kwargs"] == {"enable_thinking": True}, b
    assert b["reasoning_effort"] == "high" and b["stop"] == ["<|end|>", "STOP"], b
    assert (b["temperature"], b["top_p"], b["top_k"], b["min_p"]) == (0.6, 0.95, 20, 0), b
    assert b["max_tokens"] == 32768 and b["repetition_penalty"] == 1.1, b
for b in bodies("override"):
    assert b["temperature"] == 1.0 and b["top_k"] == 5, b
for b in bodies("ollama"):
    assert b["messages"][0] == {"role": "system", "content": "Be brief."}, b
    assert b["think"] is False, b
    o = b["options"]
    assert o["stop"] == ["STOP"] and o["num_predict"] == 64 and o["min_p"] == 0.05, o
run_dir = next((work / "settings").iterdir())
import sqlite3
m = json.loads(sqlite3.connect(run_dir / "run.db").execute("SELECT json FROM manifest").fetchone()[0])
d = m["decoding"]
assert d["system_prompt"] == "You are terse.\nAnswer with a number." and d["reasoning_effort"] == "high", d
assert d["stop"] == ["<|end|>", "STOP"] and d["max_tokens"] == 32768 and d["min_p"] == 0, d
c = m["config"]
assert c["chat_template_kwargs"] == '{"enable_thinking": true}' and c["extra_body"] == '{"repetition_penalty": 1.1}', c
print("request settings ok")
PYEOF

# Bad settings: a clear message, exit 2, nothing written.
profile_refused "--extra-body must be a JSON object" --extra-body '[1, 2]'
profile_refused "--extra-body is not JSON" --extra-body '{oops'
profile_refused "--extra-body sets temperature, which ipw sets itself" --extra-body '{"temperature": 1.0}'
profile_refused "--chat-template-kwargs must be a JSON object" --chat-template-kwargs '"yes"'
profile_refused "Ollama has no equivalent" --api ollama --chat-template-kwargs '{"custom": 1}'
profile_refused "--sampling paper sets --temperature" --sampling paper --temperature 1.0
profile_refused "--system-prompt @$WORK/missing.txt: cannot read the file" --system-prompt "@$WORK/missing.txt"
echo "ok: every request setting sent as documented, stored, and checked before a run starts"
