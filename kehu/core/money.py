"""Money is Decimal CNY with two places; never float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Larger than any single order line a distributor writes; above this an amount is a typo.
MAX_AMOUNT = Decimal("100000000.00")


def to_money(value: object) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(_("“%(value)s” is not an amount.") % {"value": value}) from exc
    if not amount.is_finite():
        raise ValidationError(_("“%(value)s” is not an amount.") % {"value": value})
    if amount.copy_abs() > MAX_AMOUNT * 1000:
        # Larger than anything Kehu stores; quantizing it would overflow the decimal context.
        raise ValidationError(
            _("%(amount)s is larger than Kehu accepts (at most %(max)s); check the amount.")
            % {"amount": str(value)[:30], "max": f"{MAX_AMOUNT:,.2f}"}
        )
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def check_amount(amount: Decimal, *, allow_zero: bool = True, maximum: Decimal = MAX_AMOUNT) -> Decimal:
    if amount < 0:
        raise ValidationError(_("Amounts cannot be negative."))
    if not allow_zero and amount == 0:
        raise ValidationError(_("The amount must be greater than zero."))
    if amount > maximum:
        raise ValidationError(
            _("%(amount)s is larger than Kehu accepts (at most %(max)s); check the amount.")
            % {"amount": f"{amount:,.2f}", "max": f"{maximum:,.2f}"}
        )
    return amount
