"""A 100,000-row orders export as xlsx beside XlsxWriter alone writing the same rows (constant_memory,
to a file) — the floor. Target: the first bytes at once and the whole file within 2× of the floor.

1. The writer alone: Kehu's streamed workbook (kehu.core.xlsx.xlsx_stream) on rows of the order
   export's shape held in memory.
2. The export itself, end to end: the senior manager's GET /orders/export.xlsx through Django's test
   client on PostgreSQL (50,000 orders of two lines, built once in the database kehu_export_bench on
   the benchmark server, or $EXPORT_BENCH_URL), timed to its first bytes and to its last, beside
   XlsxWriter alone writing the rows the export read.

    .venv/bin/python benchmarks/export_bench.py               # on its own
    .venv/bin/python benchmarks/export_bench.py --rows 20000  # a quick run
"""

import argparse
import datetime
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["订单号", "客户编码", "客户", "承办人", "订单日期", "状态", "付款", "账期（天）", "产品编码", "产品名称",
          "数量", "单价（元）", "金额（元）", "合计（元）", "送货日期", "开票日期", "备注"]


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()


def make_rows(count: int) -> list[list]:
    rng = random.Random(2026)
    names = ["上海浦东机械制造有限公司", "江苏南京物流集团有限公司", "浙江杭州精密铸造有限公司", "北京海淀建筑工程有限公司"]
    products = [("L-46", "抗磨液压油 46"), ("G-220", "工业齿轮油 220"), ("E-15W40", "柴油机油 15W-40")]
    day = datetime.date(2026, 1, 1)
    rows = []
    for n in range(count):
        code, name = products[n % 3]
        quantity = Decimal(rng.randint(1, 400)).quantize(Decimal("0.001"))
        price = Decimal(rng.randint(8000, 200000)) / 100
        amount = (quantity * price).quantize(Decimal("0.01"))
        date = day + datetime.timedelta(days=n % 330)
        rows.append([f"SO2026-{n // 2:07d}", f"C{n % 5000:06d}", names[n % 4], "王建国", date, "已开票", "赊销", 30,
                     code, name, quantity, price, amount, amount, date, date, ""])
    return rows


def floor(rows: list[list]) -> float:
    """XlsxWriter alone, the way Kehu's in-memory reports use it (kehu.core.xlsx._write_sheet)."""
    import xlsxwriter

    from kehu.core.xlsx import _write_sheet

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        book = xlsxwriter.Workbook(str(Path(tmp) / "floor.xlsx"), {"constant_memory": True, "remove_timezone": True})
        _write_sheet(book, "订单", HEADER, rows)
        book.close()
        return time.perf_counter() - started


def streamed(rows: list[list]) -> dict:
    from kehu.core.xlsx import xlsx_stream

    started = time.perf_counter()
    first = first_rows = None
    size = 0
    pieces = 0
    for piece in xlsx_stream("订单", HEADER, iter(rows)):
        now = time.perf_counter() - started
        if first is None:
            first = now
        elif first_rows is None and piece:
            first_rows = now
        size += len(piece)
        pieces += 1
    return {"first_s": first, "first_rows_s": first_rows, "total_s": time.perf_counter() - started,
            "bytes": size, "pieces": pieces}


def check(rows: list[list], data: bytes) -> int:
    import io

    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    return len(sheet) - 1


