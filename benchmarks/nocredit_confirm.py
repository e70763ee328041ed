"""The benchmark baseline's confirm step: the ledger's state change with no credit check.

Named only by benchmarks/nocredit_settings.py; the product's settings name the credit check."""

from kehu.ledger.services import order_mark_confirmed


def order_confirm_without_credit_check(*, user, order):
    return order_mark_confirmed(order=order)
