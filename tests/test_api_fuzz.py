"""Schema-driven fuzzing of /api/v1/ (schemathesis), in-process against the WSGI app.

Every operation of the OpenAPI schema gets generated requests, as an administrator (sees and may
change everything) and as a rep (sees their own book); no answer may be a server error, and
answers must match the schema. Bounded so it runs in `make test`: a few examples per operation,
no per-example deadline.
"""

import datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from kehu.testing import build_org, grant_limit, make_customer, shared_rows
from kehu.wsgi import application

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 5


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Like Django's test client: the WSGI handler must not close the connection that holds the
    test's transaction (it would on PostgreSQL, where autocommit is off inside the test)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def book(django_db_setup, django_db_blocker, who):
    """The caller's token on the data below, built once per caller for every operation; each
    operation's writes are rolled back to it."""
    with shared_rows(django_db_blocker, lambda: fill_book(build_org(), who)) as key:
        yield key


@pytest.fixture
def token(book, db):
    return book


def fill_book(org, who) -> str:
    from rest_framework.authtoken.models import Token

    from kehu.accounts.services import notify
    from kehu.credit.services import credit_daily_review, credit_freeze, policy_create
    from kehu.customers.services import need_save
    from kehu.dataio.services import job_create, job_start
    from kehu.ledger.services import (
        order_create,
        order_deliver,
        order_invoice,
        order_mark_confirmed,
        payment_record,
    )

    # Something in each book, so that lists are not all empty: a need, a receivable part paid,
    # a notification and a checked import for the person calling; credit limits, a freeze, a day's
    # utilisation and a policy version set for tomorrow.
    user = getattr(org, who)
    customer = make_customer(org.alice, "艾丽机械制造有限公司")
    carols = make_customer(org.carol, "卡罗建筑工程有限公司")
    grant_limit(customer, "100000")
    grant_limit(carols, "50000")
    credit_freeze(user=org.cathy, customer=carols, reason="逾期九十天")
    policy_create(user=org.ada, data={"effective_from": timezone.localdate() + datetime.timedelta(days=1)})
    need_save(user=org.alice, customer=customer, data={"category": "grease", "monthly_volume": "200"})
    order = order_create(user=org.alice, customer=customer, lines=[{"product": org.product, "quantity": "1"}])
    order_mark_confirmed(order=order)
    order_deliver(user=org.alice, order=order)
    order_invoice(user=org.alice, order=order)
    payment_record(user=org.ada, customer=customer, amount="100")
    notify(users=[user], text="订单被信用检查拦下", link="/")
    job = job_create(user=user, kind="customers", filename="a.csv", data="客户名称,电话\n甲公司,555\n".encode())
    job_start(job=job, commit=False)
    credit_daily_review(today=timezone.localdate())
    return Token.objects.get_or_create(user=user)[0].key


@pytest.mark.parametrize("who", ["ada", "alice"], scope="module")
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck), database=None)
def test_api_holds_up_to_fuzzing(case, who, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
