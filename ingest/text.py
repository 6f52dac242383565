"""Vietnamese text normalisation: pure functions shared by ingest and retrieval.

Quotes shown to users keep the document's own words (only NFC applied);
everything here that changes words feeds the indexes, never the display.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# The five Vietnamese tone marks as combining characters (NFD).
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
# Vowels whose shape already carries a diacritic: the tone goes on them.
_MARKED_VOWELS = set("ăâêôơư")
_VOWELS = set("aăâeêioôơuưy")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_LINE_BREAKS = {"\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}
# A Vietnamese number: thousands with '.', decimals with ','. "1.850", "6,5", "6.388,3".
_NUMBER_RE = re.compile(r"(?<![\w.,])\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![\w])|(?<![\w.,])\d+(?:,\d+)?(?![\w])")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _split_tone(syllable: str) -> tuple[str, str]:
    """Return the syllable without its tone mark (NFC) and the tone mark ('' if none)."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tone = ""
    kept = []
    for ch in decomposed:
        if ch in _TONE_MARKS:
            tone = ch
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _tone_position(bare_lower: str) -> int | None:
    """Index in the bare (toneless, lower-case) syllable where the tone belongs.

    Traditional placement (hóa, khỏe, thủy, ủy), which is what provincial
    documents mostly use, so canonical keys look like the documents.
    """
    start = 0
    # "qu" and "gi" before a vowel are consonants: the tone goes on the vowels after them.
    if len(bare_lower) > 2 and (bare_lower.startswith("qu") or (bare_lower.startswith("gi") and bare_lower[2] in _VOWELS)):
        start = 2
    positions = [i for i in range(start, len(bare_lower)) if bare_lower[i] in _VOWELS]
    if not positions:
        return None
    # The vowel cluster is the first contiguous run of vowels.
    cluster = [positions[0]]
    for p in positions[1:]:
        if p == cluster[-1] + 1:
            cluster.append(p)
        else:
            break
    marked = [p for p in cluster if bare_lower[p] in _MARKED_VOWELS]
    if marked:
        return marked[-1]
    has_final_consonant = cluster[-1] + 1 < len(bare_lower)
    if len(cluster) == 1:
        return cluster[0]
    if has_final_consonant:
        return cluster[-1]
    if len(cluster) == 3:
        return cluster[1]
    return cluster[0]


def canonical_tone_syllable(syllable: str) -> str:
    bare, tone = _split_tone(syllable)
    if not tone:
        return syllable
    pos = _tone_position(bare.lower())
    if pos is None:
        return syllable
    decomposed = unicodedata.normalize("NFD", bare[pos]) + tone
    return unicodedata.normalize("NFC", bare[:pos] + decomposed + bare[pos + 1 :])


def canonical_tones(text: str) -> str:
    """Place every tone mark the same way, so hoá≡hóa, thuỷ≡thủy, uỷ≡ủy, khoẻ≡khỏe."""
    return _WORD_RE.sub(lambda m: canonical_tone_syllable(m.group(0)), nfc(text))


class _TranslateTable(dict[int, "int | str | None"]):
    """A str.translate table filled on first sight of each character from a per-character rule: after a
    few texts every character is looked up in C, and no table over all of Unicode is built up front."""

    def __init__(self, rule: Callable[[str], str | None]) -> None:
        super().__init__()
        self._rule = rule

    def __missing__(self, cp: int) -> int | str | None:
        ch = chr(cp)
        mapped = self._rule(ch)
        value: int | str | None = cp if mapped == ch else mapped
        self[cp] = value
        return value


# Combining characters (non-zero canonical combining class) are deleted, every other character is kept.
_WITHOUT_COMBINING = _TranslateTable(lambda ch: None if unicodedata.combining(ch) else ch)


def strip_diacritics(text: str) -> str:
    """Remove every diacritic and map đ→d, so 'xuất khẩu' → 'xuat khau'."""
    # The combining characters of the NFD form dropped by one translate (C) instead of a test per character.
    bare = unicodedata.normalize("NFD", text).translate(_WITHOUT_COMBINING)
    return bare.replace("đ", "d").replace("Đ", "D")


