"""Sentiment: segment scores, role states, the rules file's own examples, and the HF model path.

Fast tests build role states from hand-made segment scores (no model). Tests marked slow load
the packaged sentence-embedding model, or build a tiny BERT classifier in tmp_path (random
weights: they check the plumbing, not accuracy).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from nlp.parse import ParsedCall
from nlp.phrases import RuleFileError, load_rule_file, rules_path
from nlp.sentiment import SegmentSentiment, SentimentFinding, is_upset, label_for, role_sentiment, score_sentiment
from nlp.sentiment_rules import SentimentConfig, SentimentModelError, is_backchannel, load_rules, prepare
from nlp.sentiment_scorers import label_polarities, windows
from nlp.transcript import Segment, Transcript

RULES_FILE = load_rule_file(rules_path("sentiment_anchors.yaml"))
EXAMPLES = RULES_FILE["examples"]


def call(turns: list[tuple[str, str]], gap: float = 5.0) -> ParsedCall:
    """A ParsedCall over (speaker, text) turns, `gap` seconds apart, on a blank spaCy pipeline:
    sentiment reads segments only, so no spaCy model is needed."""
    segments = tuple(
        Segment(f"t-mono-{i:04d}", speaker, "mono", i * gap, i * gap + gap - 0.5, text, 0.9)  # type: ignore[arg-type]
        for i, (speaker, text) in enumerate(turns)
    )
    starts, offset = [], 0
    for s in segments:
        starts.append(offset)
        offset += len(s.text) + 1
    doc = spacy.blank("en")("\n".join(s.text for s in segments))
    return ParsedCall(Transcript("t", segments), doc, tuple(starts), tuple(() for _ in segments))


ANGRY_THEN_CALM = [
    ("agent", "Thank you for calling Northwind Mobile, this is Dana. How can I help you today?"),
    ("customer", "Yeah, this is the third time I'm calling about my bill. You people keep overcharging me and I'm really fed up."),
    ("agent", "I'm sorry to hear that. Can I have your account number, please?"),
    ("customer", "It's four five eight one two."),
    ("agent", "Thank you. I can see a duplicate charge of twenty dollars on the fifth."),
    ("customer", "Honestly, this is ridiculous. I've been on hold for forty minutes."),
    ("agent", "I understand. I've refunded the twenty dollars, it will show in three to five days."),
    ("customer", "Okay."),
    ("agent", "While I have you, would you like to add our streaming bundle for ten dollars a month?"),  # t=40
    ("customer", "No thanks, not right now."),
    ("agent", "No problem. Is there anything else I can help you with?"),
    ("customer", "No, that's great, thanks so much for sorting that out."),
    ("agent", "You're welcome. Thank you for calling Northwind Mobile, have a great day."),
    ("customer", "Perfect, thanks. Bye."),
]
OFFER_TIME = 40.0


def lower_asr(turns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What Whisper-style ASR text often looks like: lower case, no punctuation."""
    return [(who, "".join(ch for ch in text.lower() if ch.isalnum() or ch in " '")) for who, text in turns]


# ---------------------------------------------------------------- fast: no model


def seg(i: int, score: float, speaker: str = "customer", words: int = 8, substantive: bool = True) -> SegmentSentiment:
    return SegmentSentiment(f"s{i}", speaker, 10.0 * i, 10.0 * i + 8, score, label_for(score, 0.15), min(1.0, words / 6), substantive, "X")


def test_labels_follow_the_neutral_band() -> None:
    assert label_for(0.5, 0.15) == "positive"
    assert label_for(-0.5, 0.15) == "negative"
    assert label_for(0.15, 0.15) == label_for(-0.1, 0.15) == "neutral"


def test_is_upset_uses_the_policy_threshold() -> None:
    assert is_upset(-0.6, -0.3)
    assert is_upset(-0.3, -0.3)
    assert not is_upset(-0.1, -0.3)


@pytest.mark.parametrize("text", ["okay", "Yeah.", "uh huh", "Mm-hmm.", "oh okay", "yeah yeah right", "No.", "all right"])
def test_backchannels_are_recognised(text: str) -> None:
    assert prepare(text, "customer", load_rules()).backchannel


@pytest.mark.parametrize("text", ["okay add it", "no thanks", "yeah that's ridiculous", "perfect"])
def test_content_is_not_a_backchannel(text: str) -> None:
    assert not is_backchannel(text, load_rules().backchannels)


