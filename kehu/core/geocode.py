"""Addresses into positions through a configured geocoding service: AMap (Gaode), Tianditu or
Nominatim (OpenStreetMap). None by default: then the district table (kehu.core.geo) places a
customer at its district's centre.

Settings, read from the environment (kehu/settings.py):

- ``KEHU_GEOCODER``: ``amap``, ``tianditu`` or ``nominatim``; empty for none.
- ``KEHU_GEOCODER_URL``: the service's endpoint; the provider's public one when empty.
- ``KEHU_GEOCODER_KEY``: the API key (AMap ``key``, Tianditu ``tk``; Nominatim needs none).
- ``KEHU_GEOCODER_TIMEOUT``: seconds to wait for an answer (10).
- ``KEHU_GEOCODER_INTERVAL``: seconds between requests (Nominatim's public service allows one a
  second, its default; 0 for the others).

Every answer becomes WGS-84, what Kehu stores: AMap answers in GCJ-02 and is converted
(kehu.core.crs); Tianditu's CGCS2000 and Nominatim's WGS-84 need nothing. An answer also says how
precise it is: a house number, building or point of interest is precise, a street, town or district
only approximate.
"""

from __future__ import annotations

import http.client
import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from .crs import gcj02_to_wgs84

PROVIDERS = ("amap", "tianditu", "nominatim")
DEFAULT_URLS = {
    "amap": "https://restapi.amap.com/v3/geocode/geo",
    "tianditu": "https://api.tianditu.gov.cn/geocoder",
    "nominatim": "https://nominatim.openstreetmap.org/search",
}
def provider_name(provider: str) -> str:
    """The service as people know it, in the reader's language (高德地图, 天地图)."""
    from django.utils.translation import gettext as _

    names = {"amap": _("AMap"), "tianditu": _("Tianditu"), "nominatim": _("Nominatim (OpenStreetMap)")}
    return names.get(provider, provider)


# Precise answers by the provider's own word for their level; anything else is approximate.
AMAP_PRECISE = {"门牌号", "兴趣点", "楼栋", "单元号", "楼层", "房间"}
TIANDITU_PRECISE = {"门址", "兴趣点", "门牌号"}
TIANDITU_NOT_FOUND = {"101"}  # "无结果"; any other non-zero status (or none) is a refusal
NOMINATIM_PRECISE_RANK = 28  # place_rank 28–30: house numbers, buildings, points of interest
USER_AGENT = "Kehu customer management (geocoding customer addresses)"


class GeocoderNotConfigured(Exception):
    """No geocoding service is configured, or its settings are unusable (the text never holds the
    key or the URL)."""


class GeocoderUnavailable(Exception):
    """The service could not be reached, or refused the request (down, timed out, key or quota)."""


class GeocoderBadAnswer(Exception):
    """The service answered with something that is not a usable position."""


@dataclass(frozen=True)
class GeoPoint:
    lat: float  # WGS-84
    lng: float
    precise: bool


@dataclass(frozen=True)
class GeocoderConfig:
    provider: str
    url: str
    key: str = ""
    timeout: float = 10.0
    interval: float = 0.0

    def __post_init__(self) -> None:
        if not _is_http_url(self.url):
            raise GeocoderNotConfigured(_bad_setting("KEHU_GEOCODER_URL"))


def _is_http_url(url: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)


def _bad_setting(name: str) -> str:
    from django.utils.translation import gettext as _

    if name == "KEHU_GEOCODER_URL":
        return _("The geocoding service's address (KEHU_GEOCODER_URL) must begin with http:// or https://.")
    return _("%(setting)s must be a number of seconds.") % {"setting": name}


def config_from_settings() -> GeocoderConfig | None:
    """The configured geocoder, or None when there is none (or the name is not one Kehu knows);
    GeocoderNotConfigured when its URL is not an http or https one, or a number is not one."""
    from django.conf import settings

    provider = (getattr(settings, "KEHU_GEOCODER", "") or "").strip().lower()
    if provider not in PROVIDERS:
        return None
    interval = str(getattr(settings, "KEHU_GEOCODER_INTERVAL", "") or "").strip()
    try:
        timeout = float(getattr(settings, "KEHU_GEOCODER_TIMEOUT", 10) or 10)
    except (TypeError, ValueError):
        raise GeocoderNotConfigured(_bad_setting("KEHU_GEOCODER_TIMEOUT")) from None
    try:
        pause = float(interval) if interval else (1.0 if provider == "nominatim" else 0.0)
    except ValueError:
        raise GeocoderNotConfigured(_bad_setting("KEHU_GEOCODER_INTERVAL")) from None
    return GeocoderConfig(
        provider=provider, url=(getattr(settings, "KEHU_GEOCODER_URL", "") or DEFAULT_URLS[provider]).strip(),
        key=getattr(settings, "KEHU_GEOCODER_KEY", "") or "", timeout=timeout, interval=pause)


