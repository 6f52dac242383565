"""A running assistant sees documents that `assistant ingest` adds from another process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

FIRST = """NGHỊ QUYẾT
Về nhiệm vụ phát triển kinh tế - xã hội huyện Ba Tri năm 2025

2. Các chỉ tiêu chủ yếu
a) Kim ngạch xuất khẩu của huyện đạt 120 triệu USD;
b) Tỷ lệ hộ nghèo giảm 1%;
"""

SECOND = """NGHỊ QUYẾT
Về nhiệm vụ phát triển kinh tế - xã hội huyện Chợ Lách năm 2025

2. Các chỉ tiêu chủ yếu
a) Diện tích hoa kiểng của huyện đạt 2.345 ha;
b) Tỷ lệ lao động qua đào tạo đạt 72%;
"""


def _ingest_in_another_process(data_dir: Path, path: Path) -> None:
    cmd = [sys.executable, "-m", "assistant.cli", "--data-dir", str(data_dir), "ingest", "--no-progress", str(path)]
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_answers_from_a_document_ingested_by_another_process(tmp_path: Path) -> None:
    from assistant.service import Assistant

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bt.txt").write_text(FIRST, encoding="utf-8")
    data_dir = tmp_path / "data"
    _ingest_in_another_process(data_dir, docs / "bt.txt")

    assistant = Assistant.from_settings(make_settings(data_dir))
    before = assistant.answer("Diện tích hoa kiểng huyện Chợ Lách năm 2025 là bao nhiêu?")
    assert not before.found

    (docs / "cl.txt").write_text(SECOND, encoding="utf-8")
    _ingest_in_another_process(data_dir, docs / "cl.txt")

    after = assistant.answer("Diện tích hoa kiểng huyện Chợ Lách năm 2025 là bao nhiêu?")
    assert after.found, after.answer
    assert "2.345 ha" in after.answer
    assert after.citations[0].source == "cl.txt"
