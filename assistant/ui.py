"""The Gradio chat (Vietnamese labels): questions with numbered, openable citations; the indexed documents;
upload and ingest; 👍/👎 feedback."""

from __future__ import annotations

import html
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.api import MAX_QUESTION_CHARS, DocumentInfo, list_documents
from assistant.feedback import FeedbackStore, Rating
from assistant.models import Answer, Citation, Turn

if TYPE_CHECKING:
    from assistant.server import AssistantLike

log = logging.getLogger(__name__)

TITLE = "Trợ lý tra cứu văn bản tỉnh Bến Tre"
EXAMPLE_QUESTIONS = [
    "Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?",
    "Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu?",
    "Cơ cấu kinh tế năm 2025: khu vực I, II, III và thuế sản phẩm chiếm bao nhiêu?",
    "GRDP bình quân đầu người đến cuối năm 2025 đạt bao nhiêu?",
    "Tổng vốn đầu tư toàn xã hội năm 2025 là bao nhiêu?",
]
UPLOAD_TYPES = (".pdf", ".docx", ".txt")
HISTORY_TURNS = 8  # the last four exchanges are enough for a follow-up to be understood
DOCUMENT_HEADERS = ["Tài liệu", "Số hiệu", "Ngày", "Kỳ", "Số đoạn", "Tệp"]
STATUS_LABELS = {
    "added": "đã thêm",
    "updated": "đã cập nhật",
    "unchanged": "không đổi (đã có trong kho)",
    "failed": "LỖI",
    "skipped": "bỏ qua",
}

# Gradio injects a progress tracker into a handler whose parameter defaults to a gr.Progress.
_PROGRESS = gr.Progress()

CSS = """
.citations { margin-top: .6em; border-top: 1px solid var(--border-color-primary); padding-top: .4em; }
.citations .cite-label { font-weight: 600; margin: .2em 0; }
.citation { margin: .25em 0; }
.citation summary { cursor: pointer; overflow-wrap: anywhere; }
.citation blockquote { margin: .3em 0 .3em .8em; padding-left: .6em; border-left: 3px solid var(--color-accent);
  white-space: pre-wrap; overflow-wrap: anywhere; }
.interpreted { font-size: .85em; opacity: .75; margin-top: .4em; }
/* The table's default monospace font lacks precomposed Vietnamese glyphs and misplaces the marks. */
#documents, #documents * { font-family: var(--font) !important; }
"""


# ---------------------------------------------------------------- rendering (pure)


def render_answer(answer: Answer, question: str) -> str:
    """The answer text, then one openable block per citation: the quote is hidden until the title is clicked."""
    parts = [f"<div class='answer'>{_paragraphs(answer.answer)}</div>"]
    if answer.citations:
        label = "Nguồn" if answer.found else "Đoạn có thể liên quan"
        blocks = "".join(render_citation(c) for c in answer.citations)
        parts.append(f"<div class='citations'><div class='cite-label'>{label}:</div>{blocks}</div>")
    if answer.question_interpreted and _differs(answer.question_interpreted, question):
        parts.append(f"<div class='interpreted'>Câu hỏi được hiểu là: {html.escape(answer.question_interpreted)}</div>")
    return "\n".join(parts)


def render_citation(citation: Citation) -> str:
    header = [f"<b>[{citation.n}]</b> {html.escape(citation.title)}"]
    if citation.number:
        header.append(f"số {html.escape(citation.number)}")
    if citation.date:
        header.append(f"ngày {html.escape(citation.date)}")
    if citation.location:
        header.append(html.escape(citation.location))
    return (
        "<details class='citation'>"
        f"<summary>{' · '.join(header)}</summary>"
        f"<blockquote>{html.escape(citation.quote)}</blockquote>"
        "</details>"
    )


def document_rows(documents: Sequence[DocumentInfo]) -> list[list[Any]]:
    return [[d.title, d.number or "", d.date or "", d.period or "", d.chunks, d.source] for d in documents]


