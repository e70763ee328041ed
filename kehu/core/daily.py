"""Scheduled work that `kehu daily` runs. Apps register their jobs in AppConfig.ready().

Each job must be idempotent: run twice on one day, it changes nothing the second time.
"""

import datetime
from collections.abc import Callable

_JOBS: dict[str, Callable[..., object]] = {}


def register(name: str, job: Callable[..., object]) -> None:
    _JOBS[name] = job


def jobs() -> dict[str, Callable[..., object]]:
    return dict(_JOBS)


def run_all(*, today: datetime.date, progress: Callable[[int, int, str], None] | None = None) -> dict[str, object]:
    """Run every registered job in name order; ``progress(n, total, name)`` before each."""
    results: dict[str, object] = {}
    names = sorted(_JOBS)
    for index, name in enumerate(names, start=1):
        if progress is not None:
            progress(index, len(names), name)
        results[name] = _JOBS[name](today=today)
    return results
