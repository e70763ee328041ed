"""The card's grade section: grade over time, in region and team, and any override."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.permissions import can_edit_customer
from kehu.customers.card import CardSection, register_section

from .models import GradeOverride, OverrideStatus


def _grades(request, customer):
    from .services import can_approve_override, grade_history, grade_in_scopes, overrides_in_force

    in_force = overrides_in_force(on=timezone.localdate(), customer_ids=[customer.pk]).get(customer.pk)
    pending = list(GradeOverride.objects.filter(customer=customer, status=OverrideStatus.PENDING)
                   .select_related("requested_by"))
    return {
        "history": grade_history(customer=customer, limit=12),
        "scopes": grade_in_scopes(customer=customer),
        "override": in_force,
        "pending": pending,
        "can_request": can_edit_customer(request.user, customer),
        "can_decide": [p.pk for p in pending if p.requested_by_id != request.user.pk
                       and can_approve_override(request.user, customer)],
    }


def register() -> None:
    register_section(CardSection("grades", _("ABC grade"), "analytics/card/grades.html", _grades, order=35))
