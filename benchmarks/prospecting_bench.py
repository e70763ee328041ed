"""Prospect development at scale: the duplicate check at entry and the company-wide funnel by method,
each beside a plain indexed lookup (a customer by its code) timed in the same run.

On the benchmark company (benchmarks/run.py builds it) this adds 300,000 prospects, filed from the
methods of P1 by the company's reps with their origins and colour history, and 2,000,000
touchpoints, once (rows carry the code prefix PB, so a second run reuses them). Then:

- duplicate check: ``customers.duplicates.customer_duplicates`` for a new company typed the way
  reps type them — an existing company's name written otherwise (city in brackets, another legal
  form), an existing phone, a new name and phone — target p95 < 50 ms;
- company funnel: ``prospecting.selectors.funnel`` for the senior manager (everyone's prospects and
  customers with a method, with touch costs and first-year sales), read from the yield summary —
  target p95 < 500 ms; beside it, in the same run, the same figures computed from the customers
  (``funnel_raw``, what the report read before the summary) and a filter with partial edge months;
- baseline: ``Customer.objects.filter(code=…)`` for a random code.

    make bench                                              # all benchmarks, full scale
    .venv/bin/python benchmarks/prospecting_bench.py --prospects 30000 --touchpoints 200000   # alone, smaller
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROSPECTS = 300_000
TOUCHPOINTS = 2_000_000
PREFIX = "PB"
DUP_TARGET_MS = 50.0
FUNNEL_TARGET_MS = 500.0
SEED = 11


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _timed(call, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _copy(model, columns: list[str], rows) -> int:
    """COPY rows into ``model``'s table (PostgreSQL); columns not named get the field's default and
    the id its sequence."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key]
    extra = tuple(None if f.null and not f.has_default() else f.get_default() for f in fields)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column if not c.endswith("_id") else c)
                      for c in columns + [f.attname for f in fields])
    n = 0
    with connection.cursor() as cursor, cursor.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row) + extra)
            n += 1
    return n


