"""The Pareto report (C5), concentration and loss impact (C3): reads over the graded sales."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Region, Team, User
from kehu.customers.models import Customer, Lifecycle
from kehu.customers.selectors import customer_visible
from kehu.ledger.models import Order
from kehu.ledger.rollup import COUNTING_STATUSES

from . import grading
from .models import GradingPolicy
from .selectors import grading_population, window_sales

ZERO = Decimal("0")
SCOPES = ("company", "region", "team", "rep")
# The handbook's shape (C1): A ≈ 20% of customers with 80% of sales, B 30%/15%, C 50%/5%.
HANDBOOK = {"A": (20, 80), "B": (30, 15), "C": (50, 5)}


@dataclass
class ParetoRow:
    rank: int
    id: int
    code: str
    name: str
    sales: Decimal
    grade: str
    cum_customers_pct: float
    cum_sales_pct: float


@dataclass
class ParetoReport:
    as_of: datetime.date
    window_months: int
    scope: str
    group: Any
    group_label: str
    rows: list[ParetoRow]
    total: Decimal
    bands: list[dict] = field(default_factory=list)  # per grade: customers, sales, shares, handbook


def _population(user: User, scope: str, group: Any) -> Q:
    """The customers of the chosen scope that ``user`` may see (a rep: their own book)."""
    q = Q(pk__in=customer_visible(user=user).values("pk"))
    if scope == "region" and group:
        q &= Q(region_id=group)
    elif scope == "team" and group:
        q &= Q(owner__team_id=group)
    elif scope == "rep" and group:
        q &= Q(owner_id=group)
    return q


def group_label(scope: str, group: Any) -> str:
    models: dict[str, type[Region] | type[Team] | type[User]] = {"region": Region, "team": Team, "rep": User}
    model = models.get(scope)
    if model is None or not group:
        return str(_("All customers you can see"))
    obj = model.objects.filter(pk=group).first()
    return str(obj) if obj else "—"


def pareto(*, user: User, as_of: datetime.date, window_months: int, scope: str = "company", group: Any = None,
           policy: GradingPolicy | None = None) -> ParetoReport:
    if scope not in SCOPES:
        scope = "company"
    policy = policy or GradingPolicy.objects.order_by("-created_at", "-id").first() or GradingPolicy()
    q = _population(user, scope, group)
    start, end = grading.window(as_of, window_months)
    sales = window_sales(start=start, end=end, customers=q)
    # As grading counts them: every customer but prospects, and prospects with sales.
    people = [(pk, code, name) for pk, code, name, stage in
              Customer.objects.filter(q).values_list("pk", "code", "name", "lifecycle")
              if stage != Lifecycle.PROSPECT or sales.get(pk)]
    names = {pk: name for pk, _code, name in people}
    graded = grading.grade([(pk, code, sales.get(pk, ZERO)) for pk, code, _n in people], method=grading.SHARE,
                           thresholds=grading.Thresholds(Decimal(policy.share_a), Decimal(policy.share_b)))
    n = len(graded.rows)
    total = graded.total
    rows: list[ParetoRow] = []
    cumulative = ZERO
    for r in graded.rows:
        if r.sales > 0:
            cumulative += r.sales
        rows.append(ParetoRow(
            rank=r.rank, id=r.id, code=r.code, name=names[r.id], sales=r.sales, grade=r.grade,
            cum_customers_pct=round(100 * r.rank / n, 2),
            cum_sales_pct=round(float(100 * cumulative / total), 2) if total > 0 else 0.0,
        ))
    bands = []
    for letter, s in graded.summary.items():
        bands.append({"grade": letter, "customers": s.customers, "sales": s.sales,
                      "customer_pct": round(100 * s.customer_share, 1), "sales_pct": round(100 * s.sales_share, 1),
                      "handbook_customers": HANDBOOK[letter][0], "handbook_sales": HANDBOOK[letter][1]})
    return ParetoReport(as_of=as_of, window_months=window_months, scope=scope, group=group,
                        group_label=group_label(scope, group), rows=rows, total=total, bands=bands)


def pareto_svg(report: ParetoReport, *, width: int = 640, height: int = 360) -> dict:
    """Geometry for the curve drawn server-side as inline SVG (no script, nothing from elsewhere):
    at most ~400 points, the A/B/C bands as shaded spans of the customer axis."""
    left, top, right, bottom = 48, 16, 16, 40
    w, h = width - left - right, height - top - bottom
    rows = report.rows
    step = max(1, len(rows) // 400)
    picked = rows[::step] + ([rows[-1]] if rows and rows[-1] is not rows[::step][-1] else [])
    points = [(left, top + h)] + [(left + w * r.cum_customers_pct / 100, top + h - h * r.cum_sales_pct / 100)
                                  for r in picked]
    bands, x = [], 0.0
    for band in report.bands:
        span = band["customer_pct"]
        if span > 0:
            bands.append({"grade": band["grade"], "x": left + w * x / 100, "width": w * span / 100})
        x += span
    ticks = [{"pct": p, "x": left + w * p / 100, "y": top + h - h * p / 100} for p in (0, 20, 40, 60, 80, 100)]
    return {"width": width, "height": height, "left": left, "top": top, "plot_w": w, "plot_h": h,
            "bottom_y": top + h, "right_x": left + w,
            "points": " ".join(f"{px:.1f},{py:.1f}" for px, py in points), "bands": bands, "ticks": ticks}


# -- concentration and loss impact (C3) ---------------------------------------------------------------

@dataclass
class Concentration:
    label: str
    region_id: int | None
    customers: int
    total: Decimal
    top1: float
    top5: float
    top10: float
    hhi: float  # Herfindahl–Hirschman index on the 0–10,000 scale


def _concentration(label: str, region_id: int | None, values: list[Decimal]) -> Concentration:
    values = sorted((v for v in values if v > 0), reverse=True)
    total = sum(values, ZERO)

    def share(k: int) -> float:
        return round(float(100 * sum(values[:k], ZERO) / total), 2) if total else 0.0

    hhi = round(sum(float(v / total) ** 2 for v in values) * 10000, 1) if total else 0.0
    return Concentration(label, region_id, len(values), total, share(1), share(5), share(10), hhi)


def concentration(*, user: User, as_of: datetime.date, window_months: int) -> list[Concentration]:
    """The company (what ``user`` sees) and each region: top-1/5/10 shares and the Herfindahl index."""
    q = Q(pk__in=customer_visible(user=user).values("pk"))
    start, end = grading.window(as_of, window_months)
    sales = window_sales(start=start, end=end, customers=q)
    regions = dict(Customer.objects.filter(q).values_list("pk", "region_id"))
    by_region: dict[int | None, list[Decimal]] = defaultdict(list)
    for pk, amount in sales.items():
        by_region[regions.get(pk)].append(amount)
    names: dict[int | None, str] = dict(Region.objects.values_list("pk", "name"))
    out = [_concentration(str(_("Company")), None, list(sales.values()))]
    for region_id in sorted(by_region, key=lambda r: (r is None, names.get(r, ""))):
        out.append(_concentration(names.get(region_id, str(_("No region"))), region_id, by_region[region_id]))
    return out


@dataclass
class LossImpact:
    customer: Customer
    sales: Decimal
    region_total: Decimal
    company_total: Decimal
    region_drop_pct: float
    company_drop_pct: float
    region_share_pct: float
    people: list[dict]  # reps whose numbers fall, with amount and their share of the rep's sales
    teams: list[dict]
    grade_moves: int
    moves: list[dict]


def loss_impact(*, customer: Customer, as_of: datetime.date, window_months: int) -> LossImpact:
    """"If we lost this customer": the drop in its region's and the company's sales, the reps and
    teams whose numbers fall (by who handled its orders), and how many customers move grade."""
    from .services import _thresholds, policy_current

    start, end = grading.window(as_of, window_months)
    sales = window_sales(start=start, end=end)
    mine = sales.get(customer.pk, ZERO)
    company = sum((v for v in sales.values() if v > 0), ZERO)
    region_ids = set(Customer.objects.filter(region_id=customer.region_id).values_list("pk", flat=True)) \
        if customer.region_id else {customer.pk}
    region = sum((v for k, v in sales.items() if k in region_ids and v > 0), ZERO)
    handled = (Order.objects.filter(customer=customer, status__in=COUNTING_STATUSES, order_date__gte=start,
                                    order_date__lt=end)
               .values("handler_id", "handler__team_id").annotate(amount=Sum("total")))
    people_amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    team_amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in handled:
        people_amounts[row["handler_id"]] += row["amount"]
        if row["handler__team_id"]:
            team_amounts[row["handler__team_id"]] += row["amount"]
    users = User.objects.in_bulk(list(people_amounts))
    teams = Team.objects.in_bulk(list(team_amounts))
    handler_totals = dict(Order.objects.filter(handler_id__in=list(people_amounts), status__in=COUNTING_STATUSES,
                                               order_date__gte=start, order_date__lt=end)
                          .values_list("handler_id").annotate(s=Sum("total")))
    team_totals = dict(Order.objects.filter(handler__team_id__in=list(team_amounts), status__in=COUNTING_STATUSES,
                                            order_date__gte=start, order_date__lt=end)
                       .values_list("handler__team_id").annotate(s=Sum("total")))

    def pct(part: Decimal, whole: Decimal | None) -> float:
        return round(float(100 * part / whole), 2) if whole else 0.0

    people = [{"user": users[k], "amount": v, "share_pct": pct(v, handler_totals.get(k))}
              for k, v in sorted(people_amounts.items(), key=lambda kv: -kv[1])]
    team_rows = [{"team": teams[k], "amount": v, "share_pct": pct(v, team_totals.get(k))}
                 for k, v in sorted(team_amounts.items(), key=lambda kv: -kv[1])]
    # The company's grading with and without the customer, from the sales read once above (as
    # ``abc_compute`` grades the company: the policy's method and thresholds, the same population).
    policy = policy_current()
    thresholds = _thresholds(policy, policy.method)
    population = grading_population(with_sales={k for k, v in sales.items() if v})
    graded = [(row[0], row[1], sales.get(row[0], ZERO)) for row in population]
    before = {r.id: r.grade for r in grading.grade(graded, method=policy.method, thresholds=thresholds).rows}
    after = {r.id: r.grade for r in grading.grade([row for row in graded if row[0] != customer.pk],
                                                  method=policy.method, thresholds=thresholds).rows}
    moved = [(pk, before[pk], g) for pk, g in after.items() if pk in before and before[pk] != g]
    codes = Customer.objects.in_bulk([pk for pk, _b, _a in moved[:50]])
    moves = [{"customer": codes[pk], "before": b, "after": a} for pk, b, a in moved[:50]]
    return LossImpact(customer=customer, sales=mine, region_total=region, company_total=company,
                      region_drop_pct=pct(max(mine, ZERO), region), company_drop_pct=pct(max(mine, ZERO), company),
                      region_share_pct=pct(max(mine, ZERO), region), people=people, teams=team_rows,
                      grade_moves=len(moved), moves=moves)
