"""The demo company: consistent with the models' rules, realistic in shape, the same for a seed."""

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
import time_machine

from kehu.accounts.models import Region, Role, Team, User
from kehu.core.geo import parse_addresses
from kehu.core.phone import normalize_phone
from kehu.core.text import pinyin_full, pinyin_initials
from kehu.core.uscc import normalize_uscc
from kehu.customers.models import (
    ColourGrade,
    Contact,
    Customer,
    CustomerCodeSequence,
    Industry,
    Lifecycle,
    SourceMethod,
)
from kehu.customers.selectors import build_search_text
from kehu.customers.services import customer_create
from kehu.demo import data
from kehu.demo.builder import DemoOptions, build_demo
from kehu.demo.models import DemoBuild
from kehu.ledger.models import (
    NumberSequence,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentAllocation,
    Product,
    Receivable,
)
from kehu.ledger.services import order_create
from kehu.testing import shared_rows

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 26)
SMALL = DemoOptions(seed=7, customers=60, order_lines=2000, today=TODAY)


@pytest.fixture(scope="module")
def demo_rows(django_db_setup, django_db_blocker):
    """One demo company read by every test of this module; a test's writes to it are rolled back.
    Builds from an empty database are in test_demo_builds.py."""
    with shared_rows(django_db_blocker, lambda: build_demo(SMALL)) as build:
        yield build


@pytest.fixture
def demo(demo_rows, db):
    return demo_rows


def sales_by_customer() -> dict[int, Decimal]:
    sales: dict[int, Decimal] = defaultdict(Decimal)
    for customer_id, total in Order.objects.exclude(
        status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED]
    ).values_list("customer_id", "total"):
        sales[customer_id] += total
    return sales


def test_small_build_has_the_asked_for_size(demo):
    assert Customer.objects.exclude(lifecycle=Lifecycle.PROSPECT).count() == 60
    assert Customer.objects.filter(lifecycle=Lifecycle.PROSPECT).count() == 30  # at least a team's pool
    assert OrderLine.objects.count() == 2000
    assert demo.order_lines == 2000 and demo.customers == 60
    assert Region.objects.count() == 3 and Team.objects.count() == 3
    assert User.objects.filter(role=Role.REP).count() == 12
    assert Industry.objects.count() >= 10 and 35 <= Product.objects.count() <= 50
    build = DemoBuild.objects.get()
    assert (build.seed, build.customers, build.order_lines, build.today) == (7, 60, 2000, TODAY)


def test_ledger_rows_agree_with_each_other(demo):
    # Sums in Python: SQLite sums decimals as floats.
    line_totals: dict[int, Decimal] = defaultdict(Decimal)
    for order_id, quantity, price, amount in OrderLine.objects.values_list("order_id", "quantity", "unit_price", "amount"):
        assert quantity > 0 and price >= 0
        assert amount == (quantity * price).quantize(Decimal("0.01"))
        line_totals[order_id] += amount
    orders = {o.pk: o for o in Order.objects.all()}
    assert all(line_totals[pk] == o.total for pk, o in orders.items())

    allocated: dict[int, Decimal] = defaultdict(Decimal)
    per_payment: dict[int, Decimal] = defaultdict(Decimal)
    for payment_id, receivable_id, amount in PaymentAllocation.objects.values_list("payment_id", "receivable_id", "amount"):
        assert amount > 0
        allocated[receivable_id] += amount
        per_payment[payment_id] += amount
    for payment in Payment.objects.all():
        assert payment.amount > 0 and 0 <= payment.unallocated <= payment.amount
        assert per_payment[payment.pk] + payment.unallocated == payment.amount
        assert payment.received_on <= TODAY
    receivables = {r.order_id: r for r in Receivable.objects.all()}
    for receivable in receivables.values():
        order = orders[receivable.order_id]
        assert receivable.customer_id == order.customer_id and receivable.amount == order.total
        assert receivable.paid == allocated[receivable.pk] <= receivable.amount
        assert receivable.due_on == receivable.issued_on + datetime.timedelta(days=order.payment_terms_days)
        assert (receivable.settled_on is not None) == (receivable.paid == receivable.amount)
    for order in orders.values():
        invoiced = order.status in (OrderStatus.INVOICED, OrderStatus.PAID)
        assert (order.pk in receivables) == invoiced
        if invoiced:
            assert (order.status == OrderStatus.PAID) == (receivables[order.pk].settled_on is not None)
        assert order.order_date <= TODAY
        if order.status == OrderStatus.DRAFT:
            assert order.confirmed_at is None
        elif order.status != OrderStatus.CANCELLED:
            assert order.confirmed_at is not None
        if order.status in (OrderStatus.DELIVERED, OrderStatus.INVOICED, OrderStatus.PAID):
            assert order.order_date < order.delivered_on <= TODAY
    statuses = set(Order.objects.values_list("status", flat=True))
    assert {OrderStatus.PAID, OrderStatus.INVOICED, OrderStatus.CANCELLED} <= statuses


