"""The credit section of the customer card (K1–K2)."""

from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Role
from kehu.customers.card import CardSection, register_section


def _credit(request, customer):
    from . import selectors

    return {**selectors.credit_summary(customer=customer),
            "can_investigate": request.user.role != Role.ADMIN or request.user.is_superuser}


def register() -> None:
    register_section(CardSection("credit", _("Credit"), "credit/card.html", _credit, order=30))
