"""Reads for the key-account programme: regional shares, the list, the health panel, needs match."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from kehu.accounts.models import Role, User
from kehu.credit.selectors import credit_positions
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_visible
from kehu.ledger.models import CustomerMonthSales, OrderLine, Product, Receivable
from kehu.ledger.rollup import COUNTING_STATUSES

from .models import AccountPlan, CandidateStatus, KeyAccountCandidate, KeyAccountPolicy

ZERO = Decimal("0")


def _months_back(today: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    """The ``months`` whole calendar months before this one: [start, end)."""
    end = today.replace(day=1)
    index = end.year * 12 + end.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1), end


def region_shares(*, today: datetime.date, window_months: int,
                  customer_ids: list[int] | None = None) -> dict[int, Decimal]:
    """Each customer's share (%) of its region's sales over the last whole months, from the roll-up.
    Customers without a region, and regions without positive sales, have no share."""
    start, end = _months_back(today, window_months)
    rows = (CustomerMonthSales.objects.filter(month__gte=start, month__lt=end, customer__region__isnull=False)
            .values_list("customer_id", "customer__region_id").annotate(s=Sum("amount")))
    by_customer = {pk: (region, amount) for pk, region, amount in rows}
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for region, amount in by_customer.values():
        if amount > 0:
            totals[region] += amount
    wanted = set(customer_ids) if customer_ids is not None else None
    return {pk: 100 * amount / totals[region] for pk, (region, amount) in by_customer.items()
            if amount > 0 and totals[region] > 0 and (wanted is None or pk in wanted)}


def key_accounts_visible(*, user: User) -> QuerySet[Customer]:
    return (customer_visible(user=user).filter(is_key_account=True)
            .select_related("region", "owner", "key_account_manager", "key_account_sponsor"))


def candidates_visible(*, user: User) -> QuerySet[KeyAccountCandidate]:
    return (KeyAccountCandidate.objects.filter(customer__in=customer_visible(user=user))
            .select_related("customer__region", "marked_by", "decided_by"))


def pending_candidates(*, user: User) -> QuerySet[KeyAccountCandidate]:
    return candidates_visible(user=user).filter(status=CandidateStatus.PENDING)


def managers() -> QuerySet[User]:
    return User.objects.filter(role=Role.KEY_ACCOUNT, is_active=True)


def sponsors() -> QuerySet[User]:
    return User.objects.filter(role=Role.SENIOR, is_active=True)


def health(*, customer: Customer, today: datetime.date) -> dict:
    """The health panel: sales by month (12), overdue receivables, credit utilisation."""
    start, end = _months_back(today, 11)
    end = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)  # this month too
    by_month = dict(CustomerMonthSales.objects.filter(customer=customer, month__gte=start, month__lt=end)
                    .values_list("month", "amount"))
    months: list[dict[str, Any]] = []
    day = start
    while day < end:
        months.append({"month": day, "amount": by_month.get(day, ZERO)})
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    peak = max((m["amount"] for m in months), default=ZERO)
    for m in months:
        m["pct"] = round(float(100 * m["amount"] / peak), 1) if peak > 0 else 0
    overdue = [r for r in Receivable.objects.filter(customer=customer, settled_on__isnull=True, due_on__lt=today)
               .select_related("order").order_by("due_on")]
    position = credit_positions(customer_ids=[customer.pk], today=today)[customer.pk]
    limit = position["limit"]
    utilisation = round(float(100 * position["exposure"] / limit.amount), 1) if limit and limit.amount else None
    return {
        "months": months, "overdue": overdue, "overdue_total": sum((r.outstanding for r in overdue), ZERO),
        "exposure": position["exposure"], "limit": limit, "utilisation": utilisation,
        "frozen": position["frozen"],
    }


def needs_match(*, customer: Customer, today: datetime.date) -> list[dict]:
    """C4: each stated need with its yearly volume, supplier, and our share of it computed from our
    last 12 months' deliveries in that category (products packed in the need's unit), else as stated."""
    since = today - datetime.timedelta(days=365)
    lines = (OrderLine.objects.filter(order__customer=customer, order__status__in=COUNTING_STATUSES,
                                      order__order_date__gte=since, order__order_date__lt=today)
             .values_list("product__category", "product__pack_unit", "quantity", "product__pack_size"))
    volume: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for category, unit, quantity, pack in lines:
        volume[(category, unit)] += quantity * pack
    out = []
    for need in customer.needs.all():
        yearly = need.monthly_volume * 12 if need.monthly_volume is not None else None
        ours = volume.get((need.category, need.unit))
        computed = None
        if yearly and ours is not None:
            computed = min(100.0, round(float(100 * ours / yearly), 1))
        share = computed if computed is not None else need.our_share_pct
        out.append({
            "need": need, "yearly": yearly, "ours": ours, "share": share, "computed": computed is not None,
            "unmet": (max(yearly - ours, ZERO) if ours is not None else yearly) if yearly else None,
        })
    return out


def categories_we_sell() -> set[str]:
    return set(Product.objects.filter(active=True).values_list("category", flat=True))


def senior_visit_cadence(customer_ids: Iterable[int]) -> dict[int, int]:
    """The programme's senior-manager cadence in days for each of ``customer_ids`` it sets one for:
    the account plan's own, else the programme policy's once one has been set. Customers left out
    have none from the programme (field work's visit policy then stands for them)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    programme = KeyAccountPolicy.objects.order_by("-created_at", "-id").values_list(
        "senior_visit_every_days", flat=True).first()
    own = dict(AccountPlan.objects.filter(customer_id__in=ids, senior_visit_every_days__isnull=False)
               .values_list("customer_id", "senior_visit_every_days"))
    out = {}
    for pk in ids:
        every = own.get(pk) or programme
        if every:
            out[pk] = every
    return out