class Geocoder:
    """One configured service; ``locate(address, city=…)`` is None when the address is not found."""

    def __init__(self, config: GeocoderConfig) -> None:
        self.config = config
        self._last = 0.0

    def locate(self, address: str, *, city: str = "") -> GeoPoint | None:
        provider = self.config.provider
        if provider == "amap":
            return self._amap(address, city)
        if provider == "tianditu":
            return self._tianditu(address)
        return self._nominatim(address)

    # --- the wire ---------------------------------------------------------------------------

    def _get(self, params: dict[str, str]) -> Any:
        wait = self._last + self.config.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        url = f"{self.config.url}?{urllib.parse.urlencode(params)}"
        # The URL holds the key and the address: no error text below repeats it (nor the exception's
        # own text, which may), only the HTTP status or the exception's class name.
        try:
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:  # noqa: S310 (configured URL)
                body = response.read(2_000_000)
        except urllib.error.HTTPError as exc:
            raise GeocoderUnavailable(f"HTTP {exc.code}") from None
        except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timed out, DNS, a garbled answer
            raise GeocoderUnavailable(type(exc).__name__) from None
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested too deep to read
            raise GeocoderBadAnswer("not JSON") from None

    # --- the providers ----------------------------------------------------------------------

    def _amap(self, address: str, city: str) -> GeoPoint | None:
        params = {"key": self.config.key, "address": address, "output": "JSON"}
        if city:
            params["city"] = city
        body = self._get(params)
        if not isinstance(body, dict):
            raise GeocoderBadAnswer("not an object")
        if str(body.get("status")) != "1":  # a refused key, a used-up quota: the whole run stops
            raise GeocoderUnavailable(_short(body.get("info") or body.get("infocode")) or "refused")
        geocodes = body.get("geocodes") or []
        if not isinstance(geocodes, list):
            raise GeocoderBadAnswer("geocodes is not a list")
        if not geocodes:
            return None
        first = geocodes[0]
        location = first.get("location") if isinstance(first, dict) else None
        if not location:
            return None
        try:
            lng_s, lat_s = str(location).split(",")
            lat, lng = _checked(float(lat_s), float(lng_s))
        except ValueError:
            raise GeocoderBadAnswer(f"location {location!r}") from None
        lat, lng = gcj02_to_wgs84(lat, lng)
        return GeoPoint(lat=lat, lng=lng, precise=str(first.get("level", "")) in AMAP_PRECISE)

    def _tianditu(self, address: str) -> GeoPoint | None:
        body = self._get({"ds": json.dumps({"keyWord": address}, ensure_ascii=False), "tk": self.config.key})
        if not isinstance(body, dict):
            raise GeocoderBadAnswer("not an object")
        status = str(body.get("status", ""))
        if status in TIANDITU_NOT_FOUND:
            return None
        if status != "0":  # a refused key or a used-up quota may come as HTTP 200: the whole run stops
            raise GeocoderUnavailable(_short(body.get("msg")) or f"status {status or '?'}")
        location = body.get("location")
        if not location:
            return None
        if not isinstance(location, dict):
            raise GeocoderBadAnswer("location is not an object")
        try:
            lat, lng = _checked(float(location["lat"]), float(location["lon"]))
        except (KeyError, TypeError, ValueError):
            raise GeocoderBadAnswer(f"location {location!r}") from None
        return GeoPoint(lat=lat, lng=lng, precise=str(location.get("level", "")) in TIANDITU_PRECISE)

    def _nominatim(self, address: str) -> GeoPoint | None:
        params = {"q": address, "format": "jsonv2", "limit": "1", "accept-language": "zh"}
        body = self._get(params)
        if not isinstance(body, list):
            raise GeocoderBadAnswer("not a list")
        if not body:
            return None
        first = body[0]
        try:
            lat, lng = _checked(float(first["lat"]), float(first["lon"]))
            rank = int(first.get("place_rank") or 0)
        except (KeyError, TypeError, ValueError):
            raise GeocoderBadAnswer(f"place {first!r}") from None
        return GeoPoint(lat=lat, lng=lng, precise=rank >= NOMINATIM_PRECISE_RANK)


def _short(text: Any) -> str:
    """The service's own word for a refusal (INVALID_USER_KEY), kept short for a message."""
    return str(text or "").strip()[:80]


def _checked(lat: float, lng: float) -> tuple[float, float]:
    """A position in or near China (customers are there; an answer elsewhere is a wrong answer)."""
    if not (math.isfinite(lat) and math.isfinite(lng)) or not (3.0 <= lat <= 54.0 and 73.0 <= lng <= 136.0):
        raise ValueError(f"{lat},{lng} is not in China")
    return lat, lng
