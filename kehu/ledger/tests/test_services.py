import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kehu.ledger.models import Order, OrderLine, OrderStatus, Payment, Receivable
from kehu.ledger.selectors import customer_ledger_summary
from kehu.ledger.services import (
    order_cancel,
    order_confirm,
    order_create,
    order_deliver,
    order_invoice,
    order_update_lines,
    payment_record,
)
from kehu.testing import ProductFactory, grant_limit, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def customer(org):
    customer = make_customer(org.alice, "甲机械有限公司")
    grant_limit(customer, "1000000", terms=30)
    customer.refresh_from_db()
    return customer


def invoiced(org, customer, quantity="10", day=datetime.date(2026, 10, 1)):
    order = order_create(user=org.alice, customer=customer, lines=[{"product": org.product, "quantity": quantity}],
                         order_date=day)
    order_confirm(user=org.alice, order=order)
    order_deliver(user=org.alice, order=order, day=day)
    return order_invoice(user=org.alice, order=order, day=day)


def test_order_totals_from_lines_with_list_price_default(org, customer):
    other = ProductFactory(list_price=Decimal("99.90"))
    order = order_create(user=org.alice, customer=customer, lines=[
        {"product": org.product, "quantity": "2"},
        {"product": other.pk, "quantity": "1.5", "unit_price": "100"},
    ])
    assert order.status == OrderStatus.DRAFT
    assert order.total == Decimal("840.00") + Decimal("150.00")
    assert order.payment_terms_days == 30 and order.handler == org.alice
    assert order.number.startswith("SO")


def test_status_flow_and_receivable_due_date(org, customer):
    order = invoiced(org, customer)
    assert order.status == OrderStatus.INVOICED
    receivable = Receivable.objects.get(order=order)
    assert receivable.amount == order.total == Decimal("4200.00")
    assert receivable.due_on == datetime.date(2026, 10, 31)


def test_cash_orders_are_due_at_once(org, customer):
    order = order_create(user=org.alice, customer=customer, lines=[{"product": org.product, "quantity": 1}],
                         payment_method="cash")
    assert order.payment_terms_days == 0


def test_illegal_transitions_refused(org, customer):
    order = order_create(user=org.alice, customer=customer, lines=[{"product": org.product, "quantity": 1}])
    with pytest.raises(ValidationError):
        order_deliver(user=org.alice, order=order)
    with pytest.raises(ValidationError):
        order_invoice(user=org.alice, order=order)
    order_confirm(user=org.alice, order=order)
    with pytest.raises(ValidationError):
        order_confirm(user=org.alice, order=order)
    with pytest.raises(ValidationError):
        order_update_lines(user=org.alice, order=order, lines=[{"product": org.product, "quantity": 5}])
    order_cancel(user=org.alice, order=order)
    with pytest.raises(ValidationError):
        order_deliver(user=org.alice, order=order)
    paid = invoiced(org, customer)
    with pytest.raises(ValidationError):
        order_cancel(user=org.alice, order=paid)


def test_prospect_becomes_customer_on_first_confirmed_order(org):
    prospect = make_customer(org.alice, "乙", lifecycle="prospect")
    grant_limit(prospect)
    order = order_create(user=org.alice, customer=prospect, lines=[{"product": org.product, "quantity": 1}])
    order_confirm(user=org.alice, order=order)
    prospect.refresh_from_db()
    assert prospect.lifecycle == "customer"


@pytest.mark.parametrize("lines, message", [
    ([], "at least one line"),
    ([{"product": None, "quantity": "1"}], "choose a product"),
    ([{"quantity": "-5"}], "choose a product"),
    (["product", "quantity"], "choose a product"),
    ([{"product": "999999", "quantity": "1"}], "choose a product"),
    ([{"product": "X", "quantity": "abc"}], None),
])
def test_bad_lines_refused_nothing_saved(org, customer, lines, message):
    lines = [line if isinstance(line, dict) else {} for line in lines]
    with pytest.raises(ValidationError) as err:
        order_create(user=org.alice, customer=customer, lines=lines)
    assert "lines" in err.value.message_dict
    if message:
        assert message in " ".join(err.value.message_dict["lines"])
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_inactive_product_refused(org, customer):
    retired = ProductFactory(active=False)
    with pytest.raises(ValidationError):
        order_create(user=org.alice, customer=customer, lines=[{"product": retired, "quantity": 1}])
    assert not Order.objects.exists()


