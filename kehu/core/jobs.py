"""Long work in the worker process, with progress that a page and the terminal can show.

Imports, large exports, re-grading and route planning run as django-tasks tasks (database backend)
in `kehu worker`, never as threads of the web server. This module is the one shared way to do it;
the ``Job`` row (kehu.core.models) holds who asked, how far it is and how it ended.

An app writes its work as a plain service function with an optional progress callback, and a thin
task in its own ``tasks.py``::

    # kehu/analytics/tasks.py
    from django_tasks import task
    from kehu.core import jobs

    @task()
    def regrade(job_id: int) -> None:
        with jobs.running(job_id) as run:           # claims the job, records this process
            figures = services.regrade(progress=run.progress)   # progress(done, total)
            run.result = {"customers": figures.count}           # kept on the job, JSON

    # the view
    job = jobs.start(kind="analytics.regrade", user=request.user, task=tasks.regrade)
    return redirect(...)  # a page that includes "core/partials/job_progress.html"

The partial ``core/partials/job_progress.html`` shows a progress bar and polls itself with htmx
while the job runs: render it with ``{"job": job, "poll_url": url}``; ``poll_url`` answers with
the same partial: ``reverse("job_progress", args=[job.pk])`` is a ready one (kehu.core.views), for
the job's owner only.

A job whose process dies (killed, out of memory, host restarted) cannot say so itself: ``sweep``
marks it failed with a message. It runs when `kehu worker` starts, in `kehu daily`, and when a
page polls the job. Its data is all-or-nothing as long as the work runs in one transaction, as
imports do: a killed process never commits. Apps that keep their own state beside the job (an
import's page) register ``on_failure(kind, callback)`` to hear of it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Job, JobStatus

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]
_ON_FAILURE: dict[str, Callable[[Job], None]] = {}
_SAVED_AS_IT_GOES: set[str] = set()


class JobError(Exception):
    """A failure whose message the user may read (already in their language)."""


def on_failure(kind: str, callback: Callable[[Job], None]) -> None:
    """Call ``callback(job)`` whenever a job of ``kind`` fails, by an error or by ``sweep``."""
    _ON_FAILURE[kind] = callback


def saves_as_it_goes(kind: str) -> None:
    """Jobs of ``kind`` save their work piece by piece (geocoding), not in one transaction: one
    whose worker died has kept what it did, and ``sweep`` says so."""
    _SAVED_AS_IT_GOES.add(kind)


def host_name() -> str:
    return socket.gethostname()[:255]


def start(*, kind: str, user: Any = None, task: Any, total: int = 0, **kwargs: Any) -> Job:
    """Create a job and queue ``task(job_id=…, **kwargs)`` for the worker. Inside a transaction the
    task is queued with it: a job that rolls back is never run (the queue is in the same database)."""
    job = Job.objects.create(kind=kind, user=user, total=total)
    queued = task.enqueue(job_id=job.pk, **kwargs)
    # The immediate backend (tests, `kehu` commands) has run the task already; keep what it wrote.
    Job.objects.filter(pk=job.pk).update(task_id=str(queued.id))
    job.refresh_from_db()
    return job


class _Writer:
    """Writes progress to the job row from its own thread (its own connection), at most once a
    second, so a poll from any server sees it even while the work's transaction is open."""

    def __init__(self, job_id: int, *, live: bool) -> None:
        self.job_id, self.live = job_id, live
        self.done, self.total = 0, 0
        self.written = (-1, -1)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True) if live else None
        if self.thread:
            self.thread.start()

    def __call__(self, done: int, total: int | None) -> None:
        self.done, self.total = done, max(total or 0, done)

    def _write(self) -> None:
        if (self.done, self.total) != self.written:
            Job.objects.filter(pk=self.job_id).update(done=self.done, total=self.total, updated_at=timezone.now())
            self.written = (self.done, self.total)

    def _loop(self) -> None:
        try:
            while not self.stop.wait(1.0):
                self._write()
        finally:
            connection.close()

    def close(self) -> None:
        self.stop.set()
        if self.thread:
            self.thread.join()


