"""A rep's phone on a bad connection sends the same tap twice, or two devices at once: the day starts
once and a visit is checked in once — never a second row, never an error page. Proven on PostgreSQL
over real connections (one per thread), all released by one barrier; the repeats one after another
on either database."""

import datetime

import pytest
import time_machine
from django.db import connection

from kehu.testing import race
from kehu.visits.models import DayStart, Outcome, Visit
from kehu.visits.services import day_start, visit_check_in, visit_log
from kehu.visits.tests.factories import graded_customer
from kehu.visits.tests.test_day import DAY, _entry

NOW = datetime.datetime(2026, 11, 26, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


@pytest.mark.django_db
def test_a_second_check_in_gives_the_first_visit_back(org):
    customer = graded_customer(org.alice, "A")
    entry = _entry(org.alice, customer)
    with time_machine.travel(NOW, tick=False):
        first = visit_check_in(user=org.alice, entry=entry, lat=float(customer.lat), lng=float(customer.lng))
        again = visit_check_in(user=org.alice, entry=entry, lat=float(customer.lat), lng=float(customer.lng))
        assert again.pk == first.pk and Visit.objects.count() == 1
        # an unplanned visit: the same within a few minutes, until it is logged
        walk_in = visit_check_in(user=org.alice, customer=customer)
        assert walk_in.pk != first.pk and visit_check_in(user=org.alice, customer=customer).pk == walk_in.pk
    with time_machine.travel(NOW + datetime.timedelta(minutes=4), tick=False):
        assert visit_check_in(user=org.alice, customer=customer).pk == walk_in.pk
        visit_log(user=org.alice, visit=walk_in, outcome=Outcome.values[0], summary="谈了新品")
        logged_then_back = visit_check_in(user=org.alice, customer=customer)
        assert logged_then_back.pk != walk_in.pk  # logged: coming back is a new visit
    with time_machine.travel(NOW + datetime.timedelta(hours=3), tick=False):
        assert visit_check_in(user=org.alice, customer=customer).pk not in {walk_in.pk, logged_then_back.pk}
    assert Visit.objects.count() == 4


@pytest.mark.django_db
def test_a_phone_reporting_a_nonsense_accuracy_still_checks_in(org):
    for accuracy in ("inf", "1e400", "nan", "-5", 10**12, "很准"):
        customer = graded_customer(org.alice, "B")
        visit = visit_check_in(user=org.alice, entry=_entry(org.alice, customer), lat=float(customer.lat),
                               lng=float(customer.lng), accuracy=accuracy)
        visit.refresh_from_db()
        assert visit.accuracy_m in (None, 0), accuracy
    customer = graded_customer(org.alice, "B")
    visit = visit_check_in(user=org.alice, entry=_entry(org.alice, customer), accuracy="35.5")
    assert visit.accuracy_m == 35


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_simultaneous_taps_start_the_day_and_check_in_once(org):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL (set DATABASE_URL)")
    ticked = list(DayStart.ITEMS)
    wins, losses = race([lambda: day_start(user=org.alice, date=DAY, ticked=ticked) for _ in range(6)])
    assert len(wins) == 1 and len(losses) == 5
    assert all("started already" in str(exc) or "已" in str(exc) for exc in losses)
    assert DayStart.objects.filter(rep=org.alice, date=DAY).count() == 1

    customer = graded_customer(org.alice, "A")
    entry = _entry(org.alice, customer)
    wins, losses = race([lambda: visit_check_in(user=org.alice, entry=entry, lat=float(customer.lat),
                                                 lng=float(customer.lng)) for _ in range(6)])
    assert len(wins) == 6 and not losses and len({v.pk for v in wins}) == 1
    assert Visit.objects.filter(entry=entry).count() == 1
    other = graded_customer(org.alice, "B")
    wins, _losses = race([lambda: visit_check_in(user=org.alice, customer=other) for _ in range(6)])
    assert len({v.pk for v in wins}) == 1 and Visit.objects.filter(customer=other).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_simultaneous_saves_of_a_log_plan_one_follow_up(org):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL (set DATABASE_URL)")
    from kehu.engagement.models import Touchpoint
    from kehu.visits.models import PlanEntry

    customer = graded_customer(org.alice, "B")
    visit = visit_check_in(user=org.alice, entry=_entry(org.alice, customer))
    photo = ("门头.jpg", "image/jpeg", b"\xff\xd8\xffA")
    wins, losses = race([lambda: visit_log(user=org.alice, visit=visit, outcome=Outcome.values[0], next_step="送报价单",
                                            next_step_on=visit.checked_in_at.date() + datetime.timedelta(days=7),
                                            photos=[photo])
                          for _ in range(6)])
    assert len(wins) == 6 and not losses, (wins, losses)
    assert PlanEntry.objects.filter(from_visit=visit).count() == 1 and visit.photos.count() == 1
    assert Touchpoint.objects.filter(customer=customer).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_a_plan_is_submitted_once_and_not_changed_while_it_is(org):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL (set DATABASE_URL)")
    from kehu.accounts.models import Notification
    from kehu.visits.models import PlanEntry, PlanKind, PlanStatus
    from kehu.visits.services import plan_entry_add, plan_generate, plan_submit

    graded_customer(org.alice, "A")
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=DAY)
    wins, losses = race([lambda: plan_submit(user=org.alice, plan=plan) for _ in range(6)])
    assert len(wins) == 1 and len(losses) == 5
    assert Notification.objects.filter(user=org.sam).count() == 1

    other = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=DAY + datetime.timedelta(days=7))
    extra = [graded_customer(org.alice, "C") for _ in range(5)]
    entries_before = PlanEntry.objects.filter(plan=other).count()
    calls = [lambda: plan_submit(user=org.alice, plan=other)]
    calls += [lambda c=c: plan_entry_add(user=org.alice, plan=other, customer=c, date=other.starts_on) for c in extra]
    wins, losses = race(calls)
    other.refresh_from_db()
    assert other.status == PlanStatus.SUBMITTED
    added = PlanEntry.objects.filter(plan=other).count() - entries_before
    # every change either went in before the submission or was refused after it
    assert added + len(losses) == len(extra) and len(wins) == 1 + added
    assert other.submitted_at >= max((e.created_at for e in PlanEntry.objects.filter(plan=other)), default=other.submitted_at)
