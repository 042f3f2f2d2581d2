#!/usr/bin/python3
"""Loads an ipw HTML report in headless Chromium with networking off and checks
that it rendered: no JavaScript/console errors, every chart drew a non-empty
SVG, and the expected charts exist. Saves a full-page screenshot.

usage: check_report.py REPORT.html SCREENSHOT.png [EXPECTED_CHART_ID | text:EXPECTED_TEXT ...]
(text:… must appear in the rendered page, e.g. a card only some runs show).
"""
import html
import json
import os
import re
import subprocess
import sys
import tempfile

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--no-first-run", "--no-default-browser-check", "--mute-audio",
    # Networking off: every host resolves to nothing and no proxy is tried.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost", "--no-proxy-server",
    "--enable-logging=stderr", "--v=0",
    "--virtual-time-budget=10000",
]


def chromium(args, user_dir):
    cmd = ["chromium"] + FLAGS + [f"--user-data-dir={user_dir}"] + args
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def main():
    report, screenshot = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    expected = [a for a in sys.argv[3:] if not a.startswith("text:")]
    texts = [a[len("text:"):] for a in sys.argv[3:] if a.startswith("text:")]
    url = "file://" + report
    failures = []
    with tempfile.TemporaryDirectory() as user_dir:
        res = chromium(["--dump-dom", url], user_dir)
    if res.returncode != 0:
        sys.exit(f"chromium failed ({res.returncode}):\n{res.stderr[-3000:]}")
    m = re.search(r'<pre id="ipw-status"[^>]*>(.*?)</pre>', res.stdout, re.S)
    if not m:
        sys.exit("no #ipw-status in the rendered DOM: the report script did not finish\n" + res.stderr[-3000:])
    status = json.loads(html.unescape(m.group(1)))
    if status["errors"]:
        failures.append(f"page errors: {status['errors']}")
    # Console messages of the page (errors and warnings alike) are failures.
    console = [l for l in res.stderr.splitlines() if "CONSOLE" in l and report.split("/")[-1] in l]
    if console:
        failures.append("console output:\n  " + "\n  ".join(console[:20]))
    charts = {c["id"]: c for c in status["charts"]}
    for c in status["charts"]:
        if c["svg"] < 1 or c["shapes"] < 3 or c["width"] < 100 or c["height"] < 100:
            failures.append(f"chart {c['id']} ({c['title']}) did not render: {c}")
    for cid in expected:
        if cid not in charts:
            failures.append(f"expected chart {cid} is missing (have {sorted(charts)})")
    for text in texts:
        if html.escape(text, quote=False) not in res.stdout:
            failures.append(f"the rendered page does not say '{text}'")
    if 'data-ipw-rendered="' not in res.stdout:
        failures.append("the page did not mark itself rendered")
    with tempfile.TemporaryDirectory() as user_dir:
        shot = chromium([f"--screenshot={screenshot}", "--window-size=1400,6000", "--hide-scrollbars", url], user_dir)
    if shot.returncode != 0 or not os.path.exists(screenshot) or os.path.getsize(screenshot) < 10000:
        failures.append(f"screenshot failed: {shot.stderr[-2000:]}")
    if failures:
        sys.exit("report check FAILED:\n" + "\n".join(failures))
    print(f"report ok: {len(status['charts'])} charts rendered, screenshot {screenshot}")


if __name__ == "__main__":
    main()
