"""What confirming one order costs in statements, with the check and without (the benchmark prints
the same figures at scale). The check is a lock, one read of the position, the check record and the
compare-and-set; this keeps it from growing unnoticed."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from kehu.ledger.models import Order
from kehu.ledger.services import order_create
from kehu.testing import ProductFactory, grant_limit, make_customer


def _statements(org, settings, step=None):
    if step:
        settings.ORDER_CONFIRM_STEP = step
    product = ProductFactory(list_price=Decimal("100.00"))
    customer = make_customer(org.alice, "甲机械有限公司")
    grant_limit(customer, "100000")
    client = APIClient()
    client.force_authenticate(org.alice)
    warm = order_create(user=org.alice, customer=customer, lines=[{"product": product, "quantity": "1"}])
    client.post(f"/api/v1/orders/{warm.pk}/confirm")
    order = order_create(user=org.alice, customer=customer, lines=[{"product": product, "quantity": "1"}])
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(f"/api/v1/orders/{order.pk}/confirm")
    assert response.status_code == 200 and Order.objects.get(pk=order.pk).status == "confirmed"
    return [q["sql"] for q in ctx.captured_queries]


def test_the_check_costs_a_lock_a_read_and_its_record(org, settings):
    with_check = _statements(org, settings)
    without = _statements(org, settings, step="benchmarks.nocredit_confirm.order_confirm_without_credit_check")
    # The check adds a lock, one read of the position and its record; its compare-and-set on the
    # total it checked saves the sales roll-up's read of that total, which the unchecked step makes.
    reread = 'SELECT "ledger_order"."total" AS "total" FROM "ledger_order"'
    assert sum(sql.startswith(reread) for sql in without) == 1
    assert not any(sql.startswith(reread) for sql in with_check)
    assert len(with_check) - len(without) == 3 - 1, (with_check, without)
    check_only = [sql for sql in with_check if sql not in without]
    assert any("FOR UPDATE" in sql for sql in check_only) or connection.vendor == "sqlite"
    assert sum(sql.startswith("INSERT") and "credit_creditcheck" in sql for sql in check_only) == 1
