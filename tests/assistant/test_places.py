"""The place of a document, read from its issuer or title, and the one a question names."""

from __future__ import annotations

import pytest

from assistant.places import place_named, place_of


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


def test_a_question_names_the_longest_known_place() -> None:
    assert place_named("gdp lai chau nam 2025", ["lai chau", "chau"]) == "lai chau"
    assert place_named("gdp nam 2025", ["lai chau"]) is None
