"""The place of a document, read from its issuer or title, and the one a question names."""

from __future__ import annotations

import pytest

from assistant.places import asked_place, place_named, place_of, places_written, same_place, text_place
from ingest.text import fold


@pytest.mark.parametrize(
    ("meta", "place"),
    [
        ({"issuer": "HĐND tỉnh Phú Yên"}, "phu yen"),
        ({"issuer": "UBND TỈNH BẾN TRE"}, "ben tre"),
        ({"issuer": "UBND thành phố Hà Nội", "title": "Kế hoạch của tỉnh Nam Định"}, "ha noi"),
        # A title goes on after the name: the name is its capitalised words.
        ({"title": "Kế hoạch phát triển nhà ở tỉnh Lai Châu giai đoạn 2026 - 2030"}, "lai chau"),
        ({"title": "Báo cáo kinh tế - xã hội thành phố Hồ Chí Minh trong năm 2025"}, "ho chi minh"),
        # "tình hình" folds onto "tinh hinh", and names no province.
        ({"title": "Công văn về tình hình phân bổ vốn đầu tư công"}, None),
        ({"title": "Công văn về tình hình phân bổ vốn của tỉnh Gia Lai"}, "gia lai"),
    ],
)
def test_the_place_of_a_document(meta: dict[str, str], place: str | None) -> None:
    assert place_of(meta) == place


def test_a_city_and_the_province_named_after_it_are_one_place() -> None:
    assert same_place("hue", "thua thien hue") and same_place("thua thien hue", "hue")
    assert same_place("ben tre", "ben tre")
    # A shared first word is no shared place.
    assert not same_place("ha noi", "ha nam") and not same_place("quang nam", "quang ngai")
    assert not same_place(None, "hue")


def test_a_question_names_the_longest_known_place() -> None:
    assert place_named("gdp lai chau nam 2025", ["lai chau", "chau"]) == "lai chau"
    assert place_named("gdp nam 2025", ["lai chau"]) is None


@pytest.mark.parametrize(
    ("question", "place"),
    [
        # A place no indexed document belongs to still counts: its capitalised name is read.
        ("Chỉ tiêu GRDP năm 2025 của tỉnh Trà Vinh là bao nhiêu?", "tra vinh"),
        ("Mức bồi dưỡng cho Tổ bầu cử ở TP Hải Phòng là bao nhiêu?", "hai phong"),
        ("Thành phố Huế được bổ sung bao nhiêu kinh phí?", "hue"),
        # A known place is found as before, typed in any case.
        ("grdp tinh ben tre nam 2025", "ben tre"),
        ("Tỉnh ủy Bến Tre đề ra mục tiêu gì?", "ben tre"),
        # Abbreviations, lower case and words that only follow "tỉnh" name no new place.
        ("GRDP TP HCM đến 2030 là bao nhiêu?", None),
        ("dự án của tỉnh BT giai đoạn nào", None),
        ("các tỉnh, thành phố trực thuộc trung ương", None),
        ("Ủy ban bầu cử cấp Thành phố có mấy thành viên?", None),
        ("grdp tinh tra vinh nam 2025", None),
    ],
)
def test_the_place_a_question_names(question: str, place: str | None) -> None:
    assert asked_place(question, fold(question), ["ben tre"]) == place


def test_the_places_a_text_writes() -> None:
    text = "Tỉnh Long An là cửa ngõ miền Tây; TP Cần Thơ cách đó 100 km. Kinh tế tỉnh Long An tăng 7%."
    assert places_written(text) == ["long an", "can tho", "long an"]
    # "tình hình" and a lower-case word after "tỉnh" name no place.
    assert places_written("Báo cáo tình hình các tỉnh miền núi") == []


def test_a_document_without_an_issuer_is_about_the_place_its_text_writes_most() -> None:
    assert text_place({"long an": 3, "can tho": 1}) == "long an"
    # Once is not enough, nor is a place that does not outnumber the rest together (a national text's list).
    assert text_place({"long an": 1}) is None
    assert text_place({"long an": 3, "can tho": 2, "ha noi": 2}) is None
    assert text_place({}) is None
    assert place_of({"title": "Cửa ngõ miền Tây", "text_place": "long an"}) == "long an"
    # An issuer's place wins over the text's.
    assert place_of({"issuer": "UBND tỉnh Bến Tre", "text_place": "long an"}) == "ben tre"
