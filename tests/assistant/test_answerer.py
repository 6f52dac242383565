"""What the answerer says: the unit quoted as written with its document, or a plain refusal that
shows the closest units themselves."""

from __future__ import annotations

from types import SimpleNamespace

from assistant.answer_model import AnswerModel
from assistant.answerer import ScoredUnit, Selection, candidate_units, compose
from assistant.features import asked_shape, featurize_all
from assistant.passages import units_of
from assistant.query import understand
from assistant.retriever import RankedChunk
from assistant.terms import TermWeights

META = {"title": "Nghị quyết về nhiệm vụ năm 2025", "number": "16/NQ-HĐND", "date": "2024-12-06", "kind": "nghị quyết", "period": "2025"}


def _selection(question: str, shares: list[float], texts: list[str], confidence: float = 0.9) -> Selection:
    items = [
        RankedChunk(
            SimpleNamespace(chunk_id=f"d.txt#{i}", source="d.txt", text=t, section="2. Các chỉ tiêu chủ yếu", metadata={}),
            1.0,
            i + 1,
            i + 1,
            {"source": "d.txt", **META},
            dense_score=0.8,
        )
        for i, t in enumerate(texts)
    ]
    intent = understand(question)
    shape = asked_shape(intent, [])
    units = [units_of(item, rank)[0] for rank, item in enumerate(items)]
    features = featurize_all(intent, shape, units, TermWeights.from_texts(texts))
    scored = [ScoredUnit(u, f, share, share) for u, f, share in zip(units, features, shares, strict=True)]
    return Selection(intent, shape, sorted(scored, key=lambda s: -s.score), confidence)


def _model(threshold: float = 0.5, extra_share: float = 0.3) -> AnswerModel:
    untrained = AnswerModel.untrained()
    return AnswerModel(untrained.rank_weights, untrained.decision_weights, threshold, extra_share, "test", {})


def test_an_answer_quotes_the_unit_as_written_and_names_its_document() -> None:
    selection = _selection("Kim ngạch xuất khẩu năm 2025?", [0.9, 0.1], ["c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;", "d) Khác 5%;"])
    result = compose(selection, _model())
    assert result.found
    assert '"Kim ngạch xuất khẩu đạt 1.850 triệu USD" [1]' in result.answer
    assert "16/NQ-HĐND" in result.answer and "06/12/2024" in result.answer and "năm 2025" in result.answer
    assert len(result.cited) == 1


def test_several_units_clearing_the_threshold_are_each_quoted_with_their_citation() -> None:
    selection = _selection("Xuất khẩu và nhập khẩu?", [0.55, 0.45], ["a) Xuất khẩu 1.850 triệu USD;", "b) Nhập khẩu 900 triệu USD;"])
    result = compose(selection, _model())
    assert "1.850 triệu USD\" [1]" in result.answer and "900 triệu USD\" [2]" in result.answer


def test_a_refusal_says_so_and_shows_the_closest_units_text() -> None:
    selection = _selection(
        "Tỷ lệ hộ dùng điện năm 2025?", [0.7, 0.3], ["a) Tỷ lệ hộ dân sử dụng nước sạch đạt 85%;", "b) Khác;"], confidence=0.2
    )
    result = compose(selection, _model())
    assert not result.found
    assert result.answer.startswith("Các văn bản đã nạp không có thông tin")
    assert "Tỷ lệ hộ dân sử dụng nước sạch đạt 85%" in result.answer


def test_a_who_signed_question_weighs_the_passage_naming_the_signer_wherever_it_stands() -> None:
    """A decision signs before the plan it issues: its signer stands mid-document, not in its last passages."""
    from assistant.answerer import candidate_units

    texts = ["Điều 1. Ban hành kèm theo Quyết định này Kế hoạch."]
    texts += ["KT. CHỦ TỊCH PHÓ CHỦ TỊCH Đinh Công Sứ"]
    texts += [f"{n}. Nhiệm vụ số {n} của kế hoạch được giao cho các sở, ngành thực hiện." for n in range(1, 30)]
    chunks = [SimpleNamespace(chunk_id=f"qd.txt#{i}", source="qd.txt", text=t, section="", metadata={}) for i, t in enumerate(texts)]
    meta = {"source": "qd.txt", "title": "Quyết định ban hành Kế hoạch", "signer": "Đinh Công Sứ"}
    ranked = [RankedChunk(chunks[0], 1.0, 1, 1, meta, dense_score=0.8)]
    intent = understand("Quyết định ban hành kế hoạch do ai ký?")
    shape = asked_shape(intent, [])

    units = candidate_units(intent, shape, ranked, lambda source: chunks if source == "qd.txt" else [])

    assert any("Đinh Công Sứ" in u.text for u in units), [u.text for u in units]


def test_a_share_never_answers_an_amount_nor_an_amount_a_share() -> None:
    texts = ["Tỷ lệ người dân tham gia bảo hiểm y tế đạt 95% dân số.", "Dân số toàn tỉnh có 1.250.000 người."]
    items = [
        RankedChunk(SimpleNamespace(chunk_id=f"d.txt#{i}", source="d.txt", text=t, section="", metadata={}), 1.0, i + 1, i + 1,
                    {"source": "d.txt", **META}, dense_score=0.8)
        for i, t in enumerate(texts)
    ]

    def candidates(question: str) -> list[str]:
        intent = understand(question)
        return [u.text for u in candidate_units(intent, asked_shape(intent, []), items, lambda source: [])]

    assert candidates("Dân số của tỉnh là bao nhiêu người?") == [texts[1]]
    assert candidates("Tỷ lệ tham gia bảo hiểm y tế là bao nhiêu?") == [texts[0]]
    # Asked both, or neither kind named, both stay.
    assert candidates("Dân số bao nhiêu người, tỷ lệ tham gia bảo hiểm y tế bao nhiêu %?") == texts
    assert candidates("Bảo hiểm y tế thế nào?") == texts
