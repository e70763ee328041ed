import datetime
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.accounts.models import Notification
from kehu.customers.models import Customer, Lifecycle, PursuitDecision
from kehu.visits.models import CadencePolicy, EntryKind, PlanKind, PlanStatus, Slot
from kehu.visits.services import (
    cadence_for,
    morning_capacity,
    plan_decide,
    plan_entry_add,
    plan_generate,
    plan_submit,
    policy_current,
    policy_update,
)
from kehu.visits.tests.factories import graded_customer

D = datetime.date


def test_cadence_by_grade_and_pursuit(org):
    policy = CadencePolicy()
    assert cadence_for(graded_customer(org.alice, "A"), policy).per_month == 4
    assert cadence_for(graded_customer(org.alice, "A"), policy).morning
    assert cadence_for(graded_customer(org.alice, "B"), policy).per_month == 2
    assert cadence_for(graded_customer(org.alice, "C"), policy).per_month == 1
    prospect = graded_customer(org.alice, lifecycle=Lifecycle.PROSPECT, pursuit=PursuitDecision.CONTINUE)
    assert cadence_for(prospect, policy).per_month == 2
    assert cadence_for(prospect, policy).penalty == 2000
    Customer.objects.filter(pk=prospect.pk).update(pursuit=PursuitDecision.LOW_CADENCE)
    prospect.refresh_from_db()
    assert cadence_for(prospect, policy).per_month == 1
    Customer.objects.filter(pk=prospect.pk).update(pursuit=PursuitDecision.GIVE_UP)
    prospect.refresh_from_db()
    assert cadence_for(prospect, policy).per_month == 0
    assert [cadence_for(graded_customer(org.alice, g), policy).penalty for g in "ABC"] == [10000, 3000, 1000]


def test_policy_edits_keep_history_and_only_admin_edits(org):
    with pytest.raises(PermissionDenied):
        policy_update(user=org.sam, data={"a_per_month": 5})
    policy_update(user=org.ada, data={"a_per_month": 5, "note": "旺季"})
    policy_update(user=org.ada, data={"b_per_month": 3})
    assert CadencePolicy.objects.count() == 2
    current = policy_current()
    assert (current.a_per_month, current.b_per_month) == (5, 3)
    assert CadencePolicy.objects.order_by("created_at", "id").first().b_per_month == 2
    with pytest.raises(ValidationError):
        policy_update(user=org.ada, data={"morning_end": datetime.time(7, 0)})


def test_a_mornings_hold_at_most_their_capacity_and_days_group_by_area(org):
    policy = CadencePolicy()
    assert morning_capacity(policy) == 4  # 08:30–12:00 with 40-minute visits and driving
    for i in range(20):  # 80 A visits: November 2026's 21 mornings hold 84
        graded_customer(org.alice, "A", district=i % 3)
    for i in range(10):
        graded_customer(org.alice, "B", district=i % 3)
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=D(2026, 11, 2))
    a_per_morning = Counter(plan.entries.filter(grade="A").values_list("date", flat=True))
    assert max(a_per_morning.values()) <= 4
    assert plan.entries.filter(grade="A", slot=Slot.MORNING).count() == 80
    # grouped by area: on average a day sees fewer areas than it has visits
    areas = {}
    for date, area in plan.entries.values_list("date", "area"):
        areas.setdefault(date, set()).add(area)
    counts = Counter(plan.entries.values_list("date", flat=True))
    assert sum(len(a) for a in areas.values()) < sum(counts.values()) / 2
    # positions: mornings first within each day
    for date in counts:
        slots = list(plan.entries.filter(date=date).order_by("position").values_list("slot", flat=True))
        assert slots == sorted(slots, key=lambda s: 0 if s == Slot.MORNING else 1)


def test_weekly_plan_follows_the_monthly_plan(org):
    for i in range(3):
        graded_customer(org.alice, "A", district=i)
    graded_customer(org.alice, "C")
    month = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=D(2026, 11, 2))
    week = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=D(2026, 11, 11))
    monthly_in_week = month.entries.filter(date__gte=week.starts_on, date__lte=week.ends_on)
    assert Counter(week.entries.values_list("customer_id", flat=True)) == Counter(
        monthly_in_week.values_list("customer_id", flat=True))
    assert week.starts_on == D(2026, 11, 9) and week.ends_on == D(2026, 11, 15)


def test_weekly_plan_without_a_monthly_one_takes_the_weeks_share(org):
    a = graded_customer(org.alice, "A")
    week = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=D(2026, 11, 11))
    assert week.entries.filter(customer=a).count() == 1


