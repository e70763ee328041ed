"""Route planning for a team, run in a worker (``kehu db_worker``)."""

import datetime

from django_tasks import task

from kehu.accounts.models import User

from .services import team_routes


@task()
def plan_team_routes(*, rep_ids: list[int], dates: list[str], time_limit: float | None = None) -> dict:
    """Route every rep-day of these reps on these days (ISO dates); returns what was placed."""
    reps = list(User.objects.filter(pk__in=rep_ids).order_by("pk"))
    return team_routes(reps=reps, dates=[datetime.date.fromisoformat(d) for d in dates], time_limit=time_limit)
