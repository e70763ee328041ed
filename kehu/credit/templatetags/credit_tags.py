"""How credit figures read on a page: what a limit leaves, never a negative "available"."""

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


def money(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


@register.simple_tag
def available_credit(available: Decimal | None) -> str:
    """``available ¥X`` within the limit; ``over the limit by ¥Y`` past it; nothing without a limit."""
    if available is None:
        return ""
    if available < 0:
        return format_html('<b class="over-limit nowrap">{}</b>', _("over the limit by %(amount)s") % {"amount": money(-available)})
    return format_html('<span class="available nowrap">{}</span>', _("available %(amount)s") % {"amount": money(available)})


@register.filter
def bucket_label(bucket: str) -> str:
    """An ageing bucket's column heading: "Current", "1–30", …, "90+"."""
    return _("Current") if bucket == "current" else bucket.replace("-", "–")
