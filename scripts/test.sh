#!/usr/bin/env bash
# Runs the whole test suite: the normal build, clang's thread-safety analysis, the
# threaded unit tests under ThreadSanitizer (tests/tsan/), the ASan+UBSan build, then
# the fuzz targets over their corpora and for a short timed run each (fuzz/run.sh).
# Installs and builds whatever is missing first (scripts/setup.sh), so it works
# on a fresh Debian 12 machine. After each pass, tests/leak_check.sh fails the
# run if a process the tests started is still alive.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"

bash scripts/setup.sh

# Every process the suite starts inherits this tag; the leak check looks for it.
export IPW_TEST_SUITE_TAG="ipw-suite-$$-$(date +%s%N)"

echo "== tests (build/) =="
ctest --test-dir build --output-on-failure -j"$jobs"
bash tests/leak_check.sh "$IPW_TEST_SUITE_TAG"

echo "== clang thread-safety analysis =="
bash scripts/thread-safety.sh build

echo "== threaded unit tests under ThreadSanitizer (build-tsan/, clang) =="
cmake -S tests/tsan -B build-tsan -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build-tsan -j"$jobs"
# Without address-space randomisation: clang 14's TSan runtime cannot map its shadow memory
# on kernels that randomise with more bits than it expects (vm.mmap_rnd_bits > 28).
setarch "$(uname -m)" -R ctest --test-dir build-tsan --output-on-failure -j"$jobs"
bash tests/leak_check.sh "$IPW_TEST_SUITE_TAG"

echo "== tests under ASan+UBSan (build-asan/) =="
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DIPW_SANITIZE=ON -DIPW_BUILD_BENCH=OFF -DIPW_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
bash tests/leak_check.sh "$IPW_TEST_SUITE_TAG"

echo "== fuzz targets (build-fuzz/, clang + libFuzzer) =="
cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build-fuzz -j"$jobs"
bash fuzz/run.sh build-fuzz "${IPW_FUZZ_SECONDS:-6}"
