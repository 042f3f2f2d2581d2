#!/usr/bin/env bash
# tests/leak_check.sh (run by scripts/test.sh after each pass) finds a process
# that carries the suite's tag, names it, kills it and fails; and passes once
# none is left. Uses its own tag, so the suite's real check is not disturbed.
set -euo pipefail
: "${IPW_SOURCE_DIR:?}"
check="$IPW_SOURCE_DIR/tests/leak_check.sh"
tag="leak-selftest-$$-$RANDOM"
export IPW_LEAK_GRACE_S=1
out=$(mktemp)
trap 'kill "$child" 2>/dev/null || true; rm -f "$out"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A detached grandchild in its own session, as a daemon would be: still found.
IPW_TEST_SUITE_TAG="$tag" setsid sleep 300 </dev/null >/dev/null 2>&1 &
child=$!
sleep 0.2
if bash "$check" "$tag" >"$out" 2>&1; then cat "$out"; fail "a leaked process was not reported"; fi
grep -q "sleep 300" "$out" || { cat "$out"; fail "the report does not name the leaked process"; }
alive() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }  # a zombie is dead
for _ in $(seq 50); do alive "$child" || break; sleep 0.1; done
alive "$child" && fail "the leaked process was not killed"
bash "$check" "$tag" >"$out" 2>&1 || { cat "$out"; fail "the check fails with nothing left running"; }
# As scripts/test.sh runs it: with the tag in its own environment. It must not find itself.
IPW_TEST_SUITE_TAG="$tag" bash "$check" "$tag" >"$out" 2>&1 ||
  { cat "$out"; fail "the check, run with the tag in its environment, reports itself"; }
echo "leak check self-test passed"
