"""The customer card's field-work section: cadence, last visits, next planned visits, opening hours;
and the last visits of the key-account health panel."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.permissions import can_edit_customer
from kehu.customers.card import CardSection, register_section
from kehu.keyaccounts.health import HealthPart, register_part
from kehu.keyaccounts.selectors import senior_visit_cadence


def _visits(request, customer):
    from .models import EntryStatus, OpeningHours, PlanEntry, Visit
    from .selectors import cadence_days
    from .services import cadence_for, has_senior_cadence, policy_current

    cadence = cadence_for(customer, policy_current())
    # the key-account programme's senior cadence replaces the policy's monthly senior visit, as in planning
    senior_every = senior_visit_cadence([customer.pk]).get(customer.pk) if has_senior_cadence(customer) else None
    hours = OpeningHours.objects.filter(customer=customer).first()
    return {
        "cadence": cadence, "cadence_days": cadence_days(cadence.per_month), "senior_every": senior_every,
        "last_visits": Visit.objects.filter(customer=customer).select_related("rep")[:5],
        "next_entries": PlanEntry.objects.filter(customer=customer, status=EntryStatus.PLANNED,
                                                 date__gte=timezone.localdate()).select_related("companion")[:5],
        "hours": hours.windows if hours else "",
        "can_edit_hours": can_edit_customer(request.user, customer),
    }


def _key_account_visits(request, customer):
    from .models import EntryKind, EntryStatus, Visit

    visits = list(Visit.objects.filter(customer=customer).select_related("rep", "entry__companion")[:5])
    senior = (Visit.objects.filter(customer=customer, entry__kind=EntryKind.SENIOR)
              .exclude(entry__status=EntryStatus.CANCELLED).order_by("-checked_in_at").first())
    return {"last_visits": visits, "last_senior": senior}


def register() -> None:
    register_section(CardSection("visits", _("Visits"), "visits/card.html", _visits, order=40))
    # The key-account health panel's last visits (the programme cannot import field work).
    register_part(HealthPart("last-visits", "visits/keyaccount_health.html", _key_account_visits, order=40))
