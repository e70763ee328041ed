"""The engagement section of the customer card: the touch timeline and the cadence suggestion."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.permissions import can_edit_customer
from kehu.customers.card import CardSection, register_section

from .selectors import cadence_suggestion, customer_timeline


def _touches(request, customer):
    return {
        "timeline": customer_timeline(customer=customer),
        "cadence": cadence_suggestion(customer=customer, today=timezone.localdate()),
        "can_touch": can_edit_customer(request.user, customer),
    }


def register() -> None:
    register_section(CardSection("touches", _("Touches"), "engagement/card/touches.html", _touches, order=30))
