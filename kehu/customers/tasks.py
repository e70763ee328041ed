"""Geocoding customers' addresses in the worker process (one request per customer takes a while).

One run at a time: a run finds whether another is going and claims its own turn in one locked
transaction, so two workers never both go (the service gets one run's requests at a time, as
Nominatim's one a second asks, and no customer is asked for twice: a run reads its customers when
its turn comes). A run that finds another going does not wait in its worker — it goes back in the
queue for a little later, and the worker takes other work. A run that has not moved for a while
(its worker gone on another host) no longer holds the others back."""

import datetime
import logging
from enum import Enum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from kehu.core import jobs
from kehu.core.models import Job, JobStatus

log = logging.getLogger(__name__)

JOB_KIND = "customers.geocode"
RETRY_SECONDS = 30  # a run that found another going tries again this much later
# A going run whose progress has not moved for this long holds no one back (progress is written as
# it goes on PostgreSQL; on SQLite, the embedded single-server setup, it is written at the end).
STALE_SECONDS = 600


class Turn(Enum):
    CLAIMED = "claimed"  # no other run is going: this one is now running
    LATER = "later"  # another run is going
    GONE = "gone"  # this job is no longer waiting (ran already, failed)


def take_turn(job_id: int) -> Turn:
    """Claim the geocoding job ``job_id`` unless another geocoding run is going, in one transaction
    that locks every waiting or going geocoding job (SQLite: the write lock), so that of two workers
    at the same moment exactly one goes."""
    stale = timezone.now() - datetime.timedelta(seconds=STALE_SECONDS)
    with transaction.atomic():
        waiting = list(Job.objects.select_for_update().filter(
            kind=JOB_KIND, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).order_by("pk").values_list(
            "pk", "status", "updated_at"))
        if any(pk != job_id and status == JobStatus.RUNNING and updated >= stale for pk, status, updated in waiting):
            return Turn.LATER
        return Turn.CLAIMED if jobs.claim(job_id) else Turn.GONE


def _later(job_id: int, limit: int | None, customer_ids: list[int] | None) -> None:
    """The job back in the queue for a little later (it stays queued, with its scope)."""
    deferred = geocode.using(run_after=timezone.now() + datetime.timedelta(seconds=RETRY_SECONDS))
    if not deferred.get_backend().supports_defer:  # a queue that runs at once (tests, commands)
        jobs.fail(job_id=job_id, message=_("Another run locating customers by address is going; "
                                           "start this one again when it has finished."))
        return
    queued = deferred.enqueue(job_id=job_id, limit=limit, customer_ids=customer_ids)
    Job.objects.filter(pk=job_id).update(task_id=str(queued.id))


@task()
def geocode(job_id: int, limit: int | None = None, customer_ids: list[int] | None = None) -> None:
    """Every candidate (the map's button), or only those among ``customer_ids`` (after a save or an
    import, customers.geocoding.geocode_later)."""
    from kehu.core.geocode import GeocoderNotConfigured

    from .geocoding import GeocodeOutcome, geocode_customers

    going = list(Job.objects.filter(kind=JOB_KIND, status=JobStatus.RUNNING).values_list("pk", flat=True))
    if going:
        jobs.sweep(ids=going)  # a run whose worker died on this host is not going any more
    turn = take_turn(job_id)
    if turn == Turn.LATER:
        _later(job_id, limit, customer_ids)
        return
    with jobs.running(job_id, claimed=turn == Turn.CLAIMED) as run:
        outcome = GeocodeOutcome()
        try:
            geocode_customers(progress=run.progress, limit=limit, customer_ids=customer_ids, outcome=outcome)
        except GeocoderNotConfigured as exc:  # its text names the setting, never the URL or the key
            raise jobs.JobError(str(exc)) from None
        except Exception:
            # each customer is saved as it is placed: say what was kept (the traceback goes to the log)
            log.exception("geocoding job %s stopped", job_id)
            raise jobs.JobError(_(
                "Locating by address stopped with an internal error. The %(placed)d customers placed before "
                "then keep their positions; the others are as they were. Start it again for them.")
                % {"placed": outcome.geocoded + outcome.approximate}) from None
        run.result = outcome.as_dict()

