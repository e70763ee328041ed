"""Re-grading in the worker process (a full re-grade of a large company takes a while)."""

import datetime

from django_tasks import task


@task()
def regrade(*, as_of: str | None = None, scope: str = "company") -> dict:
    from .services import abc_run

    result = abc_run(as_of=datetime.date.fromisoformat(as_of) if as_of else None, scope=scope)
    return {"run": result.run.pk if result.run else None, "customers": len(result.rows), "changed": len(result.changes)}
