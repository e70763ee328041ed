"""Cell values as people type them in Excel and CSV, into Python values.

Each parser takes what the reader gave (str, int, float, date, datetime…) and returns the value or
raises ``ValueError`` with a reason in the user's language.
"""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.core.phone import normalize_phone
from kehu.core.text import cell_text as text

# Excel's day 0 is 1899-12-30 (it counts the 1900 leap day that never was).
EXCEL_EPOCH = datetime.date(1899, 12, 30)
_DATE_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{4,5}(?:\.\d+)?$")
_AMOUNT_NOISE = re.compile(r"[\s,，¥￥]|RMB|CNY|人民币", re.IGNORECASE)
CENT = Decimal("0.01")


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value: object) -> datetime.date:
    """2026-11-26, 2026/11/26, 2026.11.26, 2026年11月26日, 20261126, Excel serials and dates."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if 19000101 <= number <= 21001231 and number.is_integer():
            return parse_date(str(int(number)))
        if 1 <= number < 2958466:  # up to 9999-12-31
            return EXCEL_EPOCH + datetime.timedelta(days=int(number))
        raise ValueError(_("“%(value)s” is not a date.") % {"value": text(value)})
    raw = text(value)
    match = _DATE_YMD.match(raw) or _DATE_COMPACT.match(raw)
    try:
        if match:
            return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if _SERIAL.match(raw):
            return parse_date(float(raw))
    except ValueError:
        raise ValueError(_("“%(value)s” is not a date that exists.") % {"value": raw}) from None
    raise ValueError(_("“%(value)s” is not a date; write it as 2026-11-26.") % {"value": raw})


def parse_decimal(value: object, *, places: str = "0.01", allow_negative: bool = False) -> Decimal:
    """Amounts and quantities: 1,234.50, ¥1234, 1234元, 12.5万元 (×10,000), full-width digits,
    (123) or -123 for negatives where negatives are allowed."""
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text(value)})
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        raw = text(value)
        cleaned = _AMOUNT_NOISE.sub("", raw)
        scale = Decimal(1)
        if cleaned.endswith("万元") or cleaned.endswith("万"):
            scale = Decimal(10000)
            cleaned = cleaned.removesuffix("元").removesuffix("万")
        cleaned = cleaned.removesuffix("元")
        negative = False
        if cleaned.startswith("(") and cleaned.endswith(")"):
            negative, cleaned = True, cleaned[1:-1]
        try:
            number = Decimal(cleaned) * scale
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": raw}) from None
        if not number.is_finite():
            raise ValueError(_("“%(value)s” is not a number.") % {"value": raw})
        if negative:
            number = -number
    if number < 0 and not allow_negative:
        raise ValueError(_("Negative numbers are not accepted here (%(value)s).") % {"value": text(value)})
    try:
        return number.quantize(Decimal(places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than a decimal holds: a typo, never an amount
        raise ValueError(_("“%(value)s” is too large to be a number Kehu keeps; check it.") % {"value": text(value)}) from None


def parse_int(value: object) -> int:
    number = parse_decimal(value, places="0.0001")
    if number != number.to_integral_value():
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": text(value)})
    return int(number)


def parse_phone(value: object) -> str:
    try:
        return normalize_phone(text(value))
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None


TRUE_WORDS = {"1", "y", "yes", "true", "是", "有", "√", "✓", "x", "启用", "有效", "在售"}
FALSE_WORDS = {"0", "n", "no", "false", "否", "无", "停用", "无效", "停售", ""}


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(_("“%(value)s” is not yes or no.") % {"value": text(value)})
