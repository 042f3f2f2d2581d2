#!/usr/bin/env bash
# Writes the .arrow fixtures from their specs (tests/fixtures/datasets/arrow/*.json)
# with Apache Arrow's JavaScript writer (tests/support/write_arrow.mjs), into OUT_DIR
# (default: the fixture folders themselves, to regenerate the committed files):
#   OUT/arrow/NAME.arrow for each spec, and OUT/mixed_1k_seed1_base/, a save_to_disk
#   folder in the reference harness's layout (state.json listing one .arrow file).
# e2e.arrow_fixtures_test writes them afresh and checks they equal the committed ones.
set -euo pipefail
cd "$(dirname "$0")/../.."
fixtures=tests/fixtures/datasets
out="${1:-$fixtures}"
mkdir -p "$out/arrow" "$out/mixed_1k_seed1_base"
for spec in "$fixtures"/arrow/*.json; do
  name="$(basename "$spec" .json)"
  node tests/support/write_arrow.mjs "$spec" "$out/arrow/$name.arrow"
done
cp "$out/arrow/ipw_mixed.arrow" "$out/mixed_1k_seed1_base/data-00000-of-00001.arrow"
