"""Every list exports what its user sees: their visibility, their filters, their language."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.ledger.models import PaymentMethod
from kehu.ledger.selectors import order_visible
from kehu.ledger.services import order_create
from kehu.testing import make_customer

pytestmark = pytest.mark.django_db

ROLES = ["alice", "bob", "carol", "sam", "sue", "kim", "cathy", "sid", "ada"]


@pytest.fixture
def book(org):
    customers = [
        make_customer(org.alice, "艾丽机械制造有限公司", payment_terms_days=30),
        make_customer(org.alice, "艾丽物流有限公司"),
        make_customer(org.bob, "鲍勃物流有限公司"),
        make_customer(org.carol, "卡罗建筑工程有限公司"),
        make_customer(org.carol, "中国石化大客户有限公司", is_key_account=True),
    ]
    orders = [
        order_create(user=c.owner, customer=c, payment_method=PaymentMethod.CASH,
                     lines=[{"product": org.product, "quantity": str(i + 1)}])
        for i, c in enumerate(customers)
    ]
    return customers, orders


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(body[1:])))


def read_xlsx(response) -> list[list]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def export(client, name: str, fmt: str, params: dict | None = None, lang: str = "en") -> list[list]:
    client.cookies["django_language"] = lang
    response = client.get(reverse(name), params or {})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert f".{fmt}" in response["Content-Disposition"]
    return read_csv(response) if fmt == "csv" else read_xlsx(response)


CUSTOMER_EXPORTS = {"csv": "customers:export", "xlsx": "customers:export_xlsx"}
ORDER_EXPORTS = {"csv": "ledger:order_export", "xlsx": "ledger:order_export_xlsx"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("who", ROLES)
def test_customer_export_holds_exactly_the_visible_rows(client, org, book, who, fmt):
    user = getattr(org, who)
    client.force_login(user)
    rows = export(client, CUSTOMER_EXPORTS[fmt], fmt)
    expected = set(customer_list(user=user, filters=CustomerFilters()).values_list("code", flat=True))
    assert {str(r[0]) for r in rows[1:]} == expected
    assert len(rows) - 1 == len(expected)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("who", ROLES)
def test_order_export_holds_exactly_the_visible_rows(client, org, book, who, fmt):
    user = getattr(org, who)
    client.force_login(user)
    rows = export(client, ORDER_EXPORTS[fmt], fmt)
    expected = set(order_visible(user=user).values_list("number", flat=True))
    assert {str(r[0]) for r in rows[1:]} == expected
    assert len(rows) - 1 == len(expected)


def test_rep_export_leaves_out_other_reps_customers(client, org, book):
    client.force_login(org.alice)
    names = {r[1] for r in export(client, "customers:export", "csv")[1:]}
    assert names == {"艾丽机械制造有限公司", "艾丽物流有限公司"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_customer_export_follows_the_filters(client, org, book, fmt):
    client.force_login(org.sid)
    rows = export(client, CUSTOMER_EXPORTS[fmt], fmt, {"q": "物流"})
    assert {r[1] for r in rows[1:]} == {"艾丽物流有限公司", "鲍勃物流有限公司"}
    rows = export(client, CUSTOMER_EXPORTS[fmt], fmt, {"owner": org.carol.pk})
    assert {r[1] for r in rows[1:]} == {"卡罗建筑工程有限公司", "中国石化大客户有限公司"}
    rows = export(client, CUSTOMER_EXPORTS[fmt], fmt, {"key": "1"})
    assert [r[1] for r in rows[1:]] == ["中国石化大客户有限公司"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_order_export_follows_the_filters(client, org, book, fmt):
    customers, orders = book
    client.force_login(org.sid)
    rows = export(client, ORDER_EXPORTS[fmt], fmt, {"customer": customers[2].pk})
    assert [r[0] for r in rows[1:]] == [orders[2].number]
    rows = export(client, ORDER_EXPORTS[fmt], fmt, {"q": "物流"})
    assert {r[0] for r in rows[1:]} == {orders[1].number, orders[2].number}
    assert export(client, ORDER_EXPORTS[fmt], fmt, {"status": "paid"})[1:] == []
    rows = export(client, ORDER_EXPORTS[fmt], fmt, {"status": "open"})
    assert len(rows) - 1 == len(orders)


def test_order_export_of_another_reps_customer_is_404(client, org, book):
    customers, _orders = book
    client.force_login(org.alice)
    assert client.get(reverse("ledger:order_export"), {"customer": customers[3].pk}).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang, customer_header, order_header", [
    ("en", ["customer code", "company name"], ["order number", "customer code", "customer"]),
    ("zh-hans", ["客户编码", "公司名称"], ["订单号", "客户编码", "客户"]),
])
def test_headers_in_the_users_language(client, org, book, fmt, lang, customer_header, order_header):
    client.force_login(org.sid)
    assert export(client, CUSTOMER_EXPORTS[fmt], fmt, lang=lang)[0][:2] == customer_header
    assert export(client, ORDER_EXPORTS[fmt], fmt, lang=lang)[0][:3] == order_header


def test_numbers_and_dates_are_numbers_and_dates_in_xlsx(client, org, book):
    customers, orders = book
    client.force_login(org.sid)
    rows = export(client, "ledger:order_export_xlsx", "xlsx")
    header = rows[0]
    by_number = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    first = by_number[orders[0].number]
    assert isinstance(first["total (CNY)"], float)
    assert Decimal(str(first["total (CNY)"])) == orders[0].total
    assert first["order date"] == orders[0].order_date
    assert isinstance(first["payment terms (days)"], int | float)
    rows = export(client, "customers:export_xlsx", "xlsx")
    terms = {r[1]: r[rows[0].index("payment terms (days)")] for r in rows[1:]}
    assert terms["艾丽机械制造有限公司"] == 30


def test_customer_csv_streams(client, org, book):
    client.force_login(org.sid)
    response = client.get(reverse("customers:export"))
    assert response.streaming and response["Content-Type"].startswith("text/csv")


def test_export_buttons_on_the_list_pages(client, org, book):
    client.force_login(org.alice)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("customers:list"), {"q": "物流"}).content.decode()
    assert reverse("customers:export_xlsx") + "?q=" in page and reverse("customers:export") + "?q=" in page
    page = client.get(reverse("ledger:order_list"), {"status": "open"}).content.decode()
    assert reverse("ledger:order_export_xlsx") + "?status=open" in page
    assert reverse("ledger:order_export") + "?status=open" in page
