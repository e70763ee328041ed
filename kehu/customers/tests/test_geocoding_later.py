"""Customers placed at their addresses on their own: a save or an import that leaves customers without
a position of their own queues a geocoding run for them once it commits (when a geocoder is
configured), and the worker places them — against the real HTTP server of test_geocoding. The
database work commits here, as in a request, so what waits for a commit runs, and the worker
(`kehu worker --batch`, in this process) finds the queued task as it would in its own."""

import datetime
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from kehu.core import jobs
from kehu.core.models import Job, JobStatus
from kehu.customers.geocoding import geocode_enqueue
from kehu.customers.models import Customer, GeoSource
from kehu.customers.services import customer_update
from kehu.customers.tasks import JOB_KIND
from kehu.customers.tasks import geocode as geocode_task
from kehu.customers.tests.test_geocoding import _amap, service  # noqa: F401 (the fixture)
from kehu.dataio.services import import_file
from kehu.dataio.tests.files import xlsx
from kehu.testing import make_customer

pytestmark = pytest.mark.django_db(transaction=True)

HOUSE = "上海市黄浦区人民大道200号"
ROAD = "上海市浦东新区陆家嘴环路"


@pytest.fixture
def geocoder(service, settings):  # noqa: F811
    """AMap configured, answered by the local server; tasks go to the database queue (the worker's)."""
    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = "amap", "k-123"
    settings.KEHU_GEOCODER_URL = service.url + "/v3/geocode/geo"
    service.answer = _amap
    return service


def _queued() -> list[Job]:
    return list(Job.objects.filter(kind=JOB_KIND, status=JobStatus.QUEUED).order_by("pk"))


def _scope(job: Job) -> list[int]:
    return job.result["customers"]


def _work() -> None:
    """The worker, as `kehu worker --batch` runs it: every queued task, then stop."""
    call_command("worker", "--batch", "--interval", "0")


def test_a_new_customer_is_placed_by_the_worker_after_the_commit(org, geocoder, caplog):
    with transaction.atomic():
        house = make_customer(org.alice, address=HOUSE)
        assert not Job.objects.exists()  # queued when the save commits, not before
    [job] = _queued()
    assert _scope(job) == [house.pk] and job.total == 1 and job.user == org.alice
    assert geocoder.requests == []  # the save did not wait for the service
    house.refresh_from_db()
    assert house.geo_source == GeoSource.DISTRICT  # the district table placed it meanwhile

    _work()
    job.refresh_from_db()
    house.refresh_from_db()
    assert job.status == JobStatus.DONE and (job.result["candidates"], job.result["geocoded"]) == (1, 1)
    assert house.geo_source == GeoSource.GEOCODED and not house.location_approximate
    assert [r["query"]["address"] for r in geocoder.requests] == [HOUSE]
    # the address is in neither the job nor the logs
    for text in (job.message, json.dumps(job.result, ensure_ascii=False), caplog.text):
        assert "人民大道" not in text and "k-123" not in text


def test_a_changed_address_is_queued_and_other_changes_are_not(org, geocoder):
    road = make_customer(org.alice, address=ROAD)
    exact = make_customer(org.alice, address=HOUSE, lat=Decimal("31.2"), lng=Decimal("121.4"))
    bare = make_customer(org.alice, address="")
    assert [_scope(job) for job in _queued()] == [[road.pk]]  # exact coordinates, or no address: nothing to ask
    _work()
    road.refresh_from_db()
    assert road.geo_source == GeoSource.GEOCODED_AREA and road.location_approximate

    customer_update(user=org.alice, customer=road, data={"phone": "021-62345678"})
    customer_update(user=org.alice, customer=exact, data={"address": ROAD + "1号"})  # keeps its coordinates
    customer_update(user=org.alice, customer=road, data={"address": ROAD, "lat": Decimal("31.24"), "lng": Decimal("121.5")})
    assert _queued() == []
    road.refresh_from_db()
    assert road.geo_source == GeoSource.EXACT

    customer_update(user=org.alice, customer=bare, data={"address": HOUSE})
    assert [_scope(job) for job in _queued()] == [[bare.pk]]
    _work()
    bare.refresh_from_db()
    assert bare.geo_source == GeoSource.GEOCODED


def test_nothing_is_queued_without_a_usable_geocoder(org, service, settings):  # noqa: F811
    settings.KEHU_GEOCODER = ""
    make_customer(org.alice, address=HOUSE)
    assert not Job.objects.exists()
    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_URL = "amap", "restapi.amap.com/v3/geocode/geo"  # no scheme
    make_customer(org.alice, address=ROAD)  # saved all the same; the map tells administrators why
    assert not Job.objects.exists()
    assert service.requests == []


