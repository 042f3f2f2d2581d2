#!/usr/bin/env bash
# Load on the real llama-server from setup (docs/load.md): the embedded engine at
# concurrency 1 and 4 on the generated model. At 4 the launcher gives the server 4
# parallel slots, output tokens/s is higher and J per output token lower (energy
# estimated on this machine, and labelled so). The contract (every query answered,
# estimated energy labelled, 4 slots, near 4 in flight) holds on every try; the gain
# needs the server to have CPU to batch with, which a saturated machine (the stress
# runs' busy loops beside an ASan suite) does not give it, so it must show on one try
# of three. FAILS (never skips) when llama-server or the model is missing.
source "$(dirname "$0")/lib.sh"
server="${IPW_LLAMA_SERVER:-$IPW_SOURCE_DIR/third_party/llama/build/bin/llama-server}"
model="${IPW_ENGINE_MODEL:-$IPW_SOURCE_DIR/third_party/models/ipw-tiny.gguf}"
[ -x "$server" ] || fail "llama-server not built ($server): run scripts/build-llama.sh"
[ -s "$model" ] || fail "default model missing ($model): run scripts/make-model.sh"
export IPW_LLAMA_SERVER="$server"
for try in 1 2 3; do
for c in 1 4; do
  rm -rf "$WORK/c$c"
  "$IPW" profile --engine llama.cpp --model "$model" --engine-arg -t --engine-arg 1 --dataset builtin \
    --idle-seconds 0 --telemetry estimated --max-tokens 32 --seed 1 --max-queries 40 --concurrency "$c" \
    --out "$WORK/c$c" >"$WORK/c$c.log" 2>&1 || { cat "$WORK/c$c.log"; fail "profile at concurrency $c"; }
  "$IPW" analyze "$(run_dir_in "$WORK/c$c")" --json >"$WORK/c$c.json"
done
grep -q -- "--parallel 4" "$(run_dir_in "$WORK/c4")"/engine-session1.log || fail "llama-server was not given 4 slots"
grep -q -- "--parallel" "$(run_dir_in "$WORK/c1")"/engine-session1.log && fail "concurrency 1 got --parallel"
set +e
python3 - "$WORK/c1.json" "$WORK/c4.json" <<'PY'
import json, sys
c1, c4 = (json.load(open(p)) for p in sys.argv[1:3])
s1, s4 = c1["stages"][0], c4["stages"][0]
for a in (c1, c4):
    if a["summary"]["energy_source"] != "estimated" or a["summary"]["queries"] != 40 or a["summary"]["errors"] != 0:
        sys.exit(f"contract: {a['summary']}")
if not s4["mean_in_flight"] > 2.5:
    sys.exit(f"contract: mean in flight {s4['mean_in_flight']}")
line = (f"llama-server at concurrency 1 -> 4: {s1['output_tokens_per_s']:.0f} -> {s4['output_tokens_per_s']:.0f} "
        f"output tokens/s, {s1['j_per_output_token'] * 1e3:.2f} -> {s4['j_per_output_token'] * 1e3:.2f} mJ/token [estimated]")
print(line)
gain = s4["output_tokens_per_s"] > s1["output_tokens_per_s"] and s4["j_per_output_token"] < s1["j_per_output_token"]
sys.exit(0 if gain else 3)
PY
rc=$?
set -e
[ "$rc" = 0 ] && { echo "ok: load on the real engine (try $try)"; exit 0; }
[ "$rc" = 3 ] || fail "the contract broke on try $try"
done
fail "on three tries concurrency 4 gave no more output tokens/s or no fewer J per token than concurrency 1"
