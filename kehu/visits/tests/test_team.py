import datetime

from kehu.visits.models import DayRoute, EntryStatus, PlanKind
from kehu.visits.services import plan_generate, team_routes
from kehu.visits.tasks import plan_team_routes
from kehu.visits.tests.factories import graded_customer

WEEK = datetime.date(2026, 11, 23)


def _week(org):
    for rep in (org.alice, org.bob):
        for i in range(4):
            graded_customer(rep, "A", district=i % 2)
        for i in range(6):
            graded_customer(rep, "B", district=i % 3)
        plan_generate(user=rep, rep=rep, kind=PlanKind.WEEK, day=WEEK)


def test_a_teams_days_are_routed_in_one_call_per_day(org):
    _week(org)
    days = [WEEK + datetime.timedelta(days=i) for i in range(5)]
    progress = []
    result = team_routes(reps=[org.alice, org.bob], dates=days, progress=lambda done, total: progress.append(done))
    assert progress == [1, 2, 3, 4, 5]
    assert result["due_a"] >= 8  # every A customer is weekly: at least once this week
    assert result["placed_a"] == result["due_a"]
    routed = DayRoute.objects.filter(date__in=days)
    assert {r.rep for r in routed} == {org.alice, org.bob}
    for route in routed:
        for stop in route.plan["route"]:
            assert route.plan["route"] and stop["end"] <= 17 * 60 + 30


def test_the_worker_task_routes_the_team(org):
    _week(org)
    result = plan_team_routes.call(rep_ids=[org.alice.pk, org.bob.pk], dates=[WEEK.isoformat(),
                                                                          (WEEK + datetime.timedelta(days=1)).isoformat()])
    assert result["days"] == 2 and result["reps"] == 2
    assert DayRoute.objects.filter(date=WEEK).count() == 2
    for route in DayRoute.objects.filter(date=WEEK):
        skipped = {s["id"] for s in route.plan["skipped"]}
        assert set(map(str, route.rep.visit_plans.get(kind=PlanKind.WEEK).entries.filter(
            date=WEEK, status=EntryStatus.SKIPPED).values_list("pk", flat=True))) == skipped
