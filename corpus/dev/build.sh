#!/usr/bin/env bash
# Re-render the development corpus: the calls listed in audio_ids.txt to audio (audio/), all
# others text-only (text/), then validate. Deterministic: a re-run is byte-identical.
# EXCESSIVE_CLOSING_ATTEMPTS is counted over the whole call here (--closing-scope call).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
py="${PYTHON:-$root/.venv/bin/python}"
render=("$py" "$root/audio_samples/render.py" --scripts "$here/scripts" --closing-scope call)
mapfile -t ids < <(grep -v '^#' "$here/audio_ids.txt" | sed '/^\s*$/d')
only=(); exclude=()
for id in "${ids[@]}"; do only+=(--only "$id"); exclude+=(--exclude "$id"); done
rm -rf "$here/audio" "$here/text"
"${render[@]}" --out "$here/audio" "${only[@]}"
"${render[@]}" --out "$here/text" --text-only "${exclude[@]}"
"$py" "$here/validate.py"
