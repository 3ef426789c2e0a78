"""PII redaction on the transcript model: payment cards, US SSNs, email addresses, phone
numbers, dates of birth and long account-like numbers, written or spoken.

    redact_segments(segments) -> (redacted segments, masked)   Segment objects or record dicts
    redact_text(text) -> (text, masked)                         a quote, an evidence string
    redact_audio(audio, sample_rate, spans) -> audio            silence over the masked times

Masks: [CARD] [SSN] [EMAIL] [PHONE] [DOB] [NUMBER]. A masked word keeps its start and end; its
text becomes the mask (the segment's text shows one mask per masked span). `masked` lists
{type, segment_id, start, end} per span, never the value itself.

Why our own rules and not presidio-analyzer: presidio's recognizers are regexes over written
text ("4111 1111 1111 1111", "john@x.com"); ASR output is spoken text ("four one one one ...",
"john dot smith at gmail dot com", "oh", "double five"), which none of them reads, and its
NLP engine would need a spaCy model fetched at run time. What follows is the same pattern +
context approach (Luhn check for cards, context words for SSN/phone/DOB), on a token stream
where spoken digits have been turned into digits first. Nothing is downloaded or loaded.
Money and prices are not PII: digits after "$" or before "dollars/cents/bucks", decimals
("19.99"), and spelled tens ("twenty four ninety nine") never form a digit run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

MASKS = {"CARD": "[CARD]", "SSN": "[SSN]", "EMAIL": "[EMAIL]", "PHONE": "[PHONE]", "DOB": "[DOB]", "NUMBER": "[NUMBER]"}
TYPES = tuple(MASKS)

DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "to": None, "three": "3", "four": "4", "for": None,
               "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "niner": "9"}
DIGIT_WORDS = {k: v for k, v in DIGIT_WORDS.items() if v is not None}
REPEAT = {"double": 2, "triple": 3}
RUN_JOINERS = {"-", "dash", "hyphen"}  # may sit inside a run
MONEY_AFTER = {"dollar", "dollars", "cent", "cents", "bucks", "buck", "pounds", "pound", "euros", "euro", "percent", "%", "gb", "gigs", "minutes", "months", "month", "days", "years"}
MONTHS = {m: i + 1 for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                            "september", "october", "november", "december"])}
MONTHS.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12})
ORDINALS = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth",
            "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth", "thirtieth"}
SMALL_NUMBERS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
                 "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty",
                 "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "and", "oh"}
DOB_CONTEXT = re.compile(r"\b(date of birth|birth ?date|birthday|born|d\.?o\.?b\.?)\b", re.I)
VERIFY_CONTEXT = re.compile(r"\b(verify|verification|confirm|security|identity|on file)\b", re.I)
SSN_CONTEXT = re.compile(r"\b(social|ssn|s s n|social security)\b", re.I)
PHONE_CONTEXT = re.compile(r"\b(phone|cell|mobile|call ?back|reach you|number to call|contact number|landline|text you)\b", re.I)
ACCOUNT_WORDS = re.compile(r"\b(account|member|policy|order|reference|ref|case|ticket|customer id|customer number|id)\b")
EMAIL_TLDS = {"com", "net", "org", "edu", "gov", "io", "co", "uk", "us", "ca", "info", "biz", "me"}
WRITTEN_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
WRITTEN_SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
WRITTEN_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$|^(\d{4})-(\d{2})-(\d{2})$")
DIGITS_TOKEN = re.compile(r"^\(?\d[\d()\-]*$")


@dataclass
class _Tok:
    raw: str  # the word as written
    norm: str  # lower case, edge punctuation stripped
    seg: int  # index of its segment
    word: int  # index of the word in its segment
    start: float
    end: float


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _norm(word: str) -> str:
    return word.strip().lower().strip(".,;:!?\"'()[]{}")


def _is_year_word_start(tokens: list[_Tok], i: int) -> int:
    """Length of a spoken or written year starting at i (0 if none): 1985, nineteen eighty five, two thousand and one."""
    n = tokens[i].norm
    if re.fullmatch(r"(19|20)\d\d|'?\d\d", n):
        return 1
    if n in ("nineteen", "twenty") and i + 1 < len(tokens):
        nxt = tokens[i + 1].norm
        tens = {"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "oh", "hundred"}
        if nxt in tens or re.fullmatch(r"\d\d", nxt):
            k = 2
            if i + 2 < len(tokens) and tokens[i + 2].norm in DIGIT_WORDS and nxt not in ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"):
                k = 3
            return k
    if n == "two" and i + 1 < len(tokens) and tokens[i + 1].norm == "thousand":
        k = 2
        if i + k < len(tokens) and tokens[i + k].norm == "and":
            k += 1
        if i + k < len(tokens) and tokens[i + k].norm in SMALL_NUMBERS:
            k += 1
        return k
    return 0


def _dates(tokens: list[_Tok]) -> list[tuple[int, int, bool]]:
    """(first, last, has_year) token spans of dates: month-name dates with day and/or year, and written numeric dates."""
    spans = []
    i = 0
    while i < len(tokens):
        n = tokens[i].norm
        if WRITTEN_DATE.match(n):
            spans.append((i, i, True))
            i += 1
            continue
        if n in MONTHS and not (n == "may" and not _near_day(tokens, i)) and not (n in ("mar", "march", "jan", "dec", "oct") and False):
            first, last = i, i
            # day before: "the fourteenth of march", "14 march"
            j = i - 1
            if j >= 0 and tokens[j].norm == "of":
                j -= 1
            if j >= 0 and _is_day(tokens[j].norm):
                first = j
                if j - 1 >= 0 and tokens[j - 1].norm in ("twenty", "thirty"):
                    first = j - 1
            # day after: "march fourteenth", "march 14", "march twenty first"
            k = i + 1
            if k < len(tokens) and tokens[k].norm == "the":
                k += 1
            if k < len(tokens) and tokens[k].norm in ("twenty", "thirty") and k + 1 < len(tokens) and _is_day(tokens[k + 1].norm):
                last, k = k + 1, k + 2
            elif k < len(tokens) and _is_day(tokens[k].norm):
                last, k = k, k + 1
            has_year = False
            if k < len(tokens):
                y = _is_year_word_start(tokens, k)
                if y:
                    last, has_year = k + y - 1, True
            if last > i or first < i:
                spans.append((first, last, has_year))
            i = last + 1
            continue
        i += 1
    return spans


def _near_day(tokens: list[_Tok], i: int) -> bool:
    nxt = tokens[i + 1].norm if i + 1 < len(tokens) else ""
    prev = tokens[i - 1].norm if i > 0 else ""
    return _is_day(nxt) or (prev == "of" and i > 1 and _is_day(tokens[i - 2].norm))


def _is_day(n: str) -> bool:
    n = n.rstrip(",")
    if n in ORDINALS:
        return True
    m = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)?", n)
    return bool(m) and 1 <= int(m.group(1)) <= 31


def _money_before(tokens: list[_Tok], i: int) -> bool:
    return i > 0 and tokens[i - 1].raw.strip().endswith(("$", "£", "€"))


def _digit_runs(tokens: list[_Tok]) -> list[tuple[int, int, str, bool]]:
    """(first, last, digits, written_format) maximal runs of digit tokens (spoken or written)."""
    runs = []
    i = 0
    while i < len(tokens):
        digits, first, last, j = "", i, -1, i
        pending_repeat = 1
        while j < len(tokens):
            t = tokens[j]
            raw = t.raw.strip()
            n = t.norm
            dotted_phone = re.fullmatch(r"\d{3}\.\d{3}\.\d{4}", n)
            if raw.startswith(("$", "£", "€")) or ("." in n.strip(".") and not dotted_phone) or "," in raw.strip(","):
                break
            if n in REPEAT and j + 1 < len(tokens) and tokens[j + 1].norm in DIGIT_WORDS:
                pending_repeat = REPEAT[n]
                j += 1
                continue
            if n in DIGIT_WORDS:
                digits += DIGIT_WORDS[n] * pending_repeat
            elif dotted_phone:
                digits += n.replace(".", "")
            elif DIGITS_TOKEN.match(n) and not re.fullmatch(r"\d+(st|nd|rd|th)", n):
                if j == first and _money_before(tokens, j):
                    break
                digits += re.sub(r"\D", "", n)
            elif n in RUN_JOINERS and digits:
                j += 1
                continue
            else:
                break
            pending_repeat = 1
            last = j
            j += 1
        if last >= first and digits:
            after = tokens[last + 1].norm if last + 1 < len(tokens) else ""
            if after not in MONEY_AFTER:
                runs.append((first, last, digits, first == last))
            i = last + 1
        else:
            i += 1
    return runs


def _emails(tokens: list[_Tok]) -> list[tuple[int, int]]:
    spans = []
    for i, t in enumerate(tokens):
        if WRITTEN_EMAIL.match(t.norm):
            spans.append((i, i))
    i = 0
    while i < len(tokens):
        if tokens[i].norm in ("at", "@") and i > 0:
            # domain: word (dot word)+ ending in a known TLD, or a written "gmail.com"
            k, end = i + 1, None
            if k < len(tokens) and re.fullmatch(r"[\w-]+(\.[\w-]+)+", tokens[k].norm) and tokens[k].norm.rsplit(".", 1)[-1] in EMAIL_TLDS:
                end = k
            else:
                while k + 2 < len(tokens) + 1 and k < len(tokens) and re.fullmatch(r"[\w-]+", tokens[k].norm):
                    if k + 2 < len(tokens) + 0 and tokens[k + 1].norm == "dot" and re.fullmatch(r"[\w-]+", tokens[k + 2].norm or ""):
                        if tokens[k + 2].norm in EMAIL_TLDS:
                            end = k + 2
                        k += 2
                    else:
                        break
            if end is not None:
                # local part: word ((dot|underscore|dash) word)* before "at"
                s = i - 1
                while s - 2 >= 0 and tokens[s - 1].norm in ("dot", "underscore", "dash", "hyphen", "period") and re.fullmatch(r"[\w-]+", tokens[s - 2].norm):
                    s -= 2
                # digits spoken into the local part: "john smith eight four at ..."
                while s - 1 >= 0 and (tokens[s - 1].norm in DIGIT_WORDS or tokens[s - 1].norm.isdigit()) and s - 1 > 0:
                    s -= 1
                spans.append((s, end))
                i = end + 1
                continue
        i += 1
    return spans


def _context(texts: Sequence[str], seg: int, pattern: re.Pattern[str], back: int = 2) -> bool:
    return any(pattern.search(texts[j]) for j in range(max(0, seg - back), seg + 1))


def _find(tokens: list[_Tok], texts: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first, last, type) spans, no two overlapping."""
    found: list[tuple[int, int, str]] = []
    taken: set[int] = set()

    def take(first: int, last: int, kind: str) -> None:
        if any(k in taken for k in range(first, last + 1)):
            return
        taken.update(range(first, last + 1))
        found.append((first, last, kind))

    for first, last in _emails(tokens):
        take(first, last, "EMAIL")
    for first, last, has_year in _dates(tokens):
        seg = tokens[first].seg
        if _context(texts, seg, DOB_CONTEXT) or (has_year and _context(texts, seg, VERIFY_CONTEXT)):
            take(first, last, "DOB")
    for first, last, digits, written in _digit_runs(tokens):
        seg = tokens[first].seg
        n = len(digits)
        raw = tokens[first].norm
        if 13 <= n <= 19 and luhn_ok(digits):
            kind = "CARD"
        elif (written and WRITTEN_SSN.match(raw)) or (n == 9 and _context(texts, seg, SSN_CONTEXT, back=1)):
            kind = "SSN"
        elif 6 <= n <= 8 and _context(texts, seg, DOB_CONTEXT):
            kind = "DOB"
        elif n in (10, 11) and (n == 10 or digits[0] in "01") and not ACCOUNT_WORDS.search(" ".join(t.norm for t in tokens[max(0, first - 4):first])):
            kind = "PHONE"
        elif n == 7 and _context(texts, seg, PHONE_CONTEXT, back=1):
            kind = "PHONE"
        elif n >= 7:
            kind = "NUMBER"
        else:
            continue
        take(first, last, kind)
    return sorted(found)


