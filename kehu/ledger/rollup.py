"""The per-customer-per-month sales roll-up: what grading and the Pareto report read.

Sales = the order lines of orders confirmed or later (not draft, held, cancelled), dated by order
date. An order's lines cannot change once it counts, so an order adds its total when it starts
counting and takes it back when it stops; a return or credit note applies a negative delta the
same way. ``sales_rollup_apply`` is the one function that changes the roll-up.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from .models import CustomerMonthSales, Order, OrderLine, OrderStatus

COUNTING_STATUSES = frozenset({OrderStatus.CONFIRMED, OrderStatus.DELIVERED, OrderStatus.INVOICED, OrderStatus.PAID})


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def sales_rollup_apply(*, customer_id: int, month: datetime.date, delta: Decimal) -> None:
    """Add ``delta`` (negative to take back) to one customer's month.

    One statement whether or not the month's row exists yet: an INSERT that, on the row being
    there, adds in place (no read-then-write, so concurrent orders both count). PostgreSQL and
    SQLite both speak ``ON CONFLICT … DO UPDATE``.
    """
    if not delta:
        return
    table = connection.ops.quote_name(CustomerMonthSales._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (customer_id, month, amount) VALUES (%s, %s, %s) "
            f"ON CONFLICT (customer_id, month) DO UPDATE SET amount = {table}.amount + excluded.amount",
            [customer_id, month_of(month), delta],
        )


def order_rollup_count(*, order: Order, sign: int, total: Decimal | None = None) -> None:
    """An order starts (+1) or stops (-1) counting as sales; called inside the state change's
    transaction, so the total read here is the one of the row the status change locked. ``total``:
    the total the status change itself compared and set on (nothing to read then)."""
    if total is None:
        total = Order.objects.values_list("total", flat=True).get(pk=order.pk)
    sales_rollup_apply(customer_id=order.customer_id, month=order.order_date, delta=total * sign)


def orders_rollup_count(*, order_ids: Iterable[int], sign: int = 1) -> None:
    """Many orders at once (an import): one delta per customer-month, from the orders' lines."""
    ids = list(order_ids)
    deltas: dict[tuple[int, datetime.date], Decimal] = defaultdict(Decimal)
    for start in range(0, len(ids), 5000):
        rows = (
            OrderLine.objects.filter(order_id__in=ids[start:start + 5000], order__status__in=COUNTING_STATUSES)
            .values("order__customer_id", month=TruncMonth("order__order_date"))
            .annotate(amount=Sum("amount"))
        )
        for row in rows:
            deltas[(row["order__customer_id"], _as_date(row["month"]))] += row["amount"] * sign
    for (customer_id, month), delta in sorted(deltas.items()):
        sales_rollup_apply(customer_id=customer_id, month=month, delta=delta)


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def sales_from_lines(*, customer_ids: Iterable[int] | None = None) -> dict[tuple[int, datetime.date], Decimal]:
    """The roll-up as the raw order lines say it should be (for rebuilds and checks)."""
    lines = OrderLine.objects.filter(order__status__in=COUNTING_STATUSES)
    if customer_ids is not None:
        lines = lines.filter(order__customer_id__in=list(customer_ids))
    rows = lines.values("order__customer_id", month=TruncMonth("order__order_date")).annotate(amount=Sum("amount"))
    return {(r["order__customer_id"], _as_date(r["month"])): r["amount"] for r in rows if r["amount"]}


def sales_rollup_rows(*, customer_ids: Iterable[int] | None = None) -> dict[tuple[int, datetime.date], Decimal]:
    rows = CustomerMonthSales.objects.exclude(amount=0)
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=list(customer_ids))
    return {(r.customer_id, r.month): r.amount for r in rows}


@transaction.atomic
def sales_rollup_rebuild(*, customer_ids: Iterable[int] | None = None) -> int:
    """Recompute the roll-up from the raw lines (after a bulk load that bypassed the services)."""
    ids = list(customer_ids) if customer_ids is not None else None
    rows = CustomerMonthSales.objects.all()
    if ids is not None:
        rows = rows.filter(customer_id__in=ids)
    rows.delete()
    fresh = [CustomerMonthSales(customer_id=c, month=m, amount=a) for (c, m), a in sales_from_lines(customer_ids=ids).items()]
    CustomerMonthSales.objects.bulk_create(fresh, batch_size=5000)
    return len(fresh)
