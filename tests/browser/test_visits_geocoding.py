"""An administrator places customers at their addresses from the sales map (the geocoder is a real
HTTP server started here, answering as AMap does), and a key account's card shows the programme's
senior-manager cadence. Screenshots: ``test-artifacts/screenshots/<device>-visits-geocode*.png``
and ``<device>-visits-card-senior.png``."""

import re

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer, GeoSource
from kehu.customers.tests.test_geocoding import IMMEDIATE, _amap, service  # noqa: F401 (the fixture)
from kehu.keyaccounts.models import KeyAccountPolicy
from kehu.testing import build_org
from kehu.visits.tests.factories import graded_customer

from .conftest import DEVICE_PARAMS, zh
from .test_credit_flow import log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_geocoding_from_the_map(device_page, device, service, settings):  # noqa: F811
    page, screens = device_page
    org = build_org()
    graded_customer(org.alice, "A")
    # entered before a geocoder was configured (since then, a save queues its own run)
    a = graded_customer(org.alice, "A", exact=False, address="上海市黄浦区人民大道200号")
    b = graded_customer(org.alice, "B", exact=False, address="上海市浦东新区陆家嘴环路")
    settings.TASKS = IMMEDIATE
    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = "amap", "k-123"
    settings.KEHU_GEOCODER_URL = service.url + "/v3/geocode/geo"
    service.answer = _amap
    log_in(page, "ada")
    page.goto("/visits/map/")
    button = page.locator("form.geocode button")
    expect(button).to_be_visible()
    expect(page.locator("form.geocode")).to_contain_text("2")
    screens.shot("visits-geocode-before")
    button.click()
    expect(page).to_have_url(re.compile(r"/visits/map/\?job=\d+$"))
    expect(page.locator(".geocode-result")).to_contain_text("1")
    expect(page.locator("form.geocode button")).to_have_count(0)  # nothing left to place
    expect(page.locator("[data-kehu-map] .leaflet-marker-pane, [data-kehu-map] .leaflet-overlay-pane").first).to_be_attached()
    screens.shot("visits-geocode-done")
    assert {Customer.objects.get(pk=a.pk).geo_source, Customer.objects.get(pk=b.pk).geo_source} == {
        GeoSource.GEOCODED, GeoSource.GEOCODED_AREA}


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_a_key_accounts_card_shows_the_senior_cadence(device_page, device):
    page, screens = device_page
    org = build_org()
    ka = graded_customer(org.alice, "A")
    Customer.objects.filter(pk=ka.pk).update(is_key_account=True, key_account_sponsor=org.sid)
    KeyAccountPolicy.objects.create(senior_visit_every_days=45)
    log_in(page, "alice")
    page.goto(f"/customers/{ka.pk}/")
    cadence = page.locator("dd", has_text=zh("with the senior manager every %(n)s days") % {"n": 45})
    expect(cadence).to_be_visible()
    cadence.scroll_into_view_if_needed()
    screens.shot("visits-card-senior")
