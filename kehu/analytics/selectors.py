"""Reads for grading and the reports: sales in a window from the ledger's monthly roll-up."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, Sum

from kehu.customers.models import Customer, Lifecycle
from kehu.ledger.models import CustomerMonthSales, Order
from kehu.ledger.rollup import COUNTING_STATUSES

ZERO = Decimal("0")


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def window_sales(*, start: datetime.date, end: datetime.date, customers: Q | None = None) -> dict[int, Decimal]:
    """Each customer's sales with order dates in [start, end).

    Whole months come from the roll-up (one row per customer-month); a window that starts or ends
    inside a month takes those days from the orders themselves (their totals, which are the sums of
    their lines), so the answer is exact for any as-of date and cheap for the usual month-aligned one.
    """
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if end <= start:
        return out
    first_full = start if start.day == 1 else _next_month(start)
    last_full = end.replace(day=1)  # exclusive
    months = CustomerMonthSales.objects.all()
    orders = Order.objects.filter(status__in=COUNTING_STATUSES)
    if customers is not None:
        months = months.filter(customer__in=Customer.objects.filter(customers))
        orders = orders.filter(customer__in=Customer.objects.filter(customers))
    if first_full < last_full:
        rows = months.filter(month__gte=first_full, month__lt=last_full).values_list("customer_id").annotate(s=Sum("amount"))
        for pk, amount in rows:
            out[pk] += amount
    edges = []
    if first_full >= last_full:  # the whole window inside one month, or across one month boundary
        edges.append((start, end))
    else:
        if start < first_full:
            edges.append((start, first_full))
        if last_full < end:
            edges.append((last_full, end))
    for lo, hi in edges:
        days = orders.filter(order_date__gte=lo, order_date__lt=hi).values_list("customer_id").annotate(s=Sum("total"))
        for pk, amount in days:
            out[pk] += amount
    return out


def grading_population(*, customers: Q | None = None, with_sales: set[int] | None = None) -> list[tuple]:
    """(id, code, region id, team id, owner id) of every customer graded: all but prospects,
    and prospects too if they have sales (an imported history can precede the lifecycle)."""
    qs = Customer.objects.all()
    if customers is not None:
        qs = qs.filter(customers)
    rows = qs.values_list("pk", "code", "region_id", "owner__team_id", "owner_id", "lifecycle")
    keep = with_sales or set()
    return [r[:5] for r in rows if r[5] != Lifecycle.PROSPECT or r[0] in keep]
