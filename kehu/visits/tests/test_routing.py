"""The routing core: windows, the day, the objective, reasons, bad problems — no database."""

import itertools
import random
import subprocess
import sys

import pytest

from kehu.visits.routing import (
    ProblemError,
    RoutingBug,
    parse_problem,
    solve,
    solve_many,
    travel_matrix,
    verify,
)
from kehu.visits.routing.solver import (
    REASON_NO_ROOM,
    REASON_NO_WINDOW,
    REASON_NOT_WORTH,
    REASON_UNREACHABLE,
)

DAY = {"start": 480, "end": 1080}
BASE = {"id": "base", "lat": 30.0, "lon": 120.0}


def stop(id, service=30, windows=None, penalty=1000, **extra):
    s = {"id": id, "service_min": service, "skip_penalty": penalty, **extra}
    if windows is not None:
        s["time_windows"] = windows
    return s


def uniform(n: int, minutes: int) -> list[list[int]]:
    return [[0 if i == j else minutes for j in range(n + 1)] for i in range(n + 1)]


def problem(stops, matrix=None, day=DAY):
    p = {"day": dict(day), "base": dict(BASE), "stops": stops}
    p["travel_min"] = matrix if matrix is not None else uniform(len(stops), 10)
    return p


def by_id(plan):
    return {e["id"]: e for e in plan["route"]}


def reasons(plan):
    return {s["id"]: s["reason"] for s in plan["skipped"]}


# -- windows and the day -------------------------------------------------------------------------


def test_a_visit_lies_wholly_inside_one_window():
    # 100 minutes out: arrival 580; a 60-minute visit would end at 640, after the first window closes
    # at 600, so it must take the second window, whole.
    matrix = [[0, 100], [100, 0]]
    plan = solve(problem([stop("two", service=60, windows=[[510, 600], [800, 900]], penalty=5000)], matrix))
    visit = by_id(plan)["two"]
    assert 800 <= visit["start"] and visit["end"] == visit["start"] + 60 <= 900
    assert visit["arrival"] <= visit["start"]


def test_the_first_window_is_used_when_the_whole_visit_fits_in_it():
    plan = solve(problem([stop("early", service=40, windows=[[510, 690], [810, 1050]], penalty=3000)]))
    visit = by_id(plan)["early"]
    assert 510 <= visit["start"] and visit["end"] <= 690


def test_a_visit_longer_than_its_window_is_left_out_not_squeezed():
    plan = solve(problem([stop("short", service=60, windows=[[510, 560]], penalty=10000)]))
    assert plan["route"] == []
    assert reasons(plan) == {"short": REASON_NO_WINDOW}


def test_lunch_closure_moves_visits_around_it():
    stops = [stop(f"L{i}", service=40, windows=[[510, 690], [810, 1050]], penalty=3000) for i in range(8)]
    plan = solve(problem(stops), time_limit=0.2)
    for visit in plan["route"]:
        assert visit["end"] <= 690 or visit["start"] >= 810, visit
    assert len(plan["route"]) == 8  # 8 × (40 + 10) fits in 180 + 240 minutes


def test_overlapping_or_unsorted_windows_are_taken_as_given_without_a_traceback():
    # [510, 720] and [600, 800] overlap: a 60-minute visit may start from 510 to 740, and the solvers,
    # which refuse overlapping windows, get that one span.
    parsed = parse_problem(problem([stop("o", service=60, windows=[[600, 800], [510, 720]])]))
    assert parsed.stops[0].windows == ((510, 800),)
    # A 150-minute visit: starts 510–570 or 600–650 stay apart, so do the windows.
    parsed = parse_problem(problem([stop("o", service=150, windows=[[600, 800], [510, 720]])]))
    assert parsed.stops[0].windows == ((510, 720), (600, 800))
    # Arriving at 680, a 60-minute visit cannot end by 720 but fits the overlapping [600, 800]; the
    # plan (verified against the windows as given) takes it there.
    plan = solve(problem([stop("a", service=60, windows=[[600, 800], [480, 720]], penalty=5000)], [[0, 200], [200, 0]]),
                 time_limit=0.1)
    visit = by_id(plan)["a"]
    assert visit["start"] == 680 and visit["end"] == 740 and plan["skipped"] == []


