"""A 100,000-row orders export as xlsx: Kehu's streamed workbook (kehu.core.xlsx.xlsx_stream) beside
XlsxWriter alone writing the same rows (constant_memory, to a file) — the floor. Target: the first
bytes at once (before any row is read) and the whole file within 2× of the floor.

The rows have the order export's shape (one per order line: texts, a date, decimals); no database,
so the figure is the writer's own.

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


def run(rows: int = 100_000) -> dict:
    _setup()
    from django.utils import translation

    from kehu.core.xlsx import xlsx_stream

    translation.activate("zh-hans")
    data = make_rows(rows)
    floor_s = min(floor(data) for _ in range(2))
    result = min((streamed(data) for _ in range(2)), key=lambda r: r["total_s"])
    read_back = check(data, b"".join(xlsx_stream("订单", HEADER, iter(data))))
    return {"rows": rows, "floor_s": floor_s, "read_back": read_back, **result}


def report(r: dict) -> None:
    ratio = r["total_s"] / r["floor_s"] if r["floor_s"] else float("inf")
    ok = "ok" if ratio <= 2 and r["read_back"] == r["rows"] else "MISSED (≤2× XlsxWriter, every row read back)"
    print(f"\nOrders export, {r['rows']:,} rows as xlsx (best of two)")
    print(f"  XlsxWriter alone (constant_memory, to a file): {r['floor_s']:.2f} s")
    print(f"  Kehu streamed: first bytes after {r['first_s'] * 1000:.1f} ms, first rows after "
          f"{(r['first_rows_s'] or 0) * 1000:.1f} ms, whole file {r['total_s']:.2f} s "
          f"({r['bytes'] / 1e6:.1f} MB in {r['pieces']:,} pieces) = {ratio:.2f}× XlsxWriter  {ok}")
    print(f"  read back with python-calamine: {r['read_back']:,} rows")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    report(run(parser.parse_args().rows))
