"""`make bench`: Kehu at its design scale on PostgreSQL, measured in one run.

1. Builds the benchmark company, 100,000 customers and 5,000,000 order lines, with the builder of
   `kehu demo`, in the database kehu_bench on 127.0.0.1:5432 as user postgres (DATABASE_URL
   overrides; the database is created if missing), or reuses it when a build of that scale is
   there already (the demo_demobuild table records each build).
2. Times the customer list (a search and a filter) and the customer card in-process with Django's
   test client, as the senior manager (who sees everything) and as a rep, next to the Django
   admin's customer change list with the same search as the superuser (the baseline), and counts
   each page's SQL queries: a page should make as many with 50 rows (or many orders) as with one.
3. Runs the other benchmarks in this folder: each benchmarks/*_bench.py with run() and report().

    make bench                                  # or: .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --customers 5000 --order-lines 250000   # a quick run
    .venv/bin/python benchmarks/run.py --rebuild --only pages
"""

import argparse
import importlib
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kehu_bench"
SEED = 2026
P95_TARGET_MS = 150.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--order-lines", type=int, default=5_000_000)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page (default 60)")
    parser.add_argument("--rebuild", action="store_true", help="build afresh even if a build of this scale exists")
    parser.add_argument("--only", choices=["pages", "others"], help="run only the page timings or only the other benchmarks")
    parser.add_argument("--bench", action="append", default=[], metavar="NAME",
                        help="of the other benchmarks, run only NAME (benchmarks/NAME_bench.py); repeatable")
    return parser.parse_args()


# -- the database --------------------------------------------------------------------------------


def _server_settings(url: str) -> tuple[str, dict[str, str]]:
    import dj_database_url

    parts = dj_database_url.parse(url)
    if "postgresql" not in parts["ENGINE"]:
        sys.exit(f"make bench runs on PostgreSQL; DATABASE_URL is {url!r}")
    conninfo = {"host": parts.get("HOST"), "port": str(parts.get("PORT") or ""), "user": parts.get("USER"),
                "password": parts.get("PASSWORD")}
    return parts["NAME"], {k: v for k, v in conninfo.items() if v}


