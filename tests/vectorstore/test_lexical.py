from __future__ import annotations

from pathlib import Path

import pytest

from ingest.text import search_tokens
from vectorstore.lexical import LexicalIndex

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


def test_unknown_tokens_and_empty_index_return_nothing(tmp_path: Path) -> None:
    assert build().search(["khongcotrongtudien"], k=3) == []
    assert build().search([], k=3) == []
    empty = LexicalIndex.build([], [])
    assert empty.search(search_tokens("xuất khẩu"), k=3) == []
    empty.save(tmp_path / "empty")
    assert LexicalIndex.load(tmp_path / "empty").search(["xuat"], k=3) == []


def test_save_and_load_give_the_same_results(tmp_path: Path) -> None:
    index = build()
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    query = search_tokens("hộ nghèo")
    assert loaded.search(query, k=3) == index.search(query, k=3)
    assert loaded.ids == index.ids


def test_mismatched_inputs_and_missing_dir_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one token list per id"):
        LexicalIndex.build(["a", "b"], [["x"]])
    with pytest.raises(FileNotFoundError, match="no lexical index"):
        LexicalIndex.load(tmp_path / "nowhere")
