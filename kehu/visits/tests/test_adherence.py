import datetime

import time_machine
from django.utils import timezone

from kehu.accounts.models import Notification
from kehu.customers.models import Customer
from kehu.visits.daily import flag_overdue_a
from kehu.visits.models import EntryStatus, PlanEntry, PlanKind, Visit
from kehu.visits.selectors import adherence, overdue_a
from kehu.visits.services import _plan_for
from kehu.visits.tests.factories import graded_customer

D = datetime.date


def _entry(rep, customer, date, status=EntryStatus.PLANNED):
    plan = _plan_for(rep=rep, kind=PlanKind.WEEK, day=date)
    return PlanEntry.objects.create(plan=plan, customer=customer, date=date, grade=customer.abc_grade, status=status)


def _visited(rep, customer, when: datetime.date):
    return Visit.objects.create(rep=rep, customer=customer, checked_in_at=timezone.make_aware(
        datetime.datetime.combine(when, datetime.time(10, 0))))


def test_adherence_counts_planned_and_done_per_rep_grade_and_week(org):
    a = graded_customer(org.alice, "A")
    b = graded_customer(org.alice, "B")
    c = graded_customer(org.bob, "C")
    _entry(org.alice, a, D(2026, 11, 2), EntryStatus.DONE)
    _entry(org.alice, a, D(2026, 11, 4), EntryStatus.SKIPPED)
    _entry(org.alice, b, D(2026, 11, 5), EntryStatus.DONE)
    _entry(org.alice, a, D(2026, 11, 9), EntryStatus.DONE)
    _entry(org.bob, c, D(2026, 11, 10))
    _entry(org.alice, b, D(2026, 11, 11), EntryStatus.CANCELLED)  # cancelled visits are not planned ones
    rows = {(r["rep"].username, r["grade"], r["week"]): (r["planned"], r["done"], r["pct"])
            for r in adherence(user=org.sam, start=D(2026, 11, 1), end=D(2026, 11, 30))}
    assert rows == {
        ("alice", "A", D(2026, 11, 2)): (2, 1, 50),
        ("alice", "B", D(2026, 11, 2)): (1, 1, 100),
        ("alice", "A", D(2026, 11, 9)): (1, 1, 100),
        ("bob", "C", D(2026, 11, 9)): (1, 0, 0),
    }
    assert {r["rep"].username for r in adherence(user=org.alice, start=D(2026, 11, 1), end=D(2026, 11, 30))} == {"alice"}
    assert adherence(user=org.sue, start=D(2026, 11, 1), end=D(2026, 11, 30)) == []


def test_a_customers_past_cadence_are_flagged(org):
    fresh = graded_customer(org.alice, "A")
    stale = graded_customer(org.alice, "A")
    never = graded_customer(org.alice, "A")
    graded_customer(org.alice, "B")  # B customers are not in this flag
    _visited(org.alice, fresh, D(2026, 11, 20))
    _visited(org.alice, stale, D(2026, 11, 10))
    today = D(2026, 11, 26)
    rows = {r["customer"].pk: r for r in overdue_a(user=org.alice, today=today)}
    assert set(rows) == {stale.pk, never.pk}
    assert rows[stale.pk]["days"] == 16 and rows[stale.pk]["limit"] == 8
    assert rows[never.pk]["last"] is None
    assert overdue_a(user=org.bob, today=today) == []
    assert len(overdue_a(user=org.sam, today=today)) == 2


@time_machine.travel(datetime.datetime(2026, 11, 26, 7, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))
def test_the_daily_job_tells_the_rep_and_supervisor_once(org):
    stale = graded_customer(org.alice, "A")
    _visited(org.alice, stale, D(2026, 11, 1))
    Customer.objects.filter(pk=stale.pk).update(name="久未拜访有限公司")
    assert flag_overdue_a(today=D(2026, 11, 26)) == 2
    assert Notification.objects.filter(user=org.alice, text__contains="久未拜访").exists()
    assert Notification.objects.filter(user=org.sam, text__contains="久未拜访").exists()
    assert flag_overdue_a(today=D(2026, 11, 26)) == 0  # idempotent
    assert Notification.objects.count() == 2


@time_machine.travel(datetime.datetime(2026, 11, 26, 7, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))
def test_the_daily_job_reads_the_same_few_times_however_many_customers(org, django_assert_max_num_queries):
    for _ in range(12):
        graded_customer(org.alice, "A")  # never visited
    with django_assert_max_num_queries(20):  # the policy, the customers, who was told; one insert per customer
        assert flag_overdue_a(today=D(2026, 11, 26)) == 24
    with django_assert_max_num_queries(4):
        assert flag_overdue_a(today=D(2026, 11, 26)) == 0
