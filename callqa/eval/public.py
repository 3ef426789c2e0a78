"""Need-classification accuracy on public corpora (banking77, ABCD), through the real classifier.

Each banking77 query becomes a one-segment customer transcript and each ABCD chat a
transcript of its agent and customer turns; both go through nlp.need.classify_needs, the
batch form of the classify_need every call uses, so the numbers measure the shipped code.
Gold labels come from nlp/rules/public_need_maps.yaml; intents it leaves out are not counted
(`skipped` says how many). The data is read from ../shared/data (see its README); it is
never copied into the project.

    python -m callqa.eval.public [--split test|train] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlp.need import NeedFinding, classify_needs
from nlp.parse import ParsedCall, parse
from nlp.phrases import load_rule_file, rules_path
from nlp.policy import Policy, load_policy
from nlp.transcript import Segment, Transcript

# Calls per embedding batch: large enough to keep the model busy, small enough that a
# batch's pieces and vectors stay a few MB.
BATCH_CALLS = 512
ABCD_TURN_S = 4.0  # chats have no times: each turn gets this many seconds, in order
_SUBFLOW_SUFFIX = re.compile(r"_\d+$")


class PublicDataMissing(FileNotFoundError):
    """The shared public corpora are not where the evaluation expects them."""


@dataclass(frozen=True)
class PublicEvalResult:
    dataset: str
    split: str
    accuracy: float
    n: int  # examples with a mapped gold label, all of them scored
    skipped: int  # examples whose gold intent has no callqa label
    per_label: dict[str, dict[str, int]]  # gold label -> {"n", "correct"}
    confusion: dict[str, dict[str, int]]  # gold label -> predicted label -> count
    seconds: float

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "split": self.split,
            "accuracy": round(self.accuracy, 4),
            "n": self.n,
            "skipped": self.skipped,
            "per_label": self.per_label,
            "confusion": self.confusion,
            "seconds": round(self.seconds, 2),
        }


def shared_data_dir() -> Path:
    path = Path(__file__).resolve().parents[3] / "shared" / "data"  # ../shared beside the checkout
    if not path.is_dir():
        raise PublicDataMissing(f"public data not found at {path}: the evaluations read banking77/ and abcd/ from ../shared/data next to the project")
    return path


def _data_file(*parts: str) -> Path:
    path = shared_data_dir().joinpath(*parts)
    if not path.is_file():
        raise PublicDataMissing(f"public data file {path} is missing")
    return path


@lru_cache(maxsize=1)
def need_maps() -> dict:
    path = rules_path("public_need_maps.yaml")
    data = load_rule_file(path)
    for key in ("banking77", "abcd"):
        if not isinstance(data.get(key), dict):
            raise ValueError(f"{path}: `{key}` must be a mapping")
    return data


def _check_labels(labels: set[str], policy: Policy, where: str) -> None:
    unknown = labels - set(policy.taxonomy)
    if unknown:
        raise ValueError(f"{where} maps to labels not in the policy taxonomy: {', '.join(sorted(unknown))}")


def _one_turn_call(call_id: str, text: str) -> Transcript:
    return Transcript(call_id, (Segment(f"{call_id}-0000", "customer", "mono", 0.0, 5.0, text, 1.0),))


def _classify(transcripts: list[Transcript], policy: Policy) -> list[NeedFinding]:
    findings: list[NeedFinding] = []
    for i in range(0, len(transcripts), BATCH_CALLS):
        parsed: list[ParsedCall] = [parse(t) for t in transcripts[i : i + BATCH_CALLS]]
        findings.extend(classify_needs(parsed, policy))
    return findings


def _result(dataset: str, split: str, gold: list[str], predicted: list[str], skipped: int, seconds: float) -> PublicEvalResult:
    confusion: dict[str, dict[str, int]] = {}
    for g, p in zip(gold, predicted):
        row = confusion.setdefault(g, {})
        row[p] = row.get(p, 0) + 1
    totals = Counter(gold)
    per_label = {label: {"n": totals[label], "correct": confusion[label].get(label, 0)} for label in sorted(totals)}
    correct = sum(g == p for g, p in zip(gold, predicted))
    return PublicEvalResult(dataset, split, correct / len(gold) if gold else 0.0, len(gold), skipped, per_label, confusion, seconds)


def _spread(items: list, limit: int | None) -> list:
    """A deterministic, evenly spaced sample (the files are sorted by intent: a prefix is one intent)."""
    if limit is None or limit >= len(items):
        return items
    if limit <= 0:
        raise ValueError("limit must be positive")
    return [items[(i * len(items)) // limit] for i in range(limit)]


def banking77_need_accuracy(policy: Policy, split: str = "test", limit: int | None = None) -> PublicEvalResult:
    """Accuracy on the banking77 queries whose intent maps to the taxonomy; `limit` takes an even sample."""
    if split not in ("test", "train"):
        raise ValueError(f"banking77 split is 'test' or 'train', not {split!r}")
    mapping: dict[str, str] = need_maps()["banking77"]
    _check_labels(set(mapping.values()), policy, "public_need_maps.yaml banking77")
    with _data_file("banking77", f"{split}.csv").open(newline="") as handle:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(handle)]
    mapped = [(text, mapping[intent]) for text, intent in rows if intent in mapping]
    sample = _spread(mapped, limit)
    started = time.perf_counter()
    findings = _classify([_one_turn_call(f"banking77-{split}-{i:05d}", text) for i, (text, _) in enumerate(sample)], policy)
    seconds = time.perf_counter() - started
    return _result("banking77", split, [g for _, g in sample], [f.label for f in findings], len(rows) - len(mapped), seconds)


def abcd_gold(scenario: dict) -> str | None:
    """The callqa label of an ABCD scenario: its subflow's entry, else its flow's, else None."""
    maps = need_maps()["abcd"]
    flow = scenario.get("flow", "")
    subflow = _SUBFLOW_SUFFIX.sub("", scenario.get("subflow", ""))
    return (maps.get("subflows") or {}).get(f"{flow}/{subflow}") or (maps.get("flows") or {}).get(flow)


def abcd_transcript(chat: dict) -> Transcript:
    """An ABCD chat as a call: agent and customer turns in order (system actions left out)."""
    call_id = f"abcd-{chat['convo_id']}"
    segments, clock = [], 0.0
    for speaker, text in chat["original"]:
        if speaker not in ("agent", "customer") or not text.strip():
            continue
        segments.append(Segment(f"{call_id}-{len(segments):04d}", speaker, "mono", clock, clock + ABCD_TURN_S, text, 1.0))
        clock += ABCD_TURN_S + 0.5
    return Transcript(call_id, tuple(segments))


def abcd_need_accuracy(policy: Policy) -> PublicEvalResult:
    """Accuracy on the bundled ABCD chats whose flow/subflow maps to the taxonomy."""
    maps = need_maps()["abcd"]
    _check_labels(set((maps.get("flows") or {}).values()) | set((maps.get("subflows") or {}).values()), policy, "public_need_maps.yaml abcd")
    chats = json.loads(_data_file("abcd", "abcd_sample.json").read_text())
    labelled = [(chat, abcd_gold(chat["scenario"])) for chat in chats]
    kept = [(chat, gold) for chat, gold in labelled if gold is not None]
    started = time.perf_counter()
    findings = _classify([abcd_transcript(chat) for chat, _ in kept], policy)
    seconds = time.perf_counter() - started
    return _result("abcd", "sample", [g for _, g in kept], [f.label for f in findings], len(chats) - len(kept), seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description="Need accuracy on the public corpora in ../shared/data")
    parser.add_argument("--split", default="test", choices=("test", "train"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--policy", type=Path, default=None)
    args = parser.parse_args()
    policy = load_policy(args.policy)
    for result in (banking77_need_accuracy(policy, args.split, args.limit), abcd_need_accuracy(policy)):
        print(json.dumps(result.to_dict(), indent=2))


if __name__ == "__main__":
    main()
