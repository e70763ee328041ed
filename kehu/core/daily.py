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


def run_all(*, today: datetime.date) -> dict[str, object]:
    return {name: job(today=today) for name, job in sorted(_JOBS.items())}
