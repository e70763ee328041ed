"""Imports of large files run in the worker process (`kehu worker`), as kehu.core.jobs jobs."""

from django.db import connection
from django_tasks import task

from kehu.core import jobs

from . import services
from .models import ImportJob


@task()
def import_run(job_id: int, import_id: int, commit: bool) -> None:
    # SQLite has one writer: while the commit holds it, progress cannot be written beside it.
    with jobs.running(job_id, live=not (commit and connection.vendor == "sqlite")) as run:
        outcome = services.job_run(job=ImportJob(pk=import_id), commit=commit, progress=run.progress)
        run.result = {"rows": outcome.rows, "created": outcome.created, "updated": outcome.updated,
                      "errors": outcome.error_count, "committed": outcome.committed}
