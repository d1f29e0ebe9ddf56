#!/usr/bin/env bash
# The Python package's tests: builds the `exportkit` wheel (PyO3 + maturin, release profile)
# into .venv-py with pytest and the test requirements (label-studio-sdk 2.1.2, the drop-in's
# reference), then runs python/tests. Works on a fresh machine with Python 3.9+ and Rust.
# Env: PYTHON (the interpreter to make the venv with, default python3), PYTEST_ARGS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || { echo "test-python: $PYTHON not found" >&2; exit 1; }
if [ ! -x .venv-py/bin/python ]; then
  "$PYTHON" -m venv .venv-py
fi
.venv-py/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
# `pip install ./python` builds the extension with maturin (the PEP 517 backend) in release mode.
.venv-py/bin/python -m pip install -q ./python pytest -r requirements-test.txt
# Run from the tests folder so `import exportkit` is the installed package, not ./python/exportkit.
cd python/tests
# shellcheck disable=SC2086
exec ../../.venv-py/bin/python -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-} .