def _tokens_of(segments: Sequence[Any]) -> tuple[list[_Tok], list[list[tuple[str, float, float]]]]:
    """Tokens over all segments; and per segment its words as (text, start, end)."""
    tokens: list[_Tok] = []
    words_per_segment = []
    for s, seg in enumerate(segments):
        words = _words(seg)
        if not words:  # no word timings: the text's tokens, at the segment's times
            words = [(w, _get(seg, "start", 0.0), _get(seg, "end", 0.0)) for w in _split(_get(seg, "text", ""))]
        words_per_segment.append(words)
        for w, (text, start, end) in enumerate(words):
            for piece in _split(text) or [text]:
                tokens.append(_Tok(piece, _norm(piece), s, w, start, end))
    return tokens, words_per_segment


def _split(text: str) -> list[str]:
    # "$19.99" stays whole; "card:" loses its colon in _norm; "4111-1111" stays whole.
    return text.split()


def _get(seg: Any, name: str, default: Any = None) -> Any:
    return seg.get(name, default) if isinstance(seg, dict) else getattr(seg, name, default)


def _words(seg: Any) -> list[tuple[str, float, float]]:
    out = []
    for w in _get(seg, "words", ()) or ():
        if isinstance(w, dict):
            out.append((w.get("text", ""), w.get("start", 0.0), w.get("end", 0.0)))
        else:
            out.append((w.text, w.start, w.end))
    return out


