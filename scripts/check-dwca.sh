#!/usr/bin/env bash
# check-dwca.sh - validate a Darwin Core Archive written by exportkit's DWCA format with
# ../shared/tools/check_dwca.py (GBIF sampling-event profile + the GBIF EML profile XSD).
#
# Usage: scripts/check-dwca.sh ARCHIVE.zip [more check_dwca.py arguments, e.g. --json]
# Env:   PEERS_PY   python of the peers venv (default: $PEERS_VENV/bin/python or
#                   ~/.cache/exportkit-peers/bin/python; set up with setup-peers.sh otherwise)
# Exit:  check_dwca.py's status (0 ok, 1 problems, 2 could not run); prints
#        "skipped: ../shared not found" and exits 0 when <repo>/../shared is absent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$ROOT/../shared"
if [ ! -d "$SHARED" ]; then
  echo "skipped: ../shared not found"
  exit 0
fi
if [ $# -lt 1 ]; then
  echo "usage: scripts/check-dwca.sh ARCHIVE.zip [check_dwca.py args]" >&2
  exit 2
fi
SHARED="$(cd "$SHARED" && pwd)"
ARCHIVE="$1"
shift

PY="${PEERS_PY:-${PEERS_VENV:-$HOME/.cache/exportkit-peers}/bin/python}"
if ! "$PY" -c 'import dwca, xmlschema' >/dev/null 2>&1; then
  echo "check-dwca: peers venv not ready, running setup-peers.sh" >&2
  PY="$("$SHARED/tools/setup-peers.sh" | tail -n 1)"
fi

exec "$PY" "$SHARED/tools/check_dwca.py" "$ARCHIVE" \
  --profile gbif-event --eml-xsd "$SHARED/dwca/xsd/eml.xsd" "$@"
