"""The ledger's sections of the customer card: sales figures, orders, payments."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.permissions import can_enter_orders, can_record_payments
from kehu.customers.card import CardSection, register_section

from .selectors import customer_ledger_summary, customer_orders, customer_payments


def _summary(request, customer):
    return {"summary": customer_ledger_summary(customer=customer, today=timezone.localdate())}


def _actions(request, customer):
    return {"can_order": can_enter_orders(request.user), "can_pay": can_record_payments(request.user)}


def _orders(request, customer):
    return {"orders": customer_orders(customer=customer), "can_order": can_enter_orders(request.user)}


def _payments(request, customer):
    return {"payments": customer_payments(customer=customer), "can_pay": can_record_payments(request.user)}


def register() -> None:
    register_section(CardSection("figures", _("Figures"), "ledger/card/figures.html", _summary, order=10,
                                 placement="figures"))
    register_section(CardSection("order-actions", _("Orders"), "ledger/card/actions.html", _actions, order=10,
                                 placement="actions"))
    register_section(CardSection("orders", _("Orders"), "ledger/card/orders.html", _orders, order=40))
    register_section(CardSection("payments", _("Payments"), "ledger/card/payments.html", _payments, order=50))
