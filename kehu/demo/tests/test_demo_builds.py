"""Demo builds from an empty database: the same seed builds the same company, credit draws from
its own generator, a second build adds beside the first, and the `demo` command's options."""

import hashlib
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from kehu.accounts.models import Region, Team, User
from kehu.credit.models import (
    CreditAccount,
    CreditLimit,
    CreditPolicy,
    Investigation,
    LimitApplication,
)
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerCodeSequence,
    CustomerNeed,
    Industry,
    Lifecycle,
)
from kehu.demo import data
from kehu.demo.builder import DemoOptions, build_demo
from kehu.demo.models import DemoBuild
from kehu.ledger.models import (
    NumberSequence,
    Order,
    OrderLine,
    Payment,
    PaymentAllocation,
    Product,
    Receivable,
)

from .test_credit import current_limits
from .test_demo import SMALL, TODAY, sales_by_customer

pytestmark = pytest.mark.django_db


def fingerprint() -> dict[str, object]:
    """What a build produced, by natural keys (codes, numbers, user names), not database ids."""
    digest = hashlib.sha256()
    row: tuple[Any, ...]
    for row in Customer.objects.order_by("code").values_list(
        "code", "name", "uscc", "owner__username", "address", "adcode", "lifecycle", "colour", "source",
        "abc_grade", "is_key_account", "payment_terms_days", "search_text",
    ):
        digest.update(repr(row).encode())
    for row in Order.objects.order_by("number").values_list("number", "customer__code", "order_date", "status", "total"):
        digest.update(repr(row).encode())
    for row in OrderLine.objects.order_by("order__number", "id").values_list("product__code", "quantity", "amount"):
        digest.update(repr(row).encode())
    for row in Payment.objects.order_by("received_on", "customer__code").values_list(
        "customer__code", "received_on", "amount", "unallocated"
    ):
        digest.update(repr(row).encode())
    credit = hashlib.sha256()
    for row in Investigation.objects.order_by("customer__code", "investigated_on", "id").values_list(
        "customer__code", "investigated_by__username", "investigated_on", "registered_capital", "years_in_business",
        "ownership", "staff_size", "revenue_band", "banks", "payment_record_us", "payment_record_others",
        "legal_disputes", "impression", "score", "risk_class",
    ):
        credit.update(repr(row).encode())
    for row in LimitApplication.objects.order_by("customer__code", "created_at", "id").values_list(
        "customer__code", "applicant__username", "investigation__investigated_on", "requested_limit",
        "requested_terms_days", "reason", "status", "decided_by__username", "decided_at", "approved_limit",
    ):
        credit.update(repr(row).encode())
    for row in CreditLimit.objects.order_by("customer__code", "valid_from", "id").values_list(
        "customer__code", "amount", "terms_days", "approved_by__username", "valid_from", "review_on", "is_current",
        "superseded_at",
    ):
        credit.update(repr(row).encode())
    for row in CreditAccount.objects.order_by("customer__code").values_list("customer__code", "frozen", "frozen_reason"):
        credit.update(repr(row).encode())
    return {
        "credit": credit.hexdigest(),
        "limits": CreditLimit.objects.count(),
        "digest": digest.hexdigest(),
        "customers": Customer.objects.count(),
        "contacts": Contact.objects.count(),
        "orders": Order.objects.count(),
        "sales": sum(sales_by_customer().values()),
        "paid": sum(Receivable.objects.values_list("paid", flat=True)),
    }


def wipe() -> None:
    for model in (CreditLimit, LimitApplication, Investigation, CreditAccount, CreditPolicy,
                  PaymentAllocation, Payment, Receivable, OrderLine, Order, CustomerNeed, Contact, Customer,
                  NumberSequence, CustomerCodeSequence, Product, Industry, DemoBuild):
        model.objects.all().delete()
    User.objects.update(team=None)
    Team.objects.all().delete()
    User.objects.all().delete()
    Region.objects.all().delete()


def test_same_seed_same_company():
    build_demo(SMALL)
    first = fingerprint()
    wipe()
    build_demo(SMALL)
    assert fingerprint() == first
    wipe()
    build_demo(DemoOptions(seed=8, customers=60, order_lines=2000, today=TODAY))
    other = fingerprint()
    assert other["digest"] != first["digest"] and other["credit"] != first["credit"]


def test_credit_leaves_the_rest_of_the_company_as_it_was(monkeypatch):
    """Credit draws from its own generator: with it or without it, a seed builds the same
    customers, orders and payments."""
    with monkeypatch.context() as patch:
        patch.setattr("kehu.demo.builder.make_credit", lambda builder: None)
        build_demo(SMALL)
    without = fingerprint()
    assert without["limits"] == 0
    wipe()
    build_demo(SMALL)
    with_credit = fingerprint()
    assert with_credit["limits"] > 0
    assert {k: v for k, v in with_credit.items() if k not in ("credit", "limits")} == {
        k: v for k, v in without.items() if k not in ("credit", "limits")}


def test_command_builds_and_prints_logins():
    out, err = StringIO(), StringIO()
    call_command("demo", "--customers", "20", "--order-lines", "300", "--prospects", "10", "--today", "2026-11-26",
                 stdout=out, stderr=err)
    assert Customer.objects.count() == 30 and OrderLine.objects.count() == 300
    assert "Demo company added" in out.getvalue() and data.DEMO_PASSWORD in out.getvalue()


def test_logins_only_prints():
    out = StringIO()
    call_command("demo", "--logins", stdout=out)
    for spec in data.USERS:
        assert spec.username in out.getvalue()
    assert data.DEMO_PASSWORD in out.getvalue()
    assert not User.objects.exists()


def test_if_empty_keeps_existing_data(org):
    from kehu.testing import make_customer

    make_customer(org.alice, "已有客户有限公司")
    out = StringIO()
    call_command("demo", "--if-empty", "--customers", "20", "--order-lines", "200", stdout=out)
    assert Customer.objects.count() == 1 and not Order.objects.exists()
    assert "not added" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("demo", "--customers", "20", "--order-lines", "200", stdout=StringIO())
    assert Customer.objects.count() == 1


def test_force_adds_beside_existing_data():
    build_demo(SMALL)
    before = set(Customer.objects.values_list("code", flat=True))
    call_command("demo", "--force", "--customers", "20", "--order-lines", "300", "--prospects", "10",
                 "--today", "2026-11-26", stdout=StringIO(), stderr=StringIO())
    after = set(Customer.objects.values_list("code", flat=True))
    assert before < after and len(after) == len(before) + 30
    assert User.objects.filter(username="rep01").count() == 1
    numbers = list(Order.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    assert OrderLine.objects.count() == 2300


def test_rejects_impossible_sizes():
    with pytest.raises(CommandError):
        call_command("demo", "--customers", "100", "--order-lines", "50", stdout=StringIO(), stderr=StringIO())


def test_a_second_build_adds_credit_only_for_its_own_customers():
    build_demo(SMALL)
    first = set(CreditLimit.objects.values_list("customer_id", flat=True))
    build_demo(DemoOptions(seed=12, customers=20, order_lines=300, prospects=10, today=TODAY))
    assert CreditPolicy.objects.count() == 1
    current = current_limits()
    assert first < set(current)
    on_credit = set(Customer.objects.exclude(lifecycle=Lifecycle.PROSPECT).filter(payment_terms_days__gt=0)
                    .values_list("pk", flat=True))
    assert set(current) == on_credit
    assert User.objects.filter(username="senior").count() == 1
