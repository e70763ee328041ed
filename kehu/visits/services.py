"""Field work (C2, P5, F1, F2): the cadence policy, plans, daily routes, the checklist, visit logs.

Each rule lives in one function here: ``cadence_for`` (how often and how a customer is visited),
``plan_schedule`` (working days, A mornings and their capacity, grouping by area),
``week_routes`` (a weekly plan's days from the routing core; what the week cannot hold is marked),
``can_decide_plan`` (a supervisor approves, never their own plan), ``day_start`` (the F1 gate),
``day_route_compute`` (skip penalties by grade; nothing left out silently), ``checkin_distance``
(how far from the customer a check-in was, and when that is too far), ``senior_visits_due`` (the
key-account programme's senior-manager cadence in days) and ``visit_log`` (a next step becomes a
plan entry and a planned touchpoint).
"""

import dataclasses
import datetime
import functools
import itertools
import math
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kehu.accounts.models import User
from kehu.accounts.services import notify
from kehu.core.dates import in_range, out_of_range_message
from kehu.core.messages import message
from kehu.core.uploads import check_photo, photo_type, upload_name
from kehu.customers.models import Customer, Lifecycle, PursuitDecision
from kehu.engagement.models import TouchMethod, Touchpoint, TouchStatus
from kehu.engagement.services import touchpoint_plan, touchpoint_reschedule
from kehu.keyaccounts.selectors import senior_visit_cadence

from .models import (
    CadencePolicy,
    DayRoute,
    DayStart,
    EntryKind,
    EntryStatus,
    OpeningHours,
    Plan,
    PlanEntry,
    PlanKind,
    PlanStatus,
    RepBase,
    Slot,
    Visit,
    VisitComment,
    VisitPhoto,
)
from .permissions import can_comment, can_decide_plan, can_set_visit_policy, can_write_plan
from .workdays import (
    MonthWeeks,
    WorkingDays,
    fortnight_week,
    month_bounds,
    month_weeks,
    week_bounds,
    working_days,
)

# Driving allowed between two visits when a plan is made (before the route knows the roads).
TRAVEL_ALLOWANCE_MIN = 12
EDITABLE = {PlanStatus.DRAFT, PlanStatus.RETURNED}


# --- the cadence policy ------------------------------------------------------------------------


POLICY_FIELDS = [f.name for f in CadencePolicy._meta.get_fields()
                 if f.concrete and f.name not in {"id", "created_at", "created_by"}]


def policy_current() -> CadencePolicy:
    """The policy in force: the newest row, or the defaults when nobody has set one."""
    return CadencePolicy.objects.order_by("-created_at", "-id").first() or CadencePolicy()


def policy_update(*, user: User, data: dict) -> CadencePolicy:
    """A new version of the policy (the old ones stay as its history). Administrators only."""
    if not can_set_visit_policy(user):
        raise PermissionDenied(_("Only an administrator changes the visit cadence policy."))
    current = policy_current()
    values = {name: data.get(name, getattr(current, name)) for name in POLICY_FIELDS}
    policy = CadencePolicy(created_by=user, **values)
    policy.full_clean(exclude=["created_by"])
    if policy.day_start >= policy.day_end or not (policy.day_start < policy.morning_end <= policy.day_end):
        raise ValidationError({"morning_end": _("The morning must end after the day starts and by the day's end.")})
    policy.save()
    return policy


@dataclass(frozen=True)
class Cadence:
    """How a customer is visited in a month, by the policy."""

    grade: str  # "A", "B", "C" or "P" (prospect): the key of adherence and of the skip penalty
    per_month: int
    senior_per_month: int
    morning: bool
    minutes: int
    penalty: int


def cadence_for(customer: Customer, policy: CadencePolicy) -> Cadence:
    """C2 and P5: A weekly and in the morning, B every two weeks, C monthly, prospects by their
    pursuit decision (continue, keep trying, give up), key accounts with a senior-manager visit."""
    if customer.lifecycle == Lifecycle.LOST:
        return Cadence("C", 0, 0, False, policy.c_minutes, policy.c_penalty)
    if customer.lifecycle == Lifecycle.PROSPECT:
        per_month = {  # type: ignore[call-overload]  # keyed by a PursuitDecision's value
            PursuitDecision.CONTINUE: policy.prospect_continue_per_month,
            PursuitDecision.GIVE_UP: 0,
        }.get(customer.pursuit, policy.prospect_low_per_month)
        return Cadence("P", per_month, 0, False, policy.prospect_minutes, policy.prospect_penalty)
    senior = policy.key_account_senior_per_month if customer.is_key_account and customer.key_account_sponsor_id else 0
    if customer.abc_grade == "A":
        return Cadence("A", policy.a_per_month, senior, policy.a_mornings, policy.a_minutes, policy.a_penalty)
    if customer.abc_grade == "B":
        return Cadence("B", policy.b_per_month, senior, False, policy.b_minutes, policy.b_penalty)
    return Cadence("C", policy.c_per_month, senior, False, policy.c_minutes, policy.c_penalty)


def has_senior_cadence(customer: Customer) -> bool:
    """A key account with a senior-manager sponsor, still a customer: seen with its sponsor."""
    return bool(customer.is_key_account and customer.key_account_sponsor_id
                and customer.lifecycle not in (Lifecycle.LOST, Lifecycle.PROSPECT))


def senior_visits_due(customers: Iterable[Customer], *, start: datetime.date, end: datetime.date) -> dict[int, int]:
    """The key-account programme's senior-manager cadence, where it sets one: for each sponsored key
    account whose account plan gives a cadence in days, or when the programme's policy has been set,
    the number of visits with its sponsor due from ``start`` to ``end`` (inclusive). The first is due
    that many days after the last senior visit planned or made before ``start`` (at once when there
    is none, or when it is overdue), the next ones every that many days. Customers the programme sets
    nothing for are left out: the cadence policy's monthly senior visit stands for them."""
    accounts = [c for c in customers if has_senior_cadence(c)]
    if not accounts:
        return {}
    ids = [c.pk for c in accounts]
    cadence = senior_visit_cadence(ids)
    last = dict(PlanEntry.objects.filter(customer_id__in=ids, kind=EntryKind.SENIOR, date__lt=start)
                .exclude(status__in=(EntryStatus.CANCELLED, EntryStatus.SKIPPED))
                .values_list("customer_id").annotate(last=Max("date")))
    out = {}
    for pk, every in cadence.items():
        first = max(last[pk] + datetime.timedelta(days=every), start) if pk in last else start
        out[pk] = 0 if first > end else 1 + (end - first).days // every
    return out


def _minutes(t: datetime.time) -> int:
    return t.hour * 60 + t.minute


