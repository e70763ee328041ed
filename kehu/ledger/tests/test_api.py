"""API for the sales ledger: orders and payments by role, the order flow, and bad amounts."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from kehu.ledger.models import (
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Product,
    Receivable,
)
from kehu.ledger.services import order_create, order_mark_confirmed
from kehu.testing import ProductFactory, make_customer

ALL = {"alice", "bob", "carol", "key"}
# Orders are seen with their customers (see customers/tests/test_api.py); acting on them takes
# a role that enters orders, which credit controllers do not.
EXPECTED_SEES = {
    "alice": {"alice"}, "bob": {"bob"}, "carol": {"carol", "key"}, "sam": {"alice", "bob"},
    "sue": {"carol", "key"}, "kim": {"key"}, "cathy": ALL, "sid": ALL, "ada": ALL,
}
ENTERS_ORDERS = {"alice", "bob", "carol", "sam", "sue", "kim", "sid", "ada"}


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def book(org):
    customers = {
        "alice": make_customer(org.alice, "艾丽机械制造有限公司"),
        "bob": make_customer(org.bob, "鲍勃物流有限公司"),
        "carol": make_customer(org.carol, "卡罗建筑工程有限公司"),
        "key": make_customer(org.carol, "中国石化大客户有限公司", is_key_account=True),
    }
    # Cash orders: the credit check (credit app) lets them through without a credit limit.
    orders = {
        key: order_create(user=customer.owner, customer=customer, payment_method=PaymentMethod.CASH,
                          lines=[{"product": org.product, "quantity": "2"}])
        for key, customer in customers.items()
    }
    return customers, orders


def line(product, quantity="1", **extra):
    return {"product": product.pk, "quantity": quantity, **extra}


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


# --- orders by role --------------------------------------------------------------------------


@pytest.mark.parametrize("who", sorted(EXPECTED_SEES))
def test_orders_each_role_lists_opens_and_acts(org, book, who):
    customers, orders = book
    client = client_for(org.users()[who])
    by_number = {order.number: key for key, order in orders.items()}

    assert {by_number[n] for n in numbers(client.get("/api/v1/orders"))} == EXPECTED_SEES[who]

    for key, order in orders.items():
        opened = client.get(f"/api/v1/orders/{order.pk}")
        confirmed = client.post(f"/api/v1/orders/{order.pk}/confirm")
        order.refresh_from_db()
        if key not in EXPECTED_SEES[who]:
            assert (opened.status_code, confirmed.status_code) == (404, 404), key
            assert order.number not in opened.content.decode()
            assert order.status == OrderStatus.DRAFT
        elif who in ENTERS_ORDERS:
            assert (opened.status_code, confirmed.status_code) == (200, 200), key
            assert opened.json()["customer_name"] == customers[key].name
            assert confirmed.json()["status"] == order.status == OrderStatus.CONFIRMED
        else:
            assert (opened.status_code, confirmed.status_code) == (200, 403), key
            assert order.status == OrderStatus.DRAFT

    # Entering an order: for a customer in view and a role that enters orders, else refused.
    for key, customer in customers.items():
        before = Order.objects.count()
        response = client.post("/api/v1/orders", {"customer": customer.pk, "lines": [line(org.product)]}, format="json")
        if key not in EXPECTED_SEES[who]:
            assert response.status_code == 400, key
            assert response.json() == {"customer": ["No such customer in your book."]}
        elif who in ENTERS_ORDERS:
            assert response.status_code == 201, key
        else:
            assert response.status_code == 403, key
        assert Order.objects.count() == before + (response.status_code == 201)


def test_order_for_another_reps_customer_is_refused_like_a_missing_one(org, book):
    customers, _orders = book
    client = client_for(org.alice)
    for customer_id in (customers["bob"].pk, customers["carol"].pk, 999999):
        response = client.post("/api/v1/orders", {"customer": customer_id, "lines": [line(org.product)]}, format="json")
        assert response.status_code == 400
        assert response.json() == {"customer": ["No such customer in your book."]}
    assert Order.objects.count() == 4
    assert OrderLine.objects.count() == 4


def test_rep_gets_404_for_another_reps_order_and_its_actions(org, book):
    _customers, orders = book
    client = client_for(org.alice)
    bobs = orders["bob"]
    for action in ("confirm", "deliver", "invoice", "cancel"):
        assert client.post(f"/api/v1/orders/{bobs.pk}/{action}").status_code == 404
    assert client.put(f"/api/v1/orders/{bobs.pk}/lines", {"lines": [line(org.product, "9")]}, format="json").status_code == 404
    bobs.refresh_from_db()
    assert bobs.status == OrderStatus.DRAFT
    assert bobs.lines.get().quantity == Decimal("2")


# --- entering orders -------------------------------------------------------------------------


def test_create_order_with_lines_renders_money_as_strings(org, book):
    customers, _orders = book
    oil = ProductFactory(list_price=Decimal("105.50"))
    response = client_for(org.alice).post(
        "/api/v1/orders",
        {"customer": customers["alice"].pk, "order_date": "2026-11-20", "payment_method": "cash",
         "notes": "月底送货", "lines": [line(org.product, "2"), line(oil, "3.5", unit_price="100.005")]},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft"
    assert data["order_date"] == "2026-11-20"
    assert data["number"].startswith("SO202611-")
    assert data["handler"] == org.alice.pk
    assert data["total"] == "1190.04"  # 2 × 420.00 + 3.5 × 100.01 (350.035)
    assert [(x["quantity"], x["unit_price"], x["amount"]) for x in data["lines"]] == [
        ("2.000", "420.00", "840.00"), ("3.500", "100.01", "350.04"),
    ]
    assert data["receivable"] is None
    assert Order.objects.get(pk=data["id"]).total == Decimal("1190.04")


BAD_ORDERS = [
    ({"lines": [{"quantity": "-1"}]}, "lines", "Line 1: the quantity must be greater than zero."),
    ({"lines": [{"quantity": "0"}]}, "lines", "Line 1: the quantity must be greater than zero."),
    ({"lines": [{"quantity": "5000000"}]}, "lines", "is not believable"),
    ({"lines": [{"quantity": "1e30"}]}, "lines", "is not believable"),
    ({"lines": [{"quantity": "two"}]}, "lines", "A valid number is required."),
    ({"lines": [{"quantity": "NaN"}]}, "lines", "A valid number is required."),
    ({"lines": [{"unit_price": "-420"}]}, "lines", "Line 1: Amounts cannot be negative."),
    ({"lines": [{"unit_price": "99999999999"}]}, "lines", "larger than Kehu accepts"),
    ({"lines": [{"quantity": "900000", "unit_price": "900000"}]}, "lines", "larger than Kehu accepts"),
    ({"lines": [{"product": 999999}]}, "lines", "No such product."),
    ({"lines": [{"product": "oil"}]}, "lines", "A product is given by its id"),
    ({"lines": [{"product": None}]}, "lines", "This field may not be null."),
    ({"lines": []}, "lines", "An order needs at least one line."),
    ({"lines": None}, "lines", "This field may not be null."),
    ({"lines": "many"}, "lines", "Expected a list of items"),
    ({"customer": None}, "customer", "This field may not be null."),
    ({"customer": "ACME"}, "customer", "A customer is given by its id, a whole number."),
    ({"order_date": "2026-13-45"}, "order_date", "Date has wrong format."),
    ({"order_date": "2099-01-01"}, "order_date", "The order date is too far in the future."),
    ({"payment_method": "barter"}, "payment_method", "is not a valid choice."),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_ORDERS)
def test_bad_order_input_is_400_with_a_message_and_saves_nothing(org, book, change, field, message):
    customers, _orders = book
    payload = {"customer": customers["alice"].pk, "lines": [line(org.product, "2")]}
    for key, value in change.items():
        if key == "lines" and isinstance(value, list):
            payload["lines"] = [{**line(org.product, "2"), **item} for item in value]
        else:
            payload[key] = value
    response = client_for(org.alice).post("/api/v1/orders", payload, format="json")
    assert response.status_code == 400, response.content
    assert message in str(response.json()[field])
    assert Order.objects.count() == 4
    assert OrderLine.objects.count() == 4


def test_order_needs_customer_and_lines(org):
    response = client_for(org.alice).post("/api/v1/orders", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"customer": ["Choose a customer."], "lines": ["This field is required."]}
    assert not Order.objects.exists()


def test_one_bad_line_keeps_the_whole_order_out(org, book):
    customers, _orders = book
    response = client_for(org.alice).post(
        "/api/v1/orders",
        {"customer": customers["alice"].pk,
         "lines": [line(org.product, "2"), line(org.product, "-3"), line(org.product, "1")]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"lines": ["Line 2: the quantity must be greater than zero."]}
    assert Order.objects.count() == 4


def test_inactive_product_cannot_be_ordered(org, book):
    customers, _orders = book
    old = ProductFactory(active=False)
    response = client_for(org.alice).post(
        "/api/v1/orders", {"customer": customers["alice"].pk, "lines": [line(old)]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"lines": ["Line 1: choose a product."]}


def test_replace_lines_of_a_draft_only(org, book):
    _customers, orders = book
    client = client_for(org.alice)
    order = orders["alice"]
    response = client.put(f"/api/v1/orders/{order.pk}/lines", {"lines": [line(org.product, "5")]}, format="json")
    assert response.status_code == 200
    assert response.json()["total"] == "2100.00"
    assert [x["quantity"] for x in response.json()["lines"]] == ["5.000"]

    bad = client.put(f"/api/v1/orders/{order.pk}/lines", {"lines": [line(org.product, "-5")]}, format="json")
    assert bad.status_code == 400
    order.refresh_from_db()
    assert order.total == Decimal("2100.00")

    order_mark_confirmed(order=order)
    late = client.put(f"/api/v1/orders/{order.pk}/lines", {"lines": [line(org.product, "1")]}, format="json")
    assert late.status_code == 400
    assert late.json()["detail"][0].startswith("Only a draft")


# --- the order flow and payments -------------------------------------------------------------


def test_confirm_goes_through_the_credit_check(org, book):
    customers, _orders = book
    client = client_for(org.alice)
    entered = client.post("/api/v1/orders", {"customer": customers["alice"].pk, "payment_method": "credit",
                                             "lines": [line(org.product)]}, format="json").json()
    # No approved credit limit and not cash: the check holds the order rather than confirming it.
    response = client.post(f"/api/v1/orders/{entered['id']}/confirm")
    assert response.status_code == 200
    assert response.json()["status"] == "held"
    assert client.post(f"/api/v1/orders/{entered['id']}/deliver").status_code == 400


def test_order_flow_through_invoice_and_payment(org, book):
    customers, orders = book
    order = orders["alice"]  # 2 × 420.00
    rep = client_for(org.alice)
    assert rep.post(f"/api/v1/orders/{order.pk}/deliver").json() == {
        "detail": ["This order is Draft and cannot become Delivered."]
    }
    assert rep.post(f"/api/v1/orders/{order.pk}/confirm").json()["status"] == "confirmed"
    delivered = rep.post(f"/api/v1/orders/{order.pk}/deliver", {"day": "2026-11-01"}, format="json").json()
    assert (delivered["status"], delivered["delivered_on"]) == ("delivered", "2026-11-01")
    invoiced = rep.post(f"/api/v1/orders/{order.pk}/invoice", {"day": "2026-11-02"}, format="json").json()
    assert invoiced["status"] == "invoiced"
    receivable = invoiced["receivable"]
    assert (receivable["amount"], receivable["outstanding"], receivable["issued_on"]) == ("840.00", "840.00", "2026-11-02")

    # A rep does not record payments; the credit controller does.
    attempt = rep.post("/api/v1/payments", {"customer": customers["alice"].pk, "amount": "840"}, format="json")
    assert attempt.status_code == 403
    credit = client_for(org.cathy)
    paid = credit.post(
        "/api/v1/payments",
        {"customer": customers["alice"].pk, "amount": "1000.00", "received_on": "2026-11-20", "channel": "bank",
         "reference": "BK-1", "allocations": [{"receivable": receivable["id"], "amount": "840.00"}]},
        format="json",
    )
    assert paid.status_code == 201, paid.content
    data = paid.json()
    assert (data["amount"], data["unallocated"]) == ("1000.00", "160.00")
    assert data["allocations"] == [
        {"receivable": receivable["id"], "order": order.pk, "order_number": order.number, "amount": "840.00"}
    ]
    after = rep.get(f"/api/v1/orders/{order.pk}").json()
    assert after["status"] == "paid"
    assert after["receivable"]["outstanding"] == "0.00"

    # The rep sees the payment on their customer; another rep does not.
    assert [p["id"] for p in rep.get("/api/v1/payments").json()["results"]] == [data["id"]]
    assert client_for(org.bob).get("/api/v1/payments").json()["count"] == 0
    assert client_for(org.bob).get(f"/api/v1/payments/{data['id']}").status_code == 404
    assert rep.get(f"/api/v1/payments/{data['id']}").json()["reference"] == "BK-1"


def test_payment_without_allocations_pays_the_oldest_first(org, book):
    customers, orders = book
    rep = client_for(org.alice)
    order = orders["alice"]
    for step in ("confirm", "deliver", "invoice"):
        assert rep.post(f"/api/v1/orders/{order.pk}/{step}").status_code == 200
    response = client_for(org.cathy).post("/api/v1/payments", {"customer": customers["alice"].pk, "amount": 500},
                                          format="json")
    assert response.status_code == 201
    assert response.json()["unallocated"] == "0.00"
    assert Receivable.objects.get(order=order).paid == Decimal("500.00")


def test_cancel_from_draft_but_not_after_delivery(org, book):
    _customers, orders = book
    client = client_for(org.sam)
    assert client.post(f"/api/v1/orders/{orders['bob'].pk}/cancel").json()["status"] == "cancelled"
    order = orders["alice"]
    client.post(f"/api/v1/orders/{order.pk}/confirm")
    client.post(f"/api/v1/orders/{order.pk}/deliver")
    refused = client.post(f"/api/v1/orders/{order.pk}/cancel")
    assert refused.status_code == 400
    assert refused.json() == {"detail": ["This order is Delivered and cannot become Cancelled."]}


def test_order_list_filters(org, book):
    customers, orders = book
    Order.objects.filter(pk=orders["alice"].pk).update(order_date="2026-01-15")
    Order.objects.filter(pk=orders["bob"].pk).update(order_date="2026-03-15", status=OrderStatus.CONFIRMED)
    client = client_for(org.sid)
    by_number = {order.number: key for key, order in orders.items()}

    def keys(query: str) -> set[str]:
        return {by_number[n] for n in numbers(client.get(f"/api/v1/orders?{query}"))}

    assert keys(f"customer={customers['carol'].pk}") == {"carol"}
    assert keys("status=confirmed") == {"bob"}
    assert keys("date_from=2026-01-01&date_to=2026-03-31") == {"alice", "bob"}
    assert keys("date_to=2026-02-01") == {"alice"}
    listed = client.get("/api/v1/orders?ordering=order_date").json()["results"]
    assert listed[0]["number"] == orders["alice"].number
    assert "lines" not in listed[0]

    bad = client.get("/api/v1/orders?date_from=2026-03-01&date_to=2026-01-01")
    assert bad.status_code == 400
    assert bad.json() == {"date_to": ["The end date is before the start date."]}
    bad = client.get("/api/v1/orders?status=lost&date_from=yesterday&customer=x")
    assert bad.status_code == 400
    assert set(bad.json()) == {"status", "date_from", "customer"}

    # A rep filtering by another rep's customer sees nothing of it.
    assert numbers(client_for(org.alice).get(f"/api/v1/orders?customer={customers['bob'].pk}")) == set()


BAD_PAYMENTS = [
    ({"amount": "-100"}, "amount", "Amounts cannot be negative."),
    ({"amount": "0"}, "amount", "The amount must be greater than zero."),
    ({"amount": "1000000000000"}, "amount", "larger than Kehu accepts"),
    ({"amount": "lots"}, "amount", "A valid number is required."),
    ({"amount": "Infinity"}, "amount", "A valid number is required."),
    ({"amount": None}, "amount", "This field may not be null."),
    ({"received_on": "2099-01-01"}, "received_on", "A payment cannot be received in the future."),
    ({"channel": "wechat-red-packet"}, "channel", "is not a valid choice."),
    ({"reference": "x" * 61}, "reference", "no more than 60 characters"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_PAYMENTS)
def test_bad_payment_input_is_400_with_a_message_and_saves_nothing(org, book, change, field, message):
    customers, _orders = book
    response = client_for(org.cathy).post(
        "/api/v1/payments", {"customer": customers["alice"].pk, "amount": "100", **change}, format="json"
    )
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])
    assert not Payment.objects.exists()


def test_bad_allocation_rolls_back_the_whole_payment(org, book):
    customers, orders = book
    rep = client_for(org.alice)
    for key in ("alice", "bob"):
        owner = client_for(customers[key].owner)
        for step in ("confirm", "deliver", "invoice"):
            assert owner.post(f"/api/v1/orders/{orders[key].pk}/{step}").status_code == 200
    mine = Receivable.objects.get(order=orders["alice"])
    bobs = Receivable.objects.get(order=orders["bob"])
    credit = client_for(org.cathy)

    def pay(allocations, amount="900"):
        return credit.post("/api/v1/payments", {"customer": customers["alice"].pk, "amount": amount,
                                                "allocations": allocations}, format="json")

    too_much = pay([{"receivable": mine.pk, "amount": "900"}])  # it owes 840
    assert too_much.status_code == 400
    assert "cannot be allocated" in too_much.json()["allocations"][0]
    other_customer = pay([{"receivable": bobs.pk, "amount": "100"}])
    assert other_customer.json() == {"allocations": ["A payment can only pay this customer's receivables."]}
    negative = pay([{"receivable": mine.pk, "amount": "-5"}])
    assert negative.status_code == 400
    more_than_paid = pay([{"receivable": mine.pk, "amount": "800"}], amount="500")
    assert more_than_paid.status_code == 400
    no_such = pay([{"receivable": 999999, "amount": "10"}])
    assert no_such.status_code == 400
    assert "No such receivable in your book." in str(no_such.json()["allocations"])

    assert not Payment.objects.exists()
    assert not PaymentAllocation.objects.exists()
    mine.refresh_from_db()
    assert mine.paid == Decimal("0.00")
    assert rep.get(f"/api/v1/orders/{orders['alice'].pk}").json()["status"] == "invoiced"


# --- products --------------------------------------------------------------------------------


def test_everyone_reads_products_only_admins_change_them(org):
    ProductFactory(code="HYD46", name="抗磨液压油", category="hydraulic_oil", grade="L-HM 46", active=False)
    for who, user in org.users().items():
        client = client_for(user)
        listed = client.get("/api/v1/products")
        assert listed.status_code == 200, who
        assert listed.json()["count"] == 2
        assert client.get(f"/api/v1/products/{org.product.pk}").json()["list_price"] == "420.00"
        created = client.post("/api/v1/products", {"code": f"X-{who}", "name": "x", "category": "grease",
                                                   "list_price": "10"}, format="json")
        assert created.status_code == (201 if who == "ada" else 403), who
    assert list(Product.objects.filter(code__startswith="X-").values_list("code", flat=True)) == ["X-ada"]

    client = client_for(org.alice)
    active = [p["code"] for p in client.get("/api/v1/products?active=true").json()["results"]]
    assert active == [org.product.code, "X-ada"]
    assert [p["code"] for p in client.get("/api/v1/products?q=液压").json()["results"]] == ["HYD46"]
    assert [p["code"] for p in client.get("/api/v1/products?category=hydraulic_oil").json()["results"]] == ["HYD46"]
    assert client.patch(f"/api/v1/products/{org.product.pk}", {"list_price": "1"}, format="json").status_code == 403
    org.product.refresh_from_db()
    assert org.product.list_price == Decimal("420.00")


def test_admin_creates_and_changes_products(org):
    admin = client_for(org.ada)
    created = admin.post(
        "/api/v1/products",
        {"code": "GR3", "name": "锂基润滑脂", "category": "grease", "grade": "NLGI 3", "pack_size": "15",
         "pack_unit": "kg", "sales_unit": "drum", "list_price": "268.5"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["list_price"] == "268.50"
    changed = admin.patch(f"/api/v1/products/{created.json()['id']}", {"list_price": "270", "active": False},
                          format="json")
    assert changed.status_code == 200
    assert (changed.json()["list_price"], changed.json()["active"]) == ("270.00", False)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"list_price": "-1"}, "list_price", "Amounts cannot be negative."),
        ({"list_price": "5000000"}, "list_price", "larger than Kehu accepts"),
        ({"list_price": "cheap"}, "list_price", "A valid number is required."),
        ({"pack_size": "0"}, "pack_size", "The pack size must be greater than zero."),
        ({"category": "water"}, "category", "is not a valid choice."),
        ({"name": ""}, "name", "may not be blank"),
        ({"code": "P-DUP"}, "code", ""),
    ],
)
def test_bad_product_input_is_400_and_saves_nothing(org, change, field, message):
    ProductFactory(code="P-DUP")
    response = client_for(org.ada).post(
        "/api/v1/products", {"code": "NEW", "name": "新油", "category": "grease", "list_price": "10", **change},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])
    assert Product.objects.count() == 2
