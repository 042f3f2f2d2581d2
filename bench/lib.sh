# Shared by the benchmark scripts that stream from the mock server (client_scale.sh,
# proxy_latency.sh). Sourced; expects BIN (the build's bin/) and WORK (a scratch
# folder) to be set, and sets MOCK (its pid) and URL.

# bench_replies PREFIX COUNT PIECES: WORK/ds.jsonl (COUNT questions), WORK/answers.jsonl
# (each answered by PIECES tokens, "w0 w1 …") and WORK/const.csv (a constant 100 W
# trace, so the runs measure the client, not a sensor).
bench_replies() {
  python3 - "$WORK" "$1" "$2" "$3" <<'PY'
import json, sys
work, prefix, count, pieces = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(f"{work}/ds.jsonl", "w") as ds, open(f"{work}/answers.jsonl", "w") as ans:
    for i in range(count):
        prompt = f"{prefix} question {i:05d}"
        ds.write(json.dumps({"id": f"q{i:05d}", "prompt": prompt, "answer": "x", "kind": "exact"}) + "\n")
        ans.write(json.dumps({"prompt": prompt, "answer": " ".join(f"w{k}" for k in range(pieces))}) + "\n")
PY
  printf 't_s,power_w\n0,100\n360000,100\n' >"$WORK/const.csv"
}

# start_mock LOG RATE THREADS: the mock answering WORK/answers.jsonl at RATE tokens/s
# a stream (0: as fast as it can), logging each token's send instant to LOG.
MOCK=""
start_mock() {
  "$BIN/ipw-mock-server" --port 0 --answers "$WORK/answers.jsonl" --ttft-ms 0 --tokens-per-s "$2" \
    --threads "$3" --token-log "$1" >"$WORK/mock.out" 2>&1 &
  MOCK=$!
  until grep -qs listening "$WORK/mock.out"; do sleep 0.05; done
  URL=$(grep -o 'http://[0-9.:]*' "$WORK/mock.out")
}
stop_mock() { kill "$MOCK"; wait "$MOCK" 2>/dev/null || true; MOCK=""; }
