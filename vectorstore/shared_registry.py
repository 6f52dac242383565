"""The index's registry and payloads kept in the Chroma server beside its vectors, so every server reads them.

With a Chroma server (ASSISTANT_CHROMA_URL) what an embedded index keeps as files under its directory
(registry.json, payloads/*.json) are records of a companion collection `<collection>.registry`, each with a
dummy one-dimensional embedding:

  commit-<generation>        the commit point of one generation: names its registry's parts. Never deleted.
  registry-<commit>-<part>   the registry (documents, embedding model), as registry.json holds it
  payload-<name>-<part>      one document version's payload (chunk texts, metadata, lexical tokens)
  head                       the last generation committed: only a hint where to start looking

Commits are optimistic: a writer adds its registry's parts under a fresh commit id, then `add`s the record
commit-<its generation + 1> and reads it back. Chroma's server keeps the first record added under an id and
silently ignores a later `add` of that id (checked on 1.5.9 with four processes racing over 200
generations: exactly one winner each time, and the winner is what every get returns next). So of two
writers on two machines exactly one owns a generation; the other finds someone else's commit there, reads
the new registry and rebases its write on it (vectorstore/index.py). Commit records are never deleted, so
a writer working from an old generation can never take a number a newer commit already used.

The data of a part is zlib-compressed JSON (base64) in the record's metadata, not its document: Chroma
indexes every document for full-text search (trigrams), which costs as much again as the text for data
nobody searches, and writes run at 1-5 MB/s (every metadata string is indexed too), so compression (about
14x on a payload) is most of a commit's speed. Measured limits of `chroma run` 1.5.9: a request body above
about 40 MB is refused ("Payload too large") and a batch holds at most get_max_batch_size() records (5461);
parts are cut at 1 MiB and a write sends at most 8 MiB or that many records.

Payloads and registry parts are written under new names before the commit that lists them, and deleted
after the commit that stops listing them: readers trust only what the newest commit names. What a killed
writer left is collected by `collect_garbage` once it is older than ORPHAN_GRACE_S, since a writer on
another machine may still be about to commit it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vectorstore.chroma_store import REINDEX_HINT, http_client
from vectorstore.errors import ChromaUnavailableError, IndexCorruptError, VectorStoreError

log = logging.getLogger(__name__)

REGISTRY_SUFFIX = ".registry"
# Characters of compressed data per record, and per write request (the server refuses bodies over ~40 MB).
PART_CHARS = 1 << 20
REQUEST_CHARS = 8 << 20
# Registries kept after they are superseded, for readers on other servers still fetching them.
KEEP_REGISTRIES = 4
# Age after which an unreferenced payload, registry part or vector is an abandoned write, not one in progress.
ORPHAN_GRACE_S = 3600.0
# Payloads fetched per request when a server loads the index.
_READ_GROUP = 64
_DUMMY_EMBEDDING = [1.0]
_HEAD_ID = "head"
_FORMAT = 1


class IndexConflictError(VectorStoreError):
    """Another server changed the same documents while this write was in progress; this write was not committed."""


class CommitLostError(VectorStoreError):
    """Another writer committed this generation first: read the new registry and rebase the write on it."""


@dataclass(frozen=True)
class RegistrySnapshot:
    """A registry as read, with what identifies that very version (a file's identity, or a generation)."""

    registry: dict[str, Any]
    signature: tuple[int, ...]


@dataclass(frozen=True)
class _Commit:
    generation: int
    commit_id: str
    parts: int


@dataclass(frozen=True)
class _Record:
    id: str
    metadata: dict[str, str | int | float | bool]

    @property
    def size(self) -> int:
        return len(str(self.metadata.get("data", "")))


def registry_collection_name(collection: str) -> str:
    return f"{collection}{REGISTRY_SUFFIX}"


def _commit_record_id(generation: int) -> str:
    return f"commit-{generation:012d}"


def _registry_part_id(commit_id: str, part: int) -> str:
    return f"registry-{commit_id}-{part:05d}"


def _payload_part_id(name: str, part: int) -> str:
    return f"payload-{name}-{part:05d}"


def _pack(data: Any) -> list[str]:
    """JSON, compressed, in parts of at most PART_CHARS characters."""
    raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
    packed = base64.b64encode(zlib.compress(raw, 6)).decode("ascii")
    return [packed[i : i + PART_CHARS] for i in range(0, len(packed), PART_CHARS)]


def _unpack(parts: Sequence[str]) -> Any:
    return json.loads(zlib.decompress(base64.b64decode("".join(parts))).decode("utf-8"))


def _commit_of(record_id: str, metadata: Mapping[str, Any] | None) -> _Commit | None:
    if not metadata or metadata.get("kind") != "commit":
        return None
    return _Commit(int(metadata["generation"]), str(metadata["commit"]), int(metadata["parts"]))


def _generation_of(signature: tuple[int, ...] | None) -> int:
    return int(signature[0]) if signature else 0


class SharedRegistry:
    """The registry and payloads of one index, as records of a collection on a Chroma server."""

    shared = True

    def __init__(self, client: Any, collection: Any, location: str) -> None:
        self._client = client
        self._collection = collection
        self.location = location
        try:
            self._max_batch = max(1, int(client.get_max_batch_size()))
        except Exception:
            self._max_batch = 1000

    @classmethod
    def open(cls, url: str, collection: str) -> SharedRegistry:
        client = http_client(url)
        name = registry_collection_name(collection)
        try:
            handle = client.get_or_create_collection(
                name, embedding_function=None, metadata={"registry_of": collection, "format": _FORMAT}
            )
        except Exception as exc:
            raise ChromaUnavailableError(
                f"cannot open the Chroma collection {name!r} at {url} ({type(exc).__name__}: {exc})"
            ) from exc
        return cls(client, handle, f"{url} (collection {name})")

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()

    @contextlib.contextmanager
    def _calling(self, action: str) -> Iterator[None]:
        try:
            yield
        except VectorStoreError:
            raise
        except Exception as exc:
            raise ChromaUnavailableError(
                f"Chroma at {self.location} failed to {action} ({type(exc).__name__}: {exc}); "
                "check the Chroma server and run the command again"
            ) from exc

    # ---- reading -------------------------------------------------------------------------------

    def changed_since(self, signature: tuple[int, ...] | None) -> bool:
        """Whether a commit newer than `signature` exists: one get of one record by id."""
        with self._calling("check for new commits"):
            got = self._collection.get(ids=[_commit_record_id(_generation_of(signature) + 1)], include=[])
        return bool(got["ids"])

    def read(self) -> RegistrySnapshot | None:
        """The newest committed registry; None before the first commit."""
        commit = self._latest_commit()
        if commit is None:
            return None
        ids = [_registry_part_id(commit.commit_id, i) for i in range(commit.parts)]
        with self._calling("read the registry"):
            got = self._collection.get(ids=ids, include=["metadatas"])
        data = {i: str((m or {}).get("data", "")) for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)}
        if set(data) != set(ids):
            # Superseded and collected meanwhile (the caller reads the newer one), or records were lost.
            raise IndexCorruptError(
                f"the registry of generation {commit.generation} is incomplete in {self.location}; "
                f"the index is damaged: {REINDEX_HINT}"
            )
        try:
            registry = _unpack([data[i] for i in ids])
        except (ValueError, zlib.error) as exc:
            raise IndexCorruptError(
                f"cannot read the registry of generation {commit.generation} in {self.location} "
                f"({type(exc).__name__}: {exc}); the index is damaged: {REINDEX_HINT}"
            ) from exc
        return RegistrySnapshot(registry, (commit.generation,))

    def _latest_commit(self) -> _Commit | None:
        with self._calling("find the last commit"):
            head = self._collection.get(ids=[_HEAD_ID], include=["metadatas"])
            hint = int((head["metadatas"] or [{}])[0].get("last", 0)) if head["ids"] else 0
            got = self._collection.get(where={"generation": {"$gte": hint}}, include=["metadatas"])
            if not got["ids"] and hint:
                got = self._collection.get(where={"generation": {"$gte": 0}}, include=["metadatas"])
        commits = [c for i, m in zip(got["ids"], got["metadatas"] or [], strict=False) if (c := _commit_of(i, m))]
        return max(commits, key=lambda c: c.generation, default=None)

    def read_payloads(self, names: Mapping[str, str]) -> dict[str, Any]:
        """Payloads by name (`names` maps each to its document, for messages); IndexCorruptError if one is gone."""
        out: dict[str, Any] = {}
        wanted = list(names)
        for start in range(0, len(wanted), _READ_GROUP):
            group = wanted[start : start + _READ_GROUP]
            parts: dict[str, dict[int, str]] = {name: {} for name in group}
            counts: dict[str, int] = {}
            self._fetch_payload_parts([_payload_part_id(name, 0) for name in group], parts, counts)
            # A payload over PART_CHARS: its first part says how many follow.
            self._fetch_payload_parts(
                [_payload_part_id(name, i) for name in group if name in counts for i in range(1, counts[name])],
                parts,
                counts,
            )
            for name in group:
                if name not in counts or len(parts[name]) != counts[name]:
                    raise IndexCorruptError(
                        f"cannot read the chunks of {names[name]} (payload {name}) from {self.location}; "
                        f"the index is damaged: {REINDEX_HINT}"
                    )
                out[name] = _unpack([parts[name][i] for i in range(counts[name])])
        return out

    def _fetch_payload_parts(
        self, ids: list[str], parts: dict[str, dict[int, str]], counts: dict[str, int]
    ) -> None:
        if not ids:
            return
        with self._calling("read document payloads"):
            got = self._collection.get(ids=ids, include=["metadatas"])
        for meta in got["metadatas"] or []:
            name = str(meta["payload"])
            parts.setdefault(name, {})[int(meta["part"])] = str(meta["data"])
            counts[name] = int(meta["parts"])

    # ---- writing -------------------------------------------------------------------------------

    def write_payloads(self, payloads: Mapping[str, Any]) -> None:
        now = int(time.time())
        records: list[_Record] = []
        for name, payload in payloads.items():
            packed = _pack(payload)
            records.extend(
                _Record(
                    _payload_part_id(name, i),
                    {"kind": "payload", "payload": name, "part": i, "parts": len(packed), "data": data,
                     "written_at": now},
                )
                for i, data in enumerate(packed)
            )
        self._add(records, "store document payloads")

    def delete_payloads(self, names: Iterable[str]) -> None:
        wanted = list(names)
        for start in range(0, len(wanted), self._max_batch):
            with self._calling("delete document payloads"):
                self._collection.delete(where={"payload": {"$in": wanted[start : start + self._max_batch]}})

    def commit(self, registry: Mapping[str, Any], generation: int) -> tuple[int, ...]:
        """Make `registry` generation `generation`; CommitLostError if another writer committed it first."""
        commit_id = uuid.uuid4().hex[:12]
        packed = _pack(dict(registry))
        now = int(time.time())
        parts = [
            _Record(
                _registry_part_id(commit_id, i),
                {"kind": "registry", "commit": commit_id, "part": i, "data": data, "written_at": now},
            )
            for i, data in enumerate(packed)
        ]
        self._add(parts, "store the registry")
        record_id = _commit_record_id(generation)
        metadata = {"kind": "commit", "generation": generation, "commit": commit_id, "parts": len(parts),
                    "written_at": now}
        with self._calling("commit"):
            self._collection.add(ids=[record_id], embeddings=[_DUMMY_EMBEDDING], metadatas=[metadata])
            got = self._collection.get(ids=[record_id], include=["metadatas"])
        winner = _commit_of(record_id, (got["metadatas"] or [None])[0] if got["ids"] else None)
        if winner is None or winner.commit_id != commit_id:
            self._delete_quietly([p.id for p in parts])
            raise CommitLostError(f"generation {generation} was committed by another writer")
        self._after_commit(generation)
        return (generation,)

    def _after_commit(self, generation: int) -> None:
        """Point the hint at this commit and drop the registry KEEP_REGISTRIES generations back; a failure
        leaves only a stale hint (never ahead of a real commit) or parts for collect_garbage."""
        try:
            self._collection.upsert(
                ids=[_HEAD_ID], embeddings=[_DUMMY_EMBEDDING], metadatas=[{"kind": "head", "last": generation}]
            )
            old = generation - KEEP_REGISTRIES
            if old >= 1:
                got = self._collection.get(ids=[_commit_record_id(old)], include=["metadatas"])
                commit = next(
                    (c for i, m in zip(got["ids"], got["metadatas"] or [], strict=False) if (c := _commit_of(i, m))),
                    None,
                )
                if commit is not None:
                    self._collection.delete(ids=[_registry_part_id(commit.commit_id, i) for i in range(commit.parts)])
        except Exception as exc:
            log.warning("after the commit of generation %d: %s (collected later)", generation, exc)

    def _add(self, records: Sequence[_Record], action: str) -> None:
        batch: list[_Record] = []
        size = 0
        for record in [*records, None]:
            if batch and (record is None or len(batch) >= self._max_batch or size + record.size > REQUEST_CHARS):
                with self._calling(action):
                    self._collection.add(
                        ids=[r.id for r in batch],
                        embeddings=[_DUMMY_EMBEDDING] * len(batch),
                        metadatas=[r.metadata for r in batch],
                    )
                batch, size = [], 0
            if record is not None:
                batch.append(record)
                size += record.size

    def _delete_quietly(self, ids: Sequence[str]) -> None:
        try:
            for start in range(0, len(ids), self._max_batch):
                self._collection.delete(ids=list(ids[start : start + self._max_batch]))
        except Exception as exc:
            log.warning("could not delete %d registry records (%s); they will be collected later", len(ids), exc)

    # ---- garbage -------------------------------------------------------------------------------

    def collect_garbage(self, live_payloads: set[str], latest: tuple[int, ...] | None) -> None:
        """Delete payloads the registry of generation `latest` does not list and registry parts of
        generations long superseded, when older than ORPHAN_GRACE_S (younger ones may be a write in progress)."""
        cutoff = int(time.time() - ORPHAN_GRACE_S)
        old = {"written_at": {"$lte": cutoff}}
        with self._calling("collect abandoned records"):
            payload_ids = self._collection.get(where={"$and": [{"kind": "payload"}, old]}, include=[])["ids"]
            part_ids = self._collection.get(where={"$and": [{"kind": "registry"}, old]}, include=[])["ids"]
            recent = self._collection.get(
                where={"generation": {"$gt": _generation_of(latest) - KEEP_REGISTRIES}}, include=["metadatas"]
            )
        kept = {c.commit_id for i, m in zip(recent["ids"], recent["metadatas"] or [], strict=False) if (c := _commit_of(i, m))}
        # Ids end in "-<5-digit part>"; what precedes is the payload name or "registry-<commit id>".
        dead = [i for i in payload_ids if i[len("payload-") : -6] not in live_payloads]
        dead += [i for i in part_ids if i[len("registry-") : -6] not in kept]
        if dead:
            log.info("deleting %d registry records of superseded or interrupted writes", len(dead))
            self._delete_quietly(dead)


def drop_shared_index(url: str, collection: str) -> None:
    """Delete the index's vectors and registry collections from the server (before a re-index)."""
    client = http_client(url)
    for name in (collection, registry_collection_name(collection)):
        try:
            client.delete_collection(name)
        except Exception as exc:
            # An absent collection is what we want; anything else is the server failing.
            if "does not exist" not in str(exc).lower():
                raise ChromaUnavailableError(
                    f"cannot delete the Chroma collection {name!r} at {url} ({type(exc).__name__}: {exc})"
                ) from exc
