"""Panels other apps add to the order pages, the way the customer card takes sections.

The credit app shows the customer's credit position on the order form and the latest check on
an order's page without the ledger importing credit: it registers its panels in its
AppConfig.ready(), and the order views render whatever is registered for the page, in order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

ORDER_FORM = "order_form"  # the panel's object is the customer the order is for
ORDER_DETAIL = "order_detail"  # the panel's object is the order


@dataclass(frozen=True)
class OrderPanel:
    key: str
    page: str
    template: str
    # The template's context, or None when the panel has nothing to say for this object.
    context: Callable[[HttpRequest, Any], dict[str, Any] | None]
    order: int = 100


_PANELS: dict[tuple[str, str], OrderPanel] = {}


def register_panel(panel: OrderPanel) -> None:
    _PANELS[(panel.page, panel.key)] = panel


def render_panels(request: HttpRequest, page: str, obj: Any) -> list[SafeString]:
    """The HTML of each panel registered for ``page`` that has something to say about ``obj``."""
    out = []
    for panel in sorted((p for p in _PANELS.values() if p.page == page), key=lambda p: (p.order, p.key)):
        context = panel.context(request, obj)
        if context is not None:
            out.append(mark_safe(render_to_string(panel.template, context, request=request)))  # noqa: S308 - our template
    return out
