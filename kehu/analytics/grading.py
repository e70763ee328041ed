"""ABC grading (C1) as a plain function of (customer, code, sales) rows: no database here.

Share method (the default): customers ranked by sales, descending, ties by customer code
ascending; a customer is A while the sales of all customers ranked above it are below the A
threshold (80%) of the total, B while below the B threshold (95%), else C. Count method: A while
the customers ranked above it are fewer than the A share (20%) of all customers graded, B while
fewer than the B share (20% + 30% = 50%), else C. Either way a customer with no sales, or net
sales ≤ 0, in the window is C, and the total counts only positive sales.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

SHARE = "share"
COUNT = "count"
METHODS = (SHARE, COUNT)
GRADES = ("A", "B", "C")
ZERO = Decimal("0")


@dataclass(frozen=True)
class Thresholds:
    """Cumulative percentages: share method 80/95 of sales, count method 20/50 of customers."""

    a: Decimal
    b: Decimal


DEFAULTS = {SHARE: Thresholds(Decimal("80"), Decimal("95")), COUNT: Thresholds(Decimal("20"), Decimal("50"))}


@dataclass(slots=True)
class Graded:
    id: int
    code: str
    sales: Decimal
    rank: int
    grade: str


@dataclass
class GradeSummary:
    customers: int = 0
    sales: Decimal = ZERO
    customer_share: float = 0.0
    sales_share: float = 0.0


@dataclass
class Grading:
    rows: list[Graded]
    total: Decimal
    summary: dict[str, GradeSummary] = field(default_factory=dict)


def grade(rows: Iterable[tuple[int, str, Decimal]], *, method: str = SHARE, thresholds: Thresholds | None = None) -> Grading:
    """Grade ``rows`` of (customer id, code, sales) as one population."""
    if method not in METHODS:
        raise ValueError(f"unknown grading method {method!r}")
    limits = thresholds or DEFAULTS[method]
    # Two stable sorts: by code, then by sales descending (ties keep code order). No key objects
    # per row beyond the tuple itself: this runs over every customer of the company.
    ranked = sorted(rows, key=itemgetter(1))
    ranked.sort(key=itemgetter(2), reverse=True)
    total = sum(r[2] for r in ranked if r[2] > ZERO) or ZERO
    n = len(ranked)
    out: list[Graded] = []
    append = out.append
    if method == SHARE:
        # Exact in Decimal: a customer whose predecessors hold exactly 80% is B.
        limit_a, limit_b = limits.a * total / 100, limits.b * total / 100
        above = ZERO
        for index, (pk, code, sales) in enumerate(ranked, start=1):
            if sales <= ZERO:
                letter = "C"
            else:
                letter = "A" if above < limit_a else "B" if above < limit_b else "C"
                above += sales
            append(Graded(pk, code, sales, index, letter))
    else:
        count_a, count_b = limits.a * n / 100, limits.b * n / 100
        for index, (pk, code, sales) in enumerate(ranked, start=1):
            letter = "C" if sales <= 0 else "A" if index - 1 < count_a else "B" if index - 1 < count_b else "C"
            append(Graded(pk, code, sales, index, letter))
    return Grading(rows=out, total=total, summary=summarise(out, total))


def summarise(rows: list[Graded], total: Decimal) -> dict[str, GradeSummary]:
    summary = {g: GradeSummary() for g in GRADES}
    for row in rows:
        s = summary[row.grade]
        s.customers += 1
        s.sales += row.sales
    n = len(rows)
    for s in summary.values():
        s.customer_share = round(s.customers / n, 4) if n else 0.0
        s.sales_share = round(float(s.sales / total), 4) if total > 0 else 0.0
    return summary


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    first_next = datetime.date(year + (month // 12), month % 12 + 1, 1)
    last = (first_next - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


def window(as_of: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    """[start, end): the ``months`` before ``as_of``, ``as_of`` itself excluded."""
    return add_months(as_of, -months), as_of
