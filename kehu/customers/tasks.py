"""Geocoding customers' addresses in the worker process (one request per customer takes a while).

One run at a time: a run that another has started before waits for it, on any worker, so the
service never gets two runs' requests at once (Nominatim allows one a second) and no customer is
asked for twice — a run reads its customers only when its turn comes, after what the earlier one
placed."""

import logging
import time
from collections.abc import Callable

from django.db.models import Q
from django.utils.translation import gettext as _
from django_tasks import task

from kehu.core import jobs
from kehu.core.models import Job, JobStatus

log = logging.getLogger(__name__)

JOB_KIND = "customers.geocode"
WAIT_SECONDS = 2.0  # between looks at the run ahead


@task()
def geocode(job_id: int, limit: int | None = None, customer_ids: list[int] | None = None) -> None:
    """Every candidate (the map's button), or only those among ``customer_ids`` (after a save or an
    import, customers.geocoding.geocode_later)."""
    from kehu.core.geocode import GeocoderNotConfigured

    from .geocoding import GeocodeOutcome, geocode_customers

    with jobs.running(job_id) as run:
        wait_turn(run.job)
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


def runs_ahead(job: Job) -> list[int]:
    """The geocoding runs that started before ``job`` (claimed earlier; the lower number first at
    the same moment) and have not ended."""
    return list(Job.objects.filter(kind=JOB_KIND, status=JobStatus.RUNNING).exclude(pk=job.pk)
                .filter(Q(started_at__lt=job.started_at) | Q(started_at=job.started_at, pk__lt=job.pk))
                .values_list("pk", flat=True))


def wait_turn(job: Job, *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Return once no geocoding run that started before ``job`` is still going. A run whose worker
    died is failed by ``jobs.sweep`` and no longer waited for."""
    while ahead := runs_ahead(job):
        if jobs.sweep(ids=ahead):
            continue
        sleep(WAIT_SECONDS)
