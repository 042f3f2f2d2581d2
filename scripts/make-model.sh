#!/usr/bin/env bash
# Writes ipw's default model, third_party/models/ipw-tiny.gguf: a tiny llama-architecture GGUF with
# seeded random weights (scripts/make-model.py), generated with gguf-py from the llama.cpp source
# that scripts/build-llama.sh cloned. Deterministic: same pinned llama.cpp + same seed = same bytes.
# Idempotent: does nothing when the file exists and was made by the current generator.
#
#   scripts/make-model.sh [--out PATH] [--seed N] [--force] [-- extra make-model.py args]
#
# Needs python3 with numpy and yaml (Debian: apt-get install -y python3-numpy python3-yaml).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
llama_dir="${IPW_LLAMA_DIR:-$root/third_party/llama}"
out="$root/third_party/models/ipw-tiny.gguf"
seed=20251107
force=0
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --force) force=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "make-model.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

die() { echo "[make-model] error: $*" >&2; exit 1; }
gguf_py="$llama_dir/src/gguf-py"
[[ -d "$gguf_py/gguf" ]] || die "$gguf_py not found: run scripts/build-llama.sh first (it clones llama.cpp)"

# Debian's python3 carries python3-numpy; a pyenv/venv python3 first on PATH may not.
python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import numpy, yaml' 2>/dev/null; then
    python="$candidate"; break
  fi
done
[[ -n "$python" ]] || die "no python3 with numpy and yaml; on Debian: apt-get install -y python3-numpy python3-yaml"

# The stamp names everything the bytes depend on, so a changed generator or seed regenerates.
llama_commit="$(git -C "$llama_dir/src" rev-parse HEAD 2>/dev/null || echo unknown)"
generator_sum="$(sha256sum "$here/make-model.py" | cut -c1-16)"
want="generator=$generator_sum seed=$seed llama.cpp=$llama_commit args=${extra[*]:-}"
stamp="$out.stamp"
if [[ $force -eq 0 && -s "$out" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "[make-model] up to date: $out" >&2
  exit 0
fi

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
PYTHONPATH="$gguf_py${PYTHONPATH:+:$PYTHONPATH}" "$python" "$here/make-model.py" --out "$tmp" --seed "$seed" "${extra[@]}"
mv "$tmp" "$out"
echo "$want" >"$stamp"
echo "[make-model] wrote $out ($(stat -c %s "$out") bytes, sha256 $(sha256sum "$out" | cut -c1-16)...)" >&2