def test_one_run_per_customer_at_a_time(org, geocoder):
    a = make_customer(org.alice, address=HOUSE)
    customer_update(user=org.alice, customer=a, data={"address": HOUSE.replace("200", "201")})
    [first] = _queued()  # the second save's customer is the queued run's already
    assert _scope(first) == [a.pk]
    b = make_customer(org.alice, address=ROAD)
    assert [_scope(job) for job in _queued()] == [[a.pk], [b.pk]]  # another customer, its own run

    # a run that has started read the old address: a change now needs a run of its own
    Job.objects.filter(pk=first.pk).update(status=JobStatus.RUNNING)
    customer_update(user=org.alice, customer=a, data={"address": HOUSE})
    assert [_scope(job) for job in _queued()] == [[b.pk], [a.pk]]
    Job.objects.filter(kind=JOB_KIND).delete()
    DBTaskResult.objects.all().delete()

    # the map's run for every candidate, still waiting, covers them all
    everything = jobs.start(kind=JOB_KIND, user=org.ada, task=geocode_task)
    make_customer(org.alice, address=HOUSE.replace("200", "300"))
    customer_update(user=org.alice, customer=b, data={"address": ROAD + "8号"})
    assert _queued() == [everything]
    assert geocode_enqueue(customer_ids=[a.pk, b.pk]) is None
    _work()
    everything.refresh_from_db()
    assert everything.result["candidates"] == 3 and everything.result["geocoded"] == 2
    assert len(geocoder.requests) == 3


CUSTOMERS = [
    ["客户名称", "电话", "地址", "业务员"],
    ["上海甲润滑油有限公司", "021 6234 5678", HOUSE, "alice"],
    ["江苏乙机械有限公司", "13800138000", "", "alice"],
    ["浙江丙物流有限公司", "0571-88886666", ROAD, "alice"],
]


def test_an_import_queues_its_customers_when_it_commits(org, geocoder):
    checked = import_file(user=org.sam, kind="customers", name="f.xlsx", source=xlsx(CUSTOMERS))
    assert checked.created == 3 and _queued() == []  # a check writes nothing, so nothing to place
    wrong = import_file(user=org.sam, kind="customers", name="f.xlsx", commit=True,
                        source=xlsx([*CUSTOMERS, ["丁公司", "", HOUSE, "nobody"]]))
    assert not wrong.committed and _queued() == []  # rolled back: nothing queued with it
    done = import_file(user=org.sam, kind="customers", name="f.xlsx", source=xlsx(CUSTOMERS), commit=True)
    assert done.committed
    with_address = set(Customer.objects.exclude(address="").values_list("pk", flat=True))
    [job] = _queued()
    assert set(_scope(job)) == with_address and len(with_address) == 2 and job.user == org.sam
    assert geocoder.requests == []

    # a later import that moves one of them queues that one
    _work()
    moved = [*CUSTOMERS[:3], ["浙江丙物流有限公司", "0571-88886666", ROAD + "8号", "alice"]]
    assert import_file(user=org.sam, kind="customers", name="f.xlsx", source=xlsx(moved), commit=True).updated == 1
    [job] = _queued()
    assert _scope(job) == [Customer.objects.get(name="浙江丙物流有限公司").pk]
    _work()
    assert set(Customer.objects.exclude(address="").values_list("geo_source", flat=True)) == {
        GeoSource.GEOCODED, GeoSource.GEOCODED_AREA}


def test_the_customer_page_saves_without_waiting_for_the_service(org, geocoder):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.alice)
    response = client.post(reverse("customers:new"), {
        "name": "上海戊贸易有限公司", "lifecycle": "prospect", "owner": org.alice.pk, "address": HOUSE})
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get(name="上海戊贸易有限公司")
    assert [_scope(job) for job in _queued()] == [[customer.pk]] and geocoder.requests == []


def test_the_daily_run_queues_every_leftover_once_a_day(org, service, settings):  # noqa: F811
    import datetime

    from django.utils import timezone

    from kehu.core import daily
    from kehu.customers.geocoding import geocode_daily

    today = timezone.localdate()
    assert daily.jobs()["customers-geocode"] is geocode_daily
    settings.KEHU_GEOCODER = ""
    house, road = make_customer(org.alice, address=HOUSE), make_customer(org.alice, address=ROAD)
    make_customer(org.alice)  # no address: nothing to look up
    assert geocode_daily(today=today) == 0 and not Job.objects.exists()  # no service configured
    settings.KEHU_GEOCODER, settings.KEHU_GEOCODER_KEY = "amap", "k-123"
    settings.KEHU_GEOCODER_URL = service.url + "/v3/geocode/geo"
    service.answer = _amap
    saved = make_customer(org.alice, address=HOUSE)  # a save queues a short run of its own
    assert [_scope(job) for job in _queued()] == [[saved.pk]]
    _work()
    assert geocode_daily(today=today) == 2  # the short run today does not stand for the daily one
    [job] = _queued()
    assert geocode_daily(today=today) == 0 and _queued() == [job]  # queued: not twice
    _work()
    assert {c.geo_source for c in Customer.objects.filter(pk__in=[house.pk, road.pk])} == {
        GeoSource.GEOCODED, GeoSource.GEOCODED_AREA}
    assert geocode_daily(today=today) == 0  # ran today: once a day
    assert geocode_daily(today=today + datetime.timedelta(days=1)) == 0  # nothing left to place
    assert Job.objects.filter(kind=JOB_KIND).count() == 2