def test_the_day_is_kept_start_and_end():
    # 12 visits of 50 minutes with 10 minutes between them cannot all fit in 480–1080 (600 minutes).
    stops = [stop(f"S{i}", service=50) for i in range(12)]
    plan = solve(problem(stops), time_limit=0.2)
    assert plan["route"][0]["arrival"] >= 480 + 10
    assert plan["route"][-1]["end"] + 10 <= 1080
    assert len(plan["route"]) == 9  # 9 × 60 + 10 = 550 ≤ 600; 10 would need 610
    assert set(reasons(plan).values()) == {REASON_NO_ROOM}


def test_may_wait_before_a_window_opens():
    plan = solve(problem([stop("late", service=30, windows=[[900, 1000]], penalty=2000)]))
    visit = by_id(plan)["late"]
    assert visit["start"] == 900 and visit["arrival"] <= 900


def test_a_customers_before_noon_and_never_dropped_to_save_driving():
    # A customers are open 08:30–12:00 only; one A is far (50 minutes each way) yet kept.
    n = 6
    matrix = uniform(n, 10)
    matrix[0][1] = matrix[1][0] = 50
    for k in range(2, n + 1):
        matrix[1][k] = matrix[k][1] = 50
    stops = [stop("far-A", service=40, windows=[[510, 720]], penalty=10000)]
    stops += [stop(f"A{i}", service=40, windows=[[510, 720]], penalty=10000) for i in range(2)]
    stops += [stop(f"C{i}", service=30, penalty=1000) for i in range(3)]
    plan = solve(problem(stops, matrix), time_limit=0.2)
    visits = by_id(plan)
    assert {"far-A", "A0", "A1"} <= set(visits)
    for name in ("far-A", "A0", "A1"):
        assert visits[name]["end"] <= 720


def test_an_a_customer_is_kept_over_many_small_ones():
    # The morning holds either the A or the three C visits; the A is worth more than all three.
    stops = [stop("A", service=100, windows=[[510, 620]], penalty=10000)]
    stops += [stop(f"C{i}", service=25, windows=[[510, 620]], penalty=3000) for i in range(3)]
    plan = solve(problem(stops), time_limit=0.2)
    assert "A" in by_id(plan)
    assert plan["skipped_penalty"] == 9000


# -- reasons --------------------------------------------------------------------------------------


def test_every_left_out_visit_has_its_reason():
    matrix = uniform(4, 10)
    matrix[0][2] = matrix[2][0] = 400  # too far to be there by 12:00 and back
    matrix[0][3] = matrix[3][0] = 200  # reachable, but 400 minutes of travel for a 100 penalty
    for k in (1, 4):
        matrix[2][k] = matrix[k][2] = 400
        matrix[3][k] = matrix[k][3] = 200
    matrix[2][3] = matrix[3][2] = 400
    stops = [stop("fits", penalty=3000), stop("too-far", windows=[[510, 720]], penalty=10000),
             stop("not-worth", penalty=100), stop("no-window", service=90, windows=[[600, 660]])]
    plan = solve(problem(stops, matrix))
    assert [e["id"] for e in plan["route"]] == ["fits"]
    assert reasons(plan) == {"too-far": REASON_UNREACHABLE, "not-worth": REASON_NOT_WORTH,
                             "no-window": REASON_NO_WINDOW}
    assert plan["skipped_penalty"] == 10000 + 100 + 1000
    assert plan["cost"] == plan["travel_min"] + plan["skipped_penalty"] == 20 + 11100


def test_no_stops_gives_an_empty_plan():
    plan = solve(problem([]))
    assert plan["route"] == [] and plan["skipped"] == [] and plan["cost"] == 0


# -- the objective against exhaustive search -----------------------------------------------------


