import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, DateField, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.money import ZERO, to_money
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_visible
from kehu.ledger.models import Receivable
from kehu.ledger.selectors import customers_exposure, exposure_expression

from . import permissions
from .models import (
    ApplicationStatus,
    AuditEntry,
    CreditAccount,
    CreditCheck,
    CreditException,
    CreditLimit,
    CreditPolicy,
    Investigation,
    Liability,
    LiabilityRole,
    LimitApplication,
    ReviewTask,
    UtilisationSnapshot,
    WriteOff,
)


def limits_in_force(*, on: datetime.date) -> QuerySet[CreditLimit]:
    """The one definition of "the limit in force" on a day: the customer's current limit, not past
    its review date. The order check, the card and the API read it from here."""
    return CreditLimit.objects.filter(is_current=True, review_on__gte=on)


def policies_in_force(*, on: datetime.date) -> QuerySet[CreditPolicy]:
    """The versions of the credit policy in force on a day, the one that applies first (its grace
    days are the ones the order check uses)."""
    return CreditPolicy.objects.filter(effective_from__lte=on).order_by("-effective_from")


POSITION_FIELDS = ("exposure", "earliest_due", "limit_id", "limit_amount", "grace")


def _position_query(*, customer_id: int, today: datetime.date) -> QuerySet:
    in_force = limits_in_force(on=today).filter(customer_id=OuterRef("pk"))
    unpaid = (Receivable.objects.filter(customer_id=OuterRef("pk"), settled_on__isnull=True,
                                        amount__gt=F("paid") + F("written_off"))
              .order_by().values("customer_id").annotate(d=Min("due_on")).values("d"))
    return (Customer.objects.filter(pk=customer_id).order_by()
            .annotate(exposure=exposure_expression(),
                      earliest_due=Subquery(unpaid, output_field=DateField()),
                      limit_id=Subquery(in_force.values("pk")[:1]),
                      limit_amount=Subquery(in_force.values("amount")[:1]),
                      grace=Subquery(policies_in_force(on=today).values("grace_days")[:1]))
            .values_list(*POSITION_FIELDS))


# Stand-ins for the two values the statement takes, found among its parameters once it is compiled.
_ANY_CUSTOMER = -7_300_000_000_001
_ANY_DAY = datetime.date(1901, 2, 3)


class _CompiledPosition:
    """``_position_query`` compiled once per database: the ORM spends far longer building this
    statement of five subqueries than the database spends running it, and the order check runs it
    on every confirmation. The SQL is the ORM's own; only the customer and the day are put in."""

    def __init__(self, using: str) -> None:
        compiler = _position_query(customer_id=_ANY_CUSTOMER, today=_ANY_DAY).query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        # the day arrives as a date or already adapted (SQLite passes it as text)
        day_forms = (_ANY_DAY, connections[using].ops.adapt_datefield_value(_ANY_DAY))
        self.slots = [(i, "customer" if p == _ANY_CUSTOMER else "day") for i, p in enumerate(params)
                      if p == _ANY_CUSTOMER or p in day_forms]
        if [kind for _i, kind in self.slots].count("customer") != 1:
            raise AssertionError("the position statement must name the customer once")
        self.params = list(params)
        self.compiler = compiler
        self.converters = compiler.get_converters([col for col, _sql, _alias in compiler.select])
        aliases = [alias for _col, _sql, alias in compiler.select]
        self.order = [aliases.index(name) for name in POSITION_FIELDS]

    def read(self, connection, *, customer_id: int, today: datetime.date) -> tuple:
        values: dict[str, Any] = {"customer": customer_id, "day": connection.ops.adapt_datefield_value(today)}
        params = list(self.params)
        for index, kind in self.slots:
            params[index] = values[kind]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if len(rows) != 1:
            raise Customer.DoesNotExist(f"no customer {customer_id}")
        row = list(next(iter(self.compiler.apply_converters(rows, self.converters))))
        return tuple(row[i] for i in self.order)


_compiled: dict[str, _CompiledPosition] = {}


def position_for_check(*, customer_id: int, today: datetime.date) -> dict:
    """Everything the order-time check needs, in one statement, read after the customer's lock
    is granted: the exposure (``ledger.exposure_expression``, as every reader computes it), the
    earliest unpaid due date, the limit in force (``limits_in_force``) and the grace days of the
    policy in force (``policies_in_force``). The statement is ``_position_query``, compiled once."""
    connection = connections[DEFAULT_DB_ALIAS]
    compiled = _compiled.get(connection.alias)
    if compiled is None:
        compiled = _compiled[connection.alias] = _CompiledPosition(connection.alias)
    exposure, earliest_due, limit_id, limit_amount, grace = compiled.read(connection, customer_id=customer_id, today=today)
    return {
        "exposure": to_money(exposure),
        "earliest_due": earliest_due,
        "limit_id": limit_id,
        "limit_amount": to_money(limit_amount) if limit_amount is not None else None,
        "grace_days": grace,
    }


