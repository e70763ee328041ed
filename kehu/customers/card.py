"""The customer card is built from sections that other apps contribute.

The ledger adds orders and payments, and later apps (credit, visits, engagement) add theirs,
without the customers app importing any of them: each registers its sections in its
AppConfig.ready(), and the card view renders whatever is registered, in order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class CardSection:
    key: str  # also the HTML anchor
    title: Any  # lazy translatable string
    template: str
    context: Callable[[HttpRequest, Any], dict[str, Any]]
    order: int = 100
    # "body": a section of the card; "figures": the strip of figures at the top; "actions": buttons
    # in the card's header (the main things people do from the card).
    placement: str = "body"


_SECTIONS: dict[str, CardSection] = {}


def register_section(section: CardSection) -> None:
    _SECTIONS[section.key] = section


def sections() -> list[CardSection]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))
