"""Vietnamese text functions: what search keys and number reading must get right."""

import unicodedata
from decimal import Decimal

import pytest

from ingest.text import (
    canonical_tones,
    clean_characters,
    find_numbers,
    fold,
    index_text,
    nfc,
    parse_vn_number,
    search_tokens,
    strip_diacritics,
)


def test_nfc_composes_decomposed_vietnamese():
    decomposed = unicodedata.normalize("NFD", "Nghị quyết Hội đồng nhân dân")
    assert decomposed != "Nghị quyết Hội đồng nhân dân"
    assert nfc(decomposed) == "Nghị quyết Hội đồng nhân dân"


@pytest.mark.parametrize(
    ("modern", "traditional"),
    [("hoá", "hóa"), ("thuỷ", "thủy"), ("uỷ", "ủy"), ("khoẻ", "khỏe"), ("Hoà", "Hòa"), ("tuỳ", "tùy"), ("HOÁ", "HÓA")],
)
def test_canonical_tones_makes_both_placements_one_key(modern, traditional):
    assert canonical_tones(modern) == canonical_tones(traditional) == traditional


@pytest.mark.parametrize("word", ["người", "quốc", "giữa", "già", "gì", "quý", "khuỷu", "hoạch", "huỳnh", "ngoài", "thuế"])
def test_canonical_tones_leaves_standard_spellings_alone(word):
    assert canonical_tones(word) == word


def test_canonical_tones_accepts_decomposed_input():
    assert canonical_tones(unicodedata.normalize("NFD", "đô thị hoá")) == "đô thị hóa"


def test_fold_lets_a_query_without_diacritics_match():
    assert fold("Kim ngạch xuất khẩu") == "kim ngach xuat khau"
    assert fold("Tỷ lệ đô thị hoá") == fold("ty le do thi hoa")
    assert strip_diacritics("Đồng Khởi") == "Dong Khoi"


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1.850", Decimal("1850")), ("6,5", Decimal("6.5")), ("6.388,3", Decimal("6388.3")),
     ("19.960", Decimal("19960")), ("130.000", Decimal("130000")), ("96,74", Decimal("96.74")), ("01", Decimal("1"))],
)
def test_parse_vn_number_reads_the_vietnamese_way(raw, value):
    assert parse_vn_number(raw) == value


@pytest.mark.parametrize("raw", ["", "abc", "1.85.0", "6,5,1"])
def test_parse_vn_number_rejects_non_numbers(raw):
    assert parse_vn_number(raw) is None


def test_find_numbers_reads_figures_in_a_target():
    found = find_numbers("Thu ngân sách đạt 6.388,3 tỷ đồng; GRDP tăng 6,0% - 6,5%; xuất khẩu 1.850 triệu USD.")
    assert [m.value for m in found] == [Decimal("6388.3"), Decimal("6.0"), Decimal("6.5"), Decimal("1850")]
    assert [m.raw for m in found][0] == "6.388,3"


def test_search_tokens_meet_across_number_styles_and_diacritics():
    doc = search_tokens("c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;")
    assert "1850" in search_tokens("kim ngach xuat khau 1850")
    assert "1850" in doc and "xuat_khau" in doc and "kim" in doc
    assert "6.5" in search_tokens("6,5%") and "6" in search_tokens("6,0%")  # 6,0 and 6 are one value
    assert search_tokens("đô thị hoá") == search_tokens("đô thị hóa")


def test_clean_characters_removes_invisible_noise():
    assert clean_characters("a\u00a0b\tc\u200bd\x00e") == "a b cde"
    assert clean_characters("dòng 1\r\ndòng 2\rdòng 3") == "dòng 1\ndòng 2\ndòng 3"


def test_clean_characters_keeps_page_and_line_separators_as_breaks():
    # Form feed (PDF page end) and Unicode separators must not glue two words together.
    assert clean_characters("năm\x0c2025") == "năm\n2025"
    assert clean_characters("Bến\u2028Tre") == "Bến\nTre"


def test_index_text_is_clean_nfc_with_canonical_tones():
    assert index_text("  Tỷ lệ  đô thị hoá\u00a0 ") == "Tỷ lệ đô thị hóa"


_FOLD_SAMPLES = [
    "Kim ngạch xuất khẩu đạt 1.850 triệu USD;",
    "Đô thị hoá, thuỷ lợi, uỷ ban, khoẻ mạnh, HOÀ BÌNH, Quý IV",
    unicodedata.normalize("NFD", "Nghị quyết Hội đồng nhân dân tỉnh Bến Tre"),
    "a\u00a0b\u2007c\u202fd\u3000e\tf\x0bg\x0ch\u2028i\u2029j\x85k\r\nl\rm",
    "zero\u200bwidth\ufeffand\u200dcontrol\x00\x07\x1fchars",
    "Ångström \u212b Ω \u2126 \u0340\u0341 \u1e9b\u0323 Hangul 한국어 ᄀ ᅡ",
    "ﬁ ligature, ① circled, Ａ fullwidth, ǅ titlecase, ᾉ Greek with marks",
    "",
]


@pytest.mark.parametrize("text", _FOLD_SAMPLES)
def test_fold_is_the_folded_canonical_form_without_placing_tones(text: str) -> None:
    # fold skips canonical_tones (it only moves the tone marks strip_diacritics removes): the same key.
    assert fold(text) == strip_diacritics(canonical_tones(clean_characters(text))).lower()


@pytest.mark.parametrize("text", _FOLD_SAMPLES)
def test_clean_characters_and_strip_diacritics_follow_their_per_character_rules(text: str) -> None:
    # Both work by str.translate tables filled on first sight of each character: the result is the rule's.
    spaces = "\t\u00a0\u2007\u202f\u2009\u200a\u3000"
    line_breaks = "\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    expected = []
    for ch in nfc(text).replace("\r\n", "\n").replace("\r", "\n"):
        if ch in line_breaks:
            expected.append("\n")
        elif ch in spaces or unicodedata.category(ch) == "Zs":
            expected.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf"):
            expected.append(ch)
    assert clean_characters(text) == "".join(expected)
    bare = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    assert strip_diacritics(text) == bare.replace("đ", "d").replace("Đ", "D")
