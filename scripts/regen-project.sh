#!/usr/bin/env bash
# Regenerates the PROJECT golden documents (fixtures/project/expected/*/project.json) from the
# committed datasets. Needs nothing from ../shared. Review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
EXPORTKIT_REGEN=1 cargo test -p exportkit-project --test roundtrip
git --no-pager diff --stat -- fixtures/project/expected || true