def credit_positions(*, customer_ids: Iterable[int], today: datetime.date | None = None) -> dict[int, dict]:
    """The credit position of each customer as the card's credit section shows it: the current
    limit (expired or not), the exposure (DESIGN.md, as ``customer_exposure`` counts it), what the
    limit leaves available, and whether credit is frozen and why. Four grouped queries however
    many customers: a page of the API's list costs what one card does."""
    ids = list(customer_ids)
    today = today or timezone.localdate()
    limits = {limit.customer_id: limit for limit in
              CreditLimit.objects.filter(customer_id__in=ids, is_current=True).select_related("approved_by", "customer")
              .annotate(in_force=Exists(limits_in_force(on=today).filter(pk=OuterRef("pk"))))}
    accounts = {account.customer_id: account for account in CreditAccount.objects.filter(customer_id__in=ids)}
    exposure = customers_exposure(customer_ids=ids)
    positions = {}
    for cid in ids:
        limit, account = limits.get(cid), accounts.get(cid)
        positions[cid] = {
            "limit": limit,
            "limit_expired": bool(limit and not limit.in_force),
            "frozen": bool(account and account.frozen),
            "frozen_reason": account.frozen_reason if account else "",
            "exposure": exposure[cid],
            "available": (limit.amount - exposure[cid]) if limit else None,
        }
    return positions


def credit_account_list(*, user: User, customer: int | None = None, frozen: bool | None = None) -> QuerySet[Customer]:
    """The customers ``user`` sees, whose credit positions ``credit_positions`` gives; by code."""
    qs = customer_visible(user=user)
    if customer:
        qs = qs.filter(pk=customer)
    if frozen is True:
        qs = qs.filter(credit_account__frozen=True)
    elif frozen is False:  # no credit account yet: never frozen
        qs = qs.exclude(credit_account__frozen=True)
    return qs.order_by("code", "id")


def policy_list() -> QuerySet[CreditPolicy]:
    """Every version of the credit policy, the newest first, those not yet in force included."""
    return CreditPolicy.objects.select_related("created_by").order_by("-effective_from")


def utilisation_snapshot_visible(*, user: User) -> QuerySet[UtilisationSnapshot]:
    """The daily utilisation of the customers ``user`` sees (what the card shows, day by day)."""
    return UtilisationSnapshot.objects.filter(customer__in=customer_visible(user=user))


def credit_summary(*, customer: Customer) -> dict:
    today = timezone.localdate()
    return {
        **credit_positions(customer_ids=[customer.pk], today=today)[customer.pk],
        "investigation": Investigation.objects.filter(customer=customer).order_by("-investigated_on", "-id").first(),
        "applications": list(LimitApplication.objects.filter(customer=customer).select_related("applicant", "decided_by")[:5]),
        "history": list(CreditLimit.objects.filter(customer=customer).select_related("approved_by")[:10]),
        "reviews": list(ReviewTask.objects.filter(customer=customer, done_at__isnull=True)),
        "open_receivables": list(Receivable.objects.filter(customer=customer, settled_on__isnull=True)
                                 .select_related("order").order_by("due_on", "id")[:20]),
        "today": today,
    }


def applications_to_decide(*, user: User) -> QuerySet[LimitApplication]:
    """Pending applications this person could decide (never their own)."""
    scope = permissions.decidable_scope(user, requester="applicant")
    if scope is None:
        return LimitApplication.objects.none()
    return LimitApplication.objects.filter(scope, status=ApplicationStatus.PENDING)


def exceptions_to_decide(*, user: User) -> QuerySet[CreditException]:
    """Pending exceptions this person could decide: never one they asked for or an order they handle."""
    scope = permissions.decidable_scope(user, requester="order__handler")
    if scope is None:
        return CreditException.objects.none()
    return CreditException.objects.filter(scope, status=ApplicationStatus.PENDING).exclude(requested_by=user)


def application_visible(*, user: User) -> QuerySet[LimitApplication]:
    return LimitApplication.objects.filter(customer__in=customer_visible(user=user))


