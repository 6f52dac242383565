"""Plain-text rendering of an Answer for terminals."""

from __future__ import annotations

from assistant.models import Answer, Citation


def format_citation_header(citation: Citation) -> str:
    parts = [citation.title]
    if citation.number:
        parts.append(f"số {citation.number}")
    if citation.date:
        parts.append(citation.date)
    header = ", ".join(parts)
    return f"[{citation.n}] {header} — {citation.location}" if citation.location else f"[{citation.n}] {header}"


def format_answer_text(answer: Answer) -> str:
    lines = [answer.answer]
    if answer.question_interpreted:
        lines.append(f"\n(Câu hỏi được hiểu là: {answer.question_interpreted})")
    if answer.citations:
        lines.append("\nNguồn:" if answer.found else "\nĐoạn có thể liên quan:")
        for citation in answer.citations:
            lines.append(format_citation_header(citation))
            lines.append(f"    «{citation.quote}»")
    return "\n".join(lines)
