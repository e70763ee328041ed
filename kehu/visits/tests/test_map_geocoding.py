"""The sales map with geocoded customers: approximate positions marked as such, and an
administrator starting the geocoding job from the map."""

from django.test import Client
from django.urls import reverse

from kehu.customers.models import Customer, GeoSource
from kehu.customers.tests.test_geocoding import IMMEDIATE, _amap, service  # noqa: F401 (the fixture)
from kehu.visits.selectors import map_points
from kehu.visits.services import checkin_distance, policy_current
from kehu.visits.tests.factories import graded_customer


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_geocoded_positions_are_precise_or_approximate_on_the_map_and_at_check_in(org):
    precise = graded_customer(org.alice, "A")
    area = graded_customer(org.alice, "B")
    Customer.objects.filter(pk=precise.pk).update(geo_source=GeoSource.GEOCODED)
    Customer.objects.filter(pk=area.pk).update(geo_source=GeoSource.GEOCODED_AREA)
    points = {p["id"]: p for p in map_points(user=org.alice)}
    assert not points[precise.pk]["approx"] and points[area.pk]["approx"]
    precise.refresh_from_db()
    area.refresh_from_db()
    far = (float(precise.lat) + 0.05, float(precise.lng))  # about 5.5 km north
    assert checkin_distance(customer=precise, lat=far[0], lng=far[1], policy=policy_current())[1]
    assert not checkin_distance(customer=area, lat=far[0], lng=far[1], policy=policy_current())[1]
    page = _client(org.alice).get(reverse("visits:map")).content.decode()
    assert "1 at an approximate position." in page
    assert "Locate by address" not in page  # no geocoder configured, and not an administrator


def test_an_administrator_geocodes_from_the_map(org, service, settings):  # noqa: F811
    settings.TASKS = IMMEDIATE
    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = "amap", "k-123"
    settings.KEHU_GEOCODER_URL = service.url + "/v3/geocode/geo"
    service.answer = _amap
    a = graded_customer(org.alice, "A", exact=False, address="上海市黄浦区人民大道200号")
    b = graded_customer(org.alice, "B", exact=False, address="上海市浦东新区陆家嘴环路")
    assert Customer.objects.get(pk=a.pk).geo_source == GeoSource.DISTRICT
    # reps and supervisors neither see the button nor may start it
    for who in (org.alice, org.sam):
        assert "Locate by address" not in _client(who).get(reverse("visits:map")).content.decode()
        assert _client(who).post(reverse("visits:geocode")).status_code == 403
    admin = _client(org.ada)
    page = admin.get(reverse("visits:map")).content.decode()
    assert "Locate by address (AMap)" in page and "2 customers with an address have no position of their own" in page
    response = admin.post(reverse("visits:geocode"))
    assert response.status_code == 302 and "?job=" in response["Location"]
    page = admin.get(response["Location"]).content.decode()
    assert "Placed at their address: 1; at their street or area (approximate): 1; not found: 0" in page
    assert {Customer.objects.get(pk=a.pk).geo_source, Customer.objects.get(pk=b.pk).geo_source} == {
        GeoSource.GEOCODED, GeoSource.GEOCODED_AREA}
    # someone else's job number shows nothing
    assert "Placed at their address" not in _client(org.sid).get(response["Location"]).content.decode()
