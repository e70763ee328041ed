"""A construction and a local search over one route, for a rep-day where the skip penalties
dominate: which visits to keep matters more than the order, so besides inserting, dropping and
moving visits it swaps a kept visit for a more valuable skipped one."""

from __future__ import annotations

import numpy

from .engine import Client, Vehicle, schedule

FRUITLESS_RUNS = 2  # runs of ruin and recreate in a row that find nothing better end the search
PATIENCE = (100, 5)  # a run ends after a + b × (candidates) tries without a better day


class Route:
    """One route with its travel, against one matrix and one vehicle."""

    def __init__(self, clients: list[Client], matrix: list[list[int]], vehicle: Vehicle) -> None:
        self.clients, self.matrix, self.vehicle = clients, matrix, vehicle
        places = [vehicle.depot] + [c.location for c in clients]
        # the most a detour through a third place can save against going straight: 0 when the
        # matrix keeps the triangle inequality (rounding can break it by a minute), so a gap shorter
        # than a visit's service minus this can never hold that visit
        grid = numpy.array(matrix, dtype=numpy.int64)[numpy.ix_(places, places)]
        # (one third place at a time: memory stays that of the matrix however many stops there are)
        self.shortcut = max([0] + [int((grid - grid[:, [k]] - grid[[k], :]).max()) for k in range(len(places))])
        self.penalties = sum(c.penalty for c in clients)
        self.effort = [c.service + min((matrix[p][c.location] for p in places if p != c.location), default=0)
                       for c in clients]

    def loc(self, k: int) -> int:
        return self.clients[k].location

    def travel(self, route: list[int]) -> int:
        if not route:
            return 0
        m, clients, here = self.matrix, self.clients, self.vehicle.depot
        total = 0
        for k in route:
            there = clients[k].location
            total += m[here][there]
            here = there
        return total + m[here][self.vehicle.depot]

    def feasible(self, route: list[int]) -> bool:
        return schedule(route, self.clients, self.matrix, self.vehicle) is not None

    def cost(self, route: list[int]) -> int:
        """Travel plus the penalties of the visits left out (a route visits each client once)."""
        clients = self.clients
        return self.travel(route) + self.penalties - sum(clients[k].penalty for k in set(route))

    def insertion(self, route: list[int], k: int, limit: int | None = None, *, by_time: bool = False,
                  context: tuple | None = None) -> tuple[int, int] | None:
        """(added travel, position) of the cheapest feasible place for ``k`` (the first such position
        among equals), or None; positions adding ``limit`` or more are not taken.

        Each position is checked in constant time: the earliest departure from the visit before it
        (forward) against the latest arrival at the visit after it that still keeps the rest of the
        route (backward). Arriving earlier never hurts, as the rep may wait, so that latest arrival
        is one number even with several windows. ``context`` is :meth:`context` of ``route``, passed
        in when several visits are tried against the same route."""
        if context is None:
            context = self.context(route)
        if context is None:
            return None
        at, departs, latest, room, most = context
        m, c = self.matrix, self.clients[k]
        loc, service, windows = c.location, c.service, c.windows
        if service - self.shortcut > most:
            return None  # no gap long enough for the visit itself
        out = m[loc]
        best_key = None
        best = None
        for p in range(len(at) - 1):
            a, b = at[p], at[p + 1]
            into = m[a][loc]
            added = into + out[b] - m[a][b]
            if added + service > room[p] or (limit is not None and added >= limit):
                continue  # not enough time between the two, even without waiting
            if not by_time and best_key is not None and added >= best_key[0]:
                continue
            arrival = departs[p] + into
            for opens, closes in windows:
                start = arrival if arrival > opens else opens
                if start + service <= closes:
                    break
            else:
                continue
            arrive_next = start + service + out[b]
            if arrive_next > latest[p]:
                continue
            key = (arrive_next - departs[p] - m[a][b], added, p) if by_time else (added, p)
            if best_key is None or key < best_key:
                best_key, best = key, (added, p)
        return best

    def context(self, route: list[int]) -> tuple | None:
        """The places along ``route`` (base, visits, base), the earliest departure from each, the
        latest arrival at each that keeps the rest, and the minutes to spare between each two (a
        visit placed there needs its service and its detour); None when the route breaks a window."""
        departs = self._departures(route)
        if departs is None:
            return None
        depot, m = self.vehicle.depot, self.matrix
        at = [depot] + [self.clients[i].location for i in route] + [depot]
        latest = self._latest_arrivals(route)
        room = [latest[p] - departs[p] - m[at[p]][at[p + 1]] for p in range(len(route) + 1)]
        return at, departs, latest, room, max(room)

    def inserted(self, context: tuple, route: list[int], pos: int) -> tuple:
        """:meth:`context` of ``route``, which is the route of ``context`` with one visit inserted
        at ``pos`` (where :meth:`insertion` found it fits): only the departures after it and the
        latest arrivals before it change, and only until they meet their old values."""
        at, departs, latest, _, _ = context
        m, clients = self.matrix, self.clients
        at = at[:pos + 1] + [clients[route[pos]].location] + at[pos + 1:]
        n = len(route)
        out = departs[:pos + 1]
        t, here = departs[pos], at[pos]
        for j in range(pos + 1, n + 1):
            c = clients[route[j - 1]]
            arrival = t + m[here][c.location]
            for opens, closes in c.windows:
                start = arrival if arrival > opens else opens
                if start + c.service <= closes:
                    break
            t, here = start + c.service, c.location
            out.append(t)
            if j > pos + 1 and t == departs[j - 1]:  # no later than before: the rest is as it was
                out.extend(departs[j:])
                break
        departs = out
        late = latest[:pos] + [0] + latest[pos:]
        for i in range(pos, -1, -1):
            c = clients[route[i]]
            leave_by = late[i + 1] - m[c.location][at[i + 2]]
            best = -(10**9)
            for opens, closes in c.windows:
                last = (closes if closes < leave_by else leave_by) - c.service
                if last >= opens and last > best:
                    best = last
            if i < pos and best == late[i]:
                break
            late[i] = best
        room = [late[p] - departs[p] - m[at[p]][at[p + 1]] for p in range(n + 1)]
        return at, departs, late, room, max(room)

    def _departures(self, route: list[int]) -> list[int] | None:
        """The earliest departure from the base (index 0) and from each visit (index i + 1)."""
        m, clients = self.matrix, self.clients
        t, here = self.vehicle.start, self.vehicle.depot
        out = [t]
        for k in route:
            c = clients[k]
            arrival = t + m[here][c.location]
            service = c.service
            for opens, closes in c.windows:
                start = arrival if arrival > opens else opens
                if start + service <= closes:
                    break
            else:
                return None
            t, here = start + service, c.location
            out.append(t)
        return out

    def _latest_arrivals(self, route: list[int]) -> list[int]:
        """The latest arrival at each visit (index i) and back at the base (index n) that keeps the
        rest of the route; a large negative number where none does."""
        m, clients, vehicle = self.matrix, self.clients, self.vehicle
        n = len(route)
        out = [0] * (n + 1)
        out[n] = vehicle.end
        nxt = vehicle.depot
        for i in range(n - 1, -1, -1):
            c = clients[route[i]]
            leave_by = out[i + 1] - m[c.location][nxt]
            best = -(10**9)
            for opens, closes in c.windows:
                last = (closes if closes < leave_by else leave_by) - c.service
                if last >= opens and last > best:
                    best = last
            out[i] = best
            nxt = c.location
        return out


