"""The JSON API under /api/: ask a question, list the indexed documents."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

from assistant.access import Access, Role
from assistant.contract import (
    MAX_HISTORY_TURNS,
    MAX_QUESTION_CHARS,
    MAX_TURN_CHARS,
    AssistantLike,
    DocumentInfo,
    InputRejected,
    check_input,
    list_documents,
)
from assistant.indicators_export import (
    MAX_FILTER_CHARS,
    IndicatorFilters,
    IndicatorList,
    IndicatorsUnavailable,
    check_filters,
    find_indicators,
    indicator_list,
    indicator_rows,
    rows_to_xlsx,
)
from assistant.jobs import UploadJobs
from assistant.models import Answer, Turn

if TYPE_CHECKING:
    from assistant.indicators import IndicatorGroup

log = logging.getLogger(__name__)

# Module level: annotations are strings here (PEP 563), resolved against module globals.
_bearer = HTTPBearer(auto_error=False, description="Needed when ASSISTANT_API_KEY is set")


class AskRequest(BaseModel):
    question: str = Field(
        description=f"The question, in Vietnamese (1 to {MAX_QUESTION_CHARS:,} characters)",
        json_schema_extra={"maxLength": MAX_QUESTION_CHARS},
    )
    history: list[Turn] = Field(
        default_factory=list,
        description=f"Earlier turns of the conversation, oldest first, for follow-up questions "
        f"(at most {MAX_HISTORY_TURNS} turns of at most {MAX_TURN_CHARS:,} characters each)",
        json_schema_extra={"maxItems": MAX_HISTORY_TURNS},
    )

    @model_validator(mode="after")
    def _usable(self) -> AskRequest:
        # The one check every adapter applies (assistant/contract.py); InputRejected is a ValueError, so
        # pydantic turns it into a 422 whose message names the field (see _describe_problem).
        self.question, self.history = check_input(self.question, self.history)
        return self


class AskResponse(Answer):
    latency_ms: float = Field(description="Time answer() took on the server, in milliseconds")


class DocumentList(BaseModel):
    count: int
    documents: list[DocumentInfo]


def document_list(assistant: AssistantLike) -> DocumentList:
    documents = list_documents(assistant)
    return DocumentList(count=len(documents), documents=documents)


# The API's routes and the one method each takes: another method gets 405 (not Gradio's 404 page).
_METHODS = {
    "/api/ask": "POST",
    "/api/documents": "GET, POST",
    "/api/indicators": "GET",
    "/api/indicators.xlsx": "GET",
}
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def make_router(
    assistant: AssistantLike,
    api_key: str | None,
    *,
    admin_key: str | None = None,
    jobs: UploadJobs | None = None,
    max_upload_mb: float = 20.0,
) -> APIRouter:
    access = Access(reader_key=api_key, admin_key=admin_key)
    require_key = _bearer_guard(access, "reader")
    answer_limiter = _LazyLimiter()
    # The key is checked before the body is read (401 before 422) by the route class; the dependency repeats
    # the check so that /docs shows the endpoints as bearer-protected.
    router = APIRouter(
        prefix="/api", tags=["api"], dependencies=[Depends(require_key)], route_class=_key_first_route(access)
    )

    @router.post(
        "/ask",
        response_model=AskResponse,
        summary="Answer a question with numbered citations",
        responses={422: {"description": "Empty, too long or malformed request"}, 500: {"description": "answer() failed"}},
    )
    async def ask(request: AskRequest) -> AskResponse:
        started = time.perf_counter()
        try:
            # answer() is CPU-bound sync code: run it off the event loop so the server keeps serving.
            answer = await anyio.to_thread.run_sync(
                assistant.answer, request.question, request.history or None, limiter=answer_limiter()
            )
        except Exception as error:
            log.exception("answer() failed for question %.200r", request.question)
            raise HTTPException(
                status_code=500,
                detail=f"The assistant failed while answering this question ({type(error).__name__}). "
                "The error is logged on the server; try again, or rephrase the question.",
            ) from error
        latency_ms = (time.perf_counter() - started) * 1000.0
        return AskResponse(**answer.model_dump(), latency_ms=round(latency_ms, 2))

    @router.get("/documents", response_model=DocumentList, summary="The indexed documents and their chunk counts")
    async def documents() -> DocumentList:
        return await run_in_threadpool(document_list, assistant)

    @router.get(
        "/indicators",
        response_model=IndicatorList,
        summary="Every target and result of the indicators matching q, across documents and periods",
        responses={422: {"description": "A filter too long or not valid text"}},
    )
    async def indicators(q: _Filter = None, period: _Filter = None, document: _Filter = None) -> IndicatorList:
        filters, groups = await _indicator_groups(assistant, q, period, document)
        return indicator_list(groups, filters)

    @router.get(
        "/indicators.xlsx",
        response_class=Response,
        summary="The same values as GET /api/indicators, one row each, as an Excel workbook",
        responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "chi-tieu.xlsx"}},
    )
    async def indicators_xlsx(q: _Filter = None, period: _Filter = None, document: _Filter = None) -> Response:
        _, groups = await _indicator_groups(assistant, q, period, document)
        data = await run_in_threadpool(rows_to_xlsx, indicator_rows(groups))
        return Response(
            data, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": 'attachment; filename="chi-tieu.xlsx"'}
        )

    if jobs is not None:
        _add_admin_routes(router, jobs, access, max_upload_mb)

    @router.api_route(
        "/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
    )
    async def other(request: Request) -> JSONResponse:
        path = request.url.path.rstrip("/")
        allowed = _METHODS.get(path)
        if allowed:
            return JSONResponse(
                {"detail": f"Method {request.method} is not allowed on {path}: use {allowed}."},
                status_code=405,
                headers={"Allow": allowed},
            )
        return JSONResponse(
            {"detail": f"No API endpoint {path}: the API has {', '.join(sorted(_METHODS))} (see /docs)."},
            status_code=404,
        )

    return router


_Filter = Annotated[
    str | None,
    Query(description=f"Words of the indicator (q), a period such as 2025 or 2021-2025, or a document's file "
          f"name, number or title words; at most {MAX_FILTER_CHARS} characters each"),
]


async def _indicator_groups(
    assistant: object, q: str | None, period: str | None, document: str | None
) -> tuple[IndicatorFilters, list[IndicatorGroup]]:
    try:
        filters = check_filters(q, period, document)
    except InputRejected as rejected:
        raise HTTPException(status_code=422, detail=f"Invalid request: {rejected.en}") from None
    try:
        groups = await run_in_threadpool(find_indicators, assistant, filters)
    except IndicatorsUnavailable as error:
        raise HTTPException(status_code=501, detail=str(error)) from None
    except Exception as error:
        log.exception("indicators() failed for %r", filters)
        raise HTTPException(
            status_code=500,
            detail=f"The indicator table could not be read ({type(error).__name__}). The error is logged on the "
            "server; try again, or with other filters.",
        ) from error
    return filters, groups


class JobFile(BaseModel):
    source: str = Field(description="The file name: how the index knows the document")
    status: str = Field(
        description="added, updated, unchanged, failed (see reason), skipped (a duplicate: see duplicate_of), "
        "refused (a document of this name is indexed: nothing changed), cancelled (the server stopped first)"
    )
    chunks: int = 0
    reason: str | None = None
    duplicate_of: str | None = None


class JobStatus(BaseModel):
    id: str
    state: str = Field(description="queued, running, done or cancelled")
    total: int = Field(description="Files in the upload")
    done: int = Field(description="Files whose outcome is known (listed in files)")
    current: str | None = Field(default=None, description="The file being ingested")
    chunks_embedded: int = 0
    chunks_total: int = 0
    files: list[JobFile]
    waiting: list[str]
    submitted_by: str | None = None
    created_at: str
    finished_at: str | None = None
    status_url: str


class DeleteResponse(BaseModel):
    source: str
    deleted: bool
    message: str


_UPLOAD_HELP = (
    "send the documents as multipart/form-data, one or more parts named 'files' "
    "(PDF, DOCX or TXT), e.g. curl -F files=@bao-cao.pdf -H 'Authorization: Bearer <ASSISTANT_ADMIN_KEY>' "
    "http://host:7860/api/documents"
)


def _job_status(view: Any) -> JobStatus:
    return JobStatus(**view.to_dict(), status_url=f"/api/jobs/{view.id}")


def _submit(jobs: UploadJobs, files: list[tuple[str, BinaryIO]]) -> Any:
    """Write the request's files under their own names, then queue them (the job copies them aside)."""
    with tempfile.TemporaryDirectory(prefix="assistant-upload-") as tmp:
        paths = []
        for position, (name, data) in enumerate(files):
            folder = Path(tmp) / f"{position:04d}"
            folder.mkdir()
            with (folder / name).open("wb") as out:
                while chunk := data.read(1024 * 1024):
                    out.write(chunk)
            paths.append(folder / name)
        return jobs.submit(paths, submitted_by="api")


