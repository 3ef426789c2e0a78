"""Build corpus/public/sgd/sgd_dialogues.jsonl from the upstream Schema-Guided Dialogue files.

    python corpus/public/sgd/build.py --upstream DIR   # DIR: a checkout of
        github.com/google-research-datasets/dstc8-schema-guided-dialogue (see PROVENANCE.txt)

Deterministic: the same upstream files give the same bytes. From train/dialogues_001.json to
train/dialogues_030.json (single-service dialogues), DIALOGUES_PER_SERVICE dialogues of each
service are drawn with a seeded shuffle of the dialogue ids, so every service is represented and
the extract stays small (the turn-act model embeds every sentence it trains on).

Each output line is one dialogue: its id, its services, and its turns as speaker ("agent" for
upstream SYSTEM, "customer" for USER), text, and the upstream dialogue acts of the turn (sorted,
unique). The weak labels for the turn-act model are derived from these in nlp/acts.py
(public_rows), not here, so the rules sit beside the code that trains on them.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

FILES = [f"train/dialogues_{i:03d}.json" for i in range(1, 31)]
DIALOGUES_PER_SERVICE = 8
SEED = 0
OUT = Path(__file__).resolve().parent / "sgd_dialogues.jsonl"


def build(upstream: Path) -> list[dict]:
    by_service: dict[str, list[dict]] = {}
    for name in FILES:
        for d in json.loads((upstream / name).read_text()):
            if len(d["services"]) == 1:
                by_service.setdefault(d["services"][0], []).append(d)
    out = []
    for service in sorted(by_service):
        dialogues = sorted(by_service[service], key=lambda d: d["dialogue_id"])
        random.Random(f"{SEED}:{service}").shuffle(dialogues)
        for d in sorted(dialogues[:DIALOGUES_PER_SERVICE], key=lambda d: d["dialogue_id"]):
            turns = [{"speaker": "agent" if t["speaker"] == "SYSTEM" else "customer",
                      "text": t["utterance"],
                      "acts": sorted({a["act"] for f in t["frames"] for a in f["actions"]})}
                     for t in d["turns"]]
            out.append({"dialogue_id": d["dialogue_id"], "services": d["services"], "source_file": _file_of(d, upstream),
                        "turns": turns})
    return out


_FILE_INDEX: dict[str, str] = {}


def _file_of(d: dict, upstream: Path) -> str:
    if not _FILE_INDEX:
        for name in FILES:
            for x in json.loads((upstream / name).read_text()):
                _FILE_INDEX[x["dialogue_id"]] = name
    return _FILE_INDEX[d["dialogue_id"]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", type=Path, required=True, help="checkout of dstc8-schema-guided-dialogue")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    rows = build(args.upstream)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows))
    print(f"wrote {args.out}: {len(rows)} dialogues, {sum(len(r['turns']) for r in rows)} turns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