def construct(r: Route) -> list[int]:
    """Most valuable first, tightest window first among equals, each at its cheapest place."""
    order = sorted(range(len(r.clients)), key=lambda k: (-r.clients[k].penalty,
                                                        min(cl for _, cl in r.clients[k].windows)))
    route: list[int] = []
    for k in order:
        found = r.insertion(route, k, limit=r.clients[k].penalty)
        if found:
            route.insert(found[1], k)
    return route


def descend(r: Route, route: list[int]) -> list[int]:
    """Apply improving moves until none is left: insert, drop, swap in, relocate, 2-opt."""
    clients = r.clients
    improved = True
    while improved:
        improved = False
        inside = set(route)
        skipped = sorted((k for k in range(len(clients)) if k not in inside), key=lambda k: -clients[k].penalty)
        # insert a skipped visit
        context = r.context(route)
        for k in skipped:
            found = r.insertion(route, k, limit=clients[k].penalty, context=context) if context else None
            if found and context:
                route = route[:found[1]] + [k] + route[found[1]:]
                context = r.inserted(context, route, found[1])
                improved = True
        if improved:
            continue
        base = r.travel(route)
        # drop a visit whose travel costs more than its penalty
        for pos in range(len(route)):
            trial = route[:pos] + route[pos + 1:]
            if base - r.travel(trial) > clients[route[pos]].penalty and r.feasible(trial):
                route, improved = trial, True
                break
        if improved:
            continue
        # swap a kept visit for a skipped one that is worth more or costs less travel
        trials = [route[:pos] + route[pos + 1:] for pos in range(len(route))]
        contexts: list = [None] * len(route)
        for k in skipped:
            best = None
            for pos in range(len(route)):
                lost = clients[route[pos]].penalty
                if lost > clients[k].penalty:
                    continue
                trial = trials[pos]
                if contexts[pos] is None:
                    contexts[pos] = r.context(trial) or ()
                if not contexts[pos]:
                    continue
                found = r.insertion(trial, k, context=contexts[pos])
                if found is None:
                    continue
                gain = clients[k].penalty - lost - (r.travel(trial) + found[0] - base)
                if gain > 0 and (best is None or gain > best[0]):
                    best = (gain, trial[:found[1]] + [k] + trial[found[1]:])
            if best:
                route, improved = best[1], True
                break
        if improved:
            continue
        # move one visit, or reverse a stretch, for less travel
        route, improved = _reorder(r, route, base)
    return route


