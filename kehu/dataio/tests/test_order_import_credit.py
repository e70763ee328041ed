"""An order import is no side door around the credit check (DESIGN.md: every path that makes an
order count passes the one check; K1, K4).

Only the back office (credit control, admin) brings order history in from the ERP, and each order
it brings is on the audit trail as such. Anyone else's imported orders arrive as drafts — whatever
the file's status column says, or when it has none — and count only once confirmed through the
confirm step, which checks credit, one at a time or in bulk.
"""

import datetime
from decimal import Decimal

import pytest

from kehu.credit.models import AuditEntry, CheckResult, CreditCheck
from kehu.credit.selectors import credit_positions
from kehu.credit.services import credit_freeze
from kehu.dataio.services import import_file
from kehu.ledger.models import Order, OrderStatus, Payment, Receivable
from kehu.ledger.selectors import customer_exposure
from kehu.ledger.services import (
    order_confirm,
    order_create,
    orders_confirm,
    payment_record,
)
from kehu.testing import ProductFactory, grant_limit, make_customer

from .files import xlsx

HEADER = ["订单号", "客户编码", "订单日期", "状态", "产品编码", "数量", "单价", "金额"]


def run(user, rows, *, commit=True):
    return import_file(user=user, kind="orders", name="orders.xlsx", source=xlsx(rows), commit=commit)


@pytest.fixture
def limited(org):
    """alice's customer with a ¥60,000 limit and ¥10,800 of exposure: a confirmed, uninvoiced order."""
    product = ProductFactory(list_price=Decimal("100.00"))
    customer = make_customer(org.alice, "甲机械制造有限公司", code="A1", payment_terms_days=30)
    grant_limit(customer, "60000")
    order = order_create(user=org.alice, customer=customer, lines=[{"product": product, "quantity": "108"}],
                         payment_method="credit")
    assert order_confirm(user=org.alice, order=order).status == OrderStatus.CONFIRMED
    assert customer_exposure(customer_id=customer.pk) == Decimal("10800.00")
    return customer, product


def three_orders(product, status):
    return [HEADER] + [[f"IMP{i}", "A1", "2026-11-20", status, product.code, "1", "49200", ""] for i in range(3)]


@pytest.mark.parametrize("status", ["已确认", "已发货", "已开票", "已回款"])
def test_a_reps_import_past_draft_arrives_as_drafts_and_moves_no_exposure(org, limited, status):
    customer, product = limited
    outcome = run(org.alice, three_orders(product, status))
    assert outcome.committed and outcome.created == 3 and outcome.drafted == 3
    assert set(Order.objects.filter(number__startswith="IMP").values_list("status", flat=True)) == {OrderStatus.DRAFT}
    assert not Receivable.objects.filter(order__number__startswith="IMP").exists()
    assert customer_exposure(customer_id=customer.pk) == Decimal("10800.00")
    assert not AuditEntry.objects.filter(action="order.import_history").exists()


def test_a_supervisors_import_is_drafts_too(org, limited):
    customer, product = limited
    run(org.sam, three_orders(product, "已开票"))
    assert set(Order.objects.filter(number__startswith="IMP").values_list("status", flat=True)) == {OrderStatus.DRAFT}
    assert customer_exposure(customer_id=customer.pk) == Decimal("10800.00")


def test_a_file_without_status_makes_drafts_for_a_rep_not_paid_sales(org, limited):
    customer, product = limited
    rows = [[c for i, c in enumerate(row) if i != 3] for row in three_orders(product, "")]
    outcome = run(org.alice, rows)
    assert outcome.created == 3 and outcome.drafted == 3
    assert set(Order.objects.filter(number__startswith="IMP").values_list("status", flat=True)) == {OrderStatus.DRAFT}


def test_drafts_confirmed_in_bulk_pass_the_credit_check(org, limited):
    """¥10,800 + 49,200 reaches the ¥60,000 limit exactly: the first passes, the next two are held."""
    customer, product = limited
    run(org.alice, three_orders(product, "已确认"))
    drafts = list(Order.objects.filter(number__startswith="IMP").order_by("number"))
    results = orders_confirm(user=org.alice, orders=drafts)
    assert [status for _order, status in results] == [OrderStatus.CONFIRMED, OrderStatus.HELD, OrderStatus.HELD]
    assert CreditCheck.objects.filter(order__in=drafts).count() == 3
    assert CreditCheck.objects.filter(order__in=drafts, result=CheckResult.HELD).count() == 2
    assert customer_exposure(customer_id=customer.pk) == Decimal("60000.00")
    assert credit_positions(customer_ids=[customer.pk])[customer.pk]["available"] == Decimal("0.00")


def test_drafts_of_a_frozen_customer_are_held_when_confirmed(org, limited):
    customer, product = limited
    credit_freeze(user=org.cathy, customer=customer, reason="法人变更")
    run(org.sam, three_orders(product, "已发货"))
    first = Order.objects.filter(number__startswith="IMP").order_by("number").first()
    assert orders_confirm(user=org.sam, orders=[first])[0][1] == OrderStatus.HELD
    assert customer_exposure(customer_id=customer.pk) == Decimal("10800.00")


