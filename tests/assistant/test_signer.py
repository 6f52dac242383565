""""Who signed it?" over a decision that issues a plan: the signer block stands before the plan, mid-document."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.service import Assistant
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

_HEADER = """ỦY BAN NHÂN DÂN TỈNH HÒA BÌNH
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 812/QĐ-UBND
Hòa Bình, ngày 14 tháng 10 năm 2025

QUYẾT ĐỊNH
Về việc ban hành Kế hoạch phát triển du lịch cộng đồng tỉnh Hòa Bình giai đoạn 2026 - 2030

ỦY BAN NHÂN DÂN TỈNH HÒA BÌNH

Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;
Theo đề nghị của Giám đốc Sở Văn hóa, Thể thao và Du lịch.

QUYẾT ĐỊNH:

Điều 1. Ban hành kèm theo Quyết định này Kế hoạch phát triển du lịch cộng đồng tỉnh Hòa Bình giai đoạn 2026 - 2030.

Điều 2. Quyết định này có hiệu lực kể từ ngày ký.

Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc các sở, ngành chịu trách nhiệm thi hành Quyết định này./.

Nơi nhận:
- Như Điều 3;
- Lưu: VT.

TM. ỦY BAN NHÂN DÂN
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH

Đinh Công Sứ

KẾ HOẠCH
Phát triển du lịch cộng đồng tỉnh Hòa Bình giai đoạn 2026 - 2030
(Ban hành kèm theo Quyết định số 812/QĐ-UBND ngày 14 tháng 10 năm 2025 của Ủy ban nhân dân tỉnh)
"""

_TOPICS = [
    "đón khách du lịch", "phát triển homestay", "đào tạo nhân lực", "xúc tiến quảng bá", "bảo tồn văn hóa",
    "hạ tầng giao thông", "sản phẩm OCOP", "chuyển đổi số", "an toàn thực phẩm", "môi trường cảnh quan",
    "liên kết vùng", "hỗ trợ vốn vay",
]


def _plan() -> str:
    parts = []
    for n, topic in enumerate(_TOPICS, start=1):
        sentences = " ".join(
            f"Các huyện, thành phố chủ động bố trí nguồn lực để thực hiện nội dung {topic} tại {k} xã trọng điểm "
            f"trong năm {2025 + k}, bảo đảm tiến độ và hiệu quả."
            for k in range(1, 6)
        )
        parts.append(f"{n}. Nhiệm vụ về {topic}\n{sentences}")
    return "\n\n".join(parts)


def test_who_signed_a_decision_whose_signature_stands_before_the_plan_it_issues(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "qd-812-dulich.txt").write_text(_HEADER + "\n" + _plan() + "\n", encoding="utf-8")
    settings = make_settings(tmp_path / "data")
    assistant = Assistant.from_settings(settings)
    assert assistant.ingest([corpus]).ok

    result = assistant.answer("Quyết định 812/QĐ-UBND về du lịch cộng đồng Hòa Bình do ai ký?")

    assert result.found, result.answer
    assert "Đinh Công Sứ" in result.answer
    assert any("Đinh Công Sứ" in c.quote for c in result.citations), result.citations
