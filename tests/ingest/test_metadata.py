"""Document metadata: read from the national layout of an administrative document (Decree
30/2020/NĐ-CP), from an article's headline and byline otherwise; the manifest overrides and fills.

Ground truth: the bundled corpus as a reader sees it, and /work/shared/corpora/README.md for the
five documents from other provinces (body, number, date as it states them).
"""

import json
from pathlib import Path

import docx
import pytest

from ingest.cleaning import clean_document
from ingest.errors import IngestError
from ingest.loaders import load_document
from ingest.metadata import (
    Properties,
    apply_manifest,
    extract_metadata,
    find_signer_block,
    load_manifest,
    plain_lines,
    read_header,
    read_properties,
    short_issuer,
)
from ingest.models import DocumentMeta, LoadedDocument, Page
from tests.docmaker import Heading, make_docx

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
PROVINCES = REPO.parent / "shared" / "corpora" / "provinces"
FIELDS = ("title", "kind", "number", "issuer", "date", "period", "signer")
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"


def prepared(path: Path) -> DocumentMeta:
    """As ingest/pipeline.py prepare_document reads a file, without the manifest."""
    loaded = load_document(path)
    return extract_metadata(loaded, clean_document(loaded).text)


def load(prefix: str) -> LoadedDocument:
    return load_document(next(CORPUS.glob(f"{prefix}_*.txt")))


def extracted(prefix: str) -> DocumentMeta:
    return prepared(next(CORPUS.glob(f"{prefix}_*.txt")))


def from_text(text: str, name: str = "doc.txt") -> DocumentMeta:
    doc = LoadedDocument(name, Path(name), "txt", [Page(None, text)], "0" * 64)
    return extract_metadata(doc, clean_document(doc).text)


def fields(meta: DocumentMeta) -> dict[str, str | None]:
    return {name: getattr(meta, name) for name in FIELDS}


# ---------------------------------------------------------------- the bundled corpus

BUNDLED = {
    # An article by the provincial party secretary: no header, a headline after a lead paragraph
    # and a photo caption, the author's name in capitals at the end. Its first full date is the
    # "sáng ngày 14-9-2021" of its figures; it has no number and no issuing body.
    "000": {
        "title": 'Tiếp tục tập trung thực hiện "mục tiêu kép", tiến tới "Xanh hóa toàn tỉnh"',
        "kind": "bài viết",
        "number": None,
        "issuer": None,
        "date": "2021-09-14",
        "period": "2021",
        "signer": "Lê Đức Thọ",
    },
    # A report whose number and day were left blank for signing ("Số: /BC-UBND", "ngày tháng 11");
    # no body name at the top: the signer block "TM. ỦY BAN NHÂN DÂN" names it, the date line its place.
    "001": {
        "title": (
            "Báo cáo kiểm điểm công tác chỉ đạo, điều hành năm 2020 và nhiệm vụ, giải pháp chỉ đạo, "
            "điều hành trọng tâm năm 2021"
        ),
        "kind": "báo cáo",
        "number": None,
        "issuer": "UBND tỉnh Bến Tre",
        "date": "2020-11",
        "period": "2020",
        "signer": "Nguyễn Văn Đức",
    },
    # A resolution without Quốc hiệu, number or date line: the body is named under the trích yếu,
    # the date is the one its closing formula gives ("thông qua ngày 09 tháng 12 năm 2020").
    "002": {
        "title": "Nghị quyết về nhiệm vụ phát triển kinh tế - xã hội tỉnh Bến Tre 5 năm 2021-2025",
        "kind": "nghị quyết",
        "number": None,
        "issuer": "HĐND tỉnh Bến Tre",
        "date": "2020-12-09",
        "period": "2021-2025",
        "signer": "Phan Văn Mãi",
    },
    # A news item: headline between a category line and a place line, an agency dateline without
    # the year, the reporter's byline (not a signer).
    "003": {
        "title": "Bến Tre tập trung thực hiện nhiệm vụ, giải pháp phục hồi, phát triển kinh tế",
        "kind": "tin",
        "number": None,
        "issuer": "TTXVN",
        "date": "2023-06-16",
        "period": "6 tháng đầu năm 2023",
        "signer": None,
    },
    # An excerpt of a resolution starting at "2. Các chỉ tiêu chủ yếu": no header, no signer. The
    # closing formula says what it is, who passed it and when; its trích yếu is not in the text, so
    # the title names it by its issuer, never by a section heading.
    "004": {
        "title": "Nghị quyết của HĐND tỉnh Bến Tre",
        "kind": "nghị quyết",
        "number": None,
        "issuer": "HĐND tỉnh Bến Tre",
        "date": "2024-12-06",
        "period": "2025",
        "signer": None,
    },
}


