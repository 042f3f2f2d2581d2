#!/usr/bin/env bash
# vLLM, SGLang and Ollama started by ipw (--engine vllm|sglang|ollama), with stand-in
# executables on a test PATH that check the command line they get and serve the mock
# server on the port they were given (docs/engines.md): the launcher's arguments, its
# readiness wait, the log kept in the run directory, Ollama's pull of a missing model,
# a clean stop when the run ends, and no server left behind when ipw is killed with -9.
# Real GPU runs are the user's (docs/engines.md says how).
source "$(dirname "$0")/lib.sh"
PY=python3
STANDINS="$WORK/standins"
mkdir -p "$STANDINS"
printf '{"id":"e1","prompt":"What is 1 plus 1?","answer":"2","kind":"numeric"}\n{"id":"e2","prompt":"What is 2 plus 2?","answer":"4","kind":"numeric"}\n' >"$WORK/ds.jsonl"
printf '{"prompt":"What is 1 plus 1?","answer":"2"}\n{"prompt":"What is 2 plus 2?","answer":"4"}\n' >"$WORK/answers.jsonl"

# A stand-in records its command line and environment, checks what every engine must get
# (loopback host, a port), and becomes the mock server on that port.
standin() {  # standin NAME CHECKS (a bash snippet over "$@")
  cat >"$STANDINS/$1" <<SH
#!/usr/bin/env bash
echo "\$0 \$*" >>"$WORK/$1.args"
env | grep '^OLLAMA_' >>"$WORK/$1.args" || true
$2
exec "$IPW_BIN/ipw-mock-server" --port "\$port" --answers "$WORK/answers.jsonl" --ttft-ms 2 --tokens-per-s 500 --model "\$served"
SH
  chmod +x "$STANDINS/$1"
}
# Reads --flag value pairs into variables (port, host, served).
PARSE='while [ $# -gt 0 ]; do case "$1" in --port) port=$2; shift;; --host) host=$2; shift;; --served-model-name) served=$2; shift;; esac; shift; done
[ "$host" = 127.0.0.1 ] || { echo "stand-in: host $host, not 127.0.0.1" >&2; exit 9; }'
standin vllm '[ "$1" = serve ] || { echo "stand-in vllm: expected serve, got $1" >&2; exit 9; }
model=$2; shift 2
'"$PARSE"'
[ "$model" = Qwen/Qwen3-4B ] || { echo "stand-in vllm: model $model" >&2; exit 9; }'
standin python3 '[ "$1 $2" = "-m sglang.launch_server" ] || exec /usr/bin/python3 "$@"
shift 2
args="$*"
'"$PARSE"'
case "$args" in *"--model-path Qwen/Qwen3-4B"*) ;; *) echo "stand-in sglang: no --model-path in $args" >&2; exit 9;; esac'
standin ollama '[ "$1" = serve ] && [ $# = 1 ] || { echo "stand-in ollama: expected serve alone, got $*" >&2; exit 9; }
host=${OLLAMA_HOST%:*}; port=${OLLAMA_HOST##*:}; served=installed-model
[ "$host" = 127.0.0.1 ] || { echo "stand-in ollama: OLLAMA_HOST=$OLLAMA_HOST" >&2; exit 9; }'

profile() {  # profile ENGINE MODEL OUT [flags]
  local engine=$1 model=$2 out=$3
  shift 3
  PATH="$STANDINS:$PATH" "$IPW" profile --engine "$engine" --model "$model" --dataset "$WORK/ds.jsonl" \
    --telemetry estimated --idle-seconds 0 --warmup 0 --out "$out" "$@" >"$out.log" 2>&1 ||
    { cat "$out.log"; for f in "$out"/*/engine-*.log; do [ -f "$f" ] && cat "$f"; done; fail "profile --engine $engine"; }
  run_dir_in "$out"
}

check_run() {  # check_run RUN ENGINE MODEL API
  "$PY" - "$1/run.db" "$2" "$3" "$4" <<'PYEOF'
import json, sqlite3, sys
db, engine, model, api = sys.argv[1:]
db = sqlite3.connect(db)
rows = db.execute("SELECT item_id, error_kind, correct FROM queries").fetchall()
assert len(rows) == 2 and all(not e and c == 1 for _, e, c in rows), rows
m = json.loads(db.execute("SELECT json FROM manifest").fetchone()[0])
assert m["server"]["engine"] == engine and m["server"]["model"] == model and m["config"]["api"] == api, m["server"]
assert m["model"]["engine"] == engine and m["model"]["model_id"] == model, m["model"]
assert "server_models" in m["model"], m["model"]
print(f"{engine}: 2 queries right, manifest names {model} over {api}")
PYEOF
}

for engine in vllm sglang; do
  run=$(profile "$engine" Qwen/Qwen3-4B "$WORK/$engine" --concurrency 2)
  check_run "$run" "$engine" Qwen/Qwen3-4B openai || fail "$engine run"
  ls "$run"/engine-session1.log >/dev/null || fail "$engine: no server log in the run directory"
  grep -q "listening on" "$run"/engine-session1.log || fail "$engine: the log holds no server output"
done
grep -q -- "--served-model-name Qwen/Qwen3-4B" "$WORK/vllm.args" || { cat "$WORK/vllm.args"; fail "vllm's served name"; }
grep -q -- "--max-running-requests 64" "$WORK/python3.args" || { cat "$WORK/python3.args"; fail "sglang's request slots"; }

# Ollama: its own API, its address from OLLAMA_HOST, and the missing model pulled.
run=$(profile ollama llama3.2:1b "$WORK/ollama" --concurrency 2)
check_run "$run" ollama llama3.2:1b ollama || fail "ollama run"
grep -q "OLLAMA_NUM_PARALLEL=2" "$WORK/ollama.args" || { cat "$WORK/ollama.args"; fail "ollama's parallel slots"; }
grep -q "mock: pulled llama3.2:1b" "$run"/engine-session1.log || fail "ollama did not pull the missing model"

# The servers stop with the run, and bad engine arguments are refused before anything starts.
# This test's servers only (their answers file is in $WORK): another test run may have its own.
! pgrep -f "ipw-mock-server.*$WORK/answers.jsonl" >/dev/null || fail "a stand-in server outlived its run"
set +e
PATH="$STANDINS:$PATH" "$IPW" profile --engine vllm --model Qwen/Qwen3-4B --engine-arg --port --engine-arg 9 \
  --out "$WORK/refused" >"$WORK/refused.log" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "cannot be given" "$WORK/refused.log" && [ ! -e "$WORK/refused" ] ||
  { cat "$WORK/refused.log"; fail "--engine-arg --port: exit $rc"; }

# kill -9 of ipw: the server gets SIGTERM from the kernel (PR_SET_PDEATHSIG), nothing is left.
PATH="$STANDINS:$PATH" "$IPW" profile --engine vllm --model Qwen/Qwen3-4B --dataset "$WORK/ds.jsonl" --repeat 500 \
  --telemetry estimated --idle-seconds 0 --warmup 0 --out "$WORK/killed" >"$WORK/killed.log" 2>&1 &
victim=$!
PIDS+=("$victim")
wait_for_rows "$WORK/killed" "SELECT count(*) FROM queries" 2
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
for _ in $(seq 50); do
  pgrep -f "ipw-mock-server.*$WORK/answers.jsonl" >/dev/null || break
  sleep 0.1
done
! pgrep -f "ipw-mock-server.*$WORK/answers.jsonl" >/dev/null || fail "the vllm stand-in outlived ipw's kill -9"
echo "ok: vllm, sglang and ollama launched, measured and stopped; bad engine args refused; nothing left after kill -9"
