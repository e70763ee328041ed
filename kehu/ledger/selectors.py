"""Reads of the sales ledger, through the user's visibility."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.money import ZERO, to_money
from kehu.core.queries import get_or_404
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_visible

from .models import Order, OrderLine, OrderStatus, Payment, PaymentAllocation, Product, Receivable

SALES_STATUSES = [OrderStatus.CONFIRMED, OrderStatus.DELIVERED, OrderStatus.INVOICED, OrderStatus.PAID]


def order_visible(*, user: User) -> QuerySet[Order]:
    if user.sees_all:
        return Order.objects.all()
    return Order.objects.filter(customer__in=customer_visible(user=user))


def order_get(*, user: User, pk: int | str) -> Order:
    return get_or_404(order_visible(user=user).select_related("customer", "handler"), pk)


def payment_visible(*, user: User) -> QuerySet[Payment]:
    if user.sees_all:
        return Payment.objects.all()
    return Payment.objects.filter(customer__in=customer_visible(user=user))


def customer_ledger_summary(*, customer: Customer, today: datetime.date | None = None) -> dict[str, Decimal | int]:
    """Figures for the customer card: 12-month sales, open orders, outstanding and overdue."""
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=365)
    sales = Order.objects.filter(customer=customer, status__in=SALES_STATUSES, order_date__gt=since).aggregate(
        total=Sum("total"), n=Count("id")
    )
    open_orders = Order.objects.filter(
        customer=customer, status__in=[OrderStatus.CONFIRMED, OrderStatus.DELIVERED]
    ).aggregate(total=Sum("total"))
    recv = Receivable.objects.filter(customer=customer, settled_on__isnull=True).aggregate(
        total_amount=Sum("amount"), total_paid=Sum("paid"), total_off=Sum("written_off"),
        overdue_amount=Sum("amount", filter=Q(due_on__lt=today)),
        overdue_paid=Sum("paid", filter=Q(due_on__lt=today)),
        overdue_off=Sum("written_off", filter=Q(due_on__lt=today)),
    )
    outstanding = (recv["total_amount"] or ZERO) - (recv["total_paid"] or ZERO) - (recv["total_off"] or ZERO)
    overdue = (recv["overdue_amount"] or ZERO) - (recv["overdue_paid"] or ZERO) - (recv["overdue_off"] or ZERO)
    return {
        "sales_12m": sales["total"] or ZERO,
        "orders_12m": sales["n"] or 0,
        "open_orders": open_orders["total"] or ZERO,
        "outstanding": outstanding,
        "overdue": overdue,
    }


def customer_orders(*, customer: Customer, limit: int = 20) -> list[Order]:
    return list(Order.objects.filter(customer=customer).select_related("handler").order_by("-order_date", "-id")[:limit])


def customer_payments(*, customer: Customer, limit: int = 20) -> list[Payment]:
    return list(Payment.objects.filter(customer=customer).order_by("-received_on", "-id")[:limit])


# Orders that count in the exposure before they are invoiced (after, their receivable counts).
EXPOSURE_ORDER_STATUSES = [OrderStatus.CONFIRMED, OrderStatus.DELIVERED]
_MONEY: DecimalField = DecimalField(max_digits=14, decimal_places=2)


def exposure_expression(customer: str = "pk") -> CombinedExpression:
    """The one definition of a customer's credit exposure (DESIGN.md): delivered or invoiced amounts
    not yet paid (open receivables: amount − paid − written off) + confirmed and delivered orders not
    yet invoiced. An expression over the customer named by ``customer`` (an outer reference), so the
    locked order check (``credit.selectors.position_for_check``) and every reader — the card, the
    API, the daily review, an exception's decision — compute it in the same SQL. The order being
    checked is added by the caller."""
    orders = (Order.objects.filter(customer_id=OuterRef(customer), status__in=EXPOSURE_ORDER_STATUSES)
              .order_by().values("customer_id").annotate(s=Sum("total")).values("s"))
    receivables = (Receivable.objects.filter(customer_id=OuterRef(customer), settled_on__isnull=True)
                   .order_by().values("customer_id")
                   .annotate(s=Sum(F("amount") - F("paid") - F("written_off"), output_field=_MONEY)).values("s"))
    return (Coalesce(Subquery(orders, output_field=_MONEY), Value(ZERO), output_field=_MONEY)
            + Coalesce(Subquery(receivables, output_field=_MONEY), Value(ZERO), output_field=_MONEY))


def customer_exposure(*, customer_id: int) -> Decimal:
    """``exposure_expression`` of one customer; zero for a customer with nothing open."""
    return customers_exposure(customer_ids=[customer_id])[customer_id]


def customers_exposure(*, customer_ids: Iterable[int]) -> dict[int, Decimal]:
    """``exposure_expression`` of many customers, one query per 5,000."""
    ids = list(customer_ids)
    exposure = dict.fromkeys(ids, ZERO)
    for start in range(0, len(ids), 5000):
        rows = (Customer.objects.filter(pk__in=ids[start:start + 5000]).order_by()
                .annotate(exposure=exposure_expression()).values_list("pk", "exposure"))
        for cid, value in rows:
            exposure[cid] = to_money(value)
    return exposure


def customer_overdue_items(*, customer_id: int, due_before: datetime.date) -> list[Receivable]:
    """Open receivables due before ``due_before`` (the caller subtracts the grace period)."""
    return list(
        Receivable.objects.filter(customer_id=customer_id, settled_on__isnull=True, due_on__lt=due_before)
        .select_related("order").order_by("due_on", "id")
    )


def product_list(*, q: str = "", category: str = "", active: bool | None = None) -> QuerySet[Product]:
    """The catalogue, filtered; everyone may read it."""
    qs = Product.objects.all()
    if q.strip():
        q = q.strip()
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(grade__icontains=q))
    if category:
        qs = qs.filter(category=category)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("category", "code")


ORDER_ORDERINGS = {
    "-order_date": ("-order_date", "-id"),
    "order_date": ("order_date", "id"),
    "-total": ("-total", "-id"),
    "total": ("total", "id"),
    "number": ("number",),
    "-number": ("-number",),
}


def order_list(*, user: User, customer: int | None = None, status: str = "",
               date_from: datetime.date | None = None, date_to: datetime.date | None = None,
               ordering: str = "-order_date") -> QuerySet[Order]:
    """The orders ``user`` may see, filtered."""
    qs = order_visible(user=user)
    if customer:
        qs = qs.filter(customer_id=customer)
    if status:
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(order_date__gte=date_from)
    if date_to:
        qs = qs.filter(order_date__lte=date_to)
    return qs.select_related("customer", "handler").order_by(*ORDER_ORDERINGS[ordering])


def _with_allocations(qs: QuerySet[Payment]) -> QuerySet[Payment]:
    return qs.select_related("customer").prefetch_related(
        Prefetch("allocations", queryset=PaymentAllocation.objects.select_related("receivable__order").order_by("id"))
    )


def payment_list(*, user: User, customer: int | None = None, date_from: datetime.date | None = None,
                 date_to: datetime.date | None = None) -> QuerySet[Payment]:
    """The payments ``user`` may see, filtered, with their allocations."""
    qs = payment_visible(user=user)
    if customer:
        qs = qs.filter(customer_id=customer)
    if date_from:
        qs = qs.filter(received_on__gte=date_from)
    if date_to:
        qs = qs.filter(received_on__lte=date_to)
    return _with_allocations(qs).order_by("-received_on", "-id")


def payment_get(*, user: User, pk: int | str) -> Payment:
    """A payment ``user`` may see, with its allocations; otherwise 404."""
    return get_or_404(_with_allocations(payment_visible(user=user)), pk)


def product_get(*, pk: int | str) -> Product:
    return get_or_404(Product.objects, pk)


def order_with_lines(*, order: Order) -> Order:
    """The order again (already checked as visible), with its lines and receivable loaded for rendering."""
    return (
        Order.objects.select_related("customer", "handler", "receivable")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("product")))
        .get(pk=order.pk)
    )


def receivable_visible(*, user: User) -> QuerySet[Receivable]:
    """Receivables of the orders ``user`` may see."""
    return Receivable.objects.filter(order__in=order_visible(user=user))


RECEIVABLE_ORDERINGS = {
    "due_on": ("due_on", "id"),
    "-due_on": ("-due_on", "-id"),
    "issued_on": ("issued_on", "id"),
    "-issued_on": ("-issued_on", "-id"),
    "-amount": ("-amount", "-id"),
}


def receivable_list(*, user: User, customer: int | None = None, open: bool | None = None,
                    overdue: bool | None = None, due_from: datetime.date | None = None,
                    due_to: datetime.date | None = None, ordering: str = "due_on",
                    today: datetime.date | None = None) -> QuerySet[Receivable]:
    """The receivables ``user`` may see (with their customers), filtered. Overdue: not settled and
    due before ``today``; open: not settled."""
    today = today or timezone.localdate()
    qs = receivable_visible(user=user)
    if customer:
        qs = qs.filter(customer_id=customer)
    if open is not None:
        qs = qs.filter(settled_on__isnull=open)
    overdue_q = Q(settled_on__isnull=True, due_on__lt=today)
    if overdue is True:
        qs = qs.filter(overdue_q)
    elif overdue is False:
        qs = qs.exclude(overdue_q)
    if due_from:
        qs = qs.filter(due_on__gte=due_from)
    if due_to:
        qs = qs.filter(due_on__lte=due_to)
    return qs.select_related("customer", "order").order_by(*RECEIVABLE_ORDERINGS[ordering])


def receivable_get(*, user: User, pk: int | str) -> Receivable:
    return get_or_404(receivable_visible(user=user).select_related("customer", "order"), pk)


def allocation_list(*, user: User, payment: int | None = None, receivable: int | None = None,
                    customer: int | None = None) -> QuerySet[PaymentAllocation]:
    """How the payments ``user`` may see were spread over receivables, newest payment first."""
    qs = PaymentAllocation.objects.filter(payment__in=payment_visible(user=user))
    if payment:
        qs = qs.filter(payment_id=payment)
    if receivable:
        qs = qs.filter(receivable_id=receivable)
    if customer:
        qs = qs.filter(payment__customer_id=customer)
    return qs.select_related("payment__customer", "receivable__order").order_by(
        "-payment__received_on", "-payment_id", "id")
