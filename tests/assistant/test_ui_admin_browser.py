"""Roles in the chat, in a real headless Chromium (Debian's /usr/bin/chromium, the harness of
test_ui_browser.py) against the real app on 127.0.0.1 with keys set and the real Assistant over a temp index.

A reader logs in and sees no upload or delete; the admin logs in, uploads (the job shows its progress and the
outcome), is refused an upload of the same name with the reason, and deletes the document after confirming."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.server import create_app, serve_in_thread
from assistant.service import Assistant
from tests.assistant.test_ui_browser import ARTIFACTS, CHROMIUM, VIEWPORTS
from tests.conftest import make_settings

READER_KEY = "doc-chi-tieu-2025"
ADMIN_KEY = "quan-tri-kho-van-ban"
TOURISM = """NGHỊ QUYẾT
Về phát triển du lịch huyện Ba Tri đến năm 2030

Điều 1. Chỉ tiêu chủ yếu
a) Đón 1.250.000 lượt khách du lịch vào năm 2030;
b) Doanh thu từ du lịch đạt 3.400 tỷ đồng vào năm 2030.
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return Assistant.from_settings(make_settings(tmp_path_factory.mktemp("admin-ui")))


@pytest.fixture(scope="module")
def keyed_url(assistant: Assistant) -> Iterator[str]:
    settings = make_settings(assistant.settings.data_dir, api_key=READER_KEY, admin_key=ADMIN_KEY)  # type: ignore[union-attr]
    with serve_in_thread(create_app(settings, assistant)) as url:
        yield url


def logged_in(browser: Any, url: str, user: str, key: str) -> tuple[Any, Any]:
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.goto(url)
    page.get_by_text("tên đăng nhập", exact=False).first.wait_for(timeout=30_000)  # the login page explains itself
    page.locator("input[data-testid='textbox']").fill(user)
    page.locator("input[type='password']").fill(key)
    page.get_by_role("button", name="Login").click()
    page.get_by_role("tab", name="Tài liệu").wait_for(timeout=30_000)
    return context, page


def indexed(assistant: Assistant) -> dict[str, str]:
    return {doc.source: doc.content_hash for doc in assistant.index.documents()}


def test_a_wrong_password_is_refused_and_a_reader_sees_no_upload_or_delete(browser: Any, keyed_url: str) -> None:
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.goto(keyed_url)
    page.locator("input[data-testid='textbox']").fill("admin")
    page.locator("input[type='password']").fill(READER_KEY)
    page.get_by_role("button", name="Login").click()
    page.get_by_text("Incorrect Credentials").wait_for(timeout=30_000)
    assert page.get_by_role("tab", name="Tài liệu").count() == 0
    context.close()

    context, page = logged_in(browser, keyed_url, "reader", READER_KEY)
    page.get_by_role("tab", name="Tài liệu").click()
    page.locator("#reader-note").get_by_text("Chỉ quản trị viên").wait_for(timeout=30_000)
    assert not page.locator("#uploads").is_visible()
    assert not page.locator("#delete").is_visible()
    context.close()


def test_the_admin_uploads_is_refused_a_second_file_of_the_same_name_and_deletes(
    browser: Any, keyed_url: str, assistant: Assistant, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    first = tmp_path / "v1" / "du-lich-ba-tri.txt"
    first.parent.mkdir()
    first.write_text(TOURISM, encoding="utf-8")
    same_name = tmp_path / "v2" / "du-lich-ba-tri.txt"
    same_name.parent.mkdir()
    same_name.write_text(TOURISM.replace("1.250.000", "9.250.000"), encoding="utf-8")
    context, page = logged_in(browser, keyed_url, "admin", ADMIN_KEY)
    page.get_by_role("tab", name="Tài liệu").click()
    result = page.locator("#ingest-result")

    page.locator("#uploads input[type=file]").first.set_input_files([str(first)])
    page.locator("#uploads").get_by_text("du-lich-ba-tri", exact=True).first.wait_for(timeout=30_000)
    page.locator("#ingest").click()
    expect(result).to_contain_text("Mã công việc", timeout=120_000)
    expect(result).to_contain_text("Đã nạp xong", timeout=120_000)
    expect(page.locator("#documents")).to_contain_text("du-lich-ba-tri.txt", timeout=30_000)
    before = indexed(assistant)
    assert set(before) == {"du-lich-ba-tri.txt"}

    page.locator("#uploads button[aria-label='Xoá']").first.click()
    page.locator("#uploads input[type=file]").first.set_input_files([str(same_name)])
    page.locator("#uploads").get_by_text("du-lich-ba-tri", exact=True).first.wait_for(timeout=30_000)
    page.locator("#ingest").click()
    expect(result).to_contain_text("TỪ CHỐI", timeout=120_000)
    expect(result).to_contain_text("đã có văn bản cùng tên tệp", timeout=30_000)
    assert indexed(assistant) == before
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui_admin_refused.png"), full_page=True)

    page.locator("#delete-name input").click()
    page.get_by_role("option", name="du-lich-ba-tri.txt", exact=False).first.click()
    page.locator("#delete").click()
    expect(page.locator("#delete-question")).to_contain_text("du lịch huyện Ba Tri", timeout=30_000)
    page.locator("#delete-confirm").click()
    expect(page.locator("#delete-result")).to_contain_text("Đã xoá", timeout=30_000)
    expect(page.locator("#documents")).not_to_contain_text("du-lich-ba-tri.txt", timeout=30_000)
    assert indexed(assistant) == {}
    page.screenshot(path=str(ARTIFACTS / "ui_admin_deleted.png"), full_page=True)
    context.close()
