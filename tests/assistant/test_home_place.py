"""The deployment's own province answers a question that names no place; a named place still wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.places import home_place
from assistant.service import Assistant, _home_place
from tests.conftest import make_settings

REPORT = """ỦY BAN NHÂN DÂN
TỈNH {PLACE}
Số: {number}/BC-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
{Place}, ngày 5 tháng 12 năm 2024
BÁO CÁO
Tình hình thực hiện kế hoạch phát triển kinh tế - xã hội năm 2024 và kế hoạch năm 2025 của tỉnh {Place}
I. CÁC CHỈ TIÊU CHỦ YẾU NĂM 2025
1. Tốc độ tăng trưởng kinh tế (GRDP) đạt {growth}.
2. Kim ngạch xuất khẩu hàng hóa đạt {exports} triệu USD.
3. Tỷ lệ hộ dân sử dụng nước sạch đạt {water}.
II. NHIỆM VỤ, GIẢI PHÁP
Tập trung cải thiện môi trường đầu tư, kinh doanh; đẩy mạnh chuyển đổi số.
"""


ARTICLE = """Xuất khẩu về đích sớm
Theo Sở Công Thương, kim ngạch xuất khẩu hàng hóa năm 2025 của tỉnh Sóc Trăng ước đạt 2.300 triệu USD.
Lãnh đạo tỉnh Sóc Trăng cho biết sẽ tập trung vào thủy sản và gạo.
"""


def _report(folder: Path, place: str, number: int, growth: str, exports: str, water: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bao_cao_{number}.txt"
    text = REPORT.format(PLACE=place.upper(), Place=place, number=number, growth=growth, exports=exports, water=water)
    path.write_text(text, encoding="utf-8")
    return path


def test_home_place_is_where_most_own_documents_belong() -> None:
    metas = [{"issuer": "UBND tỉnh Bến Tre"}, {"issuer": "HĐND tỉnh Bến Tre"}, {"issuer": "UBND tỉnh Cà Mau"}, {}]
    assert home_place(metas) == "ben tre"
    assert home_place([{"title": "Thông báo"}]) is None


def test_home_place_setting(tmp_path: Path) -> None:
    # A name is folded the way places are matched; "" weighs no place.
    assert _home_place(make_settings(tmp_path, home_place="Cà Mau"), []) == "ca mau"
    assert _home_place(make_settings(tmp_path, home_place=""), []) is None
    assert _home_place(None, []) is None


@pytest.fixture(scope="module")
def two_provinces(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A deployment whose own folder holds Bến Tre's report; Cà Mau's, with the same indicators, ingested beside it."""
    from assistant.components import build_embeddings, open_index
    from ingest.pipeline import ingest_paths

    root = tmp_path_factory.mktemp("two-provinces")
    own, other = root / "corpus", root / "other"
    _report(own, "Bến Tre", 301, "7,5%", "1.850", "85,2%")
    _report(other, "Cà Mau", 302, "8,0%", "2.150", "79,4%")
    # A news article has no issuer: its place is the one its text writes.
    (other / "tin_tuc.txt").write_text(ARTICLE, encoding="utf-8")
    settings = make_settings(root / "data", corpus_dir=own)
    embeddings = build_embeddings(settings)
    index = open_index(settings, embeddings)
    assert ingest_paths([own, other], index=index, embeddings=embeddings).ok
    index.close()
    return root / "data", own


def _assistant(data_dir: Path, corpus_dir: Path, **overrides: object) -> Assistant:
    return Assistant.from_settings(make_settings(data_dir, corpus_dir=corpus_dir, **overrides))


@pytest.mark.slow
def test_a_question_without_a_place_is_answered_for_the_home_province(two_provinces: tuple[Path, Path]) -> None:
    assistant = _assistant(*two_provinces)
    assert assistant.home_place == "ben tre"
    result = assistant.answer("Kim ngạch xuất khẩu hàng hóa năm 2025 đạt bao nhiêu?")
    assert result.found and "1.850 triệu USD" in result.answer
    assert "2.150" not in result.answer and "2.300" not in result.answer
    assert result.citations[0].source == "bao_cao_301.txt"


@pytest.mark.slow
def test_a_named_place_wins_over_the_home_province(two_provinces: tuple[Path, Path]) -> None:
    result = _assistant(*two_provinces).answer("Kim ngạch xuất khẩu hàng hóa năm 2025 của tỉnh Cà Mau đạt bao nhiêu?")
    assert result.found and "2.150 triệu USD" in result.answer and "1.850" not in result.answer
    assert result.citations[0].source == "bao_cao_302.txt"


@pytest.mark.slow
def test_the_home_province_is_configurable(two_provinces: tuple[Path, Path]) -> None:
    assistant = _assistant(*two_provinces, home_place="Cà Mau")
    result = assistant.answer("Tỷ lệ hộ dân sử dụng nước sạch năm 2025 là bao nhiêu?")
    assert result.found and "79,4%" in result.answer and "85,2%" not in result.answer


@pytest.mark.slow
def test_a_named_document_is_not_filtered_by_the_home_province(two_provinces: tuple[Path, Path]) -> None:
    selection, _ = _assistant(*two_provinces).select("Theo Báo cáo số 302/BC-UBND, kim ngạch xuất khẩu năm 2025 đạt bao nhiêu?")
    assert selection.shape.home is None
    assert any("2.150 triệu USD" in s.unit.text for s in selection.scored)


@pytest.mark.slow
def test_without_a_home_province_two_provinces_figures_are_not_told_apart(two_provinces: tuple[Path, Path]) -> None:
    # What the home place is for: the same question over the same index, asked of no province, is refused.
    assistant = _assistant(*two_provinces)
    assistant.weigh_home_place(False)
    assert assistant.home_place is None
    assert not assistant.answer("Kim ngạch xuất khẩu hàng hóa năm 2025 đạt bao nhiêu?").found
    assistant.weigh_home_place(True)
    assert assistant.answer("Kim ngạch xuất khẩu hàng hóa năm 2025 đạt bao nhiêu?").found
