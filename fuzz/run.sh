#!/usr/bin/env bash
# Runs the fuzz property tests for a time budget: whole exports (tests/fuzz.rs), the config
# parser, the JSON transcoder, the RLE decoder, URL resolution and image headers (core's
# `never_panic` tests) and the project import validator.
# Usage: fuzz/run.sh [SECONDS]   (default 600). Stops at the first failure; proptest saves the
# failing case under proptest-regressions/: turn it into a fixture in fixtures/bad/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
budget=${1:-600}
end=$(( $(date +%s) + budget ))
cargo test --release --test integration --no-run -q
cargo test --release -p exportkit-core --no-run -q
cargo test --release -p exportkit-project --test fuzz --no-run -q
round=0
while [ "$(date +%s)" -lt "$end" ]; do
  round=$((round + 1))
  PROPTEST_CASES=2000 cargo test --release -q --test integration fuzz:: 2>&1 | tail -n 3
  PROPTEST_CASES=2000 cargo test --release -q -p exportkit-core never_panic 2>&1 | tail -n 3
  PROPTEST_CASES=2000 cargo test --release -q -p exportkit-project --test fuzz 2>&1 | tail -n 3
  echo "fuzz round $round done"
done
echo "fuzz: no failure in ${budget}s ($round rounds)"
