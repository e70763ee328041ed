"""The search's building blocks: VROOM over a model built from plain lists, and Kehu's own
schedule and repair, so what comes out is checked here and not taken on trust.

VROOM's windows bound the start of a visit; the latest start of each window is its close minus the
service, so the whole visit fits inside one window.
"""

from __future__ import annotations

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
    """Import VROOM (and pandas, which it loads) ahead of the first search."""
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
        windows = [vroom.TimeWindow(o, cl - c.service) for o, cl in c.windows if cl - c.service >= o]
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
