"""The "Chỉ tiêu" tab in a real headless Chromium against the real app and the real Assistant over the bundled
corpus (the browser settings and checks of test_ui_browser.py): search "GRDP", see the table and the chart, filter
by period, draw another indicator, download the .xlsx and find in it the rows the table shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.feedback import FeedbackStore
from assistant.server import create_app, serve_in_thread
from assistant.service import Assistant
from assistant.settings import Settings
from tests.assistant.indicator_files import column, header, xlsx_rows
from tests.assistant.test_ui_browser import ARTIFACTS, CHROMIUM, VIEWPORTS, visible_english

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]

@pytest.fixture(scope="module")
def app_url(
    indexed_settings: Settings, corpus_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    feedback = FeedbackStore(tmp_path_factory.mktemp("feedback") / "feedback.jsonl")
    with serve_in_thread(create_app(indexed_settings, corpus_assistant, feedback=feedback)) as url:
        yield url


# What one row of the tab's table shows, read from the page.
TABLE_ROWS_JS = """() => Array.from(document.querySelectorAll('#indicators tr.value')).map((tr) => [
  tr.querySelector('td.indicator').textContent.trim(),
  tr.querySelector('td.period').textContent.trim(),
  tr.querySelector('td.value').firstChild.textContent.trim(),
  tr.querySelector('td.status').textContent.trim(),
  tr.querySelector('td.document').firstChild.textContent.trim(),
])"""


def open_tab(browser: Any, url: str, viewport: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
    page.goto(url)
    page.get_by_role("tab", name="Chỉ tiêu").click()
    return context, page, outside


def search(page: Any, words: str) -> None:
    from playwright.sync_api import expect

    # A search typed while the tab's first load is still processing can be dropped (seen once on a fresh clone):
    # type only once the summary shows a count.
    expect(page.locator("#ind-summary")).to_contain_text("chỉ tiêu", timeout=120_000)
    before = page.locator("#ind-summary").inner_text()
    page.locator("#ind-search textarea, #ind-search input").first.fill(words)
    expect(page.locator("#ind-summary")).to_contain_text(f"khớp «{words}»", timeout=120_000)
    if before:
        page.wait_for_timeout(200)


def choose(page: Any, dropdown: str, option: str) -> None:
    page.locator(f"#{dropdown} input").first.click()
    page.get_by_role("option", name=option, exact=True).first.click()


def chart_image(page: Any) -> str:
    image = page.locator("#ind-chart img").first
    image.wait_for(timeout=60_000)
    return str(image.get_attribute("src") or "")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_grdp_table_chart_and_the_xlsx_with_the_same_rows(
    browser: Any, app_url: str, viewport: str, tmp_path: Path
) -> None:
    context, page, outside = open_tab(browser, app_url, viewport)

    search(page, "GRDP")
    shown = page.evaluate(TABLE_ROWS_JS)
    first_chart = chart_image(page)
    with page.expect_download(timeout=60_000) as download:
        page.locator("#ind-download").click()
    saved = tmp_path / "download.xlsx"
    download.value.save_as(saved)

    assert len(shown) >= 2
    assert page.locator("#indicators tr.group").count() >= 1
    assert first_chart.startswith("data:image/")
    assert download.value.suggested_filename == "chi-tieu.xlsx"
    rows = xlsx_rows(saved.read_bytes())
    assert rows[0] == header()
    in_file = [
        [r[column("indicator")], r[column("period")] or "—", r[column("value")], r[column("status")], r[column("title")]]
        for r in rows[1:]
    ]
    assert in_file == shown, (in_file, shown)
    assert not outside  # the chart and the table come from the server alone
    assert visible_english(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ui_indicators_{viewport}.png"), full_page=True)
    context.close()


def test_a_period_filter_and_another_indicator_redraw_the_view(browser: Any, app_url: str) -> None:
    from playwright.sync_api import expect

    context, page, _ = open_tab(browser, app_url, "desktop")
    search(page, "GRDP")
    periods = [row[1] for row in page.evaluate(TABLE_ROWS_JS)]
    period = next(p for p in periods if p != "—")
    labels = page.locator("#indicators tr.group th").all_inner_texts()

    choose(page, "ind-period", period)
    expect(page.locator("#ind-summary")).to_contain_text(f"«{period}»", timeout=60_000)
    page.wait_for_timeout(300)
    assert all(period in row[1] for row in page.evaluate(TABLE_ROWS_JS))

    if len(labels) > 1:  # another indicator of the view: the chart is redrawn for it
        choose(page, "ind-period", "Mọi kỳ")
        expect(page.locator("#ind-summary")).not_to_contain_text(f"«{period}»", timeout=60_000)
        before = chart_image(page)
        choose(page, "ind-choice", labels[1].strip())
        expect(page.locator("#ind-chart img").first).not_to_have_attribute("src", before, timeout=60_000)
    context.close()