def _add_admin_routes(router: APIRouter, jobs: UploadJobs, access: Access, max_upload_mb: float) -> None:
    """Upload (a background job), its progress, and delete: the administrator's endpoints."""
    require_admin = Depends(_bearer_guard(access, "admin"))
    limit = int(max_upload_mb * 1024 * 1024)

    @router.post(
        "/documents",
        status_code=202,
        response_model=JobStatus,
        dependencies=[require_admin],
        summary="Upload documents (admin): queued as a job; poll GET /api/jobs/{id}",
        responses={
            403: {"description": "A reader's key"},
            413: {"description": "A file over ASSISTANT_MAX_UPLOAD_MB"},
            422: {"description": "No file, or a file without a name"},
        },
    )
    async def upload(
        files: Annotated[list[UploadFile] | None, File(description="PDF, DOCX or TXT files")] = None,
    ) -> JSONResponse:
        if not files:
            raise HTTPException(status_code=422, detail=f"Invalid request: no file: {_UPLOAD_HELP}.")
        named: list[tuple[str, UploadFile]] = []
        for upload in files:
            # Only the last part of a client's path: a name like ../../x must not reach outside uploads/.
            name = re.split(r"[\\/]", upload.filename or "")[-1].strip()
            if name in {"", ".", ".."}:
                raise HTTPException(
                    status_code=422, detail=f"Invalid request: a file part has no file name: {_UPLOAD_HELP}."
                )
            if upload.size is not None and upload.size > limit:
                raise HTTPException(
                    status_code=413,
                    detail=f"{name} is {upload.size / 1024 / 1024:.1f} MB; uploads are limited to "
                    f"{max_upload_mb:g} MB (ASSISTANT_MAX_UPLOAD_MB). Nothing was queued: split the document, "
                    "or ingest it on the server with `assistant ingest`.",
                )
            named.append((name, upload))
        try:
            view = await run_in_threadpool(_submit, jobs, [(name, upload.file) for name, upload in named])
        except RuntimeError as error:
            raise HTTPException(status_code=503, detail=str(error)) from None
        except OSError as error:
            log.exception("an upload could not be staged")
            raise HTTPException(
                status_code=507,
                detail=f"The server could not store the upload ({error.strerror or error}): nothing was queued. "
                "Tell the administrator (the disk may be full); then upload again.",
            ) from None
        status = _job_status(view)
        return JSONResponse(
            status_code=202, content=jsonable_encoder(status), headers={"Location": status.status_url}
        )

    @router.get(
        "/jobs/{job_id}",
        response_model=JobStatus,
        dependencies=[require_admin],
        summary="An upload job's state (admin): files done of total, each file's outcome",
        responses={404: {"description": "No such job"}},
    )
    async def job(job_id: str) -> JobStatus:
        view = jobs.get(job_id)
        if view is None:
            raise HTTPException(
                status_code=404,
                detail=f"No upload job {job_id!r}: the id is wrong, or the server restarted or has forgotten it "
                "(it keeps the last 100 jobs). GET /api/documents shows what is indexed.",
            )
        return _job_status(view)

    @router.delete(
        "/documents/{name}",
        response_model=DeleteResponse,
        dependencies=[require_admin],
        summary="Delete an indexed document by its file name (admin)",
        responses={404: {"description": "No document of that name"}},
    )
    async def delete(name: str) -> DeleteResponse:
        result = await run_in_threadpool(jobs.delete, name)
        if not result.removed:
            raise HTTPException(status_code=404, detail=f"{result.message} GET /api/documents lists the names.")
        return DeleteResponse(source=result.source, deleted=True, message=result.message)


