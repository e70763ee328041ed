"""The prospecting section of the customer card: origin, colour and decision with their history."""

from django.utils.translation import gettext_lazy as _

from kehu.accounts.permissions import can_edit_customer
from kehu.customers.card import CardSection, register_section
from kehu.customers.models import Lifecycle, PursuitDecision

from .models import ProspectOrigin, SharedPoolEntry


def _prospecting(request, customer):
    origin = ProspectOrigin.objects.filter(customer=customer).select_related(
        "exhibition", "campaign", "clipping", "former_contact").first()
    in_pool = SharedPoolEntry.objects.filter(customer=customer, claimed_by__isnull=True, closed=False).exists()
    return {
        "origin": origin,
        "colours": customer.colour_changes.select_related("by")[:10],
        "decisions": customer.decision_changes.select_related("by")[:10],
        "in_pool": in_pool,
        "is_prospect": customer.lifecycle == Lifecycle.PROSPECT,
        "given_up": customer.pursuit == PursuitDecision.GIVE_UP or in_pool,
        "can_edit": can_edit_customer(request.user, customer),
    }


def register() -> None:
    register_section(CardSection("prospecting", _("Prospect development"), "prospecting/card/prospecting.html",
                                 _prospecting, order=25))
