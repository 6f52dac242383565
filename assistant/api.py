"""The JSON API under /api/: ask a question, list the indexed documents."""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

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
from assistant.models import Answer, Turn

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
_METHODS = {"/api/ask": "POST", "/api/documents": "GET"}


def make_router(assistant: AssistantLike, api_key: str | None) -> APIRouter:
    require_key = _bearer_guard(api_key)
    answer_limiter = _LazyLimiter()
    # The key is checked before the body is read (401 before 422) by the route class; the dependency repeats
    # the check so that /docs shows the endpoints as bearer-protected.
    router = APIRouter(
        prefix="/api", tags=["api"], dependencies=[Depends(require_key)], route_class=_key_first_route(api_key)
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


def _key_problem(api_key: str | None, authorization: str | None) -> str | None:
    """Why a request may not use the API (None: it may)."""
    if not api_key:
        return None
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "Missing API key: send the header 'Authorization: Bearer <ASSISTANT_API_KEY>'."
    if not hmac.compare_digest(token.strip().encode("utf-8", "replace"), api_key.encode("utf-8")):
        return "Wrong API key: the bearer token does not match ASSISTANT_API_KEY."
    return None


def _key_first_route(api_key: str | None) -> type[APIRoute]:
    class KeyFirstRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def checked(request: Request) -> Response:
                problem = _key_problem(api_key, request.headers.get("authorization"))
                if problem:
                    return JSONResponse({"detail": problem}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
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


def _bearer_guard(api_key: str | None) -> Any:
    async def require_key(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        authorization = f"Bearer {credentials.credentials}" if credentials else None
        problem = _key_problem(api_key, authorization)
        if problem:
            raise HTTPException(status_code=401, detail=problem, headers={"WWW-Authenticate": "Bearer"})

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
