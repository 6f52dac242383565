"""The Gradio chat, all in Vietnamese: questions with numbered, openable citations; the indexed documents
(search, sort, pages); upload and ingest; 👍/👎 feedback with an optional comment.

Gradio has no Vietnamese for its own strings ("Drop File Here", "Like", toast titles …) and its i18n picks
only the locales it ships, so ``UI_HEAD`` carries a small script that translates those strings in the page
(``GRADIO_STRINGS_VI``); the rest are our own labels.
"""

from __future__ import annotations

import html
import json
import logging
import re
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.access import Access, Role
from assistant.contract import (
    MAX_TURN_CHARS,
    AssistantLike,
    DocumentInfo,
    InputRejected,
    check_input,
    list_documents,
)
from assistant.feedback import MAX_COMMENT_CHARS, FeedbackStore, Rating
from assistant.jobs import UPLOAD_TYPES, FileResult, JobView, UploadJobs
from assistant.models import Answer, Citation, Turn
from assistant.ui_indicators import build_indicators_tab
from ingest.text import fold

log = logging.getLogger(__name__)

TITLE = "Trợ lý tra cứu văn bản tỉnh Bến Tre"
EXAMPLE_QUESTIONS = [
    "Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?",
    "Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu?",
    "Cơ cấu kinh tế năm 2025: khu vực I, II, III và thuế sản phẩm chiếm bao nhiêu?",
    "GRDP bình quân đầu người đến cuối năm 2025 đạt bao nhiêu?",
    "Tổng vốn đầu tư toàn xã hội năm 2025 là bao nhiêu?",
]
HISTORY_TURNS = 8  # the last four exchanges are enough for a follow-up to be understood
DOCUMENT_HEADERS = ["Tài liệu", "Số hiệu", "Ngày", "Kỳ", "Số đoạn", "Tệp"]
DOCUMENTS_PER_PAGE = 20
NO_NUMBER = "không ghi số"
SORT_CHOICES = {
    "newest": "Ngày ban hành: mới nhất trước",
    "oldest": "Ngày ban hành: cũ nhất trước",
    "title": "Tên văn bản (A → Z)",
    "number": "Số hiệu",
    "source": "Tên tệp",
}
STATUS_LABELS = {
    "added": "đã thêm",
    "updated": "đã cập nhật",
    "unchanged": "không đổi (đã có trong kho)",
    "failed": "LỖI",
    "skipped": "bỏ qua",
    "refused": "TỪ CHỐI",
    "cancelled": "chưa nạp (máy chủ đã dừng)",
}
# Outcomes that leave a file out of the index.
NOT_INDEXED = {"failed", "skipped", "refused", "cancelled"}
JOB_POLL_SECONDS = 1.0
ADMIN_ONLY = "Chỉ quản trị viên (đăng nhập «admin») được nạp hoặc xoá văn bản."
# Gradio's own English strings (its built-in locale) and what an official reads instead. Exact matches on a
# text node or on an aria-label/title/placeholder; PATTERNS are for strings with a value inside.
GRADIO_STRINGS_VI = {
    "Drop File Here": "Thả tệp vào đây",
    "- or -": "- hoặc -",
    "or": "hoặc",
    "Click to Upload": "Bấm để chọn tệp",
    "Clear": "Xoá",
    "Remove": "Gỡ bỏ",
    "Download": "Tải xuống",
    "Copy message": "Sao chép tin nhắn",
    "Copied message": "Đã sao chép",
    "Copy conversation": "Sao chép cả hội thoại",
    "Copied conversation": "Đã sao chép cả hội thoại",
    "Like": "Câu trả lời hữu ích",
    "Dislike": "Câu trả lời chưa đúng",
    "Info": "Thông báo",
    "Warning": "Lưu ý",
    "Error": "Lỗi",
    "Success": "Hoàn tất",
    "Close": "Đóng",
    "Use via API": "Dùng qua API",
    "Use via API or MCP": "Dùng qua API",
    "More tabs": "Thêm thẻ",
    "Uploading...": "Đang tải lên…",
    "Loading": "Đang tải",
    "Loading...": "Đang tải…",
    "processing": "đang xử lý",
    "Empty": "Trống",
    "Chatbot": "Hội thoại",
    "chatbot conversation": "Cuộc hội thoại",
    "Share": "Chia sẻ",
    "Retry": "Thử lại",
    "Undo": "Hoàn tác",
    "Edit": "Sửa",
    "Submit": "Gửi",
    "Cancel": "Huỷ",
    "Scroll down": "Cuộn xuống",
    "Scroll to bottom": "Cuộn xuống cuối",
    "Waiting for file(s) to finish uploading, please retry.": "Tệp chưa tải lên xong, vui lòng thử lại.",
    "Lost connection due to leaving page. Rejoining queue...": "Mất kết nối khi rời trang. Đang kết nối lại…",
    "Connection errored out.": "Mất kết nối với máy chủ. Vui lòng tải lại trang.",
}
GRADIO_PATTERNS_VI = [
    (r"^Invalid file types?: (.*)\. Only (.*) allowed\.$", "Loại tệp không hợp lệ: $1. Chỉ nhận tệp $2."),
    (r"^In queue: (\d+) of (\d+)$", "Đang chờ: $1 / $2"),
    (r"^processing \| ([\d.]+s)$", "đang xử lý | $1"),
]