def morning_capacity(policy: CadencePolicy) -> int:
    """How many A visits one morning holds: the morning's minutes over a visit plus the drive to it
    (a 40-minute visit in 08:30–12:00 with 12 minutes' driving: four)."""
    morning = _minutes(policy.morning_end) - _minutes(policy.day_start)
    return max(1, morning // (policy.a_minutes + TRAVEL_ALLOWANCE_MIN))


def day_capacity_minutes(policy: CadencePolicy) -> int:
    return _minutes(policy.day_end) - _minutes(policy.day_start)


# --- plans -------------------------------------------------------------------------------------


def book_of(rep: User) -> list[Customer]:
    """The customers and prospects a rep visits: their own, not lost."""
    return list(Customer.objects.filter(owner=rep).exclude(lifecycle=Lifecycle.LOST)
                .select_related("key_account_sponsor").order_by("code"))


def _area(customer: Customer) -> str:
    return customer.district or customer.city or customer.province or ""


@dataclass
class Placement:
    customer: Customer
    date: datetime.date
    slot: str
    kind: str
    grade: str
    minutes: int
    companion_id: int | None
    position: int = 0  # order within the day when the week's routes set it (0: by slot and area)
    unfit: bool = False  # the week's routes cannot hold it: kept on its best day, and shown as not fitting


@functools.lru_cache(maxsize=200_000)
def _travel_minutes(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float:
    """Driving minutes as the routing core estimates them from coordinates (straight line × road
    factor at a speed); the planning allowance when a position is unknown."""
    if a is None or b is None:
        return TRAVEL_ALLOWANCE_MIN
    return haversine_m(a, b) / 1000 * road_factor() / speed_kmh() * 60


class _Tour:
    """A tour from the base built by cheapest insertion: a quick estimate of a day's (or a
    morning's) driving, good enough to decide what the day can hold."""

    def __init__(self, base, *, back: bool):
        self.base, self.back = base, back
        self.points: list = []
        self.travel = 0.0
        self.service = 0

    def _insertion(self, point) -> tuple[float, int]:
        seq = [self.base, *self.points] + ([self.base] if self.back else [None])
        best, where = math.inf, len(self.points)
        for i in range(len(seq) - 1):
            a, b = seq[i], seq[i + 1]
            if b is None:  # open end (a morning need not drive home before noon)
                delta = _travel_minutes(a, point)
            else:
                delta = _travel_minutes(a, point) + _travel_minutes(point, b) - _travel_minutes(a, b)
            if delta < best:
                best, where = delta, i
        return best, where

    def minutes_with(self, point, minutes: int) -> float:
        return self.travel + self._insertion(point)[0] + self.service + minutes

    def add(self, point, minutes: int) -> None:
        delta, where = self._insertion(point)
        self.points.insert(where, point)
        self.travel += delta
        self.service += minutes


class _DayLoad:
    """What one day of a plan holds so far, to decide whether a visit still fits."""

    def __init__(self, base, policy: CadencePolicy):
        self.morning_minutes = _minutes(policy.morning_end) - _minutes(policy.day_start)
        self.day_minutes = day_capacity_minutes(policy)
        self.cap_morning = morning_capacity(policy)
        self.base = base
        self.morning = _Tour(base, back=False)
        self.day = _Tour(base, back=True)
        self.areas: set[str] = set()

    def fits(self, point, minutes: int, morning: bool) -> bool:
        if morning and (len(self.morning.points) >= self.cap_morning
                        or self.morning.minutes_with(point, minutes) > self.morning_minutes):
            return False
        return self.day.minutes_with(point, minutes) <= self.day_minutes

    def detour(self, point) -> float:
        return min([_travel_minutes(p, point) for p in self.day.points] or [_travel_minutes(self.base, point)])

    def add(self, point, minutes: int, morning: bool, area: str) -> None:
        self.day.add(point, minutes)
        if morning:
            self.morning.add(point, minutes)
        self.areas.add(area)


def _offset(customer: Customer) -> float:
    """A stable number in [0, 1) per customer, to spread visits the same way every time."""
    return (zlib.crc32(customer.code.encode()) % 1000) / 1000


def every_weeks(cadence: Cadence) -> int:
    """1 for a weekly cadence (4 visits a month: A by default), 2 for a fortnightly one (2 a month:
    B and prospects to continue), 0 for the others, which are spread over the month's working days."""
    return {4: 1, 2: 2}.get(cadence.per_month, 0)


def _area_weekday(area: str) -> int:
    """The weekday (0 Monday to 4 Friday) an area's weekly and fortnightly visits aim at: the same
    day every week keeps them a week (or two) apart, and one area's visits on one day."""
    return zlib.crc32(area.encode()) % 5


def _weeks_of_days(days: list[datetime.date]) -> dict[datetime.date, list[datetime.date]]:
    weeks: dict[datetime.date, list[datetime.date]] = {}
    for day in days:
        weeks.setdefault(week_bounds(day)[0], []).append(day)
    return weeks


def plan_schedule(*, customers: Iterable[Customer], days: list[datetime.date], policy: CadencePolicy,
                  month_days: int | None = None, counts: dict[int, int] | None = None,
                  seniors: dict[int, int] | None = None, base: tuple[float, float] | None = None,
                  senior_due: dict[int, int] | None = None, weeks: MonthWeeks | None = None) -> list[Placement]:
    """Spread the visits the policy asks for over ``days``.

    Weekly customers (A) get one visit in every calendar week of ``weeks`` (the weeks the month's
    plan covers, see ``month_weeks``; the weeks of ``days`` when not given), fortnightly ones (B,
    prospects to continue) one every other week, alternating the same way across months
    (``fortnight_week``); the visit goes on the week's working day nearest the weekday of the
    customer's area, so visits are a week (or two) apart and an area's visits share a day. A customer
    with another number n of visits a month gets one in each of n equal stretches of the working
    days (scaled down when ``days`` is part of a month). Inside its week or stretch a visit goes to a
    day that still has room — counting the visits' minutes and the driving between them from the
    rep's ``base`` — in a stretch preferring a day that already has its area, then the day it adds
    least driving to, so each day's visits are grouped by area. A visits go in mornings: no more
    than ``morning_capacity`` a morning, fewer when the driving between them takes the time; when
    every morning of a week is full the A visit still stays in its week, on its least loaded
    morning, and the day's route says what does not fit. A visits are placed first, then B,
    prospects and C, so when days are full it is the less valuable visits that crowd. ``counts``
    (customer id to visits) overrides the policy's number, as when a week takes its visits from the
    monthly plan. ``senior_due`` (customer id to senior-manager visits due in ``days``, from
    ``senior_visits_due``) replaces the policy's monthly senior visit for those customers.
    Deterministic: the same book gives the same plan.

    The monthly plan's days are these; a weekly plan's are the routing core's (``week_routes``,
    which starts from these days), and these only when the rep has no base.
    """
    if not days:
        return []
    month_days = month_days or len(days)
    share = len(days) / month_days
    loads = {day: _DayLoad(base, policy) for day in days}
    if weeks is None:
        weeks = MonthWeeks(weeks=_weeks_of_days(days), empty=set())
    day_weeks = _weeks_of_days(days)
    order = {"A": 0, "B": 1, "P": 2, "C": 3}
    rows = []
    for customer in customers:
        cadence = cadence_for(customer, policy)
        due = senior_due.get(customer.pk) if senior_due is not None else None
        count = max(cadence.per_month, cadence.senior_per_month if due is None else 0)
        offset = _offset(customer)
        every = every_weeks(cadence)
        phase = 0 if offset < 0.5 else 1
        if counts is not None:
            n = counts.get(customer.pk, 0)
            # a week of the monthly plan: its visit aims at the area's weekday like the month's did
            in_weeks = sorted(day_weeks.items()) if every and n == len(day_weeks) else []
        elif every:
            in_weeks = [(monday, week_days) for monday, week_days in sorted(weeks.weeks.items())
                        if every == 1 or fortnight_week(monday, phase, weeks.empty)]
            n = max(len(in_weeks), due or 0)
        else:
            # Part of a month: the share of the month's visits, rounded by a stable per-customer
            # offset so a monthly customer lands in one of the month's weeks and not in every one.
            in_weeks = []
            n = math.floor(count * share + offset) if share < 1 else count
            n = max(n, due or 0)  # the senior-manager visits due are visits too
        if n <= 0:
            continue
        rows.append((order[cadence.grade], _area(customer), customer.code, customer, cadence, n, offset, due, in_weeks))
    rows.sort(key=lambda r: r[:3])
    placements: list[Placement] = []
    for _order, area, _code, customer, cadence, n, offset, due, in_weeks in rows:
        if seniors is not None:
            senior_left = seniors.get(customer.pk, 0)
        elif due is not None:
            senior_left = min(due, n)
        elif share < 1 and not in_weeks:
            senior_left = min(n, math.floor(cadence.senior_per_month * share + offset))
        else:
            senior_left = min(cadence.senior_per_month, n)
        point = _point(customer)
        taken: set[datetime.date] = set()
        spread = n - len(in_weeks)  # visits beyond one a week (a senior cadence asking for more)
        for k in range(n):
            if k < len(in_weeks):
                monday, week_days = in_weeks[k]
                target = monday + datetime.timedelta(days=_area_weekday(area))
                ordered = sorted(week_days, key=lambda d: (abs((d - target).days), d))  # noqa: B023
                fitting = [d for d in ordered if loads[d].fits(point, cadence.minutes, cadence.morning)]
                day = fitting[0] if fitting else min(ordered, key=lambda d: (  # noqa: B023
                    len(loads[d].morning.points) if cadence.morning else 0, len(loads[d].day.points)))
            else:
                j = k - len(in_weeks)
                day = _stretch_day(days, j, spread, offset, taken, loads, point, cadence, area)
            loads[day].add(point, cadence.minutes, cadence.morning, area)
            taken.add(day)
            with_senior = senior_left > 0
            senior_left -= 1 if with_senior else 0
            placements.append(Placement(
                customer=customer, date=day, slot=Slot.MORNING if cadence.morning else Slot.ANY,
                kind=EntryKind.SENIOR if with_senior else (EntryKind.PROSPECT if cadence.grade == "P" else EntryKind.REGULAR),
                grade=cadence.grade, minutes=cadence.minutes,
                companion_id=customer.key_account_sponsor_id if with_senior else None,
            ))
    return placements


def _stretch_day(days: list[datetime.date], k: int, n: int, offset: float, taken: set[datetime.date],
                 loads: dict[datetime.date, _DayLoad], point: tuple[float, float] | None, cadence: Cadence,
                 area: str) -> datetime.date:
    """The day of the k-th of n visits spread over ``days`` in equal stretches."""
    lo = math.floor(k * len(days) / n)
    hi = max(lo + 1, math.floor((k + 1) * len(days) / n))
    stretch = [d for d in days[lo:hi] if d not in taken] or days[lo:hi]
    start = int(offset * len(stretch))
    ordered = stretch[start:] + stretch[:start]
    fitting = [d for d in ordered if loads[d].fits(point, cadence.minutes, cadence.morning)]
    if not fitting:  # the stretch is full: the nearest day of the period with room
        mid = days[(lo + hi - 1) // 2]
        fitting = sorted((d for d in days if d not in taken and loads[d].fits(point, cadence.minutes, cadence.morning)),
                         key=lambda d: abs((d - mid).days))[:1]
    if fitting:
        return min(fitting, key=lambda d: (not (area and area in loads[d].areas), round(loads[d].detour(point)),
                                           len(loads[d].day.points), fitting.index(d)))
    # over-booked: the least loaded day; the route will say what does not fit
    return min(days, key=lambda d: (len(loads[d].morning.points) if cadence.morning else 0, len(loads[d].day.points)))


# The routing core's search for one rep's week: VROOM at its quickest level, then, when VROOM leaves
# out A visits the mornings have room for, PyVRP for a fixed number of iterations, bounded in seconds.
# Measured on the team week's 50 rep-weeks (benchmarks/visits_bench.py, 2 cores at a load of about 5):
# VROOM alone fitted 938 of the 962 A visits the mornings could hold, in 9 s; PyVRP after it on every
# week, 200 iterations: 954, 26 s more; on the 19 weeks VROOM left room in, 300 iterations: 956, about
# 8 s more (400: 958, 10 s more).
WEEK_ROUTE_SECONDS = 0.6
WEEK_ROUTE_ITERATIONS = 300
WEEK_ROUTE_EXPLORATION = 0


def week_routes(*, placements: list[Placement], days: list[datetime.date], policy: CadencePolicy,
                base: tuple[float, float] | None, time_limit: float | None = None) -> list[Placement] | None:
    """The weekly plan's days from the routing core: ``placements`` (``plan_schedule``'s visits of the
    week) put on the days whose routes hold them, in route order.

    One route per working day from the rep's base, between the policy's day start and end; each
    visit with the windows and skip penalty its day route will have (A in the morning, opening
    hours where set, the penalty of its grade), travel from coordinates as the day routes compute
    it, and no more than ``morning_capacity`` A visits a morning. The days are alike, so each route
    goes to the day most of its visits were aimed at by ``plan_schedule`` (an area's weekday), which
    keeps weekly visits about a week apart. A customer's second visit of the week goes on another
    day that holds it. Visits no route holds (the week is full) stay on their ``plan_schedule`` day,
    marked ``unfit`` so the plan says they do not fit; none is dropped.

    A customer without coordinates (not even its district's) is taken to be at the base, as its day
    route takes it. Returns None — the week keeps ``plan_schedule``'s days and its order by slot and
    area — when the rep has no base. Deterministic: the core's search runs a fixed number of
    iterations (``time_limit`` bounds it on a machine too busy to finish them).
    """
    if base is None or not placements or not days:
        return None
    points = [_point(p.customer) or base for p in placements]
    from .routing.engine import Client, Vehicle, fleet_routes

    hours = {h.customer_id: parse_windows(h.windows)
             for h in OpeningHours.objects.filter(customer_id__in={p.customer.pk for p in placements})}
    matrix = travel_minutes([base, *points])
    clients = [Client(service=p.minutes, windows=[(a, b) for a, b in _visit_windows(p.slot, p.customer.pk, policy, hours)],
                      penalty=_grade_penalty(p.grade, policy), demand=int(p.slot == Slot.MORNING), location=i + 1)
               for i, p in enumerate(placements)]
    vehicle = Vehicle(start=_minutes(policy.day_start), end=_minutes(policy.day_end), capacity=morning_capacity(policy))
    mornings = min(sum(c.demand for c in clients), morning_capacity(policy) * len(days))

    def room_left(routes: list[list[int]]) -> bool:  # A visits left out that the mornings have room for
        return sum(clients[k].demand for route in routes for k in route) < mornings

    found = fleet_routes(clients, matrix, [vehicle] * len(days),
                         time_limit=WEEK_ROUTE_SECONDS if time_limit is None else time_limit,
                         iterations=WEEK_ROUTE_ITERATIONS, exploration=WEEK_ROUTE_EXPLORATION, polish=room_left)
    routes = _routes_to_days(found, [p.date for p in placements], days)
    # a customer seen twice this week: the second visit on another day that holds it
    for day in days:
        seen: set[int] = set()
        for k in list(routes[day]):
            pk = placements[k].customer.pk
            if pk in seen:
                routes[day].remove(k)
                _insert_elsewhere(k, routes, placements, clients, matrix, vehicle)
            seen.add(pk)
    out: list[Placement] = []
    inside: set[int] = set()
    for day in days:
        for position, k in enumerate(routes[day], start=1):
            inside.add(k)
            out.append(dataclasses.replace(placements[k], date=day, position=position, unfit=False))
    after: dict[datetime.date, int] = {day: len(routes[day]) for day in days}
    for k, p in enumerate(placements):
        if k not in inside:
            after[p.date] += 1
            out.append(dataclasses.replace(p, position=after[p.date], unfit=True))
    return out


def unfit_notices(entries: Iterable[PlanEntry]) -> list[str]:
    """What a weekly plan could not hold, said on the plan for the rep and the supervisor: how many A
    visits do not fit in the week's mornings and how many other visits do not fit in its days (each
    stays on its best day, marked, until it is moved, made or its day's route holds it)."""
    a_visits = others = 0
    for entry in entries:
        if entry.unfit and entry.status not in (EntryStatus.DONE, EntryStatus.CANCELLED):
            if entry.grade == "A":
                a_visits += 1
            else:
                others += 1
    notices = []
    if a_visits:
        notices.append(ngettext("%(n)d A visit does not fit in this week's mornings; it is marked below.",
                                "%(n)d A visits do not fit in this week's mornings; they are marked below.",
                                a_visits) % {"n": a_visits})
    if others:
        notices.append(ngettext("%(n)d B, C or prospect visit does not fit in this week's days; it is marked below.",
                                "%(n)d B, C or prospect visits do not fit in this week's days; they are marked below.",
                                others) % {"n": others})
    return notices


def _routes_to_days(routes: list[list[int]], aimed: list[datetime.date], days: list[datetime.date]
                    ) -> dict[datetime.date, list[int]]:
    """Each route on its own day, the assignment where most visits land on the day they aimed at
    (the first such, in the days' order, on a tie)."""
    hits = [[sum(aimed[k] == day for k in route) for day in days] for route in routes]
    best: tuple[int, ...] = tuple(range(len(days)))
    best_score = -1
    for order in itertools.permutations(range(len(days))):
        score = sum(hits[r][d] for r, d in enumerate(order))
        if score > best_score:
            best, best_score = order, score
    return {days[best[r]]: list(route) for r, route in enumerate(routes)}


def _insert_elsewhere(k: int, routes: dict[datetime.date, list[int]], placements: list[Placement], clients: list,
                      matrix: list[list[int]], vehicle) -> None:
    """Put visit ``k`` where it adds least travel keeping the route's windows, day and mornings, on
    the day nearest the one it aimed at without another visit of its customer; nowhere when none
    does (it is then left out of the routes)."""
    from .routing.engine import route_travel, schedule

    aimed, pk = placements[k].date, placements[k].customer.pk
    for day in sorted(routes, key=lambda d: (abs((d - aimed).days), d)):
        route = routes[day]
        if any(placements[j].customer.pk == pk for j in route):
            continue
        if sum(clients[j].demand for j in route) + clients[k].demand > (vehicle.capacity or 0):
            continue
        trials = [route[:i] + [k] + route[i:] for i in range(len(route) + 1)]
        fitting = [t for t in trials if schedule(t, clients, matrix, vehicle) is not None]
        if fitting:
            routes[day] = min(fitting, key=lambda t: route_travel(t, clients, matrix, vehicle))
            return


def _order_days(entries: list[PlanEntry]) -> None:
    """Positions within each day: mornings first, then by area, so one area's visits sit together."""
    by_day: dict[datetime.date, list[PlanEntry]] = defaultdict(list)
    for entry in entries:
        by_day[entry.date].append(entry)
    slot_rank: dict[str, int] = {Slot.MORNING: 0, Slot.ANY: 1, Slot.AFTERNOON: 2}
    for day_entries in by_day.values():
        day_entries.sort(key=lambda e: (slot_rank.get(e.slot, 1), e.area, e.customer.code))
        for i, entry in enumerate(day_entries):
            entry.position = i + 1


def _lock_editable(plan: Plan) -> Plan:
    """The plan, locked until the change commits, if it can still be changed: a change made at the
    moment the plan is submitted or decided waits for that and is then refused."""
    plan = Plan.objects.select_for_update(of=("self",)).select_related("rep__team").get(pk=plan.pk)
    if plan.status not in EDITABLE:
        raise ValidationError(_("This plan has been submitted; it can no longer be changed."))
    return plan


def _require_plan_writer(user: User, rep: User) -> None:
    if not user.is_active:
        raise PermissionDenied(_("This account is not active."))
    if not can_write_plan(user, rep):
        raise PermissionDenied(_("Reps make and edit their own plans."))


def plan_generate(*, user: User, rep: User, kind: str, day: datetime.date) -> Plan:
    """The rep's monthly or weekly plan for the period holding ``day``, generated from the cadence
    policy and the rep's book. A weekly plan takes the week's visits from the monthly plan when
    there is one, and its days and order from the routing core (``week_routes``) when the rep has a
    base; otherwise, and for a monthly plan, from ``plan_schedule`` alone. Regenerating a draft
    replaces its entries; a submitted or approved plan stays. The visits are worked out before the
    plan is locked (the routing server and the search take a while); only the writing holds it."""
    _require_plan_writer(user, rep)
    policy = policy_current()
    start, end = month_bounds(day) if kind == PlanKind.MONTH else week_bounds(day)
    if Plan.objects.filter(rep=rep, kind=kind, starts_on=start).exclude(status__in=EDITABLE).exists():
        raise ValidationError(_("This plan has been submitted; it can no longer be regenerated."))
    workdays = working_days(start=start, end=end)
    routed: list[Placement] | None = None
    if kind == PlanKind.MONTH:
        book = book_of(rep)
        placements = plan_schedule(customers=book, days=workdays.days, policy=policy, base=rep_base_point(rep, book),
                                   senior_due=senior_visits_due(book, start=start, end=end),
                                   weeks=month_weeks(start, end))
    else:
        placements = _week_placements(rep=rep, workdays=workdays, policy=policy, start=start, end=end)
        routed = week_routes(placements=placements, days=workdays.days, policy=policy, base=rep_base(rep))
    with transaction.atomic():
        plan, _created = Plan.objects.select_for_update().get_or_create(
            rep=rep, kind=kind, starts_on=start, defaults={"ends_on": end})
        if plan.status not in EDITABLE:  # submitted meanwhile
            raise ValidationError(_("This plan has been submitted; it can no longer be regenerated."))
        plan.entries.filter(status=EntryStatus.PLANNED).delete()
        entries = [PlanEntry(plan=plan, customer=p.customer, date=p.date, slot=p.slot, kind=p.kind, grade=p.grade,
                             area=_area(p.customer), minutes=p.minutes, companion_id=p.companion_id,
                             position=p.position, unfit=p.unfit)
                   for p in (placements if routed is None else routed)]
        if routed is None:
            _order_days(entries)
        PlanEntry.objects.bulk_create(entries)
        plan.ends_on = end
        plan.calendar_notice = workdays.notice
        plan.save(update_fields=["ends_on", "calendar_notice", "updated_at"])
    return plan


def _week_placements(*, rep: User, workdays: WorkingDays, policy: CadencePolicy, start, end) -> list[Placement]:
    monthly = (PlanEntry.objects.filter(plan__rep=rep, plan__kind=PlanKind.MONTH, date__gte=start, date__lte=end)
               .exclude(status=EntryStatus.CANCELLED).select_related("customer__key_account_sponsor"))
    counts: dict[int, int] = defaultdict(int)
    seniors: dict[int, int] = defaultdict(int)
    pool: dict[int, Customer] = {}
    for entry in monthly:
        counts[entry.customer_id] += 1
        seniors[entry.customer_id] += entry.kind == EntryKind.SENIOR
        pool[entry.customer_id] = entry.customer
    if pool:  # the monthly plan said whom to see this week; the week spreads them over its days
        return plan_schedule(customers=pool.values(), days=workdays.days, policy=policy, counts=counts,
                             seniors=seniors, base=rep_base_point(rep, list(pool.values())))
    # No monthly plan: a customer's k-th visit of the month is due in the week holding the middle of
    # the k-th stretch of the month's working days at the customer's own offset (so a team's monthly
    # customers spread over the month's weeks instead of crowding one).
    book = book_of(rep)
    months = {m: working_days(start=m, end=month_bounds(m)[1]).days
              for m in sorted({month_bounds(d)[0] for d in workdays.days})}
    monday = week_bounds(start)[0]
    owner = _owning_month_weeks(monday)
    for customer in book:
        cadence = cadence_for(customer, policy)
        n = max(cadence.per_month, cadence.senior_per_month)
        offset = _offset(customer)
        every = every_weeks(cadence)
        if every:  # weekly and fortnightly customers by the same weeks as the monthly plan
            phase = 0 if offset < 0.5 else 1
            visit_weeks = [m for m in sorted(owner.weeks) if every == 1 or fortnight_week(m, phase, owner.empty)
                           ] if owner else []
            if monday in visit_weeks:
                counts[customer.pk] = 1
                seniors[customer.pk] += int(cadence.senior_per_month > 0 and monday == visit_weeks[0])
                pool[customer.pk] = customer
            continue
        for month_days in months.values():
            for k in range(n if month_days else 0):
                lo = math.floor(k * len(month_days) / n)
                hi = max(lo + 1, math.floor((k + 1) * len(month_days) / n))
                if start <= month_days[lo + int(offset * (hi - lo))] <= end:
                    counts[customer.pk] += 1
                    seniors[customer.pk] += k < cadence.senior_per_month
                    pool[customer.pk] = customer
    # The key-account programme's senior cadence, where it sets one, replaces the policy's monthly one.
    for pk, due in senior_visits_due(book, start=start, end=end).items():
        if workdays.days:
            seniors[pk] = due
            counts[pk] = max(counts[pk], due)
            if counts[pk]:
                pool[pk] = next(c for c in book if c.pk == pk)
    return plan_schedule(customers=pool.values(), days=workdays.days, policy=policy, counts=counts, seniors=seniors,
                         base=rep_base_point(rep, book))


def _owning_month_weeks(monday: datetime.date) -> MonthWeeks | None:
    """The weeks of the month whose plan covers the week of ``monday`` (None for a week without a
    working day)."""
    for first in sorted({month_bounds(monday + datetime.timedelta(days=i))[0] for i in range(7)}):
        owned = month_weeks(first, month_bounds(first)[1])
        if monday in owned.weeks:
            return owned
    return None


@transaction.atomic
def plan_entry_add(*, user: User, plan: Plan, customer: Customer, date: datetime.date, slot: str = Slot.ANY,
                   goal: str = "") -> PlanEntry:
    _require_plan_writer(user, plan.rep)
    plan = _lock_editable(plan)
    if customer.owner_id != plan.rep_id:
        raise ValidationError({"customer": _("Only the rep's own customers go in their plan.")})
    if not (plan.starts_on <= date <= plan.ends_on):
        raise ValidationError({"date": _("The date must be inside the plan's period.")})
    cadence = cadence_for(customer, policy_current())
    position = plan.entries.filter(date=date).count() + 1
    return PlanEntry.objects.create(plan=plan, customer=customer, date=date, slot=slot, goal=goal[:200],
                                    kind=EntryKind.PROSPECT if cadence.grade == "P" else EntryKind.REGULAR,
                                    grade=cadence.grade, area=_area(customer), minutes=cadence.minutes,
                                    position=position)


@transaction.atomic
def plan_entry_remove(*, user: User, entry: PlanEntry) -> None:
    _require_plan_writer(user, entry.plan.rep)
    _lock_editable(entry.plan)
    entry.delete()


def plan_entry_move(*, user: User, entry: PlanEntry, date: datetime.date, goal: str | None = None) -> PlanEntry:
    """Another day for a planned visit — also for a visit the day's route could not hold, which is
    offered for another day rather than dropped. Allowed in an approved plan: the day is the rep's."""
    _require_plan_writer(user, entry.plan.rep)
    if entry.status == EntryStatus.DONE:
        raise ValidationError(_("This visit has been made."))
    if date < timezone.localdate():
        raise ValidationError({"date": _("Choose today or a later day.")})
    plan = entry.plan
    if not (plan.starts_on <= date <= plan.ends_on):
        plan = _plan_for(rep=plan.rep, kind=plan.kind, day=date)
    entry.plan = plan
    entry.date = date
    entry.status = EntryStatus.PLANNED
    entry.skip_reason = ""
    entry.unfit = False  # the rep has chosen its day
    if goal is not None:
        entry.goal = goal[:200]
    entry.position = plan.entries.filter(date=date).count() + 1
    entry.save()
    return entry


def _plan_for(*, rep: User, kind: str, day: datetime.date) -> Plan:
    start, end = month_bounds(day) if kind == PlanKind.MONTH else week_bounds(day)
    plan, _created = Plan.objects.get_or_create(rep=rep, kind=kind, starts_on=start, defaults={"ends_on": end})
    return plan


@transaction.atomic
def plan_submit(*, user: User, plan: Plan) -> Plan:
    if user.pk != plan.rep_id:
        raise PermissionDenied(_("Only the rep submits their own plan."))
    plan = Plan.objects.select_for_update(of=("self",)).select_related("rep__team").get(pk=plan.pk)
    if plan.status not in EDITABLE:  # a second tap waits for the first, then is refused
        raise ValidationError(_("This plan has been submitted already."))
    plan.status = PlanStatus.SUBMITTED
    plan.submitted_at = timezone.now()
    plan.save(update_fields=["status", "submitted_at", "updated_at"])
    approvers: list[User] = [plan.rep.team.supervisor] if plan.rep.team_id and plan.rep.team.supervisor_id else []  # type: ignore[union-attr, list-item]  # both set
    notify(users=[a for a in approvers if a.pk != plan.rep_id],
           text=message(gettext_lazy("%(rep)s submitted a visit plan from %(start)s for approval."),
                        rep=plan.rep, start=plan.starts_on.isoformat()),
           link=f"/visits/plans/{plan.pk}/")
    return plan


@transaction.atomic
def plan_decide(*, user: User, plan: Plan, approve: bool, note: str = "") -> Plan:
    plan = Plan.objects.select_for_update(of=("self",)).select_related("rep__team").get(pk=plan.pk)
    if not can_decide_plan(user, plan):
        raise PermissionDenied(_("Plans are approved by the rep's supervisor, and never by the rep."))
    if plan.status != PlanStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted plan can be approved or returned."))
    if not approve and not note.strip():
        raise ValidationError({"note": _("Say what to change when returning a plan.")})
    plan.status = PlanStatus.APPROVED if approve else PlanStatus.RETURNED
    plan.decided_by = user
    plan.decided_at = timezone.now()
    plan.decision_note = note.strip()[:300]
    plan.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    text = (message(gettext_lazy("Your visit plan from %(start)s was approved."), start=plan.starts_on.isoformat())
            if approve else message(gettext_lazy("Your visit plan from %(start)s was returned: %(note)s"),
                                    start=plan.starts_on.isoformat(), note=plan.decision_note))
    notify(users=[plan.rep], text=text,
           link=f"/visits/plans/{plan.pk}/")
    return plan


# --- the day: checklist, route -----------------------------------------------------------------


def day_start_get(*, rep: User, date: datetime.date) -> DayStart:
    row = DayStart.objects.filter(rep=rep, date=date).first()
    return row or DayStart(rep=rep, date=date)


@transaction.atomic
def day_start(*, user: User, date: datetime.date, ticked: Iterable[str], reason: str = "") -> DayStart:
    """F1: the day starts with the pre-departure checklist ticked, or with the rep's written reason
    why not (which the supervisor sees). Once: a second start (a double tap, two devices at the same
    moment) is refused, never a second row or an error page."""
    ticked = set(ticked)
    unknown = ticked - set(DayStart.ITEMS)
    if unknown:
        raise ValidationError(_("Unknown checklist item: %(item)s") % {"item": sorted(unknown)[0]})
    reason = (reason or "").strip()
    if not set(DayStart.ITEMS) <= ticked and not reason:
        raise ValidationError({"skip_reason": _(
            "Tick every item of the pre-departure checklist, or write why you start without it.")})
    row, _created = DayStart.objects.get_or_create(rep=user, date=date)
    row = DayStart.objects.select_for_update().get(pk=row.pk)  # the other start waits here, then sees it
    if row.started_at:
        raise ValidationError(_("This day has been started already."))
    for item in DayStart.ITEMS:
        setattr(row, item, item in ticked)
    row.skip_reason = reason[:300] if not row.complete else ""
    row.started_at = timezone.now()
    row.save()
    return row


def parse_windows(text: str) -> list[tuple[int, int]]:
    """"08:30-12:00,13:30-17:00" as minutes after midnight; ValidationError when it is not that."""
    windows = []
    for part in (text or "").replace("，", ",").replace("–", "-").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            a, b = (x.strip() for x in part.split("-"))
            ha, ma = (int(x) for x in a.split(":"))
            hb, mb = (int(x) for x in b.split(":"))
        except ValueError:
            raise ValidationError({"windows": _("Write opening hours as 08:30-12:00,13:30-17:00.")}) from None
        lo, hi = ha * 60 + ma, hb * 60 + mb
        if not (0 <= lo < hi <= 24 * 60):
            raise ValidationError({"windows": _("An opening window must end after it opens: %(w)s") % {"w": part}})
        windows.append((lo, hi))
    windows.sort()
    for (_a, closes), (opens, _d) in zip(windows, windows[1:], strict=False):
        if opens < closes:
            raise ValidationError({"windows": _("Opening windows overlap.")})
    return windows


def opening_hours_set(*, user: User, customer: Customer, windows: str) -> OpeningHours | None:
    from kehu.accounts.permissions import can_edit_customer

    if not can_edit_customer(user, customer):
        raise PermissionDenied(_("You may not change this customer."))
    parsed = parse_windows(windows)
    if not parsed:
        OpeningHours.objects.filter(customer=customer).delete()
        return None
    text = ",".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in parsed)
    row, _created = OpeningHours.objects.update_or_create(customer=customer, defaults={"windows": text})
    return row


def _point(obj) -> tuple[float, float] | None:
    if obj is None or obj.lat is None or obj.lng is None:
        return None
    return float(obj.lat), float(obj.lng)


def rep_base(rep: User) -> tuple[float, float] | None:
    """Where the rep's days start and end, when it has been set."""
    base = RepBase.objects.filter(user=rep).first()
    return (float(base.lat), float(base.lng)) if base else None


def rep_base_point(rep: User, customers: list[Customer]) -> tuple[float, float]:
    """The rep's base; without one, the middle of the day's customers (a stand-in, not a guess at an address)."""
    base = rep_base(rep)
    if base:
        return base
    points = [p for p in (_point(c) for c in customers) if p]
    if not points:
        return 31.2304, 121.4737
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _windows_for(entry: PlanEntry, policy: CadencePolicy, hours: dict[int, list[tuple[int, int]]]) -> list[list[int]]:
    return _visit_windows(entry.slot, entry.customer_id, policy, hours)


def _visit_windows(slot: str, customer_id: int, policy: CadencePolicy,
                   hours: dict[int, list[tuple[int, int]]]) -> list[list[int]]:
    """A visit's windows in a day's route: the customer's opening hours (the working day when none
    are set), cut to the morning or the afternoon when the visit has that slot."""
    day_lo, day_hi = _minutes(policy.day_start), _minutes(policy.day_end)
    windows = hours.get(customer_id) or [(day_lo, day_hi)]
    if slot == Slot.MORNING:
        windows = [(a, min(b, _minutes(policy.morning_end))) for a, b in windows]
    elif slot == Slot.AFTERNOON:
        windows = [(max(a, _minutes(policy.morning_end)), b) for a, b in windows]
    return [[a, b] for a, b in windows if b > a]


def _penalty(entry: PlanEntry, policy: CadencePolicy) -> int:
    return _grade_penalty(entry.grade, policy)


def _grade_penalty(grade: str, policy: CadencePolicy) -> int:
    """The skip penalty of a visit of this grade (A, B, P for a prospect, C otherwise) by the policy."""
    return {"A": policy.a_penalty, "B": policy.b_penalty, "P": policy.prospect_penalty}.get(grade, policy.c_penalty)


def day_problem(*, rep: User, date: datetime.date, entries: list[PlanEntry] | None = None,
                policy: CadencePolicy | None = None) -> dict:
    """The routing core's problem for a rep's day: the planned visits with their windows (A in the
    morning, opening hours), durations, and the skip penalty of their grade by the policy."""
    policy = policy or policy_current()
    if entries is None:
        entries = list(day_entries(rep=rep, date=date).filter(status=EntryStatus.PLANNED))
    hours = {h.customer_id: parse_windows(h.windows)
             for h in OpeningHours.objects.filter(customer_id__in=[e.customer_id for e in entries])}
    customers = [e.customer for e in entries]
    base = rep_base_point(rep, customers)
    stops: list[dict[str, Any]] = []
    for entry in entries:
        point = _point(entry.customer) or base
        stops.append({"id": str(entry.pk), "lat": point[0], "lon": point[1], "service_min": entry.minutes,
                      "time_windows": _windows_for(entry, policy, hours), "skip_penalty": _penalty(entry, policy)})
    points = [base] + [(s["lat"], s["lon"]) for s in stops]
    return {
        "day": {"start": _minutes(policy.day_start), "end": _minutes(policy.day_end)},
        "base": {"id": "base", "lat": base[0], "lon": base[1]},
        "stops": stops,
        "travel_min": travel_minutes(points),
    }


def travel_minutes(points: list[tuple[float, float]]) -> list[list[int]]:
    """Driving minutes between ``points`` for day routes and weekly plans alike: from the routing
    server (OSRM) when KEHU_OSRM_URL names one, else — or when it cannot answer — the straight line
    times the road factor at the configured speed."""
    if getattr(settings, "KEHU_OSRM_URL", ""):
        from .routing import osrm_matrix

        try:
            return osrm_matrix(points, url=settings.KEHU_OSRM_URL)
        except OSError:  # the routing server is down: straight lines still give a plan
            pass
    from .routing import travel_matrix

    return travel_matrix(points, road_factor=road_factor(), speed_kmh=speed_kmh())


def road_factor() -> float:
    return float(getattr(settings, "KEHU_ROUTE_ROAD_FACTOR", 1.4))


def speed_kmh() -> float:
    return float(getattr(settings, "KEHU_ROUTE_SPEED_KMH", 25))


def day_entries(*, rep: User, date: datetime.date):
    """A person's planned visits of a day: their plan's, and those they go along to as a senior manager."""
    return (PlanEntry.objects.filter(Q(plan__rep=rep) | Q(companion=rep), date=date, plan__kind=PlanKind.WEEK)
            .exclude(status=EntryStatus.CANCELLED)
            .select_related("customer", "plan__rep", "companion").order_by("position", "id"))


@transaction.atomic
def day_route_compute(*, user: User, date: datetime.date, time_limit: float | None = None) -> DayRoute:
    """Order the day's planned visits with the routing core. Visits it leaves out are marked with
    the core's reason and stay in the plan to be moved to another day; none is dropped silently."""
    from .routing import solve

    entries = [e for e in day_entries(rep=user, date=date) if e.plan.rep_id == user.pk and e.status in
               (EntryStatus.PLANNED, EntryStatus.SKIPPED)]
    problem = day_problem(rep=user, date=date, entries=entries)
    result = solve(problem, time_limit=time_limit) if entries else {
        "route": [], "skipped": [], "travel_min": 0, "skipped_penalty": 0, "cost": 0, "seconds": 0.0}
    _apply_route(entries, result)
    route, _created = DayRoute.objects.update_or_create(rep=user, date=date, defaults={"plan": result})
    return route


def _apply_route(entries: list[PlanEntry], result: dict) -> None:
    by_id = {str(e.pk): e for e in entries}
    for i, stop in enumerate(result.get("route", []), start=1):
        entry = by_id.get(str(stop["id"]))
        if entry:
            entry.position, entry.status, entry.skip_reason, entry.unfit = i, EntryStatus.PLANNED, "", False
            entry.save(update_fields=["position", "status", "skip_reason", "unfit", "updated_at"])
    for stop in result.get("skipped", []):
        entry = by_id.get(str(stop["id"]))
        if entry:
            entry.status = EntryStatus.SKIPPED
            entry.skip_reason = str(stop.get("reason", ""))[:200]
            entry.save(update_fields=["status", "skip_reason", "updated_at"])


def team_routes(*, reps: list[User], dates: list[datetime.date], time_limit: float | None = None,
                progress: Callable[[int, int], None] | None = None) -> dict:
    """Route every rep-day of a team over some days with one call of the core per day; returns
    counts. Runs in a worker (tasks.py) for a team's week."""
    from .routing import solve_many

    policy = policy_current()
    done = 0
    total = len(dates)
    placed_a = due_a = 0
    for day in dates:
        jobs = []
        for rep in reps:
            entries = [e for e in day_entries(rep=rep, date=day) if e.plan.rep_id == rep.pk
                       and e.status in (EntryStatus.PLANNED, EntryStatus.SKIPPED)]
            if entries:
                jobs.append((rep, entries, day_problem(rep=rep, date=day, entries=entries, policy=policy)))
        results = solve_many([j[2] for j in jobs], time_limit=time_limit) if jobs else []
        with transaction.atomic():
            for (rep, entries, _problem), result in zip(jobs, results, strict=True):
                _apply_route(entries, result)
                DayRoute.objects.update_or_create(rep=rep, date=day, defaults={"plan": result})
                routed = {str(s["id"]) for s in result["route"]}
                for e in entries:
                    if e.grade == "A":
                        due_a += 1
                        placed_a += str(e.pk) in routed
        done += 1
        if progress:
            progress(done, total)
    return {"days": total, "reps": len(reps), "due_a": due_a, "placed_a": placed_a}


# --- check-in and the visit log ---------------------------------------------------------------


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def checkin_distance(*, customer: Customer, lat: float | None, lng: float | None,
                     policy: CadencePolicy) -> tuple[int | None, bool]:
    """Metres from the customer to where the phone was, and whether that is too far. Only a customer
    with exact coordinates can be too far: a district centre is not where the customer is."""
    target = _point(customer)
    if lat is None or lng is None or target is None:
        return None, False
    metres = round(haversine_m((lat, lng), target))
    return metres, bool(not customer.location_approximate and metres > policy.far_metres)


def _coordinate(value, lo: float, hi: float, field: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Not a coordinate: %(value)s") % {"value": value}}) from None
    if not (lo <= number <= hi) or math.isnan(number):
        raise ValidationError({field: _("Not a coordinate: %(value)s") % {"value": value}})
    return number


# A check-in at the same customer this soon after one not yet logged is the same visit (a second
# tap, a retry over a bad connection).
REPEAT_CHECK_IN = datetime.timedelta(minutes=5)
MAX_ACCURACY_M = 100_000


def visit_check_in(*, user: User, entry: PlanEntry | None = None, customer: Customer | None = None,
                   lat=None, lng=None, accuracy=None) -> Visit:
    """Arrive at a customer: the time, the phone's position and its distance from the customer.
    A planned visit is checked in once; a second check-in gives the first visit back."""
    if entry is not None:
        if entry.plan.rep_id != user.pk and entry.companion_id != user.pk:
            raise PermissionDenied(_("This is not your visit."))
        customer = entry.customer
    if customer is None:
        raise ValidationError(_("Choose the customer."))
    if entry is None and customer.owner_id != user.pk:
        raise PermissionDenied(_("This is not your customer."))
    lat_f = _coordinate(lat, -90, 90, "lat")
    lng_f = _coordinate(lng, -180, 180, "lng")
    metres, far = checkin_distance(customer=customer, lat=lat_f, lng=lng_f, policy=policy_current())
    try:
        accuracy_m = max(0, int(float(accuracy))) if accuracy not in (None, "") else None
    except (TypeError, ValueError, OverflowError):  # not a number, NaN, infinite
        accuracy_m = None
    if accuracy_m is not None and accuracy_m > MAX_ACCURACY_M:
        accuracy_m = None  # a position that uncertain says nothing
    with transaction.atomic():
        # One rep's check-ins one at a time: a second tap (or a retry over a bad connection) finds
        # the visit the first made instead of making another.
        if entry is not None:
            PlanEntry.objects.select_for_update().filter(pk=entry.pk).first()
            existing = Visit.objects.filter(entry=entry).first()
        else:
            User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
            existing = (Visit.objects.filter(rep=user, customer=customer, entry__isnull=True, outcome="",
                                             checked_in_at__gte=timezone.now() - REPEAT_CHECK_IN)
                        .order_by("-checked_in_at").first())
        if existing is not None:
            return existing
        return Visit.objects.create(
            rep=user, customer=customer, entry=entry, checked_in_at=timezone.now(),
            lat=Decimal(f"{lat_f:.6f}") if lat_f is not None else None,
            lng=Decimal(f"{lng_f:.6f}") if lng_f is not None else None,
            accuracy_m=accuracy_m, distance_m=metres, far=far)


@transaction.atomic
def visit_log(*, user: User, visit: Visit, outcome: str, summary: str = "", next_step: str = "",
              next_step_on: datetime.date | None = None, products: Iterable = (),
              photos: Iterable[tuple[str, str, bytes]] = ()) -> Visit:
    """The visit's outcome, products discussed, photos and next step. A next step with a date
    becomes a follow-up visit in the rep's weekly plan of that week, and (when not already past) a
    planned visit touchpoint through the engagement service."""
    from .models import Outcome

    if visit.rep_id != user.pk:
        raise PermissionDenied(_("Only the rep who made the visit logs it."))
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose the outcome of the visit.")})
    if next_step_on and not next_step.strip():
        raise ValidationError({"next_step": _("Say what the next step is.")})
    if next_step_on and next_step_on < visit.checked_in_at.date():
        raise ValidationError({"next_step_on": _("The next step cannot be before the visit.")})
    if next_step_on and not in_range(next_step_on):
        raise ValidationError({"next_step_on": out_of_range_message()})
    photos = list(photos)
    for name, _type, data in photos:
        try:
            check_photo(name, len(data), data)
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from None
    # Saved again (a correction, a second tap, a retry): one at a time, each seeing what the last saved.
    visit = Visit.objects.select_for_update(of=("self",)).select_related("customer").get(pk=visit.pk)
    visit.outcome = outcome
    visit.summary = summary.strip()
    visit.next_step = next_step.strip()[:200]
    visit.next_step_on = next_step_on
    visit.logged_at = timezone.now()
    visit.save()
    visit.products.set(list(products))
    # a photo the visit has already (the same bytes sent again) is not stored twice
    kept = {(size, bytes(data)) for size, data in VisitPhoto.objects.filter(
        visit=visit, size__in={len(data) for _n, _t, data in photos}).values_list("size", "data")}
    new_photos = []
    for name, _type, data in photos:
        if (len(data), bytes(data)) not in kept:
            kept.add((len(data), bytes(data)))
            new_photos.append(VisitPhoto(visit=visit, name=upload_name(name), content_type=photo_type(data) or "", size=len(data),
                                         data=data))
    VisitPhoto.objects.bulk_create(new_photos)
    if visit.entry_id:
        PlanEntry.objects.filter(pk=visit.entry_id).update(status=EntryStatus.DONE, skip_reason="",
                                                           updated_at=timezone.now())
    follow_up = PlanEntry.objects.filter(from_visit=visit).first()
    if follow_up is not None and follow_up.status != EntryStatus.PLANNED:
        pass  # visited or cancelled already: the log's next step is history now
    elif next_step_on and visit.customer.owner_id == user.pk:
        plan = _plan_for(rep=user, kind=PlanKind.WEEK, day=next_step_on)
        if follow_up is None:
            cadence = cadence_for(visit.customer, policy_current())
            PlanEntry.objects.create(plan=plan, customer=visit.customer, date=next_step_on, kind=EntryKind.FOLLOW_UP,
                                     grade=cadence.grade, area=_area(visit.customer), minutes=cadence.minutes,
                                     goal=visit.next_step, from_visit=visit,
                                     position=plan.entries.filter(date=next_step_on).count() + 1)
        elif (follow_up.plan_id, follow_up.date, follow_up.goal) != (plan.pk, next_step_on, visit.next_step):
            moved = follow_up.date != next_step_on
            follow_up.plan, follow_up.date, follow_up.goal = plan, next_step_on, visit.next_step
            if moved:
                follow_up.position = plan.entries.filter(date=next_step_on).count() + 1
            follow_up.save(update_fields=["plan", "date", "goal", "position", "updated_at"])
        if next_step_on >= timezone.localdate():
            # Also a planned touch of the customer's contact record (P4), once per visit: the
            # visit's key makes logging it again find the touch already planned, moved if need be.
            touch = touchpoint_plan(user=user, customer=visit.customer, reminder_key=f"visit-next:{visit.pk}",
                                    data={"method": TouchMethod.VISIT, "planned_on": next_step_on, "notes": visit.next_step})
            if touch.status == TouchStatus.PLANNED and (touch.planned_on, touch.notes) != (next_step_on, visit.next_step):
                touchpoint_reschedule(user=user, touchpoint=touch, planned_on=next_step_on, notes=visit.next_step)
    elif follow_up is not None and not next_step_on:
        # the next step taken out of the log: what it planned goes, so that putting it back plans it
        # afresh (a customer handed over since keeps its new owner's plans: this only removes plans)
        follow_up.delete()
        Touchpoint.objects.filter(customer=visit.customer, reminder_key=f"visit-next:{visit.pk}",
                                  status=TouchStatus.PLANNED).delete()
    return visit


def visit_comment(*, user: User, visit: Visit, text: str) -> VisitComment:
    """A supervisor's comment on a visit (点评); the rep is told."""
    if not can_comment(user, visit):
        raise PermissionDenied(_("Supervisors comment on their team's visits."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the comment.")})
    with transaction.atomic():
        Visit.objects.select_for_update().filter(pk=visit.pk).first()  # one comment on a visit at a time
        repeated = VisitComment.objects.filter(visit=visit, author=user, text=text[:2000],
                                               created_at__gte=timezone.now() - REPEAT_CHECK_IN).first()
        if repeated is not None:  # the same words again a moment later: a second tap, not a second comment
            return repeated
        comment = VisitComment.objects.create(visit=visit, author=user, text=text[:2000])
    notify(users=[visit.rep], text=message(gettext_lazy("%(who)s commented on your visit to %(customer)s: %(text)s"),
                                           who=user, customer=visit.customer.name, text=comment.text[:200]), link=f"/visits/log/{visit.pk}/")
    return comment
