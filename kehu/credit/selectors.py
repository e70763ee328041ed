import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from kehu.accounts.models import Role, User
from kehu.core.money import ZERO
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_visible
from kehu.ledger.models import Order, OrderStatus, Receivable
from kehu.ledger.selectors import customers_exposure

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


def position_for_check(*, customer_id: int, today: datetime.date) -> dict:
    """Everything the order-time check needs, in one statement, read after the customer's lock
    is granted: confirmed and delivered orders, open receivables, the earliest unpaid due date,
    the current limit and the grace period of the policy in force."""
    from django.db import connection

    order_t = Order._meta.db_table
    recv_t = Receivable._meta.db_table
    limit_t = CreditLimit._meta.db_table
    policy_t = CreditPolicy._meta.db_table
    open_recv = f"FROM {recv_t} r WHERE r.customer_id = %s AND r.settled_on IS NULL AND r.amount > r.paid + r.written_off"
    sql = f"""SELECT
        (SELECT COALESCE(SUM(o.total), 0) FROM {order_t} o WHERE o.customer_id = %s AND o.status IN (%s, %s)),
        (SELECT COALESCE(SUM(r.amount - r.paid - r.written_off), 0) {open_recv}),
        (SELECT MIN(r.due_on) {open_recv}),
        (SELECT l.id FROM {limit_t} l WHERE l.customer_id = %s AND l.is_current = %s AND l.review_on >= %s),
        (SELECT l.amount FROM {limit_t} l WHERE l.customer_id = %s AND l.is_current = %s AND l.review_on >= %s),
        (SELECT p.grace_days FROM {policy_t} p WHERE p.effective_from <= %s ORDER BY p.effective_from DESC LIMIT 1)"""
    params: list[Any] = [customer_id, OrderStatus.CONFIRMED, OrderStatus.DELIVERED, customer_id, customer_id,
              customer_id, True, today, customer_id, True, today, today]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        orders, receivables, earliest_due, limit_id, limit_amount, grace = cursor.fetchone()
    if isinstance(earliest_due, str):  # SQLite returns dates as text
        earliest_due = datetime.date.fromisoformat(earliest_due)
    return {
        "exposure": Decimal(str(orders)) + Decimal(str(receivables)),
        "earliest_due": earliest_due,
        "limit_id": limit_id,
        "limit_amount": Decimal(str(limit_amount)).quantize(Decimal("0.01")) if limit_amount is not None else None,
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
              CreditLimit.objects.filter(customer_id__in=ids, is_current=True).select_related("approved_by", "customer")}
    accounts = {account.customer_id: account for account in CreditAccount.objects.filter(customer_id__in=ids)}
    exposure = customers_exposure(customer_ids=ids)
    positions = {}
    for cid in ids:
        limit, account = limits.get(cid), accounts.get(cid)
        positions[cid] = {
            "limit": limit,
            "limit_expired": bool(limit and limit.review_on < today),
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
    qs = LimitApplication.objects.filter(status=ApplicationStatus.PENDING).exclude(applicant=user)
    if user.role == Role.SUPERVISOR:
        return qs.filter(applicant__team__supervisor=user)
    if user.role == Role.SENIOR:
        return qs
    return qs.none()


def exceptions_to_decide(*, user: User) -> QuerySet[CreditException]:
    qs = CreditException.objects.filter(status=ApplicationStatus.PENDING).exclude(requested_by=user).exclude(order__handler=user)
    if user.role == Role.SUPERVISOR:
        return qs.filter(order__handler__team__supervisor=user)
    if user.role == Role.SENIOR:
        return qs
    return qs.none()


def application_visible(*, user: User) -> QuerySet[LimitApplication]:
    return LimitApplication.objects.filter(customer__in=customer_visible(user=user))


def liabilities_visible(*, user: User) -> QuerySet[Liability]:
    """Each person sees their own; a supervisor their team's; management and credit all."""
    qs = Liability.objects.select_related("write_off__customer", "write_off__receivable__order", "person")
    if user.is_superuser or user.role in {Role.SENIOR, Role.CREDIT, Role.ADMIN}:
        return qs
    if user.role == Role.SUPERVISOR:
        return qs.filter(Q(person=user) | Q(person__team__supervisor=user))
    return qs.filter(person=user)


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

CREDIT_STAFF = {Role.CREDIT, Role.ADMIN, Role.SENIOR}


def is_credit_staff(user: User) -> bool:
    """Credit control, admin and senior managers: the queue, the audit trail, every write-off."""
    return user.is_active and (user.is_superuser or user.role in CREDIT_STAFF)


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
    if is_credit_staff(user):
        return WriteOff.objects.all()
    return WriteOff.objects.filter(pk__in=liabilities_visible(user=user).values("write_off_id"))


def audit_entries(*, user: User) -> QuerySet[AuditEntry]:
    """The audit trail, for credit staff only (anyone else gets nothing)."""
    if not is_credit_staff(user):
        return AuditEntry.objects.none()
    return AuditEntry.objects.select_related("user", "customer")
