"""Lunar birthdays and festival dates against known dates, over several years."""

import datetime

import pytest

from kehu.core.lunar import lunar_to_solar, next_occurrence
from kehu.engagement.festivals import festivals, festivals_between

D = datetime.date

KNOWN = {
    "spring": {2024: D(2024, 2, 10), 2025: D(2025, 1, 29), 2026: D(2026, 2, 17), 2027: D(2027, 2, 6)},
    "lantern": {2025: D(2025, 2, 12), 2026: D(2026, 3, 3)},
    "qingming": {2024: D(2024, 4, 4), 2025: D(2025, 4, 4), 2026: D(2026, 4, 5)},
    "dragon_boat": {2024: D(2024, 6, 10), 2025: D(2025, 5, 31), 2026: D(2026, 6, 19)},
    "mid_autumn": {2024: D(2024, 9, 17), 2025: D(2025, 10, 6), 2026: D(2026, 9, 25), 2027: D(2027, 9, 15)},
    "double_ninth": {2025: D(2025, 10, 29), 2026: D(2026, 10, 18)},
    "national": {2026: D(2026, 10, 1)},
}


@pytest.mark.parametrize(("code", "year"), [(c, y) for c, years in KNOWN.items() for y in years])
def test_festival_dates(code, year):
    dates = {f.code: f.date for f in festivals(year)}
    assert dates[code] == KNOWN[code][year]


def test_each_festival_once_a_year():
    for year in range(2020, 2036):
        codes = [f.code for f in festivals(year) if f.code != "laba"]
        assert len(codes) == len(set(codes)) == 10


def test_festivals_between_crosses_the_year():
    found = festivals_between(D(2026, 12, 20), D(2027, 2, 10))
    assert [f.code for f in found] == ["new_year", "laba", "spring"]


def test_lunar_birthday_moves_each_year():
    # 八月十五 falls on Mid-Autumn day.
    assert lunar_to_solar(2026, 8, 15) == D(2026, 9, 25)
    assert lunar_to_solar(2027, 8, 15) == D(2027, 9, 15)
    assert next_occurrence(today=D(2026, 9, 26), month=8, day=15, lunar=True) == D(2027, 9, 15)


def test_leap_month_birthday():
    # Born in 闰二月 (2023 had a leap second month): in 2023 the leap month's day, in a year without
    # that leap month the ordinary month's (2026), as families celebrate.
    assert lunar_to_solar(2023, 2, 10, leap=True) == D(2023, 3, 31)
    assert lunar_to_solar(2023, 2, 10, leap=False) == D(2023, 3, 1)
    assert lunar_to_solar(2026, 2, 10, leap=True) == D(2026, 3, 28)
    # 2025 had a leap sixth month.
    assert lunar_to_solar(2025, 6, 1, leap=True) == D(2025, 7, 25)
    assert next_occurrence(today=D(2025, 7, 1), month=6, day=1, lunar=True, leap=True) == D(2025, 7, 25)


def test_thirtieth_in_a_29_day_month_falls_on_the_29th():
    # The eighth lunar month of 2026 has 29 days: a birthday on the 30th is kept on the 29th.
    assert lunar_to_solar(2026, 8, 30) == D(2026, 10, 9)
    assert lunar_to_solar(2026, 8, 29) == D(2026, 10, 9)


def test_solar_29_february_in_common_years():
    assert next_occurrence(today=D(2026, 1, 1), month=2, day=29, lunar=False) == D(2026, 2, 28)
    assert next_occurrence(today=D(2028, 1, 1), month=2, day=29, lunar=False) == D(2028, 2, 29)
