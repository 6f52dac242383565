"""Short Vietnamese test documents and their conversion to what DocumentIndex.replace_document takes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ingest.text import search_tokens
from vectorstore.index import DocumentIndex, StoredChunk

DOCS: dict[str, list[str]] = {
    "a_v1": [
        "Tốc độ tăng trưởng kinh tế (GRDP) bình quân đạt 6,5%/năm giai đoạn 2021-2025.",
        "Kim ngạch xuất khẩu năm 2025 đạt 1.850 triệu USD.",
        "Tỷ lệ hộ nghèo theo chuẩn đa chiều giảm còn 1,5%.",
    ],
    "a_v2": [
        "Tốc độ tăng trưởng kinh tế (GRDP) bình quân đạt 7,2%/năm giai đoạn 2021-2025.",
        "Kim ngạch xuất khẩu năm 2025 đạt 2.000 triệu USD.",
    ],
    "b": [
        "Diện tích trồng dừa toàn tỉnh đạt khoảng 80.000 ha.",
        "Số bác sĩ trên một vạn dân đạt 10 bác sĩ.",
    ],
}


@dataclass(frozen=True)
class DocVersion:
    """One version of a document, ready for DocumentIndex.replace_document."""

    meta: dict[str, object]
    content_hash: str
    chunks: list[StoredChunk]
    vectors: list[list[float]]
    token_lists: list[list[str]]

    def add_to(self, index: DocumentIndex) -> None:
        index.replace_document(self.meta, self.content_hash, self.chunks, self.vectors, self.token_lists)


def make_version(source: str, texts: list[str], vectors: list[list[float]], title: str = "") -> DocVersion:
    content_hash = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    chunks = [
        StoredChunk(
            chunk_id=f"{source}#{i:04d}@{content_hash[:12]}",
            source=source,
            ordinal=i,
            text=text,
            section=f"Mục {i + 1}",
            start=i * 100,
            end=i * 100 + len(text),
            metadata={"title": title or source, "period": "2021-2025"},
        )
        for i, text in enumerate(texts)
    ]
    meta: dict[str, object] = {
        "source": source,
        "title": title or source,
        "kind": "báo cáo",
        "period": "2021-2025",
    }
    return DocVersion(meta, content_hash, chunks, vectors, [search_tokens(t) for t in texts])