def _bench_url() -> str:
    import dj_database_url

    if os.environ.get("EXPORT_BENCH_URL"):
        return os.environ["EXPORT_BENCH_URL"]
    base = dj_database_url.parse(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/kehu_bench")
    auth = (base.get("USER") or "postgres") + (f":{base['PASSWORD']}" if base.get("PASSWORD") else "")
    return f"postgres://{auth}@{base.get('HOST') or '127.0.0.1'}:{base.get('PORT') or 5432}/kehu_export_bench"


def _create_database(url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    parts = dj_database_url.parse(url)
    params = {"host": parts["HOST"], "port": parts["PORT"] or 5432, "user": parts["USER"],
              "password": parts["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**params) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parts["NAME"]]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parts["NAME"])))


def _build(lines: int) -> None:
    """Customers, and orders of two lines each, written in bulk (history, as an import brings it)."""
    from django.db import transaction

    from kehu.accounts.models import Role, User
    from kehu.customers.models import Customer, Lifecycle
    from kehu.ledger.models import Order, OrderLine, OrderStatus, Product, ProductCategory

    if OrderLine.objects.count() >= lines:
        return
    with transaction.atomic():
        rep = User.objects.create_user("bench_rep", password="x", role=Role.REP, display_name="王建国")
        User.objects.create_user("bench_senior", password="x", role=Role.SENIOR, display_name="高经理")
        products = [Product.objects.create(code=f"B-{n}", name=f"工业润滑油 {n}", category=ProductCategory.INDUSTRIAL_OIL,
                                           list_price=Decimal("420.00")) for n in range(20)]
        customers = Customer.objects.bulk_create([
            Customer(code=f"B{n:06d}", name=f"上海基准测试{n:04d}机械有限公司", owner=rep, lifecycle=Lifecycle.CUSTOMER)
            for n in range(1000)])
        day = datetime.date(2026, 1, 1)
        orders = Order.objects.bulk_create([
            Order(number=f"SO-B{n:07d}", customer=customers[n % 1000], handler=rep, order_date=day + datetime.timedelta(days=n % 330),
                  status=OrderStatus.PAID, total=Decimal("2520.00"), payment_terms_days=30)
            for n in range(lines // 2)], batch_size=5000)
        OrderLine.objects.bulk_create([
            OrderLine(order=o, product=products[(i + k) % 20], quantity=Decimal("3.000"), unit_price=Decimal("420.00"),
                      amount=Decimal("1260.00"))
            for i, o in enumerate(orders) for k in range(2)], batch_size=10000)


def child(url: str, lines: int) -> dict:
    """In its own process (its own DATABASE_URL): the senior manager's export, end to end."""
    os.environ["DATABASE_URL"] = url
    _setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from kehu.accounts.models import User
    from kehu.ledger.models import Order
    from kehu.ledger.views import export_rows

    call_command("migrate", verbosity=0)
    _build(lines)
    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(username="bench_senior"))
    client.cookies["django_language"] = "zh-hans"
    started = time.perf_counter()
    response = client.get("/orders/export.xlsx")
    first = None
    size = 0
    for piece in response.streaming_content:
        if first is None:
            first = time.perf_counter() - started
        size += len(piece)
    total = time.perf_counter() - started
    from django.utils import translation

    with translation.override("zh-hans"):
        rows = list(export_rows(Order.objects.order_by("-order_date", "-id")))
    return {"rows": len(rows), "first_s": first, "total_s": total, "bytes": size, "floor_s": floor(rows)}


def run_database(lines: int = 100_000) -> dict | None:
    import json
    import subprocess

    url = _bench_url()
    try:
        _create_database(url)
    except Exception as exc:  # no PostgreSQL server: the writer's figures stand alone
        print(f"export bench: no database for the end-to-end export ({exc})", file=sys.stderr)
        return None
    out = subprocess.run([sys.executable, __file__, "--child", url, "--rows", str(lines)], capture_output=True,
                         text=True, cwd=ROOT, timeout=3600)
    if out.returncode:
        print(out.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(rows: int = 100_000) -> dict:
    database = run_database(rows)
    _setup()
    from django.utils import translation

    from kehu.core.xlsx import xlsx_stream

    translation.activate("zh-hans")
    data = make_rows(rows)
    floor_s = min(floor(data) for _ in range(2))
    result = min((streamed(data) for _ in range(2)), key=lambda r: r["total_s"])
    read_back = check(data, b"".join(xlsx_stream("订单", HEADER, iter(data))))
    return {"rows": rows, "floor_s": floor_s, "read_back": read_back, **result, "database": database}


def report(r: dict) -> None:
    ratio = r["total_s"] / r["floor_s"] if r["floor_s"] else float("inf")
    ok = "ok" if ratio <= 2 and r["read_back"] == r["rows"] else "MISSED (≤2× XlsxWriter, every row read back)"
    print(f"\nOrders export, {r['rows']:,} rows as xlsx (best of two)")
    print(f"  XlsxWriter alone (constant_memory, to a file): {r['floor_s']:.2f} s")
    print(f"  Kehu streamed: first bytes after {r['first_s'] * 1000:.1f} ms, first rows after "
          f"{(r['first_rows_s'] or 0) * 1000:.1f} ms, whole file {r['total_s']:.2f} s "
          f"({r['bytes'] / 1e6:.1f} MB in {r['pieces']:,} pieces) = {ratio:.2f}× XlsxWriter  {ok}")
    print(f"  read back with python-calamine: {r['read_back']:,} rows")
    d = r.get("database")
    if d:
        ratio = d["total_s"] / d["floor_s"] if d["floor_s"] else float("inf")
        ok = "ok" if ratio <= 2 else "MISSED (≤2× XlsxWriter)"
        print(f"\nOrders export end to end (senior manager, GET /orders/export.xlsx, PostgreSQL), {d['rows']:,} rows")
        print(f"  XlsxWriter alone writing the same rows: {d['floor_s']:.2f} s")
        print(f"  the export: first bytes after {d['first_s'] * 1000:.0f} ms, whole file {d['total_s']:.2f} s "
              f"({d['bytes'] / 1e6:.1f} MB) = {ratio:.2f}× XlsxWriter  {ok}")


if __name__ == "__main__":
    import json

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows)))
    else:
        report(run(args.rows))
