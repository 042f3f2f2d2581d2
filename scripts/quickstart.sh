#!/usr/bin/env bash
# README's first command: install, build, and profile the built-in workload.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bash scripts/profile-default.sh "$@"
