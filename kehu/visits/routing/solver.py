"""solve(): one rep-day; solve_many(): several (a team's day, a week), each on its own;
engine.fleet_routes(): several vehicles in one problem.

How a day is planned, chosen by measurement (benchmarks/routing_bench.py, on a 2-core machine
shared with other work, load average about 6): VROOM (exploration level 5, up to half the budget)
gives the start, then Kehu's own descent (insert, drop, swap a kept visit for a skipped one, move,
reverse, exchange) and ruin and recreate on the true objective, with restarts, until the budget is
spent or two restarts in a row find nothing better; in that case PyVRP's iterated local search
(C++) starts from Kehu's route for most of the time left, and its route, after Kehu's descent, is
taken when it is better (PyVRP passes through routes that break a window, at a price, so it
reaches orders that Kehu's moves, each keeping every window, cannot). Each insertion is tried in constant time per
position against the route's spare minutes, a visit longer than every gap is refused at once, and
after an insertion only the times that move are recomputed: the same search takes about a third of
the time it took, so the default budget went from 1 s to 0.18 s.

On 30 seeded over-booked days, against the best of OR-Tools, VROOM and PyVRP given 30 s each:
Kehu at 1 s (before) was worse on 1 day (day 14: PyVRP keeps one more B visit, 62,165 against
64,151), better on 1 and equal on 28, with p95 about 750 ms. Now at 0.18 s, with the machine's
load average about 1–2: p95 181 ms (median 108 ms), better on 1 day, equal on 27, worse on day 14
and on day 24 by 2 minutes of travel (49,159 against 49,157); with a load average about 6: p95
184 ms, worse on days 14, 24 (5 minutes) and 2 (7,170 against 7,153), which the same search
reaches with more time (``time_limit=1``: worse on day 14 only, p95 550–700 ms at that load). Tried and not
kept, as no better on the same days: more restarts (8 instead of 2), restarts from random
constructions or from the best so far, taking out one or two kept visits to put back last, a wider
acceptance, Kehu's own construction or VROOM at a lower level as the start, VROOM in a second
thread, and PyVRP from Kehu's route for 0.05–0.2 s. An exact labelling search (Python) took
0.4–10 s a day.

Measured again with references at 5 s each (and PyVRP at 30 s on days 2, 14 and 24), on seed 12's
30 days and on two unseen sets of 30 (seeds 13 and 14), load average 2–7, each day planned by Kehu
before and after in the same run. Before: worse on 2 days of seed 12 (day 14: 64,151 against
62,165, PyVRP at 30 s, and 64,150 at 5 s: one A customer for another and one C for another with
the morning reordered; day 24: 49,162 against 49,145: one A for another and the afternoon the other
way round), on 10 of seed 13 and 10 of seed 14 — mostly minutes of travel where the better order
needs a step that breaks a window on the way, as in turning the morning round before a B visit
fits after it; median 125–164 ms, p95 181–190 ms. After (PyVRP on the time left): worse on 2, 7
and 8 days, better than before on 1, 3 and 2 days, worse than before on one day (day 19 of seed
13 by 2 minutes: run-to-run variation, as the budget is a clock and PyVRP's route is only taken
when better); median 166–174 ms, p95 181–197 ms. The same search varies from run to run: day 14
reaches 62,176 with 1 seed of 12. Tried and not kept: PyVRP from Kehu's route on a fixed quarter
of the budget (better on some unseen days, worse on as many: ruin and recreate loses the time);
exchanging a kept visit for a skipped one of the same value or more, then reordering for the least
time warp (reaches 49,145 on day 24 from one of Kehu's routes, but a scan takes 100–500 ms: with
30 % of the budget, worse overall); a ruin that turns a stretch of the day round; an exact search
over a stretch of the day with every skipped visit that fits (finds day 14's 64,150 over the
morning, in 1.1 s); a second search from another seed at the same time, in a process of its own
on the second core, the cheaper route kept (three runs over the 90 days of seeds 12–14, quiet
machine, against the best reference at 5 s, or 30 s where measured: worse on 8, 10 and 15 days
against 10, 9 and 14 with one search; p95 191 ms against 181 ms).

Measured again over the same 90 days (load average 4–10; means of 2–15 runs, against the best of
PyVRP at 10 s, VROOM at 4 s and every run): the current search was worse on 2.1, 10.5 and 8.9 days
of seeds 12, 13 and 14. PyVRP 0.14's defaults suit short runs badly here (a starting time-warp
penalty of about 50,000 a minute, 50 neighbours, up to 25 perturbations: 300–600 µs an iteration);
with a penalty of 300–1,000, 15 neighbours and 1–10 perturbations it does 12–14k iterations a
second, and from Kehu's route it reaches the best on 11–12 of the 14 days missed in 2 s, but on
7–8 in 0.3 s and fewer in the 50–80 ms it gets here. Not kept: those settings for PyVRP's part
(worse on 2, 11.5 and 9.5 days), Kehu's search capped at half the time with the tuned PyVRP given
the rest twice or three times (2.6, 10.1 and 7.4 days; better only on seed 14), and PyVRP alone
after VROOM (25–32 days). Twice the budget (0.36 s) gave 2, 7 and 5 days.

Several vehicles (Solomon's C101, R101, RC101): VROOM at exploration level 2, then PyVRP's iterated
local search (C++) from VROOM's routes for the rest of the budget reached the best known on all
three 25-customer instances in 0.05–0.08 s and, in 9 s, on the 100-customer C101 and R101, and on
RC101 in one run, 0.23 % above in another (VROOM alone at level 5, before: RC101 4.92 % above,
and R101 with 25 customers in 0.10 s).
"""

