"""Every `ipw` command line in README.md and docs/*.md, checked against the built ipw.

  docs_commands.py SOURCE_DIR WORK_DIR IPW MOCK_URL

Each command line of a fenced code block (`ipw …` or `build/bin/ipw …`, with `\\`
continuations) is
  1. parsed by the real CLI (IPW_CHECK_ARGS=1: flags and values validated, nothing
     run), so a doc naming a flag or value ipw does not accept fails here; then
  2. run for real in WORK_DIR, against the mock server at MOCK_URL and the run
     directories the calling script made there (runs/A, runs/local-1, …), unless
     the table NOT_RUN below says why it cannot run on this machine (hardware, a
     daemon that runs until stopped). A command that runs must exit 0.
Placeholders the docs use (URL, runs/<run-id>, …) are replaced as SUBSTITUTIONS
says; a profile run is kept short by adding --max-queries 3 and --idle-seconds 0
where the line does not set them (an agent run: --idle-seconds 0, its own --out). The output lists every line with what was done.
"""
import glob
import os
import re
import shlex
import subprocess
import sys

SUBSTITUTIONS = [
    # (pattern, replacement); MOCK is replaced by the mock's URL
    (r"http://127\.0\.0\.1:(8080|8081|11434)", "MOCK"),
    (r"http://gpu-box:8000", "MOCK"),
    (r"(?<=--server )URL\b", "MOCK"),
    (r"(?<=--judge )URL\b", "MOCK"),
    (r"runs/<run-id>", "runs/RUNID"),
    (r"(?<=ipw score )RUN\b", "runs/RUNID"),
    (r"runs/20261125T120000Z-qwen3-4b-1a2b", "runs/RUNID"),
    (r"~/models/[^ ]+\.gguf", "MODEL_GGUF"),
    (r"~/MMLU-Pro\b", "MMLU-Pro"),  # a hub download the calling script makes
    (r"(?<=--judge-max-tokens )N\b", "256"),
]

# Lines that cannot run here, by a pattern they contain, and why.
NOT_RUN = [
    (r"remote:gpu-box", "needs an ipw monitor on another host"),
    (r"^ipw monitor(?!.*--once)", "a daemon that runs until stopped"),
    (r"energy --watch", "runs until Ctrl-C"),
    (r"^ipw proxy", "a proxy that serves until Ctrl-C (tested in e2e.proxy_test)"),
    (r"^ipw tasks", "needs a run recorded through ipw proxy and its agent's results file (tested in e2e.proxy_test)"),
    (r"--token-file /etc/", "needs a token file in /etc"),
    (r"--telemetry (nvml|rapl|amd|jetson|powermetrics)", "needs that hardware"),
    (r"SLURM_", "runs as a Slurm array task"),
    (r"--engine (vllm|sglang|ollama)", "needs that engine installed (tested with stand-ins in e2e.engine_standins_test)"),
    (r"--engine llama\.cpp --model MODEL_GGUF", "needs a downloaded GGUF model (the embedded engine is tested in e2e.engine_*)"),
]


def command_lines(path):
    """(line number, command) of every ipw command in the file's fenced code blocks."""
    out, in_block, pending, start = [], False, "", 0
    for no, raw in enumerate(open(path, encoding="utf-8"), 1):
        line = raw.rstrip("\n")
        if line.lstrip().startswith("```"):
            in_block = not in_block
            continue
        if not in_block:
            continue
        text = line.strip()
        if pending:
            text = strip_comment(text)
            pending += " " + text.rstrip("\\").strip()
            if not text.endswith("\\"):
                out.append((start, pending))
                pending = ""
            continue
        text = re.sub(r"^\$ ", "", text)
        if not re.match(r"^(build/bin/)?ipw( |$)", text):
            continue
        text = strip_comment(text)
        if text.endswith("\\"):
            pending, start = text.rstrip("\\").strip(), no
        else:
            out.append((no, text))
    return out


def strip_comment(text):
    """The line without a trailing `# comment` (a # outside quotes, after whitespace)."""
    quote = None
    for i, c in enumerate(text):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and i > 0 and text[i - 1] == " ":
            return text[:i].rstrip()
    return text