def brute_force(p) -> int:
    """The least cost over every subset in every order, by the rules written out again here."""
    stops, m, day = p["stops"], p["travel_min"], p["day"]
    total = sum(s["skip_penalty"] for s in stops)
    best = total  # stay at the base
    for size in range(1, len(stops) + 1):
        for order in itertools.permutations(range(len(stops)), size):
            t, at, travel, ok = day["start"], 0, 0, True
            for k in order:
                s = stops[k]
                t += m[at][k + 1]
                travel += m[at][k + 1]
                starts = [max(t, o) for o, c in s["time_windows"] if max(t, o) + s["service_min"] <= c]
                if not starts:
                    ok = False
                    break
                t, at = min(starts) + s["service_min"], k + 1
            if ok and t + m[at][0] <= day["end"]:
                kept = sum(stops[k]["skip_penalty"] for k in order)
                best = min(best, travel + m[at][0] + total - kept)
    return best


def random_day(rng: random.Random, n: int) -> dict:
    points = [(30 + rng.uniform(-0.15, 0.15), 120 + rng.uniform(-0.15, 0.15)) for _ in range(n + 1)]
    stops = []
    for i in range(n):
        kind = rng.choice("ABBCP")
        windows = {"A": [[510, 720]], "B": rng.choice([[[510, 690], [810, 1050]], [[510, 1050]]]),
                   "C": [[rng.choice([540, 780]), rng.choice([900, 1000])]], "P": [[510, 1050]]}[kind]
        stops.append(stop(f"{kind}{i}", service=rng.choice([20, 30, 40, 90, 150]), windows=windows,
                          penalty={"A": 10000, "B": 3000, "C": 1000, "P": rng.choice([20, 2000])}[kind],
                          lat=points[i + 1][0], lon=points[i + 1][1]))
    p = {"day": {"start": 480, "end": rng.choice([720, 840, 1080])}, "base": dict(BASE, lat=points[0][0], lon=points[0][1]),
         "stops": stops}
    p["travel_min"] = travel_matrix(points, road_factor=1.4, speed_kmh=rng.choice([10, 25]))
    return p


@pytest.mark.parametrize("seed", range(12))
def test_small_days_reach_the_optimum_of_exhaustive_search(seed):
    rng = random.Random(seed)
    p = random_day(rng, rng.randint(4, 6))
    plan = solve(p, time_limit=0.2)
    assert plan["cost"] == brute_force(p)


def test_pyvrp_from_a_stuck_route_reaches_the_optimum_of_exhaustive_search():
    # Routes where Kehu's descent finds no improving move, yet a better day exists: PyVRP's search
    # from there, on the time Kehu's own search leaves, reaches the optimum, keeping every window.
    import time

    from kehu.visits.routing.engine import Client, Vehicle
    from kehu.visits.routing.local import Route, descend
    from kehu.visits.routing.solver import _polish

    rng = random.Random(3)
    stuck = 0
    while stuck < 5:
        p = random_day(rng, 6)
        clients = [Client(service=s["service_min"], windows=[tuple(w) for w in s["time_windows"]],
                          penalty=s["skip_penalty"], location=i + 1) for i, s in enumerate(p["stops"])]
        r = Route(clients, p["travel_min"], Vehicle(start=p["day"]["start"], end=p["day"]["end"]))
        route = rng.sample(range(6), rng.randint(1, 6))
        if not r.feasible(route):
            continue
        route = descend(r, route)
        best = brute_force(p)
        if r.cost(route) == best:
            continue
        stuck += 1
        assert descend(r, route) == route and r.cost(route) > best
        polished = _polish(r, route, deadline=time.perf_counter() + 0.5, seed=0)
        assert r.feasible(polished) and r.cost(polished) == best
        # from the optimum, nothing worse comes back
        again = _polish(r, polished, deadline=time.perf_counter() + 0.2, seed=1)
        assert r.feasible(again) and r.cost(again) == best


