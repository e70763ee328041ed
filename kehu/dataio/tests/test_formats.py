"""Real .xls and .ods files (made once with LibreOffice, see fixtures/README.md) and the same sheets as .xlsx."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.db import transaction

from kehu.core.tables import ReadError, open_table
from kehu.customers.models import Contact, Customer
from kehu.dataio.mapping import known_header
from kehu.dataio.services import import_file
from kehu.dataio.values import text
from kehu.ledger.models import Order, OrderLine
from kehu.testing import ProductFactory, make_customer

from .files import csv_bytes

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
FORMATS = ["xlsx", "xls", "ods"]
CUSTOMER_HEADER = ["客户编码", "客户名称", "统一社会信用代码", "电话", "联系人", "地址", "业务员"]
ORDER_HEADER = ["订单号", "客户编码", "订单日期", "产品编码", "数量", "单价", "金额"]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def run(user, kind, name, *, commit=False, data=None):
    return import_file(user=user, kind=kind, name=name, source=fixture(name) if data is None else data, commit=commit)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, 0), tick=False):
        yield


def products():
    for code, name, price in (("HM46-170KG", "长城卓力抗磨液压油", "4850.00"), ("CI4-18L", "长城柴油机油", "420.00"),
                              ("GL5-18L", "长城重负荷齿轮油", "1680.00")):
        ProductFactory(code=code, name=name, list_price=Decimal(price))


# ── the reader ───────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("suffix", FORMATS)
def test_header_found_under_title_and_merged_heading_filled(suffix):
    table = open_table(f"customers.{suffix}", fixture(f"customers.{suffix}"), known=known_header("customers"))
    assert (table.header, table.header_row, table.letters) == (CUSTOMER_HEADER, 3, list("ABCDEFG"))
    rows = list(table.rows)
    # Row 6 is blank and row 9 is the 合计 row: both left out; the numbers are the sheet's own.
    assert [n for n, _values in rows] == [4, 5, 7, 8]
    assert [text(values[0]) for _n, values in rows] == ["1001", "C1002", "C1003", "C1004"]
    assert text(rows[1][1][3]) == "13912345678"  # a number cell, not 13912345678.0


@pytest.mark.parametrize("suffix", FORMATS)
def test_order_dates_are_dates_not_serial_numbers(suffix):
    table = open_table(f"orders.{suffix}", fixture(f"orders.{suffix}"), known=known_header("orders"))
    assert (table.header, table.header_row) == (ORDER_HEADER, 2)
    rows = list(table.rows)
    assert [n for n, _values in rows] == [3, 4, 5, 6]
    assert [values[2] for _n, values in rows] == [
        datetime.date(2026, 3, 2), datetime.date(2026, 3, 2), "2026年3月5日", datetime.date(2026, 3, 9)]
    assert [values[5] for _n, values in rows[2:]] == ["４２０", "¥1,680.00"]
    assert [float(values[6]) for _n, values in rows] == [9700, 4200, 8400, 5040]  # formulas read as their values


def test_two_row_header_without_merges_as_csv_keeps_it():
    """A .csv saved from the customer sheet has the .ods shape: row 3 holds 电话 and 联系人, blanks elsewhere."""
    rows = [["2026年华东区客户名单", "", "", "", "", "", ""],
            ["客户编码", "客户名称", "统一社会信用代码", "联系方式", "", "地址", "业务员"],
            ["", "", "", "电话", "联系人", "", ""],
            ["C1002", "苏州恒力机械制造有限公司", "", "13912345678", "李娜", "江苏省苏州市", "bob"]]
    table = open_table("a.csv", csv_bytes(rows, encoding="utf-8-sig"), known=known_header("customers"))
    assert (table.header, table.header_row) == (CUSTOMER_HEADER, 3)
    assert [n for n, _values in table.rows] == [4]


@pytest.mark.parametrize("name", ["customers.xls", "customers.ods", "orders.xls", "orders.ods"])
def test_cut_short_file_is_a_read_error(name, tmp_path):
    damaged = fixture(name)[:-100]
    path = tmp_path / name
    path.write_bytes(damaged)
    for source in (damaged, path):  # uploaded bytes, and a path as the command gives
        with pytest.raises(ReadError, match="cannot be read as a spreadsheet|damaged or cut short"):
            open_table(name, source)


@pytest.mark.parametrize("name", ["customers.xls", "customers.ods", "orders.xls", "orders.ods"])
def test_cut_short_file_imports_nothing(org, name):
    make_customer(org.alice, "南京紫金润滑油有限公司", code="1001")
    products()
    kind = name.split(".")[0]
    outcome = run(org.sam, kind, name, data=fixture(name)[:-100], commit=True)
    assert any(m in outcome.problem for m in ("cannot be read as a spreadsheet", "damaged or cut short"))
    assert not outcome.committed and outcome.rows == 0
    assert Customer.objects.count() == 1 and not Order.objects.exists()


# ── imports ──────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("suffix", FORMATS)
def test_customers_preview_commit_reimport(org, suffix):
    name = f"customers.{suffix}"
    preview = run(org.sam, "customers", name)
    assert (preview.rows, preview.created, preview.updated, preview.skipped, preview.error_count, preview.problem) == (
        4, 4, 0, 0, 0, "")
    assert not Customer.objects.exists()

    done = run(org.sam, "customers", name, commit=True)
    assert done.committed and (done.created, done.updated, done.skipped) == (4, 0, 0)
    got = {c.code: (c.name, c.uscc, c.phone, c.province, c.city, c.owner.username, c.region)
           for c in Customer.objects.select_related("owner")}
    assert got == {
        "1001": ("南京紫金润滑油有限公司", "91320102MA1MXK3H7K", "025-84567890-8001", "江苏省", "南京市", "alice", org.east),
        "C1002": ("苏州恒力机械制造有限公司", "91320594MA1P4R2W5Y", "13912345678", "江苏省", "苏州市", "bob", org.east),
        "C1003": ("杭州西湖物流有限公司", "", "13800138000", "浙江省", "杭州市", "alice", org.east),
        "C1004": ("上海浦江化工有限公司", "91310115MA1H8UQ92N", "021-62345678", "上海市", "上海市", "bob", org.east),
    }
    assert Customer.objects.get(code="1001").address == "江苏省南京市玄武区中山路18号"
    assert sorted(Contact.objects.values_list("customer__code", "name", "phone")) == [
        ("1001", "王建国", "025-84567890-8001"), ("C1002", "李娜", "13912345678"), ("C1004", "陈静", "021-62345678")]

    snapshot = list(Customer.objects.order_by("pk").values())
    again = run(org.sam, "customers", name, commit=True)
    assert again.committed and (again.created, again.updated, again.skipped, again.error_count) == (0, 0, 4, 0)
    assert list(Customer.objects.order_by("pk").values()) == snapshot
    assert Contact.objects.count() == 3


@pytest.mark.parametrize("suffix", FORMATS)
def test_orders_preview_commit_reimport(org, suffix):
    """History from the ERP, brought in by credit control: the statuses stay (no status column: paid)."""
    products()
    for code, company in (("1001", "南京紫金润滑油有限公司"), ("C1002", "苏州恒力机械制造有限公司"), ("C1004", "上海浦江化工有限公司")):
        make_customer(org.alice, company, code=code)
    name = f"orders.{suffix}"
    preview = run(org.cathy, "orders", name)
    assert (preview.rows, preview.created, preview.updated, preview.skipped, preview.error_count, preview.problem) == (
        4, 4, 0, 0, 0, "")
    assert not Order.objects.exists()

    done = run(org.cathy, "orders", name, commit=True)
    assert done.committed and done.created == 4
    orders = {o.number: (o.customer.code, o.order_date, o.total, o.status, o.handler)
              for o in Order.objects.select_related("customer")}
    assert orders == {
        "SO2603001": ("1001", datetime.date(2026, 3, 2), Decimal("13900.00"), "paid", org.alice),
        "SO2603002": ("C1002", datetime.date(2026, 3, 5), Decimal("8400.00"), "paid", org.alice),
        "SO2603003": ("C1004", datetime.date(2026, 3, 9), Decimal("5040.00"), "paid", org.alice),
    }
    lines = sorted(OrderLine.objects.values_list("order__number", "product__code", "quantity", "unit_price", "amount"))
    assert lines == [
        ("SO2603001", "CI4-18L", Decimal("10.000"), Decimal("420.00"), Decimal("4200.00")),
        ("SO2603001", "HM46-170KG", Decimal("2.000"), Decimal("4850.00"), Decimal("9700.00")),
        ("SO2603002", "CI4-18L", Decimal("20.000"), Decimal("420.00"), Decimal("8400.00")),
        ("SO2603003", "GL5-18L", Decimal("3.000"), Decimal("1680.00"), Decimal("5040.00")),
    ]

    again = run(org.cathy, "orders", name, commit=True)
    assert again.committed and (again.created, again.updated, again.skipped, again.error_count) == (0, 0, 4, 0)
    assert (Order.objects.count(), OrderLine.objects.count()) == (3, 4)


def _imported(org, suffix: str) -> dict:
    """Customers then orders from one format, as plain data (no pks or timestamps); then rolled back."""
    with transaction.atomic():
        for kind in ("customers", "orders"):
            assert run(org.sam, kind, f"{kind}.{suffix}", commit=True).committed
        code_of = dict(Customer.objects.values_list("pk", "code"))
        skip = {"id", "created_at", "updated_at"}
        data = {
            "customers": sorted(tuple((k, v) for k, v in c.items() if k not in skip) for c in Customer.objects.values()),
            "contacts": sorted((code_of[c["customer_id"]], *(v for k, v in c.items() if k not in skip | {"customer_id"}))
                               for c in Contact.objects.values()),
            "orders": sorted((code_of[o["customer_id"]], *(v for k, v in o.items() if k not in skip | {"customer_id"}))
                             for o in Order.objects.values()),
            "lines": sorted(OrderLine.objects.values_list("order__number", "product__code", "quantity", "unit_price", "amount")),
        }
        transaction.set_rollback(True)
    return data


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_same_sheets_as_xlsx_xls_ods_import_the_same_data(org, suffix):
    products()
    expected = _imported(org, "xlsx")
    assert not Customer.objects.exists()
    assert len(expected["customers"]) == 4 and len(expected["orders"]) == 3 and len(expected["lines"]) == 4
    assert _imported(org, suffix) == expected


def test_an_xls_that_kills_its_reader_is_a_read_error_not_a_dead_server(monkeypatch):
    """Some damaged .xls files make calamine abort the process; the file is opened in a child
    process first, and a child that dies is a clear message."""
    from kehu.core import tables as readers

    data = (FIXTURES / "customers.xls").read_bytes()
    monkeypatch.setattr(readers, "_PROBE", "import os; os.abort()")
    with pytest.raises(readers.ReadError, match="damaged or cut short"):
        readers.open_table("customers.xls", data)
    monkeypatch.setattr(readers, "_PROBE", "import sys; sys.exit(0)")
    assert readers.open_table("customers.xls", data, known=known_header("customers")).header_row == 3
