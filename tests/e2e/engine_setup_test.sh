#!/usr/bin/env bash
# The setup steps of the embedded engine are cached and reproducible: a second scripts/build-llama.sh
# does nothing (and says so) when the pinned build exists, and scripts/make-model.sh writes a
# byte-identical model for the same seed (and a different one for another seed). FAILS when the
# engine was never built.
set -euo pipefail
# Self-contained (no lib.sh): ctest sets IPW_BIN (the build's bin directory) and IPW_SOURCE_DIR.
: "${IPW_BIN:?IPW_BIN must be set}" "${IPW_SOURCE_DIR:?IPW_SOURCE_DIR must be set}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipw-e2e-engine.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
S="$IPW_SOURCE_DIR/scripts"
build_dir="${IPW_LLAMA_DIR:-$IPW_SOURCE_DIR/third_party/llama}/build"
[ -x "$build_dir/bin/llama-server" ] || fail "llama-server not built: run scripts/build-llama.sh"

start_ns=$(date +%s%N)
"$S/build-llama.sh" >"$WORK/build.out" 2>&1 || { cat "$WORK/build.out"; fail "build-llama.sh failed"; }
took_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
grep -q "up to date: node-llama-cpp" "$WORK/build.out" || { cat "$WORK/build.out"; fail "second build-llama.sh did not report 'up to date'"; }
[ "$took_ms" -lt 5000 ] || fail "cached build-llama.sh took ${took_ms} ms"
source "$S/llama-version.env"
grep -qx "node-llama-cpp=$NODE_LLAMA_CPP_VERSION" "$build_dir/ipw-llama.stamp" || fail "build stamp does not name the pinned version"

"$S/make-model.sh" --out "$WORK/a.gguf" >"$WORK/m1.out" 2>&1 || { cat "$WORK/m1.out"; fail "make-model.sh failed"; }
"$S/make-model.sh" --out "$WORK/b.gguf" >"$WORK/m2.out" 2>&1 || { cat "$WORK/m2.out"; fail "make-model.sh failed"; }
cmp -s "$WORK/a.gguf" "$WORK/b.gguf" || fail "make-model.sh is not deterministic for one seed"
"$S/make-model.sh" --out "$WORK/a.gguf" 2>&1 | grep -q "up to date" || fail "second make-model.sh regenerated"
"$S/make-model.sh" --out "$WORK/c.gguf" --seed 7 >/dev/null 2>&1 || fail "make-model.sh --seed 7 failed"
! cmp -s "$WORK/a.gguf" "$WORK/c.gguf" || fail "a different seed gave the same model"
head -c 4 "$WORK/a.gguf" | grep -q GGUF || fail "model is not a GGUF file"
echo "engine_setup_test: cached build (${took_ms} ms) and deterministic model"