def test_no_pyvrp_search_without_time_left():
    import time

    from kehu.visits.routing.engine import Client, Vehicle
    from kehu.visits.routing.local import Route
    from kehu.visits.routing.solver import _polish

    clients = [Client(service=30, windows=[(480, 1080)], penalty=1000, location=k + 1) for k in range(2)]
    r = Route(clients, uniform(2, 10), Vehicle(start=480, end=1080))
    assert _polish(r, [1], deadline=time.perf_counter(), seed=0) == [1]


def test_realistic_days_keep_every_rule():
    rng = random.Random(99)
    for _ in range(3):
        p = random_day(rng, 25)
        plan = solve(p, time_limit=0.1)
        verify(parse_problem(p), p["travel_min"], plan)  # solve checked it; check it again here
        kinds = {e["id"][0] for e in plan["route"]}
        assert kinds  # something fits in every such day
        for e in plan["route"]:
            if e["id"].startswith("A"):
                assert e["end"] <= 720


# -- travel minutes -------------------------------------------------------------------------------


def test_a_given_travel_matrix_is_used_exactly():
    # Coordinates say the stops are next door; the (asymmetric) matrix says otherwise, and wins.
    matrix = [[0, 37, 90], [41, 0, 13], [85, 17, 0]]
    stops = [stop("x", service=30, lat=30.0, lon=120.0, windows=[[480, 700]], penalty=5000),
             stop("y", service=20, lat=30.0, lon=120.0, windows=[[560, 900]], penalty=5000)]
    plan = solve(problem(stops, matrix))
    x, y = plan["route"]
    assert (x["id"], y["id"]) == ("x", "y")
    assert x["arrival"] == x["start"] == 517  # left at 08:00 + 37
    assert y["arrival"] == x["end"] + 13 == 560
    assert plan["travel_min"] == 37 + 13 + 85


def test_without_a_matrix_travel_comes_from_the_coordinates():
    # 0.1° of latitude ≈ 11.1 km; at factor 1.5 and 20 km/h that is 50.04 → 51 minutes each way.
    p = {"day": DAY, "base": BASE, "stops": [stop("n", lat=30.1, lon=120.0, penalty=5000)]}
    plan = solve(p, road_factor=1.5, speed_kmh=20)
    assert plan["travel_min"] == 2 * 51
    assert by_id(plan)["n"]["arrival"] >= 480 + 51


def test_travel_matrix():
    m = travel_matrix([(30.0, 120.0), (31.0, 120.0), (30.0, 120.0)], road_factor=1.0, speed_kmh=60)
    assert m[0][0] == m[1][1] == 0 and m[0][2] == 0
    assert m[0][1] == m[1][0] == 112  # 111.2 km at 60 km/h, rounded up
    with pytest.raises(ValueError):
        travel_matrix([(30, 120)], road_factor=0, speed_kmh=25)


def test_an_unreachable_routing_server_falls_back_to_straight_lines(caplog):
    p = {"day": DAY, "base": BASE, "stops": [stop("n", lat=30.1, lon=120.0, penalty=5000)]}
    plan = solve(p, road_factor=1.5, speed_kmh=20, osrm_url="http://127.0.0.1:9")
    assert plan["travel_min"] == 102
    assert "straight-line travel times used" in caplog.text
    assert set(plan) == {"route", "skipped", "travel_min", "skipped_penalty", "cost", "seconds"}


# -- bad problems ---------------------------------------------------------------------------------

GOOD = {"day": DAY, "base": BASE, "stops": [stop("s1", lat=30.01, lon=120.01, windows=[[510, 720]])]}


def bad(path, value):
    import copy

    p = copy.deepcopy(GOOD)
    target = p
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return p