def redact_segments(segments: Sequence[Any]) -> tuple[list[Any], list[dict]]:
    """Redacted copies of the segments (nlp.transcript.Segment or record dicts, returned in
    the same shape), and what was masked: [{type, segment_id, start, end}], in time order.
    Context (e.g. "can I have your date of birth?") is read across the two segments before."""
    segments = list(segments)
    tokens, words = _tokens_of(segments)
    texts = [_get(s, "text", "") for s in segments]
    spans = _find(tokens, texts)
    # word-level masks: (segment, word) -> (type, span number)
    masked_words: dict[tuple[int, int], tuple[str, int]] = {}
    masked: list[dict] = []
    for n, (first, last, kind) in enumerate(spans):
        # a span crossing segments is reported per segment
        by_segment: dict[int, list[_Tok]] = {}
        for t in tokens[first:last + 1]:
            by_segment.setdefault(t.seg, []).append(t)
            masked_words[(t.seg, t.word)] = (kind, n)
        for s, toks in by_segment.items():
            masked.append({"type": kind, "segment_id": _get(segments[s], "id"), "start": min(t.start for t in toks), "end": max(t.end for t in toks)})
    out = []
    for s, seg in enumerate(segments):
        if not any(key[0] == s for key in masked_words):
            out.append(seg)
            continue
        out.append(_rebuild(seg, s, words[s], masked_words))
    return out, sorted(masked, key=lambda m: (m["start"], m["end"]))


