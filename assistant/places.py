"""The province or city a document belongs to, and the one a question names.

A thousand documents from other provinces hold the same indicators with other values, so the place
a question names must count. Places are read from the documents' own issuers ("HĐND tỉnh Phú Yên",
"UBND thành phố Hà Nội"), never from a list: a new province's documents bring their place with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from ingest.text import fold

_PLACE_RE = re.compile(r"\b(?:tinh uy|thanh uy|tinh|thanh pho|tp)\.?\s+([a-z]+(?:\s+[a-z]+){0,2})")


def place_of(meta: Mapping[str, object]) -> str | None:
    """The folded place of a document, from its issuer (else its title, else the place its text is about)."""
    return _place_in(str(meta.get("issuer") or ""), str(meta.get("title") or "")) or (
        str(meta["text_place"]) if meta.get("text_place") else None
    )


def places_written(text: str) -> list[str]:
    """Every place the text writes with its level and capitals ("tỉnh Long An", "TP Cần Thơ"), folded."""
    folded = fold(text)
    if len(text) != len(folded):
        return []
    found = []
    for match in _PLACE_RE.finditer(folded):
        named = _capitalised_words(text[match.start(1) : match.end(1)])
        if named:
            found.append(fold(named))
    return found


def text_place(counts: Mapping[str, int]) -> str | None:
    """The place a document with no issuer is about (a news article, a province's profile): the one its text
    writes most, when written twice or more and more often than every other place together. A national text
    that lists provinces names none."""
    if not counts:
        return None
    place = max(counts, key=lambda p: counts[p])
    top = counts[place]
    return place if top >= 2 and top > sum(counts.values()) - top else None


@lru_cache(maxsize=16384)
def _place_in(issuer: str, title: str) -> str | None:
    # Cached: every passage of a question's candidates asks it of its document's issuer and title.
    for text in (issuer, title):
        folded = fold(text)
        # Where the text keeps its case, a place is written with capitals: the name ends where the
        # sentence goes on ("tỉnh Lai Châu giai đoạn 2026 - 2030"), and "tình hình" names no place.
        cased = len(text) == len(folded) and not text.isupper()
        for match in _PLACE_RE.finditer(folded):
            if not cased:
                return match.group(1).strip()
            named = _capitalised_words(text[match.start(1) : match.end(1)])
            if named:
                return fold(named)
    return None


def _capitalised_words(text: str) -> str:
    words = []
    for word in text.split():
        if not word[:1].isupper():
            break
        words.append(word)
    return " ".join(words)


def same_place(a: str | None, b: str | None) -> bool:
    """Two folded places that are one: equal, or the shorter ends the longer ("hue" and "thua thien hue").
    A province is often called by its centre's name, and a city keeps the name of the province it
    succeeded, so a reference to either is a reference to the place the documents are about."""
    if a is None or b is None:
        return False
    short, long = sorted((a.split(), b.split()), key=len)
    return bool(short) and long[len(long) - len(short) :] == short


def known_places(metas: Iterable[Mapping[str, object]]) -> list[str]:
    return sorted({p for p in (place_of(m) for m in metas) if p})


def home_place(metas: Iterable[Mapping[str, object]]) -> str | None:
    """The place most of a deployment's own documents belong to (ties: the first in order), folded.

    Officials ask about their own province without naming it: "GRDP năm 2025 tăng bao nhiêu?" in Bến Tre
    means Bến Tre's, and a thousand other provinces' documents beside them must not answer it.
    """
    counts: dict[str, int] = {}
    for meta in metas:
        place = place_of(meta)
        if place:
            counts[place] = counts.get(place, 0) + 1
    return max(counts, key=lambda p: counts[p]) if counts else None


# A place as a question writes it with its capitals: "tỉnh Trà Vinh", "TP Hải Phòng", "thành phố Huế".
_PLACE_MARKER_RE = re.compile(r"(?:\b[Tt]ỉnh|\b[Tt]hành phố|\bTP\.?)\s+")


def asked_place(question: str, folded_question: str, places: Iterable[str]) -> str | None:
    """The place the question names, folded: a known one, else one the question writes in capitals.

    A place no indexed document belongs to still counts: "GRDP năm 2025 của tỉnh Trà Vinh" must not
    be answered with the province whose documents are indexed. Only the cased spelling is read (a
    question typed in lower case names its place by a known name or not at all), and only title-case
    words: "TP HCM", "tỉnh BT" are abbreviations of places the index may well know.
    """
    known = place_named(folded_question, places)
    if known is not None:
        return known
    for marker in _PLACE_MARKER_RE.finditer(question):
        words = []
        for word in question[marker.end() :].split()[:3]:
            word = word.strip(",.;:?!()\"'")
            if not (word[:1].isupper() and word[1:].islower()):
                break
            words.append(word)
        if words:
            return fold(" ".join(words))
    return None


def place_named(folded_question: str, places: Iterable[str]) -> str | None:
    """The longest known place the (folded) question names."""
    named = [p for p in places if _place_word_re(p).search(folded_question)]
    return max(named, key=len) if named else None


@lru_cache(maxsize=4096)
def _place_word_re(place: str) -> re.Pattern[str]:
    # Compiled once per place: re's own cache (512 patterns) cycles when a thousand documents name many places.
    return re.compile(rf"\b{re.escape(place)}\b")
