"""Reads for the import pages and API: which kinds of file a person may import, and their imports."""

from django.db.models import QuerySet

from kehu.accounts.models import User
from kehu.accounts.permissions import (
    assignable_owners,
    can_edit_customers_of_others,
    can_enter_orders,
    can_manage_products,
    can_record_payments,
)
from kehu.credit.selectors import is_credit_staff
from kehu.customers.assignment import rule_choices

from .mapping import KIND_CHOICES, Kind
from .models import ImportJob


def import_kinds(*, user: User) -> list[tuple[str, str]]:
    """The kinds ``user`` may import: customers, prospects and contacts into a book they may change;
    products for an administrator; orders for those who enter orders; payments for credit and admin;
    credit limits for credit staff (credit control, senior managers, admin)."""
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
    if is_credit_staff(user):
        allowed.add(Kind.CREDIT_LIMITS)
    return [(k, label) for k, label in KIND_CHOICES if k in allowed]


def assign_choices(*, user: User, kind: str) -> list[tuple[str, str]]:
    """Where new customers without an owner column may go, for a file of customers or prospects."""
    if kind not in (Kind.CUSTOMERS, Kind.PROSPECTS):
        return []
    return rule_choices(user=user, owners=list(assignable_owners(user).order_by("username")))


def job_list(*, user: User, kind: str = "", status: str = "") -> QuerySet[ImportJob]:
    """``user``'s own imports, newest first, without the files themselves."""
    qs = ImportJob.objects.filter(user=user).defer("data")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")
