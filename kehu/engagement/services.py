"""Touchpoints (P4): logged, scheduled, completed; reminders turned into planned touchpoints."""

import datetime
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.accounts.permissions import can_edit_customer
from kehu.core.queries import as_id
from kehu.customers.models import Contact, Customer

from .models import LifeEvent, LifeEventKind, TouchMethod, Touchpoint, TouchStatus, TouchTotal

MAX_COST = Decimal("1000000")
# Called with a customer's id after its touch total changed (the prospecting app keeps its yield
# summary current this way, as apps further down may not be imported here).
TOTAL_CHANGED: list[Callable[[int], None]] = []


def _count_done(touch: Touchpoint) -> None:
    """Add a done touch to its customer's running total (one conditional UPDATE; the row is made on
    the first touch, and a race to make it retries as an UPDATE)."""
    _add_to_total(touch)
    for listener in TOTAL_CHANGED:
        listener(touch.customer_id)


def _add_to_total(touch: Touchpoint) -> None:
    from django.db.models import F, Value
    from django.db.models.functions import Coalesce, Greatest

    change = {"touches": F("touches") + 1, "cost": F("cost") + touch.cost,
              "last_done_on": Greatest(Coalesce(F("last_done_on"), Value(touch.done_on)), Value(touch.done_on))}
    if TouchTotal.objects.filter(pk=touch.customer_id).update(**change):
        return
    try:
        with transaction.atomic():
            TouchTotal.objects.create(customer_id=touch.customer_id, touches=1, cost=touch.cost,
                                      last_done_on=touch.done_on)
    except IntegrityError:
        TouchTotal.objects.filter(pk=touch.customer_id).update(**change)


def _check_customer(user: User, customer: Customer) -> None:
    if not can_edit_customer(user, customer):
        raise PermissionDenied(_("You may not log touches for this customer."))


