"""Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters with a check digit."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(raw: str) -> str:
    code = (raw or "").strip().upper().replace(" ", "")
    if not code:
        return ""
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; “%(value)s” has %(n)d.")
            % {"value": raw, "n": len(code)},
            code="uscc",
        )
    bad = [c for c in code if c not in ALPHABET]
    if bad:
        raise ValidationError(
            _("“%(char)s” cannot appear in a unified social credit code.") % {"char": bad[0]},
            code="uscc",
        )
    if check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("“%(value)s” fails the check digit of a unified social credit code; check for a typo.")
            % {"value": raw},
            code="uscc",
        )
    return code
