"""The monthly plan's weekly and fortnightly visits: one A visit in every calendar week that has a
working day — across the months' plans, over public holidays and make-up working days (调休) — and
B visits every other week."""

import datetime
from collections import Counter, defaultdict

from kehu.visits.models import PlanEntry, PlanKind, Slot
from kehu.visits.services import morning_capacity, plan_generate, policy_current
from kehu.visits.tests.factories import graded_customer
from kehu.visits.workdays import month_weeks, week_bounds, working_days

D = datetime.date


def _mondays(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    monday, out = week_bounds(start)[0], []
    while monday <= end:
        out.append(monday)
        monday += datetime.timedelta(days=7)
    return out


def _weeks_by_customer(entries) -> dict[int, list[datetime.date]]:
    out: dict[int, list[datetime.date]] = defaultdict(list)
    for customer_id, date in entries.values_list("customer_id", "date"):
        out[customer_id].append(week_bounds(date)[0])
    return out


def test_a_straddling_week_belongs_to_the_month_holding_more_of_its_working_days(db):
    october = month_weeks(D(2025, 10, 1), D(2025, 10, 31))
    # 29 September – 5 October: only the 29th and 30th are worked (1–8 October is the National Day
    # holiday), so the week is September's; 27–31 October is October's.
    assert sorted(october.weeks) == [D(2025, 10, 6), D(2025, 10, 13), D(2025, 10, 20), D(2025, 10, 27)]
    assert october.weeks[D(2025, 10, 6)] == [D(2025, 10, 9), D(2025, 10, 10), D(2025, 10, 11)]  # Saturday 11th: 调休
    september = month_weeks(D(2025, 9, 1), D(2025, 9, 30))
    assert september.weeks[D(2025, 9, 29)] == [D(2025, 9, 29), D(2025, 9, 30)]
    assert D(2025, 9, 28) in september.weeks[D(2025, 9, 22)]  # the make-up Sunday
    february = month_weeks(D(2026, 2, 1), D(2026, 2, 28))
    assert D(2026, 2, 16) not in february.weeks and D(2026, 2, 16) in february.empty  # the Spring Festival week


def test_every_a_customer_is_seen_once_in_every_week_with_a_working_day(org):
    # three months around the National Day holiday of 2025: holidays 1–8 October, make-up working
    # days Sunday 28 September and Saturday 11 October. Eight A customers: the two working mornings
    # of 29 September – 5 October hold them at four a morning.
    a_customers = [graded_customer(org.alice, "A", district=i % 3) for i in range(8)]
    b_customers = [graded_customer(org.alice, "B", district=i % 4) for i in range(8)]
    plans = [plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=D(2025, m, 1)) for m in (9, 10, 11)]
    entries = PlanEntry.objects.filter(plan__in=plans)
    workdays = set(working_days(start=D(2025, 9, 1), end=D(2025, 11, 30)).days)
    assert {e.date for e in entries} <= workdays  # never on a holiday or an ordinary weekend

    a_weeks = _weeks_by_customer(entries.filter(grade="A"))
    mondays = [m for m in _mondays(D(2025, 9, 1), D(2025, 11, 30)) if any(week_bounds(d)[0] == m for d in workdays)
               and m >= D(2025, 9, 1)]
    for customer in a_customers:
        assert Counter(a_weeks[customer.pk]) == Counter(mondays), customer.code  # exactly one a week
    a_entries = entries.filter(grade="A")
    assert all(e.slot == Slot.MORNING for e in a_entries)
    per_morning = Counter(a_entries.values_list("date", flat=True))
    assert max(per_morning.values()) <= morning_capacity(policy_current())
    # the same weekday every week where the calendar allows: a week apart once the holiday is over
    for customer in a_customers:
        dates = sorted(a_entries.filter(customer=customer, date__gte=D(2025, 10, 13)).values_list("date", flat=True))
        assert {(b - a).days for a, b in zip(dates, dates[1:], strict=False)} == {7}

    # B: every other week, evenly: consecutive visits two weeks apart across the months' plans
    b_weeks = _weeks_by_customer(entries.filter(grade="B"))
    for customer in b_customers:
        weeks = sorted(b_weeks[customer.pk])
        assert len(weeks) >= 6
        assert {(b - a).days for a, b in zip(weeks, weeks[1:], strict=False)} == {14}, customer.code


def test_a_short_week_uses_its_make_up_day_for_the_a_mornings(org):
    # 6–12 October 2025 has three working mornings (9, 10 and the make-up Saturday 11): twelve A
    # customers fill them at four a morning, none spills into another week.
    for i in range(12):
        graded_customer(org.alice, "A", district=i % 3)
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=D(2025, 10, 1))
    week = Counter(plan.entries.filter(date__gte=D(2025, 10, 6), date__lte=D(2025, 10, 12)).values_list("date", flat=True))
    assert week == {D(2025, 10, 9): 4, D(2025, 10, 10): 4, D(2025, 10, 11): 4}
    assert plan.entries.count() == 12 * 4


def test_the_spring_festival_week_has_no_visit_and_no_fortnightly_visit_is_lost(org):
    # February 2026: 15–23 February off (the week of the 16th has no working day at all), Saturdays
    # 14 and 28 February worked.
    a = graded_customer(org.alice, "A")
    b_customers = [graded_customer(org.alice, "B", district=i % 4) for i in range(10)]
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=D(2026, 2, 1))
    a_weeks = [week_bounds(d)[0] for d in plan.entries.filter(customer=a).values_list("date", flat=True)]
    assert sorted(a_weeks) == [D(2026, 2, 2), D(2026, 2, 9), D(2026, 2, 23)]
    assert not plan.entries.filter(date__gte=D(2026, 2, 15), date__lte=D(2026, 2, 23)).exists()
    b_weeks = _weeks_by_customer(plan.entries.filter(grade="B"))
    phases = set()
    for customer in b_customers:
        weeks = sorted(b_weeks[customer.pk])
        assert len(weeks) == 2 and weeks[1] - weeks[0] >= datetime.timedelta(days=14), customer.code
        phases.add(weeks[0])
    assert phases == {D(2026, 2, 2), D(2026, 2, 9)}  # both fortnights occur in the book


def test_weekly_plans_without_a_monthly_plan_keep_the_same_weeks(org):
    a = graded_customer(org.alice, "A")
    bs = [graded_customer(org.alice, "B", district=i % 4) for i in range(6)]
    seen: dict[int, list[datetime.date]] = defaultdict(list)
    for monday in _mondays(D(2025, 9, 1), D(2025, 11, 24)):
        week = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=monday)
        for customer_id, date in week.entries.values_list("customer_id", "date"):
            assert week_bounds(date)[0] == monday
            seen[customer_id].append(monday)
    assert seen[a.pk] == _mondays(D(2025, 9, 1), D(2025, 11, 24))  # every one of those weeks has a working day
    for b in bs:
        assert {(y - x).days for x, y in zip(seen[b.pk], seen[b.pk][1:], strict=False)} == {14}
