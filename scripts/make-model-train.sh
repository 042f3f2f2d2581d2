#!/usr/bin/env bash
# Trains a tiny model with llama.cpp's finetune example (CPU) on a project-generated corpus
# (scripts/make-model-corpus.py), writing third_party/models/ipw-tiny-trained.gguf. Optional: the
# default model (scripts/make-model.sh) has random weights; see docs/engines.md for what training
# achieves on a small CPU and how long it takes.
#
#   scripts/make-model-train.sh [--items N] [--epochs E] [--lr LR] [--threads T] [--out PATH]
#                               [--model-args "--dim 64 --layers 2 --heads 4 --ff 192"]
#
# Writes next to the output: <out>.corpus.txt, <out>.init.gguf, <out>.train.log (with the command
# and the wall-clock time).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
llama_dir="${IPW_LLAMA_DIR:-$root/third_party/llama}"
out="$root/third_party/models/ipw-tiny-trained.gguf"
items=600
epochs=2
lr=2e-3
threads="$(nproc 2>/dev/null || echo 2)"
seed=20251107
model_args="--dim 64 --layers 2 --heads 4 --ff 192 --ctx 2048"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --items) items="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --lr) lr="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --model-args) model_args="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "make-model-train.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

"$here/build-llama.sh" --targets "llama-finetune"
finetune="$llama_dir/build/bin/llama-finetune"
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2086
"$here/make-model.sh" --out "$out.init.gguf" --seed "$seed" -- $model_args

python=python3
"$python" -c 'import sys' 2>/dev/null || python=/usr/bin/python3
"$python" "$here/make-model-corpus.py" --out "$out.corpus.txt" --items "$items" --seed "$seed"

# -c 256: every corpus item fits in one window; finetune slides windows of n_ctx by n_ctx/2.
cmd=("$finetune" -m "$out.init.gguf" -f "$out.corpus.txt" -c 256 -b 256 -ub 256 -t "$threads"
     --epochs "$epochs" -lr "$lr" --val-split 0.05 -opt adamw -o "$out.tmp")
echo "[make-model-train] ${cmd[*]}" | tee "$out.train.log" >&2
start_s=$(date +%s)
"${cmd[@]}" >>"$out.train.log" 2>&1 || { tail -20 "$out.train.log" >&2; exit 1; }
mv "$out.tmp" "$out"
took=$(( $(date +%s) - start_s ))
echo "[make-model-train] trained in ${took} s -> $out" | tee -a "$out.train.log" >&2
# The last progress line of each epoch: loss and next-token accuracy, train and validation.
tr '\r' '\n' <"$out.train.log" | grep -E '^(train|val):' | tail -4 >&2 || true