def create_database(url: str, *, drop: bool = False) -> None:
    import psycopg
    from psycopg import sql

    name, conninfo = _server_settings(url)
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
        if drop:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def build_or_reuse(url: str, args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import connection, connections

    from kehu.customers.models import Customer
    from kehu.demo.builder import DemoOptions, build_demo
    from kehu.demo.bulk import stderr_progress
    from kehu.demo.models import DemoBuild

    call_command("migrate", verbosity=0)
    builds = list(DemoBuild.objects.all())
    wanted = (SEED, args.customers, args.order_lines)
    if not args.rebuild and len(builds) == 1 and (builds[0].seed, builds[0].customers, builds[0].order_lines) == wanted:
        b = builds[0]
        print(f"reusing the benchmark data built on {b.built_at:%Y-%m-%d %H:%M} "
              f"({b.customers:,} customers, {b.order_lines:,} order lines, built in {b.seconds:.0f}s)")
        return
    if builds or Customer.objects.exists():
        name = connection.settings_dict["NAME"]
        if not name.startswith("kehu_bench"):
            sys.exit(f"database {name} has other data; point DATABASE_URL at an empty database or kehu_bench")
        print(f"database {name} holds other data: dropping and creating it again")
        connections.close_all()
        create_database(url, drop=True)
        call_command("migrate", verbosity=0)
    print(f"building {args.customers:,} customers and {args.order_lines:,} order lines on PostgreSQL …")
    from kehu.demo.builder import PROGRESS_PHASES, describe

    started = time.monotonic()
    summary = build_demo(DemoOptions(seed=SEED, customers=args.customers, order_lines=args.order_lines),
                         progress=stderr_progress(PROGRESS_PHASES))
    built = time.monotonic() - started
    print(describe(summary))
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # hint bits and visibility map, as a day of autovacuum would leave them
    print(f"BUILD TIME: {built:.0f}s (+ {time.monotonic() - started:.0f}s VACUUM ANALYZE)")


# -- page timings --------------------------------------------------------------------------------


@dataclass
class Timing:
    page: str
    user: str
    matches: str
    n: int
    p50: float
    p95: float
    queries: int


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def measure(client, urls: list[str], *, requests: int, budget_s: float = 60.0) -> tuple[list[float], int]:
    """Warm up, then time ``requests`` GETs cycling through ``urls``; return the times and queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in urls[:5] * (2 if len(urls) < 5 else 1):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
    times: list[float] = []
    started = time.perf_counter()
    for i in range(requests):
        t0 = time.perf_counter()
        client.get(urls[i % len(urls)])
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - started > budget_s and len(times) >= 10:
            break  # a slow page (the admin) gets fewer samples rather than minutes
    with CaptureQueriesContext(connection) as ctx:
        client.get(urls[0])
    return times, len(ctx)


def page_timings(args: argparse.Namespace) -> list[Timing]:
    from django.db.models import Count
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from kehu.accounts.models import Region, User
    from kehu.customers.models import Contact, Customer
    from kehu.customers.selectors import CustomerFilters, customer_list
    from kehu.ledger.models import Order

    senior = User.objects.get(username="senior")
    rep = User.objects.get(username="rep01")
    admin = User.objects.get(username="admin")
    east = Region.objects.get(code="EAST")
    broad = "机械"
    one_phone = (
        Contact.objects.filter(customer__region=east, customer__lifecycle="customer").order_by("id")
        .values_list("phone", flat=True).first()
    )
    try:
        list_url = reverse("customers:list")
        reverse("customers:detail", args=[1])
    except NoReverseMatch:
        print("the pages customers:list and customers:detail do not exist yet: only the admin is measured")
        list_url = None

    # Cards: the customer with the most orders, a rep's biggest, one with a single order, and random ones.
    counts = Order.objects.values("customer").annotate(n=Count("id"))
    top_id, top_orders = counts.order_by("-n", "customer").values_list("customer", "n").first()
    rep_top_id, rep_top_orders = (counts.filter(customer__owner=rep).order_by("-n", "customer")
                                  .values_list("customer", "n").first())
    few_id, few_orders = counts.order_by("n", "customer").values_list("customer", "n").first()
    rng = random.Random(SEED)
    ids = list(Customer.objects.exclude(lifecycle="prospect").values_list("id", flat=True))
    random_ids = rng.sample(ids, min(100, len(ids)))

    def matches(user, q: str, region: int | None = None) -> str:
        return f"{customer_list(user=user, filters=CustomerFilters(q=q, region=region)).count():,}"

    results: list[Timing] = []

    def run(page: str, who, urls: list[str], found: str) -> None:
        client = Client()
        client.force_login(who)
        try:
            times, queries = measure(client, urls, requests=args.requests)
        except Exception as exc:  # a page being written right now may fail: say so, go on
            print(f"  {page} as {who.username}: {type(exc).__name__}: {exc}")
            return
        results.append(Timing(page, who.username, found, len(times), statistics.median(times) * 1000,
                              percentile(times, 95) * 1000, queries))
        print(f"  {page:<48} {who.username:<7} p95 {results[-1].p95:7.1f} ms", file=sys.stderr)

    if list_url:
        run("list ?q=机械&region=华东", senior, [f"{list_url}?q={broad}&region={east.pk}"], matches(senior, broad, east.pk))
        run("list ?q=<phone>&region=华东 (1 row)", senior, [f"{list_url}?q={one_phone}&region={east.pk}"],
            matches(senior, one_phone, east.pk))
        run("list ?q=机械&region=华东", rep, [f"{list_url}?q={broad}&region={east.pk}"], matches(rep, broad, east.pk))
        detail = lambda pk: reverse("customers:detail", args=[pk])  # noqa: E731
        run("card, most orders", senior, [detail(top_id)], f"{top_orders:,} orders")
        run("card, fewest orders", senior, [detail(few_id)], f"{few_orders:,} orders")
        run("card, 100 random customers", senior, [detail(pk) for pk in random_ids], "")
        run("card, the rep's biggest customer", rep, [detail(rep_top_id)], f"{rep_top_orders:,} orders")
    admin_url = "/admin/customers/customer/"
    run("admin list ?q=机械&region=华东 (baseline)", admin, [f"{admin_url}?q={broad}&region__id__exact={east.pk}"], "")
    run("admin list ?q=<phone>&region=华东 (baseline)", admin,
        [f"{admin_url}?q={one_phone}&region__id__exact={east.pk}"], "")
    return results


def report_pages(results: list[Timing], args: argparse.Namespace) -> None:
    print(f"\nPages at {args.customers:,} customers and {args.order_lines:,} order lines, PostgreSQL, "
          "in-process (django.test.Client)")
    header = (f"{'page':<48}{'user':<8}{'matches':>10}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}"
              f"  p95 < {P95_TARGET_MS:.0f} ms")
    print(header)
    print("-" * len(header))
    for r in results:
        verdict = "" if r.page.startswith("admin") else "OK" if r.p95 < P95_TARGET_MS else "MISSED"
        print(f"{_pad(r.page, 48)}{r.user:<8}{r.matches:>10}{r.n:>5}{r.p50:>9.1f}{r.p95:>9.1f}{r.queries:>9}"
              f"  {verdict}")
    by = {(r.page, r.user): r for r in results}
    pages = [r for r in results if not r.page.startswith("admin")]
    if not pages:
        return
    worst = max(pages, key=lambda r: r.p95)
    ok = worst.p95 < P95_TARGET_MS
    print(f"\ntarget p95 < {P95_TARGET_MS:.0f} ms on both pages: worst {worst.p95:.1f} ms ({worst.page}, "
          f"{worst.user}) {'OK' if ok else 'MISSED'}")
    admin_broad = by.get(("admin list ?q=机械&region=华东 (baseline)", "admin"))
    list_broad = by.get(("list ?q=机械&region=华东", "senior"))
    if admin_broad and list_broad:
        faster = list_broad.p95 < admin_broad.p95
        print(f"target faster than the admin with the same search: list p95 {list_broad.p95:.1f} ms vs admin "
              f"{admin_broad.p95:.1f} ms ({admin_broad.p95 / list_broad.p95:.1f}x) {'OK' if faster else 'MISSED'}")
    pairs = [("list ?q=机械&region=华东", "list ?q=<phone>&region=华东 (1 row)", "list, 50 rows vs 1 row"),
             ("card, most orders", "card, fewest orders", "card, most orders vs fewest")]
    for many, one, label in pairs:
        a, b = by.get((many, "senior")), by.get((one, "senior"))
        if a and b:
            same = a.queries == b.queries
            print(f"target constant query count, {label}: {a.queries} vs {b.queries} {'OK' if same else 'MISSED'}")


def _pad(text: str, width: int) -> str:
    """Pad for a terminal, where Chinese characters take two columns."""
    used = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return text + " " * max(1, width - used)


# -- the other benchmarks ------------------------------------------------------------------------


def other_benchmarks(only: list[str] | None = None) -> None:
    for path in sorted(HERE.glob("*_bench.py")):
        if only and path.stem.removesuffix("_bench") not in only:
            continue
        module = importlib.import_module(path.stem)
        if not (hasattr(module, "run") and hasattr(module, "report")):
            continue
        print(f"\n== {path.name}")
        started = time.monotonic()
        try:
            module.report(module.run())
        except Exception as exc:  # one broken benchmark should not hide the others' figures
            print(f"{path.name} failed: {type(exc).__name__}: {exc}")
        print(f"({time.monotonic() - started:.0f}s)")


def main() -> None:
    args = parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    os.environ.setdefault("DEBUG", "0")  # time what production runs, not the debug toolbar of errors
    os.environ.setdefault("KEHU_LOGIN_THROTTLE", "0")
    sys.path.insert(0, str(HERE))
    create_database(url)

    import django

    django.setup()
    started = time.monotonic()
    build_or_reuse(url, args)
    if args.only != "others":
        report_pages(page_timings(args), args)
    if args.only != "pages":
        other_benchmarks(args.bench)
    print(f"\nmake bench took {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
