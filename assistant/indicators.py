"""The indicator table: records of every indexed document, grouped by indicator, kept in step with the index.

Records are extracted per document version (source, content hash) and persisted with the vectors of their
indicator names under one JSON file, replaced atomically. `sync()` compares with the index's documents and
extracts only what is new or changed; a removed document takes its records with it. `search()` syncs lazily,
so CLI ingest, uploads and removals all show up without anyone telling the table.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import ingest.indicators as indicators_module
from assistant.places import place_named, place_of
from ingest.indicators import IndicatorRecord, extract_indicators, indicator_key
from ingest.text import fold

log = logging.getLogger(__name__)

TABLE_FILE = "indicators.json"


@functools.cache
def _extraction_version() -> str:
    """A digest of the extraction code: a table written by other rules is re-read, never trusted. Read once
    per process, as the module was loaded: a process whose code predates an edit of the file must not tag
    the records it extracts with the edited file's digest."""
    return hashlib.sha256(Path(indicators_module.__file__).read_bytes()).hexdigest()[:16]


_extraction_version()  # the code this process runs, not whatever the file holds when the table is saved


_FORMAT = 1


@dataclass(frozen=True)
class IndicatorGroup:
    """The records that measure the same thing, across documents and periods."""

    id: str
    label: str  # a readable name of the indicator
    records: tuple[IndicatorRecord, ...]  # sorted by period, then document date


@dataclass(frozen=True)
class SyncResult:
    """What one sync did: documents whose records were read, dropped, or kept as they were."""

    extracted: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.extracted or self.removed)


@dataclass
class _DocumentEntry:
    content_hash: str
    records: list[IndicatorRecord]
    vectors: list[list[float]]  # one per record: its indicator name's embedding


# ---- grouping -------------------------------------------------------------------------------------------

# Two indicator names are the same indicator when their meaning is close (cosine of the embedded names) and
# one name's words contain the other's: a name may add a qualifier ("… theo chuẩn đa chiều"), but two names
# that each carry words the other lacks are siblings ("… nước sạch" / "… điện") and stay apart.
MIN_COSINE = 0.9
MIN_JACCARD = 0.35


@dataclass(frozen=True)
class PairFeatures:
    """What decides whether two records measure the same indicator."""

    same_unit_class: bool
    same_structure: bool  # both or neither are a breakdown ("X: Y") of another indicator
    key_equal: bool
    contained: bool  # one key's words are all among the other's (on every level of a breakdown)
    jaccard: float  # of the key words (the lowest over the levels of a breakdown)
    cosine: float  # of the embedded indicator names

    def same_indicator(self) -> bool:
        if not (self.same_unit_class and self.same_structure):
            return False
        if self.key_equal:
            return True
        return self.contained and self.jaccard >= MIN_JACCARD and self.cosine >= MIN_COSINE


def unit_class(unit: str | None) -> str:
    """Units that can measure the same indicator: "%" and "%/năm" can, "%" and "tỷ đồng" cannot."""
    if not unit:
        return ""
    folded = fold(unit).replace(" ", "")
    if folded.startswith("%"):
        return "%"
    # "87 triệu đồng" and "62,0 triệu đồng/người" both measure GRDP per head: the name says "per head".
    money = re.match(r"(nghin|ngan|trieu|ty|ti)?(dong|usd|dola)(/.*)?$", folded)
    if money:
        return f"money:{money.group(2)}"
    return folded


# Words that say how a sum is raised or counted, not what it measures: "Tổng vốn đầu tư toàn xã hội" and
# "Huy động vốn đầu tư phát triển toàn xã hội" are one indicator. "Vốn đầu tư phát triển" is the statistics'
# full name of "vốn đầu tư" (investment outlays), so "phát triển" right after "đầu tư" adds nothing.
# (The key has already left out "tư" and "toàn" as joining words.)
_RAISED = re.compile(r"^huy dong\s+")
_TOTAL = re.compile(r"^tong\s+")
_FULL_NAME = re.compile(r"(?<=\bdau) phat trien\b")


def grouping_words(part: str) -> set[str]:
    """The key words of one level of an indicator name that tell it from another indicator."""
    key = _FULL_NAME.sub("", _TOTAL.sub("", _RAISED.sub("", indicator_key(part))))
    return set(key.split())


def _levels(indicator: str) -> list[set[str]]:
    """Key words of each level of an indicator: "Cơ cấu kinh tế: Khu vực I" → [{co, cau, kinh, te}, {khu, vuc, i}]."""
    return [grouping_words(part) for part in indicator.split(": ")]