from __future__ import annotations

import logging
import random
import time

from .engine import (
    Client,
    Search,
    Vehicle,
    load_solver,
    pyvrp_routes,
    repair,
    schedule,
    start_in,
    vroom_routes,
)
from .local import Route, descend, lns
from .matrix import osrm_matrix, travel_matrix
from .problem import Problem, ProblemError, parse_problem

log = logging.getLogger(__name__)

DEFAULT_ROAD_FACTOR = 1.4
DEFAULT_SPEED_KMH = 25.0
EXPLORATION = 5  # VROOM's most thorough level: the best start for the ruin and recreate that follows
# Seconds per rep-day: VROOM's search, then Kehu's ruin and recreate until then (or sooner, once
# restarts stop finding better); under 200 ms a day with what parsing and checking add. A team's
# days in bulk get the same (250 rep-days: under 50 s at most).
DEFAULT_TIME_LIMIT = 0.18
MANY_TIME_LIMIT = DEFAULT_TIME_LIMIT
MAX_TIME_LIMIT = 3600  # seconds: a longer limit is a mistake in units
# When Kehu's own search ends before the budget (restarts stopped finding better), PyVRP searches
# from its route for most of what is left: building PyVRP's model takes 2–5 ms, and its search can
# run a few ms over; with less than POLISH_MIN_SECONDS left, none.
POLISH_SHARE = 0.7
POLISH_MIN_SECONDS = 0.015
# ... and stops sooner once this many iterations in a row find nothing better: a time limit is a
# limit, and a small day given a long one (`kehu route --time-limit 30`) is done in well under it.
# At the default budget PyVRP gets through a few hundred iterations, so this never cuts it short.
POLISH_NO_IMPROVEMENT = 20000

# Why a visit was left out. Fixed sentences, so that a page can translate them.
REASON_NO_WINDOW = "The visit is longer than every one of its time windows."
REASON_UNREACHABLE = "It cannot be reached and finished inside its time windows and the working day."
REASON_NO_ROOM = "It does not fit in the day alongside more valuable visits."
REASON_NOT_WORTH = "Its skip penalty is less than the extra travel it needs."
REASONS = (REASON_NO_WINDOW, REASON_UNREACHABLE, REASON_NO_ROOM, REASON_NOT_WORTH)


class RoutingBug(AssertionError):
    """A plan that breaks a window, the day or the objective: a bug, never an output."""


