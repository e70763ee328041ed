"""The weekly plan's days from the routing core: one route a working day from the rep's base, A in
the mornings the routes hold, what the week cannot hold kept and said, and the heuristic's days
when a position is missing."""

import datetime
from collections import Counter

import time_machine
from django.test import Client
from django.urls import reverse

from kehu.visits import services
from kehu.visits.models import (
    CadencePolicy,
    EntryKind,
    EntryStatus,
    PlanEntry,
    PlanKind,
    RepBase,
    Slot,
)
from kehu.visits.services import (
    Placement,
    _week_placements,
    day_route_compute,
    morning_capacity,
    plan_entry_move,
    plan_entry_remove,
    plan_generate,
    policy_current,
    rep_base,
    week_routes,
)
from kehu.visits.tests.factories import graded_customer
from kehu.visits.workdays import working_days

MONDAY = datetime.date(2026, 11, 16)  # a week of five working days
DAYS = [MONDAY + datetime.timedelta(days=i) for i in range(5)]
JINGAN = 3  # the factories' district next to the base below


def _base(rep):
    RepBase.objects.create(user=rep, lat="31.230000", lng="121.470000")


def _week(plan):
    return list(plan.entries.order_by("date", "position").values_list("customer_id", "date", "position", "unfit"))


def test_the_weeks_routes_put_a_visits_in_mornings_that_hold_them(org):
    _base(org.alice)
    for i in range(14):
        graded_customer(org.alice, "A", district=JINGAN if i % 2 else 0)
    for i in range(10):
        graded_customer(org.alice, "B", district=i % 4)
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=MONDAY)
    entries = list(plan.entries.all())
    a_visits = [e for e in entries if e.grade == "A"]
    assert len(a_visits) == 14 and all(e.slot == Slot.MORNING and not e.unfit for e in a_visits)
    assert max(Counter(e.date for e in a_visits).values()) <= morning_capacity(policy_current())
    assert not any(e.unfit for e in entries)
    for day in DAYS:  # positions are the route's order: 1, 2, … on each day
        assert sorted(e.position for e in entries if e.date == day) == list(range(1, 1 + sum(
            e.date == day for e in entries)))
    # each day's own route holds every visit the week put on it
    for day in DAYS:
        route = day_route_compute(user=org.alice, date=day)
        assert route.plan["skipped"] == []
    assert not PlanEntry.objects.filter(plan=plan, status=EntryStatus.SKIPPED).exists()


def test_a_week_with_more_a_visits_than_its_mornings_hold_says_so(org):
    _base(org.alice)
    capacity = 5 * morning_capacity(CadencePolicy())  # 20
    for _i in range(capacity + 3):
        graded_customer(org.alice, "A", district=JINGAN)
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=MONDAY)
    unfit = plan.entries.filter(unfit=True)
    assert plan.entries.count() == capacity + 3  # none dropped
    assert unfit.count() == 3 and set(unfit.values_list("grade", flat=True)) == {"A"}
    fitted = Counter(plan.entries.filter(unfit=False).values_list("date", flat=True))
    assert max(fitted.values()) <= morning_capacity(CadencePolicy())
    url = reverse("visits:plan_detail", args=[plan.pk])
    for user in (org.alice, org.sam):  # the rep and the supervisor see it
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "3 A visits do not fit in this week&#x27;s mornings" in page
        assert page.count("Does not fit in the week") == 3
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(org.alice)
    page = client.get(url).content.decode()
    assert "本周上午容纳不下 3 个 A 类拜访" in page


def _one_a_visit_too_many(org):
    """alice's week with one A customer more than her mornings can hold."""
    _base(org.alice)
    for _i in range(5 * morning_capacity(CadencePolicy()) + 1):
        graded_customer(org.alice, "A", district=JINGAN)
    return plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=MONDAY)


def test_moving_a_visit_the_week_could_not_hold_clears_its_mark(org):
    plan = _one_a_visit_too_many(org)
    entry = plan.entries.get(unfit=True)
    with time_machine.travel(datetime.datetime(2026, 11, 16, 8, 0), tick=False):
        plan_entry_move(user=org.alice, entry=entry, date=DAYS[-1])
    entry.refresh_from_db()
    assert not entry.unfit


def test_without_a_base_the_week_keeps_the_heuristics_days_and_without_coordinates_is_at_the_base(org):
    for i in range(6):
        graded_customer(org.alice, "A", district=i % 4)
    graded_customer(org.alice, "B", district=1)
    policy = policy_current()
    workdays = working_days(start=MONDAY, end=MONDAY + datetime.timedelta(days=6))
    placements = _week_placements(rep=org.alice, workdays=workdays, policy=policy, start=MONDAY,
                                  end=MONDAY + datetime.timedelta(days=6))
    assert rep_base(org.alice) is None
    assert week_routes(placements=placements, days=workdays.days, policy=policy, base=None) is None
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=MONDAY)
    assert sorted((e.customer_id, e.date) for e in plan.entries.all()) == sorted(
        (p.customer.pk, p.date) for p in placements)
    # with a base, a customer without coordinates is routed as at the base, as its day route takes it
    _base(org.alice)
    nowhere = graded_customer(org.alice, "A", exact=False)
    assert nowhere.lat is None and nowhere.lng is None
    placements = _week_placements(rep=org.alice, workdays=workdays, policy=policy, start=MONDAY,
                                  end=MONDAY + datetime.timedelta(days=6))
    routed = week_routes(placements=placements, days=workdays.days, policy=policy, base=rep_base(org.alice))
    assert routed is not None and nowhere.pk in {p.customer.pk for p in routed}
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=MONDAY)
    assert sorted((e.customer_id, e.date, e.position) for e in plan.entries.all()) == sorted(
        (p.customer.pk, p.date, p.position) for p in routed)
    for day in DAYS:  # each day's route, which puts that customer at the base too, holds the day
        assert day_route_compute(user=org.alice, date=day).plan["skipped"] == []
    assert not plan.entries.filter(unfit=True).exists()


