"""Values as people type them, and every file format and encoding Kehu reads."""

import datetime
from decimal import Decimal

import pytest

from kehu.core.tables import ReadError, open_table
from kehu.dataio import values as v
from kehu.dataio.mapping import guess_mapping, known_header

from .files import csv_bytes, xlsx

D = datetime.date(2026, 11, 26)


@pytest.mark.parametrize("raw", [
    "2026-11-26", "2026/11/26", "2026.11.26", "2026年11月26日", "20261126", 20261126, 46352, 46352.0, "46352",
    datetime.datetime(2026, 11, 26, 15, 30), D, "2026-11-26 00:00:00", "２０２６－１１－２６",
])
def test_dates(raw):
    assert v.parse_date(raw) == D


@pytest.mark.parametrize("raw", ["2026-02-30", "next week", "26/11/2026x", True])
def test_dates_refused(raw):
    with pytest.raises(ValueError):
        v.parse_date(raw)


@pytest.mark.parametrize("raw, expected", [
    ("1,234.50", "1234.50"), ("¥1,234.5", "1234.50"), ("￥ 800", "800.00"), ("1234元", "1234.00"),
    ("12.5万元", "125000.00"), ("3万", "30000.00"), ("１２３４．５", "1234.50"), (1234.5, "1234.50"), (99, "99.00"),
    ("RMB 10", "10.00"), ("1，000", "1000.00"),
])
def test_amounts(raw, expected):
    assert v.parse_decimal(raw) == Decimal(expected)


def test_negative_amounts_refused_unless_allowed():
    for raw in ("(123.00)", "-5", -5):
        with pytest.raises(ValueError, match="Negative"):
            v.parse_decimal(raw)
    assert v.parse_decimal("(123.00)", allow_negative=True) == Decimal("-123.00")


@pytest.mark.parametrize("raw", ["abc", "1.2.3", "", True])
def test_amounts_refused(raw):
    with pytest.raises(ValueError):
        v.parse_decimal(raw)


@pytest.mark.parametrize("raw, expected", [
    ("138 0013 8000", "13800138000"), ("+86 138-0013-8000", "13800138000"), (13800138000.0, "13800138000"),
    ("021-6234 5678 转 801", "021-62345678-801"), ("(0512) 6788 1234", "0512-67881234"),
])
def test_phones(raw, expected):
    assert v.parse_phone(raw) == expected


def test_phone_refused():
    with pytest.raises(ValueError, match="not a phone number"):
        v.parse_phone("12345")


ROWS = [["客户名称", "电话", "金额"], ["上海甲公司", "13800138000", "1,000"], ["", "", ""],
        ["江苏乙公司", "021-62345678", "2000"], ["合计", "", "3000"]]


def _read(name, data):
    table = open_table(name, data, known=known_header("customers"))
    return table, list(table.rows)


def test_xlsx_blank_and_total_rows_left_out():
    table, rows = _read("a.xlsx", xlsx(ROWS))
    assert table.header == ["客户名称", "电话", "金额"]
    assert [(n, r[0]) for n, r in rows] == [(2, "上海甲公司"), (4, "江苏乙公司")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings(encoding):
    table, rows = _read("a.csv", csv_bytes(ROWS, encoding=encoding))
    assert table.header[0] == "客户名称"
    assert [r[0] for _n, r in rows] == ["上海甲公司", "江苏乙公司"]


def test_csv_not_text():
    with pytest.raises(ReadError):
        _read("a.csv", b"\xff\xfe\x00\x81\x00\x82" * 10)


def test_a_header_repeated_further_down_is_left_out():
    _table, rows = _read("a.csv", csv_bytes([ROWS[0], ROWS[1], ROWS[0], ROWS[3]]))
    assert [(n, r[0]) for n, r in rows] == [(2, "上海甲公司"), (4, "江苏乙公司")]


def test_a_nul_in_a_csv_cell_is_dropped():
    _table, rows = _read("a.csv", "客户名称,电话\n上海\x00甲公司,13800138000\n".encode())
    assert rows[0][1][0] == "上海甲公司"


def test_a_web_page_named_xls_is_refused_in_words():
    with pytest.raises(ReadError, match="web page"):
        _read("a.xls", b"\xef\xbb\xbf <html><table><tr><td>\xe5\xae\xa2</td></tr></table></html>")


def test_a_sheet_reaching_its_last_cell_is_refused_not_a_crash():
    import io
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(xlsx(ROWS))), io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        for item in source.infolist():
            body = source.read(item.filename)
            book.writestr(item.filename, body.replace(b'r="A2"', b'r="XFD1048576"'))
    with pytest.raises(ReadError, match="too large to open"):
        _read("a.xlsx", out.getvalue())


def test_title_row_and_merged_two_row_header():
    data = xlsx(
        [["2026年客户清单", None, None, None], [None, None, None, None], ["客户名称", "联系方式", None, "地址"],
         [None, "电话", "手机", None], ["上海甲公司", "021-62345678", "13800138000", "上海市"]],
        merges=[(0, 0, 0, 3, "2026年客户清单"), (2, 1, 2, 2, "联系方式"), (2, 0, 3, 0, "客户名称"), (2, 3, 3, 3, "地址")],
    )
    table, rows = _read("a.xlsx", data)
    assert table.header == ["客户名称", "电话", "手机", "地址"]
    assert table.header_row == 4
    assert rows == [(5, ["上海甲公司", "021-62345678", "13800138000", "上海市"])]
    assert guess_mapping("customers", table.header) == ["name", "phone", "", "address"]


def test_unknown_suffix_and_broken_file():
    with pytest.raises(ReadError):
        _read("a.pdf", b"%PDF")
    with pytest.raises(ReadError):
        _read("a.xlsx", b"not a zip")


def test_english_headers():
    assert guess_mapping("orders", ["Order No", "Customer Code", "Date", "SKU", "Qty", "Unit Price", "Amount"]) == [
        "number", "customer_code", "order_date", "product_code", "quantity", "unit_price", "amount"]
    assert guess_mapping("customers", ["Company Name", "USCC", "Mobile", "Owner", "客户名称（必填）*"]) == [
        "name", "uscc", "phone", "owner", ""]


def test_csv_is_read_as_a_stream_from_a_path_and_a_damaged_tail_is_a_clear_problem(org, tmp_path):
    """A CSV is decoded as it is read; bytes that stop being UTF-8 after the first megabyte give a
    message with the row, and a commit of such a file writes nothing."""
    from kehu.customers.models import Customer
    from kehu.dataio.services import import_file

    # Wide rows (a column no field takes, padded) pass the first megabyte in fewer rows.
    rows = 5_000
    head = "客户名称,电话,内部记录\n" + "".join(f"流式测试{i}号有限公司,139{i:08d},{'备用' * 60}\n" for i in range(rows))
    assert len(head.encode()) > (1 << 20) and len(head.encode("gb18030")) > (1 << 20)
    path = tmp_path / "big.csv"
    path.write_bytes(head.encode("utf-8") + "坏行公司,13900000000,\n".encode("gbk"))
    outcome = import_file(user=org.alice, kind="customers", name="big.csv", source=path, commit=True)
    assert not outcome.committed and "no longer UTF-8" in outcome.problem
    row = int(outcome.problem.split("row ")[1].split()[0])
    assert rows - 100 < row <= rows + 1  # decoded a block at a time: the last row read before the bad bytes
    assert not Customer.objects.exists()

    good = tmp_path / "good.csv"
    good.write_bytes(head.encode("gb18030"))
    checked = import_file(user=org.alice, kind="customers", name="good.csv", source=good)
    assert checked.ok and checked.created == rows
