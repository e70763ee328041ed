"""Customers placed by a geocoding service (kehu.core.geocode): those without coordinates or only at
their district's centre get their address's position, stored in WGS-84 with its source — precise
(``geocoded``) or only a street or area (``geo_area``, shown as approximate).

A customer is updated whole or not at all, and only when nothing changed it meanwhile (its address
and location source as they were read). When the service cannot answer, or answers something that
is not a position, the customer keeps its district location and is counted as failed; after a few
failures to reach the service in a row the run stops, counting the rest as failed too.

Administrators place every candidate from the sales map (or ``kehu geocode``). Besides, when a
service is configured, the customers a save or an import leaves without a position of their own are
placed in the worker after it commits (``geocode_later``): a run bounded to those customers."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.geocode import (
    Geocoder,
    GeocoderBadAnswer,
    GeocoderConfig,
    GeocoderNotConfigured,
    GeocoderUnavailable,
    config_from_settings,
)
from kehu.core.models import Job, JobStatus

from .models import Customer, GeoSource, Lifecycle

log = logging.getLogger(__name__)

STOP_AFTER_UNAVAILABLE = 3
SIX = Decimal("0.000001")
CHUNK = 5000  # customer ids per query
SCOPE_KEY = "customers"  # a queued run's result: the customers it will read (none: every candidate)


@dataclass
class GeocodeOutcome:
    candidates: int = 0
    geocoded: int = 0  # placed at their address
    approximate: int = 0  # placed at their street or area
    not_found: int = 0  # the service does not know the address: still at the district centre
    failed: int = 0  # no usable answer (service down, a bad answer): still at the district centre
    stopped: str = ""  # why the run stopped early, when it did

    def as_dict(self) -> dict:
        return asdict(self)


def everyone_run(job: Job) -> bool:
    """Whether a queued or running geocoding job reads every candidate (the map's, the daily run),
    not only the customers a save or an import queued it for."""
    return not (isinstance(job.result, dict) and SCOPE_KEY in job.result)


def geocode_candidates() -> QuerySet[Customer]:
    """Customers with an address but no position of their own: none, or their district's centre."""
    return (Customer.objects.exclude(address="").exclude(lifecycle=Lifecycle.LOST)
            .filter(geo_source__in=[GeoSource.NONE, GeoSource.DISTRICT]).order_by("pk"))


def _candidates_among(customer_ids: Iterable[int], *fields: str) -> list[Any]:
    """``values_list(*fields)`` of the candidates among these customers, in their order."""
    ids = sorted(set(customer_ids))
    found: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        found += geocode_candidates().filter(pk__in=ids[start:start + CHUNK]).values_list(*fields)
    return found


def geocode_customers(*, progress: Callable[[int, int | None], None] | None = None, limit: int | None = None,
                      config: GeocoderConfig | None = None, customer_ids: Iterable[int] | None = None,
                      outcome: GeocodeOutcome | None = None) -> GeocodeOutcome:
    """Geocode the candidates with the configured service (``config`` overrides the settings), only
    those among ``customer_ids`` when given; GeocoderNotConfigured when there is none, or its
    settings are unusable. The counts go into ``outcome`` when given, as the run goes, so a run that
    stops on an error still says what it saved."""
    config = config or config_from_settings()
    if config is None:
        raise GeocoderNotConfigured(_("No geocoding service is configured (KEHU_GEOCODER)."))
    geocoder = Geocoder(config)
    fields = ("pk", "address", "city", "geo_source")
    if customer_ids is None:
        rows = list(geocode_candidates().values_list(*fields)[:limit])
    else:
        rows = _candidates_among(customer_ids, *fields)[:limit]
    outcome = outcome if outcome is not None else GeocodeOutcome()
    outcome.candidates = len(rows)
    unavailable_in_a_row = 0
    for done, (pk, address, city, source) in enumerate(rows, start=1):
        if outcome.stopped:
            outcome.failed += 1
        else:
            try:
                point = geocoder.locate(address, city=city)
            except GeocoderUnavailable as exc:
                outcome.failed += 1
                unavailable_in_a_row += 1
                if unavailable_in_a_row >= STOP_AFTER_UNAVAILABLE:
                    outcome.stopped = _("The geocoding service did not answer (%(error)s); stopped.") % {"error": exc}
            except GeocoderBadAnswer:
                outcome.failed += 1
                unavailable_in_a_row = 0
            else:
                unavailable_in_a_row = 0
                if point is None:
                    outcome.not_found += 1
                else:
                    new_source = GeoSource.GEOCODED if point.precise else GeoSource.GEOCODED_AREA
                    # one UPDATE: position and source together, and only if the customer is as read
                    changed = Customer.objects.filter(pk=pk, address=address, geo_source=source).update(
                        lat=Decimal(str(point.lat)).quantize(SIX), lng=Decimal(str(point.lng)).quantize(SIX),
                        geo_source=new_source, updated_at=timezone.now())
                    if not changed:
                        outcome.failed += 1
                    elif point.precise:
                        outcome.geocoded += 1
                    else:
                        outcome.approximate += 1
        if progress:
            progress(done, len(rows))
    return outcome


def geocode_later(*, customer_ids: Iterable[int], user: Any = None) -> None:
    """Once the current transaction commits, place those of these customers that have an address but
    no position of their own, in the worker — when a geocoding service is configured (nothing
    happens without one, or with unusable settings: the map tells administrators why). The caller's
    request never waits for the service. Called by the customer services and imports after a
    customer is created or its address changes."""
    ids = sorted(set(customer_ids))
    if not ids:
        return
    try:
        if config_from_settings() is None:
            return
    except GeocoderNotConfigured:
        return
    # robust: a queue that cannot take the job must not turn a saved change into an error page
    transaction.on_commit(lambda: geocode_enqueue(customer_ids=ids, user=user), robust=True)


def geocode_enqueue(*, customer_ids: Iterable[int], user: Any = None) -> Job | None:
    """Queue a geocoding run for the candidates among ``customer_ids`` (None when there are none to
    place). One run per customer at a time: customers a queued run will read already are left out
    — a queued run for every candidate (the map's) covers them all, a queued run for some covers
    those. A run that has started has read its customers' addresses, so a later change needs a run
    of its own (the started one leaves a customer changed meanwhile as it is)."""
    from kehu.core import jobs

    from .tasks import JOB_KIND, geocode

    waiting = {pk for (pk,) in _candidates_among(customer_ids, "pk")}
    for scope in Job.objects.filter(kind=JOB_KIND, status=JobStatus.QUEUED).values_list("result", flat=True):
        covered = scope.get(SCOPE_KEY) if isinstance(scope, dict) else None
        if covered is None:  # a run for every candidate
            return None
        waiting.difference_update(covered)
    if not waiting:
        return None
    ids = sorted(waiting)
    with transaction.atomic():  # the worker sees the job with its scope
        job = jobs.start(kind=JOB_KIND, user=user, task=geocode, total=len(ids), customer_ids=ids)
        # While it waits, the job says which customers it will read (the outcome replaces this).
        Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(result={SCOPE_KEY: ids})
    log.info("geocoding job %s queued for %d customer(s)", job.pk, len(ids))
    return job


def geocode_daily(*, today: datetime.date) -> int:
    """`kehu daily`: once a day, when a geocoding service is configured, queue a run for every
    candidate — customers a save or an import left for later and those a run could not place
    (the service was down). Nothing when no service is configured, while a run for every
    candidate is queued or going, or when the daily run (the one without a user) was queued today
    already; the short runs saves and imports queue do not count (the daily run waits for one that
    is going: customers.tasks). Returns the candidates the queued run will read."""
    from kehu.core import jobs

    from .tasks import JOB_KIND, geocode

    try:
        if config_from_settings() is None:
            return 0
    except GeocoderNotConfigured:
        return 0
    jobs.sweep()  # a run whose worker died is no longer running
    if any(everyone_run(job) for job in Job.objects.filter(kind=JOB_KIND, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])):
        return 0
    started = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    if Job.objects.filter(kind=JOB_KIND, user__isnull=True, created_at__gte=started).exists():
        return 0
    count = geocode_candidates().count()
    if count:
        job = jobs.start(kind=JOB_KIND, user=None, task=geocode, total=count)
        log.info("geocoding job %s queued by the daily run for %d customer(s)", job.pk, count)
    return count