def test_the_same_book_gives_the_same_week(org, monkeypatch):
    # the search stops after a fixed number of iterations; its bound in seconds (for a machine too
    # busy to finish them) is lifted here so that the test does not depend on the machine's load
    monkeypatch.setattr(services, "WEEK_ROUTE_SECONDS", 60.0)
    _base(org.alice)
    for i in range(24):
        graded_customer(org.alice, "A", district=i % 4)
    for i in range(12):
        graded_customer(org.alice, "B", district=i % 4)
    first = _week(plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=MONDAY))
    again = _week(plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=MONDAY))
    assert first == again
    assert any(unfit for *_rest, unfit in first)  # over-booked, so the search's choices matter


def test_a_customer_seen_twice_in_a_week_is_seen_on_two_days(org):
    _base(org.alice)
    policy = policy_current()
    twice = graded_customer(org.alice, "A", district=JINGAN)
    others = [graded_customer(org.alice, "C", district=JINGAN) for _i in range(3)]

    def visit(customer, day, grade):
        return Placement(customer=customer, date=day, slot=Slot.MORNING if grade == "A" else Slot.ANY,
                         kind=EntryKind.REGULAR, grade=grade, minutes=40, companion_id=None)

    placements = [visit(twice, DAYS[0], "A"), visit(twice, DAYS[3], "A")] + [visit(c, DAYS[0], "C") for c in others]
    routed = week_routes(placements=placements, days=DAYS, policy=policy, base=rep_base(org.alice))
    assert routed is not None and not any(p.unfit for p in routed) and len(routed) == 5
    assert len({p.date for p in routed if p.customer == twice}) == 2


def test_the_cores_week_search_is_repeatable_and_keeps_every_window_and_morning():
    from kehu.visits.routing.engine import Client as Visit
    from kehu.visits.routing.engine import Vehicle, fleet_routes, schedule

    points = [(i * 7) % 23 for i in range(31)]
    matrix = [[abs(a - b) + (a != b) * 3 for b in points] for a in points]
    visits = [Visit(service=40, windows=[(510, 720)], penalty=10000, demand=1, location=k) if k % 3 == 0 else
              Visit(service=30, windows=[(510, 1050)], penalty=1000, location=k) for k in range(1, 31)]
    days = [Vehicle(start=510, end=1050, capacity=4)] * 3
    first = fleet_routes(visits, matrix, days, time_limit=5, iterations=100, exploration=0)
    assert first == fleet_routes(visits, matrix, days, time_limit=5, iterations=100, exploration=0)
    for route, day in zip(first, days, strict=True):
        assert schedule(route, visits, matrix, day) is not None
        assert sum(visits[k].demand for k in route) <= 4
    assert sum(len(route) for route in first) > 0


def test_the_api_gives_the_mark_of_a_visit_the_week_cannot_hold(org):
    from rest_framework.test import APIClient

    plan = _one_a_visit_too_many(org)
    api = APIClient()
    api.force_authenticate(org.sam)
    entries = api.get(f"/api/v1/visits/plans/{plan.pk}").json()["entries"]
    assert [e["unfit"] for e in entries].count(True) == 1


def test_a_day_route_that_holds_a_visit_the_week_could_not_clears_its_mark(org):
    plan = _one_a_visit_too_many(org)
    unfit = plan.entries.get(unfit=True)
    for entry in plan.entries.filter(date=unfit.date, unfit=False)[:2]:  # room on its morning
        plan_entry_remove(user=org.alice, entry=entry)
    route = day_route_compute(user=org.alice, date=unfit.date)
    assert str(unfit.pk) in {str(s["id"]) for s in route.plan["route"]}
    unfit.refresh_from_db()
    assert not unfit.unfit


def test_the_week_takes_its_travel_minutes_from_the_routing_server_when_one_is_set(org, settings):
    # A local server answering OSRM's table service: six hours between any two places, so no day can
    # hold a visit and every one is marked. Unreachable, straight lines plan the week as before.
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    asked = []

    class Osrm(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            n = len(self.path.split("/table/v1/driving/")[1].split("?")[0].split(";"))
            body = json.dumps({"code": "Ok", "durations": [[0 if i == j else 6 * 3600 for j in range(n)]
                                                           for i in range(n)]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Osrm)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _base(org.alice)
        for i in range(3):
            graded_customer(org.alice, "A", district=i)
        settings.KEHU_OSRM_URL = f"http://127.0.0.1:{server.server_port}"
        plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=MONDAY)
        assert asked and plan.entries.count() == 3 and all(e.unfit for e in plan.entries.all())
    finally:
        server.shutdown()
        server.server_close()
    settings.KEHU_OSRM_URL = f"http://127.0.0.1:{server.server_port}"  # closed now: nothing answers
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=MONDAY)
    assert plan.entries.count() == 3 and not any(e.unfit for e in plan.entries.all())
