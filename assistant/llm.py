"""Optional LLM answering (Ollama or any OpenAI-compatible server) with figure checking.

The LLM only rephrases what the numbered passages say. Its answer is kept only when every number
it writes stands in a passage it cites; otherwise, and on any error or timeout, the extractive
answer is used and the event is logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from assistant.answerer import ExtractiveAnswer, document_phrase, period_label
from assistant.figures import check_figures, cited_numbers
from assistant.query import QueryIntent
from assistant.retriever import RankedChunk
from assistant.settings import Settings
from prompts import load_prompt

log = logging.getLogger(__name__)

# Passages shown to the LLM: enough for multi-period questions, small enough for a fast prompt.
LLM_PASSAGES = 6
_INSTALL_HINT = "pip install 'bentre-assistant[llm]'"
# An LLM that says the passages do not hold the answer.
_REFUSAL_RE = re.compile(r"không có thông tin|không chứa|không có số liệu|không đề cập", re.IGNORECASE)


def make_chat_model(
    mode: str, model: str | None, base_url: str | None, api_key: str | None, timeout_s: float
) -> Any:
    """A LangChain chat model for `mode`; the client package is imported only here."""
    if mode == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise RuntimeError(f"llm_mode 'ollama' needs langchain-ollama: {_INSTALL_HINT}") from exc
        kwargs: dict[str, Any] = {"model": model or "qwen2.5:7b-instruct", "temperature": 0.0}
        if base_url:
            kwargs["base_url"] = base_url
        return ChatOllama(**kwargs, client_kwargs={"timeout": timeout_s})
    if mode == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise RuntimeError(f"llm_mode 'openai' needs langchain-openai: {_INSTALL_HINT}") from exc
        if not base_url:
            raise ValueError(
                "llm_mode 'openai' needs ASSISTANT_LLM_BASE_URL, the server's OpenAI-compatible URL "
                "(e.g. http://127.0.0.1:8000/v1 for vLLM or llama.cpp server)."
            )
        return ChatOpenAI(
            model=model or "default",
            base_url=base_url,
            api_key=api_key or "not-needed",  # type: ignore[arg-type]
            temperature=0.0,
            timeout=timeout_s,
            max_retries=0,
        )
    raise ValueError(f"Unknown llm_mode {mode!r}: use 'extractive', 'ollama' or 'openai'.")


def format_passages(ranked: Sequence[RankedChunk]) -> str:
    blocks = []
    for n, item in enumerate(ranked, start=1):
        meta = item.meta
        label = period_label(str(meta.get("period") or "")) or ""
        section = str(getattr(item.chunk, "section", "") or "")
        header = f"[{n}] {document_phrase(meta)}" + (f", {label}" if label else "") + (f" — {section}" if section else "")
        text = re.sub(r"\s+", " ", str(getattr(item.chunk, "text", ""))).strip()
        blocks.append(f"{header}\n{text}")
    return "\n\n".join(blocks)


def _metadata_texts(item: RankedChunk) -> list[str]:
    meta = item.meta
    return [str(meta.get(k) or "") for k in ("title", "number", "date", "period")] + [document_phrase(meta)]


class LLMAnswerer:
    """Answers with a chat model over the retrieved passages; falls back to the extractive answer."""

    def __init__(self, chat_model: Any, passages: int = LLM_PASSAGES) -> None:
        self.chat_model = chat_model
        self.passages = passages
        self.template = load_prompt("answer")
        self.rewrite_template = load_prompt("rewrite_followup")

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMAnswerer:
        chat = make_chat_model(
            settings.llm_mode, settings.llm_model, settings.llm_base_url, settings.llm_api_key, settings.llm_timeout_s
        )
        return cls(chat)

    def _ask(self, prompt: str) -> str:
        reply = self.chat_model.invoke(prompt)
        content = getattr(reply, "content", reply)
        return content if isinstance(content, str) else str(content)

    def rewrite_followup(self, question: str, previous: str) -> str | None:
        """A standalone form of a follow-up, or None when the model fails."""
        try:
            text = self._ask(self.rewrite_template.format(previous=previous, question=question)).strip()
        except Exception as exc:  # network, timeout, server errors: the rule-based rewrite stands
            log.warning("LLM follow-up rewrite failed (%s); keeping the rule-based rewrite", exc)
            return None
        return text.splitlines()[0].strip() if text else None

    def answer(self, intent: QueryIntent, ranked: Sequence[RankedChunk], fallback: ExtractiveAnswer) -> ExtractiveAnswer:
        shown = list(ranked[: self.passages])
        if not shown:
            return fallback
        prompt = self.template.format(passages=format_passages(shown), question=intent.interpreted)
        try:
            text = self._ask(prompt).strip()
        except Exception as exc:  # any client/server failure must not cost the user an answer
            log.warning("LLM answer failed (%s: %s); using the extractive answer", type(exc).__name__, exc)
            return fallback
        if not text:
            log.warning("LLM returned an empty answer; using the extractive answer")
            return fallback
        texts = [str(getattr(item.chunk, "text", "")) for item in shown]
        allowed = [intent.question, intent.interpreted]
        for n in cited_numbers(text):
            if 1 <= n <= len(shown):
                allowed += _metadata_texts(shown[n - 1])
        check = check_figures(text, texts, allowed)
        if _REFUSAL_RE.search(text) and not check.cited:
            log.warning("LLM said the passages do not answer; keeping the extractive answer")
            return fallback
        if not check.ok:
            log.warning(
                "LLM answer discarded: unsupported figures %s, bad citations %s, cited %s; using the extractive answer",
                check.unsupported,
                check.bad_citations,
                check.cited,
            )
            return fallback
        return _renumbered(text, [shown[n - 1] for n in check.cited], check.cited)


def _renumbered(text: str, cited: list[RankedChunk], order: list[int]) -> ExtractiveAnswer:
    """Citations numbered 1..k in first-use order, so [n] in the text matches Answer.citations."""
    mapping = {old: new for new, old in enumerate(order, start=1)}

    def repl(match: re.Match[str]) -> str:
        parts = re.split(r"\s*[,;]\s*", match.group(1))
        return "[" + ", ".join(str(mapping.get(int(p), p)) for p in parts) + "]"

    renumbered = re.sub(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]", repl, text)
    return ExtractiveAnswer(found=True, answer=renumbered, cited=cited)