def _rebuild(seg: Any, s: int, words: list[tuple[str, float, float]], masked_words: dict) -> Any:
    text_parts: list[str] = []
    last_span = None
    new_words = []
    original = list(_get(seg, "words", ()) or ())
    for w, (text, start, end) in enumerate(words):
        hit = masked_words.get((s, w))
        if hit is None:
            text_parts.append(text.strip())
            last_span = None
        else:
            if hit[1] != last_span:
                text_parts.append(MASKS[hit[0]])
            last_span = hit[1]
        if original:
            word = original[w]
            mask = MASKS[hit[0]] if hit else None
            if isinstance(word, dict):
                new_words.append({**word, "text": mask} if mask else dict(word))
            else:
                new_words.append(replace(word, text=mask) if mask else word)
    text = " ".join(p for p in text_parts if p)
    if isinstance(seg, dict):
        result = {**seg, "text": text}
        if original:
            result["words"] = new_words
        return result
    return replace(seg, text=text, words=tuple(new_words) if original else seg.words)


def redact_text(text: str) -> tuple[str, list[dict]]:
    """A plain string (a quote in evidence) redacted, and what was masked (no times)."""
    segments, masked = redact_segments([{"id": None, "text": text, "start": 0.0, "end": 0.0, "words": []}])
    return segments[0]["text"], [{"type": m["type"]} for m in masked]


def redact_audio(audio: np.ndarray, sample_rate: int, spans: Iterable[dict | tuple[float, float]], pad_s: float = 0.15) -> np.ndarray:
    """A copy of a decoded audio array (samples, or samples x channels) with silence over every
    masked span (dicts with start/end, as redact_segments returns, or (start, end) pairs),
    widened by `pad_s` each side: word times from Whisper are approximate."""
    out = np.array(audio, copy=True)
    n = out.shape[0]
    for span in spans:
        start, end = (span["start"], span["end"]) if isinstance(span, dict) else span
        a = max(0, int((start - pad_s) * sample_rate))
        b = min(n, int(np.ceil((end + pad_s) * sample_rate)))
        if b > a:
            out[a:b] = 0
    return out