def test_bulk_confirm_reports_what_it_cannot_confirm(org, limited):
    customer, product = limited
    run(org.alice, three_orders(product, "已确认"))
    draft = Order.objects.filter(number__startswith="IMP").first()
    order_confirm(user=org.alice, order=draft)
    again = orders_confirm(user=org.alice, orders=[draft])
    assert again[0][1] != OrderStatus.CONFIRMED and "cannot be confirmed" in again[0][1]
    # Someone else's order: refused, and nothing changes.
    other = orders_confirm(user=org.carol, orders=[Order.objects.filter(number__startswith="IMP", status="draft").first()])
    assert other[0][1] not in (OrderStatus.CONFIRMED, OrderStatus.HELD)


@pytest.mark.parametrize("who", ["cathy", "ada"])
def test_the_back_office_brings_history_with_its_status_on_the_audit_trail(org, limited, who):
    customer, product = limited
    user = getattr(org, who)
    outcome = run(user, three_orders(product, "已开票"))
    assert outcome.committed and outcome.drafted == 0
    imported = Order.objects.filter(number__startswith="IMP")
    assert set(imported.values_list("status", flat=True)) == {OrderStatus.INVOICED}
    entries = AuditEntry.objects.filter(action="order.import_history")
    assert entries.count() == 3 and {e.user_id for e in entries} == {user.pk}
    assert {e.object_id for e in entries} == set(imported.values_list("pk", flat=True))
    assert all(e.customer_id == customer.pk and e.after["status"] == "invoiced" for e in entries)
    assert str(entries.first().action_label) == "Order history brought in from the ERP"


def test_history_invoices_get_the_ledgers_due_date_and_are_paid_from_money_on_account(org, limited):
    """The ledger's rules, not copies: due after the customer's terms; money received earlier pays the
    oldest imported invoice first, as an invoice made in Kehu would be paid."""
    customer, product = limited
    payment = payment_record(user=org.cathy, customer=customer, amount="50000", received_on=datetime.date(2026, 11, 1))
    assert payment.unallocated == Decimal("50000.00")
    rows = [HEADER,
            ["H1", "A1", "2026-10-01", "已开票", product.code, "1", "30000", ""],
            ["H2", "A1", "2026-10-05", "已开票", product.code, "1", "30000", ""]]
    run(org.cathy, rows)
    first, second = (Receivable.objects.get(order__number=n) for n in ("H1", "H2"))
    assert first.due_on == datetime.date(2026, 10, 31) and second.due_on == datetime.date(2026, 11, 4)
    assert (first.paid, second.paid) == (Decimal("30000.00"), Decimal("20000.00"))
    assert first.settled_on is not None and Order.objects.get(number="H1").status == OrderStatus.PAID
    payment.refresh_from_db()
    assert payment.unallocated == Decimal("0.00")
    assert not Payment.objects.filter(customer=customer, unallocated__gt=0).exists()


def test_line_amounts_are_the_ledgers(org, limited):
    """A quantity and price whose product has a half-fen: the import rounds as an order entered in Kehu does."""
    customer, product = limited
    rows = [HEADER, ["R1", "A1", "2026-11-02", "", product.code, "2.345", "10.01", ""]]
    run(org.cathy, rows)
    imported = Order.objects.get(number="R1").lines.get()
    entered = order_create(user=org.alice, customer=customer,
                           lines=[{"product": product, "quantity": "2.345", "unit_price": "10.01"}]).lines.get()
    assert imported.amount == entered.amount == Decimal("23.47")


def test_history_makes_a_prospect_a_customer_but_drafts_do_not(org):
    product = ProductFactory(list_price=Decimal("100.00"))
    prospect = make_customer(org.alice, "乙物流有限公司", code="P1", lifecycle="prospect")
    run(org.alice, [HEADER, ["D1", "P1", "2026-11-02", "已开票", product.code, "1", "", ""]])
    prospect.refresh_from_db()
    assert prospect.lifecycle == "prospect"
    run(org.cathy, [HEADER, ["D2", "P1", "2026-11-02", "已开票", product.code, "1", "", ""]])
    prospect.refresh_from_db()
    assert prospect.lifecycle == "customer"


def test_invoiced_elsewhere_then_delivered_here_keeps_one_exposure(org, limited):
    """The exposure the check reads and the card shows agree after history comes in."""
    customer, product = limited
    run(org.cathy, three_orders(product, "已开票"))
    order = order_create(user=org.alice, customer=customer, lines=[{"product": product, "quantity": "1"}])
    held = order_confirm(user=org.alice, order=order)
    assert held.status == OrderStatus.HELD
    check = CreditCheck.objects.get(order=order)
    assert check.exposure_before == customer_exposure(customer_id=customer.pk)
    assert check.exposure_before == credit_positions(customer_ids=[customer.pk])[customer.pk]["exposure"]
    assert check.exposure_before == Decimal("10800.00") + 3 * Decimal("49200.00")
