"""Order confirmation with the credit check at 20 concurrent clients, beside the same server
confirming orders with the check switched off (the baseline), measured in the same run.

Each client is a thread with its own PostgreSQL connection. Clients share customers (two per
customer) so the per-customer lock is contended as it is when a team enters orders at once.
Limits are set just above each customer's current exposure so that some orders are held;
afterwards every customer's accepted orders are checked against its limit.
"""

import datetime
import statistics
import threading
import time
from decimal import Decimal

CLIENTS = 20
ORDERS_PER_CLIENT = 30
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
            # Room for about half of the orders that will be fired at this customer.
            budget = Decimal(ORDERS_PER_CLIENT * 2 * 1000) / 2
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


def _fire(orders: list[list[int]], enforce: bool) -> tuple[list[float], float]:
    from django.db import connections

    from kehu.credit.services import order_confirm_checked
    from kehu.ledger.models import Order

    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(orders))
    errors: list[BaseException] = []

    def client(order_ids: list[int]) -> None:
        try:
            mine = []
            batch = list(Order.objects.filter(pk__in=order_ids).select_related("customer", "handler"))
            barrier.wait()
            for order in batch:
                start = time.perf_counter()
                order_confirm_checked(user=order.handler, order=order, enforce=enforce)
                mine.append(time.perf_counter() - start)
            with lock:
                latencies.extend(mine)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(ids,)) for ids in orders]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return latencies, elapsed


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


def run() -> list[dict]:
    results = []
    for enforce in (False, True):
        customers, budgets, orders = _prepare(enforce, "on" if enforce else "off")
        latencies, elapsed = _fire(orders, enforce)
        n = len(latencies)
        results.append({
            "mode": "credit check on" if enforce else "check off (baseline)",
            "orders": n,
            "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": _percentile(latencies, 95) * 1000,
            "throughput": n / elapsed,
            "over_limit_customers": _over_limit(customers, budgets, orders) if enforce else None,
            "held": None,
        })
        if enforce:
            from kehu.ledger.models import Order

            ids = [pk for client in orders for pk in client]
            results[-1]["held"] = Order.objects.filter(pk__in=ids, status="held").count()
        _cleanup(orders)
    return results


def report(results: list[dict]) -> None:
    base, checked = results[0], results[1]
    print(f"\nOrder confirmation, {CLIENTS} concurrent clients, {CUSTOMERS} shared customers, PostgreSQL")
    print(f"{'mode':<24}{'orders':>8}{'p50 ms':>10}{'p95 ms':>10}{'orders/s':>11}{'held':>7}{'over-limit':>12}")
    for r in results:
        print(f"{r['mode']:<24}{r['orders']:>8}{r['p50_ms']:>10.1f}{r['p95_ms']:>10.1f}{r['throughput']:>11.1f}"
              f"{'' if r['held'] is None else r['held']:>7}{'' if r['over_limit_customers'] is None else r['over_limit_customers']:>12}")
    cost = 1 - checked["throughput"] / base["throughput"] if base["throughput"] else 0
    print(f"check costs {cost:.0%} of throughput (target < 25%); p95 {checked['p95_ms']:.1f} ms (target < 50 ms); "
          f"over-limit acceptances: {checked['over_limit_customers']} (target 0)")
