"""A team's week of field work: 50 reps, 5 working days, books of 150 customers with cadence due.

For each rep Kehu generates the weekly plan from the cadence policy (A weekly in the mornings, B
every two weeks, C monthly, prospects by pursuit), its days from the routing core's routes of the
rep's week (``week_routes``), and then routes every rep-day with the routing core (``team_routes``,
as the worker task runs it). Timed end to end; printed with the share of the due A visits that the
routes placed (the target: every one the mornings can hold, in under 60 seconds) and how many A
visits the weekly plans marked as not fitting.

The data is made inside a transaction that is rolled back, so the benchmark database keeps only
what it had. Run alone: ``DATABASE_URL=… .venv/bin/python benchmarks/visits_bench.py`` (migrated).
"""

import datetime
import math
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

REPS = int(os.environ.get("KEHU_BENCH_REPS", "50"))
BOOK = 150
WEEK_OF = datetime.date(2026, 11, 16)  # Monday of a week with five official working days
TARGET_SECONDS = 60.0
ROUTE_SECONDS = 0.1  # per rep-day: a team is routed in the background, many days at once
SEED = 12
CENTRE = (31.2304, 121.4737)  # Shanghai


class _Rollback(Exception):
    pass


def _setup_django() -> None:
    from django.apps import apps

    if apps.ready:
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()


def _seed(rng: random.Random):
    from kehu.accounts.models import Region, Role, Team, User
    from kehu.customers.models import Customer, Lifecycle, PursuitDecision
    from kehu.visits.models import RepBase

    region = Region.objects.create(code="BENCH-V", name="拜访基准大区")
    supervisor = User.objects.create(username="bench_v_sup", role=Role.SUPERVISOR)
    team = Team.objects.create(name="拜访基准组", region=region, supervisor=supervisor)
    reps, customers, bases = [], [], []
    for r in range(REPS):
        rep = User.objects.create(username=f"bench_v_rep{r:02d}", role=Role.REP, team=team)
        reps.append(rep)
        # each rep covers a patch of the city about 16 km across, from a base inside it
        clat = CENTRE[0] + rng.uniform(-0.25, 0.25)
        clng = CENTRE[1] + rng.uniform(-0.3, 0.3)
        bases.append(RepBase(user=rep, lat=Decimal(f"{clat:.6f}"), lng=Decimal(f"{clng:.6f}")))
        for k in range(BOOK):
            lat = clat + rng.gauss(0, 0.035)
            lng = clng + rng.gauss(0, 0.04)
            roll = rng.random()
            grade, lifecycle, pursuit = ("A", Lifecycle.CUSTOMER, "") if roll < 0.15 else \
                ("B", Lifecycle.CUSTOMER, "") if roll < 0.40 else \
                ("C", Lifecycle.CUSTOMER, "") if roll < 0.85 else \
                ("", Lifecycle.PROSPECT, rng.choice([PursuitDecision.CONTINUE, PursuitDecision.LOW_CADENCE,
                                                     PursuitDecision.GIVE_UP]))
            cell = f"{int((lat - CENTRE[0]) / 0.05)}:{int((lng - CENTRE[1]) / 0.05)}"
            customers.append(Customer(
                code=f"BV{r:02d}{k:04d}", name=f"基准拜访客户{r:02d}{k:04d}", owner=rep, lifecycle=lifecycle,
                abc_grade=grade, pursuit=pursuit, district=f"区{cell}", city="上海市", province="上海市",
                lat=Decimal(f"{lat:.6f}"), lng=Decimal(f"{lng:.6f}"), geo_source="exact"))
    Customer.objects.bulk_create(customers, batch_size=2000)
    RepBase.objects.bulk_create(bases)
    return reps


def run() -> dict:
    _setup_django()
    from django.db import transaction
    from django.db.models import Count

    import kehu.visits.routing  # noqa: F401  (loaded before the clock starts, as a running worker has it)
    from kehu.visits.models import PlanKind
    from kehu.visits.services import plan_generate, team_routes
    from kehu.visits.workdays import working_days

    rng = random.Random(SEED)
    result: dict = {}
    try:
        with transaction.atomic():
            reps = _seed(rng)
            days = working_days(start=WEEK_OF, end=WEEK_OF + datetime.timedelta(days=6)).days
            started = time.perf_counter()
            entries = 0
            for rep in reps:
                plan = plan_generate(user=rep, rep=rep, kind=PlanKind.WEEK, day=WEEK_OF)
                entries += plan.entries.count()
            planned = time.perf_counter()
            from kehu.visits.models import PlanEntry
            from kehu.visits.services import morning_capacity, policy_current

            cap = morning_capacity(policy_current())
            a_visits = PlanEntry.objects.filter(plan__rep__in=reps, grade="A")
            unfit_a = a_visits.filter(unfit=True).count()
            mornings_hold = sum(min(n, cap * len(days)) for n in a_visits.values_list("plan__rep").annotate(
                n=Count("id")).values_list("n", flat=True))
            routing = time.perf_counter()  # the counts above are not part of the timed work
            placed = team_routes(reps=reps, dates=days, time_limit=ROUTE_SECONDS)
            finished = time.perf_counter()
            result = {"morning_capacity": cap, "reps": len(reps), "days": len(days), "entries": entries, **placed,
                      "unfit_a": unfit_a, "mornings_hold": mornings_hold,
                      "plan_seconds": planned - started, "route_seconds": finished - routing,
                      "seconds": planned - started + finished - routing}
            raise _Rollback
    except _Rollback:
        pass
    return result


def report(result: dict) -> None:
    print("\nTeam-week (visits): weekly plans and routes for a team")
    if not result:
        print("  no result")
        return
    share = result["placed_a"] / result["due_a"] if result["due_a"] else math.nan
    print(f"  {result['reps']} reps × {result['days']} days, books of {BOOK}: {result['entries']} planned visits")
    print(f"  plans generated in {result['plan_seconds']:.1f} s, routed in {result['route_seconds']:.1f} s, "
          f"total {result['seconds']:.1f} s (target < {TARGET_SECONDS:.0f} s): "
          f"{'met' if result['seconds'] < TARGET_SECONDS else 'NOT met'}")
    print(f"  due A visits placed: {result['placed_a']} of {result['due_a']} ({share:.1%}); five mornings hold "
          f"at most {5 * result['morning_capacity']} A visits a rep, and {result['due_a'] / result['reps']:.1f} a rep are due")
    print(f"  the reps' mornings can hold {result['mornings_hold']} of the due A visits; the weekly plans marked "
          f"{result['unfit_a']} A visits as not fitting in the week")


if __name__ == "__main__":
    report(run())
