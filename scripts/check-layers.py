#!/usr/bin/env python3
"""Checks that ipw's includes point one way (docs/architecture.md, "Layers").

Each folder of src/ipw/ may include only the folders below it in LAYERS (and what
those may include); no file may reach itself through its includes. Run by ctest as
`lint.layers`; `--self-test` plants an upward include and a cycle in a scratch tree
and fails unless both are reported.

  python3 scripts/check-layers.py [SRC_DIR]      # default: src/ next to this script
"""
import pathlib
import re
import sys
import tempfile

# folder -> the folders it builds on directly. Data flows workload -> inference ->
# scoring -> run -> metrics -> report, with telemetry beside the run; the judge scores
# with a model (inference) and the scorers; the monitor serves telemetry; the proxy
# records the requests that pass through it as a run.
LAYERS = {
    "common": [],
    "workload": ["common"],
    "telemetry": ["common"],
    "inference": ["common"],
    "scoring": ["common", "workload"],
    "judge": ["inference", "scoring"],
    "run": ["judge", "telemetry"],
    "metrics": ["run"],
    "report": ["metrics"],
    "monitor": ["telemetry"],
    "cluster": ["report"],
    "proxy": ["run"],
    "agent": ["inference", "scoring"],
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"ipw/([a-z_]+)/([^"]+)"', re.M)


def allowed(folder):
    seen, todo = set(), list(LAYERS[folder])
    while todo:
        f = todo.pop()
        if f not in seen:
            seen.add(f)
            todo.extend(LAYERS[f])
    return seen


def check(src):
    root = pathlib.Path(src) / "ipw"
    problems = []
    graph = {}
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".h", ".cpp", ".in") or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        folder = rel.split("/")[0]
        if folder not in LAYERS:
            problems.append(f"{rel}: folder '{folder}' has no place in LAYERS (scripts/check-layers.py)")
            continue
        ok = allowed(folder) | {folder}
        graph[rel] = []
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in INCLUDE.finditer(text):
            target, name = m.group(1), m.group(2)
            line = text.count("\n", 0, m.start()) + 1
            if target not in ok:
                problems.append(f"src/ipw/{rel}:{line}: includes ipw/{target}/{name}, but {folder}/ may use only "
                                f"{', '.join(sorted(allowed(folder))) or 'nothing'} (docs/architecture.md, \"Layers\")")
            graph[rel].append(f"{target}/{name}")
    # A cycle of includes among files (headers reaching themselves).
    state = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                problems.append("include cycle: " + " -> ".join(cycle))
            elif nxt in graph and state.get(nxt) is None:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in graph:
        if state.get(node) is None:
            visit(node, [])
    return problems


def self_test():
    with tempfile.TemporaryDirectory() as tmp:
        ipw = pathlib.Path(tmp) / "ipw"
        for folder in ("telemetry", "report", "common"):
            (ipw / folder).mkdir(parents=True)
        (ipw / "report" / "table.h").write_text('#include "ipw/common/a.h"\n')
        (ipw / "telemetry" / "sampler.cpp").write_text('#include "ipw/report/table.h"\n')
        (ipw / "common" / "a.h").write_text('#include "ipw/common/b.h"\n')
        (ipw / "common" / "b.h").write_text('#include "ipw/common/a.h"\n')
        found = check(tmp)
    upward = any("telemetry/sampler.cpp:1: includes ipw/report/table.h" in p for p in found)
    cycle = any(p.startswith("include cycle: common/a.h -> common/b.h -> common/a.h") for p in found)
    if not (upward and cycle and len(found) == 2):
        print("check-layers self-test failed; found:\n  " + "\n  ".join(found))
        return 1
    print("check-layers self-test: an upward include and a cycle are both reported")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    src = argv[1] if len(argv) > 1 else pathlib.Path(__file__).resolve().parent.parent / "src"
    problems = check(src)
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} problem(s)")
        return 1
    print(f"check-layers: includes of {len(LAYERS)} folders point one way, no cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
