#!/usr/bin/env bash
# Profiles the built-in workload on the default local server (the mock server
# until the embedded engine is available), starting and stopping it itself.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/bin
port_file=$(mktemp)
answers=$(mktemp --suffix=.jsonl)
cat data/builtin/*.jsonl >"$answers"
"$BIN/ipw-mock-server" --port 0 --answers "$answers" --ttft-ms 40 --tokens-per-s 60 \
  --burn-us-per-token 2000 >"$port_file" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$port_file" "$answers"' EXIT
for _ in $(seq 100); do grep -q listening "$port_file" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$port_file")
"$BIN/ipw" profile --server "$url" --model ipw-mock --idle-seconds 3 "$@"