def test_agent_formulas_are_cut_out_and_valued_low() -> None:
    rules = load_rules()
    greeting = prepare("Thank you for calling Northwind, how can I help you today?", "agent", rules)
    assert "SA-FORM-GREETING" in greeting.formula_ids
    assert greeting.text == "northwind"
    assert greeting.formula_share > 0.7 and greeting.formula_value <= 0.3
    # ASR variants and no punctuation still match.
    assert "SA-FORM-GREETING" in prepare("thanks for calling northwind how can i help you", "agent", rules).formula_ids
    # A scripted apology is the agent's job; the same words from a customer are read as said.
    assert "SA-FORM-EMPATHY" in prepare("I'm sorry about that. Let me check.", "agent", rules).formula_ids
    assert prepare("I'm sorry about that. Let me check.", "customer", rules).formula_ids == ()
    assert prepare("thank you", "agent", rules).text == ""


def test_long_turns_are_cut_in_even_pieces() -> None:
    short = "this is ridiculous i have been on hold"
    assert windows(short, 10) == [short]
    long = " ".join(f"w{i}" for i in range(37))
    pieces = windows(long, 10)
    assert len(pieces) == 4
    assert " ".join(pieces) == long
    assert max(len(p.split()) for p in pieces) - min(len(p.split()) for p in pieces) <= 1


def test_role_states_start_end_min_and_offer() -> None:
    segments = (seg(0, -0.6), seg(1, -0.2), seg(2, 0.0, words=1, substantive=False), seg(3, -0.7), seg(4, 0.1), seg(5, 0.6))
    role = role_sentiment("customer", segments, first_offer_time=35.0, band=0.15)
    assert role.start is not None and role.start.label == "negative" and role.start.segment_ids == ("s0",)
    assert role.end is not None and role.end.label == "positive" and role.end.segment_ids == ("s5",)
    assert role.min is not None and role.min.segment_id == "s3" and role.min.score == pytest.approx(-0.7)
    # Before t=35 the last substantive segment is s3 (t=30); it has full weight, so no second joins.
    assert role.at_first_offer is not None and role.at_first_offer.segment_ids == ("s3",)
    assert role_sentiment("customer", segments, None, 0.15).at_first_offer is None


def test_short_segments_bring_in_a_second_and_weigh_less() -> None:
    segments = (seg(0, 0.9, words=1), seg(1, -0.3, words=6), seg(2, 0.0, words=6))
    role = role_sentiment("customer", segments, first_offer_time=100.0, band=0.15)
    assert role.start is not None and role.start.segment_ids == ("s0", "s1")
    # weights 1/6 and 1: (0.15 - 0.3) / (7/6)
    assert role.start.score == pytest.approx((0.9 / 6 - 0.3) / (7 / 6))
    # A one-word high is real but thin: the low point is s1, not a short dip.
    low = role_sentiment("customer", (seg(0, -0.5, words=1), seg(1, -0.3, words=8)), None, 0.15).min
    assert low is not None and low.segment_id == "s1"


def test_offer_state_uses_only_segments_that_started_before_it() -> None:
    segments = (seg(0, -0.8), seg(1, 0.7))  # s1 starts at t=10
    before = role_sentiment("customer", segments, first_offer_time=10.0, band=0.15).at_first_offer
    assert before is not None and before.segment_ids == ("s0",) and before.label == "negative"
    assert role_sentiment("customer", segments, first_offer_time=0.0, band=0.15).at_first_offer is None


def test_finding_lookups() -> None:
    customer = (seg(0, -0.5), seg(2, 0.4))
    agent = (seg(1, 0.2, speaker="agent"),)
    finding = SentimentFinding(
        agent=role_sentiment("agent", agent, None, 0.15),
        customer=role_sentiment("customer", customer, None, 0.15),
        model="test",
        neutral_band=0.15,
        segments=customer[:1] + agent + customer[1:],
    )
    assert finding.lowest_before(0.0, "customer") is None  # s0 starts at it, not before
    assert finding.lowest_before(4.0, "customer").segment_id == "s0"
    assert finding.lowest_before(25.0, "customer", last=1).segment_id == "s2"
    assert finding.lowest_before(25.0, "customer").score == min(s.score for s in customer)
    assert finding.lowest_before(5.0, "agent") is None  # the agent had not spoken yet
    assert finding.segment("s1").speaker == "agent"
    assert finding.state_before(20.0, "customer").label == "negative"
    record = finding.to_dict()
    assert set(record) == {"agent", "customer", "model"}
    assert set(record["customer"]) == {"start", "end", "min", "at_first_offer", "segments"}
    assert record["customer"]["segments"][0] == {"segment_id": "s0", "label": "negative", "score": -0.5, "rule": "X"}
    assert record["customer"]["at_first_offer"] is None


