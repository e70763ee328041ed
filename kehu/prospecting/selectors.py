"""Reads for prospect development, always through the user's visibility."""

import datetime
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, Exists, FloatField, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Role, Team, User
from kehu.core.queries import get_or_404
from kehu.customers.models import Customer, Lifecycle, PursuitDecision, SourceMethod
from kehu.customers.selectors import customer_visible
from kehu.ledger.models import Order, OrderStatus

from .models import (
    Campaign,
    Exhibition,
    FormerContact,
    HandoverRequest,
    ProspectPolicy,
    RepTarget,
    RequestStatus,
    SharedPoolEntry,
)
from .services import funnel_figures, policy_get


def _open_entry() -> QuerySet[SharedPoolEntry]:
    return SharedPoolEntry.objects.filter(customer=OuterRef("pk"), claimed_by__isnull=True, closed=False)


def active_prospects(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """P2's pool: prospects still pursued (not given up, not waiting in the shared pool)."""
    return (qs.filter(lifecycle=Lifecycle.PROSPECT).exclude(pursuit=PursuitDecision.GIVE_UP)
            .exclude(Exists(_open_entry())))


def prospect_list(*, user: User, q: str = "", colour: str = "", include_given_up: bool = False) -> QuerySet[Customer]:
    from kehu.customers.selectors import search_terms

    qs = customer_visible(user=user).filter(lifecycle=Lifecycle.PROSPECT)
    if not include_given_up:
        qs = active_prospects(qs)
    for term in search_terms(q):
        qs = qs.filter(search_text__contains=term)
    if colour:
        qs = qs.filter(colour=colour)
    return qs.select_related("owner").order_by("colour", "-updated_at", "id")


def reviews_due(*, user: User, today: datetime.date, days: int = 7) -> QuerySet[Customer]:
    """P5: the user's prospects whose latest decision is due for review within ``days``."""
    from django.db.models import Subquery

    from .models import DecisionChange

    latest = DecisionChange.objects.filter(customer=OuterRef("pk")).order_by("-at", "-id").values("review_on")[:1]
    return (active_prospects(customer_visible(user=user).filter(owner=user)).annotate(review_on=Subquery(latest))
            .filter(review_on__lte=today + datetime.timedelta(days=days)).order_by("review_on", "id"))


@dataclass
class PoolCount:
    label: str | Promise  # "My prospects" is worded where it is read
    count: int
    target: int
    rep_id: int | None = None
    team_id: int | None = None

    @property
    def below(self) -> bool:
        return self.count < self.target

    @property
    def short(self) -> int:
        return max(0, self.target - self.count)


def rep_target(user: User, policy: ProspectPolicy | None = None) -> int:
    own = RepTarget.objects.filter(rep=user).values_list("target", flat=True).first()
    return own if own is not None else (policy or policy_get()).rep_target


def pool_counts(*, user: User) -> list[PoolCount]:
    """P2: the user's own pool and, for a supervisor, the team's and each member's, against target;
    for those who see everything, every team."""
    policy = policy_get()
    out: list[PoolCount] = []
    active = active_prospects(Customer.objects.all())
    if user.role in {Role.REP, Role.SUPERVISOR, Role.KEY_ACCOUNT}:
        out.append(PoolCount(gettext_lazy("My prospects"), active.filter(owner=user).count(), rep_target(user, policy), rep_id=user.pk))
    if user.role == Role.SUPERVISOR:
        teams = Team.objects.filter(supervisor=user)
    elif user.sees_all:
        teams = Team.objects.all()
    else:
        teams = Team.objects.none()
    by_team = dict(active.filter(owner__team__in=teams).values_list("owner__team").annotate(n=Count("id")))
    for team in teams.order_by("name"):
        out.append(PoolCount(str(team), by_team.get(team.pk, 0), team.prospect_target, team_id=team.pk))
    if user.role == Role.SUPERVISOR:
        members = User.objects.filter(team__supervisor=user, is_active=True).exclude(pk=user.pk).order_by("username")
        by_rep = dict(active.filter(owner__in=members).values_list("owner").annotate(n=Count("id")))
        targets = dict(RepTarget.objects.filter(rep__in=members).values_list("rep", "target"))
        for member in members:
            out.append(PoolCount(str(member), by_rep.get(member.pk, 0), targets.get(member.pk, policy.rep_target),
                                 rep_id=member.pk))
    return out


def shared_pool_list(*, user: User) -> QuerySet[SharedPoolEntry]:
    """Open entries of the user's team's shared pool (everyone's for those who see all)."""
    qs = SharedPoolEntry.objects.filter(claimed_by__isnull=True, closed=False)
    if user.sees_all:
        pass
    elif user.role == Role.SUPERVISOR:
        qs = qs.filter(Q(team__supervisor=user) | Q(team_id=user.team_id))
    elif user.team_id:
        qs = qs.filter(Q(team_id=user.team_id) | Q(team__isnull=True))
    else:
        qs = qs.filter(team__isnull=True)
    return qs.select_related("customer__industry", "previous_owner", "team").order_by("since", "id")


def shared_pool_get(*, user: User, pk: Any) -> SharedPoolEntry:
    return get_or_404(shared_pool_list(user=user), pk)


def claims_of(*, user: User) -> QuerySet[SharedPoolEntry]:
    return SharedPoolEntry.objects.filter(claimed_by=user).select_related("customer").order_by("-claimed_at")


def exhibition_list(*, user: User) -> QuerySet[Exhibition]:
    return Exhibition.objects.select_related("industry").all()


def exhibition_get(*, user: User, pk: Any) -> Exhibition:
    return get_or_404(exhibition_list(user=user), pk)


def campaign_list(*, user: User) -> QuerySet[Campaign]:
    return Campaign.objects.select_related("industry").annotate(
        n_members=Count("members"), n_done=Count("members", filter=~Q(members__status="waiting")))


def campaign_get(*, user: User, pk: Any) -> Campaign:
    return get_or_404(campaign_list(user=user), pk)


def former_contact_list(*, user: User) -> QuerySet[FormerContact]:
    """A rep's own former-job contacts: nobody else's business."""
    return FormerContact.objects.filter(rep=user)


def origin_prospects(*, user: User, **origin: Any) -> QuerySet[Customer]:
    return customer_visible(user=user).filter(**{f"origin__{k}": v for k, v in origin.items()}).select_related("owner")


def handover_inbox(*, user: User) -> QuerySet[HandoverRequest]:
    """Requests the user may decide, and the user's own."""
    qs = HandoverRequest.objects.select_related("customer", "requested_by", "owner__team")
    if user.is_superuser or user.role in {Role.SENIOR, Role.ADMIN}:
        return qs
    if user.role == Role.SUPERVISOR:
        return qs.filter(Q(owner__team__supervisor=user) | Q(requested_by=user))
    return qs.filter(Q(requested_by=user) | Q(owner=user))


def handover_get(*, user: User, pk: Any) -> HandoverRequest:
    return get_or_404(handover_inbox(user=user), pk)


def pending_handovers(*, user: User) -> QuerySet[HandoverRequest]:
    return handover_inbox(user=user).filter(status=RequestStatus.PENDING)


# ── yield by method ────────────────────────────────────────────────────────────────────────────

COUNTED = [OrderStatus.CONFIRMED, OrderStatus.DELIVERED, OrderStatus.INVOICED, OrderStatus.PAID]


@dataclass
class FunnelRow:
    key: str
    label: str
    created: int = 0
    yellow: int = 0
    red: int = 0
    days_to_close: list[int] = field(default_factory=list, repr=False)
    first_year_sales: Decimal = Decimal("0")
    touch_cost: Decimal = Decimal("0")

    @property
    def conversion(self) -> float:
        return self.red / self.created if self.created else 0.0

    median: float | None = None

    @property
    def median_days(self) -> float | None:
        if self.median is not None:
            return self.median
        return statistics.median(self.days_to_close) if self.days_to_close else None


def funnel_base(*, user: User, team: int | None = None, rep: int | None = None,
                since: datetime.date | None = None, until: datetime.date | None = None) -> QuerySet[Customer]:
    """The prospects (and customers won from them) of a method, as the user may see them."""
    qs = customer_visible(user=user).exclude(source="")
    if team:
        qs = qs.filter(owner__team_id=team)
    if rep:
        qs = qs.filter(owner_id=rep)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    return qs


def _group_expr(by: str) -> str:
    return "source" if by == "method" else "source_detail"


class Median(Aggregate):
    """PostgreSQL's median (SQLite has none: ``funnel`` reads the values there)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


WON = [Lifecycle.CUSTOMER, Lifecycle.DORMANT]


def funnel(*, user: User, by: str = "method", team: int | None = None, rep: int | None = None,
           since: datetime.date | None = None, until: datetime.date | None = None) -> list[FunnelRow]:
    """For each method (``by="method"``) or each exhibition, campaign, news source… (``by="record"``):
    prospects created, reached yellow, reached red (deal closed), conversion, median days from
    filing to the first confirmed order, first-year sales of the customers won, cost of touches.

    For those who see every customer, the whole months come from the yield summary
    (``services.funnel_summary_refresh``) and only the partial months at the edges of ``since`` /
    ``until`` from the customers; for everyone else (whose view is not whole owners), and before the
    summary was first built, from the customers (``funnel_raw``). The figures are the same either way."""
    from kehu.accounts.permissions import customer_scope

    from .models import FunnelMonth

    # Never built yet (a new installation, demo data written directly): the customers themselves.
    if customer_scope(user) is not None or not FunnelMonth.objects.exists():
        return funnel_raw(user=user, by=by, team=team, rep=rep, since=since, until=until)

    key = _group_expr(by)
    rows: dict[str, FunnelRow] = {}
    hist: dict[str, dict[int, int]] = {}
    summary = FunnelMonth.objects.filter(by="method" if by == "method" else "record")
    if team:
        summary = summary.filter(owner__team_id=team)
    if rep:
        summary = summary.filter(owner_id=rep)
    # The whole months [first, last) from the summary; the partial months at the edges from the customers.
    first = (since if since.day == 1 else _next_month(since)) if since else None
    last = (_next_month(until) if _next_month(until) - datetime.timedelta(days=1) == until
            else until.replace(day=1)) if until else None
    edges: list[tuple[datetime.date | None, datetime.date | None]] = []
    if first is not None and last is not None and first >= last:
        edges.append((since, until))  # not one whole month: all of it from the customers
    else:
        if since and first is not None and first != since:
            edges.append((since, first - datetime.timedelta(days=1)))
        if until and last is not None and last <= until:
            edges.append((last, until))
        if first is not None:
            summary = summary.filter(month__gte=first)
        if last is not None:
            summary = summary.filter(month__lt=last)
        figures = {"created": Sum("created"), "yellow": Sum("yellow"), "red": Sum("red"),
                   "sales": Sum("first_year_sales"), "cost": Sum("touch_cost")}
        _add_rows(rows, by, summary.values("key").annotate(**figures).order_by("key"), "key")
        for k, days in summary.exclude(days_to_close={}).values_list("key", "days_to_close"):
            counts = hist.setdefault(k, {})
            for d, n in days.items():
                counts[int(d)] = counts.get(int(d), 0) + n
    tz = timezone.get_current_timezone()
    for lo, hi in edges:
        # As funnel_base's dates, as a range of instants (local midnights) the planner can estimate.
        base = funnel_base(user=user, team=team, rep=rep)
        if lo:
            base = base.filter(created_at__gte=datetime.datetime.combine(lo, datetime.time(), tzinfo=tz))
        if hi:
            base = base.filter(created_at__lt=datetime.datetime.combine(hi + datetime.timedelta(days=1),
                                                                        datetime.time(), tzinfo=tz))
        _add_rows(rows, by, base.values(key).annotate(**funnel_figures()).order_by(key), key)
        for k, d in base.filter(origin__days_to_close__isnull=False).values_list(key, "origin__days_to_close"):
            counts = hist.setdefault(k, {})
            counts[d] = counts.get(d, 0) + 1
    for k, counts in hist.items():
        if k in rows:
            rows[k].days_to_close = [d for d, n in sorted(counts.items()) for _i in range(n)]
    return sorted(rows.values(), key=lambda r: (-r.created, r.key))


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def _add_rows(rows: dict[str, FunnelRow], by: str, values: Any, key: str) -> None:
    labels = dict(SourceMethod.choices)
    for row in values:
        k = row[key]
        out = rows.get(k)
        if out is None:
            label = str(labels.get(k, k)) if by == "method" else (k or _("(not recorded)"))
            out = rows[k] = FunnelRow(k, label)
        out.created += row["created"] or 0
        out.yellow += row["yellow"] or 0
        out.red += row["red"] or 0
        out.first_year_sales += row["sales"] or Decimal("0")
        out.touch_cost += row["cost"] or Decimal("0")


def funnel_raw(*, user: User, by: str = "method", team: int | None = None, rep: int | None = None,
               since: datetime.date | None = None, until: datetime.date | None = None) -> list[FunnelRow]:
    """``funnel`` computed from the customers themselves: one grouped query over the customers with
    their origin and touch totals (one row each); the won customers' days and first-year sales are
    the daily job's (``services.origins_refresh``), so the report reads no order and no touchpoint."""
    base = funnel_base(user=user, team=team, rep=rep, since=since, until=until)
    key = _group_expr(by)
    postgres = connection.vendor == "postgresql"
    rows: dict[str, FunnelRow] = {}
    _add_rows(rows, by, base.values(key).annotate(**funnel_figures()).order_by(key), key)
    # The median over the won ones only (a few in a hundred): a second, small query.
    won = base.filter(origin__days_to_close__isnull=False)
    if postgres and rows:
        for k, median in won.values(key).annotate(m=Median("origin__days_to_close")).order_by().values_list(key, "m"):
            rows[k].median = median
    elif rows:
        for k, days in won.values_list(key, "origin__days_to_close"):
            rows[k].days_to_close.append(days)
    return sorted(rows.values(), key=lambda r: (-r.created, r.key))


def closing_figures(*, customer_ids: list[int]) -> dict[int, tuple[datetime.date, int, Decimal]]:
    """Per customer won: the first confirmed order's date, the days from filing to it, and the
    sales of the 365 days from that order. One query with the first order joined back."""
    if not customer_ids:
        return {}
    statuses = ", ".join(["%s"] * len(COUNTED))
    ids = ", ".join(["%s"] * len(customer_ids))
    if connection.vendor == "postgresql":
        year_end = "f.first_day + 365"
    else:
        year_end = "date(f.first_day, '+365 days')"
    order_table = Order._meta.db_table
    sql = f"""
        SELECT f.customer_id, f.first_day, SUM(o.total)
        FROM (SELECT customer_id, MIN(order_date) AS first_day FROM {order_table}
              WHERE status IN ({statuses}) AND customer_id IN ({ids}) GROUP BY customer_id) f
        JOIN {order_table} o ON o.customer_id = f.customer_id AND o.status IN ({statuses})
             AND o.order_date >= f.first_day AND o.order_date < {year_end}
        GROUP BY f.customer_id, f.first_day
    """
    created = dict(Customer.objects.filter(pk__in=customer_ids).values_list("pk", "created_at"))
    out = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*COUNTED, *customer_ids, *COUNTED])
        for pk, first, total in cursor.fetchall():
            if isinstance(first, str):
                first = datetime.date.fromisoformat(first)
            filed = timezone.localtime(created[pk]).date() if pk in created else first
            out[pk] = (first, max(0, (first - filed).days), Decimal(str(total or 0)).quantize(Decimal("0.01")))
    return out
