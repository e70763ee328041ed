"""Birthdays kept in the lunar calendar fall on a different solar date each year."""

import datetime

from lunardate import LunarDate


def lunar_to_solar(year: int, month: int, day: int, leap: bool = False) -> datetime.date | None:
    """The solar date of a lunar month/day in the lunar year ``year``.

    A day 30 in a 29-day month falls back to day 29; a leap month that year lacks falls back to
    the ordinary month, as families do when celebrating.
    """
    for d in (day, day - 1):
        for is_leap in ((leap, False) if leap else (False,)):
            try:
                return LunarDate(year, month, d, is_leap).to_solar_date()
            except ValueError:
                continue
    return None


def next_occurrence(
    *, today: datetime.date, month: int, day: int, lunar: bool, leap: bool = False
) -> datetime.date | None:
    """The next date (today included) a birthday given as month/day falls on."""
    for year in (today.year - 1, today.year, today.year + 1):
        if lunar:
            candidate = lunar_to_solar(year, month, day, leap)
        else:
            try:
                candidate = datetime.date(year, month, day)
            except ValueError:  # 29 February in a common year
                candidate = datetime.date(year, 2, 28)
        if candidate and candidate >= today:
            return candidate
    return None
