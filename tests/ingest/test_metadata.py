"""Document metadata: what the texts say, and the manifest that overrides and fills."""

import hashlib
import json
from pathlib import Path

import pytest

from ingest.cleaning import document_text
from ingest.errors import IngestError
from ingest.metadata import apply_manifest, extract_metadata, load_manifest
from ingest.models import DocumentMeta, LoadedDocument, Page

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def load(prefix: str) -> LoadedDocument:
    path = next(CORPUS.glob(f"{prefix}_*.txt"))
    data = path.read_bytes()
    return LoadedDocument(path.name, path, "txt", [Page(None, data.decode("utf-8"))], hashlib.sha256(data).hexdigest())


def extracted(prefix: str) -> DocumentMeta:
    doc = load(prefix)
    return extract_metadata(doc, document_text(doc))


def test_resolution_2021_2025_header_is_read():
    meta = extracted("002")
    assert meta.title == "Nghị quyết về nhiệm vụ phát triển kinh tế - xã hội tỉnh Bến Tre 5 năm 2021-2025"
    assert meta.kind == "nghị quyết"
    assert meta.issuer == "HĐND tỉnh Bến Tre"
    assert meta.date == "2020-12-09"  # "thông qua ngày 09 tháng 12 năm 2020"
    assert meta.period == "2021-2025"
    assert meta.signer == "Phan Văn Mãi"
    assert meta.note == "khóa IX, kỳ họp thứ 19"
    assert meta.number is None


def test_report_with_blank_number_and_day():
    meta = extracted("001")
    assert meta.kind == "báo cáo"
    assert meta.number is None  # "Số: /BC-UBND" is blank: no number is invented
    assert meta.date == "2020-11"  # "Bến Tre, ngày tháng 11 năm 2020"
    assert meta.issuer == "UBND tỉnh Bến Tre"  # not the addressee "Kính gửi: Hội đồng nhân dân tỉnh"
    assert meta.period == "2020"
    assert meta.signer == "Nguyễn Văn Đức"
    assert meta.title.startswith("Báo cáo kiểm điểm công tác chỉ đạo, điều hành năm 2020")


def test_news_article():
    meta = extracted("003")
    assert meta.kind == "tin"
    assert meta.title == "Bến Tre tập trung thực hiện nhiệm vụ, giải pháp phục hồi, phát triển kinh tế"
    assert meta.period == "6 tháng đầu năm 2023"
    assert meta.date == "2023-06-16"
    assert meta.issuer == "TTXVN"
    assert meta.signer is None  # the byline is a reporter


def test_article_without_title_line():
    meta = extracted("000")
    assert meta.kind == "bài viết"
    assert meta.title == 'Tiếp tục tập trung thực hiện "mục tiêu kép", tiến tới "Xanh hóa toàn tỉnh"'
    assert meta.signer == "Lê Đức Thọ"  # "LÊ ĐỨC THỌ" at the end
    assert meta.period == "2021"


def test_excerpt_without_header_uses_its_closing_formula():
    meta = extracted("004")
    assert meta.kind == "nghị quyết"
    assert meta.date == "2024-12-06"
    assert meta.issuer == "HĐND tỉnh Bến Tre"
    assert meta.period == "2025"
    assert meta.note == "khóa X, kỳ họp thứ 16"
    assert meta.title  # something, which the manifest replaces


def test_number_is_read_when_stated():
    text = "ỦY BAN NHÂN DÂN TỈNH BẾN TRE\nSố: 510/BC-UBND\nBến Tre, ngày 17 tháng 11 năm 2020\nBÁO CÁO\nVề tình hình năm 2020\nNội dung."
    doc = LoadedDocument("r.txt", Path("r.txt"), "txt", [Page(None, text)], "0" * 64)
    meta = extract_metadata(doc, document_text(doc))
    assert (meta.number, meta.date, meta.issuer, meta.title) == (
        "510/BC-UBND", "2020-11-17", "UBND tỉnh Bến Tre", "Báo cáo về tình hình năm 2020"
    )


def test_bundled_manifest_fills_every_document():
    manifest = load_manifest(CORPUS)
    assert sorted(manifest) == sorted(p.name for p in CORPUS.glob("*.txt"))
    for prefix in ["000", "001", "002", "003", "004"]:
        meta = apply_manifest(extracted(prefix), manifest[load(prefix).source])
        assert meta.title and meta.kind and meta.date and meta.period
    m004 = apply_manifest(extracted("004"), manifest["004_0fe5ee8038d62b66.txt"])
    assert m004.title == "Nghị quyết về nhiệm vụ phát triển kinh tế - xã hội tỉnh Bến Tre năm 2025"
    assert (m004.issuer, m004.date, m004.period) == ("HĐND tỉnh Bến Tre", "2024-12-06", "2025")
    assert all(entry.get("number") is None for entry in manifest.values())  # no number the texts do not state


def test_apply_manifest_overrides_fills_and_clears():
    meta = DocumentMeta(source="a.txt", title="Cũ", kind="văn bản", signer="Ai Đó")
    new = apply_manifest(meta, {"title": "Mới", "period": "2025", "signer": None})
    assert (new.title, new.kind, new.period, new.signer) == ("Mới", "văn bản", "2025", None)
    assert meta.title == "Cũ"
    with pytest.raises(ValueError, match="colour"):
        apply_manifest(meta, {"colour": "đỏ"})


def test_missing_manifest_is_empty(tmp_path):
    assert load_manifest(tmp_path) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"a.txt": {"title": "x",}}', "not valid JSON"),
        ('["a.txt"]', "top level is a list"),
        ('{"a.txt": {"titel": "x"}}', "unknown field(s) titel"),
        ('{"a.txt": "x"}', "not an object"),
        ('{"a.txt": {"date": "09/12/2020"}}', "yyyy-mm-dd"),
        ('{"a.txt": {"kind": "thư"}}', "not one of"),
        ('{"a.txt": {"pages": "3"}}', "must be int"),
    ],
)
def test_bad_manifest_says_what_is_wrong(tmp_path, content, message):
    (tmp_path / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(IngestError) as info:
        load_manifest(tmp_path)
    assert message in str(info.value)
    assert "manifest.json" in str(info.value) and "Fix the file" in str(info.value)


def test_manifest_comments_are_ignored(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"_comment": "x", "a.txt": {"period": "2025"}}), encoding="utf-8")
    assert load_manifest(tmp_path) == {"a.txt": {"period": "2025"}}
