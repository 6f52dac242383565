"""The Gradio chat in a real headless Chromium (Debian's /usr/bin/chromium) against the real app served by
uvicorn on 127.0.0.1. Screenshots go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.feedback import FeedbackStore
from assistant.server import create_app, serve_in_thread
from assistant.service import Assistant
from assistant.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
EXPORT_2025 = "Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def feedback_store(tmp_path_factory: pytest.TempPathFactory) -> FeedbackStore:
    return FeedbackStore(tmp_path_factory.mktemp("feedback") / "feedback.jsonl")


@pytest.fixture(scope="module")
def app_url(indexed_settings: Settings, corpus_assistant: Assistant, feedback_store: FeedbackStore) -> Iterator[str]:
    with serve_in_thread(create_app(indexed_settings, corpus_assistant, feedback=feedback_store)) as url:
        yield url


def ask(page: Any, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_question_shows_the_figure_and_an_openable_citation(browser: Any, app_url: str, viewport: str) -> None:
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    page.goto(app_url)

    ask(page, EXPORT_2025)
    page.locator("#chat").get_by_text("1.850 triệu USD").first.wait_for(timeout=60_000)
    citation = page.locator("#chat details.citation").first
    citation.locator("summary").click()

    assert "[1]" in citation.locator("summary").inner_text()
    assert citation.locator("blockquote").is_visible()
    assert any("1.850 triệu USD" in q for q in page.locator("#chat details.citation blockquote").all_inner_texts())
    # Usable at phone width: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ui_{viewport}.png"), full_page=True)
    page.close()


def test_follow_up_and_thumbs_down_in_the_browser(browser: Any, app_url: str, feedback_store: FeedbackStore) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    page.goto(app_url)
    answers = page.locator("#chat .answer")
    ask(page, "Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu?")
    expect(answers).to_have_count(1, timeout=60_000)

    ask(page, "Còn năm 2025 thì sao?")
    expect(answers).to_have_count(2, timeout=60_000)
    expect(answers.nth(1)).to_contain_text("1.850 triệu USD")
    page.locator("#chat button[aria-label='Dislike']").last.click()
    page.get_by_text("Cảm ơn góp ý").first.wait_for(timeout=30_000)

    [entry] = feedback_store.entries()
    assert entry.rating == "down"
    assert entry.question == "Còn năm 2025 thì sao?"
    assert "1.850 triệu USD" in entry.answer and entry.citations
    page.close()


def test_documents_tab_lists_the_indexed_corpus(browser: Any, app_url: str) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    page.goto(app_url)
    page.get_by_role("tab", name="Tài liệu").click()
    expect(page.locator("#documents")).to_contain_text("004_0fe5ee8038d62b66.txt", timeout=30_000)

    table = page.locator("#documents").inner_text()

    assert all(f"00{n}_" in table for n in range(5))
    page.close()


@pytest.fixture(scope="module")
def empty_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A separate, initially empty index: uploads must not change the shared corpus index."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("upload-index"))  # type: ignore[call-arg]
    assistant = Assistant.from_settings(settings)
    with serve_in_thread(create_app(settings, assistant)) as url:
        yield url


def test_upload_ingests_a_good_file_and_reports_a_bad_one(
    browser: Any, empty_app_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    good = tmp_path / "nghi-quyet-du-lich-2030.txt"
    good.write_text(
        "NGHỊ QUYẾT\n\nVề phát triển du lịch tỉnh Bến Tre đến năm 2030\n\n"
        "Điều 1. Chỉ tiêu chủ yếu\n\n"
        "a) Đón 5.000.000 lượt khách du lịch vào năm 2030;\n"
        "b) Doanh thu từ du lịch đạt 4.500 tỷ đồng vào năm 2030.\n",
        encoding="utf-8",
    )
    bad = tmp_path / "hong.pdf"
    bad.write_bytes(b"%PDF-1.4 this is not really a PDF")
    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    page.goto(empty_app_url)
    page.get_by_role("tab", name="Tài liệu").click()

    page.locator("#uploads input[type=file]").first.set_input_files([str(good), str(bad)])
    # Gradio lists an uploaded file as name stem and extension in separate elements.
    page.locator("#uploads").get_by_text("hong", exact=True).first.wait_for(timeout=30_000)
    page.locator("#ingest").click()
    result = page.locator("#ingest-result")
    result.get_by_text("kho tài liệu cũ vẫn giữ nguyên").wait_for(timeout=120_000)  # after the progress bar

    summary = result.inner_text()
    assert "đã thêm" in summary
    assert "hong.pdf: LỖI" in summary
    assert "kho tài liệu cũ vẫn giữ nguyên" in summary
    expect(page.locator("#documents")).to_contain_text("nghi-quyet-du-lich-2030.txt", timeout=30_000)
    assert "hong.pdf" not in page.locator("#documents").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui_upload.png"), full_page=True)

    page.get_by_role("tab", name="Hỏi đáp").click()
    ask(page, "Chỉ tiêu lượt khách du lịch năm 2030 là bao nhiêu?")
    page.locator("#chat").get_by_text("5.000.000 lượt khách").first.wait_for(timeout=60_000)
    page.close()
