"""The prospecting jobs of `kehu daily`."""

import datetime

from .services import pool_sweep_untouched


def sweep_untouched(*, today: datetime.date) -> int:
    return pool_sweep_untouched(today=today)
