from collections.abc import Iterable

from .models import Notification, User


def notify(*, users: Iterable[User], text: str, link: str = "") -> int:
    """Put a message in each person's inbox (once per person)."""
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(Notification(user=user, text=text[:500], link=link[:200]))
    Notification.objects.bulk_create(rows)
    return len(rows)
