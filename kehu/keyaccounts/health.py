"""The key-account health panel is built from parts, some contributed by later apps.

Field work adds the last visits without the key-account programme importing it (visits depends on
keyaccounts, never the other way): an app registers its part in its AppConfig.ready(), and the
detail page renders whatever is registered, in order, inside the health panel, as the customer
card does with its sections (kehu/customers/card.py).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string


@dataclass(frozen=True)
class HealthPart:
    key: str
    template: str
    context: Callable[[HttpRequest, Any], dict[str, Any]]
    order: int = 100


_PARTS: dict[str, HealthPart] = {}


def register_part(part: HealthPart) -> None:
    _PARTS[part.key] = part


def parts() -> list[HealthPart]:
    return sorted(_PARTS.values(), key=lambda p: (p.order, p.key))


def render_parts(request: HttpRequest, customer) -> list[str]:
    """Each registered part rendered for one key account (its own template and context)."""
    return [render_to_string(p.template, {**p.context(request, customer), "customer": customer}, request)
            for p in parts()]