def pair_features(a: IndicatorRecord, b: IndicatorRecord, cosine: float) -> PairFeatures:
    levels_a, levels_b = _levels(a.indicator), _levels(b.indicator)
    same_structure = len(levels_a) == len(levels_b)
    contained = same_structure and all(x <= y or y <= x for x, y in zip(levels_a, levels_b, strict=False))
    jaccard = min(
        (len(x & y) / len(x | y) if x | y else 1.0 for x, y in zip(levels_a, levels_b, strict=False)),
        default=0.0,
    )
    return PairFeatures(
        same_unit_class=unit_class(a.unit) == unit_class(b.unit),
        same_structure=same_structure,
        key_equal=same_structure and all(x == y for x, y in zip(levels_a, levels_b, strict=False)),
        contained=contained,
        jaccard=jaccard,
        cosine=cosine,
    )


def group_records(
    records: Sequence[IndicatorRecord],
    vectors: Sequence[Sequence[float]],
    places: Sequence[str | None] | None = None,
) -> list[list[int]]:
    """Indices of records grouped by indicator: complete linkage, so a vague name ("Sản lượng") cannot
    chain two different indicators into one group; every pair inside a group is the same indicator.
    `places` (the province of each record's document, None when it names none): one province's GRDP
    growth is never grouped with another's."""
    where = list(places) if places is not None else [None] * len(records)
    raw = np.asarray(vectors, dtype=np.float32).reshape(len(records), -1)
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    matrix = raw / np.where(norms == 0, 1, norms)
    by_class: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        by_class.setdefault(unit_class(record.unit), []).append(i)
    groups: list[list[int]] = []
    for members in by_class.values():
        groups.extend(_complete_linkage(members, records, matrix, where))
    return groups


def _complete_linkage(
    members: list[int], records: Sequence[IndicatorRecord], matrix: Any, places: Sequence[str | None]
) -> list[list[int]]:
    # Records with the same indicator name (and place) start together: their pair test is trivially true.
    clusters: dict[int, list[int]] = {}
    name_cluster: dict[tuple[str, str], int] = {}
    for i in members:
        name = (places[i] or "", fold(records[i].indicator))
        if name in name_cluster:
            clusters[name_cluster[name]].append(i)
        else:
            name_cluster[name] = i
            clusters[i] = [i]
    heads = list(clusters)
    words = {h: set().union(*_levels(records[h].indicator)) for h in heads}
    postings: dict[str, set[int]] = {}
    for h in heads:
        for w in words[h]:
            postings.setdefault(w, set()).add(h)
    cache: dict[tuple[int, int], tuple[bool, float]] = {}

    def linked(i: int, j: int) -> tuple[bool, float]:
        pair = (i, j) if i < j else (j, i)
        if pair not in cache:
            cos = float(matrix[i] @ matrix[j])
            other_place = places[i] is not None and places[j] is not None and places[i] != places[j]
            cache[pair] = (
                not other_place and pair_features(records[i], records[j], cos).same_indicator(),
                cos,
            )
        return cache[pair]

    candidates: list[tuple[float, int, int]] = []
    for h in heads:
        if not words[h]:
            continue
        # Only names holding every word of h can contain it: the postings' intersection, not all pairs.
        others = set.intersection(*(postings[w] for w in words[h])) - {h}
        for g in others:
            if len(words[g]) == len(words[h]) and g < h:
                continue  # equal word sets: seen from the other side
            ok, cos = linked(h, g)
            if ok:
                candidates.append((cos, min(h, g), max(h, g)))
    owner = {h: h for h in heads}

    def find(i: int) -> int:
        while owner[i] != i:
            owner[i] = owner[owner[i]]
            i = owner[i]
        return i

    members_of = {h: [h] for h in heads}
    for _, h, g in sorted(set(candidates), reverse=True):
        a, b = find(h), find(g)
        if a == b:
            continue
        if all(linked(x, y)[0] for x in members_of[a] for y in members_of[b]):
            owner[b] = a
            members_of[a].extend(members_of.pop(b))
    return [[i for h in group for i in clusters[h]] for group in members_of.values()]


def _document_places(documents: Sequence[Any]) -> dict[str, str | None]:
    """Each document's province: from its issuer ("UBND tỉnh Bến Tre"), else a province another document
    is issued by that its title names (a news article "Bến Tre tập trung …" has no issuer of the province)."""
    places = {doc.source: place_of(dict(doc.meta)) for doc in documents}
    known = sorted({p for p in places.values() if p})
    for doc in documents:
        if places[doc.source] is None:
            places[doc.source] = place_named(fold(str(doc.meta.get("title") or "")), known)
    return places


# ---- ordering and labels --------------------------------------------------------------------------------