def _clean(*, customer: Customer, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    method = data.get("method") or ""
    if method not in TouchMethod.values:
        errors["method"] = [_("Choose how you touch the customer.")]
    out["method"] = method
    contact = data.get("contact")
    if contact not in (None, ""):
        contact_id: Any = contact.pk if isinstance(contact, Contact) else contact  # an id as given, checked below
        number = as_id(contact_id)
        found = Contact.objects.filter(pk=number, customer=customer).first() if number else None
        if found is None:
            errors["contact"] = [_("This person is not a contact of this customer.")]
        out["contact"] = found
    raw_cost = data.get("cost")
    try:
        cost = Decimal(str(raw_cost).replace(",", "").strip()) if raw_cost not in (None, "") else Decimal("0")
        if not cost.is_finite() or cost < 0 or cost > MAX_COST:
            raise InvalidOperation
        out["cost"] = cost.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors["cost"] = [_("The cost must be an amount between 0 and 1,000,000 yuan.")]
    out["outcome"] = (data.get("outcome") or "").strip()[:300]
    out["notes"] = (data.get("notes") or "").strip()[:300]
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def touchpoint_log(*, user: User, customer: Customer, data: dict[str, Any], today: datetime.date | None = None) -> Touchpoint:
    """Record a touch that happened (on ``done_on``, default today)."""
    _check_customer(user, customer)
    today = today or timezone.localdate()
    values = _clean(customer=customer, data=data)
    done_on = data.get("done_on") or today
    if done_on > today:
        raise ValidationError({"done_on": [_("A touch that is done cannot be in the future; plan it instead.")]})
    touch = Touchpoint.objects.create(customer=customer, rep=user, status=TouchStatus.DONE, done_on=done_on, **values)
    _count_done(touch)
    return touch


@transaction.atomic
def touchpoint_plan(*, user: User, customer: Customer, data: dict[str, Any], today: datetime.date | None = None,
                    reminder_key: str = "") -> Touchpoint:
    """Schedule a touch for ``planned_on``; a reminder's key makes planning it twice a no-op."""
    _check_customer(user, customer)
    today = today or timezone.localdate()
    values = _clean(customer=customer, data=data)
    planned_on = data.get("planned_on")
    if not planned_on:
        raise ValidationError({"planned_on": [_("Give the date the touch is planned for.")]})
    if planned_on < today:
        raise ValidationError({"planned_on": [_("A planned touch cannot be in the past; log it as done instead.")]})
    if reminder_key:
        existing = Touchpoint.objects.filter(customer=customer, reminder_key=reminder_key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            return Touchpoint.objects.create(customer=customer, rep=user, status=TouchStatus.PLANNED,
                                             planned_on=planned_on, reminder_key=reminder_key, **values)
    except IntegrityError:  # planned from the same reminder at the same moment elsewhere
        return Touchpoint.objects.get(customer=customer, reminder_key=reminder_key)


@transaction.atomic
def touchpoint_complete(*, user: User, touchpoint: Touchpoint, outcome: str = "", cost: Any = None,
                        today: datetime.date | None = None) -> Touchpoint:
    """A planned touch done: its outcome and cost recorded."""
    touchpoint = Touchpoint.objects.select_for_update(of=("self",)).select_related("customer").get(pk=touchpoint.pk)
    _check_customer(user, touchpoint.customer)
    if touchpoint.status != TouchStatus.PLANNED:
        raise ValidationError(_("Only a planned touch can be marked done."))
    values = _clean(customer=touchpoint.customer, data={"method": touchpoint.method, "outcome": outcome, "cost": cost,
                                                        "notes": touchpoint.notes})
    touchpoint.status = TouchStatus.DONE
    touchpoint.done_on = today or timezone.localdate()
    touchpoint.outcome = values["outcome"]
    touchpoint.cost = values["cost"] if cost not in (None, "") else touchpoint.cost
    touchpoint.save()
    _count_done(touchpoint)
    return touchpoint


@transaction.atomic
def touchpoint_cancel(*, user: User, touchpoint: Touchpoint) -> Touchpoint:
    touchpoint = Touchpoint.objects.select_for_update(of=("self",)).select_related("customer").get(pk=touchpoint.pk)
    _check_customer(user, touchpoint.customer)
    if touchpoint.status != TouchStatus.PLANNED:
        raise ValidationError(_("Only a planned touch can be cancelled."))
    touchpoint.status = TouchStatus.CANCELLED
    touchpoint.save(update_fields=["status", "updated_at"])
    return touchpoint


@transaction.atomic
def touchpoint_reschedule(*, user: User, touchpoint: Touchpoint, planned_on: datetime.date, notes: str,
                          today: datetime.date | None = None) -> Touchpoint:
    """A planned touch moved to another day, or its notes changed (a visit's next step corrected)."""
    touchpoint = Touchpoint.objects.select_for_update(of=("self",)).select_related("customer").get(pk=touchpoint.pk)
    _check_customer(user, touchpoint.customer)
    if touchpoint.status != TouchStatus.PLANNED:
        raise ValidationError(_("Only a planned touch can be moved."))
    if planned_on < (today or timezone.localdate()):
        raise ValidationError({"planned_on": [_("A planned touch cannot be in the past; log it as done instead.")]})
    touchpoint.planned_on = planned_on
    touchpoint.notes = _clean(customer=touchpoint.customer, data={"method": touchpoint.method, "notes": notes})["notes"]
    touchpoint.save(update_fields=["planned_on", "notes", "updated_at"])
    return touchpoint


@transaction.atomic
def life_event_note(*, user: User, contact: Contact, kind: str, on: datetime.date, notes: str = "") -> LifeEvent:
    """A wedding, a bereavement… noted on a contact, so the greeting or condolence is not missed."""
    _check_customer(user, contact.customer)
    if kind not in LifeEventKind.values:
        raise ValidationError({"kind": [_("Choose the occasion.")]})
    if not isinstance(on, datetime.date):
        raise ValidationError({"on": [_("Give the date of the occasion.")]})
    return LifeEvent.objects.create(contact=contact, kind=kind, on=on, notes=(notes or "").strip()[:200],
                                    created_by=user)


@transaction.atomic
def reminder_plan(*, user: User, key: str, today: datetime.date | None = None) -> list[Touchpoint]:
    """Turn one of the user's reminders into planned touchpoints in one step: a birthday gift, a
    greeting or a condolence for the contact; for a festival, a greeting to each of the rep's
    customers and yellow prospects. Planning the same reminder again adds nothing."""
    from .selectors import festival_greeting_targets, reminders_for

    today = today or timezone.localdate()
    reminder = next((r for r in reminders_for(user=user, today=today, days=31) if r.key == key), None)
    if reminder is None:
        raise ValidationError(_("This reminder is no longer due."))
    if reminder.kind == "due":
        return list(Touchpoint.objects.filter(pk=reminder.touchpoint_id))  # type: ignore[misc]  # a due reminder has one
    when = max(reminder.date, today)
    data = {"method": reminder.method, "planned_on": when, "notes": reminder.title}
    if reminder.customer_id:
        customer = Customer.objects.get(pk=reminder.customer_id)
        data["contact"] = reminder.contact_id
        return [touchpoint_plan(user=user, customer=customer, data=data, today=today, reminder_key=reminder.key)]
    return [touchpoint_plan(user=user, customer=c, data=data, today=today, reminder_key=reminder.key)
            for c in festival_greeting_targets(user=user)]
