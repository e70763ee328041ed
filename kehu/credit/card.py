"""The credit section of the customer card (K1–K2)."""

from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Role
from kehu.customers.card import CardSection, register_section


def _credit(request, customer):
    from . import selectors

    user = request.user
    return {**selectors.credit_summary(customer=customer),
            "can_freeze": user.is_superuser or user.role in {Role.CREDIT, Role.SENIOR},
            "can_write_off": user.is_superuser or user.role == Role.CREDIT}


def register() -> None:
    register_section(CardSection("credit", _("Credit"), "credit/card.html", _credit, order=30))
