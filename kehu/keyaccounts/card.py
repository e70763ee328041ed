"""The card's needs-match section (C4) and the key-account strip, contributed to the customer card."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.customers.card import CardSection, register_section

from .selectors import needs_match


def _needs(request, customer):
    from .services import is_management

    return {"matches": needs_match(customer=customer, today=timezone.localdate()),
            "can_mark": is_management(request.user) and not customer.is_key_account}


def register() -> None:
    register_section(CardSection("needs-match", _("Needs match"), "keyaccounts/card/needs_match.html", _needs, order=30))
