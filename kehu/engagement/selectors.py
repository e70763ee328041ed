"""Reads of touchpoints and reminders, always through the user's visibility."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, QuerySet
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.lunar import next_occurrence
from kehu.core.queries import get_or_404
from kehu.customers.models import ColourGrade, Contact, Customer, Lifecycle, PursuitDecision
from kehu.customers.selectors import customer_visible

from .festivals import festivals_between
from .models import LifeEvent, LifeEventKind, TouchMethod, Touchpoint, TouchStatus


def touchpoint_visible(*, user: User) -> QuerySet[Touchpoint]:
    return Touchpoint.objects.filter(customer__in=customer_visible(user=user))


def touchpoint_get(*, user: User, pk: Any) -> Touchpoint:
    return get_or_404(touchpoint_visible(user=user).select_related("customer__owner__team", "contact", "rep"), pk)


def touchpoint_list(*, user: User, customer: int | None = None, status: str = "", mine: bool = False) -> QuerySet[Touchpoint]:
    qs = touchpoint_visible(user=user)
    if customer:
        qs = qs.filter(customer_id=customer)
    if status:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(rep=user)
    return qs.select_related("customer", "contact", "rep")


def customer_timeline(*, customer: Customer, limit: int = 30) -> list[Touchpoint]:
    """The customer's touches, planned ones first (soonest first), then done ones (latest first)."""
    planned = list(customer.touchpoints.filter(status=TouchStatus.PLANNED).select_related("contact", "rep")
                   .order_by("planned_on", "id")[:limit])
    done = list(customer.touchpoints.exclude(status=TouchStatus.PLANNED).select_related("contact", "rep")
                .order_by("-done_on", "-id")[:limit])
    return planned + done


# P3/P5: how often to touch, by colour (and a low-cadence pursuit decision), in days.
CADENCE_DAYS = {ColourGrade.YELLOW: 7, ColourGrade.GREEN: 30, ColourGrade.RED: 14, "": 30}
LOW_CADENCE_DAYS = 60
CADENCE_METHODS = {
    ColourGrade.YELLOW: [TouchMethod.VISIT, TouchMethod.CALL],
    ColourGrade.GREEN: [TouchMethod.LETTER, TouchMethod.BROCHURE, TouchMethod.CHAT],
    ColourGrade.RED: [TouchMethod.VISIT, TouchMethod.PROMOTION],
    "": [TouchMethod.LETTER, TouchMethod.CALL],
}


@dataclass
class Cadence:
    every_days: int
    last_touch: datetime.date | None
    next_touch: datetime.date
    overdue: bool
    methods: list[str]


def cadence_suggestion(*, customer: Customer, today: datetime.date) -> Cadence | None:
    """When to touch next: the colour's interval after the last touch done; None for a given-up prospect."""
    if customer.pursuit == PursuitDecision.GIVE_UP or customer.lifecycle == Lifecycle.LOST:
        return None
    every = LOW_CADENCE_DAYS if customer.pursuit == PursuitDecision.LOW_CADENCE else CADENCE_DAYS.get(customer.colour, 30)
    last = customer.touchpoints.filter(status=TouchStatus.DONE).aggregate(m=Max("done_on"))["m"]
    nxt = (last + datetime.timedelta(days=every)) if last else today
    methods = [str(TouchMethod(m).label) for m in CADENCE_METHODS.get(customer.colour, CADENCE_METHODS[""])]
    return Cadence(every, last, max(nxt, today) if not last else nxt, nxt < today, methods)


@dataclass
class Reminder:
    kind: str  # birthday, festival, occasion, due
    date: datetime.date
    title: str
    key: str  # what planning it records, so it is planned once
    method: str
    customer_id: int | None = None
    customer_name: str = ""
    contact_id: int | None = None
    touchpoint_id: int | None = None


def _birthday_reminders(book: QuerySet[Customer], today: datetime.date, until: datetime.date) -> list[Reminder]:
    out = []
    contacts = (Contact.objects.filter(customer__in=book, birthday_month__isnull=False, birthday_day__isnull=False)
                .select_related("customer").only("name", "birthday_month", "birthday_day", "birthday_lunar",
                                                 "birthday_leap", "customer__name"))
    for contact in contacts.iterator(chunk_size=2000):
        day = next_occurrence(today=today, month=contact.birthday_month, day=contact.birthday_day,  # type: ignore[arg-type]  # not null, as filtered
                              lunar=contact.birthday_lunar, leap=contact.birthday_leap)
        if day and day <= until:
            label = _("%(name)s's birthday (lunar)") if contact.birthday_lunar else _("%(name)s's birthday")
            out.append(Reminder("birthday", day, label % {"name": contact.name}, f"birthday:{contact.pk}:{day.year}",
                                TouchMethod.BIRTHDAY_GIFT, contact.customer_id, contact.customer.name, contact.pk))
    return out


def _occasion_reminders(book: QuerySet[Customer], today: datetime.date, until: datetime.date) -> list[Reminder]:
    out = []
    # A bereavement is answered after it happens: recent ones (a week back) still call for condolences.
    events = LifeEvent.objects.filter(contact__customer__in=book, on__gte=today - datetime.timedelta(days=7),
                                      on__lte=until).select_related("contact__customer")
    for event in events:
        method = TouchMethod.CONDOLENCE if event.kind == LifeEventKind.BEREAVEMENT else TouchMethod.GREETING
        out.append(Reminder("occasion", event.on, f"{event.contact.name}: {event.get_kind_display()}",
                            f"occasion:{event.pk}", method, event.contact.customer_id, event.contact.customer.name,
                            event.contact_id))
    return out


def reminders_for(*, user: User, today: datetime.date, days: int = 14) -> list[Reminder]:
    """What the rep should act on in the next ``days``: their contacts' birthdays (solar or lunar),
    the festivals, occasions noted on contacts, and planned touches due (overdue ones included)."""
    until = today + datetime.timedelta(days=days)
    book = Customer.objects.filter(owner=user).exclude(lifecycle=Lifecycle.LOST)
    out = _birthday_reminders(book, today, until) + _occasion_reminders(book, today, until)
    for festival in festivals_between(today, until):
        out.append(Reminder("festival", festival.date, str(festival.name), f"festival:{festival.code}:{festival.date.year}",
                            TouchMethod.GREETING))
    due = Touchpoint.objects.filter(rep=user, status=TouchStatus.PLANNED, planned_on__lte=until).select_related("customer")
    for touch in due.order_by("planned_on")[:200]:
        out.append(Reminder("due", touch.planned_on, f"{touch.get_method_display()} · {touch.customer.name}",  # type: ignore[arg-type]  # planned: has a date
                            f"touch:{touch.pk}", touch.method, touch.customer_id, touch.customer.name,
                            touch.contact_id, touchpoint_id=touch.pk))
    return sorted(out, key=lambda r: (r.date, r.kind, r.title))


def festival_greeting_targets(*, user: User) -> QuerySet[Customer]:
    """Whom a festival greeting goes to: the rep's customers and their yellow prospects."""
    from django.db.models import Q

    return Customer.objects.filter(owner=user).filter(
        Q(lifecycle=Lifecycle.CUSTOMER) | Q(lifecycle=Lifecycle.PROSPECT, colour=ColourGrade.YELLOW))
