"""The chat's pure parts: plain-text user messages and copies, the documents view (search, sort, pages) and
upload messages that say what a file really is, in Vietnamese."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.contract import DocumentInfo
from assistant.models import Answer, Citation, Turn
from assistant.ui import (
    DOCUMENTS_PER_PAGE,
    GRADIO_STRINGS_VI,
    NO_NUMBER,
    ChatUI,
    plain_answer,
    render_answer,
    render_question,
    select_documents,
    vietnamese_reason,
)
from ingest.errors import IngestError
from ingest.loaders import load_document
from tests.docmaker import cp1258_bytes

ANSWER = Answer(
    answer="Kim ngạch xuất khẩu năm 2025 phấn đấu đạt 1.850 triệu USD [1].",
    found=True,
    citations=[
        Citation(
            n=1,
            source="004.txt",
            title="Nghị quyết về nhiệm vụ năm 2025",
            number="45/NQ-HĐND",
            date="06/12/2024",
            location="Điều 1 › c)",
            quote="c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;",
        )
    ],
    question_interpreted="kim ngạch xuất khẩu năm 2025",
)


def test_the_users_html_and_markdown_are_shown_as_text() -> None:
    shown = render_question('<img src=x onerror="alert(1)"> ![x](http://track.example/t.png)\n\n**đậm**')

    assert "<img" not in shown
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown
    assert "\n" not in shown  # one HTML block: Markdown leaves it (and the image syntax in it) alone
    assert shown.startswith("<div class='user-text'>")


def test_copy_text_is_the_answer_and_its_sources_without_html() -> None:
    text = plain_answer(ANSWER)
    rendered = render_answer(ANSWER, "Chỉ tiêu kim ngạch xuất khẩu năm 2025?")

    assert text.splitlines()[0] == ANSWER.answer
    assert "Nguồn:" in text
    assert "[1] Nghị quyết về nhiệm vụ năm 2025, số 45/NQ-HĐND, ngày 06/12/2024, Điều 1 › c)" in text
    assert "«c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;»" in text
    assert "<" not in text
    assert "\n" not in rendered  # the copy text's line breaks are entities inside the one HTML block
    assert "class='copy-answer'" in rendered and "class='plain-text' hidden" in rendered


def _docs(count: int) -> list[DocumentInfo]:
    return [
        DocumentInfo(
            source=f"{i:03d}.txt",
            title=("Nghị quyết" if i % 2 else "Báo cáo") + f" về kinh tế năm {2000 + i}",
            number=f"{i}/NQ-HĐND" if i % 3 else None,
            date=f"15/06/{2000 + i}",
            period=str(2000 + i),
            chunks=i,
        )
        for i in range(1, count + 1)
    ]


def test_documents_are_found_by_title_number_or_year_without_diacritics() -> None:
    docs = _docs(30)

    assert [d.source for d in select_documents(docs, "nghi quyet 2007")] == ["007.txt"]
    assert [d.source for d in select_documents(docs, "5/NQ")] == ["005.txt", "025.txt"][::-1]
    assert [d.source for d in select_documents(docs, "2012")] == ["012.txt"]
    assert select_documents(docs, "không có") == []


def test_documents_sort_and_page() -> None:
    docs = _docs(45)

    assert select_documents(docs, "", "newest")[0].source == "045.txt"
    assert select_documents(docs, "", "oldest")[0].source == "001.txt"
    numbers = [d.number for d in select_documents(docs, "", "number")]
    assert numbers[-1] is None and numbers[0] is not None  # documents without a number last

    class Canned:
        def answer(self, question: str, history: list[Turn] | None = None) -> Answer:
            return ANSWER

        def documents(self) -> list[DocumentInfo]:
            return docs

        def ingest(self, paths: object) -> object:
            return {}

    ui = ChatUI(Canned(), None, Path("unused"))  # type: ignore[arg-type]
    first_html, first_label, first = ui.documents_view("", "oldest", 1)
    last_html, last_label, last = ui.documents_view("", "oldest", 99)

    assert first == 1 and last == 3
    assert first_label == "Trang 1 / 3 · 45 văn bản"
    assert first_html.count("<tr>") == DOCUMENTS_PER_PAGE + 1  # the header row
    assert "001.txt" in first_html and "021.txt" not in first_html
    assert last_html.count("<tr>") == 45 - 2 * DOCUMENTS_PER_PAGE + 1
    assert NO_NUMBER in first_html  # an empty Số hiệu says so
    assert ui.documents_view("nghi quyet", "title", 1)[1] == "Trang 1 / 2 · 23 / 45 văn bản khớp"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("random.pdf", os.urandom(4096), "Tệp có đuôi .pdf nhưng thực chất là dữ liệu nhị phân không rõ loại"),
        ("setup.docx", b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(2048), "thực chất là một chương trình Windows"),
        ("notes.pdf", "Kim ngạch xuất khẩu đạt 1.850 triệu USD.".encode(), "thực chất là văn bản thuần"),
        ("empty.txt", b"", "không có nội dung chữ"),
        ("cp1258.txt", cp1258_bytes("Kim ngạch xuất khẩu năm 2025 đạt 1.850 triệu USD. " * 20), "Windows-1258"),
    ],
)
def test_upload_messages_say_what_the_file_really_is_in_vietnamese(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as failure:
        load_document(path)
    reason = str(failure.value).replace(str(path), name)

    message = vietnamese_reason(reason, name)

    assert expected in message
    assert "rename" not in message and "plain text" not in message


def test_the_english_gradio_strings_all_have_vietnamese() -> None:
    for english in ["Drop File Here", "- or -", "Click to Upload", "Clear", "Copy message", "Copy conversation",
                    "Like", "Dislike", "Info", "Warning", "Error", "Use via API", "More tabs"]:
        assert GRADIO_STRINGS_VI[english] and GRADIO_STRINGS_VI[english] != english
