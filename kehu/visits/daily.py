"""The daily job of field work: A customers past their cadence flagged to the rep and supervisor."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Notification
from kehu.accounts.services import notify
from kehu.core.messages import message

from .selectors import overdue_a

NUDGE_EVERY_DAYS = 7


def flag_overdue_a(*, today: datetime.date) -> int:
    """Tell the owner rep and their supervisor of each A customer past cadence, at most once a week
    per customer (so running twice on a day changes nothing)."""
    sent = 0
    since = timezone.make_aware(datetime.datetime.combine(today - datetime.timedelta(days=NUDGE_EVERY_DAYS - 1),
                                                          datetime.time.min))
    # who was told of which customer this past week: one read, not one per customer and person
    told = set(Notification.objects.filter(created_at__gte=since, link__startswith="/customers/",
                                           link__endswith="/#visits").values_list("user_id", "link"))
    for row in overdue_a(user=None, today=today):
        customer = row["customer"]
        link = f"/customers/{customer.pk}/#visits"
        people = [customer.owner]
        if customer.owner.team_id and customer.owner.team.supervisor_id:
            people.append(customer.owner.team.supervisor)
        people = [p for p in people if (p.pk, link) not in told]
        if not people:
            continue
        text = (message(gettext_lazy("A customer %(customer)s has not been visited for %(days)s days (cadence: %(limit)s days)."),
                        customer=customer.name, days=row["days"], limit=row["limit"]) if row["last"]
                else message(gettext_lazy("A customer %(customer)s has never been visited."), customer=customer.name))
        sent += notify(users=people, text=text, link=link)
    return sent
