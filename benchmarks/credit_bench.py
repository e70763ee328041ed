"""Order confirmation with the credit check at 20 concurrent clients, beside the same server
confirming orders with the check switched off (the baseline), measured in the same run.

Both runs go through the same server — gunicorn (4 processes × 4 threads) serving Kehu's API
on loopback — once as Kehu is and once with the confirm step switched to the ledger's unchecked state change
(benchmarks/nocredit_settings.py names it explicitly; the product has no such step),
so the only difference is the check. Each of the 20 clients confirms its orders one after the
other (POST /api/v1/orders/{id}/confirm with a token). Clients share customers (two per customer)
so the per-customer lock is contended as it is when a team enters orders at once.
Limits are set above each customer's current exposure with room for three orders in four, so the
last quarter are held;
afterwards every customer's accepted orders are checked against its limit.
"""

import datetime
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CLIENTS = 20
ORDERS_PER_CLIENT = 30
PACED_FROM = 20  # each client's first 20 orders as fast as it can, the last 10 paced
PACE_SECONDS = 0.5  # 20 clients × 2 orders/s = 40 confirmations/s offered
CUSTOMERS = 10


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _prepare(enforce: bool, tag: str):
    from django.db import connections, transaction
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from kehu.accounts.models import Role, User
    from kehu.credit.models import (
        CreditAccount,
        CreditLimit,
        Investigation,
        LimitApplication,
    )
    from kehu.customers.models import Customer
    from kehu.ledger.models import Order, OrderLine, OrderStatus, Product, Receivable
    from kehu.ledger.selectors import customer_exposure

    today = timezone.localdate()
    overdue = Receivable.objects.filter(customer=OuterRef("pk"), settled_on__isnull=True,
                                        due_on__lt=today)
    # Customers with some history and no overdue items (those would be held whatever the limit).
    rep_customers = (Customer.objects.filter(lifecycle="customer", owner__role=Role.REP)
                     .exclude(Exists(overdue)).order_by("code")[: CUSTOMERS * 3])
    customers = list(rep_customers)[CUSTOMERS * (1 if enforce else 2): CUSTOMERS * (2 if enforce else 3)]
    if len(customers) < CUSTOMERS:
        customers = list(Customer.objects.filter(lifecycle="customer")[:CUSTOMERS])
    approver = User.objects.filter(role=Role.SENIOR).first()
    product = Product.objects.filter(active=True).order_by("code").first()
    budgets = {}
    with transaction.atomic():
        for customer in customers:
            exposure = customer_exposure(customer_id=customer.pk)
            # Room for three orders in four of those fired at this customer: the last ones are held.
            budget = Decimal(ORDERS_PER_CLIENT * 2 * 1000) * 3 / 4
            inv = Investigation.objects.create(
                customer=customer, investigated_by=customer.owner, investigated_on=today,
                registered_capital=Decimal("5000000"), years_in_business=10, ownership="private", staff_size=100,
                revenue_band="20-100m", payment_record_us="good", payment_record_others="good",
                legal_disputes="none", impression="good", score=80, risk_class="low")
            app = LimitApplication.objects.create(
                customer=customer, applicant=customer.owner, investigation=inv, requested_limit=exposure + budget,
                requested_terms_days=30, reason=f"bench {tag}", status="approved", decided_by=approver,
                decided_at=timezone.now(), approved_limit=exposure + budget, approved_terms_days=30)
            CreditLimit.objects.filter(customer=customer, is_current=True).update(is_current=False)
            CreditLimit.objects.create(customer=customer, application=app, amount=exposure + budget, terms_days=30,
                                       approved_by=approver, valid_from=today,
                                       review_on=today + datetime.timedelta(days=365))
            CreditAccount.objects.get_or_create(customer=customer)
            # Overdue items would hold every order; the benchmark measures the limit path.
            budgets[customer.pk] = (exposure, budget)
        orders: list[list[int]] = [[] for _ in range(CLIENTS)]
        for client in range(CLIENTS):
            customer = customers[client % len(customers)]
            for i in range(ORDERS_PER_CLIENT):
                order = Order.objects.create(
                    number=f"BENCH-{tag}-{client:02d}-{i:03d}-{time.time_ns() % 10**9}", customer=customer,
                    handler=customer.owner, order_date=today, status=OrderStatus.DRAFT, payment_method="credit",
                    payment_terms_days=30, total=Decimal("1000.00"), created_by=customer.owner)
                OrderLine.objects.create(order=order, product=product, quantity=Decimal("1"), unit_price=Decimal("1000.00"),
                                         amount=Decimal("1000.00"))
                orders[client].append(order.pk)
    connections.close_all()
    return customers, budgets, orders