@dataclass
class Run:
    """What the work inside ``running`` uses: ``progress(done, total)`` and ``result`` to keep."""

    job: Job
    progress: Progress
    result: dict[str, Any] = field(default_factory=dict)


def claim(job_id: int) -> bool:
    """Mark a queued job as running in this process; False if it was not waiting."""
    now = timezone.now()
    return bool(Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, host=host_name(), pid=os.getpid(), started_at=now, updated_at=now))


@contextmanager
def running(job_id: int, *, live: bool | None = None, claimed: bool = False) -> Iterator[Run]:
    """Claim a queued job for this process, hand the work its progress callback, and record how
    it ended: done with ``run.result``, or failed with the error's message (a ``JobError``'s own
    words, else "stopped with an internal error") before the error goes on to the task.

    ``live=False`` keeps progress back until the end: on SQLite, while the work holds the one write
    lock, no other connection can write (the default is live except inside a SQLite write)."""
    if not claimed and not claim(job_id):  # ``claimed``: the task claimed it itself (claim)
        raise JobError(_("This job is not waiting to run (it ran already, or failed)."))
    job = Job.objects.get(pk=job_id)
    writer = _Writer(job_id, live=connection.vendor != "sqlite" if live is None else live)
    run = Run(job=job, progress=writer)
    try:
        yield run
    except BaseException as exc:
        writer.close()
        if isinstance(exc, JobError):
            message = str(exc)
        else:
            log.exception("job %s (%s) failed", job_id, job.kind)
            message = _("The work stopped with an internal error; nothing was saved.")
        fail(job_id=job_id, message=message)
        raise
    writer.close()
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.DONE, done=max(writer.done, writer.total), total=max(writer.total, writer.done),
        result=run.result, finished_at=timezone.now(), updated_at=timezone.now())


def fail(*, job_id: int, message: str) -> bool:
    """Mark a job that has not ended as failed with ``message``; False if it had ended already."""
    now = timezone.now()
    changed = Job.objects.filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=JobStatus.FAILED, message=message, finished_at=now, updated_at=now)
    if changed:
        job = Job.objects.get(pk=job_id)
        callback = _ON_FAILURE.get(job.kind)
        if callback is not None:
            callback(job)
    return bool(changed)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process by that number: alive
        return True
    return True


def _task_status(task_id: str) -> str | None:
    from django_tasks_db.models import DBTaskResult

    if not task_id:
        return None
    return DBTaskResult.objects.filter(pk=task_id).values_list("status", flat=True).first()


def _close_task(task_id: str) -> None:
    """The task result of a process that died stays RUNNING in django-tasks; close it as FAILED."""
    from django_tasks_db.models import DBTaskResult

    if task_id:
        DBTaskResult.objects.filter(pk=task_id, status="RUNNING").update(
            status="FAILED", finished_at=timezone.now(), exception_class_path="kehu.core.jobs.Lost",
            traceback="the worker process died while running this task")


def sweep(*, ids: list[int] | None = None) -> int:
    """Fail the jobs whose work can no longer end: running in a process of this host that is gone,
    or whose task django-tasks finished without the job hearing of it. Returns how many."""
    here = host_name()
    jobs = Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    if ids is not None:
        jobs = jobs.filter(pk__in=ids)
    failed = 0
    for job in jobs.only("pk", "kind", "status", "host", "pid", "task_id"):
        task_status = _task_status(job.task_id)
        lost = (job.status == JobStatus.RUNNING and job.host == here and job.pid and not _process_alive(job.pid)) \
            or task_status in ("FAILED", "SUCCESSFUL")
        if not lost:
            continue
        if job.kind in _SAVED_AS_IT_GOES:
            message = _("The worker running this job stopped before it finished; what it did until then "
                        "is kept. Start it again for the rest.")
        else:
            message = _("The worker running this job stopped before it finished; nothing of it was saved. "
                        "Start it again.")
        with transaction.atomic():
            if fail(job_id=job.pk, message=message):
                failed += 1
            _close_task(job.task_id)
    return failed


def job_get(*, user: Any, pk: int) -> Job:
    """A job its owner reads (Job.DoesNotExist for anyone else's)."""
    return Job.objects.get(pk=pk, user=user)
