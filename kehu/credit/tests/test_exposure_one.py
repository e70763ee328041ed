"""One exposure (DESIGN.md): the locked order check and every reader — card, API, daily review,
exception decision — compute it from one definition, and agree on every ledger state.

At each step the figure is also computed here by hand from the rows, the way DESIGN.md words it:
delivered or invoiced amounts not yet paid + confirmed orders not yet invoiced."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from kehu.credit.models import UtilisationSnapshot
from kehu.credit.selectors import (
    POSITION_FIELDS,
    _position_query,
    credit_positions,
    limits_in_force,
    position_for_check,
)
from kehu.credit.services import credit_daily_review, limit_current, write_off_create
from kehu.ledger.models import Order, OrderStatus, Receivable
from kehu.ledger.selectors import customer_exposure, customers_exposure
from kehu.ledger.services import (
    order_cancel,
    order_confirm,
    order_create,
    order_deliver,
    order_invoice,
    payment_record,
)
from kehu.testing import ProductFactory, grant_limit, make_customer


def by_hand(customer) -> Decimal:
    open_orders = sum((o.total for o in Order.objects.filter(customer=customer)
                       if o.status in (OrderStatus.CONFIRMED, OrderStatus.DELIVERED)), Decimal("0"))
    unpaid = sum((r.amount - r.paid - r.written_off for r in Receivable.objects.filter(customer=customer)
                  if r.settled_on is None), Decimal("0"))
    return open_orders + unpaid


def every_reader(org, customer) -> dict[str, Decimal]:
    today = timezone.localdate()
    with transaction.atomic():
        position = position_for_check(customer_id=customer.pk, today=today)
        locked = position["exposure"]
    # The check's statement, compiled once, reads what the ORM's own query reads, field by field.
    orm = dict(zip(POSITION_FIELDS, _position_query(customer_id=customer.pk, today=today).get(), strict=True))
    assert position == {"exposure": orm["exposure"], "earliest_due": orm["earliest_due"], "limit_id": orm["limit_id"],
                        "limit_amount": orm["limit_amount"], "grace_days": orm["grace"]}
    client = APIClient()
    client.force_authenticate(org.cathy)
    api = client.get(f"/api/v1/credit/accounts/{customer.pk}")
    api_value = Decimal(api.json()["exposure"]) if api.status_code == 200 else None
    credit_daily_review(today=today)
    snapshot = UtilisationSnapshot.objects.get(customer=customer, day=today).exposure
    return {
        "check": locked,
        "one": customer_exposure(customer_id=customer.pk),
        "many": customers_exposure(customer_ids=[customer.pk])[customer.pk],
        "card": credit_positions(customer_ids=[customer.pk])[customer.pk]["exposure"],
        "api": api_value,
        "daily": snapshot,
    }


def test_every_reader_agrees_with_the_check_on_every_ledger_state(org):
    product = ProductFactory(list_price=Decimal("1000.00"))
    customer = make_customer(org.alice, "甲机械有限公司", payment_terms_days=30)
    grant_limit(customer, "100000")
    seen = []

    def agree(step):
        figures = every_reader(org, customer)
        expected = by_hand(customer)
        assert set(figures.values()) == {expected}, (step, figures, expected)
        seen.append((step, expected))

    def new_order(quantity):
        return order_create(user=org.alice, customer=customer, lines=[{"product": product, "quantity": quantity}],
                            payment_method="credit")

    agree("nothing yet")
    draft = new_order("3")
    agree("a draft counts for nothing")
    first = order_confirm(user=org.alice, order=new_order("10"))
    agree("confirmed")
    held = order_confirm(user=org.alice, order=new_order("95"))
    assert held.status == OrderStatus.HELD
    agree("held counts for nothing")
    order_deliver(user=org.alice, order=first)
    agree("delivered")
    order_invoice(user=org.alice, order=Order.objects.get(pk=first.pk))
    agree("invoiced")
    payment_record(user=org.cathy, customer=customer, amount="4000")
    agree("partly paid")
    write_off_create(user=org.cathy, receivable=Receivable.objects.get(order=first), amount="1000", kind="doubtful",
                     reason="部分坏账")
    agree("partly written off")
    second = order_confirm(user=org.alice, order=new_order("5"))
    order_cancel(user=org.alice, order=second)
    agree("cancelled")
    payment_record(user=org.cathy, customer=customer, amount="20000")
    agree("paid, money left on account")
    order_confirm(user=org.alice, order=new_order("7"))
    third = Order.objects.filter(customer=customer, status=OrderStatus.CONFIRMED).get()
    order_deliver(user=org.alice, order=third)
    order_invoice(user=org.alice, order=Order.objects.get(pk=third.pk))
    agree("invoiced and paid at once from money on account")
    order_cancel(user=org.alice, order=draft)
    agree("draft cancelled")
    assert [value for _step, value in seen] == [
        Decimal("0"), Decimal("0"), Decimal("10000.00"), Decimal("10000.00"), Decimal("10000.00"),
        Decimal("10000.00"), Decimal("6000.00"), Decimal("5000.00"), Decimal("5000.00"), Decimal("0.00"),
        Decimal("0.00"), Decimal("0.00")]


def test_the_limit_in_force_is_one_definition(org):
    customer = make_customer(org.alice, "乙公司")
    limit = grant_limit(customer, "50000")
    today = timezone.localdate()
    in_force = limit_current(customer_id=customer.pk)
    assert in_force is not None and in_force.pk == limits_in_force(on=today).get(customer=customer).pk
    with transaction.atomic():
        assert position_for_check(customer_id=customer.pk, today=today)["limit_id"] == in_force.pk
    assert not credit_positions(customer_ids=[customer.pk], today=today)[customer.pk]["limit_expired"]
    # The day after the review date: no limit in force for the check, the card says expired.
    later = in_force.review_on + datetime.timedelta(days=1)
    assert limit_current(customer_id=customer.pk, on=later) is None
    with transaction.atomic():
        assert position_for_check(customer_id=customer.pk, today=later)["limit_id"] is None
    assert credit_positions(customer_ids=[customer.pk], today=later)[customer.pk]["limit_expired"]
    assert limit is not None
