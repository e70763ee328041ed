"""Credit's panels on the order pages (kehu.ledger.panels): the customer's credit on the order
form, and on an order's page the latest check with its reasons."""

from django.utils import timezone

from kehu.ledger.models import OrderStatus
from kehu.ledger.panels import ORDER_DETAIL, ORDER_FORM, OrderPanel, register_panel

from .models import ApplicationStatus


def _position(request, customer):
    from . import selectors

    today = timezone.localdate()
    return {"customer": customer, **selectors.credit_positions(customer_ids=[customer.pk], today=today)[customer.pk]}


def _latest_check(request, order):
    from . import selectors

    if order.status == OrderStatus.DRAFT:
        return None
    checks = selectors.checks_of_order(order=order)
    if not checks:
        return None
    exceptions = list(order.credit_exceptions.select_related("requested_by", "decided_by"))
    pending = next((e for e in exceptions if e.status == ApplicationStatus.PENDING), None)
    return {"order": order, "check": checks[0], "pending": pending,
            "can_request": order.status == OrderStatus.HELD and pending is None}


def register() -> None:
    register_panel(OrderPanel("credit-position", ORDER_FORM, "credit/panels/order_form.html", _position))
    register_panel(OrderPanel("credit-check", ORDER_DETAIL, "credit/panels/order_detail.html", _latest_check))
