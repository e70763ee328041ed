"""Geocoding customers' addresses against a real HTTP server started here, answering as AMap,
Tianditu and Nominatim do."""

import io
import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from kehu.core import jobs
from kehu.core.crs import wgs84_to_gcj02
from kehu.core.geocode import GeocoderConfig, GeocoderNotConfigured, config_from_settings
from kehu.core.models import JobStatus
from kehu.customers.geocoding import geocode_candidates, geocode_customers
from kehu.customers.models import Customer, GeoSource
from kehu.customers.services import customer_update
from kehu.testing import make_customer

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Real places in Shanghai, in WGS-84.
PEOPLES_SQUARE = (31.230416, 121.473701)
LUJIAZUI = (31.239700, 121.499800)


@dataclass
class FakeService:
    """What the server answers for each address (a function of the query), and what it was asked."""

    answer: Callable[[dict[str, str]], tuple[int | None, bytes]]  # None: the bytes are the whole raw answer
    requests: list[dict] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def service() -> Iterator[FakeService]:
    fake = FakeService(answer=lambda q: (500, b""))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urllib.parse.urlparse(self.path)
            query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
            fake.requests.append({"path": parsed.path, "query": query, "agent": self.headers.get("User-Agent", "")})
            status, body = fake.answer(query)
            if status is None:  # not HTTP at all, or cut short
                self.wfile.write(body)
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


def _json(data) -> tuple[int, bytes]:
    return 200, json.dumps(data, ensure_ascii=False).encode()


def _amap(query: dict[str, str]) -> tuple[int, bytes]:
    """AMap's v3 geocode answer: GCJ-02 "lng,lat" and the level of the match."""
    address = query["address"]
    if "不存在" in address:
        return _json({"status": "1", "info": "OK", "infocode": "10000", "count": "0", "geocodes": []})
    wgs, level = (PEOPLES_SQUARE, "门牌号") if "人民大道" in address else (LUJIAZUI, "道路")
    lat, lng = wgs84_to_gcj02(*wgs)
    return _json({"status": "1", "info": "OK", "infocode": "10000", "count": "1", "geocodes": [
        {"formatted_address": "上海市" + address, "country": "中国", "province": "上海市", "city": "上海市",
         "district": "黄浦区", "adcode": "310101", "location": f"{lng:.6f},{lat:.6f}", "level": level}]})


def _customer(owner, address: str, **extra) -> Customer:
    return make_customer(owner, address=address, **extra)


def _config(service: FakeService, provider: str, path: str) -> GeocoderConfig:
    return GeocoderConfig(provider=provider, url=service.url + path, key="k-123", timeout=5)


def _near(customer: Customer, point: tuple[float, float], metres: float = 2.0) -> bool:
    from kehu.visits.services import haversine_m

    assert customer.lat is not None and customer.lng is not None
    return haversine_m((float(customer.lat), float(customer.lng)), point) <= metres