def substituted(cmd, mock_url):
    cmd = re.sub(r"^(build/bin/)?ipw", "ipw", cmd)
    for pattern, repl in SUBSTITUTIONS:
        cmd = re.sub(pattern, repl, cmd)
    return cmd.replace("MOCK", mock_url)


def split_shell(cmd):
    """The ipw part of a line, and the shell part after it (a pipe or a redirect)."""
    m = re.search(r"\s(\||>)\s", cmd)
    return (cmd[: m.start()], cmd[m.start():]) if m else (cmd, "")


def expand_globs(args, cwd):
    """Words with * expanded as the shell would (runs/*), relative to cwd."""
    out = []
    for a in args:
        matches = sorted(glob.glob(a, root_dir=cwd)) if "*" in a else []
        out += matches or [a]
    return out


def shortened(args):
    """A profile run kept short: at most 3 queries, no idle baseline (unless the line sets them);
    an agent run without the idle baseline, in its own folder (so runs/* stays the docs' runs)."""
    if len(args) >= 2 and args[1] == "agent":
        extra = [] if "--idle-seconds" in args else ["--idle-seconds", "0"]
        extra += [] if "--telemetry" in args else ["--telemetry", "estimated"]
        return args + extra + ([] if "--out" in args else ["--out", "runs-agent"])
    if len(args) < 2 or args[1] != "profile" or "--resume" in args:
        return args
    extra = []
    if "--max-queries" not in args:
        extra += ["--max-queries", "3"]
    if "--idle-seconds" not in args:
        extra += ["--idle-seconds", "0"]
    if "--warmup" not in args:
        extra += ["--warmup", "0"]
    if "--telemetry" not in args:
        extra += ["--telemetry", "estimated"]
    if "--out" not in args:
        extra += ["--out", "runs-profiled"]
    return args + extra


def main():
    source, work, ipw, mock_url = sys.argv[1:5]
    files = [os.path.join(source, "README.md")] + sorted(glob.glob(os.path.join(source, "docs", "*.md")))
    env = dict(os.environ)
    failures, ran, parsed_only = [], 0, 0
    for path in files:
        rel = os.path.relpath(path, source)
        for no, doc_cmd in command_lines(path):
            where = f"{rel}:{no}"
            # A synopsis ("[--flag]") or an elided line ("…", "...") is parsed with its
            # optional parts in and the ellipsis out, and not run.
            synopsis = "[--" in doc_cmd or "\u2026" in doc_cmd or "..." in doc_cmd
            cmd = substituted(re.sub(r"[\[\]\u2026]|\.\.\.", "", doc_cmd) if synopsis else doc_cmd, mock_url)
            ipw_part, shell_part = split_shell(cmd)
            args = expand_globs(shlex.split(ipw_part), work)
            args[0] = ipw
            check = subprocess.run(args, cwd=work, env=dict(env, IPW_CHECK_ARGS="1"), capture_output=True, text=True)
            if check.returncode != 0:
                failures.append(f"{where}: `{doc_cmd}` is not accepted by ipw:\n{check.stderr.strip()}")
                continue
            why = "a synopsis or an elided line" if synopsis else next((why for pattern, why in NOT_RUN if re.search(pattern, cmd)), None)
            if why:
                parsed_only += 1
                print(f"parsed  {where}: {doc_cmd}   [not run: {why}]")
                continue
            run_args = shortened(args)
            line = " ".join(shlex.quote(a) for a in run_args) + shell_part
            # A pipe into a tool this machine may lack (jq) is left out: the ipw part runs.
            if shell_part.strip().startswith("|"):
                line = " ".join(shlex.quote(a) for a in run_args)
            res = subprocess.run(["bash", "-c", line], cwd=work, env=env, capture_output=True, text=True, timeout=300)
            if res.returncode != 0:
                failures.append(f"{where}: `{doc_cmd}` exited {res.returncode} (ran: {line}):\n"
                                f"{(res.stderr or res.stdout).strip()[-2000:]}")
                continue
            ran += 1
            print(f"ran     {where}: {doc_cmd}")
    print(f"{ran} documented command lines ran, {parsed_only} parsed only (reasons above), {len(failures)} failed")
    if failures:
        print("\n\n".join(failures), file=sys.stderr)
        sys.exit(1)
    if ran < 40:
        sys.exit(f"only {ran} command lines ran: the extraction is broken")


if __name__ == "__main__":
    main()
