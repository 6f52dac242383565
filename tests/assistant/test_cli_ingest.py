"""`assistant ingest` and `assistant documents` as a user runs them: exit codes, summaries, JSON, progress,
and what a killed or interrupted ingest leaves behind (in a real subprocess)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.components import build_embeddings, open_index
from assistant.settings import PROJECT_ROOT, Settings
from ingest.text import search_tokens
from tests.conftest import make_settings
from tests.docmaker import cp1258_bytes, make_scanned_pdf
from vectorstore.chroma_store import ChromaStore

pytestmark = pytest.mark.slow

HEALTH = (
    "BÁO CÁO\n\nCông tác y tế năm 2023\n\n"
    "Tỷ lệ dân số tham gia bảo hiểm y tế đạt 93,5%.\n\n"
    "Số giường bệnh trên một vạn dân đạt 28 giường.\n"
)

# Small documents for the interrupted runs: each one is several embeddings, so a run takes seconds.
TOPICS = [
    ("xuất khẩu", "Kim ngạch xuất khẩu đạt 1.850 triệu USD"),
    ("du lịch", "Tổng lượt khách du lịch đạt 1,8 triệu lượt"),
    ("thủy sản", "Sản lượng thủy sản nuôi trồng đạt 320.000 tấn"),
    ("giao thông", "Đã hoàn thành 45 km đường giao thông nông thôn"),
    ("giáo dục", "Tỷ lệ trường đạt chuẩn quốc gia đạt 78%"),
    ("việc làm", "Giải quyết việc làm cho 22.000 lao động"),
]


LONG_RUN_DOCUMENTS = 60


def topic_report(topic: str, figure: str) -> str:
    return (
        f"BÁO CÁO\n\nTình hình lĩnh vực {topic} tỉnh Bến Tre năm 2023\n\n"
        f"{figure}, vượt kế hoạch đề ra.\n\n"
        f"Các giải pháp phát triển lĩnh vực {topic} tiếp tục được triển khai đồng bộ trong năm.\n\n"
        f"Năm 2024, tỉnh tập trung tháo gỡ khó khăn, tạo điều kiện cho lĩnh vực {topic} phát triển bền vững.\n"
    )


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No .env and no ASSISTANT_* from the developer's shell; returns a fresh data dir."""
    for name in list(os.environ):
        if name.startswith("ASSISTANT_"):
            monkeypatch.delenv(name)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return tmp_path / "data"


def json_summary(out: str) -> dict[str, object]:
    """`ingest --json` prints one JSON line per document, then the summary: check them and return it."""
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines and lines[-1]["event"] == "summary"
    summary: dict[str, object] = lines[-1]
    documents = [line for line in lines[:-1] if line["event"] == "document"]
    assert len(documents) == len(lines) - 1
    assert sorted(d["source"] for d in documents) == sorted(f["source"] for f in summary["files"])  # type: ignore[index,union-attr]
    return summary


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- ingest in-process


