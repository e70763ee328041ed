"""Geocoding customers' addresses in the worker process (one request per customer takes a while)."""

from django_tasks import task

from kehu.core import jobs

JOB_KIND = "customers.geocode"


@task()
def geocode(job_id: int, limit: int | None = None) -> None:
    from kehu.core.geocode import GeocoderNotConfigured

    from .geocoding import geocode_customers

    with jobs.running(job_id) as run:
        try:
            outcome = geocode_customers(progress=run.progress, limit=limit)
        except GeocoderNotConfigured as exc:  # its text names the setting, never the URL or the key
            raise jobs.JobError(str(exc)) from None
        run.result = outcome.as_dict()
