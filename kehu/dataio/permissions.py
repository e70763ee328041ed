"""Who may import which kind of file, one named predicate per kind, asked by the upload page,
the API, the ``kehu import`` command and each importer alike.

What an import may then do row by row is the domain's own rule: whose customers (``accounts``),
orders past draft only as ERP history by the back office (``accounts.can_import_order_history``),
credit limits under K1 (``credit``)."""

from collections.abc import Callable

from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.accounts.permissions import (
    can_edit_customers_of_others,
    can_enter_orders,
    can_give_customers,
    can_import_order_history,
    can_manage_products,
    can_record_payments,
)
from kehu.credit.permissions import can_import_limits

from .mapping import Kind


def can_import_customers(user: User) -> bool:
    """Customers and prospects go into a book the importer keeps or hands customers out to."""
    return can_give_customers(user)


def can_import_contacts(user: User) -> bool:
    return can_import_customers(user) or can_edit_customers_of_others(user)


def can_import_orders(user: User) -> bool:
    """Those who enter orders (as drafts) and the back office (history from the ERP)."""
    return can_enter_orders(user) or can_import_order_history(user)


IMPORT_RULES: dict[str, Callable[[User], bool]] = {
    Kind.CUSTOMERS: can_import_customers,
    Kind.PROSPECTS: can_import_customers,
    Kind.CONTACTS: can_import_contacts,
    Kind.PRODUCTS: can_manage_products,
    Kind.ORDERS: can_import_orders,
    Kind.PAYMENTS: can_record_payments,
    Kind.CREDIT_LIMITS: can_import_limits,
}


def can_import(user: User, kind: str) -> bool:
    if not user.is_authenticated or not user.is_active or kind not in IMPORT_RULES:
        return False
    return IMPORT_RULES[kind](user)


RULES = [
    (gettext_lazy("import customers and prospects"), can_import_customers),
    (gettext_lazy("import contacts"), can_import_contacts),
    (gettext_lazy("import products"), can_manage_products),
    (gettext_lazy("import orders (as drafts)"), can_enter_orders),
    (gettext_lazy("import order history past draft (from the ERP)"), can_import_order_history),
    (gettext_lazy("import payments"), can_record_payments),
    (gettext_lazy("import credit limits"), can_import_limits),
]
