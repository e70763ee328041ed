"""Customers placed by a geocoding service (kehu.core.geocode): those without coordinates or only at
their district's centre get their address's position, stored in WGS-84 with its source — precise
(``geocoded``) or only a street or area (``geo_area``, shown as approximate).

A customer is updated whole or not at all, and only when nothing changed it meanwhile (its address
and location source as they were read). When the service cannot answer, or answers something that
is not a position, the customer keeps its district location and is counted as failed; after a few
failures to reach the service in a row the run stops, counting the rest as failed too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal

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

from .models import Customer, GeoSource, Lifecycle

STOP_AFTER_UNAVAILABLE = 3
SIX = Decimal("0.000001")


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


def geocode_candidates() -> QuerySet[Customer]:
    """Customers with an address but no position of their own: none, or their district's centre."""
    return (Customer.objects.exclude(address="").exclude(lifecycle=Lifecycle.LOST)
            .filter(geo_source__in=[GeoSource.NONE, GeoSource.DISTRICT]).order_by("pk"))


def geocode_customers(*, progress: Callable[[int, int | None], None] | None = None, limit: int | None = None,
                      config: GeocoderConfig | None = None) -> GeocodeOutcome:
    """Geocode the candidates with the configured service (``config`` overrides the settings);
    GeocoderNotConfigured when there is none, or its settings are unusable."""
    config = config or config_from_settings()
    if config is None:
        raise GeocoderNotConfigured(_("No geocoding service is configured (KEHU_GEOCODER)."))
    geocoder = Geocoder(config)
    rows = list(geocode_candidates().values_list("pk", "address", "city", "geo_source")[:limit])
    outcome = GeocodeOutcome(candidates=len(rows))
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
