"""The monthly sales roll-up equals the raw order lines after every kind of change."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.ledger.models import CustomerMonthSales
from kehu.ledger.rollup import (
    orders_rollup_count,
    sales_from_lines,
    sales_rollup_apply,
    sales_rollup_rebuild,
    sales_rollup_rows,
)
from kehu.ledger.services import (
    order_cancel,
    order_confirm,
    order_create,
    order_deliver,
    order_invoice,
    order_update_lines,
    payment_record,
)
from kehu.testing import make_customer

pytestmark = pytest.mark.django_db


def _order(org, customer, quantity="10", day=datetime.date(2026, 10, 5), price=None):
    line = {"product": org.product, "quantity": quantity}
    if price is not None:
        line["unit_price"] = price
    return order_create(user=org.alice, customer=customer, lines=[line], order_date=day, payment_method="cash")


def _same():
    assert sales_rollup_rows() == sales_from_lines()


def test_rollup_follows_every_state_change(org):
    a = make_customer(org.alice)
    b = make_customer(org.alice)
    _same()
    draft = _order(org, a)
    _same()  # a draft is not a sale
    draft = order_update_lines(user=org.alice, order=draft, lines=[{"product": org.product, "quantity": "3"}])
    _same()
    order_confirm(user=org.alice, order=draft)
    _same()
    assert sales_rollup_rows() == {(a.pk, datetime.date(2026, 10, 1)): Decimal("1260.00")}
    second = _order(org, a, "1", day=datetime.date(2026, 10, 31))
    order_confirm(user=org.alice, order=second)
    third = _order(org, b, "2", day=datetime.date(2026, 11, 1))
    order_confirm(user=org.alice, order=third)
    _same()
    order_deliver(user=org.alice, order=second, day=datetime.date(2026, 11, 2))
    _same()
    order_invoice(user=org.alice, order=second, day=datetime.date(2026, 11, 3))
    _same()
    payment_record(user=org.cathy, customer=a, amount="420.00", received_on=datetime.date(2026, 11, 4))
    _same()  # paid still counts
    order_cancel(user=org.alice, order=third)
    _same()
    cancelled_draft = _order(org, b)
    order_cancel(user=org.alice, order=cancelled_draft)
    _same()
    assert sales_rollup_rows() == {(a.pk, datetime.date(2026, 10, 1)): Decimal("1680.00")}


def test_cancelling_twice_takes_back_once(org):
    a = make_customer(org.alice)
    order = _order(org, a)
    order_confirm(user=org.alice, order=order)
    order_cancel(user=org.alice, order=order)
    with pytest.raises(ValidationError):
        order_cancel(user=org.alice, order=order)
    _same()
    assert CustomerMonthSales.objects.get(customer=a).amount == 0


def test_negative_delta_nets_a_month_and_bulk_count_and_rebuild(org):
    a = make_customer(org.alice)
    order = _order(org, a)
    order_confirm(user=org.alice, order=order)
    # A credit note is a negative delta on the same function.
    sales_rollup_apply(customer_id=a.pk, month=datetime.date(2026, 10, 20), delta=Decimal("-200.00"))
    assert sales_rollup_rows()[(a.pk, datetime.date(2026, 10, 1))] == Decimal("4000.00")
    sales_rollup_rebuild()
    _same()
    # An import that wrote confirmed orders past the services counts them in one call.
    other = _order(org, a, day=datetime.date(2026, 9, 9))
    type(other).objects.filter(pk=other.pk).update(status="confirmed")
    orders_rollup_count(order_ids=[other.pk])
    _same()


def test_imported_orders_count_the_same(org):
    import time_machine

    from kehu.dataio.services import import_file
    from kehu.dataio.tests.files import xlsx

    a = make_customer(org.alice, code="A1")
    rows = [
        ["订单号", "客户编码", "订单日期", "状态", "产品编码", "数量", "单价", "金额"],
        ["SO1", "A1", "2026/10/08", "已开票", org.product.code, "10", "420", "4,200.00"],
        ["SO2", "A1", "2026/09/09", "已取消", org.product.code, "2", "", ""],
        ["SO3", "A1", "2026/09/10", "", org.product.code, "1", "", ""],
    ]
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, 0), tick=False):
        result = import_file(user=org.ada, kind="orders", name="f.xlsx", source=xlsx(rows), commit=True)
    assert result.committed
    _same()
    assert sales_rollup_rows() == {(a.pk, datetime.date(2026, 10, 1)): Decimal("4200.00"),
                                   (a.pk, datetime.date(2026, 9, 1)): Decimal("420.00")}
