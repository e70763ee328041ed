"""The prospecting jobs of `kehu daily`."""

import datetime

from .services import origins_refresh, pool_sweep_untouched


def sweep_untouched(*, today: datetime.date) -> int:
    return pool_sweep_untouched(today=today)


def refresh_yield(*, today: datetime.date) -> int:
    return origins_refresh(today=today)


def warn_low_pools(*, today: datetime.date) -> int:
    """P2 in the inbox, Mondays: each rep and supervisor whose pool is below target is told once."""
    from django.utils.translation import gettext_lazy

    from kehu.accounts.models import Notification, Role, User
    from kehu.accounts.services import notify
    from kehu.core.messages import joined, message

    from .selectors import pool_counts

    if today.weekday() != 0:
        return 0
    sent = 0
    for user in User.objects.filter(is_active=True, role__in=[Role.REP, Role.SUPERVISOR]):
        below = [c for c in pool_counts(user=user) if c.below]
        if not below:
            continue
        text = message(gettext_lazy("Prospect pools below target: %(list)s"), list=joined("; ", [
            message("%(label)s %(count)s/%(target)s", label=c.label, count=c.count, target=c.target) for c in below]))
        if Notification.objects.filter(user=user, created_at__date=today, link="/prospecting/").exists():
            continue  # told today already: the job is idempotent
        sent += notify(users=[user], text=text, link="/prospecting/")
    return sent