@pytest.mark.parametrize("quantity, price", [("-5", ""), ("0", ""), ("1e9", ""), ("1", "-1"), ("1", "1e12"),
                                             ("NaN", ""), ("1000000", "999999")])
def test_negative_or_absurd_amounts_refused(org, customer, quantity, price):
    with pytest.raises(ValidationError):
        order_create(user=org.alice, customer=customer,
                     lines=[{"product": org.product, "quantity": quantity, "unit_price": price}])
    assert not Order.objects.exists()


def test_order_for_another_reps_customer_refused(org):
    bobs = make_customer(org.bob, "鲍勃的客户")
    with pytest.raises(ValidationError) as err:
        order_create(user=org.alice, customer=bobs, lines=[{"product": org.product, "quantity": 1}])
    assert "customer" in err.value.message_dict
    assert not Order.objects.exists()


def test_credit_controller_does_not_enter_orders(org, customer):
    with pytest.raises(PermissionDenied):
        order_create(user=org.cathy, customer=customer, lines=[{"product": org.product, "quantity": 1}])


def test_supervisor_order_is_handled_by_the_owner(org, customer):
    order = order_create(user=org.sam, customer=customer, lines=[{"product": org.product, "quantity": 1}])
    assert order.handler == org.alice and order.created_by == org.sam


def test_payment_pays_oldest_due_first(org, customer):
    first = invoiced(org, customer, quantity="1", day=datetime.date(2026, 11, 1))  # 420
    second = invoiced(org, customer, quantity="1", day=datetime.date(2026, 11, 10))  # 420
    payment = payment_record(user=org.cathy, customer=customer, amount="600",
                             received_on=datetime.date(2026, 11, 20))
    r1, r2 = Receivable.objects.get(order=first), Receivable.objects.get(order=second)
    assert r1.paid == Decimal("420.00") and r1.settled_on == datetime.date(2026, 11, 20)
    assert r2.paid == Decimal("180.00") and r2.settled_on is None
    assert Order.objects.get(pk=first.pk).status == OrderStatus.PAID
    assert Order.objects.get(pk=second.pk).status == OrderStatus.INVOICED
    assert payment.unallocated == 0


def test_prepayment_pays_the_next_invoice(org, customer):
    payment_record(user=org.cathy, customer=customer, amount="1000", received_on=datetime.date(2026, 9, 1))
    order = invoiced(org, customer, quantity="1")
    assert Receivable.objects.get(order=order).outstanding == 0
    assert Payment.objects.get().unallocated == Decimal("580.00")


def test_explicit_allocation_cannot_exceed_what_is_owed(org, customer):
    order = invoiced(org, customer, quantity="1")
    receivable = Receivable.objects.get(order=order)
    with pytest.raises(ValidationError):
        payment_record(user=org.cathy, customer=customer, amount="1000", allocations=[(receivable, "500")])
    assert not Payment.objects.exists()
    assert Receivable.objects.get(pk=receivable.pk).paid == 0


@pytest.mark.parametrize("amount", ["-100", "0", "abc", "1e15"])
def test_bad_payment_amounts_refused(org, customer, amount):
    with pytest.raises(ValidationError) as err:
        payment_record(user=org.cathy, customer=customer, amount=amount)
    assert "amount" in err.value.message_dict
    assert not Payment.objects.exists()


def test_reps_do_not_record_payments(org, customer):
    with pytest.raises(PermissionDenied):
        payment_record(user=org.alice, customer=customer, amount="100")


@time_machine.travel(datetime.datetime(2026, 11, 26, 10, tzinfo=datetime.UTC))
def test_card_summary(org, customer):
    open_order = order_create(user=org.alice, customer=customer, lines=[{"product": org.product, "quantity": 3}])
    order_confirm(user=org.alice, order=open_order)
    old = order_create(user=org.alice, customer=customer, lines=[{"product": org.product, "quantity": 5}],
                       order_date=datetime.date(2025, 6, 1))
    order_confirm(user=org.alice, order=old)
    invoiced(org, customer, quantity="2", day=datetime.date(2026, 11, 20))  # due in December
    invoiced(org, customer, quantity="1", day=datetime.date(2026, 9, 1))  # due 2026-10-01, overdue
    summary = customer_ledger_summary(customer=customer)
    assert summary["sales_12m"] == Decimal("2520.00")  # 1 + 2 + 3 units; the 2025 order is outside
    assert summary["open_orders"] == Decimal("1260.00") + Decimal("2100.00")
    assert summary["outstanding"] == Decimal("1260.00")
    assert summary["overdue"] == Decimal("420.00")
