"""Every export of a kind Kehu imports imports again as it is: export → import → nothing changes,
in both languages and both formats; and into an empty book, the same orders come back."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.customers.models import Customer, Industry
from kehu.dataio.services import import_file
from kehu.ledger.models import Order, OrderLine, PaymentMethod, Product
from kehu.ledger.services import order_create
from kehu.testing import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(org):
    industry = Industry.objects.first() or Industry.objects.create(code="MFG", name="制造业", name_en="Manufacturing")
    second = Product.objects.create(code="L-220", name="工业齿轮油 220", list_price=Decimal("1280.50"))
    customers = [
        make_customer(org.alice, "艾丽机械制造有限公司", phone="021-52723219-316", industry=industry,
                      payment_terms_days=30, uscc="91310000MA1FL4XQ27"),
        make_customer(org.alice, "艾丽物流有限公司", phone="13812345678"),
        make_customer(org.bob, "鲍勃物流有限公司", phone="0512-62881234"),
    ]
    orders = [
        order_create(user=customers[0].owner, customer=customers[0], payment_method=PaymentMethod.CASH,
                     lines=[{"product": org.product, "quantity": "3"},
                            {"product": second, "quantity": "1.5", "unit_price": "1199.99"}]),
        order_create(user=customers[1].owner, customer=customers[1],
                     lines=[{"product": second, "quantity": "12"}]),
        order_create(user=customers[2].owner, customer=customers[2],
                     lines=[{"product": org.product, "quantity": "7"}]),
    ]
    return customers, orders


def download(client, name: str, lang: str) -> bytes:
    client.cookies["django_language"] = lang
    response = client.get(reverse(name))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def snapshot_customers():
    return list(Customer.objects.order_by("pk").values_list(
        "code", "name", "uscc", "phone", "address", "industry_id", "owner_id", "notes", "updated_at"))


def snapshot_orders():
    return [(o.number, o.customer_id, o.handler_id, o.order_date, o.status, o.payment_method, o.total,
             [(x.product_id, x.quantity, x.unit_price, x.amount) for x in o.lines.order_by("pk")])
            for o in Order.objects.order_by("number")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_customer_export_imports_again_and_changes_nothing(client, org, book, fmt, lang):
    client.force_login(org.ada)
    data = download(client, "customers:export" if fmt == "csv" else "customers:export_xlsx", lang)
    before = snapshot_customers()
    outcome = import_file(user=org.ada, kind="customers", name=f"customers.{fmt}", source=data, commit=True)
    assert (outcome.problem, outcome.errors) == ("", [])
    assert (outcome.rows, outcome.created, outcome.updated) == (3, 0, 0)
    assert snapshot_customers() == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_order_export_carries_its_lines_and_imports_again_unchanged(client, org, book, fmt, lang):
    client.force_login(org.ada)
    data = download(client, "ledger:order_export" if fmt == "csv" else "ledger:order_export_xlsx", lang)
    before = snapshot_orders()
    outcome = import_file(user=org.ada, kind="orders", name=f"orders.{fmt}", source=data, commit=True)
    assert (outcome.problem, outcome.errors) == ("", [])
    assert (outcome.rows, outcome.created, outcome.skipped) == (4, 0, 4)  # four lines, all there already
    assert snapshot_orders() == before


def test_the_order_export_brings_the_same_orders_into_an_empty_book(client, org, book):
    client.force_login(org.ada)
    data = download(client, "ledger:order_export_xlsx", "zh-hans")
    before = [row[:1] + row[2:] for row in snapshot_orders()]
    for order in Order.objects.all():
        order.lines.all().delete()
    from kehu.ledger.models import Receivable

    Receivable.objects.all().delete()
    Order.objects.all().delete()
    outcome = import_file(user=org.ada, kind="orders", name="orders.xlsx", source=io.BytesIO(data).getvalue(),
                          commit=True)
    assert (outcome.problem, outcome.errors, outcome.created) == ("", [], 4)
    after = [row[:1] + row[2:] for row in snapshot_orders()]
    # The status is the importer's to decide (history or drafts, by role); every other field comes back.
    assert [r[:3] + r[4:] for r in after] == [r[:3] + r[4:] for r in before]
    assert OrderLine.objects.count() == 4