def render_ingest_summary(summary: dict[str, Any]) -> str:
    lines = []
    for outcome in summary.get("files", []):
        status = str(outcome.get("status", ""))
        line = f"- **{outcome.get('source', '')}**: {STATUS_LABELS.get(status, status)}"
        if outcome.get("chunks"):
            line += f" ({outcome['chunks']} đoạn)"
        if outcome.get("reason"):
            line += f" — {outcome['reason']}"
        lines.append(line)
    failed = sum(1 for o in summary.get("files", []) if o.get("status") in {"failed", "skipped"})
    head = "✅ Đã nạp xong." if failed == 0 else "⚠️ Có tệp chưa nạp được; kho tài liệu cũ vẫn giữ nguyên."
    return "\n".join([head, *lines])


def _paragraphs(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.strip().splitlines())


def _differs(interpreted: str, question: str) -> bool:
    return " ".join(interpreted.lower().split()) != " ".join(question.lower().split())


# ---------------------------------------------------------------- behaviour


class ChatUI:
    """The event handlers, kept apart from the layout so they can be read (and called) on their own."""

    def __init__(self, assistant: AssistantLike, feedback: FeedbackStore, uploads_dir: Path) -> None:
        self.assistant = assistant
        self.feedback = feedback
        self.uploads_dir = uploads_dir

    def respond(
        self, message: str, chat: list[dict[str, Any]] | None, records: dict[str, Any] | None
    ) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
        """Ask; returns (cleared textbox, chat with the new exchange, records keyed by message index)."""
        chat = list(chat or [])
        records = dict(records or {})
        question = (message or "").strip()
        if not question:
            gr.Warning("Vui lòng nhập câu hỏi.")
            return message, chat, records
        if len(question) > MAX_QUESTION_CHARS:
            gr.Warning(f"Câu hỏi dài {len(question)} ký tự; tối đa là 1.000 ký tự. Vui lòng hỏi ngắn gọn hơn.")
            return message, chat, records
        history = _history_from(records)
        try:
            answer = self.assistant.answer(question, history or None)
        except Exception:
            log.exception("answer() failed in the UI for %.200r", question)
            reply = "Xin lỗi, hệ thống gặp sự cố khi trả lời câu hỏi này. Vui lòng thử lại hoặc diễn đạt khác."
            chat += [{"role": "user", "content": question}, {"role": "assistant", "content": reply}]
            return "", chat, records
        chat += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": render_answer(answer, question)},
        ]
        records[str(len(chat) - 1)] = {
            "question": question,
            "history": [t.content for t in history if t.role == "user"],
            "answer": answer.model_dump(mode="json"),
        }
        return "", chat, records

    def rate(self, records: dict[str, Any] | None, data: gr.LikeData) -> None:
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        record = (records or {}).get(str(index))
        if record is None or not isinstance(data.liked, bool):
            return  # a user message, an error reply, or a rating withdrawn: nothing to store
        rating: Rating = "up" if data.liked else "down"
        self.feedback.record(
            record["question"], Answer.model_validate(record["answer"]), rating, history=record["history"]
        )
        gr.Info("Cảm ơn góp ý của anh/chị!")

    def documents_table(self) -> list[list[Any]]:
        return document_rows(list_documents(self.assistant).documents)

    def ingest(self, files: list[str] | None, progress: gr.Progress = _PROGRESS) -> tuple[str, list[list[Any]]]:
        paths = [Path(f) for f in (files or [])]
        if not paths:
            return "Chưa chọn tệp nào. Hãy chọn tệp PDF, DOCX hoặc TXT rồi bấm «Nạp vào kho».", self.documents_table()
        outcomes: list[dict[str, Any]] = []
        for position, upload in enumerate(paths):
            progress((position, len(paths)), desc=f"Đang nạp {upload.name}…")
            outcomes.extend(self._ingest_one(upload))
        progress((len(paths), len(paths)), desc="Xong")
        return render_ingest_summary({"files": outcomes}), self.documents_table()

    def _ingest_one(self, upload: Path) -> list[dict[str, Any]]:
        if upload.suffix.lower() not in UPLOAD_TYPES:
            return [{"source": upload.name, "status": "skipped",
                     "reason": "chỉ nhận tệp PDF, DOCX hoặc TXT"}]
        # Uploads are kept under data_dir/uploads (the index records where each document lives). A file that
        # replaces an earlier upload of the same name is rolled back if it fails, so nothing is lost.
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        target = self.uploads_dir / upload.name
        backup = target.with_name(target.name + ".previous")
        if target.exists():
            target.replace(backup)
        shutil.copyfile(upload, target)
        try:
            summary = _summary_dict(self.assistant.ingest([target]))
        except Exception as error:
            log.exception("ingest of upload %s failed", upload.name)
            summary = {"files": [{"source": upload.name, "status": "failed", "reason": str(error)}]}
        for outcome in summary.get("files", []):
            # The staging path means nothing to the person who uploaded the file; its name does.
            if outcome.get("reason"):
                outcome["reason"] = str(outcome["reason"]).replace(str(target), upload.name)
        failed = any(o.get("status") == "failed" for o in summary.get("files", []))
        if failed:
            target.unlink(missing_ok=True)
            if backup.exists():
                backup.replace(target)
        else:
            backup.unlink(missing_ok=True)
        return list(summary.get("files", []))