def _server(settings_module: str, port: int, probe_token: str) -> subprocess.Popen:
    """The same server both times: gunicorn, 4 processes × 4 threads, on loopback."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    url = os.environ.get("DATABASE_URL") or f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, "DEBUG": "0", "DATABASE_URL": url,
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "kehu.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "4", "--threads", "4", "--worker-class", "gthread", "--log-level", "warning"],
        cwd=ROOT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json" if settings_module == "kehu.settings" else "/api/v1/products",
                         headers={"Authorization": f"Token {probe_token}"})
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the benchmark server did not start")


def _fire(orders: list[list[int]], tokens: dict[int, str], port: int, pace: float = 0.0) -> tuple[list[float], float]:
    """Each client confirms its orders one after the other through the API: as fast as it can
    (``pace`` 0, the server's throughput), or one every ``pace`` seconds (latency under load)."""
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(orders))
    errors: list[str] = []

    def client(order_ids: list[int], offset: float) -> None:
        mine = []
        barrier.wait()
        began = time.perf_counter() + offset  # paced clients are spread evenly, not in step
        for index, (pk, token) in enumerate(order_ids):
            if pace:
                time.sleep(max(0.0, began + index * pace - time.perf_counter()))
            start = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", f"/api/v1/orders/{pk}/confirm", body=b"",
                         headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
            response = conn.getresponse()
            body = response.read()
            conn.close()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                errors.append(f"{response.status} {body[:200]!r}")
        with lock:
            latencies.extend(mine)

    work = [[(pk, tokens[pk]) for pk in ids] for ids in orders]
    threads = [threading.Thread(target=client, args=(w, pace * i / len(work))) for i, w in enumerate(work)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} confirmations failed, e.g. {errors[0]}")
    return latencies, elapsed