def _seed(prospects: int, touchpoints: int) -> dict:
    """Add the prospects, their origins and colour history, and the touchpoints (once)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kehu.accounts.models import Role, User
    from kehu.customers.duplicates import company_name_key
    from kehu.customers.models import ColourGrade, Customer, SourceMethod
    from kehu.engagement.models import Touchpoint, TouchTotal
    from kehu.prospecting.models import ColourChange, ProspectOrigin

    have = Customer.objects.filter(code__startswith=PREFIX).count()
    if have >= prospects:
        return {"added": 0, "prospects": have}
    rng = random.Random(SEED)
    reps = list(User.objects.filter(role=Role.REP, is_active=True).values_list("pk", flat=True))
    if not reps:
        raise RuntimeError("the benchmark company has no reps; build it with benchmarks/run.py first")
    towns = ["苏州", "无锡", "常州", "南通", "嘉兴", "绍兴", "台州", "温州", "佛山", "东莞", "潍坊", "临沂", "保定", "唐山"]
    words = ["精密机械", "液压设备", "汽车配件", "物流运输", "纺织印染", "建材", "塑料制品", "食品加工", "五金工具",
             "工程机械", "化工", "电力设备", "港口装卸", "矿山设备", "农机", "注塑", "锻造", "铸造"]
    brands = "宏达华星恒力金刚新锐远洋天马燕山长江东方顺发永盛鑫源德隆万通嘉禾瑞丰富华"
    forms = ["有限公司", "有限责任公司", "股份有限公司", "厂", "实业有限公司"]
    methods = [m for m in SourceMethod.values if m != SourceMethod.OTHER]
    now = timezone.now()
    columns = ["created_at", "updated_at", "code", "name", "owner_id", "phone", "lifecycle", "colour", "source",
               "source_detail", "pursuit", "pinyin", "initials", "search_text", "name_key"]
    start = have
    brand_words = [brands[i:i + 2] for i in range(0, len(brands), 2)]

    def customers():
        for i in range(start, prospects):
            name = f"{rng.choice(towns)}{rng.choice(brand_words)}{rng.choice(words)}{i}{rng.choice(forms)}"
            colour = rng.choices([ColourGrade.GREEN, ColourGrade.YELLOW, ColourGrade.RED], [70, 22, 8])[0]
            created = now - datetime.timedelta(days=rng.randint(1, 900))
            yield (created, created, f"{PREFIX}{i:07d}", name, rng.choice(reps), f"13{rng.randint(100000000, 999999999)}",
                   "customer" if colour == ColourGrade.RED else "prospect", colour, rng.choice(methods),
                   f"来源{rng.randint(1, 300)}", "continue", "", "", name, company_name_key(name))

    with transaction.atomic():
        _copy(Customer, columns, customers())
        ids = list(Customer.objects.filter(code__startswith=PREFIX, code__gte=f"{PREFIX}{start:07d}")
                   .values_list("pk", "source", "colour", "owner_id"))
        _copy(ProspectOrigin, ["customer_id", "method", "created_by_id", "created_at"],
              ((pk, source, owner, now) for pk, source, _c, owner in ids))

        def colour_rows():
            for pk, _s, colour, owner in ids:
                yield (pk, ColourGrade.GREEN, "", "bench", owner, now)
                if colour != ColourGrade.GREEN:
                    yield (pk, ColourGrade.YELLOW, ColourGrade.GREEN, "bench", owner, now)

        _copy(ColourChange, ["customer_id", "colour", "previous", "reason", "by_id", "at"], colour_rows())
        first, last = min(pk for pk, *_ in ids), max(pk for pk, *_ in ids)
        table = Touchpoint._meta.db_table
        with connection.cursor() as cursor:
            # Spread over the new prospects' ids: one statement writes them all.
            cursor.execute(f"""
                INSERT INTO {table} (created_at, updated_at, customer_id, method, status, done_on, outcome, cost, notes,
                                     reminder_key, rep_id)
                SELECT now(), now(), c.id, 'call', 'done', CURRENT_DATE - (g %% 700), '', (g %% 50)::numeric, '', '',
                       c.owner_id
                FROM generate_series(1, %s) g
                JOIN {Customer._meta.db_table} c ON c.id = %s + (g::bigint * 7919) %% (%s - %s + 1)
            """, [touchpoints, first, last, first])
            # The running totals the touchpoint services keep, for the rows written here in bulk.
            totals = TouchTotal._meta.db_table
            cursor.execute(f"""
                INSERT INTO {totals} (customer_id, touches, cost, last_done_on)
                SELECT customer_id, count(*), sum(cost), max(done_on) FROM {table} WHERE status = 'done'
                GROUP BY customer_id
                ON CONFLICT (customer_id) DO UPDATE SET touches = EXCLUDED.touches, cost = EXCLUDED.cost,
                    last_done_on = EXCLUDED.last_done_on
            """)
    return {"added": prospects - have, "prospects": prospects}


def run(prospects: int = PROSPECTS, touchpoints: int = TOUCHPOINTS, samples: int = 200) -> dict:
    from django.db import connection
    from django.utils import timezone

    from kehu.accounts.models import Role, User
    from kehu.customers.duplicates import customer_duplicates
    from kehu.customers.models import Customer
    from kehu.prospecting.selectors import funnel, funnel_raw
    from kehu.prospecting.services import funnel_summary_refresh, origins_refresh

    started = time.perf_counter()
    seeded = _seed(prospects, touchpoints)
    refresh = time.perf_counter()
    origins_refresh(today=timezone.localdate())  # the daily job: funnel figures of customers won, and the summary
    refresh_s = time.perf_counter() - refresh
    rebuild = time.perf_counter()
    summary_rows = funnel_summary_refresh()  # the summary alone, whole
    rebuild_s = time.perf_counter() - rebuild
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seed_s = time.perf_counter() - started
    rng = random.Random(SEED)
    sample = list(Customer.objects.order_by("?").values_list("code", "name", "phone")[:samples])
    variants = []
    for _code, name, phone in sample:
        kind = rng.randrange(3)
        if kind == 0:  # the same company written otherwise
            variants.append({"name": f"{name.replace('有限公司', '')}（集团）股份有限公司", "phones": []})
        elif kind == 1:  # an existing phone, a new name
            variants.append({"name": f"新公司{rng.randint(1, 10**6)}有限公司", "phones": [phone or "13800000000"]})
        else:  # nobody's
            variants.append({"name": f"全新{rng.randint(1, 10**6)}贸易有限公司", "phones": [f"139{rng.randint(10**7, 10**8 - 1)}"]})
    for v in variants[:10]:
        customer_duplicates(**v)  # warm
    it = iter(variants * 2)
    dup = _timed(lambda: customer_duplicates(**next(it)), len(variants))
    found = sum(1 for v in variants if customer_duplicates(**v))
    codes = iter([c for c, _n, _p in sample] * 2)
    base = _timed(lambda: Customer.objects.filter(code=next(codes)).first(), len(sample))
    senior = User.objects.filter(role=Role.SENIOR).first() or User.objects.filter(is_superuser=True).first()
    funnel(user=senior)  # warm
    runs = _timed(lambda: funnel(user=senior), 12)
    rows = funnel(user=senior)
    funnel_raw(user=senior)  # warm
    raw_runs = _timed(lambda: funnel_raw(user=senior), 12)
    today = timezone.localdate()
    window = {"since": today - datetime.timedelta(days=400), "until": today - datetime.timedelta(days=20)}
    edge_runs = _timed(lambda: funnel(user=senior, **window), 12)

    def figures(result):
        return [(r.key, r.created, r.yellow, r.red, r.median_days, r.first_year_sales, r.touch_cost) for r in result]

    same = (figures(rows) == figures(funnel_raw(user=senior))
            and figures(funnel(user=senior, **window)) == figures(funnel_raw(user=senior, **window)))
    return {
        "prospects": Customer.objects.filter(code__startswith=PREFIX).count(),
        "customers": Customer.objects.count(),
        "seeded": seeded, "seed_s": seed_s, "refresh_s": refresh_s, "rebuild_s": rebuild_s,
        "summary_rows": summary_rows, "same": same,
        "dup_ms": dup, "dup_found": found, "dup_n": len(variants), "base_ms": base, "funnel_ms": runs,
        "raw_ms": raw_runs, "edge_ms": edge_runs,
        "funnel_rows": [(r.key, r.created, r.yellow, r.red) for r in rows],
    }


def report(result: dict) -> None:
    def line(label: str, values: list[float], target: float | None) -> None:
        p95 = _p95(values)
        verdict = "" if target is None else ("  OK" if p95 < target else f"  OVER the {target:.0f} ms target")
        print(f"  {label:<42} p50 {statistics.median(values):8.1f} ms   p95 {p95:8.1f} ms   n={len(values)}{verdict}")

    print(f"  {result['customers']:,} customers of which {result['prospects']:,} benchmark prospects "
          f"(added this run: {result['seeded']['added']:,}; seeding and ANALYZE {result['seed_s']:.0f}s)")
    print(f"  the daily job refreshing the funnel figures of customers won and the summary: {result['refresh_s']:.1f}s"
          f" (the summary alone: {result['rebuild_s']:.1f}s, {result['summary_rows']:,} rows)")
    line("duplicate check at entry", result["dup_ms"], DUP_TARGET_MS)
    print(f"    ({result['dup_found']} of {result['dup_n']} typed companies matched an existing customer)")
    line("company funnel by method (senior manager)", result["funnel_ms"], FUNNEL_TARGET_MS)
    line("  the same from the customers (before)", result["raw_ms"], None)
    line("  summary + partial edge months (380 days)", result["edge_ms"], FUNNEL_TARGET_MS)
    print(f"    summary figures equal the raw ones: {'yes' if result['same'] else 'NO'}")
    line("baseline: a customer by its code", result["base_ms"], None)
    for key, created, yellow, red in result["funnel_rows"]:
        print(f"    {key:<20} created {created:>8,}  yellow {yellow:>8,}  red {red:>8,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prospects", type=int, default=PROSPECTS)
    parser.add_argument("--touchpoints", type=int, default=TOUCHPOINTS)
    parser.add_argument("--customers", type=int, default=100_000, help="the benchmark company's customers, if built here")
    parser.add_argument("--order-lines", type=int, default=5_000_000)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import run as bench

    url = os.environ.get("DATABASE_URL") or bench.DEFAULT_URL
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    os.environ.setdefault("DEBUG", "0")
    bench.create_database(url)
    import django

    django.setup()
    bench.build_or_reuse(url, argparse.Namespace(customers=args.customers, order_lines=args.order_lines, rebuild=False))
    report(run(prospects=args.prospects, touchpoints=args.touchpoints))


if __name__ == "__main__":
    main()
