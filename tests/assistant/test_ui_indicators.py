"""What the "Chỉ tiêu" tab draws and lists for given records: the chart's labels are the documents' own text
and name the document, targets and results are told apart, a percentage never shares an axis with an
amount, and a document's text stays text in the table."""

from __future__ import annotations

from assistant.indicators import IndicatorGroup
from assistant.ui_indicators import filter_choices, indicator_chart, render_indicator_table
from ingest.indicators import IndicatorRecord


def record(n: int, value: str, numbers: tuple[float, ...], period: str | None, status: str, **extra: object) -> IndicatorRecord:
    fields: dict[str, object] = {
        "id": f"r{n}", "indicator": "Tốc độ tăng trưởng kinh tế (GRDP)", "key": "toc do tang truong grdp",
        "value_text": value, "numbers": numbers, "unit": "%", "period": period, "status": status,
        "comparison": None, "source": f"00{n}.txt", "title": f"Văn bản {n}", "number": f"{n}/NQ-HĐND",
        "date": "2020-12-09", "location": "Điều 1 › a)", "quote": f"a) GRDP tăng {value};", "chunk_id": f"00{n}.txt#0001",
    }
    fields.update(extra)
    return IndicatorRecord(**fields)  # type: ignore[arg-type]


GRDP = IndicatorGroup(
    id="grdp",
    label="Tăng trưởng GRDP",
    records=(
        record(1, "3,49%", (3.49,), "2020", "thực hiện"),
        record(2, "6,5 - 7%", (6.5, 7.0), "2021-2025", "mục tiêu"),
        record(3, "1,43%", (1.43,), "6 tháng đầu năm 2023", "ước thực hiện", number=None, title="Báo cáo 6 tháng"),
        record(4, "khoảng 7%", (), "2025", "mục tiêu"),
    ),
)


def test_each_point_is_labelled_with_the_value_as_written_and_its_document() -> None:
    figure = indicator_chart(GRDP)

    assert figure is not None
    [axes] = [ax for ax in figure.axes if ax.get_xticklabels()]
    labels = [t.get_text() for t in axes.texts]
    assert labels == ["3,49%\n1/NQ-HĐND", "6,5 - 7%\n2/NQ-HĐND", "1,43%\nBáo cáo 6 tháng\n09/12/2020"]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["2020", "2021-2025", "6 tháng đầu năm 2023"]
    legend = [t.get_text() for t in axes.get_legend().get_texts()]
    assert legend == ["Thực hiện", "Mục tiêu, kế hoạch", "Ước thực hiện"]
    assert "1 giá trị không có số" in figure.get_suptitle()  # "khoảng 7%" is in the table, not drawn


def test_a_percentage_and_an_amount_get_their_own_axes() -> None:
    mixed = IndicatorGroup(
        id="xk",
        label="Kim ngạch xuất khẩu",
        records=(
            record(1, "1.850 triệu USD", (1850.0,), "2025", "mục tiêu", unit="triệu USD"),
            record(2, "100,3%", (100.3,), "2025", "so sánh", comparison="đạt 100,3% kế hoạch"),
        ),
    )

    figure = indicator_chart(mixed)

    assert figure is not None
    assert sorted(ax.get_ylabel() for ax in figure.axes) == ["%", "triệu USD"]


def test_nothing_to_draw_without_numbers() -> None:
    words = IndicatorGroup(id="w", label="Chỉ tiêu chữ", records=(record(1, "cơ bản hoàn thành", (), "2025", "mục tiêu"),))

    assert indicator_chart(words) is None
    assert indicator_chart(None) is None


def test_the_table_shows_a_documents_text_as_text() -> None:
    hostile = IndicatorGroup(
        id="x", label="<b>GRDP</b>", records=(record(1, "<img src=x onerror=alert(1)>7%", (7.0,), "2025", "mục tiêu"),)
    )

    table = render_indicator_table([hostile])

    assert "<img" not in table and "<b>GRDP" not in table
    assert "&lt;img src=x onerror=alert(1)&gt;7%" in table


def test_the_filters_list_periods_in_time_order_and_documents_by_title() -> None:
    periods, documents = filter_choices([GRDP])

    assert [p for _, p in periods] == ["", "2020", "2021-2025", "6 tháng đầu năm 2023", "2025"]
    assert documents[0] == ("Mọi văn bản", "")
    assert ("Văn bản 2 (2/NQ-HĐND)", "002.txt") in documents
