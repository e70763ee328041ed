"""Stored runs keep a snapshot; grade changes reach owner and supervisor once; overrides expire."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.accounts.models import Notification
from kehu.analytics.models import GradeRun, GradeSnapshot, OverrideStatus
from kehu.analytics.services import (
    abc_daily,
    abc_run,
    grade_history,
    override_decide,
    override_request,
)
from kehu.core import daily
from kehu.customers.models import Customer
from kehu.testing import make_customer

from .helpers import sale

pytestmark = pytest.mark.django_db

NOV = datetime.date(2026, 11, 1)
DEC = datetime.date(2026, 12, 1)


def _grade(c):
    return Customer.objects.get(pk=c.pk).abc_grade


def test_snapshot_history_and_change_notified_once(org, django_capture_on_commit_callbacks):
    big = make_customer(org.alice, code="K1")
    mid = make_customer(org.alice, code="K2")
    sale(org, big, 900, day=datetime.date(2026, 10, 10))
    sale(org, mid, 100, day=datetime.date(2026, 10, 10))
    with django_capture_on_commit_callbacks(execute=True):
        first = abc_run(as_of=NOV)
    assert (_grade(big), _grade(mid)) == ("A", "B")
    assert Notification.objects.count() == 0  # a first grade is not news
    assert GradeSnapshot.objects.filter(run=first.run).count() == 2
    # November: mid sells a lot, big nothing: they swap.
    sale(org, mid, 5000, day=datetime.date(2026, 11, 10))
    with django_capture_on_commit_callbacks(execute=True):
        second = abc_run(as_of=DEC)
    assert (_grade(big), _grade(mid)) == ("B", "A")
    notes = list(Notification.objects.order_by("user__username", "text").values_list("user__username", "text"))
    # Owner alice and her supervisor sam, once per change.
    assert [u for u, _t in notes] == ["alice", "alice", "sam", "sam"]
    assert any("A → B" in t for _u, t in notes) and any("B → A" in t for _u, t in notes)
    with django_capture_on_commit_callbacks(execute=True):
        abc_run(as_of=DEC)  # the same grading again: nothing new to say
    assert Notification.objects.count() == 4
    history = grade_history(customer=mid)
    assert [(h.run.as_of, h.grade) for h in history] == [(DEC, "A"), (DEC, "A"), (NOV, "B")]
    assert second.run.policy is None and second.run.threshold_a == 80


def test_dry_run_stores_and_writes_nothing(org):
    c = make_customer(org.alice)
    sale(org, c, 100)
    abc_run(as_of=DEC, dry_run=True)
    assert not GradeRun.objects.exists() and _grade(c) == ""


def test_daily_regrade_registered_idempotent_and_monthly_snapshot(org, django_capture_on_commit_callbacks):
    assert "abc_grading" in daily.jobs()
    c = make_customer(org.alice)
    sale(org, c, 100)
    with django_capture_on_commit_callbacks(execute=True):
        assert abc_daily(today=datetime.date(2026, 12, 2))["stored"] == 1
        assert abc_daily(today=datetime.date(2026, 12, 2)) == {"customers": 1, "changed": 0, "stored": 0}
        assert abc_daily(today=datetime.date(2026, 12, 3))["stored"] == 0
    assert GradeRun.objects.count() == 1 and _grade(c) == "A"


@time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_override_needs_a_supervisor_and_expires(org, django_capture_on_commit_callbacks):
    c = make_customer(org.alice)
    other = make_customer(org.alice)
    sale(org, c, 100, day=datetime.date(2026, 11, 5))
    sale(org, other, 3000, day=datetime.date(2026, 11, 5))
    abc_run(as_of=DEC)
    assert _grade(c) == "C"
    with pytest.raises(ValidationError) as err:
        override_request(user=org.alice, customer=c, grade="A", reason="", expires_on=datetime.date(2026, 11, 30))
    assert set(err.value.message_dict) == {"reason", "expires_on"}
    with pytest.raises(PermissionDenied):
        override_request(user=org.carol, customer=c, grade="A", reason="x", expires_on=datetime.date(2027, 1, 1))
    o = override_request(user=org.alice, customer=c, grade="A", reason="战略客户", expires_on=datetime.date(2027, 1, 1))
    assert _grade(c) == "C"  # nothing until approved
    with pytest.raises(PermissionDenied):
        override_decide(user=org.alice, override=o, approve=True)  # nobody approves their own request
    with pytest.raises(PermissionDenied):
        override_decide(user=org.sue, override=o, approve=True)  # another team's supervisor
    o = override_decide(user=org.sam, override=o, approve=True)
    assert o.status == OverrideStatus.APPROVED and _grade(c) == "A"
    with pytest.raises(ValidationError):
        override_decide(user=org.sid, override=o, approve=False)
    abc_run(as_of=DEC)  # a re-grade keeps the override in force, and records both grades
    assert _grade(c) == "A"
    snap = GradeSnapshot.objects.filter(customer=c).latest("run_id")
    assert (snap.grade, snap.applied) == ("C", "A")
    with time_machine.travel(datetime.datetime(2027, 1, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            abc_daily(today=datetime.date(2027, 1, 2))
    assert _grade(c) == "C"  # expired: the computed grade is back


def test_supervisor_cannot_approve_own_request(org):
    c = make_customer(org.sam)
    o = override_request(user=org.sam, customer=c, grade="B", reason="r", expires_on=datetime.date.today()
                         + datetime.timedelta(days=30))
    with pytest.raises(PermissionDenied):
        override_decide(user=org.sam, override=o, approve=True)
    override_decide(user=org.sid, override=o, approve=True)
    assert _grade(c) == "B"


def test_regrade_task_runs_the_same_grading(org):
    from kehu.analytics.tasks import regrade

    c = make_customer(org.alice)
    sale(org, c, 100)
    result = regrade.call(as_of="2026-12-01")
    assert result["customers"] == 1 and result["run"] == GradeRun.objects.get().pk
    assert _grade(c) == "A"
    regrade.enqueue(as_of="2026-12-01")  # the worker's way in (kehu db_worker runs it)
