"""Grading runs (C1): compute, store the snapshot, write grades through customers, notify.

``abc_run`` is the one function the command, the daily job, the task and the pages call.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Role, User
from kehu.accounts.permissions import can_edit_customer
from kehu.accounts.services import notify
from kehu.core.messages import message
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_visible
from kehu.customers.services import customer_grades_apply

from . import grading
from .models import (
    GradeOverride,
    GradeRun,
    GradeSnapshot,
    GradingPolicy,
    Method,
    OverrideStatus,
    Scope,
)
from .selectors import grading_population, window_sales

Progress = Callable[[int, int], None]

POLICY_FIELDS = ("method", "window_months", "share_a", "share_b", "count_a", "count_b")


# -- policy ---------------------------------------------------------------------------------------

def policy_current() -> GradingPolicy:
    """The policy in force: the latest row, or the handbook's defaults if nobody has set one."""
    return GradingPolicy.objects.order_by("-created_at", "-id").first() or GradingPolicy()


def can_edit_policy(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role == Role.ADMIN)


@transaction.atomic
def policy_update(*, user: User, data: dict[str, Any]) -> GradingPolicy:
    """A new policy row (the old ones stay as the history). Administrators only."""
    if not can_edit_policy(user):
        raise PermissionDenied(_("Only an administrator changes the grading policy."))
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    current = policy_current()
    policy = GradingPolicy(**{f: data.get(f, getattr(current, f)) for f in POLICY_FIELDS}, created_by=user)
    errors: dict[str, list[str]] = {}
    try:
        policy.full_clean(exclude=["created_by"], validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not errors:
        if not (0 < Decimal(policy.share_a) < Decimal(policy.share_b) <= 100):
            errors["share_b"] = [_("The thresholds must rise: 0 < A < B ≤ 100.")]
        if not (0 < Decimal(policy.count_a) < Decimal(policy.count_b) <= 100):
            errors["count_b"] = [_("The thresholds must rise: 0 < A < B ≤ 100.")]
    if errors:
        raise ValidationError(errors)
    policy.save()
    return policy


# -- computing and storing a run --------------------------------------------------------------------

@dataclass
class AbcResult:
    as_of: datetime.date
    window_months: int
    method: str
    scope: str
    thresholds: grading.Thresholds
    rows: list[grading.Graded]  # every customer, by group then rank
    groups: dict[int, Any]  # customer id -> group key (region / team id, or None)
    total: Decimal
    summary: dict[str, grading.GradeSummary]
    run: GradeRun | None = None
    changes: list[tuple[int, str, str]] = field(default_factory=list)


def _thresholds(policy: GradingPolicy, method: str) -> grading.Thresholds:
    if method == Method.COUNT:
        return grading.Thresholds(Decimal(policy.count_a), Decimal(policy.count_b))
    return grading.Thresholds(Decimal(policy.share_a), Decimal(policy.share_b))


def abc_compute(*, as_of: datetime.date, window_months: int | None = None, method: str | None = None,
                scope: str = Scope.COMPANY, customers: Q | None = None,
                policy: GradingPolicy | None = None, progress: Progress | None = None) -> AbcResult:
    """Grade every customer (or those matching ``customers``) as of a date; store nothing."""
    policy = policy or policy_current()
    months = int(window_months or policy.window_months)
    method = method or policy.method
    if method not in grading.METHODS:
        raise ValidationError(_("The method is share or count."))
    if scope not in Scope.values:
        raise ValidationError(_("The scope is company, region or team."))
    if not 1 <= months <= 120:
        raise ValidationError(_("The window is 1 to 120 months."))
    thresholds = _thresholds(policy, method)
    start, end = grading.window(as_of, months)
    step = progress or (lambda done, total: None)
    step(0, 3)
    sales = window_sales(start=start, end=end, customers=customers)
    step(1, 3)
    population = grading_population(customers=customers, with_sales={k for k, v in sales.items() if v})
    step(2, 3)
    key_index = {Scope.COMPANY: None, Scope.REGION: 2, Scope.TEAM: 3}[scope]  # type: ignore[index]  # a Scope's value
    buckets: dict[Any, list[tuple[int, str, Decimal]]] = defaultdict(list)
    groups: dict[int, Any] = {}
    for row in population:
        group = row[key_index] if key_index is not None else None
        groups[row[0]] = group
        buckets[group].append((row[0], row[1], sales.get(row[0], grading.ZERO)))
    rows: list[grading.Graded] = []
    for group in sorted(buckets, key=lambda g: (g is None, g or 0)):
        rows.extend(grading.grade(buckets[group], method=method, thresholds=thresholds).rows)
    total = sum((r.sales for r in rows if r.sales > 0), grading.ZERO)
    step(3, 3)
    return AbcResult(as_of=as_of, window_months=months, method=method, scope=scope, thresholds=thresholds,
                     rows=rows, groups=groups, total=total, summary=grading.summarise(rows, total))


def overrides_in_force(*, on: datetime.date, customer_ids: list[int] | None = None) -> dict[int, GradeOverride]:
    qs = GradeOverride.objects.filter(status=OverrideStatus.APPROVED, expires_on__gt=on)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    out: dict[int, GradeOverride] = {}
    for o in qs.order_by("decided_at", "id"):
        out[o.customer_id] = o  # the latest approval wins
    return out


def abc_run(*, as_of: datetime.date | None = None, window_months: int | None = None, method: str | None = None,
            scope: str = Scope.COMPANY, dry_run: bool = False, user: User | None = None,
            progress: Progress | None = None) -> AbcResult:
    """Grade, and unless ``dry_run`` store the snapshot; a company run also writes each customer's
    grade (an approved, unexpired override wins) and tells owner and supervisor of every change."""
    as_of = as_of or timezone.localdate()
    policy = policy_current()
    result = abc_compute(as_of=as_of, window_months=window_months, method=method, scope=scope, policy=policy,
                         progress=progress)
    if dry_run:
        return result
    overrides = overrides_in_force(on=timezone.localdate()) if scope == Scope.COMPANY else {}
    with transaction.atomic():
        run = GradeRun.objects.create(
            as_of=as_of, window_months=result.window_months, method=result.method, scope=scope,
            threshold_a=result.thresholds.a, threshold_b=result.thresholds.b, policy=policy if policy.pk else None,
            total_sales=result.total, customers=len(result.rows), created_by=user,
        )
        snapshot = []
        for r in result.rows:
            applied = overrides[r.id].grade if r.id in overrides else r.grade
            group = result.groups.get(r.id)
            snapshot.append(GradeSnapshot(run=run, customer_id=r.id, group="" if group is None else str(group),
                                          sales=r.sales, rank=r.rank, grade=r.grade,
                                          applied=applied if scope == Scope.COMPANY else ""))
        GradeSnapshot.objects.bulk_create(snapshot, batch_size=5000)
        result.run = run
        if scope == Scope.COMPANY:
            grades = {r.id: (overrides[r.id].grade if r.id in overrides else r.grade) for r in result.rows}
            result.changes = customer_grades_apply(grades=grades, graded_at=timezone.now())
            transaction.on_commit(lambda: grade_changes_notify(changes=result.changes))
    return result


def grade_changes_notify(*, changes: list[tuple[int, str, str]]) -> int:
    """"A → B": one message to the owner and one to the owner's supervisor per change.

    Called once per change actually written (a re-run that changes nothing sends nothing); a
    customer's first grade is not news.
    """
    real = [(pk, old, new) for pk, old, new in changes if old and old != new]
    if not real:
        return 0
    customers = Customer.objects.select_related("owner__team__supervisor").in_bulk([pk for pk, _o, _n in real])
    sent = 0
    for pk, old, new in real:
        customer = customers.get(pk)
        if customer is None:
            continue
        team = customer.owner.team
        people = [customer.owner, team.supervisor if team else None]
        text = message(gettext_lazy("%(customer)s: grade %(old)s → %(new)s"), customer=customer.name, old=old, new=new)
        sent += notify(users=people, text=text, link=reverse("customers:detail", args=[pk]))
    return sent


def abc_daily(*, today: datetime.date) -> dict[str, int]:
    """`kehu daily`: re-grade the company. A snapshot is kept once a month (the first run of the
    month); the other days only write the grades that changed, so running twice changes nothing."""
    stored = GradeRun.objects.filter(scope=Scope.COMPANY, as_of__year=today.year, as_of__month=today.month).exists()
    if stored:
        result = abc_compute(as_of=today)
        overrides = overrides_in_force(on=today)
        grades = {r.id: (overrides[r.id].grade if r.id in overrides else r.grade) for r in result.rows}
        with transaction.atomic():
            changes = customer_grades_apply(grades=grades, graded_at=timezone.now())
            transaction.on_commit(lambda: grade_changes_notify(changes=changes))
        return {"customers": len(result.rows), "changed": len(changes), "stored": 0}
    result = abc_run(as_of=today)
    return {"customers": len(result.rows), "changed": len(result.changes), "stored": 1}


# -- overrides --------------------------------------------------------------------------------------

def can_approve_override(user: User, customer: Customer) -> bool:
    """The owner's supervisor, or a senior manager or administrator."""
    if not user.is_active:
        return False
    if user.is_superuser or user.role in {Role.SENIOR, Role.ADMIN}:
        return True
    team = customer.owner.team
    return user.role == Role.SUPERVISOR and team is not None and team.supervisor_id == user.pk


@transaction.atomic
def override_request(*, user: User, customer: Customer, grade: str, reason: str,
                     expires_on: datetime.date | None) -> GradeOverride:
    if not customer_visible(user=user).filter(pk=customer.pk).exists() or not can_edit_customer(user, customer):
        raise PermissionDenied(_("You cannot change this customer's grade."))
    errors: dict[str, list[str]] = {}
    if grade not in grading.GRADES:
        errors["grade"] = [_("A grade is A, B or C.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason for the override.")]
    today = timezone.localdate()
    if expires_on is None or expires_on <= today:
        errors["expires_on"] = [_("The override must expire after today.")]
    elif expires_on > today + datetime.timedelta(days=366):
        errors["expires_on"] = [_("An override lasts at most a year.")]
    if errors:
        raise ValidationError(errors)
    return GradeOverride.objects.create(customer=customer, grade=grade, reason=reason.strip()[:300],
                                        expires_on=expires_on, requested_by=user)  # type: ignore[misc]  # checked above


@transaction.atomic
def override_decide(*, user: User, override: GradeOverride, approve: bool) -> GradeOverride:
    """Approve (the grade takes effect now) or reject; nobody decides their own request."""
    override = (GradeOverride.objects.select_for_update(of=("self",)).select_related("customer__owner__team")
                .get(pk=override.pk))
    if override.requested_by_id == user.pk:
        raise PermissionDenied(_("Nobody approves their own request."))
    if not can_approve_override(user, override.customer):
        raise PermissionDenied(_("Only the owner's supervisor or a senior manager decides this override."))
    if override.status != OverrideStatus.PENDING:
        raise ValidationError(_("This override has been decided already."))
    override.status = OverrideStatus.APPROVED if approve else OverrideStatus.REJECTED
    override.decided_by = user
    override.decided_at = timezone.now()
    override.save(update_fields=["status", "decided_by", "decided_at"])
    if approve and override.expires_on > timezone.localdate():
        customer_grades_apply(grades={override.customer_id: override.grade}, graded_at=timezone.now())
    return override


def grade_history(*, customer: Customer, limit: int = 24) -> list[GradeSnapshot]:
    return list(GradeSnapshot.objects.filter(customer=customer, run__scope=Scope.COMPANY)
                .select_related("run").order_by("-run__as_of", "-run_id")[:limit])


def grade_in_scopes(*, customer: Customer) -> dict[str, str]:
    """The customer's grade in the latest stored run of each scope (the card shows company-wide)."""
    out: dict[str, str] = {}
    for scope in Scope.values:
        row = (GradeSnapshot.objects.filter(customer=customer, run__scope=scope)
               .order_by("-run__as_of", "-run_id").values_list("grade", flat=True).first())
        if row:
            out[scope] = row
    return out
