"""Travel minutes between points: straight-line distance times a road factor at a speed, or a
routing server (OSRM) when one is configured."""

from __future__ import annotations

import json
import math
import urllib.request

EARTH_RADIUS_KM = 6371.0088


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def travel_matrix(points: list[tuple[float, float]], *, road_factor: float, speed_kmh: float) -> list[list[int]]:
    """Whole minutes (rounded up) between every pair of (lat, lon) points."""
    if road_factor <= 0 or speed_kmh <= 0:
        raise ValueError("road_factor and speed_kmh must be positive")
    per_km = road_factor / speed_kmh * 60
    return [[0 if i == j else math.ceil(distance_km(a, b) * per_km - 1e-9) for j, b in enumerate(points)]
            for i, a in enumerate(points)]


def osrm_matrix(points: list[tuple[float, float]], *, url: str, timeout: float = 10.0) -> list[list[int]]:
    """Whole minutes (rounded up) between every pair of points from an OSRM server's table service.

    Raises OSError when the server cannot be reached or does not answer with a full table."""
    coords = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
    request = f"{url.rstrip('/')}/table/v1/driving/{coords}?annotations=duration"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
            body = json.load(response)
    except (OSError, ValueError) as exc:
        raise OSError(f"OSRM at {url}: {exc}") from exc
    durations = body.get("durations") if isinstance(body, dict) else None
    if body.get("code") != "Ok" or not durations or len(durations) != len(points):
        raise OSError(f"OSRM at {url}: no duration table in the answer")
    out = []
    for row in durations:
        if len(row) != len(points) or any(v is None for v in row):
            raise OSError(f"OSRM at {url}: some points cannot be reached by road")
        out.append([math.ceil(v / 60 - 1e-9) for v in row])
    for i in range(len(out)):
        out[i][i] = 0
    return out
