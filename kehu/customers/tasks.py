"""Geocoding customers' addresses in the worker process (one request per customer takes a while)."""

from django_tasks import task

from kehu.core import jobs

JOB_KIND = "customers.geocode"


@task()
def geocode(job_id: int, limit: int | None = None, customer_ids: list[int] | None = None) -> None:
    """Every candidate (the map's button), or only those among ``customer_ids`` (after a save or an
    import, customers.geocoding.geocode_later)."""
    from kehu.core.geocode import GeocoderNotConfigured

    from .geocoding import geocode_customers

    with jobs.running(job_id) as run:
        try:
            outcome = geocode_customers(progress=run.progress, limit=limit, customer_ids=customer_ids)
        except GeocoderNotConfigured as exc:  # its text names the setting, never the URL or the key
            raise jobs.JobError(str(exc)) from None
        run.result = outcome.as_dict()
