"""Chinese phone numbers as people type them: spaces, dashes, +86, extensions."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")
_EXT = re.compile(r"(?:转|分机|ext\.?|x|#)\s*(\d{1,6})$", re.IGNORECASE)
# Kehu's own way of writing an extension (``021-52723219-316``), as its exports carry it.
_DASHED_EXT = re.compile(r"^((?:0\d{2,3}-)?\d{7,11})-(\d{1,6})$")


def _valid(digits: str) -> bool:
    return bool(_MOBILE.match(digits) or _LANDLINE.match(digits))


def normalize_phone(raw: str) -> str:
    """Return a canonical number: ``13812345678`` or ``021-62345678`` (``-123`` for an extension).

    Raises ValidationError with a message in the user's language when it is not a phone number.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return ""
    ext = ""
    match = _EXT.search(text)
    if match:
        ext = match.group(1)
        text = text[: match.start()]
    else:
        dashed = _DASHED_EXT.match(text)
        if dashed and not _valid(re.sub(r"\D", "", text)) and _valid(re.sub(r"\D", "", dashed.group(1))):
            text, ext = dashed.group(1), dashed.group(2)
    digits = re.sub(r"[\s\-()（）.]", "", text)
    international = False
    if digits.startswith("+86"):
        digits, international = digits[3:], True
    elif digits.startswith("0086"):
        digits, international = digits[4:], True
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if international and digits.isdigit() and not digits.startswith("0") and not _MOBILE.match(digits):
        digits = "0" + digits  # +86 25 8456 7890: dialled from abroad, the area code drops its 0
    if not digits.isdigit():
        raise ValidationError(_("“%(value)s” is not a phone number.") % {"value": raw}, code="phone")
    if _MOBILE.match(digits):
        return digits + (f"-{ext}" if ext else "")
    if _LANDLINE.match(digits):
        # Area codes: 010 and 02x are three digits, the rest four.
        area_len = 3 if digits[1] in "12" else 4
        number = f"{digits[:area_len]}-{digits[area_len:]}"
        return number + (f"-{ext}" if ext else "")
    raise ValidationError(
        _("“%(value)s” is not a phone number: use an 11-digit mobile or a landline with its area code.")
        % {"value": raw},
        code="phone",
    )
