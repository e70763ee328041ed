"""Kehu's routing core: plain functions over plain dicts, no Django.

Problem (times in whole minutes after midnight; unknown keys are ignored)::

    {"day": {"start": 480, "end": 1080},
     "base": {"id": "…", "lat": …, "lon": …},
     "stops": [{"id": "…", "lat": …, "lon": …, "service_min": 30,
                "time_windows": [[510, 720], [810, 1050]], "skip_penalty": 3000}, …],
     "travel_min": [[…], …]}          # optional; base is row/column 0, stop k-1 is row/column k

The rep leaves the base no earlier than day.start and is back by day.end, may wait before a window
opens, and each visit lies wholly inside one of its windows (no windows: the whole day). When
``travel_min`` is given it is used exactly; otherwise travel comes from the coordinates.

Plan::

    {"route": [{"id": "…", "arrival": 505, "start": 510, "end": 550}, …],
     "skipped": [{"id": "…", "reason": "…"}], "travel_min": 123, "skipped_penalty": 4000,
     "cost": 4123, "seconds": 0.05}

The plan minimises cost = skip penalties of the visits left out + minutes of travel; every plan is
checked against its problem before it is returned (a broken window or day raises RoutingBug).
"""

from .matrix import distance_km, osrm_matrix, travel_matrix
from .problem import ProblemError, parse_problem
from .solver import REASONS, RoutingBug, solve, solve_many, verify

__all__ = ["REASONS", "ProblemError", "RoutingBug", "distance_km", "osrm_matrix", "parse_problem", "solve",
           "solve_many", "travel_matrix", "verify"]
