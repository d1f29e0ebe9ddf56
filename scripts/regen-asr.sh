#!/usr/bin/env bash
# regen-asr.sh - regenerate the ASR_MANIFEST compat fixtures with the REAL converter
# (label-studio-sdk 2.1.2, driven by ../shared/tools/run_ls_converter.py with --upload-dir):
#
#   fixtures/asr/expected/compat/<dataset>/manifest.json   what the converter wrote
#   fixtures/asr/expected/compat/<dataset>/audio.md5       md5 and name of each file in audio/
#
# The WAV files are built by the exportkit-asr golden test from fixtures/asr/datasets/<name>/audio.txt
# (EXPORTKIT_ASR_WRITE_AUDIO=DIR) into a temporary upload directory; tasks.json is hand-written
# (uploads with odd names, non-PCM, truncated, non-WAV, missing and cloud audio, several annotations,
# tasks without results, expanded users).
# Env: PEERS_PY (python of the peers venv). Prints "skipped: ../shared not found" and exits 0
# when <repo>/../shared is absent.
set -euo pipefail

# shellcheck source=scripts/peers.sh
source "$(dirname "${BASH_SOURCE[0]}")/peers.sh"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

for name in asr_edge; do
  d="$FX/asr/datasets/$name"
  upload="$TMP/$name/upload"
  mkdir -p "$upload"
  (cd "$ROOT" && EXPORTKIT_ASR_WRITE_AUDIO="$upload" cargo test -q -p exportkit-asr --test golden write_fixture_audio >/dev/null)
  out="$FX/asr/expected/compat/$name"
  rm -rf "$out" "$TMP/$name/out"
  mkdir -p "$out" "$TMP/$name/out"
  "$PY" "$TOOLS/run_ls_converter.py" "$d/tasks.json" "$d/config.xml" ASR_MANIFEST "$TMP/$name/out" \
    --upload-dir "$upload" >/dev/null 2>&1
  cp "$TMP/$name/out/manifest.json" "$out/manifest.json"
  (cd "$TMP/$name/out/audio" && for f in *; do [ -f "$f" ] && printf '%s  %s\n' "$(md5sum < "$f" | cut -d' ' -f1)" "$f"; done | LC_ALL=C sort -k2) > "$out/audio.md5"
  echo "$name ASR_MANIFEST: $(wc -l < "$out/manifest.json") lines, $(wc -l < "$out/audio.md5") audio files"
done
