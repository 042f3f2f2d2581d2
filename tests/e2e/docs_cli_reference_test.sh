#!/usr/bin/env bash
# docs/cli.md is what the built ipw prints for every command's --help: a flag in --help that no doc
# mentions, or a doc naming a flag that does not exist, fails here.
set -euo pipefail
: "${IPW_BIN:?}" "${IPW_SOURCE_DIR:?}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bash "$IPW_SOURCE_DIR/scripts/cli-reference.sh" "$IPW_BIN/ipw" >"$out"
if ! diff -u "$IPW_SOURCE_DIR/docs/cli.md" "$out"; then
  echo "FAIL: docs/cli.md is out of date: run 'bash scripts/cli-reference.sh > docs/cli.md'" >&2
  exit 1
fi
# Every command has a section (a new command cannot be left out).
for c in profile analyze score export report compare route trend monitor doctor energy; do
  grep -q "^## ipw $c\$" "$IPW_SOURCE_DIR/docs/cli.md" || { echo "FAIL: docs/cli.md has no '## ipw $c'" >&2; exit 1; }
done
# `ipw help` lists the commands; `ipw help COMMAND` is that command's --help.
"$IPW_BIN/ipw" help | grep -q "^  profile " || { echo "FAIL: 'ipw help' does not list the commands" >&2; exit 1; }
[ "$("$IPW_BIN/ipw" help profile)" = "$("$IPW_BIN/ipw" profile --help)" ] ||
  { echo "FAIL: 'ipw help profile' is not 'ipw profile --help'" >&2; exit 1; }
if "$IPW_BIN/ipw" help profil >/dev/null 2>&1; then echo "FAIL: 'ipw help profil' succeeded" >&2; exit 1; fi
echo "ok: docs/cli.md matches every command's --help"
