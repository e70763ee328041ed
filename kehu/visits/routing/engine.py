"""The search's building blocks: VROOM over a model built from plain lists, and Kehu's own
schedule and repair, so what comes out is checked here and not taken on trust.

VROOM's windows bound the start of a visit; the latest start of each window is its close minus the
service, so the whole visit fits inside one window.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

MAX_TIME = 10**9


@dataclass
class Client:
    service: int
    windows: list[tuple[int, int]]  # (open, close): the whole visit inside one
    penalty: int = 0
    required: bool = False
    demand: int = 0
    location: int = 0  # index into the matrix; set by the caller


@dataclass
class Vehicle:
    start: int  # earliest departure from the depot
    end: int  # latest return to the depot
    depot: int = 0  # index into the matrix
    capacity: int | None = None


@dataclass
class Search:
    time_limit: float | None = None  # seconds for VROOM; None: until its search is done
    exploration: int = 5  # VROOM's exploration level, 0–5
    threads: int = 2


def start_in(arrival: int, service: int, windows: list[tuple[int, int]]) -> int | None:
    """The earliest start at or after ``arrival`` with the whole visit inside one window."""
    for opens, closes in windows:
        start = arrival if arrival > opens else opens
        if start + service <= closes:
            return start
    return None


def start_spans(windows: list[tuple[int, int]], service: int) -> list[tuple[int, int]]:
    """The minutes a visit of ``service`` may start in, as sorted, disjoint (first, last) spans: one
    per window that can hold it, overlapping ones merged (solvers refuse overlapping windows)."""
    spans: list[tuple[int, int]] = []
    for opens, closes in sorted(windows):
        last = closes - service
        if last < opens:
            continue  # the visit is longer than this window
        if spans and opens <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], last))
        else:
            spans.append((opens, last))
    return spans


def schedule(route: list[int], clients: list[Client], matrix: list[list[int]], vehicle: Vehicle
             ) -> list[tuple[int, int, int]] | None:
    """(arrival, start, end) per client of ``route`` (client indices) leaving at the earliest, or None
    when a window or the end of the day cannot be kept."""
    times = []
    t, at = vehicle.start, vehicle.depot
    for k in route:
        c = clients[k]
        arrival = t + matrix[at][c.location]
        start = start_in(arrival, c.service, c.windows)
        if start is None:
            return None
        t, at = start + c.service, c.location
        times.append((arrival, start, t))
    if t + matrix[at][vehicle.depot] > vehicle.end:
        return None
    return times


def route_travel(route: list[int], clients: list[Client], matrix: list[list[int]], vehicle: Vehicle) -> int:
    if not route:
        return 0
    at, total = vehicle.depot, 0
    for k in route:
        total += matrix[at][clients[k].location]
        at = clients[k].location
    return total + matrix[at][vehicle.depot]


def _feasible(route, clients, matrix, vehicle) -> bool:
    if vehicle.capacity is not None and sum(clients[k].demand for k in route) > vehicle.capacity:
        return False
    return schedule(route, clients, matrix, vehicle) is not None


def load_solver() -> None:
    """Import VROOM (and pandas, which it loads) and PyVRP ahead of the first search."""
    import pyvrp  # noqa: F401
    import vroom  # noqa: F401


def vroom_routes(clients: list[Client], matrix: list[list[int]], vehicles: list[Vehicle], search: Search
                 ) -> list[list[int]]:
    """One route of client indices per vehicle, from VROOM; clients it cannot place are left out.

    VROOM first maximises the sum of the priorities of the jobs it places, then minimises travel;
    priorities (0–100) are the skip penalties scaled to the largest, so the policy's A 10,000,
    B 3,000, prospect 2,000, C 1,000 become 100, 30, 20, 10 exactly. Kehu's own passes afterwards
    work on the true objective."""
    import datetime

    import vroom

    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=matrix)
    capacitated = _capacitated(vehicles)
    for i, v in enumerate(vehicles):
        problem.add_vehicle(vroom.Vehicle(id=i + 1, start=v.depot, end=v.depot, profile="car",
                                          capacity=[v.capacity or 0] if capacitated else [],
                                          time_window=vroom.TimeWindow(v.start, v.end)))
    top = max((c.penalty for c in clients), default=0) or 1
    jobs = []
    for index, c in enumerate(clients):
        windows = [vroom.TimeWindow(first, last) for first, last in start_spans(c.windows, c.service)]
        if not windows:
            continue
        priority = 100 if c.required else min(100, max(0, round(100 * c.penalty / top)))
        jobs.append(vroom.Job(id=index + 1, location=c.location, default_service=c.service, time_windows=windows,
                              delivery=[c.demand] if capacitated else [], priority=priority))
    out: list[list[int]] = [[] for _ in vehicles]
    if not jobs:
        return out
    problem.add_job(jobs)
    timeout = datetime.timedelta(seconds=search.time_limit) if search.time_limit else None
    answer = problem.solve(exploration_level=search.exploration, nb_threads=search.threads, timeout=timeout)
    for route in answer.to_dict()["routes"]:
        out[route["vehicle"] - 1] = [step["id"] - 1 for step in route["steps"] if step["type"] == "job"]
    return out


def _capacitated(vehicles: list[Vehicle]) -> bool:
    return any(v.capacity is not None for v in vehicles)


def repair(route: list[int], clients: list[Client], matrix, vehicle: Vehicle) -> list[int]:
    """Drop the least valuable visits until the route keeps every window, the day and the load."""
    route = list(dict.fromkeys(route))
    while route and not _feasible(route, clients, matrix, vehicle):
        worst = min(range(len(route)), key=lambda i: (clients[route[i]].penalty, -i))
        route.pop(worst)
    return route


def pyvrp_routes(clients: list[Client], matrix: list[list[int]], vehicles: list[Vehicle], *, seconds: float,
                 seed: int = 1, initial: list[list[int]] | None = None, iterations: int | None = None,
                 no_improvement: int | None = None) -> list[list[int]]:
    """One route of client indices per vehicle from PyVRP (iterated local search, in C++), started
    from ``initial`` (one route per vehicle, each keeping every window) when given.

    A visit with several windows is one PyVRP client per window at the same place, in a mutually
    exclusive group, so exactly one of them is visited (or none, for an optional visit). A skipped
    visit costs its penalty (PyVRP's prize), so PyVRP works on Kehu's objective directly. The search
    stops after ``seconds``, or after ``iterations`` when given and reached first, or after
    ``no_improvement`` iterations in a row without a better solution when given."""
    import pyvrp
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement

    model = pyvrp.Model()
    size = len(matrix)
    locations = [model.add_location(0, 0) for _ in range(size)]
    depots: dict[int, int] = {}
    for v in vehicles:
        if v.depot not in depots:
            depots[v.depot] = len(depots)
            model.add_depot(locations[v.depot])
    capacitated = _capacitated(vehicles)
    owners: list[int] = []  # PyVRP client -> our client
    copies: dict[int, list[tuple[int, int, int]]] = {}  # our client -> (PyVRP index, open, latest start)
    for index, c in enumerate(clients):
        windows = start_spans(c.windows, c.service)
        if not windows:
            continue
        group = model.add_client_group(required=c.required) if len(windows) > 1 else None
        for early, late in windows:
            copies.setdefault(index, []).append((len(owners), early, late))
            model.add_client(locations[c.location], delivery=[c.demand] if capacitated else [],
                             service_duration=c.service, tw_early=early, tw_late=late, prize=c.penalty,
                             required=c.required and group is None, group=group)
            owners.append(index)
    out: list[list[int]] = [[] for _ in vehicles]
    if not owners:
        return out
    kinds: dict[tuple, list[int]] = {}
    for i, v in enumerate(vehicles):
        kinds.setdefault((v.depot, v.start, v.end, v.capacity), []).append(i)
    all_depots = model.depots
    for (depot, start, end, capacity), members in kinds.items():
        model.add_vehicle_type(num_available=len(members), start_depot=all_depots[depots[depot]],
                               end_depot=all_depots[depots[depot]], capacity=[capacity or 0] if capacitated else [],
                               tw_early=start, tw_late=end)
    for i in range(size):
        row, here = matrix[i], locations[i]
        for j in range(size):
            if i != j:
                model.add_edge(here, locations[j], distance=row[j], duration=row[j])
    data = model.data()
    kind_of = {i: t for t, members in enumerate(kinds.values()) for i in members}
    start_from = None
    if initial and any(initial):
        routes = []
        for i, route in enumerate(initial):
            times = schedule(route, clients, matrix, vehicles[i]) if route else None
            if not route or times is None:
                continue
            visits = []
            for k, (_, start, _) in zip(route, times, strict=True):
                visits.append(next(p for p, early, late in copies[k] if early <= start <= late))
            routes.append(pyvrp.Route(data, visits, kind_of[i]))
        start_from = pyvrp.Solution(data, routes) if routes else None
    with warnings.catch_warnings():  # a hard instance's penalty warning: the result is checked below
        warnings.simplefilter("ignore")
        criteria: list = [MaxRuntime(max(0.0, seconds))]
        if iterations is not None:  # a repeatable search: the same input gives the same routes
            criteria.append(MaxIterations(iterations))
        if no_improvement is not None:
            criteria.append(NoImprovement(no_improvement))
        stop = criteria[0] if len(criteria) == 1 else MultipleCriteria(criteria)
        result = model.solve(stop, seed=seed, display=False, collect_stats=False, initial_solution=start_from)
    found = result.best
    if not (found.is_feasible() and found.is_complete()):  # a window, the load or a required client
        return initial if initial else out
    free = {t: list(members) for t, members in enumerate(kinds.values())}
    for found_route in found.routes():
        visits = [owners[a.idx] for a in found_route if a.is_client()]
        out[free[found_route.vehicle_type()].pop(0)] = visits
    return out


def fleet_routes(clients: list[Client], matrix: list[list[int]], vehicles: list[Vehicle], *, time_limit: float,
                 seed: int = 1, exploration: int = 2, iterations: int | None = None,
                 polish: Callable[[list[list[int]]], bool] | None = None) -> list[list[int]]:
    """Routes for several vehicles at once (a rep's week; Solomon's instances): VROOM's quick
    construction and search, then PyVRP's iterated local search from there for the rest of
    ``time_limit`` seconds; whichever keeps every window, the day and the load at the lower cost
    (skip penalties plus travel) is returned, each route checked here.

    With ``iterations`` the same input gives the same routes (a plan): VROOM's search runs to its
    end instead of to a deadline, and PyVRP's stops after that many iterations; ``time_limit`` then
    only bounds the whole on a machine too busy to finish them. ``polish``, when given, says from
    VROOM's routes whether PyVRP's search is worth its time (it runs only when it says so)."""
    import time

    deadline = time.perf_counter() + time_limit
    first = vroom_routes(clients, matrix, vehicles,
                         Search(time_limit=time_limit if iterations is None else None, exploration=exploration))
    first = [repair(route, clients, matrix, v) for route, v in zip(first, vehicles, strict=True)]
    left = deadline - time.perf_counter()
    if left < 0.005 or iterations == 0 or (polish is not None and not polish(first)):
        return first
    second = pyvrp_routes(clients, matrix, vehicles, seconds=left, seed=seed, initial=first, iterations=iterations)
    if [repair(route, clients, matrix, v) for route, v in zip(second, vehicles, strict=True)] != second:
        return first
    return second if fleet_cost(second, clients, matrix, vehicles) < fleet_cost(first, clients, matrix, vehicles) else first


def fleet_cost(routes: list[list[int]], clients: list[Client], matrix: list[list[int]], vehicles: list[Vehicle]) -> int:
    """Travel of all routes plus the penalties of the clients none of them visits (a required
    client left out counts as more than any plan that visits it)."""
    inside = {k for route in routes for k in route}
    travel = sum(route_travel(route, clients, matrix, v) for route, v in zip(routes, vehicles, strict=True))
    missing = [c for k, c in enumerate(clients) if k not in inside]
    return travel + sum(c.penalty for c in missing) + (MAX_TIME if any(c.required for c in missing) else 0)
