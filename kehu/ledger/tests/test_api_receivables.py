"""API for receivables and payment allocations: read-only, seen with their customers, filtered."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from kehu.ledger.models import PaymentMethod, Receivable
from kehu.ledger.services import (
    order_create,
    order_deliver,
    order_invoice,
    order_mark_confirmed,
    payment_record,
)
from kehu.testing import TODAY, make_customer

ALL = {"alice", "bob", "carol", "key"}
# Receivables and payments are seen with their customers (see customers/tests/test_api.py).
EXPECTED_SEES = {
    "alice": {"alice"}, "bob": {"bob"}, "carol": {"carol", "key"}, "sam": {"alice", "bob"},
    "sue": {"carol", "key"}, "kim": {"key"}, "cathy": ALL, "sid": ALL, "ada": ALL,
}


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0), tick=False):
        yield


def invoice(customer, product, day: str) -> Receivable:
    """A credit order of 2 × 420.00, invoiced on ``day``: due after the customer's payment terms."""
    order = order_create(user=customer.owner, customer=customer, payment_method=PaymentMethod.CREDIT,
                         lines=[{"product": product, "quantity": "2"}])
    order_mark_confirmed(order=order)
    order_deliver(user=customer.owner, order=order, day=datetime.date.fromisoformat(day))
    order_invoice(user=customer.owner, order=order, day=datetime.date.fromisoformat(day))
    return Receivable.objects.get(order=order)


@pytest.fixture
def ledger(org):
    """alice's is overdue since 10-31, bob's due in December, carol's paid, the key account's part paid
    and overdue since 11-01 (today is 2026-11-26)."""
    customers = {
        "alice": make_customer(org.alice, "艾丽机械制造有限公司", payment_terms_days=30),
        "bob": make_customer(org.bob, "鲍勃物流有限公司", payment_terms_days=30),
        "carol": make_customer(org.carol, "卡罗建筑工程有限公司", payment_terms_days=30),
        "key": make_customer(org.carol, "中国石化大客户有限公司", is_key_account=True),
    }
    receivables = {
        "alice": invoice(customers["alice"], org.product, "2026-10-01"),
        "bob": invoice(customers["bob"], org.product, "2026-11-20"),
        "carol": invoice(customers["carol"], org.product, "2026-09-01"),
        "key": invoice(customers["key"], org.product, "2026-11-01"),
    }
    payments = {
        "carol": payment_record(user=org.cathy, customer=customers["carol"], amount="840",
                                allocations=[(receivables["carol"], "840")], received_on=datetime.date(2026, 10, 5)),
        "key": payment_record(user=org.cathy, customer=customers["key"], amount="300",
                              allocations=[(receivables["key"], "300")], received_on=datetime.date(2026, 11, 10)),
    }
    for r in receivables.values():
        r.refresh_from_db()
    return customers, receivables, payments


def keys_of(response, receivables) -> list[str]:
    assert response.status_code == 200, response.content
    by_id = {r.pk: key for key, r in receivables.items()}
    return [by_id[row["id"]] for row in response.json()["results"]]


@pytest.mark.parametrize("who", sorted(EXPECTED_SEES))
def test_receivables_each_role_sees_those_of_their_customers(org, ledger, who):
    customers, receivables, payments = ledger
    client = client_for(org.users()[who])
    assert set(keys_of(client.get("/api/v1/receivables"), receivables)) == EXPECTED_SEES[who]
    for key, receivable in receivables.items():
        opened = client.get(f"/api/v1/receivables/{receivable.pk}")
        if key in EXPECTED_SEES[who]:
            assert opened.status_code == 200, key
            assert opened.json()["customer_name"] == customers[key].name
        else:
            assert opened.status_code == 404, key
            assert customers[key].name not in opened.content.decode()

    allocations = client.get("/api/v1/payment-allocations")
    assert allocations.status_code == 200
    seen = {row["payment"] for row in allocations.json()["results"]}
    assert seen == {p.pk for key, p in payments.items() if key in EXPECTED_SEES[who]}


