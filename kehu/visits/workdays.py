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
