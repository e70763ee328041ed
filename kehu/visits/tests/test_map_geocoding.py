"""The sales map with geocoded customers: approximate positions marked as such, and an
administrator starting the geocoding job from the map."""

from django.test import Client
from django.urls import reverse

from kehu.accounts.models import Role
from kehu.customers.models import Customer, GeoSource
from kehu.customers.tests.test_geocoding import IMMEDIATE, _amap, service  # noqa: F401 (the fixture)
from kehu.testing import UserFactory
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


def test_one_geocoding_run_at_a_time_and_its_counts_are_polled(org, service, settings):  # noqa: F811
    from kehu.core import jobs
    from kehu.core.models import Job, JobStatus
    from kehu.customers.tasks import JOB_KIND
    from kehu.customers.tasks import geocode as geocode_task

    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = "amap", "k-123"
    settings.KEHU_GEOCODER_URL = service.url + "/v3/geocode/geo"
    service.answer = _amap
    graded_customer(org.alice, "A", exact=False, address="上海市黄浦区人民大道200号")
    waiting = jobs.start(kind=JOB_KIND, user=org.ada, task=geocode_task)  # the database backend: it waits
    assert waiting.status == JobStatus.QUEUED
    admin = _client(org.ada)
    response = admin.post(reverse("visits:geocode"), follow=True)
    assert Job.objects.filter(kind=JOB_KIND).count() == 1  # no second run
    assert response.redirect_chain[-1][0].endswith(f"?job={waiting.pk}")
    page = response.content.decode()
    assert "Locating by address is already running" in page
    poll = reverse("visits:geocode_progress", args=[waiting.pk])
    assert f'hx-get="{poll}"' in page
    # another administrator is told who started it
    other = UserFactory.create(username="ann", role=Role.ADMIN)
    other_client = _client(other)
    response = other_client.post(reverse("visits:geocode"), follow=True)
    assert Job.objects.filter(kind=JOB_KIND).count() == 1
    assert f"started by {org.ada}" in response.content.decode()
    assert other_client.get(poll).status_code == 404  # not theirs to watch
    assert _client(org.alice).get(poll).status_code == 403

    # the polled part carries the counts and the reason it stopped, once the run ends
    running = admin.get(poll).content.decode()
    assert f'hx-get="{poll}"' in running and "Placed at their address" not in running
    with jobs.running(waiting.pk) as run:
        run.result = {"geocoded": 1, "approximate": 0, "not_found": 0, "failed": 4,
                      "stopped": "The service did not answer; stopped."}
    done = admin.get(poll).content.decode()
    assert "hx-get" not in done
    assert "Placed at their address: 1; at their street or area (approximate): 0; not found: 0; failed" in done
    assert "The service did not answer; stopped." in done


def test_a_geocoder_url_without_scheme_is_shown_without_the_key(org, settings):
    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = "amap", "SECRET-KEY-42"
    settings.KEHU_GEOCODER_URL = "restapi.amap.com/v3/geocode/geo"
    page = _client(org.ada).get(reverse("visits:map")).content.decode()
    assert "KEHU_GEOCODER_URL" in page and "SECRET" not in page and "restapi" not in page
    response = _client(org.ada).post(reverse("visits:geocode"), follow=True)
    assert "must begin with http:// or https://" in response.content.decode()


def test_a_run_whose_starter_has_been_deleted_says_so(org, settings):
    from kehu.core import jobs
    from kehu.core.models import Job
    from kehu.customers.tasks import JOB_KIND
    from kehu.customers.tasks import geocode as geocode_task

    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = "amap", "k-123"
    starter = UserFactory.create(username="ann", role=Role.ADMIN)
    waiting = jobs.start(kind=JOB_KIND, user=starter, task=geocode_task)  # the database backend: it waits
    starter.delete()
    page = _client(org.ada).post(reverse("visits:geocode"), follow=True).content.decode()
    assert "Locating by address is already running, started at" in page
    assert list(Job.objects.filter(kind=JOB_KIND)) == [waiting]


def test_short_runs_queued_by_saves_do_not_hold_back_the_map_run(org, settings):
    from kehu.core.models import Job, JobStatus
    from kehu.customers.geocoding import everyone_run, geocode_enqueue
    from kehu.customers.tasks import JOB_KIND

    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = "amap", "k-123"
    c = graded_customer(org.alice, "A", exact=False, address="上海市黄浦区人民大道200号")
    short = geocode_enqueue(customer_ids=[c.pk], user=org.alice)  # the database backend: it waits
    assert short is not None
    short.refresh_from_db()
    assert not everyone_run(short)
    Job.objects.filter(pk=short.pk).update(status=JobStatus.RUNNING)  # going, still for that customer only
    response = _client(org.ada).post(reverse("visits:geocode"), follow=True)
    full = Job.objects.filter(kind=JOB_KIND).exclude(pk=short.pk).get()
    assert response.redirect_chain[-1][0].endswith(f"?job={full.pk}") and everyone_run(full)
    assert "already running" not in response.content.decode()
