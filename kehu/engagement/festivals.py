"""The Chinese festivals on their real dates each year, from a calendar library (lunar-python).

Lunar festivals follow the lunar calendar (Spring Festival is the 1st of the 1st lunar month);
Qingming is a solar term, worked out astronomically by the library; the others are fixed solar
dates. No hand-kept table of dates: any year the library covers works.
"""

import datetime
import functools
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from lunar_python import Lunar, Solar

# (code, name, lunar month, lunar day); month 12 day 30 is New Year's Eve, moved to the 29th when
# the twelfth month has only 29 days that year.
LUNAR_FESTIVALS = [
    ("spring", _("Spring Festival"), 1, 1),
    ("lantern", _("Lantern Festival"), 1, 15),
    ("dragon_boat", _("Dragon Boat Festival"), 5, 5),
    ("qixi", _("Qixi Festival"), 7, 7),
    ("mid_autumn", _("Mid-Autumn Festival"), 8, 15),
    ("double_ninth", _("Double Ninth Festival"), 9, 9),
    ("laba", _("Laba Festival"), 12, 8),
]
SOLAR_FESTIVALS = [
    ("new_year", _("New Year's Day"), 1, 1),
    ("labour", _("Labour Day"), 5, 1),
    ("national", _("National Day"), 10, 1),
]


@dataclass(frozen=True)
class Festival:
    code: str
    name: object  # lazy translatable
    date: datetime.date


def _ymd(solar: Solar) -> datetime.date:
    return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())


@functools.lru_cache(maxsize=64)
def festivals(year: int) -> tuple[Festival, ...]:
    """Every festival falling in the solar year ``year``, by date."""
    out: list[Festival] = []
    for code, name, month, day in LUNAR_FESTIVALS:
        # A lunar festival of solar year Y belongs to lunar year Y, except late-winter ones
        # (Laba) that can fall in January of Y+1: take both lunar years and keep what lands in Y.
        for lunar_year in (year - 1, year):
            date = _ymd(Lunar.fromYmd(lunar_year, month, day).getSolar())
            if date.year == year:
                out.append(Festival(code, name, date))
    qingming = Solar.fromYmd(year, 5, 1).getLunar().getJieQiTable()["清明"]
    out.append(Festival("qingming", _("Qingming Festival"), _ymd(qingming)))
    for code, name, month, day in SOLAR_FESTIVALS:
        out.append(Festival(code, name, datetime.date(year, month, day)))
    return tuple(sorted(out, key=lambda f: f.date))


def festivals_between(start: datetime.date, end: datetime.date) -> list[Festival]:
    return [f for year in range(start.year, end.year + 1) for f in festivals(year) if start <= f.date <= end]
