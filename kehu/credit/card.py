"""The credit section of the customer card (K1–K2)."""

from django.utils.translation import gettext_lazy as _

from kehu.customers.card import CardSection, register_section


def _credit(request, customer):
    from . import permissions, selectors

    user = request.user
    return {**selectors.credit_summary(customer=customer),
            "can_freeze": permissions.can_freeze(user),
            "can_write_off": permissions.can_write_off(user)}


def register() -> None:
    register_section(CardSection("credit", _("Credit"), "credit/card.html", _credit, order=30))
