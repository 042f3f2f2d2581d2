#!/usr/bin/env bash
# Clang's thread-safety analysis over every ipw source that takes an annotated lock
# (src/ipw/common/thread_annotations.h: IPW_GUARDED_BY, IPW_REQUIRES, ...). g++
# compiles the annotations to nothing, so this is what proves each access to shared
# state holds its lock. Compile-only (-fsyntax-only), with the flags of BUILD_DIR's
# compile_commands.json; any thread-safety warning fails.
#   bash scripts/thread-safety.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
[ -f "$build/compile_commands.json" ] || { echo "thread-safety: $build/compile_commands.json missing: build first" >&2; exit 1; }
/usr/bin/python3 - "$build/compile_commands.json" "$(nproc)" <<'PY'
import json, os, re, shlex, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
annotated = re.compile(r'#include "ipw/(common/thread_annotations|telemetry/(sampler|remote_collector)|monitor/sample_hub|run/(query_writer|observed_queries)|proxy/task_book)\.h"')
unity_member = re.compile(r'^#include "(/[^"]+\.cpp)"$', re.M)
def sources(entry):
    # A unity build's entry compiles a file that #includes a batch of sources (CMakeLists.txt,
    # IPW_UNITY): each is analysed on its own, with the batch's flags.
    f = entry["file"]
    if "/Unity/unity_" in f:
        return unity_member.findall(open(f).read())
    return [f]
jobs = []
for e in json.load(open(sys.argv[1])):
    for f in sources(e):
        if "/src/" not in f or not f.endswith(".cpp") or not annotated.search(open(f).read()):
            continue
        unity = os.path.normpath(e["file"])
        args = [f if os.path.normpath(os.path.join(e["directory"], a)) == unity else a
                for a in shlex.split(e["command"])]
        out = ["clang++", "-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety", "-Wno-unknown-warning-option"]
        skip = False
        for a in args[1:]:
            if skip:
                skip = False
                continue
            if a in ("-o", "-MF", "-MT", "-include"):
                skip = True  # the object, the depfile and g++'s precompiled header are g++'s
                continue
            if a in ("-c", "-MD", "-Winvalid-pch") or a.startswith("-fdiagnostics-color"):
                continue
            out.append(a)
        jobs.append((f, out, e["directory"]))
def run(job):
    f, cmd, cwd = job
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return f, r.returncode, r.stderr
failed = 0
with ThreadPoolExecutor(int(sys.argv[2])) as pool:
    for f, rc, err in pool.map(run, jobs):
        if rc != 0:
            failed += 1
            print(f"thread-safety: {f}\n{err}", file=sys.stderr)
print(f"thread-safety: {len(jobs)} files analysed, {failed} with findings")
sys.exit(1 if failed or not jobs else 0)
PY
