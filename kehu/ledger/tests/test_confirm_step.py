"""Confirming an order without the credit rule is impossible in the product: the confirm step is
named in the settings (no registry to swap at run time, no fallback), and only credit calls the
ledger's own state changes. Bulk confirmation goes through the same step, order by order."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from kehu.credit.models import CheckResult, CreditCheck
from kehu.ledger.models import Order, OrderStatus
from kehu.ledger.services import confirm_step, order_confirm, order_create
from kehu.testing import ProductFactory, grant_limit, make_customer

ROOT = Path(__file__).resolve().parents[2]


def test_the_product_confirms_through_the_credit_check():
    from kehu.credit.services import order_confirm_checked

    assert settings.ORDER_CONFIRM_STEP == "kehu.credit.services.order_confirm_checked"
    assert confirm_step() is order_confirm_checked


def test_without_a_confirm_step_nothing_is_confirmed(org, settings):
    customer = make_customer(org.alice, "甲公司")
    order = order_create(user=org.alice, customer=customer, lines=[{"product": ProductFactory(), "quantity": "1"}])
    del settings.ORDER_CONFIRM_STEP
    with pytest.raises(ImproperlyConfigured):
        order_confirm(user=org.alice, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT


def test_only_credit_calls_the_ledgers_state_changes():
    """``order_mark_confirmed`` and ``order_mark_held`` are the ledger's state change after the check;
    anything else calling them would confirm without the check."""
    guarded = {"order_mark_confirmed", "order_mark_held"}
    problems = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] == "credit" or "tests" in rel.parts or rel == Path("ledger/services.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            if name in guarded:
                problems.append(f"{rel}:{node.lineno} uses {name}")
            if isinstance(node, ast.ImportFrom):
                problems += [f"{rel}:{node.lineno} imports {a.name}" for a in node.names if a.name in guarded]
    assert not problems, problems


@pytest.fixture
def drafts(org):
    product = ProductFactory(list_price=Decimal("100.00"))
    customer = make_customer(org.alice, "甲机械有限公司")
    grant_limit(customer, "25000")
    orders = [order_create(user=org.alice, customer=customer, lines=[{"product": product, "quantity": "100"}],
                           payment_method="credit") for _ in range(3)]
    return customer, orders


def test_api_confirms_many_each_through_the_check(org, drafts):
    _customer, orders = drafts
    client = APIClient()
    client.force_authenticate(org.alice)
    response = client.post("/api/v1/orders/confirm", {"orders": [o.pk for o in orders] + [999999]}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["confirmed", "confirmed", "held", None]
    assert results[3]["error"]
    assert CreditCheck.objects.filter(order__in=orders, result=CheckResult.HELD).count() == 1


@pytest.mark.parametrize("who, sees", [("alice", True), ("sam", True), ("bob", False), ("carol", False),
                                       ("kim", False), ("sid", True)])
def test_api_bulk_confirm_only_touches_visible_orders(org, drafts, who, sees):
    _customer, orders = drafts
    client = APIClient()
    client.force_authenticate(getattr(org, who))
    results = client.post("/api/v1/orders/confirm", {"orders": [orders[0].pk]}, format="json").json()["results"]
    if sees:
        assert results[0]["status"] == "confirmed"
    else:
        assert results[0]["status"] is None and results[0]["number"] is None
        assert Order.objects.get(pk=orders[0].pk).status == OrderStatus.DRAFT


def test_api_bulk_confirm_refuses_bad_input(org):
    client = APIClient()
    client.force_authenticate(org.alice)
    for body in ({}, {"orders": []}, {"orders": ["x"]}, {"orders": list(range(1, 502))}):
        assert client.post("/api/v1/orders/confirm", body, format="json").status_code == 400


def test_page_confirms_the_drafts_shown(org, drafts, client):
    _customer, orders = drafts
    client.force_login(org.alice)
    page = client.get("/orders/?status=draft")
    assert page.status_code == 200 and b'action="/orders/confirm/"' in page.content
    response = client.post("/orders/confirm/", {"order": [o.pk for o in orders], "next": "/orders/?status=held"})
    assert response.status_code == 302 and response["Location"] == "/orders/?status=held"
    assert sorted(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True)) == [
        "confirmed", "confirmed", "held"]


def test_page_bulk_confirm_ignores_others_orders_and_foreign_redirects(org, drafts, client):
    _customer, orders = drafts
    client.force_login(org.bob)
    response = client.post("/orders/confirm/", {"order": [orders[0].pk], "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/orders/"
    assert Order.objects.get(pk=orders[0].pk).status == OrderStatus.DRAFT
    client.force_login(org.cathy)  # credit control does not enter orders
    assert client.post("/orders/confirm/", {"order": [orders[0].pk]}).status_code == 403
