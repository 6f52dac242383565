"""The JSON API under /api/: ask a question, list the indexed documents."""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from assistant.models import Answer, Turn

if TYPE_CHECKING:
    from assistant.server import AssistantLike

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
MAX_HISTORY_TURNS = 40

# Module level: annotations are strings here (PEP 563), resolved against module globals.
_bearer = HTTPBearer(auto_error=False, description="Needed when ASSISTANT_API_KEY is set")


class AskRequest(BaseModel):
    question: str = Field(description="The question, in Vietnamese (1 to 1,000 characters)")
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns of the conversation, oldest first, for follow-up questions",
    )

    @field_validator("question")
    @classmethod
    def _question_is_usable(cls, value: str) -> str:
        question = value.strip()
        if not question:
            raise ValueError("the question is empty: write the question text")
        if len(question) > MAX_QUESTION_CHARS:
            raise ValueError(
                f"the question has {len(question)} characters; the limit is {MAX_QUESTION_CHARS}: ask a shorter question"
            )
        return question


class AskResponse(Answer):
    latency_ms: float = Field(description="Time answer() took on the server, in milliseconds")


class DocumentInfo(BaseModel):
    source: str
    title: str
    kind: str | None = None
    number: str | None = None
    issuer: str | None = None
    date: str | None = Field(default=None, description="Issue date, dd/mm/yyyy")
    period: str | None = None
    pages: int | None = None
    chunks: int = Field(description="Number of indexed passages")
    ingested_at: str | None = None


class DocumentList(BaseModel):
    count: int
    documents: list[DocumentInfo]


def describe_document(document: Any) -> DocumentInfo:
    """One indexed document (a registry entry, or a plain mapping) in the API's shape."""
    data = _as_mapping(document)
    meta = _as_mapping(data.get("meta") or {})
    merged = {**meta, **{k: v for k, v in data.items() if k != "meta" and v is not None}}
    chunk_ids = merged.get("chunk_ids")
    chunks = merged.get("chunks", merged.get("chunk_count"))
    if chunks is None:
        chunks = len(chunk_ids) if isinstance(chunk_ids, list | tuple) else 0
    source = str(merged.get("source", ""))
    return DocumentInfo(
        source=source,
        title=str(merged.get("title") or source),
        kind=_text_or_none(merged.get("kind")),
        number=_text_or_none(merged.get("number")),
        issuer=_text_or_none(merged.get("issuer")),
        date=_display_date(_text_or_none(merged.get("date"))),
        period=_text_or_none(merged.get("period")),
        pages=merged.get("pages") if isinstance(merged.get("pages"), int) else None,
        chunks=int(chunks),
        ingested_at=_text_or_none(merged.get("ingested_at")),
    )


def list_documents(assistant: AssistantLike) -> DocumentList:
    documents = [describe_document(d) for d in assistant.documents()]
    return DocumentList(count=len(documents), documents=documents)


def make_router(assistant: AssistantLike, api_key: str | None) -> APIRouter:
    require_key = _bearer_guard(api_key)
    answer_limiter = _LazyLimiter()
    router = APIRouter(prefix="/api", tags=["api"], dependencies=[Depends(require_key)])

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
        return await run_in_threadpool(list_documents, assistant)

    return router


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


def _bearer_guard(api_key: str | None) -> Any:
    async def require_key(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        if not api_key:
            return
        if credentials is None:
            raise HTTPException(
                status_code=401,
                detail="Missing API key: send the header 'Authorization: Bearer <ASSISTANT_API_KEY>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not hmac.compare_digest(credentials.credentials.encode("utf-8"), api_key.encode("utf-8")):
            raise HTTPException(
                status_code=401,
                detail="Wrong API key: the bearer token does not match ASSISTANT_API_KEY.",
                headers={"WWW-Authenticate": "Bearer"},
            )

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


def _as_mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    encoded = jsonable_encoder(value)
    return dict(encoded) if isinstance(encoded, Mapping) else {}


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _display_date(value: str | None) -> str | None:
    """ISO yyyy-mm-dd (how the registry stores it) shown as dd/mm/yyyy, like the citations."""
    if value and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    return value