def _warm(tokens: dict[int, str], port: int) -> None:
    """Every worker process and thread opens its database connection before the clock starts."""
    def hit(token: str) -> None:
        for path in ["/api/v1/me", "/api/v1/orders?status=draft", "/api/v1/products"] * 3:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers={"Authorization": f"Token {token}"})
            conn.getresponse().read()
            conn.close()

    threads = [threading.Thread(target=hit, args=(token,)) for token in list(set(tokens.values()))[:20] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _tokens(orders: list[list[int]]) -> dict[int, str]:
    from rest_framework.authtoken.models import Token

    from kehu.ledger.models import Order

    ids = [pk for client in orders for pk in client]
    out = {}
    for pk, handler_id in Order.objects.filter(pk__in=ids).values_list("pk", "handler_id"):
        token, _created = Token.objects.get_or_create(user_id=handler_id)
        out[pk] = token.key
    return out


def _over_limit(customers, budgets, orders) -> int:
    from django.db.models import Sum

    from kehu.ledger.models import Order

    ids = [pk for client in orders for pk in client]
    over = 0
    for customer in customers:
        accepted = Order.objects.filter(pk__in=ids, customer=customer, status="confirmed").aggregate(t=Sum("total"))["t"] or 0
        if accepted > budgets[customer.pk][1]:
            over += 1
    return over


def _cleanup(orders) -> None:
    from django.db import transaction

    from kehu.credit.models import CreditCheck
    from kehu.ledger.models import Order, OrderLine

    ids = [pk for client in orders for pk in client]
    with transaction.atomic():
        CreditCheck.objects.filter(order_id__in=ids).delete()
        OrderLine.objects.filter(order_id__in=ids).delete()
        Order.objects.filter(pk__in=ids).delete()


def _statements(order_id: int, token: str, enforce: bool) -> int:
    """SQL statements of one confirmation through the API, in-process, with the mode's confirm step."""
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    root = str(Path(__file__).resolve().parent.parent)  # benchmarks.nocredit_confirm, as the server finds it
    if root not in sys.path:
        sys.path.insert(0, root)
    step = ("kehu.credit.services.order_confirm_checked" if enforce
            else "benchmarks.nocredit_confirm.order_confirm_without_credit_check")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}", SERVER_NAME="localhost")
    with override_settings(ORDER_CONFIRM_STEP=step, ALLOWED_HOSTS=["*"]), CaptureQueriesContext(connection) as ctx:
        response = client.post(f"/api/v1/orders/{order_id}/confirm")
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def run() -> list[dict]:
    from django.db import connections

    results = []
    for enforce in (False, True):
        customers, budgets, orders = _prepare(enforce, "on" if enforce else "off")
        tokens = _tokens(orders)
        counted = orders[0].pop()
        statements = _statements(counted, tokens[counted], enforce)
        connections.close_all()
        port = 18765 + int(enforce)
        server = _server("kehu.settings" if enforce else "benchmarks.nocredit_settings", port,
                         next(iter(tokens.values())))
        saturate = [client[:PACED_FROM] for client in orders]
        paced = [client[PACED_FROM:] for client in orders]
        try:
            _warm(tokens, port)
            latencies, elapsed = _fire(saturate, tokens, port)
            paced_latencies, _paced_elapsed = _fire(paced, tokens, port, pace=PACE_SECONDS)
        finally:
            server.terminate()
            server.wait(timeout=30)
        n = len(latencies)
        results.append({
            "mode": "credit check on" if enforce else "check off (baseline)",
            "orders": n,
            "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": _percentile(latencies, 95) * 1000,
            "throughput": n / elapsed,
            "paced_p50_ms": statistics.median(paced_latencies) * 1000,
            "paced_p95_ms": _percentile(paced_latencies, 95) * 1000,
            "over_limit_customers": _over_limit(customers, budgets, orders) if enforce else None,
            "held": None,
            "statements": statements,
        })
        if enforce:
            from kehu.ledger.models import Order

            ids = [pk for client in orders for pk in client]
            results[-1]["held"] = Order.objects.filter(pk__in=ids, status="held").count()
        orders[0].append(counted)
        _cleanup(orders)
    return results


def report(results: list[dict]) -> None:
    base, checked = results[0], results[1]
    print(f"\nOrder confirmation through the API, {CLIENTS} concurrent clients, {CUSTOMERS} shared customers,"
          " gunicorn 4×4 on PostgreSQL")
    print(f"{'mode':<24}{'orders':>8}{'p50 ms':>10}{'p95 ms':>10}{'orders/s':>11}{'held':>7}{'over-limit':>12}")
    for r in results:
        print(f"{r['mode']:<24}{r['orders']:>8}{r['p50_ms']:>10.1f}{r['p95_ms']:>10.1f}{r['throughput']:>11.1f}"
              f"{'' if r['held'] is None else r['held']:>7}{'' if r['over_limit_customers'] is None else r['over_limit_customers']:>12}")
    print(f"\nlatency when each of the {CLIENTS} clients confirms an order every {PACE_SECONDS:g} s "
          f"({CLIENTS / PACE_SECONDS:.0f}/s offered):")
    for r in results:
        print(f"{r['mode']:<24}{'':>8}{r['paced_p50_ms']:>10.1f}{r['paced_p95_ms']:>10.1f}")
    print(f"SQL statements per confirmation through the API: {base['statements']} without the check, "
          f"{checked['statements']} with it")
    cost = 1 - checked["throughput"] / base["throughput"] if base["throughput"] else 0
    print(f"check costs {cost:.0%} of throughput (target < 25%); p95 {checked['p95_ms']:.1f} ms saturated, "
          f"{checked['paced_p95_ms']:.1f} ms at {CLIENTS / PACE_SECONDS:.0f}/s (target < 50 ms); "
          f"over-limit acceptances: {checked['over_limit_customers']} (target 0)")
