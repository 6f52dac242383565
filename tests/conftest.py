"""Shared, expensive fixtures: the bundled corpus indexed once per test session with real embeddings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from assistant.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from assistant.service import Assistant

CORPUS_DIR = PROJECT_ROOT / "corpus"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: no .env, no ASSISTANT_* leaking from the developer's shell."""
    fields: dict[str, object] = {"corpus_dir": CORPUS_DIR, **overrides}
    return Settings(_env_file=None, data_dir=data_dir, **fields)  # type: ignore[call-arg,arg-type]


@pytest.fixture(autouse=True)
def _ocr_tools_hidden_unless_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests whose scanned PDFs must fail see no OCR tools, whether or not this machine has them (CI does);
    tests marked `ocr` see the real ones."""
    if request.node.get_closest_marker("ocr") is None:
        from ingest.ocr import OcrLookup

        hidden = OcrLookup(None, ("OCR tools are hidden from tests not marked `ocr`",))
        monkeypatch.setattr("ingest.loaders.find_ocr_tools", lambda: hidden)


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose data_dir holds the bundled corpus, ingested once for the whole session."""
    from assistant.components import build_embeddings, open_index
    from ingest.pipeline import ingest_paths

    settings = make_settings(tmp_path_factory.mktemp("indexed-corpus"))
    embeddings = build_embeddings(settings)
    index = open_index(settings, embeddings)
    summary = ingest_paths([CORPUS_DIR], index=index, embeddings=embeddings)
    assert summary.ok, summary.to_dict()
    index.close()
    return settings


@pytest.fixture(scope="session")
def corpus_assistant(indexed_settings: Settings) -> Assistant:
    """The real Assistant over the indexed bundled corpus, built once."""
    from assistant.service import Assistant

    return Assistant.from_settings(indexed_settings)
