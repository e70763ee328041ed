"""Reading field work: whose plans and visits a person sees, adherence, the map's points."""

import datetime
import math
from collections import defaultdict

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from kehu.accounts.models import Role, User
from kehu.core.queries import get_or_404
from kehu.customers.models import Customer, Lifecycle
from kehu.customers.selectors import customer_visible

from .models import CadencePolicy, DayStart, EntryStatus, Plan, PlanEntry, PlanKind, Visit
from .services import cadence_for, policy_current
from .workdays import week_bounds


def _people_scope(user: User, field: str) -> Q | None:
    """Whose field work ``user`` sees: their own; a supervisor their team's; senior managers, credit
    and admin everyone's (DESIGN.md's rule for customers, applied to the people who own them)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_all:
        return None
    if user.role == Role.SUPERVISOR:
        return Q(**{field: user}) | Q(**{f"{field}__team__supervisor": user})
    return Q(**{field: user})


def team_of(user: User) -> QuerySet[User]:
    """The people whose field work ``user`` sees, themselves included."""
    qs = User.objects.filter(is_active=True).order_by("username")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.sees_all:
        return qs.filter(role__in=[Role.REP, Role.SUPERVISOR, Role.KEY_ACCOUNT, Role.SENIOR])
    if user.role == Role.SUPERVISOR:
        return qs.filter(Q(pk=user.pk) | Q(team__supervisor=user))
    return qs.filter(pk=user.pk)


def plan_visible(*, user: User) -> QuerySet[Plan]:
    qs = Plan.objects.select_related("rep__team", "decided_by")
    scope = _people_scope(user, "rep")
    if scope is None:
        return qs
    # a senior manager's key-account visits sit in reps' plans; key-account managers see plans with their accounts
    return qs.filter(scope | Q(entries__companion=user)).distinct()


def plan_get(*, user: User, pk) -> Plan:
    return get_or_404(plan_visible(user=user), pk)


def plans_to_decide(*, user: User) -> QuerySet[Plan]:
    from .services import can_decide_plan

    ids = [p.pk for p in plan_visible(user=user).filter(status="submitted") if can_decide_plan(user, p)]
    return Plan.objects.filter(pk__in=ids).select_related("rep").order_by("starts_on", "rep__username")


def entry_visible(*, user: User) -> QuerySet[PlanEntry]:
    qs = PlanEntry.objects.select_related("customer", "plan__rep", "companion")
    scope = _people_scope(user, "plan__rep")
    return qs if scope is None else qs.filter(scope | Q(companion=user))


def visit_visible(*, user: User) -> QuerySet[Visit]:
    qs = Visit.objects.select_related("rep__team", "customer", "entry")
    scope = _people_scope(user, "rep")
    if scope is None:
        return qs
    if user.role == Role.KEY_ACCOUNT:
        scope = scope | Q(customer__is_key_account=True)
    return qs.filter(scope)


def visit_get(*, user: User, pk) -> Visit:
    return get_or_404(visit_visible(user=user), pk)


def day_starts_visible(*, user: User, date: datetime.date) -> QuerySet[DayStart]:
    """Who started the day and how: supervisors see who went without the checklist."""
    qs = DayStart.objects.filter(date=date, started_at__isnull=False).select_related("rep")
    scope = _people_scope(user, "rep")
    return qs if scope is None else qs.filter(scope)


def weeks_of(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    monday = week_bounds(start)[0]
    out = []
    while monday <= end:
        out.append(monday)
        monday += datetime.timedelta(days=7)
    return out


def adherence(*, user: User, start: datetime.date, end: datetime.date) -> list[dict]:
    """Planned against done per rep, grade and week (weekly plans' visits up to ``end``): one row each."""
    entries = (entry_visible(user=user).filter(plan__kind=PlanKind.WEEK, date__gte=start, date__lte=end)
               .exclude(status=EntryStatus.CANCELLED).values_list("plan__rep_id", "grade", "date", "status"))
    table: dict[tuple, dict] = defaultdict(lambda: {"planned": 0, "done": 0})
    for rep_id, grade, date, status in entries:
        row = table[(rep_id, grade or "C", week_bounds(date)[0])]
        row["planned"] += 1
        row["done"] += status == EntryStatus.DONE
    reps = {u.pk: u for u in User.objects.filter(pk__in={k[0] for k in table})}
    out = []
    for (rep_id, grade, week), row in sorted(table.items(), key=lambda kv: (reps[kv[0][0]].username, kv[0][2], kv[0][1])):
        out.append({"rep": reps[rep_id], "grade": grade, "week": week, **row,
                    "pct": round(100 * row["done"] / row["planned"]) if row["planned"] else None})
    return out


def cadence_days(per_month: int) -> int:
    """The longest a customer waits between visits at ``per_month`` visits a month."""
    return math.ceil(30 / per_month) if per_month else 0


def overdue_a(*, user: User | None, today: datetime.date | None = None,
              policy: CadencePolicy | None = None) -> list[dict]:
    """A customers ``user`` sees (everyone's when None: the daily job) that nobody has visited
    within their cadence — never, or too long ago."""
    today = today or timezone.localdate()
    policy = policy or policy_current()
    limit = cadence_days(policy.a_per_month)
    if not limit:
        return []
    qs = Customer.objects.all() if user is None else customer_visible(user=user)
    customers = (qs.filter(abc_grade="A").exclude(lifecycle__in=[Lifecycle.LOST, Lifecycle.PROSPECT])
                 .select_related("owner__team__supervisor").annotate(last_visit=Max("visits__checked_in_at"))
                 .order_by("owner__username", "code"))
    out = []
    for customer in customers:
        last = timezone.localdate(customer.last_visit) if customer.last_visit else None
        waited = (today - last).days if last else None
        if last is None or waited > limit:  # type: ignore[operator]  # waited is set with last
            out.append({"customer": customer, "last": last, "days": waited, "limit": limit})
    return out


def map_points(*, user: User, rep: User | None = None, grade: str = "", due: bool = False,
               today: datetime.date | None = None) -> list[dict]:
    """Customers and prospects for the sales map (WGS-84), with grade, colour and whether a visit is due."""
    today = today or timezone.localdate()
    policy = policy_current()
    qs = customer_visible(user=user).exclude(lifecycle=Lifecycle.LOST)
    if rep is not None:
        qs = qs.filter(owner=rep)
    if grade == "P":
        qs = qs.filter(lifecycle=Lifecycle.PROSPECT)
    elif grade in {"A", "B", "C"}:
        qs = qs.filter(abc_grade=grade).exclude(lifecycle=Lifecycle.PROSPECT)
    qs = qs.annotate(last_visit=Max("visits__checked_in_at")).select_related("owner")[:5000]
    out = []
    for c in qs:
        if c.lat is None or c.lng is None:
            continue
        cadence = cadence_for(c, policy)
        limit = cadence_days(cadence.per_month)
        last = timezone.localdate(c.last_visit) if c.last_visit else None
        is_due = bool(limit) and (last is None or (today - last).days >= limit)
        if due and not is_due:
            continue
        out.append({"id": c.pk, "code": c.code, "name": c.short_name or c.name, "grade": cadence.grade,
                    "colour": c.colour, "lat": float(c.lat), "lng": float(c.lng),
                    "approx": c.location_approximate, "due": is_due, "owner": str(c.owner),
                    "url": f"/customers/{c.pk}/"})
    return out


def customers_without_location(*, user: User, rep: User | None = None) -> int:
    qs = customer_visible(user=user).exclude(lifecycle=Lifecycle.LOST).filter(Q(lat__isnull=True) | Q(lng__isnull=True))
    return (qs.filter(owner=rep) if rep is not None else qs).count()


def last_visits(*, customer_ids: list[int], per_customer: int = 3) -> dict[int, list[Visit]]:
    out: dict[int, list[Visit]] = defaultdict(list)
    for visit in Visit.objects.filter(customer_id__in=customer_ids).select_related("rep").order_by("-checked_in_at")[:500]:
        if len(out[visit.customer_id]) < per_customer:
            out[visit.customer_id].append(visit)
    return out

