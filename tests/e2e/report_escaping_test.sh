#!/usr/bin/env bash
# The HTML report escapes everything a server or a dataset supplies: a model name,
# categories, sources, prompts and answers carrying <script> and onerror payloads are
# shown as text. Loaded in headless Chromium (networking off), no payload runs: each
# would mark the page with data-pw="xss" (spelt 'x'+'ss' in the payload, so the
# payload's own text never matches), and the report itself renders without errors.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
payload_img="<img src=x onerror=\"document.body.dataset.pw='x'+'ss'\">"
payload_script="<script>document.body.dataset.pw='x'+'ss'</script>"
payload_attr="\" autofocus onfocus=\"document.body.dataset.pw='x'+'ss'"

"$PY" - "$WORK/ds.jsonl" "$WORK/answers.jsonl" "$payload_img" "$payload_script" "$payload_attr" <<'PYEOF'
import json, sys
img, script, attr = sys.argv[3:6]
with open(sys.argv[1], "w") as ds, open(sys.argv[2], "w") as ans:
    for i, p in enumerate([img, script, attr, img + script]):
        prompt = f"Question {i} {p}: what is {i} plus {i}?"
        ds.write(json.dumps({"id": f"x{i}{p}", "prompt": prompt, "answer": str(2 * i), "kind": "numeric",
                             "category": f"cat {p}", "source": f"src {p}"}) + "\n")
        ans.write(json.dumps({"prompt": prompt, "answer": f"{2 * i} {p} {script}"}) + "\n")
PYEOF
start_mock --answers "$WORK/answers.jsonl" --ttft-ms 5 --tokens-per-s 0
printf 't_s,power_w\n0,50\n3600,50\n' >"$WORK/trace.csv"
"$IPW" profile --server "$MOCK_URL" --model "m$payload_img$payload_script" --dataset "$WORK/ds.jsonl" \
  --telemetry "replay:$WORK/trace.csv" --idle-seconds 0 --warmup 0 --out "$WORK/runs" >"$WORK/p.out" 2>&1 ||
  { cat "$WORK/p.out"; fail "profile"; }
run=$(run_dir_in "$WORK/runs")
"$IPW" report "$run" -o "$WORK/report.html" >/dev/null || fail "report"
grep -q "onerror" "$WORK/report.html" || fail "the payloads are not in the report at all: nothing was tested"
mkdir -p "$WORK/shots"
# Renders without page or console errors (a payload that broke out would also break the page).
"$PY" "$IPW_SOURCE_DIR/tests/e2e/check_report.py" "$WORK/report.html" "$WORK/shots/escaping.png" ||
  fail "the report with hostile strings did not render cleanly"
# No payload ran: the rendered DOM carries no mark.
chromium --headless --no-sandbox --disable-gpu --no-first-run --host-resolver-rules="MAP * ~NOTFOUND" \
  --no-proxy-server --user-data-dir="$WORK/chrome" --virtual-time-budget=10000 --dump-dom "file://$WORK/report.html" \
  >"$WORK/dom.html" 2>/dev/null || fail "chromium --dump-dom"
grep -q 'data-ipw-rendered=' "$WORK/dom.html" || fail "the report did not render in the DOM dump"
if grep -q 'data-pw="xss"' "$WORK/dom.html"; then fail "a server- or dataset-supplied string ran as script"; fi
echo "ok: every supplied string is shown as text; no payload ran"
