"""A rep-day routing problem read from a plain dict, checked field by field.

Times are integer minutes after midnight. The base is node 0 and the stops are nodes 1..n in the
order given. A visit must lie wholly inside one of the stop's windows: it starts no earlier than the
window opens and ends (start + service) no later than it closes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

DEFAULT_SKIP_PENALTY = 1000
MAX_MINUTES = 100_000  # about ten weeks: anything larger is a mistake in units, not a plan
# A skip penalty above this is a mistake too; the bound keeps any day's sum of penalties inside the
# 64-bit integers the solvers (C++) work in.
MAX_SKIP_PENALTY = 10**12
# A rep's day, even a whole team's candidates in one: more stops than this is a wrong file (the
# travel matrix alone would take gigabytes).
MAX_STOPS = 2000


class ProblemError(ValueError):
    """A problem that cannot be routed as given; the message names the field and the stop."""


@dataclass(frozen=True)
class Stop:
    id: object
    lat: float | None
    lon: float | None
    service: int
    windows: tuple[tuple[int, int], ...]
    penalty: int


@dataclass
class Problem:
    start: int
    end: int
    base_id: object
    base_lat: float | None
    base_lon: float | None
    stops: list[Stop]
    matrix: list[list[int]] | None = None

    @property
    def points(self) -> list[tuple[float, float]]:
        return [(self.base_lat, self.base_lon)] + [(s.lat, s.lon) for s in self.stops]  # type: ignore[return-value]


def _label(index: int, raw: object) -> str:
    if isinstance(raw, dict) and "id" in raw:
        return f"stops[{index}] (id {raw['id']!r})"
    return f"stops[{index}]"


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ProblemError(f"{where}: {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ProblemError(f"{where}: {value!r} is not a finite number")
    return number


def _minutes(value: object, where: str) -> int:
    number = _number(value, where)
    if number != int(number):
        raise ProblemError(f"{where}: {value!r} is not a whole number of minutes")
    if number > MAX_MINUTES:
        raise ProblemError(f"{where}: {value!r} minutes is too large (at most {MAX_MINUTES})")
    return int(number)


def _coordinate(raw: dict, key: str, where: str, *, needed: bool) -> float | None:
    if raw.get(key) is None:
        if needed:
            raise ProblemError(f"{where}: {key} is missing (needed when there is no travel_min matrix)")
        return None
    number = _number(raw[key], f"{where}.{key}")
    limit = 90 if key == "lat" else 180
    if not -limit <= number <= limit:
        raise ProblemError(f"{where}.{key}: {number} is outside -{limit}..{limit}")
    return number


def parse_problem(data: object) -> Problem:
    """Check ``data`` and return a :class:`Problem`; raise :class:`ProblemError` on the first fault."""
    if not isinstance(data, dict):
        raise ProblemError("the problem must be a JSON object with day, base and stops")
    day = data.get("day")
    if not isinstance(day, dict):
        raise ProblemError("day: missing or not an object with start and end")
    if "start" not in day or "end" not in day:
        raise ProblemError("day: needs start and end (minutes after midnight)")
    start = _minutes(day["start"], "day.start")
    end = _minutes(day["end"], "day.end")
    if start < 0:
        raise ProblemError(f"day.start: {start} is negative")
    if end < start:
        raise ProblemError(f"day: ends ({end}) before it starts ({start})")

    has_matrix = data.get("travel_min") is not None
    base = data.get("base")
    if not isinstance(base, dict):
        raise ProblemError("base: missing or not an object with id, lat and lon")
    base_lat = _coordinate(base, "lat", "base", needed=not has_matrix)
    base_lon = _coordinate(base, "lon", "base", needed=not has_matrix)

    raw_stops = data.get("stops")
    if raw_stops is None:
        raw_stops = []
    if not isinstance(raw_stops, list):
        raise ProblemError("stops: not a list")
    if len(raw_stops) > MAX_STOPS:
        raise ProblemError(f"stops: {len(raw_stops):,} stops is too many for one day (at most {MAX_STOPS:,})")
    stops: list[Stop] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_stops):
        where = _label(index, raw)
        if not isinstance(raw, dict):
            raise ProblemError(f"{where}: not an object")
        if raw.get("id") is None or raw.get("id") == "":
            raise ProblemError(f"{where}: id is missing")
        stop_id = raw["id"]
        if isinstance(stop_id, (dict, list)):
            raise ProblemError(f"{where}: id must be a string or a number")
        if str(stop_id) in seen:
            raise ProblemError(f"{where}: id {stop_id!r} appears twice")
        seen.add(str(stop_id))
        lat = _coordinate(raw, "lat", where, needed=not has_matrix)
        lon = _coordinate(raw, "lon", where, needed=not has_matrix)
        service = _minutes(raw.get("service_min", 0), f"{where}.service_min")
        if service < 0:
            raise ProblemError(f"{where}.service_min: {service} is negative")
        penalty = _number(raw.get("skip_penalty", DEFAULT_SKIP_PENALTY), f"{where}.skip_penalty")
        if penalty < 0:
            raise ProblemError(f"{where}.skip_penalty: {penalty:g} is negative")
        if penalty > MAX_SKIP_PENALTY:
            raise ProblemError(f"{where}.skip_penalty: {penalty:g} is too large (at most {MAX_SKIP_PENALTY:,})")
        raw_windows = raw.get("time_windows")
        if raw_windows is None or raw_windows == []:
            windows = [(start, end)]
        elif not isinstance(raw_windows, list):
            raise ProblemError(f"{where}.time_windows: not a list of [open, close] pairs")
        else:
            windows = []
            for k, window in enumerate(raw_windows):
                at = f"{where}.time_windows[{k}]"
                if not isinstance(window, (list, tuple)) or len(window) != 2:
                    raise ProblemError(f"{at}: not an [open, close] pair")
                opens, closes = _minutes(window[0], at), _minutes(window[1], at)
                if opens < 0:
                    raise ProblemError(f"{at}: opens at {opens}, before midnight")
                if closes < opens:
                    raise ProblemError(f"{at}: the window ends ({closes}) before it opens ({opens})")
                windows.append((opens, closes))
            windows = _merged(windows, service)
        stops.append(Stop(stop_id, lat, lon, service, tuple(windows), round(penalty)))

    matrix = None
    if has_matrix:
        matrix = _parse_matrix(data["travel_min"], len(stops) + 1)
    return Problem(start, end, base.get("id"), base_lat, base_lon, stops, matrix)


def _merged(windows: list[tuple[int, int]], service: int) -> list[tuple[int, int]]:
    """The windows sorted, with those whose possible starts overlap made one: the same starts, and
    the whole visit still inside one window. Windows shorter than the visit stay only when no
    window can hold it (so the plan can say why it is skipped)."""
    from .engine import start_spans

    spans = start_spans(windows, service)
    return [(first, last + service) for first, last in spans] if spans else sorted(windows)


def _parse_matrix(raw: object, size: int) -> list[list[int]]:
    shape = f"a {size}×{size} matrix (the base, then the stops in their order)"
    if not isinstance(raw, list) or len(raw) != size:
        got = len(raw) if isinstance(raw, list) else type(raw).__name__
        raise ProblemError(f"travel_min: expected {shape}, got {got} rows")
    matrix = []
    for i, row in enumerate(raw):
        if not isinstance(row, list) or len(row) != size:
            got = len(row) if isinstance(row, list) else type(row).__name__
            raise ProblemError(f"travel_min[{i}]: expected {size} values ({shape}), got {got}")
        values = []
        for j, value in enumerate(row):
            minutes = _minutes(value, f"travel_min[{i}][{j}]")
            if minutes < 0:
                raise ProblemError(f"travel_min[{i}][{j}]: {minutes} is negative")
            values.append(minutes)
        matrix.append(values)
    return matrix
