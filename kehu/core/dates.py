"""The days Kehu works with: a date a person types or a query string gives must fall in these
years. Plans, windows and reports count weeks and months around a date; the calendar's own ends
(year 1, year 9999) leave no room for that, and no sale, visit or plan is dated so far away."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)


def in_range(day: datetime.date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def out_of_range_message() -> str:
    return _("Enter a date between %(first)s and %(last)s.") % {"first": FIRST_DAY.isoformat(),
                                                                "last": LAST_DAY.isoformat()}


def validate_day(day: datetime.date | None) -> None:
    """For a form's or a serializer's date field."""
    if day is not None and not in_range(day):
        raise ValidationError(out_of_range_message(), code="date_range")


def parse_day(text: str | None) -> datetime.date | None:
    """A YYYY-MM-DD date from a query string, or None when it is not one or lies outside the range."""
    try:
        day = datetime.date.fromisoformat(text or "")
    except ValueError:
        return None
    return day if in_range(day) else None