# What only an administrator may do (assistant/access.py): (path, method).
_ADMIN_ROUTES = {
    ("/api/documents", "POST"),
    ("/api/documents/{name}", "DELETE"),
    ("/api/jobs/{job_id}", "GET"),
}


def _role_of(route: APIRoute) -> Role:
    return "admin" if any((route.path, method) in _ADMIN_ROUTES for method in route.methods or ()) else "reader"


def _key_first_route(access: Access) -> type[APIRoute]:
    class KeyFirstRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()
            need = _role_of(self)

            async def checked(request: Request) -> Response:
                refusal = access.check_bearer(request.headers.get("authorization"), need)
                if refusal:
                    headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
                    return JSONResponse({"detail": refusal.message}, status_code=refusal.status, headers=headers)
                return await handler(request)

            return checked

    return KeyFirstRoute


class _LazyLimiter:
    """answer() is CPU-bound under the GIL: more threads than cores only add switching and tail latency
    (measured: p95 1.4 s → 0.8 s with 8 clients), so concurrent answers are capped at the core count.
    Created on first use, inside the server's event loop."""

    def __init__(self) -> None:
        self._limiter: anyio.CapacityLimiter | None = None

    def __call__(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(max(1, os.cpu_count() or 1))
        return self._limiter


def _bearer_guard(access: Access, need: Role) -> Any:
    async def require_key(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        authorization = f"Bearer {credentials.credentials}" if credentials else None
        refusal = access.check_bearer(authorization, need)
        if refusal:
            headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
            raise HTTPException(status_code=refusal.status, detail=refusal.message, headers=headers)

    return require_key


async def validation_error_handler(request: Request, error: Exception) -> JSONResponse:
    """422 whose `detail` is one readable sentence per problem (FastAPI's default is a nested list)."""
    assert isinstance(error, RequestValidationError)
    problems = [_describe_problem(e) for e in error.errors()]
    return JSONResponse(
        status_code=422,
        content={
            "detail": "Invalid request: " + "; ".join(problems),
            "errors": jsonable_encoder([{k: e.get(k) for k in ("loc", "msg", "type")} for e in error.errors()]),
        },
    )


def _describe_problem(error: Mapping[str, Any]) -> str:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    kind = error.get("type")
    rejected = (error.get("ctx") or {}).get("error")
    if isinstance(rejected, InputRejected):
        return f"{rejected.where}: {rejected.en} ({rejected.vi})"
    if kind == "json_invalid":
        return f"the body is not valid JSON ({error.get('ctx', {}).get('error', message)}); send a JSON object"
    if not location and kind in {"missing", "json_invalid", "model_attributes_type", "dict_type"}:
        return (
            f"{message}. Send a JSON body like "
            '{"question": "...", "history": [{"role": "user", "content": "..."}]}'
        )
    if location[:1] == ["history"]:
        message += " (history is a list of {\"role\": \"user\" | \"assistant\", \"content\": \"...\"})"
    where = ".".join(location) or "body"
    return f"{where}: {message}"