@pytest.mark.parametrize("prefix", sorted(BUNDLED))
def test_bundled_document_fields(prefix: str) -> None:
    assert fields(extracted(prefix)) == BUNDLED[prefix]


def test_resolution_note_names_the_session() -> None:
    assert extracted("002").note == "khóa IX, kỳ họp thứ 19"
    assert extracted("004").note == "khóa X, kỳ họp thứ 16"
    assert extracted("001").note is None  # only a resolution is passed at a session


# ---------------------------------------------------------------- documents from other provinces

# Body, number and date: as /work/shared/corpora/README.md states them. Title, kind, period and
# signer: as each document's kind line, trích yếu and signer block write them.
PROVINCE_DOCS = {
    "kh-ubnd-bacninh-2025-kinhteso-2026-2030.txt": {
        "title": "Kế hoạch phát triển kinh tế số và xã hội số tỉnh Bắc Ninh giai đoạn 2026 - 2030",
        "kind": "kế hoạch",
        "number": "144/KH-UBND",
        "issuer": "UBND tỉnh Bắc Ninh",
        "date": "2025-11-24",
        "period": "2026-2030",
        "signer": "Mai Sơn",  # signed before the annex (PHỤ LỤC) that follows
    },
    "nq-hdnd-hanoi-2025-dinhmuc-ngansach.txt": {
        "title": (
            "Nghị quyết về định mức phân bổ ngân sách và tỷ lệ phần trăm (%) đối với các khoản thu "
            "phân chia giữa các cấp ngân sách thành phố Hà Nội"
        ),
        "kind": "nghị quyết",
        "number": "48/2025/NQ-HĐND",
        "issuer": "HĐND thành phố Hà Nội",
        "date": "2025-11-26",
        # The trích yếu names no period; the text plans "năm 2026" (it takes effect 01/01/2026).
        # Dates, numbers and law names ("Luật Ngân sách nhà nước năm 2025") are not periods.
        "period": "2026",
        "signer": "Phùng Thị Hồng Hà",  # "**Phùng" / "Thị Hồng Hà**": a name broken over two lines
    },
    "qd-ubnd-sonla-2025-kehoach-xuatkhau-2026-2030.txt": {
        "title": (
            "Quyết định về việc ban hành Kế hoạch xuất khẩu sản phẩm hàng hóa tỉnh Sơn La "
            "giai đoạn 2026 - 2030"
        ),
        "kind": "quyết định",
        "number": "2954/QĐ-UBND",
        "issuer": "UBND tỉnh Sơn La",
        "date": "2025-11-20",
        "period": "2026-2030",
        "signer": "Nguyễn Thành Công",  # "TM. UỶ BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    },
    "nq-hdnd-phuyen-2016-dutoan-ngansach-2017.txt": {
        "title": (
            "Nghị quyết về dự toán thu ngân sách nhà nước trên địa bàn, chi ngân sách địa phương, "
            "phương án phân bổ ngân sách cấp tỉnh năm 2017"
        ),
        "kind": "nghị quyết",
        "number": "57/NQ-HĐND",
        "issuer": "HĐND tỉnh Phú Yên",
        # The date line (16/12/2016), not the closing formula's "thông qua ngày 15/12/2016".
        "date": "2016-12-16",
        "period": "2017",
        "signer": "Huỳnh Tấn Việt",  # "CHỦ TỊCH     Huỳnh Tấn Việt" on one line
    },
    "nq-hdnd-hue-2025-giamngheo.txt": {
        "title": (
            "Nghị quyết sửa đổi, bổ sung một số điều của Quy định các chính sách hỗ trợ giảm nghèo "
            "bền vững tỉnh Thừa Thiên Huế giai đoạn 2023-2025 ban hành theo Nghị quyết số "
            "20/2023/NQ-HĐND ngày 21 tháng 8 năm 2023 của Hội đồng nhân dân tỉnh Thừa Thiên Huế "
            "(nay thành phố Huế)"
        ),
        "kind": "nghị quyết",
        "number": "37/2025/NQ-HĐND",  # "Số:" and the number on separate lines
        "issuer": "HĐND thành phố Huế",
        "date": "2025-11-18",  # "*Thành phố Huế, ngày 18 tháng 11 năm 2025 *"
        "period": "2023-2025",
        "signer": "Lê Trường Lưu",
    },
}

needs_provinces = pytest.mark.skipif(
    not PROVINCES.is_dir(), reason=f"the shared corpus of other provinces is not at {PROVINCES}"
)


@needs_provinces
@pytest.mark.parametrize("name", sorted(PROVINCE_DOCS))
def test_province_document_fields(name: str) -> None:
    assert fields(prepared(PROVINCES / name)) == PROVINCE_DOCS[name]


@needs_provinces
def test_every_province_document_is_described() -> None:
    assert sorted(p.name for p in PROVINCES.glob("*.txt")) == sorted(PROVINCE_DOCS)


def all_documents() -> list[Path]:
    paths = sorted(CORPUS.glob("*.txt"))
    return paths + (sorted(PROVINCES.glob("*.txt")) if PROVINCES.is_dir() else [])


@pytest.mark.parametrize("path", all_documents(), ids=lambda p: p.name)
def test_no_field_carries_markup_or_the_national_header(path: Path) -> None:
    meta = prepared(path)
    for name in FIELDS:
        value = getattr(meta, name)
        if value is not None:
            assert not any(mark in value for mark in ("*", "|", "#", "---")), (name, value)
            assert value == value.strip() and "  " not in value, (name, value)
    assert NATIONAL_MOTTO not in meta.title and "CỘNG HÒA" not in meta.title.upper()
    assert ", ngày" not in meta.title  # never the place-and-date line
    assert meta.title.lower() != meta.kind  # never a bare kind word
    assert "Các chỉ tiêu chủ yếu" not in meta.title  # never a section heading


# ---------------------------------------------------------------- layout variants


def test_docx_with_a_two_column_header_table_takes_its_title_from_kind_and_summary(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "ke-hoach.docx",
        [
            [
                ["ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH", f"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n{NATIONAL_MOTTO}"],
                ["Số: 15/KH-UBND", "Bắc Ninh, ngày 3 tháng 2 năm 2025"],
            ],
            "KẾ HOẠCH",
            "Thực hiện chuyển đổi số trên địa bàn tỉnh Bắc Ninh năm 2025",
            "I. MỤC TIÊU",
            Heading("Các chỉ tiêu chủ yếu", 2),
            "a) Tỷ lệ hồ sơ trực tuyến toàn trình đạt 80%.",
            "b) Kinh tế số chiếm 30% GRDP của tỉnh Bắc Ninh.",
            [["Nơi nhận:\n- Như trên;\n- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n(Đã ký)\nNguyễn Văn An"]],
        ],
    )
    assert fields(prepared(path)) == {
        "title": "Kế hoạch thực hiện chuyển đổi số trên địa bàn tỉnh Bắc Ninh năm 2025",
        "kind": "kế hoạch",
        "number": "15/KH-UBND",
        "issuer": "UBND tỉnh Bắc Ninh",
        "date": "2025-02-03",
        "period": "2025",
        "signer": "Nguyễn Văn An",
    }


def test_docx_header_cell_with_parent_body_and_number_joined(tmp_path: Path) -> None:
    """One header row whose cells hold several paragraphs: the loader joins them on one line."""
    document = docx.Document()
    left, right = document.add_table(rows=1, cols=2).rows[0].cells
    left.text = "ỦY BAN NHÂN DÂN TỈNH BẮC NINH"
    left.add_paragraph("SỞ KHOA HỌC VÀ CÔNG NGHỆ")
    left.add_paragraph("Số: 15/KH-SKHCN")
    right.text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    right.add_paragraph(NATIONAL_MOTTO)
    right.add_paragraph("Bắc Ninh, ngày 3 tháng 2 năm 2025")
    for text in ["KẾ HOẠCH", "Thực hiện chuyển đổi số năm 2025", "Căn cứ Luật Tổ chức chính quyền địa phương;",
                 "Các chỉ tiêu chủ yếu", "Kinh tế số đạt 30% GRDP."]:
        document.add_paragraph(text)
    document.save(str(tmp_path / "so.docx"))
    meta = prepared(tmp_path / "so.docx")
    assert (meta.title, meta.number, meta.issuer, meta.date) == (
        "Kế hoạch thực hiện chuyển đổi số năm 2025", "15/KH-SKHCN",
        "Sở Khoa học và Công nghệ tỉnh Bắc Ninh",  # the issuing body, placed by its parent
        "2025-02-03",
    )


def test_number_is_read_when_stated():
    text = "ỦY BAN NHÂN DÂN TỈNH BẾN TRE\nSố: 510/BC-UBND\nBến Tre, ngày 17 tháng 11 năm 2020\nBÁO CÁO\nVề tình hình năm 2020\nNội dung."
    meta = from_text(text, "r.txt")
    assert (meta.number, meta.date, meta.issuer, meta.title) == (
        "510/BC-UBND", "2020-11-17", "UBND tỉnh Bến Tre", "Báo cáo về tình hình năm 2020"
    )


def test_markdown_header_flattened_one_cell_per_line():
    """The crawl's layout: pipes, bold broken inside names, an italic date over two lines,
    a caps trích yếu over hard line breaks and a legal basis joined onto its last line."""
    text = (
        "|\n**HỘI ĐỒNG NHÂN\nDÂN**\nTỈNH QUẢNG NAM\n-------\n|\n**CỘNG HÒA XÃ\nHỘI CHỦ NGHĨA VIỆT NAM**\n"
        f"{NATIONAL_MOTTO}\n---------------\n|\n|\nSố:\n12/2024/NQ-HĐND\n|\n*Quảng Nam, ngày 9\n"
        "tháng 7 năm 2024*\n|\n\n**NGHỊ QUYẾT**\n\nQUY ĐỊNH MỨC HỖ TRỢ HỌC SINH TỈNH QUẢNG NAM NĂM\n"
        "HỌC 2024 - 2025 *Căn cứ Luật Giáo dục năm 2019;*\n\n"
        "**Điều 1.** Hỗ trợ học sinh tỉnh Quảng Nam theo mức quy định tại Nghị quyết này.\n\n"
        "|\nNơi nhận:\n- Như Điều 1;\n|\n**CHỦ TỊCH**\n**Nguyễn\nĐức Dũng**\n|\n"
    )
    assert fields(from_text(text)) == {
        "title": "Nghị quyết quy định mức hỗ trợ học sinh tỉnh Quảng Nam năm học 2024 - 2025",
        "kind": "nghị quyết",
        "number": "12/2024/NQ-HĐND",
        "issuer": "HĐND tỉnh Quảng Nam",
        "date": "2024-07-09",
        "period": "2024-2025",
        "signer": "Nguyễn Đức Dũng",
    }


def test_official_letter_has_its_summary_under_the_number():
    text = (
        "ỦY BAN NHÂN DÂN\nTỈNH LONG AN\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        f"{NATIONAL_MOTTO}\nSố: 301/UBND-KT\nV/v triển khai thu ngân sách năm 2025\n"
        "Long An, ngày 2 tháng 1 năm 2025\nKính gửi: Các sở, ngành tỉnh.\n"
        "Ủy ban nhân dân tỉnh Long An đề nghị các sở triển khai thu ngân sách năm 2025.\n"
        "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nTrần Văn Cần\n"
    )
    meta = from_text(text)
    assert (meta.kind, meta.title, meta.number, meta.issuer, meta.date, meta.signer) == (
        "công văn", "Công văn về việc triển khai thu ngân sách năm 2025", "301/UBND-KT",
        "UBND tỉnh Long An", "2025-01-02", "Trần Văn Cần",
    )


def test_summary_starting_with_an_organ_word_is_not_taken_for_the_issuer():
    """'BAN HÀNH …' opens the trích yếu; the body repeated under it ('THỦ TƯỚNG CHÍNH PHỦ') ends it."""
    text = (
        "|\n**THỦ TƯỚNG\nCHÍNH PHỦ**\n--------\n|\n**CỘNG HÒA XÃ\nHỘI CHỦ NGHĨA VIỆT NAM**\n"
        f"{NATIONAL_MOTTO}\n|\n|\nSố: 2623/QĐ-TTg\n|\n*Hà Nội, ngày\n29 tháng 11 năm 2025*\n|\n\n"
        "**QUYẾT ĐỊNH**\n\nBAN HÀNH KẾ HOẠCH TRIỂN KHAI THI HÀNH LUẬT BẢO VỆ DỮ\nLIỆU CÁ NHÂN\n\n"
        "**THỦ TƯỚNG CHÍNH PHỦ**\n\n*Căn cứ Luật Bảo vệ dữ liệu cá nhân;*\n\n**QUYẾT ĐỊNH:**\n\n"
        "**Điều 1.** Ban hành kèm theo Quyết định này Kế hoạch triển khai thi hành Luật Bảo vệ dữ liệu cá nhân.\n"
    )
    meta = from_text(text)
    assert (meta.title, meta.issuer, meta.number, meta.date) == (
        "Quyết định ban hành Kế hoạch triển khai thi hành Luật Bảo vệ dữ liệu cá nhân",
        "Thủ tướng Chính phủ", "2623/QĐ-TTg", "2025-11-29",
    )


def test_header_reader_names_each_element():
    text = (
        "HỘI ĐỒNG NHÂN DÂN TỈNH PHÚ YÊN --------\n"
        f"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM {NATIONAL_MOTTO} ---------------\n"
        "Số: 57/NQ-HĐND\nPhú Yên, ngày 16 tháng 12 năm 2016\nNGHỊ QUYẾT\nVỀ DỰ TOÁN NGÂN SÁCH NĂM 2017\n"
        "HỘI ĐỒNG NHÂN DÂN TỈNH PHÚ YÊN KHÓA VII, KỲ HỌP THỨ 3\nCăn cứ Luật Ngân sách nhà nước năm 2015;\n"
    )
    header = read_header(plain_lines(text))
    assert header.organs == ("HỘI ĐỒNG NHÂN DÂN TỈNH PHÚ YÊN",)
    assert (header.number, header.place, header.date) == ("57/NQ-HĐND", "Phú Yên", "2016-12-16")
    assert (header.kind_name, header.summary) == ("NGHỊ QUYẾT", ("VỀ DỰ TOÁN NGÂN SÁCH NĂM 2017",))
    assert header.authority == "HỘI ĐỒNG NHÂN DÂN TỈNH PHÚ YÊN KHÓA VII, KỲ HỌP THỨ 3"


@pytest.mark.parametrize(
    ("name", "fallback", "short"),
    [
        ("HỘI ĐỒNG NHÂN DÂN TỈNH PHÚ YÊN", None, "HĐND tỉnh Phú Yên"),
        ("ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI", None, "UBND thành phố Hà Nội"),
        ("UỶ BAN NHÂN DÂN", ("tỉnh", "Bến Tre"), "UBND tỉnh Bến Tre"),
        ("Hội đồng nhân dân tỉnh Bến Tre khóa X", None, "HĐND tỉnh Bến Tre"),
        ("SỞ TÀI CHÍNH", ("tỉnh", "Sơn La"), "Sở Tài chính tỉnh Sơn La"),
        ("BỘ KẾ HOẠCH VÀ ĐẦU TƯ", None, "Bộ Kế hoạch và Đầu tư"),
    ],
)
def test_issuer_short_form(name, fallback, short):
    assert short_issuer(name, fallback) == short


def test_signer_block_is_found_before_an_annex():
    lines = plain_lines(
        "Nơi nhận:\n- Lưu: VT.\n**TM. ỦY BAN NHÂN\nDÂN **\nKT. CHỦ TỊCH\n**PHÓ CHỦ TỊCH**\n**Mai Sơn**\n\n"
        "**PHỤ LỤC**\nTÊN ĐƠN VỊ\nPhường Khương Đình\n"
    )
    block = find_signer_block(lines)
    assert block is not None
    assert (block.authority, block.position, block.name) == ("ỦY BAN NHÂN DÂN", "PHÓ CHỦ TỊCH", "Mai Sơn")


# A crawled page of a legal database: the site's notice, then its property table, then the document.
_DATABASE_PAGE = """|
|
Bản quyền thuộc về trang **
LUẬT MẪU**. Mọi hành vi sao chép mà không có sự đồng ý là vi phạm pháp luật.
|
Đang tải văn bản...
#
**Số hiệu:**
|
31/2025/NQ-HĐND
|
|
**Loại văn bản:**
|
Nghị quyết
|
**Nơi ban hành:**
|
Tỉnh Hà Giang
|
|
**Người ký:**
|
Thào Hồng Sơn
|
**Ngày ban hành:**
|
12/11/2025
|
|
**
Ngày hiệu lực:**
|
Đã biết
|
**Tình trạng:**
|
Đã biết
|
|
**HỘI ĐỒNG NHÂN
DÂN **
TỈNH HÀ GIANG
-------
|
**CỘNG HÒA XÃ HỘI
CHỦ NGHĨA VIỆT NAM**
Độc lập - Tự do - Hạnh phúc
---------------
|
|
Số: 31/2025/NQ-HĐND
|
*Hà Giang, ngày 12
tháng 11 năm 2025 *
|
**NGHỊ QUYẾT**
QUY
ĐỊNH MỨC HỖ TRỢ HỌC PHÍ ĐỐI VỚI TRẺ EM MẦM NON TRÊN ĐỊA BÀN TỈNH HÀ GIANG
**HỘI ĐỒNG NHÂN DÂN TỈNH HÀ GIANG
KHÓA XVIII, KỲ HỌP THỨ 25**
Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;
**QUYẾT NGHỊ:**
**Điều 1.** Mức hỗ trợ học phí là 150.000 đồng/trẻ/tháng.
"""


def test_a_legal_databases_property_table_is_read_and_the_document_under_it_too():
    meta = from_text(_DATABASE_PAGE)
    assert meta.number == "31/2025/NQ-HĐND"
    assert meta.kind == "nghị quyết"
    assert meta.signer == "Thào Hồng Sơn"
    assert meta.date == "2025-11-12"
    assert meta.issuer == "HĐND tỉnh Hà Giang"
    # The title is the document's own kind and trích yếu, not the site's notice.
    assert meta.title.startswith("Nghị quyết quy định mức hỗ trợ học phí đối với trẻ em mầm non"), meta.title


def test_the_property_table_fills_what_a_page_without_the_national_header_lacks():
    """A page whose text under the table is a news write-up of the decision: the table alone says what it is."""
    head = _DATABASE_PAGE.split("**HỘI ĐỒNG NHÂN")[0]
    meta = from_text(head + "## Hỗ trợ học phí mầm non\nNgày 12/11/2025, HĐND tỉnh thông qua mức hỗ trợ 150.000 đồng mỗi tháng.\n")
    assert (meta.number, meta.kind, meta.signer, meta.date) == ("31/2025/NQ-HĐND", "nghị quyết", "Thào Hồng Sơn", "2025-11-12")


def test_a_single_label_in_a_document_is_not_a_property_table():
    text = "Báo cáo nhanh\nNgười ký:\nNguyễn Văn A\nTình hình sản xuất tháng 10 ổn định, sản lượng lúa đạt 12.000 tấn.\n"
    assert read_properties(plain_lines(text)) == Properties({}, 0)


def test_article_without_header_takes_headline_and_first_full_date():
    text = (
        "Chuyên mục Kinh tế\n\nLong An đẩy mạnh xuất khẩu nông sản sang thị trường mới\n\n"
        "Ngày 5/3/2024, Sở Công Thương tỉnh Long An tổ chức hội nghị xúc tiến thương mại với nhiều doanh "
        "nghiệp trong và ngoài tỉnh nhằm mở rộng thị trường cho nông sản chủ lực năm 2024 của tỉnh.\n\n"
        "Năm 2024, tỉnh đặt mục tiêu kim ngạch xuất khẩu tăng 10% so với năm 2023.\n"
    )
    meta = from_text(text)
    assert (meta.title, meta.date, meta.number, meta.issuer, meta.period) == (
        "Long An đẩy mạnh xuất khẩu nông sản sang thị trường mới", "2024-03-05", None, None, "2024"
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