def test_key_account_visit_with_the_senior_manager_shows_in_both_plans(org):
    from kehu.visits.selectors import entry_visible, plan_visible

    ka = graded_customer(org.alice, "A")
    Customer.objects.filter(pk=ka.pk).update(is_key_account=True, key_account_sponsor=org.sid)
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=D(2026, 11, 2))
    senior = plan.entries.filter(kind=EntryKind.SENIOR)
    assert senior.count() == 1 and senior.get().companion == org.sid
    assert plan.entries.filter(customer_id=ka.pk).count() == 4
    assert entry_visible(user=org.sid).filter(companion=org.sid).count() == 1
    assert plan in plan_visible(user=org.sid)


def test_supervisor_approves_never_the_rep(org):
    graded_customer(org.alice, "A")
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=D(2026, 11, 11))
    with pytest.raises(PermissionDenied):
        plan_submit(user=org.sam, plan=plan)
    plan_submit(user=org.alice, plan=plan)
    assert Notification.objects.filter(user=org.sam).exists()
    for outsider in (org.alice, org.bob, org.sue, org.kim, org.cathy):
        with pytest.raises(PermissionDenied):
            plan_decide(user=outsider, plan=plan, approve=True)
    with pytest.raises(ValidationError):
        plan_decide(user=org.sam, plan=plan, approve=False, note="  ")
    plan = plan_decide(user=org.sam, plan=plan, approve=True)
    assert plan.status == PlanStatus.APPROVED and plan.decided_by == org.sam
    assert Notification.objects.filter(user=org.alice).exists()
    with pytest.raises(ValidationError):  # an approved plan is not regenerated
        plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=D(2026, 11, 11))


def test_a_supervisor_does_not_approve_their_own_plan(org):
    graded_customer(org.sam, "A")
    plan = plan_generate(user=org.sam, rep=org.sam, kind=PlanKind.WEEK, day=D(2026, 11, 11))
    plan_submit(user=org.sam, plan=plan)
    with pytest.raises(PermissionDenied):
        plan_decide(user=org.sam, plan=plan, approve=True)
    assert plan_decide(user=org.sid, plan=plan, approve=True).status == PlanStatus.APPROVED


def test_rep_edits_only_their_draft(org):
    mine = graded_customer(org.alice, "B")
    theirs = graded_customer(org.bob, "B")
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=D(2026, 11, 11))
    plan_entry_add(user=org.alice, plan=plan, customer=mine, date=D(2026, 11, 12), goal="介绍新品")
    with pytest.raises(ValidationError):
        plan_entry_add(user=org.alice, plan=plan, customer=theirs, date=D(2026, 11, 12))
    with pytest.raises(ValidationError):
        plan_entry_add(user=org.alice, plan=plan, customer=mine, date=D(2026, 12, 12))
    with pytest.raises(PermissionDenied):
        plan_entry_add(user=org.bob, plan=plan, customer=theirs, date=D(2026, 11, 12))
    with pytest.raises(PermissionDenied):
        plan_generate(user=org.bob, rep=org.alice, kind=PlanKind.WEEK, day=D(2026, 11, 11))


def test_senior_visits_follow_the_key_account_programmes_cadence_in_days(org):
    from kehu.keyaccounts.models import AccountPlan, KeyAccountPolicy

    ka = graded_customer(org.alice, "A")
    Customer.objects.filter(pk=ka.pk).update(is_key_account=True, key_account_sponsor=org.sid)

    def seniors(day):
        plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=day)
        return sorted(e.date for e in plan.entries.filter(customer_id=ka.pk, kind=EntryKind.SENIOR, companion=org.sid))

    # the programme's policy, once set, replaces the visit policy's one senior visit a month: every 7 days
    KeyAccountPolicy.objects.create(senior_visit_every_days=7)
    november = seniors(D(2026, 11, 2))
    assert len(november) == 5 and len(set(november)) == 5  # one a week, each on its own day
    # the account plan's own cadence wins over the programme's; counted from the last senior visit
    AccountPlan.objects.create(customer=ka, senior_visit_every_days=90)
    october = seniors(D(2026, 10, 1))
    assert len(october) == 1
    assert seniors(D(2026, 11, 2)) == []  # the next is due 90 days after October's visit
    assert len(seniors(D(2027, 1, 4))) == 1


def test_a_week_without_a_monthly_plan_takes_the_programmes_senior_cadence(org):
    from kehu.keyaccounts.models import KeyAccountPolicy

    ka = graded_customer(org.alice, "C")
    Customer.objects.filter(pk=ka.pk).update(is_key_account=True, key_account_sponsor=org.sid)
    KeyAccountPolicy.objects.create(senior_visit_every_days=7)
    for monday in (D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 16)):  # a monthly C customer, weekly with its sponsor
        week = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=monday)
        assert week.entries.filter(customer_id=ka.pk, kind=EntryKind.SENIOR, companion=org.sid).count() == 1
