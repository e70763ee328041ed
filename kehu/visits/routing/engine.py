"""The search: PyVRP's iterated local search over a model built from plain lists, then Kehu's own
schedule, repair and insertion pass, so what comes out is checked here and not taken on trust.

A visit with several windows becomes one PyVRP client per window at the same location, in a
mutually exclusive optional group: at most one of them is visited, which is the visit in one window.
The latest start of each window is its close minus the service, so the whole visit fits inside it.
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
    time_limit: float
    no_improvement: int
    seed: int = 0
    # A fleet that is hard to fit (Solomon's tight ones) is searched with spare vehicles at this fixed
    # cost, so the search can move through solutions with a route too many; routes of spares come
    # after the fleet's in the answer, and a caller that must keep the fleet treats them as failure.
    spare_cost: int = 0


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


def pyvrp_routes(clients: list[Client], matrix: list[list[int]], vehicles: list[Vehicle], search: Search
                 ) -> list[list[int]]:
    """One route of client indices per vehicle, from PyVRP (then any spares' routes)."""
    import pyvrp
    from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

    model = pyvrp.Model()
    size = len(matrix)
    locations = [model.add_location(0, 0) for _ in range(size)]
    depots = {}
    for v in vehicles:
        if v.depot not in depots:
            depots[v.depot] = model.add_depot(locations[v.depot])
    owners: list[int] = []  # pyvrp client -> our client
    for index, c in enumerate(clients):
        windows = [(o, cl - c.service) for o, cl in c.windows if cl - c.service >= o]
        if not windows:
            continue
        group = model.add_client_group(required=c.required) if len(windows) > 1 else None
        for early, late in windows:
            model.add_client(locations[c.location], delivery=[c.demand] if _capacitated(vehicles) else [],
                             service_duration=c.service, tw_early=early, tw_late=late, prize=c.penalty,
                             required=c.required and group is None, group=group)
            owners.append(index)
    if not owners:
        return [[] for _ in vehicles]
    kinds: dict[tuple, list[int]] = {}
    for i, v in enumerate(vehicles):
        kinds.setdefault((v.depot, v.start, v.end, v.capacity), []).append(i)
    for (depot, start, end, capacity), members in kinds.items():
        model.add_vehicle_type(num_available=len(members), start_depot=depots[depot], end_depot=depots[depot],
                               capacity=[capacity] if _capacitated(vehicles) else [],
                               tw_early=start, tw_late=end)
    if search.spare_cost:
        for depot, start, end, capacity in list(kinds):
            model.add_vehicle_type(num_available=max(1, len(vehicles) // 3), start_depot=depots[depot],
                                   end_depot=depots[depot], capacity=[capacity] if _capacitated(vehicles) else [],
                                   tw_early=start, tw_late=end, fixed_cost=search.spare_cost)
    for i in range(size):
        row = matrix[i]
        for j in range(size):
            if i == j:
                continue
            model.add_edge(locations[i], locations[j], distance=row[j], duration=row[j])
    stop = MultipleCriteria([MaxRuntime(search.time_limit), NoImprovement(search.no_improvement)])
    result = model.solve(stop, seed=search.seed, display=False, collect_stats=False)
    solution = result.best
    keys = list(kinds)
    routes_by_kind: dict[tuple, list[list[int]]] = {key: [] for key in kinds}
    spares: list[list[int]] = []
    for route in solution.routes():
        visits = [owners[a.idx] for a in route if a.is_client()]
        kind = route.vehicle_type()
        (routes_by_kind[keys[kind]] if kind < len(keys) else spares).append(visits)
    out: list[list[int]] = [[] for _ in vehicles]
    for key, members in kinds.items():
        for i, visits in zip(members, routes_by_kind[key], strict=False):
            out[i] = visits
    return out + spares


def _capacitated(vehicles: list[Vehicle]) -> bool:
    return any(v.capacity is not None for v in vehicles)


def repair(route: list[int], clients: list[Client], matrix, vehicle: Vehicle) -> list[int]:
    """Drop the least valuable visits until the route keeps every window, the day and the load."""
    route = list(dict.fromkeys(route))
    while route and not _feasible(route, clients, matrix, vehicle):
        worst = min(range(len(route)), key=lambda i: (clients[route[i]].penalty, -i))
        route.pop(worst)
    return route


def best_insertion(route: list[int], k: int, clients: list[Client], matrix, vehicle: Vehicle
                   ) -> tuple[int, int] | None:
    """(added travel, position) of the cheapest place for client ``k`` in ``route`` that keeps it
    feasible, or None."""
    best = None
    at_loc = [vehicle.depot] + [clients[i].location for i in route] + [vehicle.depot]
    loc = clients[k].location
    for pos in range(len(route) + 1):
        added = matrix[at_loc[pos]][loc] + matrix[loc][at_loc[pos + 1]] - matrix[at_loc[pos]][at_loc[pos + 1]]
        if best is not None and added >= best[0]:
            continue
        trial = route[:pos] + [k] + route[pos:]
        if _feasible(trial, clients, matrix, vehicle):
            best = (added, pos)
    return best


def improve(route: list[int], clients: list[Client], matrix, vehicle: Vehicle) -> list[int]:
    """Insert skipped visits where that lowers the cost, and drop visits whose travel costs more than
    their penalty, until nothing changes."""
    changed = True
    while changed:
        changed = False
        inside = set(route)
        for k in sorted((k for k in range(len(clients)) if k not in inside), key=lambda k: -clients[k].penalty):
            found = best_insertion(route, k, clients, matrix, vehicle)
            if found and found[0] < clients[k].penalty:
                route.insert(found[1], k)
                changed = True
        for pos in range(len(route) - 1, -1, -1):
            k = route[pos]
            if clients[k].required:
                continue
            trial = route[:pos] + route[pos + 1:]
            saved = route_travel(route, clients, matrix, vehicle) - route_travel(trial, clients, matrix, vehicle)
            if saved > clients[k].penalty and _feasible(trial, clients, matrix, vehicle):
                route = trial
                changed = True
    return route