def test_one_run_at_a_time_a_later_run_goes_back_in_the_queue(org, geocoder):
    """A run that finds another going does not wait in its worker: it goes back in the queue for a
    little later; it runs once the other has ended, or has not moved for a long while, or its
    worker has died."""
    from django.utils import timezone

    from kehu.customers.tasks import RETRY_SECONDS, STALE_SECONDS, Turn, take_turn

    make_customer(org.alice, address=HOUSE)
    make_customer(org.alice, address=ROAD)
    first, second = _queued()
    # the first is going on another worker of this host (this process stands for it)
    Job.objects.filter(pk=first.pk).update(status=JobStatus.RUNNING, started_at=timezone.now(),
                                           host=jobs.host_name(), pid=os.getpid())
    DBTaskResult.objects.filter(pk=first.task_id).update(status="RUNNING")
    task_before = second.task_id
    _work()  # the worker takes the second run: the first is going
    second.refresh_from_db()
    assert second.status == JobStatus.QUEUED and second.task_id != task_before and geocoder.requests == []
    later = DBTaskResult.objects.get(pk=second.task_id)
    assert later.run_after is not None and later.run_after > timezone.now() + datetime.timedelta(seconds=RETRY_SECONDS - 5)
    assert take_turn(second.pk) == Turn.LATER

    # a going run that has not moved for a long while holds no one back
    Job.objects.filter(pk=first.pk).update(updated_at=timezone.now() - datetime.timedelta(seconds=STALE_SECONDS + 1))
    assert take_turn(second.pk) == Turn.CLAIMED
    assert take_turn(second.pk) == Turn.GONE  # claimed already
    Job.objects.filter(pk=second.pk).update(status=JobStatus.QUEUED)

    # a run whose worker died is swept, and the waiting one goes
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    Job.objects.filter(pk=first.pk).update(pid=dead.pid, updated_at=timezone.now())
    DBTaskResult.objects.filter(pk=second.task_id).update(run_after=timezone.now() - datetime.timedelta(seconds=1))
    _work()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == JobStatus.FAILED and "停止前已完成的部分已保留" in first.message  # the default language
    assert second.status == JobStatus.DONE and second.result["candidates"] == 1 and len(geocoder.requests) == 1


def test_a_run_stopped_by_an_error_says_what_it_kept(org, geocoder, monkeypatch):
    from kehu.core.geocode import Geocoder

    customers = [make_customer(org.alice, address=HOUSE.replace("200", str(n))) for n in range(200, 204)]
    real, calls = Geocoder.locate, []

    def breaks_on_the_third(self, address, **kwargs):
        calls.append(address)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(self, address, **kwargs)

    monkeypatch.setattr(Geocoder, "locate", breaks_on_the_third)
    Job.objects.filter(kind=JOB_KIND).delete()
    DBTaskResult.objects.all().delete()
    job = geocode_enqueue(customer_ids=[c.pk for c in customers], user=org.ada)
    _work()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "此前已定位的 2 个客户保留其新位置" in job.message  # the default language
    placed = Customer.objects.filter(pk__in=[c.pk for c in customers], geo_source=GeoSource.GEOCODED).count()
    assert placed == 2


@pytest.mark.postgres
def test_two_workers_at_the_same_moment_one_run_goes(org, geocoder):
    from django.db import connection

    from kehu.customers.tasks import take_turn
    from kehu.testing import race

    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL (set DATABASE_URL)")
    for round_ in range(4):
        make_customer(org.alice, address=f"{HOUSE}{round_}")
        make_customer(org.alice, address=f"{ROAD}{round_}号")
        a, b = _queued()
        turns, _refused = race([lambda a=a: take_turn(a.pk), lambda b=b: take_turn(b.pk)])
        assert sorted(t.value for t in turns) == ["claimed", "later"], round_
        Job.objects.filter(kind=JOB_KIND).update(status=JobStatus.DONE)
