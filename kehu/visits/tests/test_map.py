import datetime

from django.test import override_settings
from django.urls import reverse

from kehu.customers.models import Customer, Lifecycle, PursuitDecision
from kehu.visits.mapcrs import display_point, gcj02_to_wgs84, wgs84_to_gcj02
from kehu.visits.selectors import map_points
from kehu.visits.tests.factories import graded_customer


def test_gcj02_shift_inside_china_and_none_outside():
    # Tiananmen: the published GCJ-02 offset is about 0.0013° north and 0.0062° east here
    lat, lng = wgs84_to_gcj02(39.908722, 116.397499)
    assert abs((lat - 39.908722) - 0.00128) < 0.0005 and abs((lng - 116.397499) - 0.00624) < 0.0005
    back = gcj02_to_wgs84(lat, lng)
    assert abs(back[0] - 39.908722) < 1e-6 and abs(back[1] - 116.397499) < 1e-6
    assert wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)


def test_display_follows_the_tiles_datum():
    with override_settings(KEHU_MAP_TILES_CRS="wgs84"):
        assert display_point(31.23, 121.47) == (31.23, 121.47)
    with override_settings(KEHU_MAP_TILES_CRS="gcj02"):
        assert display_point(31.23, 121.47) == wgs84_to_gcj02(31.23, 121.47)


def test_map_points_by_grade_due_and_approximate(org):
    a = graded_customer(org.alice, "A")
    c = graded_customer(org.alice, "C", exact=False)
    Customer.objects.filter(pk=c.pk).update(lat=31.2, lng=121.5, geo_source="district")
    prospect = graded_customer(org.alice, lifecycle=Lifecycle.PROSPECT, pursuit=PursuitDecision.GIVE_UP)
    graded_customer(org.alice, "B", exact=False)  # no position: not on the map, counted as missing
    points = {p["id"]: p for p in map_points(user=org.alice, today=datetime.date(2026, 11, 26))}
    assert set(points) == {a.pk, c.pk, prospect.pk}
    assert points[c.pk]["approx"] and not points[a.pk]["approx"]
    assert points[a.pk]["due"] and not points[prospect.pk]["due"]  # given up: never due
    assert [p["id"] for p in map_points(user=org.alice, grade="A")] == [a.pk]
    assert [p["id"] for p in map_points(user=org.alice, grade="P")] == [prospect.pk]
    assert prospect.pk not in {p["id"] for p in map_points(user=org.alice, due=True)}
    assert map_points(user=org.bob) == []


@override_settings(KEHU_MAP_TILES="https://tiles.example.invalid/{z}/{x}/{y}.png", KEHU_MAP_TILES_CRS="gcj02")
def test_the_map_page_serves_leaflet_itself_and_converts_for_chinese_tiles(client, org):
    a = graded_customer(org.alice, "A")
    client.force_login(org.alice)
    body = client.get(reverse("visits:map")).content.decode()
    assert "/static/kehu/vendor/leaflet-1.9.4/leaflet.js" in body
    assert "unpkg" not in body and "cdn" not in body.lower()
    lat, lng = wgs84_to_gcj02(float(a.lat), float(a.lng))
    assert f"{lat}" in body and f"{lng}" in body
    assert "tiles.example.invalid" in body
