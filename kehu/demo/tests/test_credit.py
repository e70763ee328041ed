"""The demo company's credit (K1–K2): every customer on credit has an investigation, an approved
application and a current limit, so its orders are checked as in a working company."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from kehu.accounts.models import Role
from kehu.credit import scorecard
from kehu.credit.models import (
    ApplicationStatus,
    CheckResult,
    CreditAccount,
    CreditCheck,
    CreditLimit,
    CreditPolicy,
    Investigation,
    LimitApplication,
)
from kehu.credit.services import INVESTIGATION_FIELDS
from kehu.customers.models import Customer, Lifecycle
from kehu.demo.builder import build_demo
from kehu.demo.credit import MINIMUM_LIMIT, ROUND_TO
from kehu.ledger.models import OrderStatus, Product
from kehu.ledger.selectors import customer_exposure, customer_overdue_items
from kehu.ledger.services import order_confirm, order_create
from kehu.testing import shared_rows

from .test_demo import SMALL, TODAY

pytestmark = pytest.mark.django_db

AT_TODAY = time_machine.travel(datetime.datetime(2026, 11, 26, 10, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture(scope="module")
def demo_rows(django_db_setup, django_db_blocker):
    """One small demo company read by every test of this module (a larger one is in
    test_credit_medium.py); a test's writes to it are rolled back."""
    with shared_rows(django_db_blocker, lambda: build_demo(SMALL)) as build:
        yield build


@pytest.fixture
def demo(demo_rows, db):
    return demo_rows


def current_limits() -> dict[int, CreditLimit]:
    out: dict[int, CreditLimit] = {}
    for limit in CreditLimit.objects.filter(is_current=True).select_related("application__investigation"):
        assert limit.customer_id not in out, "two current limits"
        out[limit.customer_id] = limit
    return out


def test_on_credit_customers_have_a_limit_and_cash_customers_none(demo):
    customers = list(Customer.objects.exclude(lifecycle=Lifecycle.PROSPECT))
    on_credit = {c.pk for c in customers if c.payment_terms_days > 0}
    cash = {c.pk for c in customers if c.payment_terms_days == 0}
    assert on_credit and cash
    limits = current_limits()
    assert set(limits) == on_credit
    assert not CreditLimit.objects.filter(customer_id__in=cash).exists()
    assert not LimitApplication.objects.filter(customer_id__in=cash).exists()
    assert not Investigation.objects.filter(customer_id__in=cash).exists()
    assert not CreditLimit.objects.filter(customer__lifecycle=Lifecycle.PROSPECT).exists()
    assert set(CreditAccount.objects.values_list("customer_id", flat=True)) == on_credit
    policy = CreditPolicy.objects.get()
    assert policy.effective_from == datetime.date(2000, 1, 1)
    terms = {c.pk: c.payment_terms_days for c in customers}
    for customer_id, limit in limits.items():
        assert limit.terms_days == terms[customer_id]
        assert limit.amount >= MINIMUM_LIMIT and limit.amount % ROUND_TO == 0
        assert limit.valid_from <= TODAY
        assert limit.review_on == limit.valid_from + datetime.timedelta(days=policy.limit_valid_days)
        application = limit.application
        assert application.customer_id == customer_id and application.status == ApplicationStatus.APPROVED
        assert application.approved_limit == limit.amount <= application.requested_limit
        assert application.approved_terms_days == limit.terms_days
        assert application.decided_by_id == limit.approved_by_id
        assert application.decided_at.date() == limit.valid_from
        assert application.investigation.investigated_on <= application.created_at.date() <= limit.valid_from


def test_investigations_are_scored_by_the_scorecard(demo):
    investigations = list(Investigation.objects.select_related("customer"))
    assert investigations
    for investigation in investigations:
        answers = {f: getattr(investigation, f) for f in INVESTIGATION_FIELDS}
        score, risk, detail = scorecard.score(answers)
        assert (investigation.score, investigation.risk_class, investigation.score_detail) == (score, risk, detail)
        assert risk != "reject"  # credit was granted on it
        assert investigation.investigated_by_id == investigation.customer.owner_id
        assert investigation.registered_capital > 0 and investigation.staff_size > 0 and investigation.banks
    assert len({i.risk_class for i in investigations}) >= 2


def _candidate() -> tuple[Customer, Decimal]:
    """A customer on credit in good standing: its limit in force, not frozen, nothing overdue."""
    grace = CreditPolicy.objects.get().grace_days
    for limit in CreditLimit.objects.filter(is_current=True, review_on__gte=TODAY).select_related("customer__owner") \
            .order_by("customer__code"):
        customer = limit.customer
        if customer.lifecycle != Lifecycle.CUSTOMER or customer.owner.role != Role.REP:
            continue
        if CreditAccount.objects.get(customer=customer).frozen:
            continue
        if customer_overdue_items(customer_id=customer.pk, due_before=TODAY - datetime.timedelta(days=grace)):
            continue
        room = limit.amount - customer_exposure(customer_id=customer.pk)
        if room >= 1000:
            return customer, room
    raise AssertionError("no demo customer in good standing with room under its limit")


@AT_TODAY
def test_an_order_within_the_limit_passes_and_a_huge_one_is_held(demo):
    customer, room = _candidate()
    rep = customer.owner
    product = Product.objects.filter(sales_unit="barrel").order_by("list_price").first()
    quantity = max(1, int(min(room / 2, Decimal(5000)) // product.list_price))
    small = order_create(user=rep, customer=customer, lines=[{"product": product, "quantity": str(quantity)}])
    assert small.payment_method == "credit" and 0 < small.total <= room
    small = order_confirm(user=rep, order=small)
    assert small.status == OrderStatus.CONFIRMED
    check = CreditCheck.objects.get(order=small)
    assert check.result == CheckResult.PASSED and check.reasons == []
    assert check.limit_amount == CreditLimit.objects.get(customer=customer, is_current=True).amount

    drum = Product.objects.order_by("-list_price").first()
    huge = order_create(user=rep, customer=customer, lines=[{"product": drum, "quantity": "9000"}])
    assert huge.total > check.limit_amount
    huge = order_confirm(user=rep, order=huge)
    assert huge.status == OrderStatus.HELD
    held = CreditCheck.objects.filter(order=huge).get()
    assert held.result == CheckResult.HELD
    assert [r["code"] for r in held.reasons] == ["over_limit"]


@AT_TODAY
def test_a_cash_customer_on_credit_is_held_for_having_no_limit(demo):
    customer = (Customer.objects.filter(lifecycle=Lifecycle.CUSTOMER, payment_terms_days=0, owner__role=Role.REP)
                .order_by("code").first())
    product = Product.objects.filter(sales_unit="barrel").order_by("list_price").first()
    order = order_create(user=customer.owner, customer=customer, lines=[{"product": product, "quantity": "1"}])
    order = order_confirm(user=customer.owner, order=order)
    assert order.status == OrderStatus.HELD
    assert "no_limit" in [r["code"] for r in CreditCheck.objects.get(order=order).reasons]
