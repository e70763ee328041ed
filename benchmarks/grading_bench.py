"""ABC grading at scale (issue 10): a full re-grade from the monthly roll-up against DuckDB scanning
the raw order lines, and what keeping the roll-up current costs when orders are recorded.

Run by `make bench` on its PostgreSQL company (100,000 customers, 5,000,000 order lines). Prints:

1. the time of a full re-grade: `kehu abc --dry-run` in-process (median of 5), which reads one
   roll-up row per customer-month and every customer;
2. the time of the same computation by DuckDB over the raw order lines (joined to their orders'
   status and date) and the customers, exported to Parquet: sales in the window, ranking with ties
   by code, cumulative share, grade (median of 5), and the ratio of the two;
3. the time to record 10,000 orders (create + the ledger's confirm) with the roll-up kept current and
   with its upkeep switched off, interleaved in batches of 500 inside transactions rolled back, so the
   benchmark data is left as it was.

Targets: re-grade < 500 ms and ≤ 2× DuckDB's full scan; roll-up upkeep < 20% of recording time.
Needs the `bench` extra (pip install -e '.[bench]') for DuckDB.
"""

import datetime
import io
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

REGRADE_TARGET_MS = 500.0
RATIO_TARGET = 2.0
UPKEEP_TARGET = 0.20
ORDERS = 10_000
BATCH = 500


class _Rollback(Exception):
    pass


def _median_ms(fn, n: int = 5) -> tuple[float, object]:
    fn()  # warm
    times, result = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def _regrade(as_of: datetime.date):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("abc", "--as-of", as_of.isoformat(), "--dry-run", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _export_parquet(folder: Path) -> tuple[Path, Path, float]:
    """Raw lines (customer, order date, status, amount) and customers (id, code) to Parquet, via COPY."""
    import duckdb
    from django.db import connection

    t0 = time.perf_counter()
    lines_csv, customers_csv = folder / "lines.csv", folder / "customers.csv"
    with connection.cursor() as cursor:
        raw = cursor.connection
        with lines_csv.open("wb") as f, raw.cursor().copy(
            "COPY (SELECT o.customer_id, o.order_date, o.status, l.amount FROM ledger_orderline l "
            "JOIN ledger_order o ON o.id = l.order_id) TO STDOUT WITH (FORMAT csv)"
        ) as copy:
            for chunk in copy:
                f.write(chunk)
        with customers_csv.open("wb") as f, raw.cursor().copy(
            "COPY (SELECT id, code, lifecycle FROM customers_customer) TO STDOUT WITH (FORMAT csv)"
        ) as copy:
            for chunk in copy:
                f.write(chunk)
    lines, customers = folder / "lines.parquet", folder / "customers.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{lines_csv}', header=false, columns={{'customer_id': 'BIGINT', "
                f"'order_date': 'DATE', 'status': 'VARCHAR', 'amount': 'DECIMAL(14,2)'}})) TO '{lines}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * FROM read_csv('{customers_csv}', header=false, columns={{'id': 'BIGINT', "
                f"'code': 'VARCHAR', 'lifecycle': 'VARCHAR'}})) TO '{customers}' (FORMAT parquet)")
    con.close()
    lines_csv.unlink()
    customers_csv.unlink()
    return lines, customers, time.perf_counter() - t0


DUCK_SQL = """
WITH sales AS (
  SELECT customer_id, SUM(amount) AS sales FROM read_parquet('{lines}')
  WHERE status IN ('confirmed', 'delivered', 'invoiced', 'paid') AND order_date >= DATE '{start}'
    AND order_date < DATE '{end}'
  GROUP BY customer_id
), graded AS (
  SELECT c.id, c.code, COALESCE(s.sales, 0) AS sales FROM read_parquet('{customers}') c
  LEFT JOIN sales s ON s.customer_id = c.id
  WHERE c.lifecycle <> 'prospect' OR COALESCE(s.sales, 0) <> 0
), ranked AS (
  SELECT id, code, sales,
    COALESCE(SUM(CASE WHEN sales > 0 THEN sales ELSE 0 END) OVER (ORDER BY sales DESC, code
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS above,
    SUM(CASE WHEN sales > 0 THEN sales ELSE 0 END) OVER () AS total
  FROM graded
)
SELECT id, code, sales, CASE WHEN sales <= 0 THEN 'C' WHEN above * 100 < 80 * total THEN 'A'
  WHEN above * 100 < 95 * total THEN 'B' ELSE 'C' END AS grade
FROM ranked ORDER BY sales DESC, code
"""