CSS = """
.answer-block .citations { margin-top: .6em; border-top: 1px solid var(--border-color-primary); padding-top: .4em; }
.citations .cite-label { font-weight: 600; margin: .2em 0; }
.citation { margin: .25em 0; }
.citation summary { cursor: pointer; overflow-wrap: anywhere; }
.citation blockquote { margin: .3em 0 .3em .8em; padding-left: .6em; border-left: 3px solid var(--color-accent);
  white-space: pre-wrap; overflow-wrap: anywhere; }
.interpreted { font-size: .85em; opacity: .75; margin-top: .4em; }
.plain-text { display: none !important; }
.copy-answer { margin-top: .5em; font-size: .85em; padding: .15em .6em; border: 1px solid var(--border-color-primary);
  border-radius: var(--radius-sm); background: var(--background-fill-secondary); cursor: pointer; }
.user-text { white-space: pre-wrap; overflow-wrap: anywhere; }
#chat { overflow-wrap: anywhere; }
/* The documents table: our own HTML (Gradio's table has English menus and squeezes columns on phones). */
#documents table { width: 100%; border-collapse: collapse; font-family: var(--font); }
#documents th, #documents td { text-align: left; vertical-align: top; padding: .35em .5em;
  border-bottom: 1px solid var(--border-color-primary); }
#documents td.source { overflow-wrap: anywhere; font-size: .85em; }
#documents td.number { white-space: nowrap; }
#documents .muted { opacity: .6; font-style: italic; }
#documents .kind { display: block; font-size: .8em; opacity: .7; }
#documents .empty { padding: 1em 0; }
@media (max-width: 640px) {
  /* On a phone each document is a card: every field visible, nothing wider than the screen. */
  #documents thead { display: none; }
  #documents table, #documents tbody, #documents tr, #documents td { display: block; width: 100%; }
  #documents tr { border-bottom: 2px solid var(--border-color-primary); padding: .4em 0; }
  #documents td { border: none; padding: .1em 0; }
  #documents td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
  #documents td.title::before { content: none; }
  #documents td.title { font-weight: 600; }
  #chat { height: 70vh !important; }
}
"""

UI_HEAD = """
<meta name="color-scheme" content="light dark">
<script>
(() => {
  const EXACT = __EXACT__;
  const PATTERNS = __PATTERNS__.map(([re, to]) => [new RegExp(re), to]);
  const ATTRS = ["aria-label", "title", "placeholder"];
  function tr(value) {
    const t = (value || "").trim();
    if (!t) return null;
    if (Object.prototype.hasOwnProperty.call(EXACT, t)) return value.replace(t, EXACT[t]);
    for (const [re, to] of PATTERNS) if (re.test(t)) return value.replace(t, t.replace(re, to));
    return null;
  }
  // Gradio labels each message for screen readers with its raw content ("user's message: <div …>"): read the
  // words instead, and for an answer its plain-text copy (answer and sources).
  const MESSAGE_LABEL = /^(user|bot)'s message: /;
  function messageLabel(value) {
    const m = MESSAGE_LABEL.exec(value);
    if (!m) return null;
    const t = document.createElement("template");
    t.innerHTML = value.slice(m[0].length);
    const plain = t.content.querySelector(".plain-text");
    const words = (plain ? plain.textContent : t.content.textContent).trim();
    return (m[1] === "user" ? "Câu hỏi: " : "Câu trả lời: ") + words;
  }
  function fix(node) {
    if (node.nodeType === 3) {
      const v = tr(node.nodeValue);
      if (v !== null && v !== node.nodeValue) node.nodeValue = v;
      return;
    }
    if (node.nodeType !== 1) return;
    for (const a of ATTRS) {
      if (!node.hasAttribute(a)) continue;
      const v = (a === "aria-label" && messageLabel(node.getAttribute(a))) || tr(node.getAttribute(a));
      if (v !== null && v !== node.getAttribute(a)) node.setAttribute(a, v);
    }
  }
  function walk(root) {
    fix(root);
    if (root.nodeType !== 1) return;
    const w = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    while (w.nextNode()) fix(w.currentNode);
  }
  let answers = 0;
  function revealNewAnswer() {
    // Show the start of a new answer (its figure), not the end of its citations.
    const all = document.querySelectorAll("#chat .answer-block");
    if (all.length > answers) {
      const last = all[all.length - 1];
      const message = last.closest(".message-row") || last.closest(".message") || last;
      setTimeout(() => message.scrollIntoView({block: "start", behavior: "instant"}), 50);
    }
    answers = all.length;
  }
  const observer = new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === "characterData") fix(m.target);
      else if (m.type === "attributes") {
        if (m.target === document.documentElement && m.attributeName === "lang") {
          if (document.documentElement.lang !== "vi") document.documentElement.lang = "vi";
        } else fix(m.target);
      } else m.addedNodes.forEach(walk);
    }
    revealNewAnswer();
  });
  function start() {
    document.documentElement.lang = "vi";
    walk(document.body);
    observer.observe(document.documentElement, {subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: ATTRS.concat(["lang"])});
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try { await navigator.clipboard.writeText(text); return true; } catch (e) { /* fall back below */ }
    }
    const area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }
  function conversationText() {
    const parts = [];
    document.querySelectorAll("#chat .user-text, #chat .answer-block").forEach((el) => {
      if (el.classList.contains("user-text")) parts.push("Hỏi: " + el.textContent.trim());
      else parts.push("Trả lời: " + (el.querySelector(".plain-text")?.textContent || "").trim());
    });
    return parts.join("\\n\\n");
  }
  document.addEventListener("click", async (event) => {
    const one = event.target.closest && event.target.closest(".copy-answer");
    const all = event.target.closest && event.target.closest("#copy-all");
    if (!one && !all) return;
    event.preventDefault();
    const text = one ? (one.closest(".answer-block")?.querySelector(".plain-text")?.textContent || "")
                     : conversationText();
    const ok = text && await copyText(text);
    const label = one || all;
    const before = label.textContent;
    label.textContent = ok ? "✓ Đã sao chép" : "Không sao chép được";
    setTimeout(() => { label.textContent = before; }, 1500);
  });
})();
</script>
""".replace("__EXACT__", json.dumps(GRADIO_STRINGS_VI, ensure_ascii=False)).replace(
    "__PATTERNS__", json.dumps(GRADIO_PATTERNS_VI, ensure_ascii=False)
)