def test_amap_answers_are_converted_to_wgs84_and_sourced_by_precision(org, service):
    service.answer = _amap
    house = _customer(org.alice, "上海市黄浦区人民大道200号")
    road = _customer(org.alice, "上海市浦东新区陆家嘴环路")
    unknown = _customer(org.alice, "上海市黄浦区不存在路1号")
    exact = _customer(org.alice, "上海市黄浦区人民大道201号", lat=Decimal("31.2"), lng=Decimal("121.4"))
    no_address = _customer(org.alice, "")
    assert house.geo_source == GeoSource.DISTRICT  # the district table placed it first
    district = (house.lat, house.lng)

    outcome = geocode_customers(config=_config(service, "amap", "/v3/geocode/geo"))

    assert (outcome.candidates, outcome.geocoded, outcome.approximate, outcome.not_found, outcome.failed) == (3, 1, 1, 1, 0)
    for c in (house, road, unknown, exact, no_address):
        c.refresh_from_db()
    assert house.geo_source == GeoSource.GEOCODED and not house.location_approximate
    assert (house.lat, house.lng) != district
    assert _near(house, PEOPLES_SQUARE)  # stored in WGS-84, not the GCJ-02 the service answered in
    assert road.geo_source == GeoSource.GEOCODED_AREA and road.location_approximate and _near(road, LUJIAZUI)
    assert unknown.geo_source == GeoSource.DISTRICT
    assert (exact.lat, exact.lng, exact.geo_source) == (Decimal("31.200000"), Decimal("121.400000"), GeoSource.EXACT)
    assert no_address.lat is None
    # the key and the address were sent the AMap way; exact customers were not asked about
    assert {r["query"]["key"] for r in service.requests} == {"k-123"}
    assert sorted(r["query"]["address"] for r in service.requests) == sorted(
        [house.address, road.address, unknown.address])
    # geocoded customers are not asked about again; a changed address is
    service.requests.clear()
    assert geocode_customers(config=_config(service, "amap", "/v3/geocode/geo")).candidates == 1  # the unknown one
    customer_update(user=org.alice, customer=house, data={"address": "上海市浦东新区陆家嘴环路1000号"})
    house.refresh_from_db()
    assert house.geo_source == GeoSource.DISTRICT
    assert house in geocode_candidates()
    # an address the district table cannot place: the old geocoded position goes, not kept as precise
    fresh = _customer(org.alice, "上海市黄浦区人民大道300号")
    geocode_customers(config=_config(service, "amap", "/v3/geocode/geo"))
    fresh.refresh_from_db()
    road.refresh_from_db()
    assert (fresh.geo_source, road.geo_source) == (GeoSource.GEOCODED, GeoSource.GEOCODED_AREA)
    for customer in (fresh, road):
        customer.refresh_from_db()
        customer_update(user=org.alice, customer=customer, data={"address": "人民大道200号"})
        customer.refresh_from_db()
        assert (customer.lat, customer.lng, customer.geo_source) == (None, None, GeoSource.NONE)
        assert customer in geocode_candidates()


def test_tianditu_and_nominatim_answer_in_their_own_shapes(org, service):
    def tianditu(query):
        keyword = json.loads(query["ds"])["keyWord"]
        if "人民大道" not in keyword:
            return _json({"msg": "无结果", "status": "101", "searchVersion": "6.4.9V"})
        return _json({"msg": "ok", "status": "0", "searchVersion": "6.4.9V",
                      "location": {"score": 100, "level": "门址", "lon": PEOPLES_SQUARE[1], "lat": PEOPLES_SQUARE[0],
                                   "keyWord": keyword}})

    service.answer = tianditu
    a = _customer(org.alice, "上海市黄浦区人民大道200号")
    b = _customer(org.alice, "上海市黄浦区某某路")
    outcome = geocode_customers(config=_config(service, "tianditu", "/geocoder"))
    assert (outcome.geocoded, outcome.not_found) == (1, 1)
    assert service.requests[0]["query"]["tk"] == "k-123"
    a.refresh_from_db()
    assert a.geo_source == GeoSource.GEOCODED and _near(a, PEOPLES_SQUARE, 0.2)  # CGCS2000: no shift

    def nominatim(query):
        rank = 30 if "某某路" in query["q"] else 26
        return _json([{"place_id": 1, "lat": str(LUJIAZUI[0]), "lon": str(LUJIAZUI[1]), "category": "building",
                       "type": "yes", "place_rank": rank, "importance": 0.1, "addresstype": "building",
                       "display_name": query["q"]}])

    service.answer = nominatim
    service.requests.clear()
    c = _customer(org.alice, "上海市浦东新区陆家嘴环路")
    outcome = geocode_customers(config=_config(service, "nominatim", "/search"))
    assert (outcome.geocoded, outcome.approximate) == (1, 1)
    b.refresh_from_db()
    c.refresh_from_db()
    assert b.geo_source == GeoSource.GEOCODED and c.geo_source == GeoSource.GEOCODED_AREA
    assert all("Kehu" in r["agent"] and r["query"]["format"] == "jsonv2" for r in service.requests)


