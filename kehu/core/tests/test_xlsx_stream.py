"""The streamed workbook: the first bytes go out before any row is read, and what Excel-compatible
readers get back is what was written (texts with markup or control characters, numbers, money,
dates, times, many columns)."""

import datetime
import io
from decimal import Decimal

from python_calamine import CalamineWorkbook

from kehu.core.xlsx import export_response, xlsx_stream


def test_the_first_bytes_go_out_before_any_row_is_read():
    read = []

    def rows():
        for n in range(3000):
            read.append(n)
            yield [f"SO-{n}", n]

    pieces = xlsx_stream("订单", ["订单号", "数量"], rows())
    first = next(pieces)
    assert first.startswith(b"PK") and read == []
    second = next(pieces)
    assert second and len(read) < 3000  # the rows go out as they are read, not all at the end
    rest = b"".join(pieces)
    assert len(read) == 3000
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(first + second + rest)).get_sheet_by_index(0).to_python()
    assert len(sheet) == 3001 and sheet[-1] == ["SO-2999", 2999]


def test_values_read_back_as_written():
    when = datetime.datetime(2026, 11, 26, 9, 30)
    header = ["文本", "数", "金额", "日期", "时间", "真假"] + [f"c{i}" for i in range(30)]
    rows = [["<b>A&B</b> \x07响铃", 12, Decimal("1234.50"), datetime.date(2026, 2, 28), when, True] + list(range(30)),
            ["", None, Decimal("-0.01"), None, None, False] + [None] * 30]
    data = b"".join(xlsx_stream("a/b:c*?[x]", header, rows))
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheet = book.get_sheet_by_index(0).to_python()
    assert sheet[0] == header
    assert sheet[1][:6] == ["<b>A&B</b> 响铃", 12, 1234.5, datetime.date(2026, 2, 28), when, True]
    assert sheet[1][35] == 29  # column AJ
    assert sheet[2][2] == -0.01 and sheet[2][5] is False
    assert book.sheet_names == ["a b c   x "]  # the characters a sheet name may not hold


def test_the_export_response_streams_in_the_request_s_language(settings):
    from django.utils import translation

    from kehu.ledger.models import OrderStatus

    def rows():
        yield [str(OrderStatus.CONFIRMED.label)]

    with translation.override("zh-hans"):
        response = export_response("xlsx", "orders", "订单", ["状态"], rows())
    translation.activate("en")  # the server thread serves someone else before the rows are written
    data = b"".join(response.streaming_content)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert sheet[1] == ["已确认"]
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