@pytest.mark.parametrize(
    "id2label, expected",
    [
        ({0: "negative", 1: "neutral", 2: "positive"}, (-1.0, 0.0, 1.0)),
        ({0: "NEG", 1: "NEU", 2: "POS"}, (-1.0, 0.0, 1.0)),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, (-1.0, 0.0, 1.0)),
        ({0: "LABEL_0", 1: "LABEL_1"}, (-1.0, 1.0)),
        ({0: "NEGATIVE", 1: "POSITIVE"}, (-1.0, 1.0)),
        ({0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"}, (-1.0, -0.5, 0.0, 0.5, 1.0)),
        ({0: "very negative", 1: "negative", 2: "neutral", 3: "positive", 4: "very positive"}, (-1.0, -0.5, 0.0, 0.5, 1.0)),
        ({"1": "positive", "0": "negative"}, (-1.0, 1.0)),  # ids as strings, as in some config.json files
    ],
)
def test_classifier_labels_map_to_polarity(id2label: dict, expected: tuple[float, ...]) -> None:
    assert label_polarities(id2label) == pytest.approx(expected)


@pytest.mark.parametrize("id2label", [{0: "spam", 1: "ham"}, {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2", 3: "LABEL_3"}, {0: "positive"}])
def test_unreadable_classifier_labels_fail_clearly(id2label: dict) -> None:
    with pytest.raises(SentimentModelError, match="labels"):
        label_polarities(id2label)


def test_bad_config_fails_early(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="neutral_band"):
        SentimentConfig(neutral_band=1.5)
    with pytest.raises(ValueError, match="anchor_floor"):
        SentimentConfig(anchor_floor=0.6, anchor_full=0.5)
    with pytest.raises(SentimentModelError, match="not a directory"):
        SentimentConfig(model_dir=tmp_path / "missing")


def test_malformed_rules_file_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "anchors.yaml"
    bad.write_text("formulas:\n  - id: F\n    value: high\n    phrases: [thank you]\nanchors: {negative: [], neutral: [], positive: []}\n")
    with pytest.raises(RuleFileError, match="value"):
        load_rules(bad)
    bad.write_text("formulas: []\nanchors: {negative: [{id: N, phrases: [bad]}]}\n")
    with pytest.raises(RuleFileError, match="anchors"):
        load_rules(bad)


def test_rules_file_ids_are_unique_across_groups() -> None:
    ids = [r["id"] for r in RULES_FILE["formulas"]] + [r["id"] for group in RULES_FILE["anchors"].values() for r in group]
    ids += [r["id"] for r in RULES_FILE["lexicon_neutral"]]
    assert len(ids) == len(set(ids))


# ---------------------------------------------------------------- slow: the packaged embedding model


@pytest.fixture(scope="module")
def default_scoring():
    """Loads VADER, the embedding model and the anchor embeddings once for the module."""
    score_sentiment(call([("customer", "warm up")]), None)
    return score_sentiment


@pytest.mark.slow
@pytest.mark.parametrize("polarity", ["negative", "neutral", "positive"])
def test_rules_file_examples(default_scoring, polarity: str) -> None:
    finding = default_scoring(call([("customer", text) for text in EXAMPLES[polarity]]), None)
    got = {s.segment_id: (s.label, round(s.score, 2)) for s in finding.segments}
    wrong = {text: got[s.segment_id] for text, s in zip(EXAMPLES[polarity], finding.segments) if s.label != polarity}
    assert not wrong, f"expected {polarity}: {wrong}"


@pytest.mark.slow
@pytest.mark.parametrize("asr_style", [False, True], ids=["punctuated", "asr-lower-case"])
def test_angry_customer_calms_down(default_scoring, asr_style: bool) -> None:
    turns = lower_asr(ANGRY_THEN_CALM) if asr_style else ANGRY_THEN_CALM
    finding = default_scoring(call(turns), OFFER_TIME)
    customer = finding.customer
    assert customer.start is not None and customer.start.label == "negative"
    assert customer.end is not None and customer.end.label in ("positive", "neutral") and customer.end.score > customer.start.score
    assert customer.min is not None and customer.min.label == "negative"
    assert customer.min.segment_id in ("t-mono-0001", "t-mono-0005")
    # Before the offer (t=40) the customer's last words were "okay" (a back-channel, skipped)
    # and "this is ridiculous": upset under the default policy.
    offer = customer.at_first_offer
    assert offer is not None and offer.segment_ids == ("t-mono-0005",) and is_upset(offer.score, -0.3)
    assert finding.state_before(1000.0, "customer").label != "negative"


@pytest.mark.slow
def test_no_offer_means_no_offer_state(default_scoring) -> None:
    finding = default_scoring(call(ANGRY_THEN_CALM), None)
    assert finding.customer.at_first_offer is None and finding.agent.at_first_offer is None
    assert finding.to_dict()["customer"]["at_first_offer"] is None


@pytest.mark.slow
def test_backchannels_are_neutral_in_a_call(default_scoring) -> None:
    turns = [("customer", t) for t in ["okay", "Yeah.", "uh huh", "mm hmm", "right", "Oh, okay.", "yes", "sure"]]
    finding = default_scoring(call(turns), None)
    assert {s.label for s in finding.segments} == {"neutral"}
    assert all(s.score == 0.0 and not s.substantive for s in finding.segments)


@pytest.mark.slow
def test_agent_politeness_is_not_elation(default_scoring) -> None:
    turns = [
        ("agent", "Thank you for calling Northwind Mobile, my name is Dana. How can I help you today?"),
        ("agent", "thanks for calling how may i assist you"),
        ("agent", "I'm sorry to hear that. Can I have your account number, please?"),
        ("agent", "Thank you for your patience. Is there anything else I can help you with?"),
        ("agent", "You're welcome. Thank you for calling, have a great day."),
    ]
    finding = default_scoring(call(turns), None)
    for s, (_, text) in zip(finding.segments, turns):
        assert -0.15 <= s.score < 0.4, f"{text!r} scored {s.score:.2f}"
        assert s.rule.startswith("SA-")
    # The apology reads neutral, not upset.
    assert finding.segments[2].label == "neutral"


@pytest.mark.slow
def test_record_shape_and_model_name(default_scoring) -> None:
    record = default_scoring(call(ANGRY_THEN_CALM), OFFER_TIME).to_dict()
    assert record["model"].startswith("vader+anchors")
    for role in ("agent", "customer"):
        assert len(record[role]["segments"]) == sum(1 for who, _ in ANGRY_THEN_CALM if who == role)
        for key in ("start", "end", "min", "at_first_offer"):
            state = record[role][key]
            assert {"score", "label", "segment_id"} <= set(state) and -1.0 <= state["score"] <= 1.0
        for s in record[role]["segments"]:
            assert s["label"] in ("negative", "neutral", "positive") and -1.0 <= s["score"] <= 1.0


@pytest.mark.slow
def test_one_embedding_batch_per_call(default_scoring, monkeypatch: pytest.MonkeyPatch) -> None:
    import models.embeddings

    calls: list[int] = []
    real = models.embeddings.embed

    def counting(texts: list[str]):
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(models.embeddings, "embed", counting)
    turns = ANGRY_THEN_CALM * 10  # 140 segments, about a 10-minute call
    default_scoring(call(turns, gap=4.0), OFFER_TIME)
    assert len(calls) == 1 and calls[0] >= 100


# ---------------------------------------------------------------- slow: a tiny HF classifier built here


VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + "this is ridiculous great thanks so much okay my bill i want a manager perfect".split()


def save_tiny_classifier(path: Path, id2label: dict[int, str]) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(VOCAB)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    BertForSequenceClassification(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_classifier(tmp_path_factory.mktemp("tiny-sentiment"), {0: "negative", 1: "neutral", 2: "positive"})


@pytest.mark.slow
def test_hf_model_dir_replaces_the_default_scorer(tiny_model: Path) -> None:
    finding = score_sentiment(call(ANGRY_THEN_CALM), OFFER_TIME, SentimentConfig(model_dir=tiny_model))
    record = finding.to_dict()
    assert record["model"] == f"hf:{tiny_model.name}"
    read = [s for s in finding.segments if s.rule == record["model"]]
    assert len(read) >= 5  # back-channels and pure courtesy formulas are still decided by the rules
    for s in finding.segments:
        assert -1.0 <= s.score <= 1.0 and s.label == label_for(s.score, 0.15)
    assert finding.customer.at_first_offer is not None


@pytest.mark.slow
def test_hf_batching_does_not_change_scores(tiny_model: Path) -> None:
    parsed = call(ANGRY_THEN_CALM)
    one = score_sentiment(parsed, None, SentimentConfig(model_dir=tiny_model, batch_size=2))
    all_at_once = score_sentiment(parsed, None, SentimentConfig(model_dir=tiny_model, batch_size=64))
    assert [s.score for s in one.segments] == pytest.approx([s.score for s in all_at_once.segments], abs=1e-5)


@pytest.mark.slow
def test_hf_model_with_unmappable_labels_fails_clearly(tmp_path: Path) -> None:
    path = save_tiny_classifier(tmp_path / "topics", {0: "billing", 1: "technical", 2: "sales"})
    with pytest.raises(SentimentModelError, match="cannot read the labels"):
        score_sentiment(call(ANGRY_THEN_CALM), None, SentimentConfig(model_dir=path))


@pytest.mark.slow
def test_hf_dir_without_a_model_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SentimentModelError, match="cannot load"):
        score_sentiment(call(ANGRY_THEN_CALM), None, SentimentConfig(model_dir=tmp_path / "empty"))