def _clean_character(ch: str) -> str | None:
    """What clean_characters makes of one character (None: dropped)."""
    if ch in _LINE_BREAKS:
        # Form feeds (PDF page ends), vertical tabs, Unicode line/paragraph separators: a line break,
        # not nothing, or the words on either side would run together.
        return "\n"
    if ch == "\n":
        return ch
    if ch in "\t\u00a0\u2007\u202f\u2009\u200a\u3000" or unicodedata.category(ch) == "Zs":
        return " "
    if unicodedata.category(ch) in ("Cc", "Cf"):
        # Zero-width and control characters: invisible noise from PDFs and Word.
        return None
    return ch


_CLEAN = _TranslateTable(_clean_character)


def clean_characters(text: str) -> str:
    """NFC; non-breaking and odd spaces, tabs and control characters become plain spaces."""
    text = nfc(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # One translate (C) over a table made from _clean_character, instead of a test per character.
    return text.translate(_CLEAN)


def index_text(text: str) -> str:
    """The form of a text that feeds the dense index: clean, NFC, canonical tones."""
    return re.sub(r"[ ]{2,}", " ", canonical_tones(clean_characters(text))).strip()


# Retrieval folds the same chunk sentences for every question: memoised, as fold is pure.
@lru_cache(maxsize=32768)
def fold(text: str) -> str:
    """Lower-case, diacritic-free key: what a query typed without diacritics matches."""
    # No canonical_tones() here: it only moves tone marks (combining characters) within a syllable, and
    # strip_diacritics drops every combining character of the NFD form, wherever it stood.
    return strip_diacritics(clean_characters(text)).lower()


@dataclass(frozen=True)
class NumberMention:
    raw: str
    value: Decimal
    start: int
    end: int


def parse_vn_number(raw: str) -> Decimal | None:
    """'1.850' → 1850, '6,5' → 6.5, '6.388,3' → 6388.3; None when it is not a number."""
    raw = raw.strip()
    if not raw:
        return None
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", raw):
        raw = raw.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d+(?:,\d+)?", raw):
        raw = raw.replace(",", ".")
    elif re.fullmatch(r"\d+\.\d+", raw):
        # "3.1" style: a section number or an English-style decimal.
        pass
    else:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def find_numbers(text: str) -> list[NumberMention]:
    """Every number in a text, with its value read the Vietnamese way."""
    found = []
    for m in _NUMBER_RE.finditer(text):
        value = parse_vn_number(m.group(0))
        if value is not None:
            found.append(NumberMention(m.group(0), value, m.start(), m.end()))
    return found


def display_date(iso: object) -> str | None:
    """An ISO date as officials write it: "2020-12-09" → "09/12/2020", "2020-11" → "11/2020"."""
    text = str(iso or "").strip()
    parts = text.split("-")
    if len(parts) in (2, 3) and all(p.isdigit() for p in parts):
        return "/".join(reversed(parts))
    return text or None


def _number_token(raw: str) -> str:
    value = parse_vn_number(raw)
    if value is None:
        return raw
    return format(value.normalize(), "f")


def search_tokens(text: str) -> list[str]:
    """Tokens for the lexical index and lexical queries.

    Diacritic-free syllables so unaccented queries match, plus adjacent-syllable
    bigrams to win back what dropping diacritics loses ("xuat_khau", "nam_2025").
    Numbers are reduced to their value, so "1.850" and "1850" meet.
    """
    folded = fold(text)
    unigrams: list[str] = []
    for m in re.finditer(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?|[^\W\d_]+|\d+", folded):
        tok = m.group(0)
        unigrams.append(_number_token(tok) if tok[0].isdigit() else tok)
    bigrams = [f"{a}_{b}" for a, b in zip(unigrams, unigrams[1:], strict=False)]
    return unigrams + bigrams
