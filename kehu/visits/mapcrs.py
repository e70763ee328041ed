"""Positions for display: Kehu stores WGS-84 (what phones report); Chinese tile providers (AMap/Gaode,
Tianditu in its GCJ-02 layers) draw in GCJ-02, so points are shifted for display when the configured
tiles need it (the conversion is kehu.core.crs, which the geocoder uses too)."""

from django.conf import settings

from kehu.core.crs import gcj02_to_wgs84, wgs84_to_gcj02

__all__ = ["display_point", "gcj02_to_wgs84", "wgs84_to_gcj02"]


def display_point(lat: float, lng: float) -> tuple[float, float]:
    """Where to draw a stored (WGS-84) point on the configured tiles."""
    if settings.KEHU_MAP_TILES_CRS == "gcj02":
        return wgs84_to_gcj02(lat, lng)
    return lat, lng