def _period_sort_key(period: str | None) -> tuple[int, int, str]:
    """Periods in time order: a year, a span by its end year, a part of a year before the year's end."""
    text = period or ""
    years = [int(y) for y in re.findall(r"(?:19|20)\d{2}", text)]
    if not years:
        return (9999, 9999, text)
    part_of_year = 0 if re.search(r"tháng|quý", text) else 1
    return (max(years), part_of_year * 10000 + min(years), text)


def _record_sort_key(record: IndicatorRecord) -> tuple[tuple[int, int, str], str, str]:
    return (_period_sort_key(record.period), record.date or "", record.id)


def _label(records: Sequence[IndicatorRecord]) -> str:
    """The most usual name among the records; ties go to the shortest (the plainest wording)."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record.indicator] = counts.get(record.indicator, 0) + 1
    return min(counts, key=lambda name: (-counts[name], len(name), name))


# ---- persistence ----------------------------------------------------------------------------------------


def _record_from_json(data: Mapping[str, Any]) -> IndicatorRecord:
    values = dict(data)
    values["numbers"] = tuple(float(x) for x in values.get("numbers") or ())
    return IndicatorRecord(**values)


def _write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---- the table ------------------------------------------------------------------------------------------


@dataclass
class _Groups:
    signature: tuple[tuple[str, str], ...] = ()
    groups: list[IndicatorGroup] = field(default_factory=list)
    by_chunk: dict[str, list[tuple[IndicatorGroup, IndicatorRecord]]] | None = None  # built on first use


def records_by_chunk(
    groups: Iterable[IndicatorGroup],
) -> dict[str, list[tuple[IndicatorGroup, IndicatorRecord]]]:
    """Each chunk's records, with the group each belongs to."""
    out: dict[str, list[tuple[IndicatorGroup, IndicatorRecord]]] = {}
    for group in groups:
        for record in group.records:
            out.setdefault(record.chunk_id, []).append((group, record))
    return out


