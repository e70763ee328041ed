import datetime

import pytest

from kehu.visits.models import CompanyHoliday, PlanKind
from kehu.visits.services import plan_generate
from kehu.visits.tests.factories import graded_customer
from kehu.visits.workdays import working_days

D = datetime.date


@pytest.mark.django_db
def test_official_calendar_has_holidays_and_make_up_days():
    # September 2026: the Mid-Autumn Festival (Fri 25th) is off; Sunday 20th is a make-up working day.
    days = working_days(start=D(2026, 9, 1), end=D(2026, 9, 30))
    assert D(2026, 9, 25) not in days.days
    assert D(2026, 9, 20) in days.days
    assert D(2026, 9, 19) not in days.days  # an ordinary Saturday
    assert len(days.days) == 22
    assert days.notice == ""


@pytest.mark.django_db
def test_company_holidays_come_off():
    CompanyHoliday.objects.create(date=D(2026, 9, 14), name="公司年会")
    days = working_days(start=D(2026, 9, 1), end=D(2026, 9, 30))
    assert D(2026, 9, 14) not in days.days
    assert len(days.days) == 21


@pytest.mark.django_db
def test_a_year_the_library_does_not_cover_is_weekdays_with_a_notice():
    days = working_days(start=D(2031, 1, 1), end=D(2031, 1, 31))
    assert days.uncovered_years == [2031]
    assert "2031" in days.notice
    assert all(d.weekday() < 5 for d in days.days)
    assert len(days.days) == 23  # January 2031: 23 weekdays, New Year's Day not known


def test_monthly_plan_over_a_month_with_a_holiday_and_a_make_up_day(org):
    a = graded_customer(org.alice, "A")
    graded_customer(org.alice, "B")
    graded_customer(org.alice, "C")
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=D(2026, 9, 10))
    dates = set(plan.entries.values_list("date", flat=True))
    assert D(2026, 9, 25) not in dates
    assert all(d.weekday() < 5 or d == D(2026, 9, 20) for d in dates)
    # one in each of the five weeks September holds (Mon 31 August's week has four of its working
    # days in September; the week of 28 September ends in the National Day holiday)
    assert plan.entries.filter(customer=a).count() == 5
    assert plan.calendar_notice == ""


def test_monthly_plan_uses_the_make_up_day_when_the_book_is_full(org):
    # enough A customers to fill every morning: the make-up Sunday is used like any working day
    for i in range(30):
        graded_customer(org.alice, "A", district=i)
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=D(2026, 9, 10))
    assert plan.entries.filter(date=D(2026, 9, 20)).exists()
    assert not plan.entries.filter(date=D(2026, 9, 25)).exists()


def test_plan_in_an_uncovered_year_carries_the_notice(org):
    graded_customer(org.alice, "A")
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=D(2031, 3, 3))
    assert "2031" in plan.calendar_notice
    assert all(d.weekday() < 5 for d in plan.entries.values_list("date", flat=True))
