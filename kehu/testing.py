"""Factories and a small named organisation for tests (and nothing in production imports this).

Named people, one per role, so permission tests read like sentences:
alice and bob are reps in team East (supervised by sam); carol is a rep in team North
(supervised by sue); kim is the key-account manager; cathy credit; sid the senior manager;
ada the admin.
"""

import datetime
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import factory

from kehu.accounts.models import Region, Role, Team, User
from kehu.customers.models import Contact, Customer, Industry, Lifecycle
from kehu.customers.services import customer_create
from kehu.ledger.models import Product

T = TypeVar("T")

PASSWORD = "kehu-test-Pass-1"
_seq = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.REP
    password = factory.django.Password(PASSWORD)


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = "长城柴油机油"
    category = "engine_oil"
    grade = "CI-4 15W-40"
    pack_size = Decimal("18")
    list_price = Decimal("420.00")


def make_customer(owner: User, name: str = "", **data) -> Customer:
    n = next(_seq)
    return customer_create(user=owner, data={"name": name or f"测试客户{n}有限公司", "owner": owner,
                                             "lifecycle": Lifecycle.CUSTOMER, **data})


@dataclass
class Org:
    east: Region
    north: Region
    team_east: Team
    team_north: Team
    alice: User
    bob: User
    carol: User
    sam: User
    sue: User
    kim: User
    cathy: User
    sid: User
    ada: User
    industry: Industry
    product: Product

    def users(self) -> dict[str, User]:
        return {n: getattr(self, n) for n in ("alice", "bob", "carol", "sam", "sue", "kim", "cathy", "sid", "ada")}


def build_org() -> Org:
    east = Region.objects.create(code="E", name="华东区", provinces="上海市,江苏省,浙江省")
    north = Region.objects.create(code="N", name="华北区", provinces="北京市,天津市,河北省")
    sam = UserFactory.create(username="sam", display_name="沈主管", role=Role.SUPERVISOR, approval_limit=Decimal("200000"))
    sue = UserFactory.create(username="sue", display_name="苏主管", role=Role.SUPERVISOR, approval_limit=Decimal("200000"))
    team_east = Team.objects.create(name="华东一组", region=east, supervisor=sam)
    team_north = Team.objects.create(name="华北一组", region=north, supervisor=sue)
    sam.team = team_east
    sam.save()
    sue.team = team_north
    sue.save()
    return Org(
        east=east, north=north, team_east=team_east, team_north=team_north,
        alice=UserFactory.create(username="alice", display_name="艾丽", role=Role.REP, team=team_east),
        bob=UserFactory.create(username="bob", display_name="鲍勃", role=Role.REP, team=team_east),
        carol=UserFactory.create(username="carol", display_name="卡罗", role=Role.REP, team=team_north),
        sam=sam, sue=sue,
        kim=UserFactory.create(username="kim", display_name="金经理", role=Role.KEY_ACCOUNT),
        cathy=UserFactory.create(username="cathy", display_name="财务凯西", role=Role.CREDIT),
        sid=UserFactory.create(username="sid", display_name="高经理", role=Role.SENIOR, approval_limit=Decimal("5000000")),
        ada=UserFactory.create(username="ada", display_name="管理员", role=Role.ADMIN, is_staff=True, is_superuser=True),
        industry=Industry.objects.create(code="MFG", name="机械制造", name_en="Machinery"),
        product=ProductFactory.create(),
    )


def make_contact(customer: Customer, **data) -> Contact:
    data.setdefault("name", "张伟")
    return Contact.objects.create(customer=customer, **data)


TODAY = datetime.date(2026, 11, 26)


INVESTIGATION = {
    "registered_capital": Decimal("5000000"), "years_in_business": 8, "ownership": "private", "staff_size": 120,
    "revenue_band": "20-100m", "payment_record_us": "good", "payment_record_others": "good",
    "legal_disputes": "none", "impression": "good",
}


def grant_limit(customer: Customer, amount: str | Decimal = "100000", *, terms: int = 30,
                approver: User | None = None, applicant: User | None = None):
    """Investigate, apply and approve through the real services (K1), as the owner and their supervisor."""
    from kehu.credit.services import application_decide, application_submit, investigation_create

    applicant = applicant or customer.owner
    investigation = investigation_create(user=applicant, customer=customer, data=dict(INVESTIGATION))
    application = application_submit(user=applicant, customer=customer, investigation=investigation,
                                     requested_limit=amount, requested_terms_days=terms, reason="测试授信")
    supervisor = applicant.team.supervisor if approver is None and applicant.team else None
    if supervisor is not None:
        approver = supervisor if supervisor.approval_limit >= Decimal(str(amount)) and supervisor != applicant else None
    if approver is None:
        approver = User.objects.filter(role=Role.SENIOR).order_by("pk").first()
        assert approver is not None, "grant_limit needs a senior manager to approve"
    return application_decide(user=approver, application=application, approve=True)


@contextmanager
def shared_rows(django_db_blocker: Any, build: Callable[[], T]) -> Iterator[T]:
    """Rows built once for every test of a module (or class) that reads them, as Django's
    `TestCase.setUpTestData` does: built in a transaction rolled back when the last of those tests
    is done, while each test's own writes roll back to its savepoint as usual. For a module-scoped
    fixture; a test in the same module that needs an empty database must not run beside it."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            value = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield value
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def race(calls: list[Callable[[], Any]]) -> tuple[list[Any], list[Exception]]:
    """Run ``calls`` at the same moment, one thread (and database connection) each, all released by
    one barrier: (what the winners returned, the ValidationErrors of the refused). Any other error
    fails the test. For the concurrency proofs on PostgreSQL."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connections

    barrier = threading.Barrier(len(calls))
    wins: list[Any] = []
    losses: list[Exception] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            wins.append(call())
        except ValidationError as exc:
            losses.append(exc)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return wins, losses
