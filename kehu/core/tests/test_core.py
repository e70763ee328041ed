import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kehu.core.geo import centroid, parse_address
from kehu.core.lunar import lunar_to_solar, next_occurrence
from kehu.core.money import check_amount, to_money
from kehu.core.phone import normalize_phone
from kehu.core.text import pinyin_full, pinyin_initials
from kehu.core.uscc import check_char, normalize_uscc


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("raw, expected", [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
    ("0086 13812345678", "13812345678"),
    ("021-62345678", "021-62345678"),
    ("(0571) 8765 4321", "0571-87654321"),
    ("010 8888 6666 转 123", "010-88886666-123"),
    ("１３８１２３４５６７８", "13812345678"),  # full-width digits
    ("+86 25 8456 7890", "025-84567890"),  # from abroad the area code drops its 0
    ("+86 512 6288 1234 转 8001", "0512-62881234-8001"),
    ("+86 (0)21 6234 5678", "021-62345678"),
    ("021-52723219-316", "021-52723219-316"),  # as Kehu writes an extension: read back unchanged
    ("0512-62881234-8001", "0512-62881234-8001"),
    ("13812345678-12", "13812345678-12"),
    ("0512-6288-1234", "0512-62881234"),  # dashes inside the number are not an extension
    ("0086-10-8888-6666", "010-88886666"),
    ("", ""),
])
def test_phone_numbers_as_people_type_them(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "1381234567", "23812345678", "abc13812345678", "138123456789", "021-123",
                                 "+86 12 345"])
def test_malformed_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_uscc_check_digit():
    body = "91350100M000100Y4"
    code = body + check_char(body)
    assert normalize_uscc(code.lower()) == code
    wrong = body + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError, match="check digit"):
        normalize_uscc(wrong)
    with pytest.raises(ValidationError):
        normalize_uscc("91350100M000100")  # too short
    with pytest.raises(ValidationError):
        normalize_uscc("91350100M000100YIO")  # I and O are not in the alphabet


def test_known_real_uscc_passes():
    # A published code (the format's standard example) passes the check digit.
    assert normalize_uscc("91110000100005220B") == "91110000100005220B"


@pytest.mark.parametrize("name", [
    "导入测试1号润滑油有限公司", "Shell 壳牌(中国)有限公司 3M", "中国石化 Sinopec Lubricant 长城", "ＡＢＣ　中石化-2号",
    "abc 12", "x.y中z", "银行 of China 1st", "", "  ", "重庆长安汽车", "第3车间 No.5",
])
def test_pinyin_by_runs_equals_pypinyin_on_the_whole_text(name):
    """Pinyin is made run by run (Chinese runs remembered, the rest kept as typed); the result must be
    what pypinyin gives for the whole text."""
    from pypinyin import Style, lazy_pinyin

    from kehu.core.text import normalize

    whole = normalize(name)
    assert pinyin_full(name) == "".join(lazy_pinyin(whole, errors="default")).replace(" ", "")
    initials = [p.strip() for p in lazy_pinyin(whole, style=Style.FIRST_LETTER, errors=lambda s: s.split())]
    assert pinyin_initials(name) == "".join(p[0] if p.isalpha() and p.isascii() else p for p in initials if p)


def test_pinyin_and_initials():
    assert pinyin_full("中石化") == "zhongshihua"
    assert pinyin_initials("中石化") == "zsh"
    assert pinyin_initials("中石化Shell润滑油") == "zshsrhy"
    assert pinyin_initials("ＡＢＣ物流") == "awl"  # full-width Latin becomes one word, its first letter


def test_address_parsed_with_district_location():
    parsed = parse_address("上海市浦东新区张江路123号")
    assert (parsed.province, parsed.city, parsed.district) == ("上海市", "上海市", "浦东新区")
    assert parsed.adcode == "310115"
    assert Decimal("121") < parsed.lng < Decimal("122") and Decimal("30") < parsed.lat < Decimal("32")
    no_province = parse_address("广州天河区体育西路1号")
    assert (no_province.province, no_province.city, no_province.district) == ("广东省", "广州市", "天河区")


def test_unknown_address_has_no_location():
    parsed = parse_address("某某路1号")
    assert parsed.lng is None and parsed.province == ""


def test_centroid_falls_back_to_city_and_province():
    assert centroid("310115") is not None
    assert centroid("320599") == centroid("320500")  # unknown district → its city
    assert centroid("999999") is None


def test_lunar_birthdays_move_each_year():
    # Mid-autumn (lunar 8/15) falls on different solar dates.
    assert lunar_to_solar(2025, 8, 15) == datetime.date(2025, 10, 6)
    assert lunar_to_solar(2026, 8, 15) == datetime.date(2026, 9, 25)
    assert next_occurrence(today=datetime.date(2026, 11, 26), month=8, day=15, lunar=True) == datetime.date(2027, 9, 15)
    # 29 February in a common year is kept on 28 February.
    assert next_occurrence(today=datetime.date(2026, 1, 1), month=2, day=29, lunar=False) == datetime.date(2026, 2, 28)


def test_money_parsing_and_limits():
    assert to_money("1,234.5") == Decimal("1234.50")
    assert to_money(0.1) == Decimal("0.10")
    with pytest.raises(ValidationError):
        to_money("abc")
    with pytest.raises(ValidationError):
        to_money("NaN")
    with pytest.raises(ValidationError):
        check_amount(Decimal("-1"))
    with pytest.raises(ValidationError):
        check_amount(Decimal("1e12"))
