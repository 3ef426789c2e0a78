#!/usr/bin/env python3
"""Compare two folders of records field by field, ignoring what changes every run (timings,
versions, the processing block, the settings hash, the checkout folder in audio paths): a
refactoring must leave every verdict, quote and time as it was.

Usage: python bench/compare_records.py BEFORE_OUT AFTER_OUT [--ignore KEY ...]
Exit status 1 when any record differs (the first differences are printed), 0 when all match.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Always different between two runs: when and how fast, and which code/rules produced it.
VOLATILE = ("processing", "versions")


def normalised(record: dict, ignore: tuple[str, ...]) -> dict:
    out = {k: v for k, v in record.items() if k not in VOLATILE + ignore}
    if isinstance(out.get("audio"), dict) and out["audio"].get("path"):
        # two checkouts in different folders: the same recording, by name
        out["audio"] = out["audio"] | {"path": Path(out["audio"]["path"]).name}
    if isinstance(out.get("asr"), dict):
        out["asr"] = {k: v for k, v in out["asr"].items() if k != "settings_key"}  # a hash of the settings and rule files
    return out


def differences(a: object, b: object, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{path}: keys {list(a)} != {list(b)}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} != {b!r}"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--ignore", action="append", default=[], help="a further top-level key to leave out")
    args = ap.parse_args()
    names = sorted(p.name for p in (args.before / "records").glob("*.json"))
    after_names = sorted(p.name for p in (args.after / "records").glob("*.json"))
    if names != after_names:
        print(f"different calls: {sorted(set(names) ^ set(after_names))}")
        return 1
    bad = 0
    for name in names:
        a = normalised(json.loads((args.before / "records" / name).read_text()), tuple(args.ignore))
        b = normalised(json.loads((args.after / "records" / name).read_text()), tuple(args.ignore))
        found = differences(a, b)
        if found:
            bad += 1
            print(f"{name}: {len(found)} difference(s)", *found[:5], sep="\n  ")
    print(f"{len(names)} records compared, {bad} differ (ignoring {', '.join(VOLATILE + tuple(args.ignore))})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
