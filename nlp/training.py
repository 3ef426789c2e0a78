"""What the corpus-trained models share: the walk over the labelled calls they learn from, their
`python -m nlp.<model> train` command, and the folder they are shipped in (weights.json beside
model_card.json)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from nlp.acts import ROOT


def labelled_calls(styles: tuple[str, ...], exclude: str | None = None) -> Iterator[tuple[str, dict]]:
    """Each labelled call of `styles` but `exclude`, with its style, style by style in file order:
    corpus/styles/<style>/text, and for "dev" (last) corpus/dev and the bundled samples. What the
    need, need-fit and upset models train on."""
    folders = {s: ROOT / "corpus" / "styles" / s / "text" for s in styles if s != "dev"}
    if "dev" in styles:
        folders["dev"] = ROOT / "corpus" / "dev"
    for style, folder in folders.items():
        if style == exclude:
            continue
        files = sorted(folder.rglob("*.labels.json")) + (sorted((ROOT / "audio_samples").glob("*.labels.json")) if style == "dev" else [])
        for path in files:
            yield style, json.loads(path.read_text())


def train_command(doc: str, train: Callable[[], tuple[Any, dict[str, Any]]], save: Callable[[Any, dict[str, Any]], None],
                  report: Callable[[Any, dict[str, Any]], str]) -> int:
    """`python -m nlp.<model> train`: train on every style, save the weights and card, print what was written."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("command", choices=("train",))
    ap.parse_args()
    model, card = train()
    save(model, card)
    print(report(model, card))
    return 0


def write_model(out: Path, weights: dict[str, Any], card: dict[str, Any], indent: int | None = None) -> None:
    """A trained model's folder: its weights (`indent` as that model has always written them, so
    retraining on the same data rewrites the same bytes) and its card."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "weights.json").write_text(json.dumps(weights, indent=indent) + "\n")
    (out / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")


def read_model(folder: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The weights and card of a shipped model's folder, or None when it has not been built."""
    if not (folder / "weights.json").is_file():
        return None
    return json.loads((folder / "weights.json").read_text()), json.loads((folder / "model_card.json").read_text())
