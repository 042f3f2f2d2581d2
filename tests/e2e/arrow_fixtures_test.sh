#!/usr/bin/env bash
# The committed .arrow fixtures are what Apache Arrow's JavaScript writer makes from their
# specs (tests/support/make-arrow-fixtures.sh): ipw's Arrow reader is checked against an
# independent writer, not against files it could have shaped itself.
source "$(dirname "$0")/lib.sh"
command -v node >/dev/null || fail "node is missing (scripts/setup.sh installs it)"
[ -d "$IPW_SOURCE_DIR/node_modules/apache-arrow" ] || fail "node_modules/apache-arrow is missing: run npm ci (scripts/setup.sh does)"
bash "$IPW_SOURCE_DIR/tests/support/make-arrow-fixtures.sh" "$WORK/fx"
fixtures="$IPW_SOURCE_DIR/tests/fixtures/datasets"
n=0
for f in "$WORK"/fx/arrow/*.arrow "$WORK/fx/mixed_1k_seed1_base/data-00000-of-00001.arrow"; do
  committed="$fixtures/${f#"$WORK/fx/"}"
  cmp -s "$f" "$committed" || fail "$committed differs from what the writer makes now; regenerate with tests/support/make-arrow-fixtures.sh"
  n=$((n + 1))
done
[ "$n" -ge 10 ] || fail "only $n fixtures written"
echo "PASS ($n fixtures)"