@pytest.mark.parametrize("body", [
    b"<html>bad gateway</html>",
    json.dumps({"status": "1", "geocodes": [{"location": "abc", "level": "门牌号"}]}).encode(),
    json.dumps({"status": "1", "geocodes": [{"location": "31.23,121.47", "level": "门牌号"}]}).encode(),  # swapped
    json.dumps({"status": "1", "geocodes": {"location": "121.47,31.23"}}).encode(),
    json.dumps([1, 2]).encode(),
])
def test_a_bad_answer_leaves_the_district_location(org, service, body):
    service.answer = lambda q: (200, body)
    c = _customer(org.alice, "上海市黄浦区人民大道200号")
    before = (c.lat, c.lng, c.geo_source)
    outcome = geocode_customers(config=_config(service, "amap", "/v3/geocode/geo"))
    assert (outcome.failed, outcome.geocoded, outcome.approximate, outcome.stopped) == (1, 0, 0, "")
    c.refresh_from_db()
    assert (c.lat, c.lng, c.geo_source) == before


def test_the_worker_job_reports_a_service_that_is_down(org, service, settings):
    from kehu.customers.tasks import JOB_KIND, geocode

    settings.TASKS, settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = IMMEDIATE, "amap", "k-123"
    service.answer = lambda q: (503, b"")
    settings.KEHU_GEOCODER_URL = service.url + "/v3/geocode/geo"
    customers = [_customer(org.alice, f"上海市黄浦区人民大道{n}号") for n in range(5)]
    job = jobs.start(kind=JOB_KIND, user=org.ada, task=geocode)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.result["candidates"] == 5 and job.result["failed"] == 5 and job.result["geocoded"] == 0
    assert job.result["stopped"]  # three refusals in a row end the run
    assert len(service.requests) == 3
    for c in customers:
        c.refresh_from_db()
        assert c.geo_source == GeoSource.DISTRICT and c.lat is not None

    # a refused key (AMap answers status 0) stops the run the same way
    service.answer = lambda q: _json({"status": "0", "info": "INVALID_USER_KEY", "infocode": "10001"})
    job = jobs.start(kind=JOB_KIND, user=org.ada, task=geocode)
    job.refresh_from_db()
    assert job.result["failed"] == 5 and "INVALID_USER_KEY" in job.result["stopped"]

    # back up: the next run places them
    service.answer = _amap
    job = jobs.start(kind=JOB_KIND, user=org.ada, task=geocode)
    job.refresh_from_db()
    assert job.result["geocoded"] == 5 and job.done == 5
    assert Customer.objects.filter(geo_source=GeoSource.GEOCODED).count() == 5


def test_the_key_and_the_address_never_reach_the_job_or_the_logs(org, service, settings, caplog):
    from kehu.customers.tasks import JOB_KIND, geocode

    settings.TASKS, settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = IMMEDIATE, "amap", "SECRET-KEY-42"
    c = _customer(org.alice, "上海市黄浦区人民大道200号")
    # a URL without its scheme is refused when the settings are read, naming the setting only
    for url in ["restapi.amap.com/v3/geocode/geo", "https://restapi.amap.com /v3", "ftp://restapi.amap.com/geo"]:
        settings.KEHU_GEOCODER_URL = url
        with pytest.raises(GeocoderNotConfigured):
            config_from_settings()
        job = jobs.start(kind=JOB_KIND, user=org.ada, task=geocode)
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED and "KEHU_GEOCODER_URL" in job.message
        assert "SECRET" not in job.message and "restapi" not in job.message and "人民大道" not in job.message
    # a request that fails on its way out says what failed, not where to
    settings.KEHU_GEOCODER_URL = "http://127.0.0.1:99999/geo"  # no such port
    job = jobs.start(kind=JOB_KIND, user=org.ada, task=geocode)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.result["failed"] == 1
    for text in (job.message, json.dumps(job.result, ensure_ascii=False), caplog.text):
        assert "SECRET" not in text and "人民大道" not in text and "99999" not in text
    c.refresh_from_db()
    assert c.geo_source == GeoSource.DISTRICT