def test_sales_are_long_tailed(demo):
    """C1: the top fifth of customers make well over half of the sales."""
    sales = sorted(sales_by_customer().values(), reverse=True)
    top = sum(sales[: 60 // 5])
    assert top / sum(sales) > Decimal("0.6")
    assert set(Customer.objects.exclude(lifecycle=Lifecycle.PROSPECT).values_list("abc_grade", flat=True)) == {"A", "B", "C"}


def test_prospects_show_every_source_colour_and_decision(demo):
    prospects = Customer.objects.filter(lifecycle=Lifecycle.PROSPECT)
    assert set(prospects.values_list("source", flat=True)) == set(SourceMethod.values)
    assert set(prospects.values_list("colour", flat=True)) == set(ColourGrade.values)
    assert not prospects.filter(source_detail="").exists()
    assert not prospects.filter(pursuit="").exists() and not prospects.filter(pursuit_reason="").exists()
    assert not Order.objects.filter(customer__lifecycle=Lifecycle.PROSPECT).exists()


def test_some_pay_late(demo):
    open_items = Receivable.objects.filter(settled_on__isnull=True)
    assert open_items.filter(due_on__lt=TODAY).exists()  # overdue
    assert [r for r in open_items if 0 < r.paid < r.amount]  # partly paid


def test_contacts_are_plausible(demo):
    contacts = list(Contact.objects.all())
    assert Contact.objects.filter(is_primary=True).count() == Customer.objects.count()
    per_customer: dict[int, int] = defaultdict(int)
    for contact in contacts:
        per_customer[contact.customer_id] += 1
        assert normalize_phone(contact.phone) == contact.phone and contact.phone[:2] in {"13", "15", "16", "17", "18", "19"}
        if contact.birthday_month:
            limit = 30 if contact.birthday_lunar else [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][contact.birthday_month - 1]
            assert 1 <= contact.birthday_day <= limit
    assert set(per_customer.values()) <= {1, 2, 3}
    birthdays = [c for c in contacts if c.birthday_month]
    lunar = [c for c in birthdays if c.birthday_lunar]
    assert lunar and 0.15 < len(lunar) / len(birthdays) < 0.55


def test_customer_cards_are_what_the_services_would_store(demo):
    customers = list(Customer.objects.prefetch_related("contacts"))
    parsed = parse_addresses([c.address for c in customers])
    codes = set()
    for customer, place in zip(customers, parsed, strict=True):
        codes.add(customer.code)
        assert customer.code.startswith("KH") and len(customer.code) == 8
        assert customer.pinyin == pinyin_full(customer.name)
        assert customer.initials == pinyin_initials(customer.name)
        assert customer.search_text == build_search_text(customer, list(customer.contacts.all()))
        assert (customer.province, customer.city, customer.district, customer.adcode) == (
            place.province, place.city, place.district, place.adcode)
        assert (customer.lng, customer.lat, customer.geo_source) == (place.lng, place.lat, "district")
        assert customer.region.name in {r.name for r in data.REGIONS}
        assert customer.province in customer.region.province_list()
        owner = customer.owner
        assert owner.team.region_id == customer.region_id  # a rep of the customer's region
        if customer.uscc:
            assert normalize_uscc(customer.uscc) == customer.uscc
            assert customer.uscc[2:8] == customer.adcode
        if customer.phone:
            assert normalize_phone(customer.phone) == customer.phone
        assert customer.payment_terms_days in {0, 30, 45, 60, 90}
    assert len(codes) == len(customers)
    assert Customer.objects.exclude(uscc="").count() > len(customers) * 0.6
    assert Customer.objects.filter(is_key_account=True).exists()
    assert Customer.objects.filter(lifecycle=Lifecycle.DORMANT).exists() or Customer.objects.filter(lifecycle=Lifecycle.LOST).exists()


def test_demo_logins_work(demo):
    for spec in data.USERS:
        user = User.objects.get(username=spec.username)
        assert user.check_password(data.DEMO_PASSWORD)
        assert user.display_name == spec.display_name and user.role == spec.role
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert User.objects.get(username="senior").approval_limit > User.objects.get(username="sup1").approval_limit > 0
    assert Team.objects.get(name="华东一组").supervisor.username == "sup1"


@time_machine.travel(datetime.datetime(2026, 11, 26, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_services_carry_on_numbering_after_the_demo(demo):
    rep = User.objects.get(username="rep01")
    customer = Customer.objects.filter(owner=rep, lifecycle=Lifecycle.CUSTOMER).first()
    product = Product.objects.first()
    order = order_create(user=rep, customer=customer, lines=[{"product": product, "quantity": "2"}])
    last = Order.objects.filter(number__startswith="SO202611-").exclude(pk=order.pk).order_by("-number").first()
    assert order.number > last.number
    new = customer_create(user=rep, data={"name": "演示后新建客户有限公司", "lifecycle": Lifecycle.PROSPECT})
    assert new.code == f"KH{60 + 30 + 1:06d}"
    assert CustomerCodeSequence.objects.get(prefix="KH").next_value == 60 + 30 + 2
    assert NumberSequence.objects.filter(prefix__startswith="SO").count() == 25  # 24 months and a day
