#!/usr/bin/env bash
# Builds llama.cpp's llama-server and llama-bench (CPU backend, Release, no network features) from the
# source bundle inside the pinned npm package node-llama-cpp (scripts/llama-version.env).
#
# Idempotent and cached: a second run with the same pinned version and the binaries present does nothing.
#
#   scripts/build-llama.sh [--targets "llama-server llama-bench ..."] [--jobs N]
#
# Outputs (under the repository root):
#   third_party/llama/pkg/node-llama-cpp-<ver>.tgz   the npm tarball (cache)
#   third_party/llama/src                            llama.cpp source cloned from the bundle
#   third_party/llama/build/bin/llama-server         the server ipw launches
#   third_party/llama/build/bin/llama-bench          the reference benchmark
#   third_party/llama/build/ipw-llama.stamp          pinned version + llama.cpp commit of the build
# Environment: IPW_LLAMA_DIR overrides third_party/llama; IPW_LLAMA_JOBS sets build parallelism.
# Needs: npm (nodejs), git, cmake, ninja-build (or make), g++.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=llama-version.env
source "$here/llama-version.env"
ver="${NODE_LLAMA_CPP_VERSION:?llama-version.env must set NODE_LLAMA_CPP_VERSION}"

llama_dir="${IPW_LLAMA_DIR:-$root/third_party/llama}"
targets="llama-server llama-bench"
jobs="${IPW_LLAMA_JOBS:-$(nproc 2>/dev/null || echo 2)}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --targets) targets="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "build-llama.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

log() { echo "[build-llama] $*" >&2; }
die() { echo "[build-llama] error: $*" >&2; exit 1; }

for tool in npm git cmake tar; do
  command -v "$tool" >/dev/null || die "'$tool' not found; on Debian: apt-get install -y nodejs npm git cmake ninja-build g++"
done

build_dir="$llama_dir/build"
src_dir="$llama_dir/src"
stamp="$build_dir/ipw-llama.stamp"

all_built() {
  [[ -f "$stamp" ]] && grep -qx "node-llama-cpp=$ver" "$stamp" || return 1
  local t
  for t in $targets; do [[ -x "$build_dir/bin/$t" ]] || return 1; done
}

if all_built; then
  log "up to date: node-llama-cpp $ver ($targets) in $build_dir/bin"
  exit 0
fi

mkdir -p "$llama_dir/pkg"
tgz="$llama_dir/pkg/node-llama-cpp-$ver.tgz"
if [[ ! -s "$tgz" ]]; then
  log "fetching node-llama-cpp@$ver from the npm registry"
  (cd "$llama_dir/pkg" && npm pack --silent "node-llama-cpp@$ver" >/dev/null)
  [[ -s "$tgz" ]] || die "npm pack did not produce $tgz"
fi

bundle="$llama_dir/pkg/gitRelease-$ver.bundle"
if [[ ! -s "$bundle" ]]; then
  log "extracting llama/gitRelease.bundle"
  tar -xzf "$tgz" -O package/llama/gitRelease.bundle >"$bundle.tmp" \
    || die "the package has no llama/gitRelease.bundle"
  mv "$bundle.tmp" "$bundle"
fi

# The source tree is tied to the pinned version; a version change re-clones it.
if [[ ! -f "$src_dir/.ipw-version" ]] || [[ "$(cat "$src_dir/.ipw-version")" != "$ver" ]]; then
  log "cloning llama.cpp from the bundle"
  rm -rf "$src_dir" "$build_dir"
  git -c advice.detachedHead=false clone --quiet "$bundle" "$src_dir"
  echo "$ver" >"$src_dir/.ipw-version"
fi
commit="$(git -C "$src_dir" rev-parse HEAD)"

generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  log "configuring (CPU backend, Release, no network features)"
  cmake -S "$src_dir" -B "$build_dir" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=ON \
    -DLLAMA_BUILD_SERVER=ON \
    -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF \
    >"$llama_dir/configure.log" 2>&1 || { tail -30 "$llama_dir/configure.log" >&2; die "cmake configure failed (log: $llama_dir/configure.log)"; }
fi

log "building $targets with $jobs jobs (about 5 minutes on 2 cores)"
start_s=$(date +%s)
# shellcheck disable=SC2086
cmake --build "$build_dir" --config Release -j "$jobs" --target $targets
for t in $targets; do [[ -x "$build_dir/bin/$t" ]] || die "$t was not produced"; done
printf 'node-llama-cpp=%s\nllama.cpp=%s\ntargets=%s\n' "$ver" "$commit" "$targets" >"$stamp"
log "done in $(( $(date +%s) - start_s )) s: $build_dir/bin ($targets)"