def solve(problem: dict, *, time_limit: float | None = None, road_factor: float = DEFAULT_ROAD_FACTOR,
          speed_kmh: float = DEFAULT_SPEED_KMH, osrm_url: str | None = None, seed: int = 0) -> dict:
    """The plan for one rep-day problem (see the package docstring for both shapes).

    Minimises the skip penalties of the visits left out plus the minutes of travel. Raises
    :class:`ProblemError` for a problem that cannot be read.
    """
    load_solver()  # once per process; not part of the time a plan takes
    started = time.perf_counter()
    parsed = parse_problem(problem)
    if time_limit is not None and (isinstance(time_limit, bool) or not time_limit >= 0):
        raise ProblemError(f"time_limit: {time_limit!r} is not a non-negative number of seconds")
    if time_limit is not None and time_limit > MAX_TIME_LIMIT:
        raise ProblemError(f"time_limit: {time_limit!r} seconds is too long (at most {MAX_TIME_LIMIT})")
    matrix = parsed.matrix
    if matrix is None:
        matrix = _matrix(parsed, road_factor=road_factor, speed_kmh=speed_kmh, osrm_url=osrm_url)
    budget = DEFAULT_TIME_LIMIT if time_limit is None else float(time_limit)
    plan = _solve_parsed(parsed, matrix, deadline=started + budget, seed=seed)
    plan["seconds"] = round(time.perf_counter() - started, 3)
    return plan


def solve_many(problems: list[dict], *, time_limit: float | None = None, **options) -> list[dict]:
    """The plans of several rep-days, in order; ``time_limit`` applies to each (default
    MANY_TIME_LIMIT, so that a team's week of 250 rep-days takes about a minute at most)."""
    if not isinstance(problems, list):
        raise ProblemError("problems: not a list")
    plans = []
    for index, problem in enumerate(problems):
        try:
            plans.append(solve(problem, time_limit=MANY_TIME_LIMIT if time_limit is None else time_limit, **options))
        except ProblemError as exc:
            raise ProblemError(f"problems[{index}]: {exc}") from None
    return plans


def _matrix(parsed: Problem, *, road_factor: float, speed_kmh: float, osrm_url: str | None) -> list[list[int]]:
    if osrm_url:
        try:
            return osrm_matrix(parsed.points, url=osrm_url)
        except OSError as exc:  # the server is down or answered badly: straight lines still give a plan
            log.warning("routing server unavailable (%s); straight-line travel times used", exc)
    return travel_matrix(parsed.points, road_factor=road_factor, speed_kmh=speed_kmh)


def _solve_parsed(parsed: Problem, matrix: list[list[int]], *, deadline: float, seed: int) -> dict:
    clients = [Client(service=s.service, windows=list(s.windows), penalty=s.penalty, location=i + 1)
               for i, s in enumerate(parsed.stops)]
    vehicle = Vehicle(start=parsed.start, end=parsed.end)
    alone = [schedule([k], clients, matrix, vehicle) is not None for k in range(len(clients))]
    r = Route(clients, matrix, vehicle)
    route: list[int] = []
    if any(alone):
        # VROOM may take up to half of what is left; Kehu's own search has the rest
        share = max(0.0, deadline - time.perf_counter()) / 2
        found = vroom_routes(clients, matrix, [vehicle], Search(time_limit=share or None, exploration=EXPLORATION))[0]
        route = descend(r, repair(found, clients, matrix, vehicle))
        route = lns(r, route, deadline=deadline, rng=random.Random(seed), clock=time.perf_counter)
        route = _polish(r, route, deadline=deadline, seed=seed)
    plan = _plan(parsed, matrix, r, route, alone)
    verify(parsed, matrix, plan)
    return plan


