"""Diacritic restoration of questions typed without accents, from the indexed documents' own words.

"muc tieu tang truong grdp binh quan" is nearly opaque to the dense model, which was trained on
accented Vietnamese; written back as "mục tiêu tăng trưởng grdp bình quân" it embeds like the
documents do. Every folded syllable has few accented forms in a corpus, and the neighbouring
syllable almost always tells them apart ("tang truong" → "tăng trưởng", "tang cuong" → "tăng
cường"), so a bigram Viterbi over the corpus vocabulary restores what the documents themselves say.
Words the documents never use are left as typed.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.text import canonical_tones, strip_diacritics

# Letters-only syllables: numbers and punctuation break a phrase, they are never restored.
_SYLLABLE_RE = re.compile(r"[^\W\d_]+")
# Accented forms kept per folded syllable: the rest are too rare to matter and slow the search.
MAX_FORMS = 8
# Interpolated bigram model: weight of "this pair occurs in the documents" against the form's
# overall frequency. High, because the neighbour is what tells "nước sạch" from "chính sách".
BIGRAM_LAMBDA = 0.9
# Documents state, officials ask: question words ("bao nhiêu", "nào", "ai") are rare in the
# corpus, so they are added as if each phrase occurred this many times.
QUESTION_PHRASES = (
    "là bao nhiêu; bao nhiêu phần trăm; bao nhiêu người; bao nhiêu ha; đạt bao nhiêu; tăng bao nhiêu;"
    " giảm bao nhiêu; có bao nhiêu; được bao nhiêu; bao giờ; khi nào; lúc nào; ngày nào; năm nào;"
    " tháng nào; nào; là gì; là ai; ai ký; ai phát biểu; của ai; thứ mấy; số mấy; bao nhiêu; mấy;"
    " như thế nào; thế nào; ra sao; thì sao; còn; không; có phải; ở đâu; những gì; cho biết; hiện nay"
)
QUESTION_PHRASE_COUNT = 20


# Most Vietnamese syllables carry a diacritic; a question where few do was typed without them
# (the few being a pasted name or a corrected word).
TYPED_WITHOUT_DIACRITICS_SHARE = 0.2


def typed_without_diacritics(text: str) -> bool:
    """True when (almost) no syllable of the text carries a Vietnamese diacritic."""
    syllables = _SYLLABLE_RE.findall(text)
    if not syllables:
        return False
    accented = sum(1 for s in syllables if strip_diacritics(s) != s)
    return accented / len(syllables) < TYPED_WITHOUT_DIACRITICS_SHARE


def _fold_syllable(syllable: str) -> str:
    return strip_diacritics(syllable).lower()


@dataclass(frozen=True)
class DiacriticRestorer:
    """Folded syllable → its accented forms in the corpus, and which accented pairs occur."""

    forms: dict[str, tuple[str, ...]]  # folded → its accented forms, most frequent first
    unigrams: dict[str, float]  # accented syllable → share of all syllables
    counts: dict[str, int]  # accented syllable → occurrences
    pairs: dict[tuple[str, str], int]  # (accented, accented) → occurrences side by side

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> DiacriticRestorer:
        unigrams: Counter[str] = Counter()
        pairs: Counter[tuple[str, str]] = Counter()

        def count(text: str, times: int) -> None:
            for phrase in re.split(r"[^\w\s]|\d", canonical_tones(text).lower()):
                syllables = _SYLLABLE_RE.findall(phrase)
                for syllable in syllables:
                    unigrams[syllable] += times
                for pair in zip(syllables, syllables[1:], strict=False):
                    pairs[pair] += times

        for text in texts:
            count(text, 1)
        count(QUESTION_PHRASES, QUESTION_PHRASE_COUNT)
        total = sum(unigrams.values())
        by_fold: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for syllable, n in unigrams.items():
            by_fold[_fold_syllable(syllable)].append((syllable, n))
        forms = {
            folded: tuple(s for s, _ in sorted(found, key=lambda sc: sc[1], reverse=True)[:MAX_FORMS])
            for folded, found in by_fold.items()
        }
        return cls(
            forms=forms,
            unigrams={s: n / total for s, n in unigrams.items()},
            counts=dict(unigrams),
            pairs=dict(pairs),
        )

    def restore(self, text: str) -> str:
        """The text with each unaccented syllable the corpus knows written as the corpus writes it.

        Case is kept ("Ben Tre" → "Bến Tre"); syllables already accented, numbers and unknown words
        are left as typed and break the phrase.
        """
        replacements: list[tuple[int, int, str]] = []
        for run in self._runs(text):
            words = [text[s:e] for s, e in run]
            restored = self._best_path([w.lower() for w in words])
            replacements += [
                (s, e, _with_case_of(w, r)) for (s, e), w, r in zip(run, words, restored, strict=True)
            ]
        out: list[str] = []
        position = 0
        for start, end, word in replacements:
            out += [text[position:start], word]
            position = end
        out.append(text[position:])
        return "".join(out)

    def _runs(self, text: str) -> list[list[tuple[int, int]]]:
        """Spans of known unaccented syllables that follow each other with only spaces between."""
        runs: list[list[tuple[int, int]]] = []
        current: list[tuple[int, int]] = []
        for match in re.finditer(r"\S+", text):
            # A word with punctuation glued after it ("grdp," "nam?") still belongs to the phrase
            # before it, and ends it.
            word = re.match(r"[A-Za-z]+(?=[^\w\s]*$)", match.group(0))
            if word is None or word.group(0).lower() not in self.forms:
                if current:
                    runs.append(current)
                current = []
                continue
            current.append((match.start(), match.start() + len(word.group(0))))
            if word.end() < len(match.group(0)):
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        return runs

    def _probability(self, previous: str | None, form: str) -> float:
        unigram = self.unigrams[form]
        if previous is None:
            return unigram
        bigram = self.pairs.get((previous, form), 0) / self.counts[previous]
        return BIGRAM_LAMBDA * bigram + (1 - BIGRAM_LAMBDA) * unigram

    def _best_path(self, folded: list[str]) -> list[str]:
        """Viterbi: the sequence of accented forms the documents' bigram model finds likeliest."""
        lattice = [self.forms[w] for w in folded]
        scores = [math.log(self._probability(None, form)) for form in lattice[0]]
        back: list[list[int]] = []
        for i in range(1, len(lattice)):
            new_scores = []
            pointers = []
            for form in lattice[i]:
                options = [
                    scores[j] + math.log(self._probability(prev, form))
                    for j, prev in enumerate(lattice[i - 1])
                ]
                best_j = max(range(len(options)), key=options.__getitem__)
                new_scores.append(options[best_j])
                pointers.append(best_j)
            scores = new_scores
            back.append(pointers)
        index = max(range(len(scores)), key=scores.__getitem__)
        path = [index]
        for pointers in reversed(back):
            index = pointers[index]
            path.append(index)
        path.reverse()
        return [lattice[i][k] for i, k in enumerate(path)]


def _with_case_of(original: str, restored: str) -> str:
    if original.isupper() and len(original) > 1:
        return restored.upper()
    if original[:1].isupper():
        return restored[:1].upper() + restored[1:]
    return restored