def _history_from(records: dict[str, Any]) -> list[Turn]:
    turns: list[Turn] = []
    for key in sorted(records, key=int):
        record = records[key]
        turns.append(Turn(role="user", content=record["question"]))
        turns.append(Turn(role="assistant", content=record["answer"]["answer"]))
    return turns[-HISTORY_TURNS:]


def _summary_dict(summary: Any) -> dict[str, Any]:
    if hasattr(summary, "to_dict"):
        return dict(summary.to_dict())
    return dict(summary) if isinstance(summary, dict) else {"files": []}


# ---------------------------------------------------------------- layout


def build_ui(assistant: AssistantLike, feedback: FeedbackStore, uploads_dir: Path) -> gr.Blocks:
    handlers = ChatUI(assistant, feedback, uploads_dir)
    with gr.Blocks(title=TITLE) as blocks:
        gr.Markdown(f"## {TITLE}\nHỏi về chỉ tiêu, số liệu trong các văn bản đã nạp; mỗi câu trả lời kèm nguồn trích dẫn.")
        records = gr.State({})
        with gr.Tab("Hỏi đáp"):
            chatbot = gr.Chatbot(
                label="Hội thoại",
                height=520,
                placeholder="Đặt câu hỏi bên dưới, ví dụ: «Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?»",
                feedback_options=("Like", "Dislike"),
                elem_id="chat",
            )
            with gr.Row():
                question = gr.Textbox(
                    label="Câu hỏi",
                    placeholder="Nhập câu hỏi rồi nhấn Enter…",
                    lines=1,
                    max_lines=4,
                    scale=5,
                    elem_id="question",
                )
                send = gr.Button("Gửi", variant="primary", scale=1, min_width=80, elem_id="send")
            clear = gr.Button("Cuộc hội thoại mới", size="sm")
            gr.Examples(examples=[[q] for q in EXAMPLE_QUESTIONS], inputs=[question], label="Câu hỏi mẫu")

        with gr.Tab("Tài liệu") as documents_tab:
            gr.Markdown("### Văn bản đã nạp")
            table = gr.Dataframe(headers=DOCUMENT_HEADERS, interactive=False, wrap=True, elem_id="documents")
            refresh = gr.Button("Làm mới danh sách", size="sm")
            gr.Markdown("### Nạp thêm văn bản\nChọn tệp PDF, DOCX hoặc TXT. Tệp lỗi sẽ được báo rõ và không làm hỏng kho đã có.")
            uploads = gr.File(
                label="Tệp văn bản", file_count="multiple", file_types=list(UPLOAD_TYPES), elem_id="uploads"
            )
            ingest = gr.Button("Nạp vào kho", variant="primary", elem_id="ingest")
            ingest_result = gr.Markdown(elem_id="ingest-result")

        ask_inputs = [question, chatbot, records]
        ask_outputs = [question, chatbot, records]
        question.submit(handlers.respond, ask_inputs, ask_outputs, api_visibility="private")
        send.click(handlers.respond, ask_inputs, ask_outputs, api_visibility="private")
        clear.click(lambda: ([], {}, ""), None, [chatbot, records, question], api_visibility="private")
        chatbot.like(handlers.rate, [records], None, api_visibility="private")
        documents_tab.select(handlers.documents_table, None, table, api_visibility="private")
        refresh.click(handlers.documents_table, None, table, api_visibility="private")
        ingest.click(handlers.ingest, [uploads], [ingest_result, table], concurrency_limit=1, api_visibility="private")
        blocks.load(handlers.documents_table, None, table, api_visibility="private")
    return blocks
