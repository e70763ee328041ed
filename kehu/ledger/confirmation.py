"""The confirm step of an order, owned by whichever app checks orders before they go ahead.

The credit app registers its checked confirmation in its AppConfig.ready(); the ledger calls it
without importing credit. Only one step can be registered: a second registration is a mistake.
"""

from collections.abc import Callable
from typing import Any

_STEP: Callable[..., Any] | None = None


def register(step: Callable[..., Any]) -> None:
    global _STEP
    if _STEP is not None and _STEP is not step:
        raise RuntimeError("An order confirm step is already registered.")
    _STEP = step


def registered() -> Callable[..., Any] | None:
    return _STEP
