"""Find the recordings of a batch: files or folders (recursive), each with a unique call id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from callqa.speech.audio import is_audio_candidate

# Files that are plainly not recordings (labels, scripts, notes next to the audio) are skipped
# when walking folders; a file named explicitly is always taken, and fails loudly if it is not audio.
SIDECAR_SUFFIXES = (".json", ".yaml", ".yml", ".txt", ".md", ".csv", ".py", ".sh")


@dataclass(frozen=True)
class CallInput:
    call_id: str
    path: Path


@dataclass(frozen=True)
class Discovery:
    calls: tuple[CallInput, ...]
    ignored: tuple[Path, ...]  # sidecar files met while walking folders, reported in the summary


def discover(inputs: list[Path]) -> Discovery:
    """Every recording under the inputs, sorted by path, call_id = file stem.

    Two files with the same stem in different folders would overwrite each other's record:
    the second and later get the stem plus a short hash of their path.
    """
    found: list[Path] = []
    ignored: list[Path] = []
    for item in inputs:
        if item.is_dir():
            for p in sorted(item.rglob("*")):
                if not p.is_file() or p.name.startswith("."):
                    continue
                if is_audio_candidate(p) or p.suffix.lower() not in SIDECAR_SUFFIXES:
                    found.append(p)
                else:
                    ignored.append(p)
        else:
            # Missing files are kept: they get a failed record saying so, rather than vanishing.
            found.append(item)
    calls: list[CallInput] = []
    seen: set[str] = set()
    for path in dict.fromkeys(p.resolve() for p in found):
        call_id = path.stem
        if call_id in seen:
            call_id = f"{path.stem}-{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
        seen.add(call_id)
        calls.append(CallInput(call_id, path))
    return Discovery(tuple(calls), tuple(ignored))