# ---------------------------------------------------------------- rendering (pure)


def render_question(question: str) -> str:
    """The user's own words as plain text: no HTML of theirs runs and no Markdown image of theirs is fetched
    (the whole message is one escaped HTML block, which Markdown leaves alone)."""
    escaped = html.escape(question).replace("\n", "<br>")
    return f"<div class='user-text'>{escaped}</div>"


def render_answer(answer: Answer, question: str) -> str:
    """The answer text, then one openable block per citation (the quote is hidden until the title is clicked),
    a copy button, and the answer as plain text for it. One HTML block without blank lines, so Markdown
    leaves it whole."""
    parts = [f"<div class='answer'>{_paragraphs(answer.answer)}</div>"]
    if answer.citations:
        label = "Nguồn" if answer.found else "Đoạn có thể liên quan"
        blocks = "".join(render_citation(c) for c in answer.citations)
        parts.append(f"<div class='citations'><div class='cite-label'>{label}:</div>{blocks}</div>")
    if answer.question_interpreted and _differs(answer.question_interpreted, question):
        parts.append(f"<div class='interpreted'>Câu hỏi được hiểu là: {html.escape(answer.question_interpreted)}</div>")
    parts.append("<button type='button' class='copy-answer'>Sao chép câu trả lời</button>")
    plain = html.escape(plain_answer(answer)).replace("\n", "&#10;")
    parts.append(f"<div class='plain-text' hidden>{plain}</div>")
    return "<div class='answer-block'>" + "".join(parts) + "</div>"


def plain_answer(answer: Answer) -> str:
    """What "Sao chép" copies: the answer and its sources as plain text."""
    lines = [answer.answer.strip()]
    if answer.citations:
        lines += ["", "Nguồn:" if answer.found else "Đoạn có thể liên quan:"]
        for c in answer.citations:
            head = [f"[{c.n}] {c.title}"]
            if c.number:
                head.append(f"số {c.number}")
            if c.date:
                head.append(f"ngày {c.date}")
            if c.location:
                head.append(c.location)
            lines.append(", ".join(head))
            lines.append(f"    «{c.quote}»")
    return "\n".join(lines)


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
    return [[d.title, d.number or NO_NUMBER, d.date or "", d.period or "", d.chunks, d.source] for d in documents]


def select_documents(documents: Sequence[DocumentInfo], query: str = "", sort: str = "newest") -> list[DocumentInfo]:
    """The documents whose title, number, file name, kind, date or period contain every word of the query
    (without regard to diacritics or case: "nghi quyet 2025" finds "Nghị quyết … năm 2025"), sorted."""
    words = fold(query or "").split()

    def haystack(d: DocumentInfo) -> str:
        return fold(" ".join(filter(None, [d.title, d.number, d.source, d.kind, d.date, d.period, d.issuer])))

    chosen = [d for d in documents if all(w in haystack(d) for w in words)]
    key, reverse = _SORT_KEYS.get(sort, _SORT_KEYS["newest"])
    return sorted(chosen, key=key, reverse=reverse)


def _date_key(d: DocumentInfo) -> str:
    """dd/mm/yyyy, mm/yyyy or yyyy as a sortable yyyy-mm-dd ('' when unknown)."""
    parts = (d.date or "").split("/")
    return "-".join(reversed(parts)) if all(p.isdigit() for p in parts) else ""


_SORT_KEYS: dict[str, tuple[Callable[[DocumentInfo], Any], bool]] = {
    "newest": (lambda d: (_date_key(d), fold(d.title)), True),
    "oldest": (lambda d: (_date_key(d) or "9999", fold(d.title)), False),
    "title": (lambda d: fold(d.title), False),
    "number": (lambda d: (d.number is None, fold(d.number or ""), fold(d.title)), False),
    "source": (lambda d: d.source.lower(), False),
}