@pytest.mark.parametrize("data, message", [
    (bad(["stops", 0, "time_windows"], [[720, 510]]), r"stops\[0\] \(id 's1'\)\.time_windows\[0\]: the window ends \(510\) before it opens \(720\)"),
    (bad(["stops", 0, "service_min"], -5), r"stops\[0\] \(id 's1'\)\.service_min: -5 is negative"),
    (bad(["stops", 0, "service_min"], "30"), r"service_min: '30' is not a number"),
    (bad(["stops", 0, "lat"], "abc"), r"stops\[0\] \(id 's1'\)\.lat: 'abc' is not a number"),
    (bad(["stops", 0, "skip_penalty"], None), r"skip_penalty: None is not a number"),
    (bad(["stops", 0, "time_windows"], [[510]]), r"time_windows\[0\]: not an \[open, close\] pair"),
    (bad(["stops", 0, "time_windows"], [["8:30", 720]]), r"time_windows\[0\]: '8:30' is not a number"),
    (bad(["stops", 0, "id"], ...), r"stops\[0\]: id is missing"),
    (bad(["stops", 0, "lon"], ...), r"lon is missing"),
    (bad(["day", "end"], 400), r"day: ends \(400\) before it starts \(480\)"),
    (bad(["day"], ...), r"day: missing"),
    (bad(["base"], "depot"), r"base: missing or not an object"),
    (bad(["stops"], {"id": 1}), r"stops: not a list"),
    (bad(["travel_min"], [[0, 5], [5, 0], [1, 1]]), r"travel_min: expected a 2×2 matrix"),
    (bad(["travel_min"], [[0, 5, 7], [5, 0]]), r"travel_min\[0\]: expected 2 values"),
    (bad(["travel_min"], [[0, 5], [5]]), r"travel_min\[1\]: expected 2 values"),
    (bad(["travel_min"], [[0, "x"], [5, 0]]), r"travel_min\[0\]\[1\]: 'x' is not a number"),
    (bad(["travel_min"], [[0, -5], [5, 0]]), r"travel_min\[0\]\[1\]: -5 is negative"),
    (bad(["travel_min"], [[0, 5.5], [5, 0]]), r"travel_min\[0\]\[1\]: 5.5 is not a whole number"),
    (bad(["travel_min"], [[0, 10**9], [5, 0]]), r"travel_min\[0\]\[1\]: 1000000000 minutes is too large"),
    (bad(["stops", 0, "time_windows"], [[-30, 600]]), r"time_windows\[0\]: opens at -30, before midnight"),
    (bad(["stops", 0, "time_windows"], [[float("nan"), 600]]), r"time_windows\[0\]: nan is not a finite number"),
    (bad(["stops", 0, "skip_penalty"], 10**30), r"skip_penalty: 1e\+30 is too large \(at most 1,000,000,000,000\)"),
    (bad(["stops"], [{"id": i} for i in range(2001)]), r"stops: 2,001 stops is too many for one day \(at most 2,000\)"),
    ([1, 2], r"must be a JSON object"),
])
def test_bad_problems_are_refused_with_a_clear_message(data, message):
    with pytest.raises(ProblemError, match=message):
        solve(data)


def test_duplicate_ids_are_refused():
    p = {"day": DAY, "base": BASE, "stops": [stop("s", lat=30, lon=120), stop("s", lat=30, lon=120)]}
    with pytest.raises(ProblemError, match=r"stops\[1\] \(id 's'\): id 's' appears twice"):
        solve(p)


def test_problem_error_is_a_value_error_and_unknown_keys_are_ignored():
    assert issubclass(ProblemError, ValueError)
    p = {"day": DAY, "base": dict(BASE, colour="red"), "stops": [stop("s", lat=30.0, lon=120.0, grade="A")],
         "comment": "ignored"}
    assert solve(p)["route"][0]["id"] == "s"


def test_a_time_limit_must_be_a_number():
    with pytest.raises(ProblemError, match="time_limit"):
        solve(GOOD, time_limit=-1)
    for endless in (float("inf"), 1e308, 3601):
        with pytest.raises(ProblemError, match="is too long"):
            solve(GOOD, time_limit=endless)


# -- plans are checked --------------------------------------------------------------------------------


