"""Working days: the official Chinese calendar (holidays and make-up working days, 调休) from the
maintained ``chinesecalendar`` library, the company's own holidays on top, and weekends only —
with a notice saying so — for a year the library has not yet published."""

import datetime
from dataclasses import dataclass, field

import chinese_calendar

from .models import CompanyHoliday


@dataclass
class WorkingDays:
    days: list[datetime.date]
    uncovered_years: list[int] = field(default_factory=list)

    @property
    def notice(self) -> str:
        """Worded when shown (the reader's language); empty when the official calendar covered it all."""
        from django.utils.translation import gettext as _

        if not self.uncovered_years:
            return ""
        return _("The official holiday calendar for %(years)s is not published yet: working days are "
                 "Monday to Friday less the company holidays, with no public holidays or make-up days.") % {
            "years": ", ".join(str(y) for y in self.uncovered_years)}


def _official_workday(day: datetime.date) -> bool | None:
    """True or False by the official calendar; None when the library does not cover the year."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def working_days(*, start: datetime.date, end: datetime.date) -> WorkingDays:
    """The working days from ``start`` to ``end`` inclusive."""
    company = set(CompanyHoliday.objects.filter(date__gte=start, date__lte=end).values_list("date", flat=True))
    days: list[datetime.date] = []
    uncovered: set[int] = set()
    day = start
    while day <= end:
        official = _official_workday(day)
        if official is None:
            uncovered.add(day.year)
            official = day.weekday() < 5
        if official and day not in company:
            days.append(day)
        day += datetime.timedelta(days=1)
    return WorkingDays(days=days, uncovered_years=sorted(uncovered))


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = day.replace(day=1)
    nxt = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, nxt - datetime.timedelta(days=1)


def week_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Monday to Sunday: a make-up Saturday or Sunday belongs to its week."""
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


@dataclass
class MonthWeeks:
    """The calendar weeks (Monday to Sunday) a month's plan covers, by the rule in ``month_weeks``."""

    weeks: dict[datetime.date, list[datetime.date]]  # Monday: the month's working days in that week
    empty: set[datetime.date]  # Mondays of the weeks around the month with no working day at all


def month_weeks(start: datetime.date, end: datetime.date) -> MonthWeeks:
    """The weeks a month's plan gives its weekly and fortnightly visits to.

    Adherence counts visits by Monday-to-Sunday week, so every week with a working day gets its A
    visit exactly once across the months' plans: a week belongs to the month holding more of its
    working days (the month of its first working day on a tie), and its visit goes on one of that
    month's working days in the week. A week straddling two months therefore has its visit in one
    plan only, and a week without any working day (the Spring Festival) has none.
    """
    first_monday = week_bounds(start)[0]
    last_monday = week_bounds(end)[0]
    known = working_days(start=first_monday - datetime.timedelta(days=7), end=last_monday + datetime.timedelta(days=6))
    by_week: dict[datetime.date, list[datetime.date]] = {}
    for day in known.days:
        by_week.setdefault(week_bounds(day)[0], []).append(day)
    weeks: dict[datetime.date, list[datetime.date]] = {}
    empty: set[datetime.date] = set()
    monday = first_monday - datetime.timedelta(days=7)
    while monday <= last_monday:
        days = by_week.get(monday, [])
        inside = [d for d in days if start <= d <= end]
        outside = [d for d in days if not start <= d <= end]
        if not days:
            empty.add(monday)
        elif inside and (len(inside) > len(outside) or (len(inside) == len(outside) and inside[0] < outside[0])):
            weeks[monday] = inside
        monday += datetime.timedelta(days=7)
    return MonthWeeks(weeks=weeks, empty=empty)


def week_number(monday: datetime.date) -> int:
    """Weeks since a fixed Monday, so fortnights alternate the same way across months and years."""
    return (monday.toordinal() - 1) // 7


def fortnight_week(monday: datetime.date, phase: int, empty: set[datetime.date]) -> bool:
    """Whether a fortnightly visit of ``phase`` (0 or 1) falls in the week of ``monday``: every other
    week, and the week after when its own week has no working day at all."""
    if week_number(monday) % 2 == phase:
        return True
    before = monday - datetime.timedelta(days=7)
    return week_number(before) % 2 == phase and before in empty
