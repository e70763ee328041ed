"""Import of a 100,000-row customer .xlsx and a 1,000,000-line order .xlsx on PostgreSQL, beside the
time python-calamine alone takes to read the same file (the floor). Target: within 3× of the
floor, peak memory under 1 GB.

The files are written with XlsxWriter (constant_memory) into /tmp once and reused. Each import runs
in a fresh process (so peak memory is its own) against the database kehu_import_bench on the same
server as kehu_bench — created and migrated here, emptied of the previous run's rows — so
kehu_bench's rows are never touched.

    .venv/bin/python benchmarks/import_bench.py                       # on its own
    .venv/bin/python benchmarks/import_bench.py --customers 10000 --lines 100000   # a quick run
"""

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "kehu_import_bench"
TMP = Path("/tmp")


def _url() -> str:
    import dj_database_url

    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/kehu_bench"
    parts = dj_database_url.parse(base)
    auth = parts.get("USER") or "postgres"
    if parts.get("PASSWORD"):
        auth += f":{parts['PASSWORD']}"
    return f"postgres://{auth}@{parts.get('HOST') or '127.0.0.1'}:{parts.get('PORT') or 5432}/{DB_NAME}"


def write_files(customers: int, lines: int) -> tuple[Path, Path]:
    import xlsxwriter

    cust_path = TMP / f"kehu_import_customers_{customers}.xlsx"
    order_path = TMP / f"kehu_import_orders_{lines}_{customers}.xlsx"
    rng = random.Random(2026)
    cities = ["上海市浦东新区", "江苏省南京市玄武区", "浙江省杭州市西湖区", "北京市海淀区", "广东省广州市天河区", "四川省成都市武侯区"]
    if not cust_path.exists():
        book = xlsxwriter.Workbook(str(cust_path), {"constant_memory": True})
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["客户编码", "客户名称", "电话", "地址", "业务员", "联系人"])
        for i in range(1, customers + 1):
            sheet.write_row(i, 0, [f"IB{i:07d}", f"导入测试{i}号润滑油有限公司", f"139{i:08d}",
                                   f"{cities[i % len(cities)]}{rng.randint(1, 999)}号", "bench_rep", f"联系人{i % 97}"])
        book.close()
    if not order_path.exists():
        book = xlsxwriter.Workbook(str(order_path), {"constant_memory": True})
        sheet = book.add_worksheet()
        dates = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, ["订单号", "客户编码", "订单日期", "状态", "产品编码", "数量", "单价", "金额"])
        start = datetime.datetime(2022, 1, 1)
        row, order = 1, 0
        while row <= lines:
            order += 1
            customer = rng.randint(1, customers)
            day = start + datetime.timedelta(days=rng.randint(0, 1400))
            for _ in range(min(rng.randint(1, 7), lines - row + 1)):
                quantity = rng.randint(1, 40)
                price = rng.choice([180, 420, 1280, 3650])
                sheet.write_row(row, 0, [f"IBSO{order:08d}", f"IB{customer:07d}"])
                sheet.write_datetime(row, 2, day, dates)
                sheet.write_row(row, 3, ["已付款", f"IBP{price}", quantity, price, quantity * price])
                row += 1
        book.close()
    return cust_path, order_path


def _child(kind: str, path: str, floor: bool) -> None:
    """In a fresh process: read the file with calamine alone, or import it; print JSON."""
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    django.setup()
    started = time.perf_counter()
    if floor:
        import python_calamine

        rows = 0
        for _row in python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_index(0).iter_rows():
            rows += 1
        result = {"rows": rows - 1}
    else:
        from kehu.accounts.models import User
        from kehu.dataio.services import import_file

        user = User.objects.get(username="bench_admin")
        outcome = import_file(user=user, kind=kind, name=Path(path).name, source=Path(path), commit=True)
        if not outcome.committed:
            raise SystemExit(f"import failed: {outcome.problem} {outcome.errors[:5]}")
        result = {"rows": outcome.rows, "created": outcome.created}
    result["seconds"] = time.perf_counter() - started
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _prepare_database(url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    parts = dj_database_url.parse(url)
    admin = {"host": parts["HOST"], "port": parts["PORT"] or 5432, "user": parts["USER"], "dbname": "postgres"}
    if parts.get("PASSWORD"):
        admin["password"] = parts["PASSWORD"]
    with psycopg.connect(**admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "kehu.settings"}
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0"], check=True, env=env, cwd=ROOT)
    setup = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "from decimal import Decimal\n"
        "from kehu.accounts.models import User, Role\n"
        "from kehu.ledger.models import Product\n"
        "with connection.cursor() as c:\n"
        "    c.execute('TRUNCATE ledger_orderline, ledger_receivable, ledger_order, customers_contact, customers_customer CASCADE')\n"
        "User.objects.get_or_create(username='bench_admin', defaults={'role': Role.ADMIN, 'is_superuser': True, 'is_staff': True})\n"
        "User.objects.get_or_create(username='bench_rep', defaults={'role': Role.REP})\n"
        "for price in (180, 420, 1280, 3650):\n"
        "    Product.objects.get_or_create(code=f'IBP{price}', defaults={'name': '基准机油', 'category': 'engine_oil', 'list_price': Decimal(price)})\n"
    )
    subprocess.run([sys.executable, "-c", setup], check=True, env=env, cwd=ROOT)


def _run_child(url: str, kind: str, path: Path, floor: bool) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "kehu.settings", "PYTHONPATH": str(ROOT)}
    args = [sys.executable, __file__, "--child", kind, str(path)] + (["--floor"] if floor else [])
    done = subprocess.run(args, check=True, env=env, cwd=ROOT, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(customers: int = 100_000, lines: int = 1_000_000) -> list[dict]:
    url = _url()
    t0 = time.perf_counter()
    cust_path, order_path = write_files(customers, lines)
    written = time.perf_counter() - t0
    _prepare_database(url)
    results = []
    for kind, path in (("customers", cust_path), ("orders", order_path)):
        floor = _run_child(url, kind, path, floor=True)
        imported = _run_child(url, kind, path, floor=False)
        results.append({"kind": kind, "file": str(path), "rows": imported["rows"], "floor_s": floor["seconds"],
                        "import_s": imported["seconds"], "peak_mb": imported["peak_mb"],
                        "floor_peak_mb": floor["peak_mb"], "files_written_s": written})
    return results


def report(results: list[dict]) -> None:
    print("\nImport (PostgreSQL, one transaction, python-calamine reader)")
    print(f"{'file':<10} {'rows':>10} {'read floor':>11} {'import':>9} {'rows/s':>9} {'× floor':>8} {'peak MB':>8}  target")
    for r in results:
        ratio = r["import_s"] / r["floor_s"] if r["floor_s"] else float("inf")
        ok = "ok" if ratio <= 3 and r["peak_mb"] < 1024 else "MISSED (≤3× floor, <1 GB)"
        print(f"{r['kind']:<10} {r['rows']:>10,} {r['floor_s']:>10.1f}s {r['import_s']:>8.1f}s "
              f"{r['rows'] / r['import_s']:>9,.0f} {ratio:>7.1f}× {r['peak_mb']:>8.0f}  {ok}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        _child(args.child[0], args.child[1], args.floor)
    else:
        report(run(args.customers, args.lines))
