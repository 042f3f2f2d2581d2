#!/usr/bin/env bash
# Fails when a process started by the test suite is still alive.
#   tests/leak_check.sh TAG
# scripts/test.sh exports IPW_TEST_SUITE_TAG=TAG before ctest, so every process
# the suite starts (mock servers, ipw monitor, llama-server, Prometheus,
# Chromium, daemons that detach) inherits it in its environment, whatever its
# parent or session. After ctest this lists every process still carrying the
# tag, waits up to 10 s for those already stopping, then reports the rest,
# kills them (so one leak does not pile up on the next run) and exits 1.
set -uo pipefail
tag="${1:?usage: tests/leak_check.sh TAG}"
# Neither this script nor its subshells and helpers may carry the tag, or they
# would list themselves: /proc/PID/environ is the environment a process was
# exec'd with (unset would not change it), so start again without it.
if [ -n "${IPW_TEST_SUITE_TAG+x}" ]; then exec env -u IPW_TEST_SUITE_TAG bash "$0" "$@"; fi

carriers() {
  # grep -z reads each environment as NUL-separated lines; one process for the whole scan.
  grep -lszxF -- "IPW_TEST_SUITE_TAG=$tag" /proc/[0-9]*/environ 2>/dev/null | sed -n 's#^/proc/\([0-9]*\)/environ$#\1#p' |
    grep -vx -- "$$"
}

# Up to IPW_LEAK_GRACE_S (default 10) seconds for processes already on their
# way out (a trap's kill just sent); what is left after that was leaked.
left=""
for _ in $(seq "$(( ${IPW_LEAK_GRACE_S:-10} * 10 ))"); do
  left=$(carriers)
  [ -z "$left" ] && { echo "leak check: no test process left running"; exit 0; }
  sleep 0.1
done
report=()
for p in $left; do
  # Read what it is before deciding: one that exits now was not leaked after all.
  cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
  parent=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null) || continue
  report+=("  pid $p (parent $parent): $cmd")
done
[ ${#report[@]} -eq 0 ] && { echo "leak check: no test process left running (the last exited late)"; exit 0; }
echo "leak check: FAILED: processes started by the test suite are still running ${IPW_LEAK_GRACE_S:-10} s after it ended:" >&2
printf '%s\n' "${report[@]}" >&2
for p in $left; do kill -9 "$p" 2>/dev/null; done
exit 1
