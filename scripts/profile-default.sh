#!/usr/bin/env bash
# Profiles the built-in workload on the embedded engine: ipw starts llama.cpp's server on the
# default model (third_party/models/ipw-tiny.gguf), profiles, and stops it. Extra flags pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/bin/ipw profile "$@"
