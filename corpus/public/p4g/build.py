"""Build corpus/public/p4g/p4g_dialogues.jsonl from the upstream PersuasionForGood annotated file.

    python corpus/public/p4g/build.py --upstream DIR   # DIR: a checkout of
        github.com/ohyj1002/persuasionforgood (see PROVENANCE.txt)

Reads data/AnnotatedData/300_dialog.xlsx (the 300 dialogues annotated sentence by sentence) with
the standard library only (an .xlsx sheet is zipped XML), so the build needs no spreadsheet
package. Deterministic: the same upstream file gives the same bytes.

Each output line is one dialogue: its id, and its turns (consecutive upstream rows of one role)
as speaker ("agent" for the persuader, role 0; "customer" for the persuadee, role 1) and
sentences, each with its text (upstream "Unit", already split by the annotators) and its
upstream strategy/dialogue-act labels (er_label_1/er_label_2 for the persuader,
ee_label_1/ee_label_2 for the persuadee; empty ones dropped, order kept). The weak labels for the
turn-act model are derived from these in nlp/acts.py (p4g_sentence_labels), not here.
"""

from __future__ import annotations

import argparse
import json
import re
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

SHEET = "data/AnnotatedData/300_dialog.xlsx"
OUT = Path(__file__).resolve().parent / "p4g_dialogues.jsonl"
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _cell_text(c: ET.Element, shared: list[str]) -> str:
    t = c.get("t")
    if t == "inlineStr":
        return "".join(x.text or "" for x in c.iter(_NS + "t"))
    v = c.findtext(_NS + "v") or ""
    return shared[int(v)] if t == "s" and v else v


def read_sheet(path: Path) -> list[dict[str, str]]:
    """The first worksheet as dicts keyed by the header row."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        shared = []
        if "xl/sharedStrings.xml" in names:
            shared = ["".join(x.text or "" for x in si.iter(_NS + "t"))
                      for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iter(_NS + "si")]
        root = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for r in root.iter(_NS + "row"):
        rows.append({re.match(r"[A-Z]+", c.get("r")).group(): _cell_text(c, shared) for c in r.iter(_NS + "c")})
    header = rows[0]
    return [{header[k]: v for k, v in r.items() if k in header} for r in rows[1:]]


def build(upstream: Path) -> list[dict]:
    by_dialogue: dict[str, list[dict]] = {}
    for r in read_sheet(upstream / SHEET):
        by_dialogue.setdefault(r["B2"], []).append(r)  # sheet order = dialogue order
    out = []
    for did in sorted(by_dialogue):
        turns: list[dict] = []
        prev_key = None
        for r in by_dialogue[did]:
            text = " ".join(r["Unit"].split())
            if not text:
                continue
            side = "er" if r["B4"] == "0" else "ee"
            labels = [r.get(f"{side}_label_{i}", "").strip() for i in (1, 2)]
            key = (r["Turn"], r["B4"])
            if key != prev_key:
                turns.append({"speaker": "agent" if r["B4"] == "0" else "customer", "sentences": []})
                prev_key = key
            turns[-1]["sentences"].append({"text": text, "labels": [x for x in labels if x]})
        out.append({"dialogue_id": did, "source_file": SHEET, "turns": turns})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", type=Path, required=True, help="checkout of ohyj1002/persuasionforgood")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    rows = build(args.upstream)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows))
    print(f"wrote {args.out}: {len(rows)} dialogues, {sum(len(r['turns']) for r in rows)} turns, "
          f"{sum(len(t['sentences']) for r in rows for t in r['turns'])} sentences")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