def test_a_broken_plan_is_caught():
    p = problem([stop("a", windows=[[510, 600]], penalty=5000), stop("b", penalty=5000)])
    plan = solve(p)
    parsed = parse_problem(p)
    verify(parsed, p["travel_min"], plan)
    a = next(e for e in plan["route"] if e["id"] == "a")
    for change in ({"start": 580, "end": 610}, {"arrival": a["arrival"] - 5}):
        broken = {**plan, "route": [dict(e, **change) if e["id"] == "a" else e for e in plan["route"]]}
        with pytest.raises(RoutingBug):
            verify(parsed, p["travel_min"], broken)
    late = problem([stop("a", penalty=5000)], day={"start": 480, "end": 520})
    short = {**solve(problem([stop("a", penalty=5000)])), "seconds": 0}
    with pytest.raises(RoutingBug, match="end of the day"):
        verify(parse_problem(late), late["travel_min"], short)
    with pytest.raises(RoutingBug, match="either in the route or skipped"):
        verify(parsed, p["travel_min"], {**plan, "route": plan["route"][:1]})


def test_solve_many_plans_each_day_in_order():
    days = [problem([stop("a", penalty=5000)]), problem([stop("b", service=700)])]
    plans = solve_many(days, time_limit=0.1)
    assert [e["id"] for e in plans[0]["route"]] == ["a"]
    assert plans[1]["route"] == [] and plans[1]["skipped"][0]["id"] == "b"
    with pytest.raises(ProblemError, match=r"problems\[1\]: day: missing"):
        solve_many([days[0], {"stops": []}])


def test_the_core_imports_no_django():
    code = "import sys, kehu.visits.routing; print(any(m.split('.')[0] == 'django' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_constant_time_insertion_agrees_with_checking_every_position():
    from kehu.visits.routing.engine import Client, Vehicle, schedule
    from kehu.visits.routing.local import Route

    rng = random.Random(5)
    for _ in range(200):
        n = rng.randint(2, 9)
        p = random_day(rng, n)
        clients = [Client(service=s["service_min"], windows=[tuple(w) for w in s["time_windows"]],
                          penalty=s["skip_penalty"], location=i + 1) for i, s in enumerate(p["stops"])]
        vehicle = Vehicle(start=p["day"]["start"], end=p["day"]["end"])
        r = Route(clients, p["travel_min"], vehicle)
        route = [k for k in rng.sample(range(n), rng.randint(0, n - 1))]
        if schedule(route, clients, p["travel_min"], vehicle) is None:
            continue
        k = next(i for i in range(n) if i not in route)
        expected = None
        for pos in range(len(route) + 1):
            trial = route[:pos] + [k] + route[pos:]
            if schedule(trial, clients, p["travel_min"], vehicle) is not None:
                added = r.travel(trial) - r.travel(route)
                if expected is None or added < expected:
                    expected = added
        found = r.insertion(route, k)
        assert (found and found[0]) == expected or (found is None and expected is None)


def test_insertion_where_a_detour_is_shorter_than_going_straight():
    # The matrix is authoritative even when going 0 → 1 → 2 (5 + 5) is quicker than 0 → 2 (50): the
    # route [2] has no spare minute anywhere, yet visit 1 fits before it by the shortcut.
    from kehu.visits.routing.engine import Client, Vehicle
    from kehu.visits.routing.local import Route

    matrix = [[0, 5, 50], [5, 0, 5], [5, 5, 0]]
    clients = [Client(service=30, windows=[(480, 545)], penalty=1000, location=1),
               Client(service=10, windows=[(530, 540)], penalty=1000, location=2)]
    r = Route(clients, matrix, Vehicle(start=480, end=545))
    assert r.feasible([1]) and r.feasible([0, 1])
    assert r.insertion([1], 0) == (5 + 5 - 50, 0)
    p = problem([stop("one", 30, [[480, 545]]), stop("two", 10, [[530, 540]])], matrix=matrix,
                day={"start": 480, "end": 545})
    assert [e["id"] for e in solve(p, time_limit=0.1)["route"]] == ["one", "two"]


