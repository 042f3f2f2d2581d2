#!/bin/bash
# Wake-up cost per wait mechanism (docs/BENCHMARKS.md, "Telemetry: sampler overhead"): builds
# wake.cpp, runs every mechanism 5 times for 10 s at 100 Hz and 1 kHz (interleaved, so background
# load drifts hit all rows alike), and prints the median table. About 19 minutes.
set -euo pipefail
OUT=${OUT:-/tmp/ipw-wake}
mkdir -p "$OUT"
g++ -std=c++20 -O2 -pthread -Wall -Wextra -o "$OUT/wake" "$(dirname "$0")/wake.cpp"
R100="sleep_until cv clock_nanosleep futex timerfd timerfd_poll epoll_ms ppoll epoll_pwait2 sleep_until+slack500u sleep_until+slack5m cv+slack500u sleep_until+idle sleep_until+batch sleep_until+pin"
R1000="sleep_until cv clock_nanosleep timerfd timerfd_poll ppoll epoll_ms"
for rep in 1 2 3 4 5; do
  for m in $R100; do echo "$("$OUT/wake" $m 100 10 200) load=$(cut -d' ' -f1 /proc/loadavg)"; done
done >"$OUT/res100.txt"
for rep in 1 2 3 4 5; do
  for m in $R1000; do echo "$("$OUT/wake" $m 1000 10 200) load=$(cut -d' ' -f1 /proc/loadavg)"; done
done >"$OUT/res1000.txt"
python3 "$(dirname "$0")/summ.py" "$OUT/res100.txt" "$OUT/res1000.txt"
