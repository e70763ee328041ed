"""A small credit world on the named organisation, shared by the API and page tests.

Three customers — "a" (alice's), "b" (bob's, both in sam's team East) and "c" (carol's, in sue's
team North) — each with an approved limit of ¥100,000 (investigation, application, approval
through the real services), an invoiced order of ¥10,000 of which ¥4,000 was written off by cathy
(liabilities: the rep as handler, their supervisor as approver), a held order of ¥150,000 with an
exception requested by the rep, and an open review prompt.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from kehu.credit import services
from kehu.credit.models import (
    CreditException,
    CreditLimit,
    Investigation,
    Liability,
    LimitApplication,
    ReviewTask,
    WriteOff,
)
from kehu.customers.models import Customer
from kehu.ledger.models import Order
from kehu.ledger.services import order_confirm, order_create, order_deliver, order_invoice
from kehu.testing import INVESTIGATION, Org, grant_limit, make_customer

KEYS = ("a", "b", "c")
ALL = set(KEYS)
# Which customers' credit records each person sees (DESIGN.md: a rep their own, a supervisor their
# team's; senior managers, credit and admin all). kim sees key accounts only, and there are none.
SEES = {
    "alice": {"a"}, "bob": {"b"}, "carol": {"c"}, "sam": {"a", "b"}, "sue": {"c"}, "kim": set(),
    "cathy": ALL, "sid": ALL, "ada": ALL,
}
CREDIT_STAFF = {"cathy", "sid", "ada"}
# K3 liabilities as (customer, role): each write-off charges the rep (handler) and the supervisor
# who approved the limit. A person sees their own; a supervisor their team's; management all.
_EVERY_LIABILITY = {(k, role) for k in KEYS for role in ("handler", "approver")}
SEES_LIABILITIES = {
    "alice": {("a", "handler")}, "bob": {("b", "handler")}, "carol": {("c", "handler")},
    "sam": {("a", "handler"), ("a", "approver"), ("b", "handler"), ("b", "approver")},
    "sue": {("c", "handler"), ("c", "approver")}, "kim": set(),
    "cathy": _EVERY_LIABILITY, "sid": _EVERY_LIABILITY, "ada": _EVERY_LIABILITY,
}
NAMES = {"a": "艾丽机械制造有限公司", "b": "鲍勃物流有限公司", "c": "卡罗建筑工程有限公司"}


@dataclass
class World:
    customers: dict[str, Customer] = field(default_factory=dict)
    investigations: dict[str, Investigation] = field(default_factory=dict)
    applications: dict[str, LimitApplication] = field(default_factory=dict)
    limits: dict[str, CreditLimit] = field(default_factory=dict)
    sold: dict[str, Order] = field(default_factory=dict)
    held: dict[str, Order] = field(default_factory=dict)
    exceptions: dict[str, CreditException] = field(default_factory=dict)
    write_offs: dict[str, WriteOff] = field(default_factory=dict)
    reviews: dict[str, ReviewTask] = field(default_factory=dict)

    def key_of_customer(self, pk: int) -> str:
        return next(k for k, c in self.customers.items() if c.pk == pk)


def order_of(org: Org, customer: Customer, amount, *, user=None, method: str = "credit") -> Order:
    """A draft order of ``amount`` yuan (one line, the price set on it)."""
    return order_create(user=user or customer.owner, customer=customer, payment_method=method,
                        lines=[{"product": org.product, "quantity": "1", "unit_price": str(amount)}])


def invoiced(order: Order, *, day: datetime.date) -> Order:
    order = order_confirm(user=order.handler, order=order)
    order_deliver(user=order.handler, order=order, day=day)
    return order_invoice(user=order.handler, order=order, day=day)


def investigate(customer: Customer, user, **changes) -> Investigation:
    return services.investigation_create(user=user, customer=customer, data={**INVESTIGATION, **changes})


def build_world(org: Org) -> World:
    world = World()
    today = timezone.localdate()
    for key, owner in (("a", org.alice), ("b", org.bob), ("c", org.carol)):
        customer = make_customer(owner, NAMES[key])
        application = grant_limit(customer, "100000", terms=30)
        world.customers[key] = customer
        world.applications[key] = application
        world.investigations[key] = application.investigation
        world.limits[key] = CreditLimit.objects.get(application=application)
        # Invoiced 40 days ago on 30-day terms: ten days overdue, in the 1–30 ageing bucket.
        sold = invoiced(order_of(org, customer, "10000"), day=today - datetime.timedelta(days=40))
        world.sold[key] = sold
        world.write_offs[key] = services.write_off_create(user=org.cathy, receivable=sold.receivable,
                                                          amount="4000", kind="doubtful", reason="客户经营困难")
        held = order_confirm(user=owner, order=order_of(org, customer, "150000"))
        assert held.status == "held"
        world.held[key] = held
        world.exceptions[key] = services.exception_request(user=owner, order=held, reason="老客户，季度末回款")
        world.reviews[key] = ReviewTask.objects.create(customer=customer, reason="overdue", detail="逾期十天",
                                                       raised_on=today)
    assert Liability.objects.count() == 6
    assert {li.amount for li in Liability.objects.all()} == {Decimal("1200.00"), Decimal("800.00")}
    return world
