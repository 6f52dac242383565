"""👍/👎 on answers: stored with question, answer and citations; 👎 ones exported as candidate eval items."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pytest

from assistant.feedback import FeedbackStore, export_candidates
from assistant.models import Answer, Citation, Turn
from assistant.service import Assistant
from assistant.ui import ChatUI

EXPORT_2025 = "Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?"


def _answer(text: str = "Kim ngạch xuất khẩu năm 2025 phấn đấu đạt 1.850 triệu USD [1].") -> Answer:
    citation = Citation(
        n=1,
        source="004_0fe5ee8038d62b66.txt",
        title="Nghị quyết về nhiệm vụ năm 2025",
        date="06/12/2024",
        location="Điều 1 › 2. Các chỉ tiêu chủ yếu › c)",
        quote="c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;",
    )
    return Answer(answer=text, found=True, citations=[citation], question_interpreted=EXPORT_2025)


def _like(index: int, liked: bool) -> gr.LikeData:
    return gr.LikeData(None, {"index": index, "value": "", "liked": liked})


@pytest.mark.slow
def test_thumbs_down_in_the_chat_stores_question_answer_and_citations(
    corpus_assistant: Assistant, tmp_path: Path
) -> None:
    store = FeedbackStore.in_data_dir(tmp_path)
    chat = ChatUI(corpus_assistant, store, tmp_path / "uploads")
    _, messages, records = chat.respond("Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu?", [], {})
    _, messages, records = chat.respond("Còn năm 2025 thì sao?", messages, records)

    chat.rate(records, _like(index=3, liked=False))

    [entry] = store.entries()
    assert entry.rating == "down"
    assert entry.question == "Còn năm 2025 thì sao?"
    assert entry.history == ["Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu?"]
    assert "1.850 triệu USD" in entry.answer
    assert entry.citations and entry.citations[0].quote
    assert entry.timestamp
    line = json.loads((tmp_path / "feedback.jsonl").read_text(encoding="utf-8"))
    assert {"question", "answer", "citations", "rating", "timestamp"} <= line.keys()


@pytest.mark.slow
def test_rating_a_user_message_stores_nothing(corpus_assistant: Assistant, tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path)
    chat = ChatUI(corpus_assistant, store, tmp_path / "uploads")
    _, messages, records = chat.respond(EXPORT_2025, [], {})

    chat.rate(records, _like(index=0, liked=True))

    assert store.entries() == []


def test_export_candidates_turns_thumbs_down_into_eval_items(tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path)
    store.record(EXPORT_2025, _answer(), "up")
    store.record("Dân số của tỉnh là bao nhiêu?", _answer("Dân số là 1.850 triệu [1]."), "down", history=["Xin chào"])

    [candidate] = export_candidates(tmp_path)

    item = candidate.model_dump()
    assert item["question"] == "Dân số của tỉnh là bao nhiêu?"
    assert item["history"] == ["Xin chào"]
    assert item["source"] == "004_0fe5ee8038d62b66.txt"
    assert item["evidence"] == "c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;"
    assert item["needs_review"] is True
    assert item["flagged_answer"] == "Dân số là 1.850 triệu [1]."
    assert item["id"].startswith("fb-")


def test_the_latest_rating_of_an_answer_wins_and_repeats_give_one_candidate(tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path)
    store.record(EXPORT_2025, _answer(), "down")
    store.record(EXPORT_2025, _answer(), "up")
    store.record("Câu hỏi khác?", _answer("Sai."), "down")
    store.record("Câu hỏi khác?", _answer("Sai."), "down")

    candidates = store.export_candidates()

    assert [c.question for c in candidates] == ["Câu hỏi khác?"]


def test_a_torn_line_does_not_hide_the_other_ratings(tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path)
    store.record(EXPORT_2025, _answer(), "down")
    with store.path.open("a", encoding="utf-8") as handle:
        handle.write('{"question": "bị cắt giữa chừng", "ans')
    store.record("Câu hỏi sau sự cố?", _answer("Sai."), "down")

    assert [e.question for e in store.entries()] == [EXPORT_2025, "Câu hỏi sau sự cố?"]
    assert len(store.export_candidates()) == 2


def test_no_feedback_file_means_no_candidates(tmp_path: Path) -> None:
    assert export_candidates(tmp_path / "nothing-here") == []


def test_a_second_vote_on_the_same_answer_replaces_the_first(tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path)
    store.record(EXPORT_2025, _answer(), "up", vote_id="a1")
    store.record(EXPORT_2025, _answer(), "down", vote_id="a1")
    store.record(EXPORT_2025, _answer(), "up", vote_id="other-answer")

    entries = store.entries()

    assert [(e.vote_id, e.rating) for e in entries] == [("a1", "down"), ("other-answer", "up")]
    assert len((tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_a_comment_on_a_thumbs_down_is_stored_and_exported_for_review(tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path)
    store.record(EXPORT_2025, _answer(), "down", vote_id="a1")

    entry = store.add_comment("a1", "  số liệu sai, đúng là 1.900 triệu USD  ")
    store.record(EXPORT_2025, _answer(), "down", vote_id="a1")  # voted again: the comment stays

    assert entry is not None and entry.comment == "số liệu sai, đúng là 1.900 triệu USD"
    [candidate] = store.export_candidates()
    assert candidate.comment == "số liệu sai, đúng là 1.900 triệu USD"
    assert candidate.needs_review is True
    assert store.add_comment("no-such-vote", "x") is None


def test_a_withdrawn_vote_is_removed_and_torn_lines_survive_a_rewrite(tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path)
    store.record("Câu cũ?", _answer(), "down")
    with store.path.open("a", encoding="utf-8") as handle:
        handle.write('{"question": "bị cắt giữa chừng"\n')
    store.record(EXPORT_2025, _answer(), "down", vote_id="a1")

    store.withdraw("a1")

    assert [e.question for e in store.entries()] == ["Câu cũ?"]
    assert "bị cắt giữa chừng" in store.path.read_text(encoding="utf-8")


def test_changing_a_vote_in_the_chat_replaces_it_and_a_comment_follows_the_thumbs_down(tmp_path: Path) -> None:
    class Canned:
        def answer(self, question: str, history: list[Turn] | None = None) -> Answer:
            return _answer()

        def documents(self) -> list[object]:
            return []

        def ingest(self, paths: object) -> object:
            return {}

    store = FeedbackStore.in_data_dir(tmp_path)
    chat = ChatUI(Canned(), store, tmp_path / "uploads")
    _, _, records = chat.respond(EXPORT_2025, [], {})

    chat.rate(records, _like(index=1, liked=True))
    box, _, vote_id = chat.rate(records, _like(index=1, liked=False))
    chat.comment(vote_id, "số liệu sai, đúng là …")

    [entry] = store.entries()
    assert entry.rating == "down" and entry.comment == "số liệu sai, đúng là …"
    assert box["visible"] is True
    assert vote_id == records["1"]["id"]
