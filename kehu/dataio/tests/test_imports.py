"""Imports end to end: preview counts, all-or-nothing commits, idempotent re-imports, whose book."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from kehu.credit.models import AuditEntry
from kehu.customers.geocoding import geocode_candidates
from kehu.customers.models import Contact, Customer, GeoSource, Lifecycle
from kehu.dataio.models import ImportMapping
from kehu.dataio.services import import_file, mapping_save
from kehu.ledger.models import Order, OrderLine, Payment, Product, Receivable
from kehu.testing import ProductFactory, make_customer

from .files import csv_bytes, xlsx

pytestmark = pytest.mark.django_db

CUSTOMERS = [
    ["客户编码", "客户名称", "统一社会信用代码", "电话", "地址", "业务员", "联系人", "职务"],
    ["C001", "上海甲润滑油有限公司", "91310000MA1K30QK2F", "021 6234 5678", "上海市浦东新区张江路1号", "alice", "张伟", "采购经理"],
    ["", "江苏乙机械有限公司", "", "+86 138 0013 8000", "江苏省南京市玄武区中山路2号", "艾丽", "", ""],
    ["C003", "浙江丙物流有限公司", "", "", "浙江省杭州市西湖区", "bob", "李娜", ""],
    ["合计", "", "", "", "", "", "", ""],
]


def run(user, kind, rows, *, commit=False, name="f.xlsx", data=None, **kw):
    return import_file(user=user, kind=kind, name=name, source=data or xlsx(rows), commit=commit, **kw)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, 0), tick=False):
        yield


def test_customers_preview_writes_nothing_then_commit_then_reimport_changes_nothing(org):
    preview = run(org.sam, "customers", CUSTOMERS)
    assert (preview.rows, preview.created, preview.updated, preview.skipped, preview.error_count) == (3, 3, 0, 0, 0)
    assert not Customer.objects.exists()

    done = run(org.sam, "customers", CUSTOMERS, commit=True)
    assert done.committed and done.created == 3
    first = Customer.objects.get(code="C001")
    assert first.owner == org.alice and first.phone == "021-62345678" and first.province == "上海市"
    assert first.region == org.east and first.lifecycle == Lifecycle.CUSTOMER and first.lng is not None
    assert "zhangwei" in first.search_text and first.pinyin.startswith("shanghai")
    assert first.contacts.get().name == "张伟"
    second = Customer.objects.get(name="江苏乙机械有限公司")
    assert second.code.startswith("KH") and second.phone == "13800138000"

    snapshot = list(Customer.objects.order_by("pk").values())
    again = run(org.sam, "customers", CUSTOMERS, commit=True)
    assert (again.created, again.updated, again.skipped) == (0, 0, 3)
    assert list(Customer.objects.order_by("pk").values()) == snapshot
    assert Contact.objects.count() == 2


def test_changed_rows_update(org):
    run(org.sam, "customers", CUSTOMERS, commit=True)
    rows = [r[:] for r in CUSTOMERS]
    rows[1][4] = "北京市海淀区中关村大街1号"
    rows[3][5] = "alice"
    outcome = run(org.sam, "customers", rows, commit=True)
    assert (outcome.created, outcome.updated, outcome.skipped) == (0, 2, 1)
    moved = Customer.objects.get(code="C001")
    assert moved.province == "北京市" and "北京市海淀区" in moved.search_text
    assert Customer.objects.get(code="C003").owner == org.alice


def test_a_changed_address_drops_a_geocoded_position(org):
    run(org.sam, "customers", CUSTOMERS, commit=True)
    Customer.objects.filter(code__in=["C001", "C003"]).update(
        lat=Decimal("31.2"), lng=Decimal("121.6"), geo_source=GeoSource.GEOCODED)
    rows = [r[:] for r in CUSTOMERS]
    rows[1][4] = "张江路1号"  # the district table cannot place it: no position until geocoded again
    run(org.sam, "customers", rows, commit=True)
    moved = Customer.objects.get(code="C001")
    assert (moved.lat, moved.lng, moved.geo_source) == (None, None, GeoSource.NONE)
    assert moved in geocode_candidates()
    kept = Customer.objects.get(code="C003")  # its address did not change
    assert (kept.lat, kept.geo_source) == (Decimal("31.200000"), GeoSource.GEOCODED)


def test_failing_last_row_leaves_nothing_behind(org):
    rows = CUSTOMERS[:-1] + [["C004", "安徽丁化工有限公司", "91310000MA1K30QK2X", "", "", "alice", "", ""]]
    outcome = run(org.sam, "customers", rows, commit=True)
    assert not outcome.committed and outcome.error_count == 1
    error = outcome.errors[0]
    assert (error.row, error.column, error.value) == (5, "C · 统一社会信用代码", "91310000MA1K30QK2X")
    assert "check digit" in error.reason
    assert not Customer.objects.exists() and not Contact.objects.exists()


def test_every_error_listed_with_row_column_value_reason(org):
    rows = [["客户名称", "电话", "业务员", "行业", "客户编码"],
            ["", "13800138000", "alice", "", "X1"],
            ["甲公司", "12345", "nobody", "造船", "X2"],
            ["乙公司", "", "", "", "X2"]]
    outcome = run(org.sam, "customers", rows)
    found = {(e.row, e.column.split(" · ")[1]): e.reason for e in outcome.errors}
    assert "name is missing" in found[(2, "客户名称")]
    assert "not a phone number" in found[(3, "电话")]
    assert "No active user" in found[(3, "业务员")]
    assert "No such industry" in found[(3, "行业")]
    assert "Repeats row 3" in found[(4, "客户编码")]


def test_rep_cannot_import_into_another_reps_book(org):
    refused = run(org.alice, "customers", [["客户名称", "业务员"], ["甲公司", "bob"]], commit=True)
    assert not refused.committed and "cannot import into 鲍勃's book" in refused.errors[0].reason
    theirs = make_customer(org.bob, "鲍勃的客户有限公司", code="B1")
    refused = run(org.alice, "customers", [["客户编码", "客户名称"], ["B1", "改名有限公司"]], commit=True)
    assert "another rep's book" in refused.errors[0].reason
    theirs.refresh_from_db()
    assert theirs.name == "鲍勃的客户有限公司"
    own = run(org.alice, "customers", [["客户名称"], ["艾丽的新客户有限公司"]], commit=True)
    assert own.committed and Customer.objects.get(name="艾丽的新客户有限公司").owner == org.alice


def test_supervisor_imports_into_team_not_other_team(org):
    assert run(org.sam, "customers", [["客户名称", "业务员"], ["甲公司", "bob"]]).ok
    outcome = run(org.sam, "customers", [["客户名称", "业务员"], ["甲公司", "carol"]])
    assert outcome.error_count == 1
    assert "credit" not in [k for k in ("customers",)]
    assert run(org.cathy, "customers", [["客户名称"], ["甲公司"]]).problem  # credit owns no book


def test_prospects_with_chinese_source_methods(org):
    rows = [["公司名称", "开发方式", "颜色等级", "来源说明"], ["甲公司", "展览会搜集法", "黄", "2026 上海润滑油展"],
            ["乙公司", "既有客户利用法", "", ""], ["丙公司", "", "", ""], ["丁公司", "托梦", "", ""]]
    outcome = run(org.alice, "prospects", rows)
    assert outcome.error_count == 2
    assert run(org.alice, "prospects", rows[:3], commit=True).committed
    first = Customer.objects.get(name="甲公司")
    assert (first.lifecycle, first.source, first.colour) == ("prospect", "exhibition", "yellow")
    assert Customer.objects.get(name="乙公司").source == "previous_customers"


def test_contacts(org):
    customer = make_customer(org.alice, "甲公司", code="A1")
    rows = [["客户编码", "姓名", "手机", "生日", "邮箱"], ["A1", "王芳", "139 0000 1111", "3月8日", "wf@example.com"],
            ["A1", "赵强", "", "1980-05-04", ""]]
    assert run(org.alice, "contacts", rows, commit=True).created == 2
    assert run(org.alice, "contacts", rows, commit=True).skipped == 2
    wang = customer.contacts.get(name="王芳")
    assert (wang.phone, wang.birthday_month, wang.birthday_day) == ("13900001111", 3, 8)
    customer.refresh_from_db()
    assert "13900001111" in customer.search_text
    assert "No such customer" in run(org.bob, "contacts", rows).errors[0].reason


def test_products_admin_only(org):
    rows = [["产品编码", "产品名称", "类别", "规格", "单价", "销售单位"], ["P9", "长城液压油", "液压油", "L-HM 46", "¥1,280", "桶"]]
    assert "administrator" in run(org.alice, "products", rows).problem
    assert run(org.ada, "products", rows, commit=True).created == 1
    product = Product.objects.get(code="P9")
    assert (product.category, product.list_price, product.sales_unit) == ("hydraulic_oil", Decimal("1280.00"), "drum")
    assert run(org.ada, "products", rows, commit=True).skipped == 1


def _order_rows(org):
    return [
        ["订单号", "客户编码", "订单日期", "状态", "产品编码", "数量", "单价", "金额"],
        ["SO1", "A1", "2026/10/08", "已开票", org.product.code, "10", "420", "4,200.00"],
        ["SO2", "A1", "2026年10月9日", "", org.product.code, "2", "", ""],
        ["SO1", "A1", "2026/10/08", "已开票", org.product.code, "1", "", "1.2万"],
    ]


def test_orders_grouped_by_number_with_status_and_idempotent(org):
    customer = make_customer(org.alice, "甲公司", code="A1", payment_terms_days=30)
    rows = _order_rows(org)
    preview = run(org.cathy, "orders", rows)
    assert preview.ok and preview.created == 3
    assert run(org.cathy, "orders", rows, commit=True).committed
    so1 = Order.objects.get(number="SO1")
    assert (so1.status, so1.total, so1.lines.count(), so1.handler) == ("invoiced", Decimal("16200.00"), 2, org.alice)
    receivable = Receivable.objects.get(order=so1)
    assert receivable.due_on == datetime.date(2026, 11, 7) and receivable.amount == Decimal("16200.00")
    assert Order.objects.get(number="SO2").status == "paid"  # history with no status is settled business
    assert Order.objects.get(number="SO2").total == Decimal("840.00")
    again = run(org.cathy, "orders", rows, commit=True)
    assert (again.created, again.skipped) == (0, 3)
    assert OrderLine.objects.count() == 3
    assert customer.orders.count() == 2


def test_orders_into_another_reps_customer_refused(org):
    make_customer(org.alice, "甲公司", code="A1")
    outcome = run(org.bob, "orders", _order_rows(org), commit=True)
    assert not outcome.committed and "No such customer in your book" in outcome.errors[0].reason
    assert not Order.objects.exists()


def test_order_errors(org):
    make_customer(org.alice, "甲公司", code="A1")
    rows = [["订单号", "客户编码", "订单日期", "产品编码", "数量", "单价", "金额"],
            ["SO1", "A1", "2026-13-01", "NOPE", "-1", "10", "10"],
            ["SO2", "A1", "2026-10-01", ProductFactory().code, "2", "10", "50"]]
    reasons = [e.reason for e in run(org.alice, "orders", rows).errors]
    assert any("not a date that exists" in r for r in reasons)
    assert any("No product has this code" in r for r in reasons)
    assert any("Negative" in r for r in reasons)
    assert any("not the quantity times the unit price" in r for r in reasons)


def test_payments_pay_oldest_first_and_reimport_is_skipped(org):
    make_customer(org.alice, "甲公司", code="A1", payment_terms_days=30)
    run(org.cathy, "orders", _order_rows(org), commit=True)
    rows = [["客户编码", "回款日期", "回款金额", "方式", "凭证号"], ["A1", "2026-11-01", "¥10,000", "银行转账", "B001"]]
    assert "does not record payments" in run(org.alice, "payments", rows).problem
    assert run(org.cathy, "payments", rows, commit=True).created == 1
    assert Receivable.objects.get().paid == Decimal("10000.00")
    assert run(org.cathy, "payments", rows, commit=True).skipped == 1
    assert Payment.objects.count() == 1
    future = run(org.cathy, "payments", [rows[0], ["A1", "2027-01-01", "(5)", "", ""]])
    assert {e.column.split(" · ")[1] for e in future.errors} == {"回款日期", "回款金额"}


def test_csv_gbk_import_and_mapping_saved(org):
    rows = [["公司全称", "手机号码", "区域经理"], ["甲公司", "13800138000", "alice"]]
    data = csv_bytes(rows, encoding="gbk")
    assert "company name" in run(org.sam, "customers", rows, name="f.csv", data=data).problem
    mapping_save(user=org.sam, kind="customers", header=rows[0], mapping=["name", "phone", "owner"])
    assert ImportMapping.objects.count() == 1
    outcome = run(org.sam, "customers", rows, name="f.csv", data=data, commit=True)
    assert outcome.committed and Customer.objects.get().owner == org.alice


def test_command_checks_then_commits(org, tmp_path, capsys, monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    path = tmp_path / "customers.xlsx"
    path.write_bytes(xlsx(CUSTOMERS))
    call_command("import", "customers", str(path), "--as", "sam")
    captured = capsys.readouterr()
    assert "would import" in captured.out and not Customer.objects.exists()
    assert captured.err == ""  # no progress bar into a pipe or a log
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    call_command("import", "customers", str(path), "--as", "sam", "--commit")
    assert "3 to create" in capsys.readouterr().out
    assert "4/4 rows 100%" in terminal.getvalue() and terminal.getvalue().endswith("\n")
    assert Customer.objects.count() == 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["客户名称", "业务员"], ["甲公司", "carol"]]))
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import", "customers", str(bad), "--as", "alice", "--commit")
    call_command("import", "customers", str(bad), "--as", "sam", "--mapping", "业务员=", "--commit")
    assert Customer.objects.get(name="甲公司").owner == org.sam


def test_audit_untouched_by_customer_imports(org):
    run(org.sam, "customers", CUSTOMERS, commit=True)
    assert not AuditEntry.objects.exists()