def liabilities_visible(*, user: User) -> QuerySet[Liability]:
    """Each person sees their own; a supervisor their team's; management and credit all."""
    qs = Liability.objects.select_related("write_off__customer", "write_off__receivable__order", "person")
    scope = permissions.liability_scope(user)
    return qs if scope is None else qs.filter(scope)


AGEING_BUCKETS = [("current", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None)]


AGEING_SORTS = ["name", "total", *[b[0] for b in AGEING_BUCKETS]]


def _ageing_rows(qs: QuerySet[Receivable], keys: tuple[str, str, str], today: datetime.date) -> dict:
    """Open receivables of ``qs`` by days past due, one row per value of ``keys[0]``."""
    rows: dict = {}
    for bucket, low, high in AGEING_BUCKETS:
        bucket_qs = qs
        if low is None:
            bucket_qs = bucket_qs.filter(due_on__gte=today)
        else:
            bucket_qs = bucket_qs.filter(due_on__lte=today - datetime.timedelta(days=low))
            if high is not None:
                bucket_qs = bucket_qs.filter(due_on__gte=today - datetime.timedelta(days=high))
        for row in bucket_qs.values(*keys).annotate(a=Sum("amount"), p=Sum("paid"), w=Sum("written_off")):
            key = row[keys[0]]
            entry = rows.setdefault(key, {"key": key, "code": row[keys[1]] or "—", "name": row[keys[2]] or row[keys[1]] or "—",
                                          **{b[0]: ZERO for b in AGEING_BUCKETS}, "total": ZERO})
            value = (row["a"] or ZERO) - (row["p"] or ZERO) - (row["w"] or ZERO)
            entry[bucket] += value
            entry["total"] += value
    return rows


def receivables_ageing(*, user: User, group_by: str = "customer", today: datetime.date | None = None,
                       sort: str = "-total") -> list[dict]:
    """Open receivables by days past due, grouped by customer, rep (owner), team or region.

    ``sort`` is a column of AGEING_SORTS, descending with a leading "-"; ties by code. The
    default puts the largest balances first; "-90+" the oldest debts."""
    today = today or timezone.localdate()
    keys = {
        "customer": ("customer_id", "customer__code", "customer__name"),
        "rep": ("customer__owner_id", "customer__owner__username", "customer__owner__display_name"),
        "team": ("customer__owner__team_id", "customer__owner__team__name", "customer__owner__team__name"),
        "region": ("customer__region_id", "customer__region__code", "customer__region__name"),
    }[group_by]
    qs = Receivable.objects.filter(settled_on__isnull=True, customer__in=customer_visible(user=user))
    rows = list(_ageing_rows(qs, keys, today).values())
    column = sort.removeprefix("-")
    if column not in AGEING_SORTS:
        column, sort = "total", "-total"
    rows.sort(key=lambda r: str(r["code"]))
    if column == "name":
        rows.sort(key=lambda r: str(r["name"]), reverse=sort.startswith("-"))
    else:
        rows.sort(key=lambda r: r[column], reverse=sort.startswith("-"))
    return rows


def customer_ageing(*, customer_id: int, today: datetime.date | None = None) -> dict:
    """One customer's open receivables by days past due: each bucket, the total and what is overdue."""
    today = today or timezone.localdate()
    qs = Receivable.objects.filter(settled_on__isnull=True, customer_id=customer_id)
    row = _ageing_rows(qs, ("customer_id", "customer__code", "customer__name"), today).get(customer_id)
    buckets = [(b[0], row[b[0]] if row else ZERO) for b in AGEING_BUCKETS]
    oldest = (qs.filter(due_on__lt=today).exclude(amount__lte=F("paid") + F("written_off"))
              .order_by("due_on").values_list("due_on", flat=True).first())
    return {
        "buckets": buckets,
        "total": row["total"] if row else ZERO,
        "overdue": sum((amount for bucket, amount in buckets if bucket != "current"), ZERO),
        "oldest_overdue_days": (today - oldest).days if oldest else None,
    }


def customers_overdue(*, customer_ids: Iterable[int], today: datetime.date) -> dict[int, dict]:
    """What each of these customers owes past due, in one grouped query: the amount, and the days
    since the oldest receivable still owing fell due (as ``customer_ageing`` counts them); customers
    owing nothing past due are left out."""
    rows = (Receivable.objects.filter(customer_id__in=list(customer_ids), settled_on__isnull=True, due_on__lt=today)
            .exclude(amount__lte=F("paid") + F("written_off")).values("customer_id")
            .annotate(amount=Sum(F("amount") - F("paid") - F("written_off")), oldest=Min("due_on")))
    return {row["customer_id"]: {"amount": row["amount"], "days": (today - row["oldest"]).days} for row in rows}


