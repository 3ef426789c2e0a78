"""Find the inputs of a batch (recordings and transcript files): files or folders (recursive),
each with a call id that stays the same for the file's life.

Call ids. A file at the top of an input folder (or named on the command line) has its stem
(`call-1.wav` -> `call-1`; a transcript `call-1.transcript.json` -> `call-1`). A file deeper in a
folder has its path relative to that folder, `/` written as `__` (`sub1/call.ogg` ->
`sub1__call`), so it does not depend on which other files exist: adding `sub2/call.ogg` later
renames nothing. Ids still equal after that (`call.wav` beside `call.flac`, or the same name at
the top of two input folders) all get a short hash of their path, every member of the group
alike. Ids longer than MAX_ID_BYTES are cut and hashed, so `<id>.json` and the cache key fit a
file name. flows.call refuses to let an input replace a record that belongs to another
recording (`id_conflict`).

Refused inputs still get a failed record (CallInput.problem), never a crash: a symlink loop
(`symlink_loop`), a file that cannot be looked at (`unreadable_file`), a symlink whose target is
outside the input folders, such as `passwd.wav -> /etc/passwd` (`outside_input`: the target is
never opened).
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from callqa.speech.audio import is_audio_candidate
from callqa.speech.given import is_transcript_input, transcript_call_id

# Files that are plainly not recordings (labels, scripts, notes next to the audio) are skipped
# when walking folders; a file named explicitly is always taken, and fails loudly if it is not
# audio. Transcript inputs (.transcript.json, .vtt) are inputs, not sidecars.
SIDECAR_SUFFIXES = (".json", ".yaml", ".yml", ".txt", ".md", ".csv", ".py", ".sh")
MAX_ID_BYTES = 140
ID_SEPARATOR = "__"


@dataclass(frozen=True)
class CallInput:
    call_id: str
    path: Path
    problem: tuple[str, str] | None = None  # (error code, message): refused, gets a failed record unread


@dataclass(frozen=True)
class Discovery:
    calls: tuple[CallInput, ...]
    ignored: tuple[Path, ...]  # sidecar files met while walking folders, reported in the summary


@dataclass(frozen=True)
class _Found:
    path: Path  # as met (absolute, not resolved)
    base_id: str
    problem: tuple[str, str] | None = None
    resolved: Path | None = None


def _short(text: str, n: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:n]


def _fit(call_id: str) -> str:
    raw = call_id.encode("utf-8", "surrogateescape")
    if len(raw) <= MAX_ID_BYTES:
        return call_id
    cut = raw[: MAX_ID_BYTES - 9].decode("utf-8", "ignore")
    return f"{cut}-{_short(call_id)}"


def _stem(path: Path) -> str:
    return transcript_call_id(path) if is_transcript_input(path) else path.stem


def _is_input(path: Path) -> bool:
    return is_transcript_input(path) or is_audio_candidate(path) or path.suffix.lower() not in SIDECAR_SUFFIXES


def _resolve(path: Path) -> tuple[Path | None, tuple[str, str] | None]:
    try:
        return path.resolve(strict=True), None
    except FileNotFoundError:
        if path.is_symlink():
            return None, ("file_not_found", f"{path} is a symlink to a file that does not exist")
        return None, None  # missing: flows.call writes file_not_found
    except RuntimeError as exc:  # Python 3.11: "Symlink loop from ..."
        return None, ("symlink_loop", f"{path} is a symlink loop ({exc})")
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return None, ("symlink_loop", f"{path} is a symlink loop")
        return None, ("unreadable_file", f"{path} cannot be looked at: {exc.strerror or exc}")


def _within(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _walk(folder: Path) -> list[Path]:
    """Every regular name under folder, sorted; symlinked folders are not entered (a file symlink
    is listed and checked like any input)."""
    out: list[Path] = []
    for top, dirs, files in os.walk(folder, followlinks=False, onerror=None):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(Path(top) / f for f in files if not f.startswith("."))
    return sorted(out)


def discover(inputs: list[Path]) -> Discovery:
    """Every input under `inputs`, sorted by path, with stable call ids (see the module doc)."""
    roots: list[Path] = []
    found: list[_Found] = []
    ignored: list[Path] = []
    for item in inputs:
        item = Path(os.path.abspath(item))
        resolved, problem = _resolve(item)
        if resolved is not None and resolved.is_dir():
            roots.append(resolved)
            for p in _walk(item):
                if not _is_input(p):
                    ignored.append(p)
                    continue
                rel = p.relative_to(item)
                base = ID_SEPARATOR.join((*rel.parent.parts, _stem(p)))
                target, why = _resolve(p)
                found.append(_Found(p, base, why, target))
        else:
            # A file named explicitly is taken (even if missing: it gets a failed record saying so);
            # what it points to is what was asked for, so its target is a root too.
            if resolved is not None:
                roots.append(resolved)
            found.append(_Found(item, _stem(item), problem, resolved))

    calls: list[CallInput] = []
    seen_targets: set[Path] = set()
    kept: list[_Found] = []
    for f in found:
        key = f.resolved or f.path
        if key in seen_targets:
            continue  # the same file met twice (a folder and a file in it, or a link to a file inside)
        seen_targets.add(key)
        kept.append(f)
    groups: dict[str, list[_Found]] = defaultdict(list)
    for f in kept:
        groups[_fit(f.base_id)].append(f)
    for call_id, members in groups.items():
        for f in members:
            cid = call_id if len(members) == 1 else _fit(f"{f.base_id}-{_short(str(f.path))}")
            problem = f.problem
            if problem is None and f.resolved is not None and not _within(f.resolved, roots):
                problem = ("outside_input", f"{f.path} is a symlink to a file outside the input folders: not read")
            # the path in the record: the file itself when it may be read, the link when refused
            path = f.resolved if (f.resolved is not None and problem is None) else f.path
            calls.append(CallInput(cid, path, problem))
    calls.sort(key=lambda c: str(c.path))
    return Discovery(tuple(calls), tuple(ignored))