class IndicatorTable:
    """Indicator records of a DocumentIndex, persisted under `path`, synced lazily with the index."""

    def __init__(self, index: Any, embeddings: Any, path: Path | str | None) -> None:
        self.index = index
        self.embeddings = embeddings
        self.path = Path(path) if path is not None else None  # None: kept in memory only
        self._lock = threading.RLock()
        self._documents: dict[str, _DocumentEntry] = {}
        self._signature: tuple[tuple[str, str], ...] | None = None
        self._groups = _Groups()
        self._load()

    @property
    def file(self) -> Path | None:
        return self.path / TABLE_FILE if self.path is not None else None

    def _model_id(self) -> str:
        return str(getattr(self.embeddings, "model_id", "") or type(self.embeddings).__name__)

    def _load(self) -> None:
        if self.file is None:
            return
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            log.warning("indicator table %s unreadable: it will be rebuilt from the index", self.file)
            return
        if (
            data.get("format") != _FORMAT
            or data.get("extraction") != _extraction_version()
            or data.get("model_id") != self._model_id()
        ):
            return  # another extraction or embedding model: rebuilt from the index at the next sync
        for source, entry in (data.get("documents") or {}).items():
            self._documents[source] = _DocumentEntry(
                content_hash=str(entry["content_hash"]),
                records=[_record_from_json(r) for r in entry.get("records") or []],
                vectors=[list(map(float, v)) for v in entry.get("vectors") or []],
            )

    def _save(self) -> None:
        if self.file is None:
            return
        data = {
            "format": _FORMAT,
            "extraction": _extraction_version(),
            "model_id": self._model_id(),
            "documents": {
                source: {
                    "content_hash": entry.content_hash,
                    "records": [asdict(r) for r in entry.records],
                    "vectors": entry.vectors,
                }
                for source, entry in sorted(self._documents.items())
            },
        }
        _write_json_atomic(self.file, data)

    def _index_signature(self) -> tuple[tuple[str, str], ...]:
        return tuple((doc.source, doc.content_hash) for doc in self.index.documents())

    def sync(self) -> SyncResult:
        """Bring the records in step with the index: read new or changed documents, drop removed ones."""
        with self._lock:
            documents = {doc.source: doc for doc in self.index.documents()}
            removed = tuple(sorted(s for s in self._documents if s not in documents))
            for source in removed:
                del self._documents[source]
            extracted: list[str] = []
            kept: list[str] = []
            for source, doc in sorted(documents.items()):
                entry = self._documents.get(source)
                if entry is not None and entry.content_hash == doc.content_hash:
                    kept.append(source)
                    continue
                chunks = [self.index.chunk(cid) for cid in doc.chunk_ids]
                records = extract_indicators(chunks, {**dict(doc.meta), "source": source})
                self._documents[source] = _DocumentEntry(doc.content_hash, records, self._embed(records))
                extracted.append(source)
            result = SyncResult(tuple(extracted), removed, tuple(kept))
            if result.changed or (self.file is not None and not self.file.exists()):
                self._save()
            self._signature = tuple((s, d.content_hash) for s, d in sorted(documents.items()))
            return result

    def _embed(self, records: Sequence[IndicatorRecord]) -> list[list[float]]:
        names = sorted({r.indicator for r in records})
        if not names:
            return []
        vectors = dict(zip(names, self.embeddings.embed_documents(names), strict=True))
        return [list(map(float, vectors[r.indicator])) for r in records]

    def _ensure_synced(self) -> None:
        # The cheap check: the index's (source, content hash) list, already in memory.
        if self._signature != self._index_signature():
            self.sync()

    def records(self) -> list[IndicatorRecord]:
        with self._lock:
            self._ensure_synced()
            return [r for entry in self._documents.values() for r in entry.records]

    def groups(self) -> list[IndicatorGroup]:
        """Every indicator group (cached until the documents change)."""
        with self._lock:
            self._ensure_synced()
            signature = self._signature or ()
            if self._groups.signature != signature or not self._groups.groups and self._documents:
                self._groups = _Groups(signature, self._build_groups())
            return list(self._groups.groups)

    def records_by_chunk(self) -> dict[str, list[tuple[IndicatorGroup, IndicatorRecord]]]:
        """Every record by the chunk that states it, kept with the groups until the documents change: a
        comparison question reads it, and rebuilding it for each one cost ~40 ms at archive size (the
        helper's profile, stop 16)."""
        with self._lock:
            self.groups()
            if self._groups.by_chunk is None:
                self._groups.by_chunk = records_by_chunk(self._groups.groups)
            return self._groups.by_chunk

    def _build_groups(self) -> list[IndicatorGroup]:
        records: list[IndicatorRecord] = []
        vectors: list[list[float]] = []
        for _, entry in sorted(self._documents.items()):
            records.extend(entry.records)
            vectors.extend(entry.vectors)
        places = _document_places(self.index.documents())
        groups = []
        for members in group_records(records, vectors, [places.get(r.source) for r in records]):
            ordered = tuple(sorted((records[i] for i in members), key=_record_sort_key))
            groups.append(IndicatorGroup(id=_group_id(ordered), label=_label(ordered), records=ordered))
        return sorted(groups, key=lambda g: (fold(g.label), g.id))

    def search(
        self, query: str | None = None, *, period: str | None = None, document: str | None = None
    ) -> list[IndicatorGroup]:
        """Groups whose name matches the query's words (diacritics optional), keeping only the records of
        the period and document asked for; groups left with no record are not returned."""
        groups = self.groups()
        words = _query_words(query)
        result = []
        for group in groups:
            if words and not _matches(words, group):
                continue
            records = tuple(
                r for r in group.records if _period_matches(period, r) and _document_matches(document, r)
            )
            if records:
                result.append(IndicatorGroup(group.id, group.label, records))
        if words:
            result.sort(key=lambda g: -_match_score(words, g))
        return result


def _group_id(records: Sequence[IndicatorRecord]) -> str:
    # The earliest record's id: stable while that document is unchanged.
    return min(r.id for r in records)


def _query_words(query: str | None) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(query or ""))


def _group_text(group: IndicatorGroup) -> str:
    return " ".join({fold(r.indicator) for r in group.records})


def _matches(words: Iterable[str], group: IndicatorGroup) -> bool:
    text = f" {' '.join(re.findall(r'[a-z0-9]+', _group_text(group)))} "
    return all(f" {w} " in text for w in words)


def _match_score(words: Sequence[str], group: IndicatorGroup) -> float:
    """Groups whose own label is closest to the query first: fewer extra words, more records."""
    label_words = re.findall(r"[a-z0-9]+", fold(group.label))
    extra = len([w for w in label_words if w not in words])
    return -extra + 0.01 * len(group.records)


def _period_matches(period: str | None, record: IndicatorRecord) -> bool:
    """The period asked for, or a part of it ("2023" holds "6 tháng đầu năm 2023"); a span holding the year
    ("2021-2025" for "2025") is another period and is not shown under it."""
    if not period:
        return True
    wanted = re.sub(r"\s+", "", fold(period)).replace("–", "-")
    have = re.sub(r"\s+", "", fold(record.period or "")).replace("–", "-")
    if not have:
        return False
    return have == wanted or (bool(re.fullmatch(r"\d{4}", wanted)) and have.endswith(f"nam{wanted}"))


def _document_matches(document: str | None, record: IndicatorRecord) -> bool:
    if not document:
        return True
    wanted = fold(document).strip()
    return any(wanted in fold(x) for x in (record.source, record.title, record.number or "") if x)