def render_documents(documents: Sequence[DocumentInfo], total: int) -> str:
    """One page of documents as a table (cards on a phone)."""
    if not documents:
        return "<div class='empty'>Không có văn bản nào khớp với điều kiện tìm.</div>" if total else (
            "<div class='empty'>Chưa có văn bản nào trong kho. Hãy nạp tệp ở mục bên dưới.</div>"
        )
    head = "".join(f"<th scope='col'>{h}</th>" for h in DOCUMENT_HEADERS)
    rows = []
    for d in documents:
        kind = f"<span class='kind'>{html.escape(d.kind)}</span>" if d.kind else ""
        number = html.escape(d.number) if d.number else f"<span class='muted'>{NO_NUMBER}</span>"
        cells = [
            ("title", "Tài liệu", f"{html.escape(d.title)}{kind}"),
            ("number", "Số hiệu", number),
            ("date", "Ngày", html.escape(d.date or "—")),
            ("period", "Kỳ", html.escape(d.period or "—")),
            ("chunks", "Số đoạn", str(d.chunks)),
            ("source", "Tệp", html.escape(d.source)),
        ]
        rows.append("<tr>" + "".join(f"<td class='{c}' data-label='{label}'>{v}</td>" for c, label, v in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def page_label(page: int, pages: int, total: int, indexed: int) -> str:
    found = f"{total} / {indexed} văn bản khớp" if total != indexed else f"{indexed} văn bản"
    return f"Trang {page} / {pages} · {found}"


def render_ingest_summary(summary: dict[str, Any]) -> str:
    lines = [_outcome_line(outcome) for outcome in summary.get("files", [])]
    failed = sum(1 for o in summary.get("files", []) if o.get("status") in NOT_INDEXED)
    head = "✅ Đã nạp xong." if failed == 0 else "⚠️ Có tệp chưa nạp được; kho tài liệu cũ vẫn giữ nguyên."
    return "\n".join([head, *lines])


def _outcome_line(outcome: dict[str, Any]) -> str:
    status = str(outcome.get("status", ""))
    label = "TRÙNG NỘI DUNG" if status == "skipped" and outcome.get("duplicate_of") else STATUS_LABELS.get(status, status)
    line = f"- **{_md_escape(str(outcome.get('source', '')))}**: {label}"
    if outcome.get("chunks"):
        line += f" ({outcome['chunks']} đoạn)"
    if outcome.get("reason"):
        line += f" — {_md_escape(vietnamese_reason(str(outcome['reason']), str(outcome.get('source', ''))))}"
    return line


# What ingest reports in English (ingest/errors.py), said in Vietnamese: what the file is, and what to do.
_LOOKS_LIKE_VI = [
    ("Windows program", "một chương trình Windows (.exe), không phải văn bản",
     "Đây là chương trình, không phải văn bản: đừng nạp tệp này. Hãy chọn đúng tệp văn bản (PDF, DOCX hoặc TXT)."),
    ("Linux program", "một chương trình máy tính, không phải văn bản",
     "Đây là chương trình, không phải văn bản: hãy chọn đúng tệp văn bản (PDF, DOCX hoặc TXT)."),
    ("binary data", "dữ liệu nhị phân không rõ loại, không phải văn bản",
     "Tệp không đọc được như một văn bản: hãy kiểm tra đã chọn đúng tệp chưa, hoặc tải/xuất lại văn bản."),
    ("a PDF", "một tệp PDF", "Hãy đổi đuôi tệp thành .pdf rồi nạp lại."),
    ("Word document", "một tài liệu Word (.docx)", "Hãy đổi đuôi tệp thành .docx rồi nạp lại."),
    ("Excel", "một bảng tính Excel", "Hãy xuất nội dung sang PDF hoặc DOCX rồi nạp tệp đó."),
    ("PowerPoint", "một bài trình chiếu PowerPoint", "Hãy xuất nội dung sang PDF rồi nạp tệp đó."),
    ("OpenDocument", "một tệp OpenDocument", "Hãy mở bằng LibreOffice, lưu thành .docx rồi nạp lại."),
    ("ZIP", "một tệp nén ZIP", "Hãy giải nén và nạp từng văn bản (PDF, DOCX hoặc TXT)."),
    ("old-format Office", "một tệp Office định dạng cũ (.doc/.xls)",
     "Hãy mở bằng Word hoặc LibreOffice, lưu thành .docx (hoặc xuất PDF) rồi nạp lại."),
    ("password-protected Office", "một tài liệu Office có đặt mật khẩu", "Hãy gỡ mật khẩu rồi nạp bản đã lưu."),
    ("RTF", "một tài liệu RTF", "Hãy mở bằng Word hoặc LibreOffice, lưu thành .docx rồi nạp lại."),
    ("image", "một hình ảnh", "Hãy chạy nhận dạng chữ (OCR) cho ảnh, lưu thành PDF có chữ rồi nạp lại."),
    ("web page", "một trang web (HTML), có lẽ tải về bị lỗi", "Hãy tải lại văn bản gốc."),
    ("plain text", "văn bản thuần (text)", "Nếu đúng là nội dung văn bản, hãy đổi đuôi tệp thành .txt rồi nạp lại."),
]


def vietnamese_reason(reason: str, source: str = "") -> str:
    """An ingest failure reason (English, "<path>: <problem>. <remedy>") as one Vietnamese sentence or two."""
    problem = reason[len(source) + 2 :] if source and reason.startswith(source + ": ") else reason
    folded = problem.lower()
    mismatch = re.search(r"is named (\.\w+|\(no extension\)) but its content is (.+?)\.", problem)
    if mismatch:
        suffix = mismatch.group(1)
        for marker, what, remedy in _LOOKS_LIKE_VI:
            if marker.lower() in mismatch.group(2).lower():
                return f"Tệp có đuôi {suffix} nhưng thực chất là {what}. {remedy}"
        return f"Nội dung tệp không đúng với đuôi {suffix}. Hãy kiểm tra lại tệp."
    if "binary data" in folded:
        return "Tệp chứa dữ liệu nhị phân, không phải văn bản UTF-8. Hãy kiểm tra đã chọn đúng tệp chưa."
    if "needs ocr" in folded:
        return ("Tệp PDF là bản quét (ảnh), không có lớp chữ. Hãy chạy nhận dạng chữ (OCR, ví dụ "
                "`ocrmypdf -l vie`) rồi nạp bản kết quả.")
    if "password" in folded:
        return "Tệp có đặt mật khẩu. Hãy lưu một bản không có mật khẩu rồi nạp bản đó."
    if "damaged" in folded or "is broken" in folded:
        return "Tệp bị hỏng, không đọc được. Hãy tải hoặc xuất lại văn bản rồi nạp bản mới."
    encoding = re.search(r"is not UTF-8 text: it looks like ([^;.]+(?:\.[^;.\s][^;.]*)?)", problem)
    if encoding:
        return (f"Tệp văn bản không dùng bảng mã UTF-8 (có vẻ là {encoding.group(1)}). Hãy chuyển sang UTF-8 "
                "(ví dụ: Unikey → Công cụ chuyển mã, hoặc Notepad → Lưu thành → Mã hoá UTF-8) rồi nạp lại.")
    if "empty" in folded or "only whitespace" in folded or "no text" in folded or "no pages" in folded:
        return "Tệp không có nội dung chữ để nạp. Hãy kiểm tra đã lưu hoặc xuất đúng tệp chưa."
    if "not supported" in folded:
        return "Loại tệp này không được hỗ trợ. Chỉ nhận tệp PDF, DOCX hoặc TXT."
    if "a document with this file name is already indexed" in folded:
        return ("Trong kho đã có văn bản cùng tên tệp; không thay đổi gì. Hãy đổi tên tệp, hoặc xoá văn bản cũ "
                "trước (mục «Xoá văn bản» bên dưới) rồi nạp lại.")
    if "the server stopped before" in folded:
        return "Máy chủ dừng trước khi nạp tệp này; chưa có gì được nạp. Hãy nạp lại tệp."
    duplicate = re.search(r"already indexed as (.+?);", problem)
    if duplicate:
        return f"Nội dung trùng với văn bản đã có trong kho ({duplicate.group(1)}); không thay đổi gì."
    size = re.search(r"the file is ([\d.]+) MB; uploads are limited to ([\d.]+) MB", problem)
    if size:
        return (f"Tệp nặng {size.group(1)} MB, vượt giới hạn {size.group(2)} MB. Hãy tách văn bản, hoặc nhờ quản trị "
                "viên nạp bằng lệnh `assistant ingest`.")
    if "symbolic link" in folded:
        return "Tệp là liên kết (symbolic link), không được nạp."
    if "cannot be read" in folded or "cannot read" in folded:
        return "Không đọc được tệp. Hãy kiểm tra tệp còn tồn tại và có quyền đọc."
    return f"Không nạp được tệp này (chi tiết kỹ thuật: {problem})"


def _md_escape(text: str) -> str:
    """Plain text inside Markdown: no link, image or HTML of a file name or message is rendered."""
    return re.sub(r"([\\`*_{}\[\]()#+!<>|~])", r"\\\1", text)


def _paragraphs(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.strip().splitlines())


def _differs(interpreted: str, question: str) -> bool:
    return " ".join(interpreted.lower().split()) != " ".join(question.lower().split())


# ---------------------------------------------------------------- behaviour


class ChatUI:
    """The event handlers, kept apart from the layout so they can be read (and called) on their own."""

    def __init__(
        self,
        assistant: AssistantLike,
        feedback: FeedbackStore,
        uploads_dir: Path,
        *,
        access: Access | None = None,
        jobs: UploadJobs | None = None,
    ) -> None:
        self.assistant = assistant
        self.feedback = feedback
        self.uploads_dir = uploads_dir
        self.access = access or Access()
        self.jobs = jobs or UploadJobs(assistant, uploads_dir)

    def respond(
        self, message: str, chat: list[dict[str, Any]] | None, records: dict[str, Any] | None
    ) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
        """Ask; returns (cleared textbox, chat with the new exchange, records keyed by message index)."""
        chat = list(chat or [])
        records = dict(records or {})
        try:
            question, history = check_input(message or "", _history_from(records))
        except InputRejected as rejected:
            gr.Warning(rejected.vi)
            return message, chat, records
        try:
            answer = self.assistant.answer(question, history or None)
        except Exception:
            log.exception("answer() failed in the UI for %.200r", question)
            reply = "Xin lỗi, hệ thống gặp sự cố khi trả lời câu hỏi này. Vui lòng thử lại hoặc diễn đạt khác."
            chat += [{"role": "user", "content": render_question(question)}, {"role": "assistant", "content": reply}]
            return "", chat, records
        chat += [
            {"role": "user", "content": render_question(question)},
            {"role": "assistant", "content": render_answer(answer, question)},
        ]
        records[str(len(chat) - 1)] = {
            "id": uuid.uuid4().hex,
            "question": question,
            "history": [t.content for t in history if t.role == "user"],
            "answer": answer.model_dump(mode="json"),
        }
        return "", chat, records

    def rate(self, records: dict[str, Any] | None, data: gr.LikeData) -> tuple[Any, Any, str | None]:
        """Stores the vote (a second vote on the same answer replaces the first). Returns the comment box's
        visibility, its cleared text and the answer the comment would be about."""
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        record = (records or {}).get(str(index))
        hidden = (gr.update(visible=False), gr.update(value=""), None)
        if record is None:
            return hidden  # a user message or an error reply: nothing to store
        vote_id = str(record.get("id") or index)
        if not isinstance(data.liked, bool):
            self.feedback.withdraw(vote_id)  # the vote was taken back
            return hidden
        rating: Rating = "up" if data.liked else "down"
        self.feedback.record(
            record["question"],
            Answer.model_validate(record["answer"]),
            rating,
            history=record["history"],
            vote_id=vote_id,
        )
        if rating == "up":
            gr.Info("Cảm ơn góp ý của anh/chị!")
            return hidden
        gr.Info("Cảm ơn góp ý của anh/chị! Có thể ghi thêm chỗ chưa đúng ở ô góp ý bên dưới.")
        return gr.update(visible=True), gr.update(value=""), vote_id

    def comment(self, vote_id: str | None, text: str) -> tuple[Any, Any]:
        """Attaches a short comment ("số liệu sai, đúng là …") to the 👎 vote; returns (box, textbox) updates."""
        text = (text or "").strip()
        if not vote_id:
            gr.Warning("Hãy bấm 👎 ở câu trả lời cần góp ý trước.")
            return gr.update(), gr.update()
        if not text:
            gr.Warning("Vui lòng ghi nội dung góp ý.")
            return gr.update(), gr.update()
        try:
            text, _ = check_input(text[:MAX_COMMENT_CHARS])
        except InputRejected as rejected:
            gr.Warning(rejected.vi.replace("Câu hỏi", "Góp ý").replace("câu hỏi", "góp ý"))
            return gr.update(), gr.update()
        if self.feedback.add_comment(vote_id, text) is None:
            gr.Warning("Không tìm thấy đánh giá để gắn góp ý; vui lòng bấm 👎 lại.")
            return gr.update(), gr.update()
        gr.Info("Đã ghi nhận góp ý. Cảm ơn anh/chị!")
        return gr.update(visible=False), gr.update(value="")

    def documents_view(self, query: str = "", sort: str = "newest", page: float = 1) -> tuple[str, str, int]:
        """(table HTML, "Trang 2 / 50 · 999 văn bản", the page shown) for a search, a sort and a page."""
        documents = list_documents(self.assistant)
        chosen = select_documents(documents, query, sort)
        pages = max(1, -(-len(chosen) // DOCUMENTS_PER_PAGE))
        page_no = min(max(1, int(page or 1)), pages)
        start = (page_no - 1) * DOCUMENTS_PER_PAGE
        shown = chosen[start : start + DOCUMENTS_PER_PAGE]
        label = page_label(page_no, pages, len(chosen), len(documents))
        return render_documents(shown, len(chosen)), label, page_no

    def documents_table(self) -> list[list[Any]]:
        return document_rows(list_documents(self.assistant))

    def role(self, request: gr.Request | None) -> Role | None:
        """The session's role, from its login (checked on the server at every change, not only shown)."""
        return self.access.ui_role(getattr(request, "username", None))

    def admin_view(self, request: gr.Request) -> tuple[Any, Any, Any, Any, str | None, Any]:
        """On page load: the upload and delete tools for an administrator, a note for a reader; and an upload
        still running, so that a page opened again meanwhile goes on showing its progress."""
        admin = self.role(request) == "admin"
        running = self.jobs.latest() if admin else None
        if running is None or running.finished:
            progress: tuple[Any, str | None, Any] = (gr.update(), None, gr.update(active=False))
        else:
            progress = (render_job(running), running.id, gr.update(active=True))
        return gr.update(visible=admin), gr.update(visible=not admin), self.delete_choices(admin), *progress

    def refresh_choices(self, request: gr.Request) -> Any:
        return self.delete_choices(self.role(request) == "admin")

    def delete_choices(self, admin: bool = True) -> Any:
        if not admin:
            return gr.update(choices=[], value=None)
        documents = select_documents(list_documents(self.assistant), "", "source")
        return gr.update(choices=[(f"{d.source} — {d.title}", d.source) for d in documents], value=None)

    def start_upload(self, files: list[str] | None, request: gr.Request) -> tuple[str, str | None, Any]:
        """Queue the upload and return at once: (what the official reads, the job id, the polling timer)."""
        if self.role(request) != "admin":
            gr.Warning(ADMIN_ONLY)
            return ADMIN_ONLY, None, gr.update(active=False)
        paths = [Path(f) for f in (files or [])]
        if not paths:
            return "Chưa chọn tệp nào. Hãy chọn tệp PDF, DOCX hoặc TXT rồi bấm «Nạp vào kho».", None, gr.update(active=False)
        try:
            view = self.jobs.submit(paths, submitted_by=getattr(request, "username", None))
        except (OSError, RuntimeError) as error:
            log.exception("upload could not be queued")
            return f"⚠️ Chưa nhận được tệp ({_md_escape(str(error))}). Vui lòng thử lại.", None, gr.update(active=False)
        return render_job(view), view.id, gr.update(active=True)

    def poll(self, job_id: str | None) -> tuple[str, Any, bool]:
        """(the job's progress, the timer kept on while it runs, whether it has just finished)."""
        view = self.jobs.get(job_id) if job_id else None
        if view is None:
            return gr.update(), gr.update(active=False), False  # type: ignore[return-value]
        return render_job(view), gr.update(active=not view.finished), view.finished

    def ask_delete(self, source: str | None, request: gr.Request) -> tuple[Any, str, str | None]:
        """First step of a delete: show what will be deleted and ask to confirm. (box, question, pending)."""
        if self.role(request) != "admin":
            gr.Warning(ADMIN_ONLY)
            return gr.update(visible=False), "", None
        if not source:
            gr.Warning("Hãy chọn văn bản cần xoá trong danh sách.")
            return gr.update(visible=False), "", None
        info = next((d for d in list_documents(self.assistant) if d.source == source), None)
        if info is None:
            gr.Warning("Văn bản này không còn trong kho; hãy làm mới danh sách.")
            return gr.update(visible=False), "", None
        number = f", số {_md_escape(info.number)}" if info.number else ""
        question = (
            f"Xoá văn bản **{_md_escape(info.title)}**{number} (tệp `{_md_escape(source)}`, {info.chunks} đoạn) "
            "khỏi kho? Trợ lý sẽ không trả lời từ văn bản này nữa."
        )
        return gr.update(visible=True), question, source

    def confirm_delete(self, pending: str | None, request: gr.Request) -> tuple[str, Any, None, Any]:
        """Second step: delete the document that was shown. (result, box hidden, pending cleared, choices)."""
        hidden = gr.update(visible=False)
        if self.role(request) != "admin":
            gr.Warning(ADMIN_ONLY)
            return ADMIN_ONLY, hidden, None, gr.update()
        if not pending:
            return "", hidden, None, gr.update()
        result = self.jobs.delete(pending)
        if result.removed:
            message = f"🗑️ Đã xoá **{_md_escape(pending)}** khỏi kho."
            if result.file_kept_at:
                message += " Tệp đã tải lên được cất sang thư mục `deleted_uploads` (nạp lại tệp đó nếu xoá nhầm)."
        else:
            message = f"Không có văn bản **{_md_escape(pending)}** trong kho; không xoá gì."
        return message, hidden, None, self.delete_choices()

    def cancel_delete(self) -> tuple[Any, None]:
        return gr.update(visible=False), None


def render_job(view: JobView) -> str:
    """An upload job as an official reads it: how far it is, and each file's outcome as it lands."""
    if view.finished:
        summary = render_ingest_summary({"files": [_result_dict(r) for r in view.results]})
        return f"{summary}\n\n_Mã công việc: {view.id}_"
    if view.state == "queued":
        head = f"⏳ Đang chờ đến lượt (một lần nạp một đợt) · mã công việc {view.id} · {view.total} tệp."
    else:
        head = f"⏳ Đang nạp: {view.done} / {view.total} tệp xong · mã công việc {view.id}."
    lines = [head, *(_outcome_line(_result_dict(r)) for r in view.results)]
    if view.current:
        embedding = f" (đã xử lý {view.chunks_embedded} / {view.chunks_total} đoạn)" if view.chunks_total else ""
        lines.append(f"- **{_md_escape(view.current)}**: đang nạp…{embedding}")
    lines += [f"- **{_md_escape(name)}**: đang chờ" for name in view.waiting]
    lines.append("Có thể tiếp tục hỏi đáp trong lúc nạp.")
    return "\n".join(lines)


def _result_dict(result: FileResult) -> dict[str, Any]:
    return {
        "source": result.source, "status": result.status, "chunks": result.chunks, "reason": result.reason,
        "duplicate_of": result.duplicate_of,
    }


def _history_from(records: dict[str, Any]) -> list[Turn]:
    turns: list[Turn] = []
    for key in sorted(records, key=int):
        record = records[key]
        turns.append(Turn(role="user", content=record["question"]))
        turns.append(Turn(role="assistant", content=str(record["answer"]["answer"])[:MAX_TURN_CHARS]))
    return turns[-HISTORY_TURNS:]


# ---------------------------------------------------------------- layout


def build_ui(
    assistant: AssistantLike,
    feedback: FeedbackStore,
    uploads_dir: Path,
    *,
    access: Access | None = None,
    jobs: UploadJobs | None = None,
) -> gr.Blocks:
    handlers = ChatUI(assistant, feedback, uploads_dir, access=access, jobs=jobs)
    # Open (no key set): everyone is the administrator, so the tools show from the start; with keys they
    # show once the page knows the login is an administrator's.
    admin_at_start = not handlers.access.locked
    # analytics_enabled=False: the server may sit on a network with no way out, and nothing should call home.
    with gr.Blocks(title=TITLE, analytics_enabled=False) as blocks:
        gr.Markdown(f"## {TITLE}\nHỏi về chỉ tiêu, số liệu trong các văn bản đã nạp; mỗi câu trả lời kèm nguồn trích dẫn.")
        records = gr.State({})
        vote = gr.State(None)
        with gr.Tab("Hỏi đáp"):
            chatbot = gr.Chatbot(
                label="Hội thoại",
                show_label=False,
                height=520,
                placeholder="Đặt câu hỏi bên dưới, ví dụ: «Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?»",
                feedback_options=("Like", "Dislike"),
                buttons=[],  # our own copy buttons give plain text with sources, not the HTML
                autoscroll=False,  # the page script shows the start of each new answer instead
                sanitize_html=True,
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
            with gr.Row():
                clear = gr.Button("Cuộc hội thoại mới", size="sm", elem_id="new-chat")
                gr.Button("Sao chép cả hội thoại", size="sm", elem_id="copy-all")
            with gr.Group(visible=False, elem_id="comment-box") as comment_box:
                comment = gr.Textbox(
                    label="Góp ý cho câu trả lời chưa đúng (không bắt buộc)",
                    placeholder="Ví dụ: số liệu sai, đúng là …",
                    lines=2,
                    max_lines=4,
                    max_length=MAX_COMMENT_CHARS,
                    elem_id="comment",
                )
                send_comment = gr.Button("Gửi góp ý", size="sm", elem_id="send-comment")
            gr.Examples(examples=[[q] for q in EXAMPLE_QUESTIONS], inputs=[question], label="Câu hỏi mẫu")

        with gr.Tab("Tài liệu") as documents_tab:
            gr.Markdown(
                "### Văn bản đã nạp\nMỗi văn bản được nhận biết theo **tên tệp**; tệp trùng tên hoặc trùng nội dung "
                "với văn bản đã có sẽ không được nạp đè."
            )
            with gr.Row():
                search = gr.Textbox(
                    label="Tìm theo tên, số hiệu hoặc năm",
                    placeholder="Ví dụ: nghị quyết 2025",
                    scale=3,
                    elem_id="doc-search",
                )
                sort = gr.Dropdown(
                    choices=[(label, key) for key, label in SORT_CHOICES.items()],
                    value="newest",
                    label="Sắp xếp",
                    scale=2,
                    elem_id="doc-sort",
                )
            page = gr.State(1)
            table = gr.HTML(elem_id="documents")
            with gr.Row():
                previous = gr.Button("‹ Trang trước", size="sm", elem_id="doc-prev", min_width=100)
                page_info = gr.Markdown(elem_id="doc-page")
                following = gr.Button("Trang sau ›", size="sm", elem_id="doc-next", min_width=100)
            refresh = gr.Button("Làm mới danh sách", size="sm")
            reader_note = gr.Markdown(ADMIN_ONLY, visible=False, elem_id="reader-note")
            with gr.Column(visible=admin_at_start, elem_id="admin-tools") as admin_tools:
                gr.Markdown(
                    "### Nạp thêm văn bản\nChọn tệp PDF, DOCX hoặc TXT. Việc nạp chạy nền: có thể tiếp tục hỏi đáp. "
                    "Tệp lỗi sẽ được báo rõ và không làm hỏng kho đã có."
                )
                uploads = gr.File(
                    label="Tệp văn bản", file_count="multiple", file_types=list(UPLOAD_TYPES), elem_id="uploads"
                )
                ingest = gr.Button("Nạp vào kho", variant="primary", elem_id="ingest")
                ingest_result = gr.Markdown(elem_id="ingest-result")
                job_id = gr.State(None)
                timer = gr.Timer(JOB_POLL_SECONDS, active=False)
                gr.Markdown("### Xoá văn bản")
                with gr.Row():
                    delete_name = gr.Dropdown(
                        choices=[], value=None, label="Văn bản cần xoá (theo tên tệp)", filterable=True, scale=4,
                        elem_id="delete-name",
                    )
                    delete = gr.Button("Xoá…", variant="stop", scale=1, min_width=80, elem_id="delete")
                pending_delete = gr.State(None)
                with gr.Column(visible=False, elem_id="delete-confirm-box") as confirm_box:
                    confirm_question = gr.Markdown(elem_id="delete-question")
                    with gr.Row():
                        confirm = gr.Button("Xoá hẳn", variant="stop", elem_id="delete-confirm")
                        cancel = gr.Button("Huỷ", elem_id="delete-cancel")
                delete_result = gr.Markdown(elem_id="delete-result")

        build_indicators_tab(assistant)

        ask_inputs = [question, chatbot, records]
        ask_outputs = [question, chatbot, records]
        question.submit(handlers.respond, ask_inputs, ask_outputs, api_visibility="private")
        send.click(handlers.respond, ask_inputs, ask_outputs, api_visibility="private")
        reset_outputs = [chatbot, records, question, comment_box, vote]
        clear.click(_reset, None, reset_outputs, api_visibility="private", queue=False)
        # The chatbot's own trash can empties the screen; the follow-up history must go with it. It
        # leaves the question box alone: an official may already be typing the next question.
        chatbot.clear(_reset_conversation, None, [chatbot, records, comment_box, vote], api_visibility="private", queue=False)
        chatbot.like(handlers.rate, [records], [comment_box, comment, vote], api_visibility="private")
        send_comment.click(handlers.comment, [vote, comment], [comment_box, comment], api_visibility="private")
        comment.submit(handlers.comment, [vote, comment], [comment_box, comment], api_visibility="private")

        view_outputs = [table, page_info, page]

        def first_page(query: str, order: str) -> tuple[str, str, int]:
            return handlers.documents_view(query, order, 1)

        def turn_page(step: int) -> Callable[[str, str, int], tuple[str, str, int]]:
            return lambda query, order, current: handlers.documents_view(query, order, (current or 1) + step)

        quiet: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
        search.change(first_page, [search, sort], view_outputs, **quiet)
        sort.change(first_page, [search, sort], view_outputs, **quiet)
        previous.click(turn_page(-1), [search, sort, page], view_outputs, **quiet)
        following.click(turn_page(+1), [search, sort, page], view_outputs, **quiet)
        documents_tab.select(turn_page(0), [search, sort, page], view_outputs, **quiet)
        refresh.click(turn_page(0), [search, sort, page], view_outputs, **quiet)
        # The upload returns at once with a job id; the timer polls the job until it is finished, then the
        # table and the delete list are refreshed. The table stays on screen meanwhile.
        ingest.click(handlers.start_upload, [uploads], [ingest_result, job_id, timer], api_visibility="private")

        def poll(current_job: str | None, query: str, order: str, current: int) -> tuple[Any, ...]:
            progress, timer_update, finished = handlers.poll(current_job)
            if not finished:
                return progress, timer_update, gr.update(), gr.update(), gr.update(), gr.update()
            return (progress, timer_update, *handlers.documents_view(query, order, current or 1), handlers.delete_choices())

        timer.tick(
            poll, [job_id, search, sort, page], [ingest_result, timer, *view_outputs, delete_name], **quiet
        )
        delete.click(handlers.ask_delete, [delete_name], [confirm_box, confirm_question, pending_delete], **quiet)
        confirm.click(
            handlers.confirm_delete, [pending_delete], [delete_result, confirm_box, pending_delete, delete_name],
            **quiet,
        ).then(turn_page(0), [search, sort, page], view_outputs, **quiet)
        cancel.click(handlers.cancel_delete, None, [confirm_box, pending_delete], **quiet)
        refresh.click(handlers.refresh_choices, None, [delete_name], **quiet)
        blocks.load(first_page, [search, sort], view_outputs, **quiet)
        blocks.load(
            handlers.admin_view, None, [admin_tools, reader_note, delete_name, ingest_result, job_id, timer], **quiet
        )
    return blocks


def _reset() -> tuple[list[Any], dict[str, Any], str, Any, None]:
    return [], {}, "", gr.update(visible=False), None


def _reset_conversation() -> tuple[list[Any], dict[str, Any], Any, None]:
    chat, records, _, comment_box, vote = _reset()
    return chat, records, comment_box, vote