def _polish(r: Route, route: list[int], *, deadline: float, seed: int) -> list[int]:
    """PyVRP's iterated local search (C++) from ``route`` on the time left before ``deadline``;
    its route, then Kehu's descent, if it keeps every window and the day at a lower objective, else
    ``route``. PyVRP passes through routes that break a window (at a price), so it reaches orders
    and sets of visits that Kehu's moves, which keep every window at each step, cannot."""
    left = deadline - time.perf_counter()
    if left < POLISH_MIN_SECONDS:
        return route
    found = pyvrp_routes(r.clients, r.matrix, [r.vehicle], seconds=POLISH_SHARE * left, seed=seed + 1,
                         initial=[route], no_improvement=POLISH_NO_IMPROVEMENT)[0]
    if found == route or len(set(found)) != len(found) or not r.feasible(found):
        return route
    found = descend(r, found)
    return found if r.cost(found) < r.cost(route) else route


def _plan(parsed: Problem, matrix, r: Route, route: list[int], alone: list[bool]) -> dict:
    times = schedule(route, r.clients, matrix, r.vehicle)
    if times is None:
        raise RoutingBug("the route found breaks a window or the day")
    if times:  # leave the base later rather than wait at the first door
        arrival, start, end = times[0]
        times[0] = (start, start, end)
    stops = parsed.stops
    entries = [{"id": stops[k].id, "arrival": a, "start": s, "end": e} for k, (a, s, e) in zip(route, times, strict=True)]
    inside = set(route)
    skipped = []
    for k, stop in enumerate(stops):
        if k in inside:
            continue
        if not any(cl - o >= stop.service for o, cl in stop.windows):
            reason = REASON_NO_WINDOW
        elif not alone[k]:
            reason = REASON_UNREACHABLE
        elif r.insertion(route, k) is not None:
            reason = REASON_NOT_WORTH
        else:
            reason = REASON_NO_ROOM
        skipped.append({"id": stop.id, "reason": reason})
    travel = _travel(matrix, [k + 1 for k in route])
    penalty = sum(stops[k].penalty for k in range(len(stops)) if k not in inside)
    plan = {"route": entries, "skipped": skipped, "travel_min": travel, "skipped_penalty": penalty,
            "cost": travel + penalty, "seconds": 0.0}
    return plan


def _travel(matrix, nodes: list[int]) -> int:
    if not nodes:
        return 0
    path = [0] + nodes + [0]
    return sum(matrix[a][b] for a, b in zip(path, path[1:], strict=False))


def verify(parsed: Problem, matrix: list[list[int]], plan: dict) -> None:
    """Check a plan against its problem from scratch; raise :class:`RoutingBug` if it breaks anything."""
    by_id = {str(s.id): (k, s) for k, s in enumerate(parsed.stops)}
    seen: set[str] = set()
    t, at, nodes = parsed.start, 0, []
    for entry in plan["route"]:
        key = str(entry["id"])
        if key not in by_id or key in seen:
            raise RoutingBug(f"stop {entry['id']!r} unknown or visited twice")
        seen.add(key)
        k, stop = by_id[key]
        if entry["arrival"] < t + matrix[at][k + 1] or entry["start"] < entry["arrival"]:
            raise RoutingBug(f"stop {stop.id!r}: arrives before it can get there")
        if entry["end"] != entry["start"] + stop.service:
            raise RoutingBug(f"stop {stop.id!r}: the visit is not its service time")
        if not any(o <= entry["start"] and entry["end"] <= cl for o, cl in stop.windows):
            raise RoutingBug(f"stop {stop.id!r}: the visit is not inside one of its windows")
        if start_in(entry["arrival"], stop.service, list(stop.windows)) is None:
            raise RoutingBug(f"stop {stop.id!r}: no window fits")
        t, at = entry["end"], k + 1
        nodes.append(k + 1)
    if t + matrix[at][0] > parsed.end:
        raise RoutingBug("back at the base after the end of the day")
    skipped = {str(s["id"]) for s in plan["skipped"]}
    if skipped & seen or len(skipped) + len(seen) != len(parsed.stops):
        raise RoutingBug("every stop must be either in the route or skipped, once")
    penalty = sum(s.penalty for s in parsed.stops if str(s.id) in skipped)
    travel = _travel(matrix, nodes)
    if (plan["travel_min"], plan["skipped_penalty"], plan["cost"]) != (travel, penalty, travel + penalty):
        raise RoutingBug("the plan's totals do not add up")