def test_a_garbled_answer_fails_one_customer_and_the_run_goes_on(org, service, settings):
    from kehu.customers.tasks import JOB_KIND, geocode

    settings.TASKS, settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = IMMEDIATE, "amap", "k-123"
    settings.KEHU_GEOCODER_URL = service.url + "/v3/geocode/geo"
    garbled = {
        "1号": (None, b"garbage\r\n\r\n"),  # not HTTP: BadStatusLine
        "2号": (None, b"HTTP/1.0 200 OK\r\nContent-Length: 500\r\n\r\n{\"status\""),  # cut short: IncompleteRead
        "3号": (200, b"[" * 100_000),  # too deep for json to read
    }
    service.answer = lambda q: garbled.get(q["address"][-2:]) or _amap(q)
    customers = [_customer(org.alice, f"上海市黄浦区人民大道{n}号") for n in range(5)]
    job = jobs.start(kind=JOB_KIND, user=org.ada, task=geocode)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert (job.result["geocoded"], job.result["failed"], job.result["stopped"]) == (2, 3, "")
    sources = [Customer.objects.get(pk=c.pk).geo_source for c in customers]
    assert sources == [GeoSource.GEOCODED, GeoSource.DISTRICT, GeoSource.DISTRICT, GeoSource.DISTRICT,
                       GeoSource.GEOCODED]

    # garbled every time: three in a row stop the run, and it says so
    service.answer = lambda q: (None, b"garbage\r\n\r\n")
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(geo_source=GeoSource.DISTRICT)
    service.requests.clear()
    job = jobs.start(kind=JOB_KIND, user=org.ada, task=geocode)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.result["failed"] == 5 and job.result["stopped"]
    assert len(service.requests) == 3


def test_tianditu_refusing_the_key_with_http_200_stops_the_run(org, service):
    service.answer = lambda q: _json({"msg": "非法key", "status": "1"})
    customers = [_customer(org.alice, f"上海市黄浦区人民大道{n}号") for n in range(5)]
    outcome = geocode_customers(config=_config(service, "tianditu", "/geocoder"))
    assert outcome.failed == 5 and "非法key" in outcome.stopped
    assert len(service.requests) == 3
    assert all(Customer.objects.get(pk=c.pk).geo_source == GeoSource.DISTRICT for c in customers)


@override_settings(TASKS=IMMEDIATE, KEHU_GEOCODER="")
def test_the_job_fails_with_a_message_without_a_geocoder(org):
    from kehu.customers.tasks import JOB_KIND, geocode

    _customer(org.alice, "上海市黄浦区人民大道200号")
    job = jobs.start(kind=JOB_KIND, user=org.ada, task=geocode)
    assert job.status == JobStatus.FAILED and "KEHU_GEOCODER" in job.message


def test_a_service_that_cannot_be_reached_at_all(org):
    c = _customer(org.alice, "上海市黄浦区人民大道200号")
    closed = GeocoderConfig(provider="amap", url="http://127.0.0.1:9/v3/geocode/geo", key="k", timeout=2)
    outcome = geocode_customers(config=closed)
    assert outcome.failed == 1 and outcome.geocoded == 0
    c.refresh_from_db()
    assert c.geo_source == GeoSource.DISTRICT


def test_the_command(org, service, settings):
    service.answer = _amap
    settings.KEHU_GEOCODER = ""
    with pytest.raises(CommandError):
        call_command("geocode")
    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = "amap", "k-123"
    settings.KEHU_GEOCODER_URL = service.url + "/v3/geocode/geo"
    _customer(org.alice, "上海市黄浦区人民大道200号")
    _customer(org.alice, "上海市浦东新区陆家嘴环路")
    out = io.StringIO()
    call_command("geocode", "--json", "--limit", "1", stdout=out)
    assert json.loads(out.getvalue())["geocoded"] == 1 and len(service.requests) == 1
    out = io.StringIO()
    call_command("geocode", stdout=out)
    assert "1 at their street or area" in out.getvalue()


def test_the_setting_names_the_service(settings):
    from kehu.core.geocode import DEFAULT_URLS, config_from_settings

    settings.KEHU_GEOCODER = ""
    assert config_from_settings() is None
    settings.KEHU_GEOCODER = "baidu"  # not one Kehu speaks: none rather than a wrong one
    assert config_from_settings() is None
    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_URL, settings.KEHU_GEOCODER_INTERVAL = "Nominatim", "", ""
    config = config_from_settings()
    assert config is not None
    assert (config.provider, config.url, config.interval) == ("nominatim", DEFAULT_URLS["nominatim"], 1.0)
    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_URL, settings.KEHU_GEOCODER_KEY = "amap", "http://geo.local/geo", "k"
    config = config_from_settings()
    assert config is not None and (config.url, config.key, config.interval) == ("http://geo.local/geo", "k", 0.0)
