"""The typed result of answer(): what the CLI, API, UI, Zalo bot and evals all consume."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Citation(BaseModel):
    n: int = Field(description="Number used as [n] in the answer text")
    source: str = Field(description="File name of the document")
    title: str
    number: str | None = Field(default=None, description="Document number, e.g. 510/BC-UBND")
    date: str | None = Field(default=None, description="Issue date, dd/mm/yyyy")
    period: str | None = None
    location: str = Field(description="Where in the document: page (PDF) and section path")
    quote: str = Field(description="The exact passage, in the document's own words")
    chunk_id: str = ""


class RetrievedPassage(BaseModel):
    """One ranked passage retrieval returned (for evals and debugging; not part of the JSON answer)."""

    rank: int
    chunk_id: str
    source: str
    text: str
    section: str = ""
    score: float = 0.0


class Answer(BaseModel):
    answer: str
    found: bool
    citations: list[Citation] = Field(default_factory=list)
    question_interpreted: str
    retrieved: list[RetrievedPassage] = Field(default_factory=list, exclude=True)
