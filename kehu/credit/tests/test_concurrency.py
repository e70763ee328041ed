"""Orders confirmed at the same moment for one customer never together exceed its limit.

Runs on PostgreSQL over real connections (one per thread), all released by one barrier.
"""

from decimal import Decimal

import pytest
from django.db import connection

from kehu.credit.models import CheckResult, CreditCheck
from kehu.ledger.models import Order, OrderStatus
from kehu.ledger.services import order_confirm, order_create
from kehu.testing import build_org, grant_limit, make_customer, race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

LIMIT = Decimal("10000")
# 24 orders whose sum (26,400) is far above the limit; which of them fit depends on arrival.
AMOUNTS = [Decimal(a) for a in [1800, 700, 1200, 450, 2300, 900, 1500, 600, 1100, 2000, 350, 800,
                                1300, 950, 1700, 500, 1000, 400, 1400, 650, 1250, 750, 1600, 1150]]


@pytest.fixture
def setup():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL (set DATABASE_URL)")
    org = build_org()
    customer = make_customer(org.alice, "并发测试客户有限公司")
    grant_limit(customer, LIMIT)
    orders = [
        order_create(user=org.alice, customer=customer,
                     lines=[{"product": org.product, "quantity": "1", "unit_price": str(a)}])
        for a in AMOUNTS
    ]
    return org, customer, orders


def test_concurrent_confirmations_never_exceed_the_limit(setup):
    org, customer, orders = setup
    _confirmed, refused = race([lambda o=o: order_confirm(user=org.alice, order=o) for o in orders])
    assert not refused, refused  # a held order is an outcome, not a refusal

    statuses = dict(Order.objects.filter(customer=customer).values_list("pk", "status"))
    accepted = [o for o in orders if statuses[o.pk] == OrderStatus.CONFIRMED]
    held = [o for o in orders if statuses[o.pk] == OrderStatus.HELD]
    assert len(accepted) + len(held) == len(orders)
    assert sum(o.total for o in accepted) <= LIMIT
    assert accepted and held

    # Replay the checks in the order the database serialised them: each saw exactly the exposure
    # of the orders accepted before it, was accepted if it fitted and held if it did not.
    running = Decimal("0")
    checks = list(CreditCheck.objects.filter(customer=customer).order_by("id"))
    assert len(checks) == len(orders)
    for check in checks:
        assert check.exposure_before == running, "a check read exposure that another was still changing"
        fits = running + check.order_amount <= LIMIT
        assert check.result == (CheckResult.PASSED if fits else CheckResult.HELD)
        assert statuses[check.order_id] == (OrderStatus.CONFIRMED if fits else OrderStatus.HELD)
        if fits:
            running += check.order_amount
    assert running == sum(o.total for o in accepted)
