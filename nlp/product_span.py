"""The thing offered: which noun phrase of a pitch sentence names the product, by a learned scorer.

Candidates are the sentence's spaCy noun chunks without their determiners, plus two variants so
the product named in the labels can be one of them: the chunk without its leading adjectives
("great new Sports Plus package" -> "Sports Plus package") and the chunk continued by a product
word spaCy left outside it ("the platinum" + "plan"). Rules in rules/product_span.yaml take out
what can never be the product (an address, a unit, an amount or account number, the company's
own name, what the customer already has); a logistic regression over cheap features of each
remaining candidate (head word, part of speech, capitals, entity type, position, determiner,
known product noun, length) ranks them, and the best is the product when its probability is at
least the model's threshold, else the sentence names none.

Trained on the pitch sentences of every labelled corpus style (the `offer` tags of
corpus/styles/*/scripts, corpus/dev/scripts, audio_samples/scripts); the gold candidate is the
one closest to the annotated product name (rapidfuzz), none when no candidate is close.

    python -m nlp.product_span train   # writes models/product_span (weights, card with data hash)
    python -m nlp.product_span eval    # leave-one-style-out product accuracy vs the hand ranking
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz
from spacy.tokens import Span, Token

from nlp.acts import STYLES
from nlp.phrases import load_rule_file, normalise, rules_path
from nlp.training import read_model, write_model

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "models" / "product_span"
RULES_FILE = Path(__file__).resolve().parent / "rules" / "product_span.yaml"
SEED = 0
# A candidate names the gold product when this close to it (token_sort_ratio of the normalised
# texts): "Easy Access Saver" for "Easy Access Saver account" is, "plan" for "PCP finance plan" is not.
SAME_PRODUCT_RATIO = 70.0
# The threshold under which the best candidate names no product is the lowest of these at which the
# scorer names a product in no more agent sentences of no-sale calls than the hand ranking did
# (on the training styles only): the scorer may name better, but not more often where nothing is
# sold. It starts at even odds (the model is trained with balanced class weights): below them,
# descriptions of an offer ("legal costs", "a small amount") were named as new products.
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(10, 20))
QUIET_NEGATIVES = True  # the candidates of no-sale agent sentences are negatives too
C = 1.0
GENERIC_HEADS = frozenset({"deal", "offer", "option", "promotion", "account", "service", "rate"})
_LONG_DIGITS = re.compile(r"\d{4,}")


@dataclass(frozen=True)
class SpanRules:
    entity_types: dict[str, str]  # spaCy entity label -> veto id
    single_word_entity_types: dict[str, str]  # vetoed only on a one-word phrase with no product noun
    heads: dict[str, str]  # head lemma -> veto id
    rating_spared_ids: frozenset[str]  # head vetoes that spare a name and a number before the head
    number_id: str
    company_id: str
    company_min_ratio: float
    owners: dict[str, str]
    leading: dict[str, str]  # a first word that makes the phrase the customer's ("the same box")
    extensions: frozenset[str]
    product_nouns: frozenset[str]
    service_words: frozenset[str]
    service_id: str
    service_sold_heads: frozenset[str]  # heads that keep a phrase with a service word: "repair cover"


@functools.lru_cache(maxsize=1)
def span_rules() -> SpanRules:
    data = yaml.safe_load(RULES_FILE.read_text())
    entity_types: dict[str, str] = {}
    single: dict[str, str] = {}
    heads: dict[str, str] = {}
    owners: dict[str, str] = {}
    leading: dict[str, str] = {}
    rating_spared: set[str] = set()
    number_id = company_id = ""
    company_ratio = 100.0
    for veto in data["vetoes"]:
        entity_types |= {e: veto["id"] for e in veto.get("entity_types", [])}
        single |= {e: veto["id"] for e in veto.get("single_word_entity_types", [])}
        heads |= {h: veto["id"] for h in veto.get("heads", []) if h not in heads}
        owners |= {o: veto["id"] for o in veto.get("owners", [])}
        leading |= {w: veto["id"] for w in veto.get("leading", [])}
        if veto.get("spares_named_ratings"):
            rating_spared.add(veto["id"])
        if veto.get("number_head"):
            number_id = veto["id"]
        if "company_min_ratio" in veto:
            company_id, company_ratio = veto["id"], float(veto["company_min_ratio"])
    sales = _sales_lists()
    for word in sales["not_products"]:
        heads.setdefault(word, "SPAN-NOT-PRODUCT-HEAD")
    service = next(v for v in data["vetoes"] if v.get("service_words"))
    return SpanRules(entity_types, single, heads, frozenset(rating_spared), number_id, company_id, company_ratio, owners, leading,
                     frozenset(data["extensions"]), frozenset(sales["product_nouns"]),
                     frozenset(sales["service_modifiers"]), service["id"], frozenset(service.get("sold_heads", ())))


@functools.lru_cache(maxsize=1)
def _sales_lists() -> dict[str, list[str]]:
    """The word lists of rules/sales.yaml this module shares with nlp/sales.py (read here, not
    imported: nlp.sales imports this module)."""
    data = load_rule_file(rules_path("sales.yaml"))
    return {k: list(data[k]) for k in ("product_nouns", "not_products", "service_modifiers")}


@dataclass(frozen=True)
class Candidate:
    """One noun phrase of the sentence that might name the product."""

    text: str
    start: int  # token index in the Doc (first word kept)
    end: int
    variant: str  # chunk | no_adjective | extended
    features: tuple[tuple[str, float], ...]
    vetoed_by: str = ""  # the rule that rules it out, empty when it may be chosen


def company_names(greeting: Iterable[Span]) -> tuple[str, ...]:
    """The company's name as the agent's greeting says it ("Good afternoon, Carrington Motors
    customer line"): its ORG entities and runs of proper nouns. A person's name passes too, which
    does no harm: no product is called after the agent."""
    names = []
    for span in greeting:
        names += [e.text for e in span.ents if e.label_ == "ORG"]
        run: list[str] = []
        for token in [*span, None]:
            if token is not None and token.pos_ == "PROPN" and token.text[:1].isupper():
                run.append(token.text)
                continue
            if run:
                names.append(" ".join(run))
            run = []
    return tuple(dict.fromkeys(n for n in names if len(n) > 2))


def _company_ratio(text: str, companies: Sequence[str]) -> float:
    norm = normalise(text)
    return max((fuzz.ratio(norm, normalise(c)) for c in companies if c), default=0.0)


def _words(chunk: Span) -> list[Token]:
    """The chunk without its determiners, possessives and punctuation."""
    return [t for t in chunk if t.pos_ not in ("DET", "PRON", "PUNCT") and t.dep_ not in ("poss", "case")]


def _noun_chunks(sentence: Span) -> list[Span]:
    """spaCy's noun chunks of the sentence alone: `Span.noun_chunks` finds every chunk of the whole
    call's Doc and filters them, for each sentence asked."""
    doc = sentence.doc
    if doc.noun_chunks_iterator is None:
        return list(sentence.noun_chunks)
    return [Span(doc, start, end, label=label) for start, end, label in doc.noun_chunks_iterator(sentence)
            if start >= sentence.start and end <= sentence.end]


_RUN_POS = ("NOUN", "PROPN", "ADJ", "NUM")


def _noun_runs(sentence: Span) -> list[Span]:
    """Runs of nouns and their modifiers that spaCy made no noun chunk of: terse and ASR
    fragments ("Standard free, or next-day for six ninety-nine?", "Stay for twenty a month, same plan?")
    often parse with none. Each run ends on a noun or proper noun."""
    runs, i, doc = [], sentence.start, sentence.doc
    while i < sentence.end:
        if doc[i].pos_ not in _RUN_POS:
            i += 1
            continue
        j = i
        while j < sentence.end and (doc[j].pos_ in _RUN_POS or (doc[j].text == "-" and j + 1 < sentence.end and doc[j + 1].pos_ in _RUN_POS)):
            j += 1
        end = j
        while end > i and doc[end - 1].pos_ not in ("NOUN", "PROPN"):
            end -= 1
        if end > i:
            runs.append(Span(doc, i, end, label="RUN"))
        i = max(j, i + 1)
    return runs


_RUN_OPENERS = frozenset({"or", "and", "but", "so", "then", "now", "also", "plus"})


def _title_runs(sentence: Span) -> list[Span]:
    """Runs of two or more capitalised words, whatever spaCy tagged them: the small model reads
    product names as other parts of speech ("Forkful Plus" as an adjective and a conjunction, "Play
    Ultra" as a verb and its object) and makes no noun chunk of them. The sentence's first word
    starts a run only with a capitalised word after it."""
    runs, i, doc = [], sentence.start, sentence.doc
    while i < sentence.end:
        j = i
        while j < sentence.end and doc[j].text[:1].isupper() and doc[j].is_alpha and doc[j].lower_ != "i":
            j += 1
        first = i
        while first < j and doc[first].lower_ in _RUN_OPENERS:
            first += 1  # "Or All Access is twenty-two ninety-nine": the name starts after the conjunction
        if j - first >= 2:
            runs.append(Span(doc, first, j, label="TITLE"))
        i = max(j, i + 1)
    return runs


def _spans(sentence: Span, rules: SpanRules) -> list[tuple[list[Token], Span, str]]:
    """(words, chunk, variant) for each candidate phrase, chunk order, without duplicates."""
    out: list[tuple[list[Token], Span, str]] = []
    seen: set[tuple[int, int]] = set()

    def add(words: list[Token], chunk: Span, variant: str) -> None:
        key = (words[0].i, words[-1].i) if words else (-1, -1)
        if words and key not in seen:
            seen.add(key)
            out.append((words, chunk, variant))

    for chunk in [*_noun_chunks(sentence), *_noun_runs(sentence), *_title_runs(sentence)]:
        # a capitalised run keeps every word: "All" of "All Access" is a determiner to spaCy
        words = _words(chunk) if chunk.label_ != "TITLE" else list(chunk)
        add(words, chunk, {"RUN": "noun_run", "TITLE": "title_run"}.get(chunk.label_, "chunk"))
        bare = words
        while len(bare) > 1 and bare[0].pos_ in ("ADJ", "ADV", "NUM") and bare[0].i != chunk.root.i:
            bare = bare[1:]
        if bare is not words:
            add(bare, chunk, "no_adjective")
        longer, i = list(words), chunk.end
        doc = sentence.doc
        while i < sentence.end and i - chunk.end < 3:
            if doc[i].lower_ in rules.extensions:
                longer.append(doc[i])
                i += 1
            elif doc[i].lower_ == "add" and i + 1 < sentence.end and doc[i + 1].lower_ == "on":
                longer += [doc[i], doc[i + 1]]
                i += 2
            else:
                break
        if len(longer) > len(words):
            add(longer, chunk, "extended")
    return out


def _entity_of(token: Token) -> range:
    """The token indices of the entity `token` is in (itself alone when none), read from the IOB tags."""
    if not token.ent_type_:
        return range(token.i, token.i + 1)
    doc, start, end = token.doc, token.i, token.i + 1
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return range(start, end)


def _named(words: list[Token], head: Token, sentence_start: int) -> bool:
    """A capitalised word that is neither a number, nor inside the head's entity, nor a date or a
    time of its own goes with the phrase: "Fibre Five Hundred" is a name, "Five Hundred", "Monday"
    or "Friday noon" is not."""
    inside = _entity_of(head)
    return any(t.text[:1].isupper() and not t.like_num and not any(c.isdigit() for c in t.text) and t.i not in inside
               and t.i != sentence_start and t.ent_type_ not in ("DATE", "TIME") for t in words)


def _veto(words: list[Token], chunk: Span, head: Token, text: str, companies: Sequence[str], rules: SpanRules, sentence_start: int) -> str:
    lemma = head.lemma_.lower()
    product_noun = any(t.lemma_.lower() in rules.product_nouns or t.lower_ in rules.product_nouns for t in words)
    if head.ent_type_ in rules.entity_types and not _named(words, head, sentence_start):
        return rules.entity_types[head.ent_type_]
    if head.ent_type_ in rules.single_word_entity_types and len(words) == 1 and not product_noun:
        return rules.single_word_entity_types[head.ent_type_]
    if lemma in rules.heads or head.lower_ in rules.heads:
        veto = rules.heads.get(lemma) or rules.heads[head.lower_]
        # a model's rating after its name ("the Vantage nine kilowatt"): the thing, not a unit of it
        if not (veto in rules.rating_spared_ids and _named(words, head, sentence_start) and any(t.like_num for t in words)):
            return veto
    after = head.doc[words[-1].i + 1] if words[-1].i + 1 < len(head.doc) else None
    if any(_LONG_DIGITS.search(t.text) for t in words) or (after is not None and (after.ent_type_ == "ACCOUNT" or _LONG_DIGITS.search(after.text))) or (
        (head.like_num or any(c.isdigit() for c in head.text)) and not _named(words, head, sentence_start)
    ):
        return rules.number_id
    if all(len(t.text.strip(".")) == 1 or t.like_num for t in words if not t.is_punct):
        return rules.number_id  # a code spelled out: "D D four seven H Z", "L S", "rows fourteen A to D"
    if any(t.lower_ in rules.owners for t in chunk):
        return rules.owners[next(t.lower_ for t in chunk if t.lower_ in rules.owners)]
    if chunk[0].lower_ in rules.leading or (len(chunk) > 1 and chunk[0].pos_ == "DET" and chunk[1].lower_ in rules.leading):
        return rules.leading[chunk[int(chunk[0].lower_ not in rules.leading)].lower_]
    if companies and _company_ratio(text, companies) >= rules.company_min_ratio:
        return rules.company_id
    if any(t.lemma_.lower() in rules.service_words for t in chunk) and lemma not in rules.service_sold_heads:
        return rules.service_id
    return ""


def candidates(sentence: Span, companies: Sequence[str] = ()) -> list[Candidate]:
    """The sentence's candidate product phrases with their features (vetoed ones included,
    marked, so an evaluation can see what the rules took out)."""
    rules = span_rules()
    spans = _spans(sentence, rules)
    out = []
    for rank, (words, chunk, variant) in enumerate(spans):
        head = words[-1] if variant == "extended" else chunk.root
        if head not in words:
            head = words[-1]
        text = sentence.doc[words[0].i : words[-1].i + 1].text
        lemma = head.lemma_.lower()
        determiner = next((t.lower_ for t in chunk if t.pos_ in ("DET", "PRON") or t.dep_ == "poss"), "none")
        governor = chunk.root.head
        f: dict[str, float] = {
            f"head={lemma}": 1.0,
            f"head_pos={head.pos_}": 1.0,
            f"dep={chunk.root.dep_}": 1.0,
            f"det={determiner}": 1.0,
            f"variant={variant}": 1.0,
            f"governor={governor.lemma_.lower()}" if governor.pos_ in ("VERB", "ADP", "AUX") else "governor=other": 1.0,
            "head_product_noun": float(lemma in rules.product_nouns or head.lower_ in rules.product_nouns),
            "any_product_noun": float(any(t.lemma_.lower() in rules.product_nouns for t in words)),
            "head_generic": float(lemma in GENERIC_HEADS),
            "propn": float(any(t.pos_ == "PROPN" for t in words)),
            "capitalised": float(any(t.text[:1].isupper() and t.i != sentence.start and t.lower_ != "i" for t in words)),
            "all_capitalised": float(all(t.text[:1].isupper() for t in words)),
            "words": min(len(words), 6) / 6,
            "one_word": float(len(words) == 1),
            "first": float(rank == 0),
            "last": float(rank == len(spans) - 1),
            "position": (words[0].i - sentence.start) / max(1, len(sentence)),
            "company_ratio": _company_ratio(text, companies) / 100 if companies else 0.0,
            "has_digit": float(any(c.isdigit() for c in text)),
            "like_num": float(any(t.like_num for t in words)),
        }
        for t in words:
            if t.ent_type_:
                f[f"ent={t.ent_type_}"] = 1.0
        veto = _veto(words, chunk, head, text, companies, rules, sentence.start)
        out.append(Candidate(text, words[0].i, words[-1].i + 1, variant, tuple(sorted(f.items())), veto))
    return out


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class SpanModel:
    weights: dict[str, float]
    intercept: float
    id: str
    # Below this probability the best candidate is not a product: the sentence names none (see calibrate).
    min_probability: float = 0.5

    def probability(self, candidate: Candidate) -> float:
        import math

        z = self.intercept + sum(self.weights.get(name, 0.0) * value for name, value in candidate.features)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Choice:
    text: str
    char_start: int  # of the phrase, in the Doc
    char_end: int
    probability: float
    model_id: str


def choose(model: SpanModel, sentence: Span, companies: Sequence[str] = ()) -> Choice | None:
    """The product the sentence names, or None when no candidate is likely enough."""
    scored = [(model.probability(c), -i, c) for i, c in enumerate(candidates(sentence, companies)) if not c.vetoed_by]
    if not scored:
        return None
    p, _, best = max(scored, key=lambda s: (s[0], s[1]))
    if p < model.min_probability:
        return None
    doc = sentence.doc
    return Choice(best.text, doc[best.start].idx, doc[best.end - 1].idx + len(doc[best.end - 1].text), p, model.id)


@functools.lru_cache(maxsize=1)
def shipped() -> SpanModel | None:
    """The packaged model, or None when it has not been built."""
    if (built := read_model(MODEL_DIR)) is None:
        return None
    data, card = built
    return SpanModel(data["weights"], float(data["intercept"]), card["model_id"], float(data["min_probability"]))


# ---------------------------------------------------------------- training data


@dataclass(frozen=True)
class Pitch:
    style: str
    call_id: str
    text: str  # the turn
    quote: str  # the pitch, as tagged
    product: str  # the annotated product name
    companies: tuple[str, ...]  # the script's company


def pitches(exclude: str | None = None, only: str | None = None) -> list[Pitch]:
    """Every tagged pitch of the labelled scripts, with its offer's annotated product."""
    from nlp.acts import script_files

    out = []
    for style, paths in script_files(ROOT).items():
        if style == exclude or (only is not None and style != only):
            continue
        for path in paths:
            script = yaml.safe_load(path.read_text())
            products = {o["id"]: o["product"] for o in (script.get("annotation") or {}).get("offers") or []}
            seen: set[str] = set()
            for turn in script["turns"]:
                for tag in turn.get("tags") or []:
                    if not isinstance(tag, dict) or "offer" not in tag or tag["offer"] in seen or tag["offer"] not in products:
                        continue
                    seen.add(tag["offer"])  # the first pitch of each offer: where it is opened
                    company = (script.get("company") or "",) if script.get("company") else ()
                    out.append(Pitch(style, script["call_id"], turn["text"], tag.get("quote") or turn["text"],
                                     products[tag["offer"]], company))
    return out


def quiet_turns() -> list[Pitch]:
    """Every agent turn of the no-sale scripts (no annotated offer): no sentence of them names a
    product on offer. As Pitch rows with no quote and no product."""
    from nlp.acts import script_files

    out = []
    for style, paths in script_files(ROOT).items():
        for path in paths:
            script = yaml.safe_load(path.read_text())
            if (script.get("annotation") or {}).get("offers"):
                continue
            company = (script["company"],) if script.get("company") else ()
            out += [Pitch(style, script["call_id"], t["text"], "", "", company) for t in script["turns"] if t["speaker"] == "agent"]
    return out


def data_hash(rows: Sequence[Pitch]) -> str:
    digest = hashlib.sha256()
    for r in rows:
        digest.update(f"{r.style}\t{r.call_id}\t{r.text}\t{r.quote}\t{r.product}\t{'|'.join(r.companies)}\n".encode())
    return digest.hexdigest()


def pitch_sentence(doc: Any, text: str, quote: str) -> Span:
    """The sentence of the parsed turn that holds most of the quote (analysis reads sentences)."""
    at = text.find(quote)
    lo, hi = (at, at + len(quote)) if at >= 0 else (0, len(text))
    return max(doc.sents, key=lambda s: (min(hi, s.end_char) - max(lo, s.start_char), -s.start))


_PARENTHESES = re.compile(r"\([^)]*\)")
_FILLER = frozenset({"a", "an", "the", "and", "or", "of", "for", "with", "on", "in", "at", "to", "our", "new", "same", "one"})


def _closeness(found: str, gold: str) -> tuple[bool, float]:
    """Whether `found` names the annotated product `gold`, and how closely. Annotations describe
    ("Weekday climbing membership (retention)"): the found phrase names it when the two are close
    as wholes (token_sort_ratio >= SAME_PRODUCT_RATIO), or when at least half of the found words are
    the gold name's and they are two words or a distinctive one, not a bare product noun ("Sports
    Pack" and "Card Guard" name "Sports Pack TV add-on" and "Card Guard fraud protection"; "card"
    does not name "Card spending text alerts")."""
    rules = span_rules()
    g, f = normalise(_PARENTHESES.sub(" ", gold)), normalise(found)
    ratio = fuzz.token_sort_ratio(f, g)
    if ratio >= SAME_PRODUCT_RATIO:
        return True, ratio
    gold_words = set(g.replace("-", " ").split())
    gold_words |= {w[:-1] for w in gold_words if w.endswith("s")}
    found_words = [w for w in f.replace("-", " ").split() if w not in _FILLER]
    shared = [w for w in found_words if w in gold_words or w.rstrip("s") in gold_words]
    distinctive = [w for w in shared if w not in rules.product_nouns and w.rstrip("s") not in rules.product_nouns and w not in GENERIC_HEADS]
    return bool(found_words) and 2 * len(shared) >= len(found_words) and (bool(distinctive) or len(shared) >= 2), ratio


def same_product(found: str | None, gold: str) -> bool:
    return found is not None and _closeness(found, gold)[0]


def gold_index(cands: Sequence[Candidate], product: str) -> int | None:
    """The candidate closest to the annotated product, None when none names it."""
    scored = [(*_closeness(c.text, product), -i) for i, c in enumerate(cands) if not c.vetoed_by]
    best = max(scored, default=None)
    return -best[2] if best is not None and best[0] else None


@dataclass(frozen=True)
class Example:
    pitch: Pitch
    sentence: Span
    candidates: tuple[Candidate, ...]
    gold: int | None


def examples(rows: Sequence[Pitch]) -> list[Example]:
    from nlp.parse import load_pipeline

    nlp = load_pipeline()
    docs = nlp.pipe([r.text for r in rows], batch_size=64)
    out = []
    for row, doc in zip(rows, docs, strict=True):
        sentence = pitch_sentence(doc, row.text, row.quote)
        cands = tuple(candidates(sentence, row.companies))
        out.append(Example(row, sentence, cands, gold_index(cands, row.product)))
    return out


@dataclass(frozen=True)
class Quiet:
    style: str
    sentence: Span
    candidates: tuple[Candidate, ...]
    hand_names: bool  # the hand ranking names a product in it


def quiet_sentences(rows: Sequence[Pitch]) -> list[Quiet]:
    from nlp.parse import load_pipeline

    out = []
    for row, doc in zip(rows, load_pipeline().pipe([r.text for r in rows], batch_size=64), strict=True):
        out += [Quiet(row.style, s, tuple(candidates(s, row.companies)), hand_ranking(s) is not None) for s in doc.sents]
    return out


def _best(model: SpanModel, cands: Sequence[Candidate]) -> float:
    return max((model.probability(c) for c in cands if not c.vetoed_by), default=0.0)


def calibrate(model: SpanModel, quiet: Sequence[Quiet]) -> SpanModel:
    """The model with the lowest threshold at which it names a product in no more of the quiet
    sentences than the hand ranking does."""
    allowed = sum(q.hand_names for q in quiet)
    best = [_best(model, q.candidates) for q in quiet]
    threshold = next((t for t in THRESHOLDS if sum(b >= t for b in best) <= allowed), THRESHOLDS[-1])
    return replace(model, min_probability=threshold)


def fit(train: Sequence[Example], quiet: Sequence[Quiet], model_id: str) -> SpanModel:
    """Logistic regression over every candidate the rules leave in (the gold one: 1, the others
    and those of the quiet sentences: 0), with its threshold calibrated on the quiet sentences."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows, ys = [], []
    for cands, gold in [*((ex.candidates, ex.gold) for ex in train), *((q.candidates, None) for q in quiet if QUIET_NEGATIVES)]:
        for i, c in enumerate(cands):
            if not c.vetoed_by:
                rows.append(dict(c.features))
                ys.append(int(i == gold))
    vec = DictVectorizer()
    X = vec.fit_transform(rows)
    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, random_state=SEED).fit(X, ys)
    weights = {name: round(float(w), 6) for name, w in zip(vec.get_feature_names_out(), lr.coef_[0], strict=True) if abs(w) > 1e-9}
    return calibrate(SpanModel(weights, round(float(lr.intercept_[0]), 6), model_id), quiet)


# Heads that are never what is sold; nlp/sales.py reads them too (the hand ranking below is the
# choice sales.py made before this scorer, kept to measure against).
NOT_PRODUCT_HEADS = frozenset({"contract", "charge", "fee", "bill", "payment", "price", "line", "street", "area", "address"})


def hand_ranking(sentence: Span) -> str | None:
    """callqa's choice before the scorer (nlp/sales.py `_product_phrase` until this model), kept
    for the comparison: named beats generic, longest wins, over chunks with a product noun."""
    lists = _sales_lists()
    not_products, service_modifiers, product_nouns = (frozenset(lists[k]) for k in ("not_products", "service_modifiers", "product_nouns"))
    found = []
    for chunk in sentence.noun_chunks:
        head = chunk.root.lemma_.lower()
        if head in NOT_PRODUCT_HEADS or head in not_products or any(t.lemma_.lower() in service_modifiers for t in chunk):
            continue
        named_product = (any(t.pos_ == "PROPN" for t in chunk) and head not in GENERIC_HEADS
                         and chunk.root.ent_type_ not in ("PERSON", "GPE", "DATE", "TIME", "LOC"))
        if head not in product_nouns and chunk.root.text.lower() not in product_nouns and not named_product:
            continue
        if any(t.lower_ in ("your", "my", "his", "her", "their") for t in chunk):
            continue
        words = [t for t in chunk if t.pos_ not in ("DET", "PRON") and t.dep_ not in ("poss", "case")]
        if not words:
            continue
        named = any(t.pos_ == "PROPN" or (t.text[:1].isupper() and t.i != sentence.start) for t in words)
        found.append((named, head not in GENERIC_HEADS, len(words), " ".join(t.text for t in words)))
    return max(found)[3] if found else None


# ---------------------------------------------------------------- commands


def shipped_weights(model: SpanModel) -> dict[str, Any]:
    """What models/product_span/weights.json holds for the model."""
    return {"intercept": model.intercept, "min_probability": model.min_probability, "weights": dict(sorted(model.weights.items()))}


def model_id(dhash: str, weights: dict[str, Any]) -> str:
    """The id names the data and the weights: a change of features trains new weights from the same
    data, and the evidence must then name a new model."""
    digest = hashlib.sha256(f"{dhash}\t{json.dumps(weights, sort_keys=True)}".encode()).hexdigest()
    return f"product-span-lr@{digest[:8]}"


def _accuracy(model: SpanModel, test: Sequence[Example]) -> tuple[int, int, int, int]:
    """(scorer right, its best candidate right whatever its probability, hand ranking right, gold
    reachable) over the test pitches."""
    right = best = hand = reachable = 0
    for ex in test:
        chosen = choose(model, ex.sentence, ex.pitch.companies)
        right += same_product(chosen.text if chosen else None, ex.pitch.product)
        top = choose(replace(model, min_probability=0.0), ex.sentence, ex.pitch.companies)
        best += same_product(top.text if top else None, ex.pitch.product)
        hand += same_product(hand_ranking(ex.sentence), ex.pitch.product)
        reachable += ex.gold is not None
    return right, best, hand, reachable


def loso(all_examples: Sequence[Example], quiet: Sequence[Quiet]) -> dict[str, dict[str, Any]]:
    """Per held-out style: product accuracy on its pitches, and how many of its no-sale agent
    sentences each names a product in, for the scorer trained on the other six and the hand ranking."""
    from nlp.acts import wilson

    out = {}
    for style in STYLES:
        model = fit([e for e in all_examples if e.pitch.style != style], [q for q in quiet if q.style != style],
                    f"product-span-lr@without-{style}")
        test = [e for e in all_examples if e.pitch.style == style]
        right, best, hand, reachable = _accuracy(model, test)
        held = [q for q in quiet if q.style == style]
        n = len(test)
        out[style] = {"n": n, "scorer": right, "scorer_ci": wilson(right, n), "best": best, "best_ci": wilson(best, n),
                      "hand": hand, "hand_ci": wilson(hand, n),
                      "gold_among_candidates": reachable, "threshold": model.min_probability, "quiet_sentences": len(held),
                      "quiet_named_scorer": sum(_best(model, q.candidates) >= model.min_probability for q in held),
                      "quiet_named_hand": sum(q.hand_names for q in held)}
    return out


def markdown(results: dict[str, dict[str, Any]]) -> str:
    def pct(k: int, n: int, ci: tuple[float, float]) -> str:
        return f"{k / n:.0%} [{ci[0]:.0%}, {ci[1]:.0%}]" if n else "-"

    lines = ["| style (held out) | offers | learned scorer | its best candidate, no threshold | hand ranking | gold among candidates | threshold "
             "| no-sale agent sentences naming a product: scorer / hand |", "|---|---|---|---|---|---|---|---|"]
    for style, r in results.items():
        lines.append(f"| {style} | {r['n']} | {pct(r['scorer'], r['n'], r['scorer_ci'])} | {pct(r['best'], r['n'], r['best_ci'])} | "
                     f"{pct(r['hand'], r['n'], r['hand_ci'])} | "
                     f"{r['gold_among_candidates']} | {r['threshold']} | {r['quiet_named_scorer']} / {r['quiet_named_hand']} "
                     f"of {r['quiet_sentences']} |")
    from nlp.acts import wilson

    n = sum(r["n"] for r in results.values())
    s, h, b = (sum(r[k] for r in results.values()) for k in ("scorer", "hand", "best"))
    g = sum(r["gold_among_candidates"] for r in results.values())
    qs, qh, qn = (sum(r[k] for r in results.values()) for k in ("quiet_named_scorer", "quiet_named_hand", "quiet_sentences"))
    lines.append(f"| all | {n} | {pct(s, n, wilson(s, n))} | {pct(b, n, wilson(b, n))} | {pct(h, n, wilson(h, n))} | {g} | | {qs} / {qh} of {qn} |")
    return "\n".join(lines)


def training_data() -> tuple[str, list[Pitch], list[Example], list[Quiet]]:
    """(data hash, pitches, their candidate examples, the no-sale calls' agent sentences): what `train` fits on."""
    rows, quiet_rows = pitches(), quiet_turns()
    return data_hash(rows + quiet_rows), rows, examples(rows), quiet_sentences(quiet_rows)


def train_and_save(out: Path = MODEL_DIR) -> tuple[SpanModel, dict[str, Any]]:
    dhash, rows, all_examples, quiet = training_data()
    model = fit(all_examples, quiet, "")
    model = replace(model, id=model_id(dhash, shipped_weights(model)))
    results = loso(all_examples, quiet)
    n = sum(r["n"] for r in results.values())
    card = {
        "model_id": model.id,
        "kind": f"logistic regression (C={C}, class_weight=balanced) over cheap features of each candidate noun phrase; "
                "the best candidate is the product when its probability reaches min_probability; vetoes in nlp/rules/product_span.yaml",
        "training_command": "python -m nlp.product_span train",
        "seed": SEED,
        "data_sha256": dhash,
        "data": "first pitch sentence of every annotated offer, and every agent sentence of the no-sale calls (negatives, "
                "and the threshold's calibration), in corpus/styles/*/scripts, corpus/dev/scripts, audio_samples/scripts",
        "min_probability": model.min_probability,
        "pitches": {s: sum(1 for r in rows if r.style == s) for s in STYLES},
        "no_sale_agent_sentences": len(quiet),
        "gold_among_candidates": sum(e.gold is not None for e in all_examples),
        "leave_one_style_out_accuracy": {
            "scorer": round(sum(r["scorer"] for r in results.values()) / n, 3),
            "hand_ranking": round(sum(r["hand"] for r in results.values()) / n, 3),
            "pitches": n,
            "best_candidate_no_threshold": round(sum(r["best"] for r in results.values()) / n, 3),
            "per_style": {s: {k: r[k] for k in ("n", "scorer", "best", "hand", "threshold", "quiet_sentences", "quiet_named_scorer", "quiet_named_hand")}
                          for s, r in results.items()},
            "measure": "the product named is the annotated one (nlp/product_span.py same_product); see models/product_span/EVAL.md",
        },
    }
    write_model(out, shipped_weights(model), card, indent=1)
    return model, card


def main(argv: list[str] | None = None) -> int:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("train", "eval"))
    ap.add_argument("--show-errors", action="store_true", help="eval: print the pitches the scorer names wrongly")
    args = ap.parse_args(argv)
    if args.command == "train":
        model, card = train_and_save()
        print(f"wrote {MODEL_DIR} ({model.id}): {sum(card['pitches'].values())} pitches, threshold {model.min_probability}, "
              f"leave-one-style-out accuracy {card['leave_one_style_out_accuracy']['scorer']:.3f} "
              f"(hand ranking {card['leave_one_style_out_accuracy']['hand_ranking']:.3f})")
        return 0
    _, _, all_examples, quiet = training_data()
    print(markdown(loso(all_examples, quiet)))
    if args.show_errors:
        for style in STYLES:
            model = fit([e for e in all_examples if e.pitch.style != style], [q for q in quiet if q.style != style], f"without-{style}")
            for ex in (e for e in all_examples if e.pitch.style == style):
                chosen = choose(model, ex.sentence, ex.pitch.companies)
                if not same_product(chosen.text if chosen else None, ex.pitch.product):
                    print(f"{style}\t{ex.pitch.product!r}\tgot {chosen.text if chosen else None!r}\thand {hand_ranking(ex.sentence)!r}\t"
                          f"cands {[c.text + ('/' + c.vetoed_by if c.vetoed_by else '') for c in ex.candidates]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