def test_receivables_are_read_only(org, ledger):
    _customers, receivables, _payments = ledger
    client = client_for(org.ada)
    url = f"/api/v1/receivables/{receivables['alice'].pk}"
    assert client.patch(url, {"paid": "840"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert client.post("/api/v1/receivables", {}, format="json").status_code == 405
    assert client.post("/api/v1/payment-allocations", {}, format="json").status_code == 405
    receivables["alice"].refresh_from_db()
    assert receivables["alice"].paid == Decimal("0.00")


def test_a_receivable_shows_what_is_owed_and_how_late(org, ledger):
    customers, receivables, _payments = ledger
    client = client_for(org.carol)
    key = client.get(f"/api/v1/receivables/{receivables['key'].pk}").json()
    assert key == {
        "id": receivables["key"].pk, "order": receivables["key"].order_id,
        "order_number": receivables["key"].order.number, "customer": customers["key"].pk,
        "customer_code": customers["key"].code, "customer_name": "中国石化大客户有限公司",
        "amount": "840.00", "paid": "300.00", "written_off": "0.00", "outstanding": "540.00",
        "issued_on": "2026-11-01", "due_on": "2026-11-01", "settled_on": None, "days_overdue": 25,
    }
    carol = client.get(f"/api/v1/receivables/{receivables['carol'].pk}").json()
    assert (carol["outstanding"], carol["settled_on"], carol["days_overdue"]) == ("0.00", "2026-10-05", 0)


def test_receivable_filters_and_order(org, ledger):
    customers, receivables, _payments = ledger
    client = client_for(org.cathy)

    def keys(query: str) -> list[str]:
        return keys_of(client.get(f"/api/v1/receivables?{query}"), receivables)

    assert keys("") == ["carol", "alice", "key", "bob"]  # by due date
    assert keys("ordering=-due_on") == ["bob", "key", "alice", "carol"]
    assert keys("ordering=issued_on") == ["carol", "alice", "key", "bob"]
    assert keys("overdue=true") == ["alice", "key"]
    assert keys("overdue=false") == ["carol", "bob"]
    assert keys("open=true") == ["alice", "key", "bob"]
    assert keys("open=false") == ["carol"]
    assert keys(f"customer={customers['key'].pk}") == ["key"]
    assert keys("due_from=2026-10-31&due_to=2026-11-30") == ["alice", "key"]
    assert keys("overdue=&open=&customer=") == ["carol", "alice", "key", "bob"]  # empty means "any"
    # A rep filtering by another rep's customer gets nothing.
    assert keys_of(client_for(org.alice).get(f"/api/v1/receivables?customer={customers['bob'].pk}"),
                   receivables) == []

    bad = client.get("/api/v1/receivables?overdue=perhaps&customer=x&ordering=size&due_from=soon")
    assert bad.status_code == 400
    assert set(bad.json()) == {"overdue", "customer", "ordering", "due_from"}
    backwards = client.get("/api/v1/receivables?due_from=2026-12-01&due_to=2026-11-01")
    assert backwards.json() == {"due_to": ["The end date is before the start date."]}
    assert client.get("/api/v1/receivables/abc").status_code == 404


def test_receivables_are_paged(org, ledger):
    customers, _receivables, _payments = ledger
    for _n in range(50):
        invoice(customers["alice"], org.product, "2026-11-02")
    client = client_for(org.alice)
    first = client.get("/api/v1/receivables").json()
    assert (first["count"], len(first["results"])) == (51, 50)
    assert len(client.get(first["next"]).json()["results"]) == 1


def test_allocations_filter_by_payment_receivable_and_customer(org, ledger):
    customers, receivables, payments = ledger
    # A second payment on the key account, paying the rest.
    rest = payment_record(user=org.cathy, customer=customers["key"], amount="540",
                          allocations=[(receivables["key"], "540")], received_on=datetime.date(2026, 11, 20))
    client = client_for(org.sue)
    rows = client.get(f"/api/v1/payment-allocations?payment={payments['key'].pk}").json()["results"]
    assert rows == [{
        "id": rows[0]["id"], "payment": payments["key"].pk, "received_on": "2026-11-10",
        "customer": customers["key"].pk, "customer_code": customers["key"].code, "customer_name": "中国石化大客户有限公司",
        "receivable": receivables["key"].pk, "order": receivables["key"].order_id,
        "order_number": receivables["key"].order.number, "amount": "300.00",
    }]
    towards = client.get(f"/api/v1/payment-allocations?receivable={receivables['key'].pk}").json()["results"]
    assert [(r["payment"], r["amount"]) for r in towards] == [(rest.pk, "540.00"), (payments["key"].pk, "300.00")]
    by_customer = client.get(f"/api/v1/payment-allocations?customer={customers['carol'].pk}").json()["results"]
    assert [r["payment"] for r in by_customer] == [payments["carol"].pk]
    # Another team's supervisor asking for this payment gets nothing.
    assert client_for(org.sam).get(f"/api/v1/payment-allocations?payment={payments['key'].pk}").json()["count"] == 0
    bad = client.get("/api/v1/payment-allocations?payment=x&receivable=0")
    assert (bad.status_code, set(bad.json())) == (400, {"payment", "receivable"})