def _record_orders(n: int, *, upkeep: bool) -> float:
    """Seconds to create and confirm ``n`` cash orders through the ledger's services (rolled back)."""
    from django.db import transaction

    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.ledger import services
    from kehu.ledger.models import Product

    rep = User.objects.filter(role="rep", is_active=True).order_by("pk").first()
    customers = list(Customer.objects.filter(owner=rep).exclude(lifecycle="lost").values_list("pk", flat=True)[:200])
    product = Product.objects.filter(active=True).order_by("pk").first()
    original = services.order_rollup_count
    if not upkeep:
        services.order_rollup_count = lambda **kwargs: None  # the same path with the upkeep left out
    day = datetime.date.today() - datetime.timedelta(days=3)
    elapsed = 0.0
    try:
        try:
            with transaction.atomic():
                objs = Customer.objects.in_bulk(customers)
                t0 = time.perf_counter()
                for i in range(n):
                    order = services.order_create(user=rep, customer=objs[customers[i % len(customers)]], order_date=day,
                                                  payment_method="cash",
                                                  lines=[{"product": product, "quantity": "2"},
                                                         {"product": product, "quantity": "1", "unit_price": "100"}])
                    services.order_mark_confirmed(order=order)
                elapsed = time.perf_counter() - t0
                raise _Rollback
        except _Rollback:
            pass
    finally:
        services.order_rollup_count = original
    return elapsed


def run() -> dict:
    import duckdb
    from django.db import connection

    from kehu.analytics import grading
    from kehu.analytics.services import abc_compute
    from kehu.ledger.models import CustomerMonthSales, OrderLine
    from kehu.ledger.rollup import sales_rollup_rebuild

    out: dict = {"lines": OrderLine.objects.count()}
    if not CustomerMonthSales.objects.exists():
        t0 = time.perf_counter()
        sales_rollup_rebuild()
        out["rebuild_s"] = time.perf_counter() - t0
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE ledger_customermonthsales")
    out["rollup_rows"] = CustomerMonthSales.objects.count()
    # Month-aligned as-of (the daily grading's usual case) and a mid-month one (two partial edge months).
    today = datetime.date.today()
    for label, as_of in (("month-aligned", today.replace(day=1)), ("mid-month", today.replace(day=15))):
        ms, _ = _median_ms(lambda a=as_of: _regrade(a))
        out[f"regrade_ms_{label}"] = ms
    as_of = today.replace(day=1)
    start, end = grading.window(as_of, 12)
    with tempfile.TemporaryDirectory(prefix="kehu-grading-bench-") as tmp:
        lines, customers, export_s = _export_parquet(Path(tmp))
        out["export_s"] = export_s
        con = duckdb.connect()
        sql = DUCK_SQL.format(lines=lines, customers=customers, start=start, end=end)
        duck_ms, duck_rows = _median_ms(lambda: con.execute(sql).fetchall())
        con.close()
    out["duckdb_ms"] = duck_ms
    ours = abc_compute(as_of=as_of, window_months=12)
    duck = {row[0]: (Decimal(row[2]), row[3]) for row in duck_rows}
    out["same_answer"] = len(duck) == len(ours.rows) and all(duck.get(r.id) == (r.sales, r.grade) for r in ours.rows)
    out["customers"] = len(ours.rows)
    with_upkeep, without = 0.0, 0.0
    for _ in range(ORDERS // BATCH):
        with_upkeep += _record_orders(BATCH, upkeep=True)
        without += _record_orders(BATCH, upkeep=False)
    out["record_with_s"], out["record_without_s"] = with_upkeep, without
    return out


def report(r: dict) -> None:
    print(f"\nABC grading: {r['customers']:,} customers graded, {r['lines']:,} order lines, "
          f"{r['rollup_rows']:,} roll-up rows (customer-months)")
    if "rebuild_s" in r:
        print(f"  roll-up rebuilt from the raw lines first: {r['rebuild_s']:.1f}s")
    regrade = r["regrade_ms_month-aligned"]
    ok = "OK" if regrade < REGRADE_TARGET_MS else "MISSED"
    print(f"  full re-grade, kehu abc --dry-run in-process (as of the 1st): {regrade:8.1f} ms   "
          f"target < {REGRADE_TARGET_MS:.0f} ms {ok}")
    print(f"  full re-grade, as of the 15th (two partial months from orders): {r['regrade_ms_mid-month']:8.1f} ms")
    ratio = regrade / r["duckdb_ms"] if r["duckdb_ms"] else float("inf")
    print(f"  DuckDB, same computation over the raw lines in Parquet:         {r['duckdb_ms']:8.1f} ms "
          f"(export took {r['export_s']:.0f}s)")
    print(f"  ratio Kehu / DuckDB: {ratio:.2f}×   target ≤ {RATIO_TARGET:.0f}× {'OK' if ratio <= RATIO_TARGET else 'MISSED'}"
          f"   same sales and grades for every customer: {'yes' if r['same_answer'] else 'NO'}")
    upkeep = (r["record_with_s"] - r["record_without_s"]) / r["record_without_s"] if r["record_without_s"] else 0.0
    print(f"  record {ORDERS:,} orders (create + confirm): {r['record_with_s']:.1f}s with the roll-up, "
          f"{r['record_without_s']:.1f}s without: upkeep {upkeep:+.1%}   target < {UPKEEP_TARGET:.0%} "
          f"{'OK' if upkeep < UPKEEP_TARGET else 'MISSED'}")


if __name__ == "__main__":
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()
    report(run())