def test_ingest_reports_each_failure_and_exits_non_zero(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "y-te.txt").write_text(HEALTH, encoding="utf-8")
    make_scanned_pdf(folder / "ban-scan.pdf", pages=1)
    (folder / "cu.txt").write_bytes(cp1258_bytes(HEALTH))
    with zipfile.ZipFile(folder / "so-lieu.xlsx", "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    data = str(cli_env)

    code, out, err = run_cli(capsys, "--data-dir", data, "ingest", str(folder), "--no-eval")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("Ingest: 1 added, 0 updated, 0 unchanged, 2 failed, 1 skipped, 0 pruned")
    failed = [line for line in lines if line.strip().startswith("FAILED:")]
    assert len(failed) == 2
    assert any("ban-scan.pdf" in line and "OCR" in line for line in failed)
    assert any("cu.txt" in line and "Windows-1258" in line for line in failed)
    assert any(line.strip().startswith("SKIPPED:") and "so-lieu.xlsx" in line for line in lines)
    # The progress bar is on stderr, never in the summary on stdout.
    assert "Tệp" in err and "Tệp" not in out and "\r" not in out
    assert "bm25s" not in out + err

    code, out, err = run_cli(capsys, "--data-dir", data, "ingest", str(folder), "--no-eval", "--json")
    assert code == 1
    summary = json_summary(out)  # stdout is JSON lines and nothing else
    assert {k: summary[k] for k in ("added", "updated", "unchanged", "failed", "skipped", "pruned")} == {
        "added": 0, "updated": 0, "unchanged": 1, "failed": 2, "skipped": 1, "pruned": [],
    }
    files = {f["source"]: f for f in summary["files"]}
    assert files["y-te.txt"]["status"] == "unchanged" and files["y-te.txt"]["chunks"] > 0
    assert files["ban-scan.pdf"]["status"] == "failed" and "OCR" in files["ban-scan.pdf"]["reason"]
    assert files["cu.txt"]["status"] == "failed" and "Windows-1258" in files["cu.txt"]["reason"]
    assert files["so-lieu.xlsx"]["status"] == "skipped" and ".xlsx" in files["so-lieu.xlsx"]["reason"]
    assert "Tệp" not in out

    code, out, _ = run_cli(capsys, "--data-dir", data, "documents", "--json")
    assert code == 0
    assert [row["source"] for row in json.loads(out)] == ["y-te.txt"]


def test_ingest_of_a_missing_path_says_so(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--data-dir", str(cli_env), "ingest", str(tmp_path / "khong-co"), "--no-eval")
    assert code == 2
    assert "not found" in err and "khong-co" in err
    assert out == ""


# ---------------------------------------------------------------- documents


def test_documents_lists_what_is_indexed(
    indexed_settings: Settings, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = json.loads((indexed_settings.corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    expected = {name: entry for name, entry in manifest.items() if not name.startswith("_")}
    data = str(indexed_settings.data_dir)

    code, out, _ = run_cli(capsys, "--data-dir", data, "documents", "--json")
    assert code == 0
    rows = {row["source"]: row for row in json.loads(out)}
    assert set(rows) == set(expected)
    with open_index(indexed_settings, build_embeddings(indexed_settings)) as index:
        chunk_counts = {doc.source: doc.n_chunks for doc in index.documents()}
    for name, entry in expected.items():
        for key in ("title", "kind", "number", "date", "period"):
            assert rows[name][key] == entry.get(key), (name, key)
        assert rows[name]["chunks"] == chunk_counts[name] > 0

    code, out, _ = run_cli(capsys, "--data-dir", data, "documents")
    assert code == 0
    for name, entry in expected.items():
        block = out[out.index(name) :].split("\n")[:3]
        assert block[1].strip() == entry["title"]
        assert f"loại: {entry['kind']}" in block[2] and f"kỳ: {entry['period']}" in block[2]
        assert f"đoạn: {chunk_counts[name]}" in block[2]
    # Dates as officials write them.
    resolution = [name for name, entry in expected.items() if entry.get("date") == "2020-12-09"]
    assert resolution and "ngày: 09/12/2020" in out


def test_documents_on_an_empty_index_says_how_to_ingest(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--data-dir", str(cli_env), "documents")
    assert code == 0
    assert "empty" in out and "assistant ingest" in out
    code, out, _ = run_cli(capsys, "--data-dir", str(cli_env), "documents", "--json")
    assert code == 0 and json.loads(out) == []


# ---------------------------------------------------------------- remove


def index_state(data_dir: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    settings = make_settings(data_dir)
    with open_index(settings, build_embeddings(settings)) as index:
        return {d.source: (d.content_hash, d.chunk_ids) for d in index.documents()}


def chroma_count(data_dir: Path) -> int:
    settings = make_settings(data_dir)
    embeddings = build_embeddings(settings)
    store = ChromaStore.open(
        model_id=embeddings.model_id, dimension=embeddings.dimension, path=settings.chroma_dir,
        collection=settings.collection,
    )
    try:
        return store.count()
    finally:
        store.close()


def test_remove_deletes_a_document_everywhere_and_keeps_the_others(
    cli_env: Path, topic_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(cli_env)
    for extra in topic_folder.glob("0[4-6]-*"):
        extra.unlink()
    assert run_cli(capsys, "--data-dir", data, "ingest", str(topic_folder), "--no-eval", "--no-progress")[0] == 0
    before = index_state(cli_env)
    assert set(before) == {"01-bao-cao.txt", "02-bao-cao.txt", "03-bao-cao.txt"}
    registry = cli_env / "index" / "registry.json"

    # An unknown name alone: a clear message, a non-zero exit, and the index exactly as it was.
    registry_bytes = registry.read_bytes()
    code, out, err = run_cli(capsys, "--data-dir", data, "remove", "02-bao-cao")
    assert code == 1 and out == ""
    assert "no document named '02-bao-cao' is indexed" in err and "Did you mean '02-bao-cao.txt'" in err
    assert "assistant documents" in err
    assert registry.read_bytes() == registry_bytes and index_state(cli_env) == before

    code, out, err = run_cli(capsys, "--data-dir", data, "remove", "02-bao-cao.txt", "khong-co.txt")
    assert code == 1
    assert f"Removed 02-bao-cao.txt ({len(before['02-bao-cao.txt'][1])} passages)" in out
    assert "no document named 'khong-co.txt'" in err

    after = index_state(cli_env)
    assert after == {k: v for k, v in before.items() if k != "02-bao-cao.txt"}  # the others untouched
    settings = make_settings(cli_env)
    embeddings = build_embeddings(settings)
    gone = set(before["02-bao-cao.txt"][1])
    _, figure = TOPICS[1]
    with open_index(settings, embeddings) as index:
        assert not gone & {c.chunk_id for c in index.all_chunks()}
        assert all(h.chunk.source != "02-bao-cao.txt" for h in index.lexical_search(search_tokens(figure), k=20))
        dense = index.dense_search(embeddings.embed_query(figure), k=20)
        assert dense and all(h.chunk.source != "02-bao-cao.txt" for h in dense)
        kept_topic, kept_figure = TOPICS[0]
        assert index.lexical_search(search_tokens(kept_figure), k=1)[0].chunk.source == "01-bao-cao.txt"
        listed = sum(len(ids) for _, ids in after.values())
    assert chroma_count(cli_env) == listed  # its vectors are deleted, not only unlisted

    code, out, _ = run_cli(capsys, "--data-dir", data, "remove", "--json", str(topic_folder / "03-bao-cao.txt"))
    assert code == 0
    assert json.loads(out) == [{"name": "03-bao-cao.txt", "removed": True, "chunks": len(before["03-bao-cao.txt"][1])}]
    assert set(index_state(cli_env)) == {"01-bao-cao.txt"}


def test_assistant_remove_document_for_the_ui_and_api(cli_env: Path, topic_folder: Path) -> None:
    from assistant.service import Assistant

    settings = make_settings(cli_env)
    assistant = Assistant.from_settings(settings)
    try:
        for extra in topic_folder.glob("0[3-6]-*"):
            extra.unlink()
        assert assistant.ingest([topic_folder]).ok
        _, figure = TOPICS[0]
        hits = assistant.index.lexical_search(search_tokens(figure), k=5)
        assert hits[0].chunk.source == "01-bao-cao.txt"

        assert assistant.remove_document("khong-co.txt") is False
        assert [d.source for d in assistant.documents()] == ["01-bao-cao.txt", "02-bao-cao.txt"]
        assert assistant.remove_document("01-bao-cao.txt") is True
        assert [d.source for d in assistant.documents()] == ["02-bao-cao.txt"]
        # What answers are built from no longer holds it: passages, searches, per-document data.
        assert {c.source for c in assistant.index.all_chunks()} == {"02-bao-cao.txt"}
        assert all(h.chunk.source != "01-bao-cao.txt" for h in assistant.index.lexical_search(search_tokens(figure), k=5))
        dense = assistant.index.dense_search(assistant.embeddings.embed_query(figure), k=5)
        assert dense and all(h.chunk.source == "02-bao-cao.txt" for h in dense)
        assert assistant.remove_document("01-bao-cao.txt") is False
    finally:
        assistant.index.close()


# ---------------------------------------------------------------- re-index, uploads, throughput


def test_throughput_shows_documents_per_second_and_time_left() -> None:
    from assistant.ingest_command import throughput_text
    from ingest.pipeline import RunProgress

    assert throughput_text(RunProgress(done=10, total=100, elapsed_s=5.0)) == "2.0 văn bản/giây · còn khoảng 00:45"
    assert throughput_text(RunProgress(done=1, total=1004, elapsed_s=6.0)).endswith("còn khoảng 1:40:18")
    assert throughput_text(RunProgress(done=0, total=10, elapsed_s=1.0)) == "… văn bản/giây"


def test_reindex_re_embeds_every_registered_document_uploads_included(
    cli_env: Path, topic_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(cli_env)
    for extra in topic_folder.glob("0[3-6]-*"):
        extra.unlink()
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "03-tai-len.txt").write_text(topic_report(*TOPICS[2]), encoding="utf-8")
    assert run_cli(capsys, "--data-dir", data, "ingest", str(topic_folder), str(uploads), "--no-eval")[0] == 0
    before = index_state(cli_env)
    (uploads / "03-tai-len.txt").unlink()  # the upload's file is gone: only the index holds it

    code, out, err = run_cli(capsys, "--data-dir", data, "ingest", str(topic_folder), "--reindex", "--no-eval")

    assert code == 0, err
    assert out.startswith("Ingest: 3 added, 0 updated, 0 unchanged, 0 failed, 0 skipped, 0 pruned")
    assert "1 re-embedded from the index's own copy" in out
    assert index_state(cli_env) == before
    assert not (cli_env / "index.before-reindex").exists()
    settings = make_settings(cli_env)
    embeddings = build_embeddings(settings)
    _, figure = TOPICS[2]
    with open_index(settings, embeddings) as index:
        assert index.dense_search(embeddings.embed_query(figure), k=1)[0].chunk.source == "03-tai-len.txt"
        assert index.lexical_search(search_tokens(figure), k=1)[0].chunk.source == "03-tai-len.txt"
    assert chroma_count(cli_env) == sum(len(ids) for _, ids in before.values())


def test_upload_path_refuses_duplicates_and_files_over_the_limit(cli_env: Path, tmp_path: Path) -> None:
    from assistant.service import Assistant

    settings = make_settings(cli_env, max_upload_mb=0.001)  # about 1 KB
    assistant = Assistant.from_settings(settings)
    try:
        folder = tmp_path / "docs"
        folder.mkdir()
        (folder / "y-te.txt").write_text(HEALTH, encoding="utf-8")
        assert assistant.ingest([folder / "y-te.txt"]).added == 1
        registry = cli_env / "index" / "registry.json"
        registry_bytes = registry.read_bytes()
        uploads = tmp_path / "uploads"
        uploads.mkdir()
        (uploads / "004_ban-sao.txt").write_text(HEALTH, encoding="utf-8")
        (uploads / "lon.txt").write_text(HEALTH * 20, encoding="utf-8")

        duplicate = assistant.ingest([uploads / "004_ban-sao.txt"])
        [outcome] = duplicate.outcomes
        assert (outcome.status, outcome.duplicate_of) == ("skipped", "y-te.txt")
        assert "duplicate: the same content is already indexed as y-te.txt; nothing was changed" in outcome.reason

        too_big = assistant.ingest([uploads / "lon.txt"])
        [outcome] = too_big.outcomes
        assert outcome.status == "failed" and not too_big.ok
        assert "uploads are limited to 0.0009765625 MB" not in outcome.reason
        assert "MB (ASSISTANT_MAX_UPLOAD_MB). Nothing of it was indexed" in outcome.reason

        assert registry.read_bytes() == registry_bytes
        assert [d.source for d in assistant.documents()] == ["y-te.txt"]
    finally:
        assistant.index.close()


def test_json_streams_a_line_per_document_before_the_run_ends(
    cli_env: Path, topic_folder: Path, tmp_path: Path
) -> None:
    process = start_ingest(cli_env, topic_folder, tmp_path / "cwd", "--json")
    assert process.stdout is not None
    first = json.loads(process.stdout.readline())
    still_running = process.poll() is None
    rest, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert still_running  # the first line came while the others were being ingested
    assert first["event"] == "document" and first["status"] == "added" and first["done"] == 1
    assert first["total"] == len(TOPICS) and first["docs_per_second"] > 0 and first["eta_seconds"] >= 0
    summary = json_summary(json.dumps(first) + "\n" + rest)
    assert summary["added"] == len(TOPICS) and summary["commits"] == 3  # batches of 1, 2 and 3


# ---------------------------------------------------------------- killed and interrupted runs


def _interruptible() -> None:
    # A test run started in the background of a shell (`pytest &`) has SIGINT ignored, and a child inherits
    # that: Python then installs no KeyboardInterrupt handler and Ctrl-C would be lost.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_ingest(data_dir: Path, folder: Path, workdir: Path, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "--data-dir", str(data_dir), "ingest", str(folder), "--no-eval", *extra],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_interruptible,
    )


def committed_documents(data_dir: Path) -> int:
    registry = data_dir / "index" / "registry.json"
    try:
        return len(json.loads(registry.read_text(encoding="utf-8"))["documents"])
    except (OSError, ValueError, KeyError):
        return 0


def wait_for_first_commit(process: subprocess.Popen[str], data_dir: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while committed_documents(data_dir) == 0:
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"ingest ended (code {process.returncode}) before any document was committed:\n{out}\n{err}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("no document committed in time")
        time.sleep(0.05)


@pytest.fixture
def topic_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for number, (topic, figure) in enumerate(TOPICS, start=1):
        (folder / f"{number:02d}-bao-cao.txt").write_text(topic_report(topic, figure), encoding="utf-8")
    return folder


@pytest.fixture
def long_topic_folder(tmp_path: Path) -> Path:
    """Enough documents that an ingest is still running well after its first commit, however busy the
    machine: six documents could all be done before a signal sent at the first commit arrived."""
    folder = tmp_path / "many-docs"
    folder.mkdir()
    for number in range(1, LONG_RUN_DOCUMENTS + 1):
        topic, figure = long_run_topic(number)
        (folder / f"{number:02d}-bao-cao.txt").write_text(topic_report(topic, figure), encoding="utf-8")
    return folder


def long_run_topic(number: int) -> tuple[str, str]:
    """A topic and a figure of its own for each document of a long run, so every search has one answer."""
    topic = f"{TOPICS[(number - 1) % len(TOPICS)][0]} vùng {number}"
    return topic, f"Chỉ số phát triển vùng {number} đạt {100 + 37 * number} điểm"


def check_index_after_interruption(data_dir: Path, long_run: bool = False) -> list[str]:
    """The index opens, lists only complete documents, answers both searches and holds no stray vectors.
    Returns the sources it lists."""
    settings = make_settings(data_dir)
    embeddings = build_embeddings(settings)
    documents = LONG_RUN_DOCUMENTS if long_run else len(TOPICS)
    all_sources = {f"{n:02d}-bao-cao.txt" for n in range(1, documents + 1)}
    with open_index(settings, embeddings) as index:
        docs = index.documents()
        sources = [d.source for d in docs]
        assert docs and set(sources) <= all_sources
        listed = {cid for d in docs for cid in d.chunk_ids}
        assert {c.chunk_id for c in index.all_chunks()} == listed
        for doc in docs:
            chunks = [index.chunk(cid) for cid in doc.chunk_ids]
            # Complete: header and every paragraph of the document are there.
            assert len(chunks) == 4 and chunks[-1].text.startswith("Năm 2024"), doc.source
        number = int(sources[0][:2])
        topic, figure = long_run_topic(number) if long_run else TOPICS[number - 1]
        lexical = index.lexical_search(search_tokens(figure), k=3)
        assert lexical and lexical[0].chunk.source == sources[0] and figure in lexical[0].chunk.text
        dense = index.dense_search(embeddings.embed_query(figure), k=5)
        assert dense and {hit.chunk.source for hit in dense} <= set(sources)
        assert dense[0].chunk.source == sources[0]
    store = ChromaStore.open(
        model_id=embeddings.model_id, dimension=embeddings.dimension, path=settings.chroma_dir,
        collection=settings.collection,
    )
    try:
        # Vectors of the write that was cut short were collected when the index was opened.
        assert store.count() == len(listed)
    finally:
        store.close()
    return sources


def test_killed_ingest_leaves_an_index_that_opens_answers_and_resumes(
    cli_env: Path, topic_folder: Path, tmp_path: Path
) -> None:
    process = start_ingest(cli_env, topic_folder, tmp_path / "cwd", "--no-progress")
    wait_for_first_commit(process, cli_env)
    process.send_signal(signal.SIGKILL)
    process.communicate()

    sources = check_index_after_interruption(cli_env)

    rerun = start_ingest(cli_env, topic_folder, tmp_path / "cwd", "--json")
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    summary = json_summary(out)  # progress and logs went to stderr, stdout is only the JSON lines
    assert (summary["unchanged"], summary["added"], summary["failed"]) == (
        len(sources), len(TOPICS) - len(sources), 0,
    )
    assert {f["source"] for f in summary["files"] if f["status"] == "unchanged"} == set(sources)
    assert check_index_after_interruption(cli_env) == sorted(f"{n:02d}-bao-cao.txt" for n in range(1, 7))


def test_ctrl_c_stops_with_a_message_and_code_130(cli_env: Path, long_topic_folder: Path, tmp_path: Path) -> None:
    process = start_ingest(cli_env, long_topic_folder, tmp_path / "cwd")
    wait_for_first_commit(process, cli_env)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)

    assert process.returncode == 130, (out, err)
    assert "Interrupted" in err and "Traceback" not in err
    assert out == ""
    assert len(check_index_after_interruption(cli_env, long_run=True)) < LONG_RUN_DOCUMENTS
