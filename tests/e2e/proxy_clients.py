"""Clients of `ipw proxy` for tests/e2e/proxy_test.sh: agents that run tagged tasks
through the proxy and, request for request, straight against the (deterministic) mock
server, and compare the bytes of the two replies.

  proxy_clients.py PROXY_URL MOCK_URL OUT.json

Three client threads at once, each running two tasks of three turns: a chat turn that
the mock answers with tool calls, the tool's result sent back, and a last question;
streamed and not, OpenAI and Ollama. OUT.json records, per request in the order each
task sent them: the task, the turn, the API, whether it streamed, and whether the
bodies (and status codes) were identical.
"""
import json
import sys
import threading
import time
import urllib.error
import urllib.request

PROXY, MOCK, OUT = sys.argv[1], sys.argv[2], sys.argv[3]


def post(base, path, body, headers):
    req = urllib.request.Request(base + path, data=body, method="POST",
                                 headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def turn_body(api, stream, messages, extra):
    if api == "openai":
        b = {"model": "mock", "messages": messages, "stream": stream, **extra}
        return "/v1/chat/completions", b
    return "/api/chat", {"model": "mock", "messages": messages, "stream": stream, **extra}


results = []
lock = threading.Lock()


def run_task(client, k):
    task = f"agent{client}-task{k}"
    api = "openai" if (client + k) % 2 == 0 else "ollama"
    stream = client != 1  # client 1 never streams
    # Client 2 tags by the OpenAI `user` field instead of the header (OpenAI only).
    by_user = client == 2 and api == "openai"
    headers = {} if by_user else {"X-IPW-Task": task}
    extra = {"user": task} if by_user else {}
    if api == "openai" and stream and k == 1:
        extra["stream_options"] = {"include_usage": True}  # asked by the client itself: passed as is
    messages = [{"role": "user", "content": f"Task {task}: what is {client} plus {k}?"}]
    for turn in range(1, 4):
        path, body = turn_body(api, stream, messages, extra)
        raw = json.dumps(body).encode()
        s_proxy, via_proxy = post(PROXY, path, raw, headers)
        s_direct, direct = post(MOCK, path, raw, headers)
        with lock:
            results.append({"task": task, "turn": turn, "api": api, "stream": stream,
                            "status": s_proxy, "identical": s_proxy == s_direct and via_proxy == direct,
                            "proxy_bytes": len(via_proxy), "direct_bytes": len(direct)})
        if turn == 1:  # the mock asked for a tool: answer it (the tool takes a while)
            time.sleep(0.15)
            messages.append({"role": "assistant", "content": "", "tool_calls": [
                {"id": "call_0", "type": "function", "function": {"name": "calculator", "arguments": "{}"}}]})
            messages.append({"role": "tool", "tool_call_id": "call_0", "content": str(client + k)})
        else:
            messages.append({"role": "assistant", "content": "ok"})
            messages.append({"role": "user", "content": f"Task {task}: and twice that?"})


def client_main(client):
    for k in range(2):
        run_task(client, k)


threads = [threading.Thread(target=client_main, args=(c,)) for c in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
json.dump(results, open(OUT, "w"), indent=1)