def approval_facts(*, customer: Customer, today: datetime.date | None = None) -> dict:
    """What an approver reads before deciding on a customer's credit: the limit in force and what
    it leaves, the exposure, overdue and ageing of the receivables, the latest investigation's score."""
    today = today or timezone.localdate()
    return {
        **credit_positions(customer_ids=[customer.pk], today=today)[customer.pk],
        "ageing": customer_ageing(customer_id=customer.pk, today=today),
        "investigation": Investigation.objects.filter(customer=customer).order_by("-investigated_on", "-id").first(),
    }


def requester_history(*, person: User, viewer: User, limit: int = 5, besides: LimitApplication | CreditException | None = None) -> dict:
    """The credit record of the person asking, as far as ``viewer`` may see it: their limit
    applications and exceptions (``besides`` the one being decided) and how they were decided,
    and the bad debts they handled (K3)."""
    applications = LimitApplication.objects.filter(applicant=person, customer__in=customer_visible(user=viewer))
    exceptions = CreditException.objects.filter(requested_by=person, order__customer__in=customer_visible(user=viewer))
    if isinstance(besides, LimitApplication):
        applications = applications.exclude(pk=besides.pk)
    elif isinstance(besides, CreditException):
        exceptions = exceptions.exclude(pk=besides.pk)
    handled = liabilities_visible(user=viewer).filter(person=person, role=LiabilityRole.HANDLER)
    by_status = {status: 0 for status in ApplicationStatus.values}
    for status, n in applications.values_list("status").annotate(n=Count("id")).order_by():
        by_status[status] = n
    exc_status = {status: 0 for status in ApplicationStatus.values}
    for status, n in exceptions.values_list("status").annotate(n=Count("id")).order_by():
        exc_status[status] = n
    return {
        "person": person,
        "applications": by_status,
        "recent_applications": list(applications.select_related("customer", "decided_by").order_by("-created_at", "-id")[:limit]),
        "exceptions": exc_status,
        "recent_exceptions": list(exceptions.select_related("order__customer", "decided_by").order_by("-created_at", "-id")[:limit]),
        "bad_debts": handled.count(),
        "bad_debt_liability": liability_total(handled),
    }


def checks_of_order(*, order) -> list[CreditCheck]:
    return list(CreditCheck.objects.filter(order=order).select_related("checked_by", "exception__decided_by"))


def open_review_tasks(*, user: User) -> QuerySet[ReviewTask]:
    return ReviewTask.objects.filter(done_at__isnull=True, customer__in=customer_visible(user=user)).select_related("customer")


def liability_total(qs: QuerySet[Liability]) -> Decimal:
    agg = qs.aggregate(total=Sum("amount"), reduced=Sum("reduced_by_recovery"))
    return (agg["total"] or ZERO) - (agg["reduced"] or ZERO)


# ── reads for the API: each answers only what the user may see ───────────────────────────────

def investigation_visible(*, user: User) -> QuerySet[Investigation]:
    return Investigation.objects.filter(customer__in=customer_visible(user=user))


def application_open_to(*, user: User) -> QuerySet[LimitApplication]:
    """Applications of customers ``user`` sees, and those waiting for their decision."""
    return LimitApplication.objects.filter(
        Q(customer__in=customer_visible(user=user)) | Q(pk__in=applications_to_decide(user=user).values("pk")))


def limit_visible(*, user: User) -> QuerySet[CreditLimit]:
    return CreditLimit.objects.filter(customer__in=customer_visible(user=user))


def exception_open_to(*, user: User) -> QuerySet[CreditException]:
    """Exceptions for orders of customers ``user`` sees, and those waiting for their decision."""
    return CreditException.objects.filter(
        Q(order__customer__in=customer_visible(user=user)) | Q(pk__in=exceptions_to_decide(user=user).values("pk")))


def review_task_visible(*, user: User) -> QuerySet[ReviewTask]:
    return ReviewTask.objects.filter(customer__in=customer_visible(user=user))


def write_off_visible(*, user: User) -> QuerySet[WriteOff]:
    """Credit staff see every write-off; anyone else those carrying a liability they may see."""
    if permissions.is_credit_staff(user):
        return WriteOff.objects.all()
    return WriteOff.objects.filter(pk__in=liabilities_visible(user=user).values("write_off_id"))


def audit_entries(*, user: User) -> QuerySet[AuditEntry]:
    """The audit trail, for credit staff only (anyone else gets nothing)."""
    if not permissions.is_credit_staff(user):
        return AuditEntry.objects.none()
    return AuditEntry.objects.select_related("user", "customer")
