#!/usr/bin/env bash
# The whole test suite (the README's test command). Works on a fresh clone, with or without
# ../shared beside it: installs what it needs, then runs every Rust test (unit, integration,
# property tests, doctests), builds the benches and the example plugin, then the Python package's tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v cargo >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)" >&2; exit 1; }
# Python consumers used by tests, when a requirements file lists any.
if [ -s requirements-test.txt ] && grep -qv '^\s*#' requirements-test.txt; then
  python3 -m venv .venv-test >/dev/null 2>&1 || true
  .venv-test/bin/pip install -q -r requirements-test.txt
  export EXPORTKIT_TEST_PYTHON="$PWD/.venv-test/bin/python"
fi
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
# The Python package (PyO3 wheel + pytest, against label-studio-sdk's own converter).
bash scripts/test-python.sh