def _reorder(r: Route, route: list[int], base: int) -> tuple[list[int], bool]:
    n = len(route)
    for i in range(n):
        rest = route[:i] + route[i + 1:]
        for pos in range(n):
            if pos == i:
                continue
            trial = rest[:pos] + [route[i]] + rest[pos:]
            if r.travel(trial) < base and r.feasible(trial):
                return trial, True
    for i in range(n - 1):
        for j in range(i + 2, n + 1):
            trial = route[:i] + route[i:j][::-1] + route[j:]
            if r.travel(trial) < base and r.feasible(trial):
                return trial, True
    for length in (2, 3):  # move a run of visits elsewhere
        for i in range(n - length + 1):
            run, rest = route[i:i + length], route[:i] + route[i + length:]
            for pos in range(len(rest) + 1):
                if pos == i:
                    continue
                trial = rest[:pos] + run + rest[pos:]
                if r.travel(trial) < base and r.feasible(trial):
                    return trial, True
    for i in range(n - 1):  # exchange two visits
        for j in range(i + 1, n):
            trial = list(route)
            trial[i], trial[j] = trial[j], trial[i]
            if r.travel(trial) < base and r.feasible(trial):
                return trial, True
    return route, False


def recreate(r: Route, route: list[int], candidates: list[int], rng) -> list[int]:
    """Insert ``candidates`` each at its cheapest place: mostly the most valuable first (among equals
    the quicker ones, visit plus nearest approach, tend to go first), sometimes the most value per
    minute first, so two small visits can take the place of one larger; with noise for variety."""
    clients, effort = r.clients, r.effort
    if rng.random() < 0.7:
        order = sorted(candidates, key=lambda k: (-clients[k].penalty, effort[k] * rng.uniform(0.6, 1.4)))
    else:
        order = sorted(candidates, key=lambda k: -clients[k].penalty / max(1, effort[k]) * rng.uniform(0.8, 1.2))
    by_time = rng.random() < 0.3
    context = r.context(route)
    if context is None:  # a route that breaks a window takes nothing more
        return route
    for k in order:
        found = r.insertion(route, k, limit=clients[k].penalty, by_time=by_time, context=context)
        if found:
            route = route[:found[1]] + [k] + route[found[1]:]
            context = r.inserted(context, route, found[1])
    return route


def lns(r: Route, route: list[int], *, deadline: float, rng, clock) -> list[int]:
    """Ruin and recreate until ``deadline`` (by ``clock``): take out a stretch of the day, the less
    valuable visits or a few at random, put the most valuable candidates back in. A run that stops
    improving starts again from ``route``; two fruitless runs in a row end the search early."""
    best, best_cost = route, r.cost(route)
    fruitless = 0
    while clock() < deadline and fruitless < FRUITLESS_RUNS:
        found = _ruin_and_recreate(r, route, deadline=deadline, rng=rng, clock=clock)
        cost = r.cost(found)
        if cost < best_cost:
            best, best_cost, fruitless = found, cost, 0
        else:
            fruitless += 1
    return best


def _ruin_and_recreate(r: Route, route: list[int], *, deadline: float, rng, clock) -> list[int]:
    best, best_cost = route, r.cost(route)
    current = route
    n = len(r.clients)
    values = sorted(c.penalty for c in r.clients if c.penalty > 0)
    threshold = values[0] * 1.5 if values else 0
    patience, idle = PATIENCE[0] + PATIENCE[1] * n, 0
    while clock() < deadline and current and idle < patience:
        idle += 1
        size = rng.randint(2, max(2, min(6, len(current))))
        roll = rng.random()
        if roll < 0.4:  # a stretch of the day, so visits can move to another part of it
            at = rng.randrange(len(current))
            removed = current[at:at + size]
        elif roll < 0.7:  # the less valuable visits, so the valuable ones can be placed afresh
            cut = rng.choice(sorted({r.clients[k].penalty for k in current}))
            removed = [k for k in current if r.clients[k].penalty <= cut]
        elif roll < 0.9:
            removed = rng.sample(current, min(size, len(current)))
        else:  # everything: the day built afresh in another order
            removed = list(current)
        kept = [k for k in current if k not in removed]
        inside = set(kept)
        trial = recreate(r, kept, [k for k in range(n) if k not in inside], rng)
        cost = r.cost(trial)
        if cost < best_cost:
            trial = descend(r, trial)
            cost = r.cost(trial)
        # record-to-record travel: accept a little worse early on, to leave a local optimum
        share = max(0.0, 1 - idle / patience)
        if cost <= best_cost + threshold * share * share:
            current = trial
            if cost < best_cost:
                best, best_cost, idle = trial, cost, 0
    return best
