#!/usr/bin/env bash
# Fails when a process started by the test suite is still alive.
#   tests/leak_check.sh TAG
# scripts/test.sh exports IPW_TEST_SUITE_TAG=TAG before ctest, so every process
# the suite starts (mock servers, ipw monitor, llama-server, Prometheus,
# Chromium, daemons that detach) inherits it in its environment, whatever its
# parent or session. After ctest this lists every process still carrying the
# tag, waits a few seconds for those already stopping, then reports the rest,
# kills them (so one leak does not pile up on the next run) and exits 1.
set -uo pipefail
tag="${1:?usage: tests/leak_check.sh TAG}"
# Our own helpers (tr, sleep) must not carry the tag, or they would be listed.
unset IPW_TEST_SUITE_TAG

carriers() {
  local p env
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    [ "$p" = "$$" ] && continue
    env=$(2>/dev/null <"/proc/$p/environ" tr '\0' '\n') || continue
    case "$env" in *"IPW_TEST_SUITE_TAG=$tag"*) echo "$p" ;; esac
  done
}

for _ in $(seq 50); do
  left=$(carriers)
  [ -z "$left" ] && { echo "leak check: no test process left running"; exit 0; }
  sleep 0.1
done
echo "leak check: FAILED: processes started by the test suite are still running:" >&2
for p in $left; do
  printf '  pid %s (parent %s): %s\n' "$p" "$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null)" \
    "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
done
for p in $left; do kill -9 "$p" 2>/dev/null; done
exit 1
