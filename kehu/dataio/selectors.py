"""Reads for the import pages: which kinds of file a person may import."""

from kehu.accounts.models import User
from kehu.accounts.permissions import (
    assignable_owners,
    can_edit_customers_of_others,
    can_enter_orders,
    can_manage_products,
    can_record_payments,
)

from .mapping import KIND_CHOICES, Kind


def import_kinds(*, user: User) -> list[tuple[str, str]]:
    """The kinds ``user`` may import: customers, prospects and contacts into a book they may change;
    products for an administrator; orders for those who enter orders; payments for credit and admin."""
    allowed: set[str] = set()
    if not user.is_authenticated or not user.is_active:
        return []
    if assignable_owners(user).exists():
        allowed |= {Kind.CUSTOMERS, Kind.PROSPECTS, Kind.CONTACTS}
    elif can_edit_customers_of_others(user):
        allowed.add(Kind.CONTACTS)
    if can_manage_products(user):
        allowed.add(Kind.PRODUCTS)
    if can_enter_orders(user):
        allowed.add(Kind.ORDERS)
    if can_record_payments(user):
        allowed.add(Kind.PAYMENTS)
    return [(k, label) for k, label in KIND_CHOICES if k in allowed]
