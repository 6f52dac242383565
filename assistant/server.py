"""One FastAPI application: Gradio chat at /, JSON API under /api/, Zalo webhook, /healthz."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from assistant import api, ui, zalo
from assistant.access import Access
from assistant.contract import AssistantLike
from assistant.feedback import FeedbackStore
from assistant.jobs import UploadJobs
from assistant.settings import Settings

log = logging.getLogger(__name__)

WARM_UP_QUESTION = "Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?"


def create_app(settings: Settings, assistant: AssistantLike, *, feedback: FeedbackStore | None = None) -> FastAPI:
    feedback = feedback or FeedbackStore.in_data_dir(settings.data_dir)
    access = Access(reader_key=settings.api_key, admin_key=settings.admin_key)
    if settings.api_key and not settings.admin_key:
        log.warning("ASSISTANT_API_KEY is set but ASSISTANT_ADMIN_KEY is not: nobody can upload or delete documents "
                    "in the chat or the API (the `assistant` command on the server still can)")
    elif settings.admin_key and not settings.api_key:
        log.warning("ASSISTANT_ADMIN_KEY is set but ASSISTANT_API_KEY is not: the API answers anyone, but the chat "
                    "asks for a login and only the administrator can log in; set ASSISTANT_API_KEY for readers")
    jobs = UploadJobs(assistant, settings.data_dir / "uploads", settings.data_dir / "upload_jobs")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        # An upload in progress stops after its current document (each commit is atomic), so a shutdown
        # never waits for a whole upload.
        jobs.close(timeout=5.0)

    app = FastAPI(
        lifespan=lifespan,
        title=ui.TITLE,
        description=(
            "Hỏi đáp có trích dẫn trên văn bản của tỉnh. `POST /api/ask` answers a question with numbered "
            "citations; `GET /api/documents` lists what is indexed. When ASSISTANT_API_KEY is set, send "
            "`Authorization: Bearer <key>` to /api/. Uploading (`POST /api/documents`, a background job: "
            "poll `GET /api/jobs/{id}`) and deleting (`DELETE /api/documents/{name}`) need ASSISTANT_ADMIN_KEY."
        ),
        version="0.1.0",
    )
    app.add_exception_handler(RequestValidationError, api.validation_error_handler)
    app.include_router(api.make_router(
        assistant, settings.api_key, admin_key=settings.admin_key, jobs=jobs, max_upload_mb=settings.max_upload_mb
    ))
    app.state.jobs = jobs
    bot = zalo.ZaloBot.from_settings(assistant, settings)
    app.state.zalo_bot = bot
    app.state.feedback = feedback
    app.include_router(zalo.make_router(bot))

    @app.get("/healthz", tags=["ops"], summary="Liveness: the app is up and the index answers")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    blocks = ui.build_ui(assistant, feedback, settings.data_dir / "uploads", access=access, jobs=jobs)
    blocks.queue(default_concurrency_limit=4)
    # Mounted last: the UI at "/" would otherwise shadow the routes above.
    # No Gradio footer: its API page is English and describes Gradio's internal endpoints, not /api/ (see /docs).
    # System fonts: the default theme would fetch Google Fonts, and the server may have no way out.
    theme = gr.themes.Default(
        font=["system-ui", "Segoe UI", "Roboto", "Arial", "sans-serif"], font_mono=["ui-monospace", "monospace"]
    )
    return gr.mount_gradio_app(
        app, blocks, path="/", css=ui.CSS, head=ui.UI_HEAD, theme=theme, footer_links=[], run_history=False,
        # With a key set the whole chat is behind Gradio's login; the role (reader, admin) follows the user name.
        auth=access.login if access.locked else None,
        auth_message=access.login_message() if access.locked else None,
    )


@contextmanager
def serve_in_thread(app: FastAPI, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port in a background thread; yields the base URL.

    For tests and benchmarks: the socket is bound before the thread starts, so there is no port race."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start; see the log above")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve(settings: Settings) -> None:
    """Build the Assistant once (models and indexes load here, not per request) and serve until stopped."""
    import uvicorn
    from threadpoolctl import threadpool_limits

    from assistant.service import Assistant

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    # Requests run side by side on the server's threads; a BLAS product spread over every core as well (the
    # in-memory dense search) only makes them wait on each other: 19.7 against 29.7 req/s with 8 clients.
    threadpool_limits(limits=1, user_api="blas")
    assistant = Assistant.from_settings(settings)
    # The first answer pays one-off costs (lazy model sessions, caches); pay them before the first user does.
    assistant.answer(WARM_UP_QUESTION)
    # So does the first question that compares (it reads the indicator table, loaded on first use): 3 s of CPU
    # with the 999-document archive indexed, under the GIL, so every other request waited too.
    assistant.indicators()
    log.info("Assistant ready in %.1f s", time.perf_counter() - started)
    app = create_app(settings, assistant)
    log.info("Serving on http://%s:%d/ (API docs at /docs)", settings.host, settings.port)
    # Open chat connections (server-sent events) must not hold a stopping server: give them 5 s.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", timeout_graceful_shutdown=5)
