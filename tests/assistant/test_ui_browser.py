"""The Gradio chat in a real headless Chromium (Debian's /usr/bin/chromium) against the real app served by
uvicorn on 127.0.0.1, at desktop width and at 400 px. Screenshots of the chat go to evals/results/ for a
reviewer to look at, the others to tests/artifacts/ (gitignored).

The tests of what an official sees (Vietnamese only, their own text shown as text, Copy, the trash can, votes)
run against a canned assistant that reports how many earlier questions it was given, so they show the
behaviour of the UI alone; the others run the real Assistant over the bundled corpus."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.feedback import FeedbackStore
from assistant.models import Answer, Citation, Turn
from assistant.server import create_app, serve_in_thread
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from tests.conftest import make_settings

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
REVIEW_SCREENSHOTS = PROJECT_ROOT / "evals" / "results"
EXPORT_2025 = "Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 400, "height": 844}}
# Gradio's own English strings that an official could meet on these pages (its built-in locale, en.json).
# None may be visible, as text or as a label a screen reader reads.
GRADIO_ENGLISH = [
    "Drop File Here",
    "- or -",
    "Click to Upload",
    "Clear",
    "Copy message",
    "Copy conversation",
    "Like",
    "Dislike",
    "Info",
    "Warning",
    "Error",
    "Use via API",
    "More tabs",
    "Invalid file type",
    "Uploading",
    "Loading",
    "Remove",
    "Download",
    "Share",
    "Retry",
    "Undo",
    "Chatbot",
    "user's message",
    "bot's message",
    "chatbot conversation",
    "Built with Gradio",
    "Settings",
    "processing",
    "Empty",
    "Scroll down",
]
HOSTILE_QUESTION = '<b>đậm</b> <img src=x onerror="window.__pwned=1"> ![x](http://tracker.invalid/t.png) Chỉ tiêu?'

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]


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
    page.locator("#chat button[aria-label='Câu trả lời chưa đúng']").last.click()
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


# ---------------------------------------------------------------- what an official sees (canned assistant)


class Canned:
    """Answers every question the same way, and says how many earlier questions came with it."""

    def answer(self, question: str, history: list[Turn] | None = None) -> Answer:
        earlier = sum(1 for t in (history or []) if t.role == "user")
        citation = Citation(
            n=1,
            source="004_0fe5ee8038d62b66.txt",
            title="Nghị quyết về nhiệm vụ phát triển kinh tế - xã hội năm 2025",
            date="06/12/2024",
            location="Điều 1 › 2. Các chỉ tiêu chủ yếu › c)",
            quote="c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;",
        )
        return Answer(
            answer=f"Kim ngạch xuất khẩu năm 2025 phấn đấu đạt 1.850 triệu USD [1]. (câu hỏi trước: {earlier})",
            found=True,
            citations=[citation],
            question_interpreted=question,
        )

    def documents(self) -> list[dict[str, object]]:
        return [
            {
                "source": f"{i:03d}_van-ban-co-ten-tep-kha-dai-{i}.pdf",
                "title": f"Nghị quyết về phát triển kinh tế - xã hội năm {2000 + i % 25}",
                "number": f"{i}/NQ-HĐND" if i % 4 else None,
                "date": f"{2000 + i % 25}-06-{1 + i % 28:02d}",
                "period": str(2000 + i % 25),
                "kind": "nghị quyết",
                "chunk_ids": list(range(1 + i % 9)),
            }
            for i in range(1, 46)
        ]

    def ingest(self, paths: object) -> object:
        return {"files": []}


@pytest.fixture(scope="module")
def canned_store(tmp_path_factory: pytest.TempPathFactory) -> FeedbackStore:
    return FeedbackStore(tmp_path_factory.mktemp("canned-feedback") / "feedback.jsonl")


@pytest.fixture(scope="module")
def canned_url(tmp_path_factory: pytest.TempPathFactory, canned_store: FeedbackStore) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("canned-ui"))
    with serve_in_thread(create_app(settings, Canned(), feedback=canned_store)) as url:
        yield url


def no_english_settles(page: Any, seconds: float = 10.0) -> list[str]:
    """visible_english once the page's translator has caught up: it rewrites Gradio's own words
    ("processing" while an event runs) as they appear, a moment later on a busy machine."""
    deadline = time.monotonic() + seconds
    found = visible_english(page)
    while found and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        found = visible_english(page)
    return found


def visible_english(page: Any) -> list[str]:
    """The GRADIO_ENGLISH strings in the page's visible text or in a visible element's aria-label/title/
    placeholder, and in any toast."""
    # A whole-word match ("Like" must not match inside another word), as a JavaScript regular expression.
    patterns = [[text, r"(^|[^\p{L}])" + re.sub(r"[.*+?^${}()|\[\]\\]", r"\\\g<0>", text) + r"($|[^\p{L}])"]
                for text in GRADIO_ENGLISH]
    found = page.evaluate(
        """(patterns) => {
          const texts = [document.body.innerText];
          for (const el of document.querySelectorAll("[aria-label],[title],[placeholder]")) {
            if (!el.getClientRects().length) continue;
            for (const a of ["aria-label", "title", "placeholder"]) if (el.hasAttribute(a)) texts.push(el.getAttribute(a));
          }
          return patterns.filter(([, p]) => texts.some((t) => new RegExp(p, "u").test(t))).map(([s]) => s);
        }""",
        patterns,
    )
    return list(found)


def new_page(browser: Any, viewport: str) -> tuple[Any, Any]:
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="vi-VN")
    return context, context.new_page()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_everything_an_official_sees_is_vietnamese_and_their_text_stays_text(
    browser: Any, canned_url: str, viewport: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    context, page = new_page(browser, viewport)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(canned_url) else None)
    page.goto(canned_url)

    ask(page, HOSTILE_QUESTION)
    answer = page.locator("#chat .answer").first
    answer.wait_for(timeout=30_000)
    page.wait_for_timeout(300)  # the page script scrolls the new answer into view

    user_text = page.locator("#chat .user-text").first
    assert user_text.inner_text() == HOSTILE_QUESTION.replace("  ", " ")  # shown as the words typed
    assert page.locator("#chat img").count() == 0 and page.locator("#chat .user-text b").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert not [u for u in outside if "tracker.invalid" in u]
    assert not outside  # nothing fetched from outside the server (no analytics, no web fonts, no images)
    # The figure is on screen (the start of the answer, not the end of its citations), at both widths.
    box = answer.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + 20 <= VIEWPORTS[viewport]["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    assert page.locator("#chat label, #chat [data-testid='block-label']").filter(has_text="Hội thoại").count() == 0
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert (page.locator("#chat [data-testid='bot']").first.get_attribute("aria-label") or "").startswith(
        "Câu trả lời: Kim ngạch xuất khẩu năm 2025"
    )

    ask(page, "   ")  # an empty question: a warning toast
    expect(page.get_by_text("Vui lòng nhập câu hỏi.")).to_be_visible(timeout=10_000)
    assert no_english_settles(page) == []
    REVIEW_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(REVIEW_SCREENSHOTS / f"ui_chat_{viewport}.png"), full_page=False)

    page.get_by_role("tab", name="Tài liệu").click()
    expect(page.locator("#documents")).to_contain_text("024_van-ban", timeout=30_000)
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ" + b"\x00" * 64)
    page.locator("#uploads input[type=file]").first.set_input_files([str(program)])
    expect(page.get_by_text("Loại tệp không hợp lệ").first).to_be_visible(timeout=10_000)
    assert no_english_settles(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    page.screenshot(path=str(REVIEW_SCREENSHOTS / f"ui_documents_{viewport}.png"), full_page=False)
    context.close()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_documents_table_searches_sorts_and_pages(browser: Any, canned_url: str, viewport: str) -> None:
    from playwright.sync_api import expect

    context, page = new_page(browser, viewport)
    page.goto(canned_url)
    page.get_by_role("tab", name="Tài liệu").click()
    table = page.locator("#documents")
    expect(page.locator("#doc-page")).to_contain_text("Trang 1 / 3 · 45 văn bản", timeout=30_000)

    assert table.locator("tbody tr").count() == 20
    number = table.locator("td.number").first
    assert number.inner_text().strip()  # Số hiệu is filled: the number, or "không ghi số"
    assert number.is_visible() and table.locator("td.source").first.is_visible()
    page.locator("#doc-next").click()
    expect(page.locator("#doc-page")).to_contain_text("Trang 2 / 3", timeout=10_000)
    page.locator("#doc-search textarea, #doc-search input").first.fill("nghi quyet 2007")
    expect(page.locator("#doc-page")).to_contain_text("Trang 1 / 1 · 2 / 45 văn bản khớp", timeout=10_000)
    assert all("2007" in row for row in table.locator("tbody tr").all_inner_texts())
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    context.close()


def test_copy_gives_the_answer_and_its_sources_as_plain_text(browser: Any, canned_url: str) -> None:
    context, page = new_page(browser, "desktop")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=canned_url)
    page.goto(canned_url)
    ask(page, EXPORT_2025)
    page.locator("#chat .answer").first.wait_for(timeout=30_000)

    page.locator("#chat .copy-answer").first.click()
    page.get_by_text("Đã sao chép").first.wait_for(timeout=5_000)
    copied = page.evaluate("navigator.clipboard.readText()")

    assert copied.startswith("Kim ngạch xuất khẩu năm 2025 phấn đấu đạt 1.850 triệu USD [1].")
    assert "Nguồn:" in copied and "[1] Nghị quyết về nhiệm vụ phát triển kinh tế - xã hội năm 2025" in copied
    assert "«c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;»" in copied
    assert "<" not in copied and "&" not in copied

    page.locator("#copy-all").click()
    page.wait_for_timeout(300)
    conversation = page.evaluate("navigator.clipboard.readText()")
    assert conversation.startswith(f"Hỏi: {EXPORT_2025}\n\nTrả lời: Kim ngạch")
    context.close()


def test_the_trash_can_resets_the_follow_up_history(browser: Any, canned_url: str) -> None:
    from playwright.sync_api import expect

    context, page = new_page(browser, "desktop")
    page.goto(canned_url)
    answers = page.locator("#chat .answer")
    ask(page, "Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu?")
    expect(answers).to_have_count(1, timeout=30_000)
    ask(page, "Còn năm 2025 thì sao?")
    expect(answers).to_have_count(2, timeout=30_000)
    expect(answers.nth(1)).to_contain_text("(câu hỏi trước: 1)")

    page.locator("#chat button[aria-label='Xoá']").first.click()  # the chatbot's own trash can
    expect(answers).to_have_count(0, timeout=10_000)
    ask(page, "Còn năm 2025 thì sao?")

    expect(answers).to_have_count(1, timeout=30_000)
    expect(answers.first).to_contain_text("(câu hỏi trước: 0)")  # not read against the cleared conversation
    context.close()


def test_a_changed_vote_replaces_the_first_and_a_thumbs_down_takes_a_comment(
    browser: Any, canned_url: str, canned_store: FeedbackStore
) -> None:
    from playwright.sync_api import expect

    context, page = new_page(browser, "phone")
    page.goto(canned_url)
    ask(page, EXPORT_2025)
    page.locator("#chat .answer").first.wait_for(timeout=30_000)

    page.locator("#chat button[aria-label='Câu trả lời hữu ích']").last.click()
    page.get_by_text("Cảm ơn góp ý").first.wait_for(timeout=10_000)
    page.locator("#chat button[aria-label='Câu trả lời chưa đúng']").last.click()
    comment = page.locator("#comment textarea")
    expect(comment).to_be_visible(timeout=10_000)
    comment.fill("số liệu sai, đúng là 1.900 triệu USD")
    page.locator("#send-comment").click()
    page.get_by_text("Đã ghi nhận góp ý").first.wait_for(timeout=10_000)

    mine = [e for e in canned_store.entries() if e.question == EXPORT_2025]
    assert [(e.rating, e.comment) for e in mine] == [("down", "số liệu sai, đúng là 1.900 triệu USD")]
    [candidate] = [c for c in canned_store.export_candidates() if c.question == EXPORT_2025]
    assert candidate.comment == "số liệu sai, đúng là 1.900 triệu USD"
    assert no_english_settles(page) == []
    context.close()
