# Sourced by the scripts that use ../shared (fixture regeneration, cross-checks). Sets ROOT,
# SHARED, TOOLS, FX and PY (the peers venv's python, with label-studio-sdk 2.1.2), or prints
# "skipped: ../shared not found" and exits 0 when the repository has no ../shared beside it.
# Env: PEERS_PY (that python), PEERS_VENV (its venv).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$ROOT/../shared"
if [ ! -d "$SHARED" ]; then
  echo "skipped: ../shared not found"
  exit 0
fi
SHARED="$(cd "$SHARED" && pwd)"
TOOLS="$SHARED/tools"
FX="$ROOT/fixtures"
PY="${PEERS_PY:-${PEERS_VENV:-$HOME/.cache/exportkit-peers}/bin/python}"
if ! "$PY" -c 'import label_studio_sdk.converter' >/dev/null 2>&1; then
  echo "$(basename "$0"): peers venv not ready, running setup-peers.sh" >&2
  PY="$("$TOOLS/setup-peers.sh" | tail -n 1)"
fi
