#!/usr/bin/env bash
# regen-conll.sh - regenerate the CONLL2003 compat fixtures with the REAL converter
# (label-studio-sdk 2.1.2, driven by ../shared/tools/run_ls_converter.py):
#
#   fixtures/conll/expected/compat/<dataset>/result.conll   what the converter wrote
#
# Inputs: the shared fixtures/datasets/<name> for which Label Studio offers CONLL2003, and
# fixtures/conll/datasets/conll_edge (hand-written corner cases: punctuation, quotes,
# contractions, CJK, white space, overlapping, multi-label, offset-less and out-of-range spans,
# several and cancelled annotations); none is touched.
# Env: PEERS_PY (python of the peers venv). Prints "skipped: ../shared not found" and exits 0
# when <repo>/../shared is absent.
set -euo pipefail

# shellcheck source=scripts/peers.sh
source "$(dirname "${BASH_SOURCE[0]}")/peers.sh"

DATASETS=(ner_200 conll_edge)
for name in "${DATASETS[@]}"; do
  d="$FX/datasets/$name"
  [ -d "$d" ] || d="$FX/conll/datasets/$name"
  if [ ! -f "$d/tasks.json" ]; then
    echo "regen-conll: missing $d/tasks.json" >&2
    exit 1
  fi
  out="$FX/conll/expected/compat/$name"
  rm -rf "$out"
  if ! "$PY" "$TOOLS/run_ls_converter.py" formats "$d/config.xml" 2>/dev/null | grep -q '"CONLL2003"'; then
    echo "$name CONLL2003: not offered by Label Studio, skipped"
    continue
  fi
  mkdir -p "$out"
  (cd "$out" && "$PY" "$TOOLS/run_ls_converter.py" "$d/tasks.json" "$d/config.xml" CONLL2003 . >/dev/null 2>&1)
  echo "$name CONLL2003: $("$PY" "$TOOLS/run_ls_converter.py" digest "$out" --normalize | tail -n 1)"
done

# NLTK's own spans for random texts (tokenizer differential test in formats/conll/src/treebank.rs).
(cd "$FX/conll/tokenizer" && "$PY" gen_nltk_spans.py 7 | sed 's/^/nltk_spans.json: /')
