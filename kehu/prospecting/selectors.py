"""Reads for prospect development, always through the user's visibility."""

import datetime
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, Team, User
from kehu.core.queries import get_or_404
from kehu.customers.models import ColourGrade, Customer, Lifecycle, PursuitDecision, SourceMethod
from kehu.customers.selectors import customer_visible
from kehu.engagement.models import Touchpoint, TouchStatus
from kehu.ledger.models import Order, OrderStatus

from .models import (
    Campaign,
    ColourChange,
    Exhibition,
    FormerContact,
    HandoverRequest,
    ProspectPolicy,
    RepTarget,
    RequestStatus,
    SharedPoolEntry,
)
from .services import policy_get


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


@dataclass
class PoolCount:
    label: str
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
        out.append(PoolCount(_("My prospects"), active.filter(owner=user).count(), rep_target(user, policy), rep_id=user.pk))
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

    @property
    def median_days(self) -> float | None:
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


def funnel(*, user: User, by: str = "method", team: int | None = None, rep: int | None = None,
           since: datetime.date | None = None, until: datetime.date | None = None) -> list[FunnelRow]:
    """For each method (``by="method"``) or each exhibition, campaign, news source… (``by="record"``):
    prospects created, reached yellow, reached red (deal closed), conversion, median days from
    filing to the first confirmed order, first-year sales of the customers won, cost of touches.

    Reached yellow: graded yellow at any time, or red. Reached red: red now or once, or won (a
    customer now). A handful of grouped queries, whatever the number of prospects."""
    base = funnel_base(user=user, team=team, rep=rep, since=since, until=until)
    key = _group_expr(by)
    was_yellow = ColourChange.objects.filter(customer=OuterRef("pk"), colour=ColourGrade.YELLOW)
    was_red = ColourChange.objects.filter(customer=OuterRef("pk"), colour=ColourGrade.RED)
    won = Q(lifecycle__in=[Lifecycle.CUSTOMER, Lifecycle.DORMANT]) | Q(colour=ColourGrade.RED) | Q(Exists(was_red))
    rows: dict[str, FunnelRow] = {}
    labels = dict(SourceMethod.choices)
    counts = base.values(key).annotate(
        created=Count("id"),
        yellow=Count("id", filter=Q(colour=ColourGrade.YELLOW) | Q(Exists(was_yellow)) | won),
        red=Count("id", filter=won),
    ).order_by(key)
    for row in counts:
        k = row[key]
        label = str(labels.get(k, k)) if by == "method" else (k or _("(not recorded)"))
        rows[k] = FunnelRow(k, label, row["created"], row["yellow"], row["red"])
    if not rows:
        return []
    costs = (Touchpoint.objects.filter(customer__in=base.values("pk"), status=TouchStatus.DONE)
             .values(f"customer__{key}").annotate(cost=Sum("cost")).order_by())
    for row in costs:
        if row[f"customer__{key}"] in rows:
            rows[row[f"customer__{key}"]].touch_cost = row["cost"] or Decimal("0")
    for k, days, sales in _closing(base, key):
        if k in rows:
            if days is not None:
                rows[k].days_to_close.append(days)
            rows[k].first_year_sales += sales
    return sorted(rows.values(), key=lambda r: (-r.created, r.key))


def _closing(base: QuerySet[Customer], key: str) -> list[tuple[str, int | None, Decimal]]:
    """Per customer won: its group, days from filing to the first confirmed order, and its sales in
    the 365 days from that order. One query with the first order joined back (database dates)."""
    base_sql, base_params = base.values("pk").query.sql_with_params()
    statuses = ", ".join(["%s"] * len(COUNTED))
    if connection.vendor == "postgresql":
        year_end = "f.first_day + 365"
        days = "(f.first_day - CAST(c.created_at AT TIME ZONE 'UTC' AS date))"
    else:
        year_end = "date(f.first_day, '+365 days')"
        days = "CAST(julianday(f.first_day) - julianday(date(c.created_at)) AS integer)"
    order_table = Order._meta.db_table
    customer_table = Customer._meta.db_table
    column = Customer._meta.get_field(key).column
    sql = f"""
        SELECT c.{column}, {days}, SUM(o.total)
        FROM (SELECT customer_id, MIN(order_date) AS first_day FROM {order_table}
              WHERE status IN ({statuses}) AND customer_id IN ({base_sql}) GROUP BY customer_id) f
        JOIN {customer_table} c ON c.id = f.customer_id
        JOIN {order_table} o ON o.customer_id = f.customer_id AND o.status IN ({statuses})
             AND o.order_date >= f.first_day AND o.order_date < {year_end}
        GROUP BY c.id, c.{column}, f.first_day, c.created_at
    """
    params = [*COUNTED, *base_params, *COUNTED]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        out = []
        for k, d, total in cursor.fetchall():
            out.append((k, max(0, int(d)) if d is not None else None, Decimal(str(total or 0))))
    return out
