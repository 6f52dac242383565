"""Small resolutions the upload tests send: each names a figure no bundled document has."""

TOURISM = """NGHỊ QUYẾT
Về phát triển du lịch huyện Ba Tri đến năm 2030

Điều 1. Chỉ tiêu chủ yếu
a) Đón 1.250.000 lượt khách du lịch vào năm 2030;
b) Doanh thu từ du lịch đạt 3.400 tỷ đồng vào năm 2030.
"""
FLOWERS = """NGHỊ QUYẾT
Về phát triển hoa kiểng huyện Chợ Lách năm 2025

Điều 1. Chỉ tiêu chủ yếu
a) Diện tích hoa kiểng của huyện đạt 2.345 ha;
b) Tỷ lệ lao động qua đào tạo đạt 72%.
"""
FISH = """KẾ HOẠCH
Về nuôi trồng thủy sản huyện Bình Đại năm 2026

1. Chỉ tiêu
a) Sản lượng thủy sản nuôi đạt 98.765 tấn;
b) Diện tích nuôi tôm thẻ chân trắng đạt 4.321 ha.
"""