def test_times_after_an_insertion_agree_with_recomputing_them():
    from kehu.visits.routing.engine import Client, Vehicle
    from kehu.visits.routing.local import Route

    rng = random.Random(8)
    checked = 0
    for _ in range(60):
        p = random_day(rng, rng.randint(3, 12))
        clients = [Client(service=s["service_min"], windows=[tuple(w) for w in s["time_windows"]],
                          penalty=s["skip_penalty"], location=i + 1) for i, s in enumerate(p["stops"])]
        r = Route(clients, p["travel_min"], Vehicle(start=p["day"]["start"], end=p["day"]["end"]))
        route: list[int] = []
        context = r.context(route)
        for k in rng.sample(range(len(clients)), len(clients)):
            found = r.insertion(route, k, by_time=rng.random() < 0.5, context=context)
            if found:
                route = route[:found[1]] + [k] + route[found[1]:]
                context = r.inserted(context, route, found[1])
                assert context == r.context(route)
                checked += 1
    assert checked > 100


# -- several vehicles ----------------------------------------------------------------------------


def fleet_brute_force(clients, matrix, vehicles) -> int | None:
    """The least cost (travel + penalties left out; every required client visited) over every
    assignment of the clients to the vehicles or to none, each route in its best order."""
    from kehu.visits.routing.engine import route_travel, schedule

    def best_route(members, v):
        best = None
        for order in itertools.permutations(members):
            if sum(clients[k].demand for k in order) <= v.capacity and schedule(list(order), clients, matrix, v) is not None:
                travel = route_travel(list(order), clients, matrix, v)
                best = travel if best is None else min(best, travel)
        return best

    best = None
    for assignment in itertools.product(range(len(vehicles) + 1), repeat=len(clients)):
        if any(c.required and a == len(vehicles) for c, a in zip(clients, assignment, strict=True)):
            continue
        total = sum(c.penalty for c, a in zip(clients, assignment, strict=True) if a == len(vehicles))
        for i, v in enumerate(vehicles):
            travel = best_route([k for k, a in enumerate(assignment) if a == i], v)
            if travel is None:
                break
            total += travel
        else:
            best = total if best is None else min(best, total)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_several_vehicles_reach_the_optimum_of_exhaustive_search(seed):
    from kehu.visits.routing.engine import Client, Vehicle, fleet_cost, fleet_routes, schedule

    rng = random.Random(seed)
    n = rng.randint(4, 6)
    points = [(rng.uniform(0, 40), rng.uniform(0, 40)) for _ in range(n + 1)]
    matrix = [[round(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5) for b in points] for a in points]
    clients = []
    for i in range(n):
        opens = rng.choice([0, 30, 60])
        windows = rng.choice([[(opens, opens + 60)], [(0, 50), (100, 200)], [(0, 240)]])
        clients.append(Client(service=rng.choice([10, 20]), windows=windows, penalty=rng.choice([30, 200, 1000]),
                              required=i == 0, demand=rng.randint(1, 3), location=i + 1))
    vehicles = [Vehicle(start=0, end=240, capacity=6), Vehicle(start=0, end=240, capacity=6)]
    routes = fleet_routes(clients, matrix, vehicles, time_limit=0.3)
    for route, v in zip(routes, vehicles, strict=True):
        assert schedule(route, clients, matrix, v) is not None
        assert sum(clients[k].demand for k in route) <= v.capacity
    assert 0 in {k for route in routes for k in route}  # the required client
    assert fleet_cost(routes, clients, matrix, vehicles) == fleet_brute_force(clients, matrix, vehicles)


def test_pyvrp_takes_the_second_window_when_the_first_cannot_be_reached():
    from kehu.visits.routing.engine import Client, Vehicle, pyvrp_routes, schedule

    matrix = [[0, 60], [60, 0]]
    clients = [Client(service=30, windows=[(0, 40), (120, 200)], penalty=1000, location=1)]
    vehicle = Vehicle(start=0, end=300)
    routes = pyvrp_routes(clients, matrix, [vehicle], seconds=0.05)
    assert routes == [[0]]
    assert schedule(routes[0], clients, matrix, vehicle)[0][1] == 120
