"""Every write of Kehu sent twice at the same moment — the same request from a double tap or a retry,
or two that conflict (approve and reject, claim and claim, confirm and cancel) — answers no server
error, does the action once, keeps the database's rules (a code, a username is taken once) and tells
the one that lost why, in the caller's language.

"together": through Django test clients, one per thread and database connection, released by one
barrier (PostgreSQL, where rows are locked). "in_turn": the same requests one after another, on
either database (the second of a double submit sees the first done).
"""

import datetime
import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from kehu.accounts.models import Notification, User
from kehu.credit.models import (
    CreditException,
    CreditLimit,
    CreditPolicy,
    LimitApplication,
    ReviewTask,
    WriteOff,
)
from kehu.customers.models import Contact, Customer, CustomerNeed, Industry
from kehu.ledger.models import OrderStatus, Payment, PaymentMethod, Product, Receivable
from kehu.testing import INVESTIGATION, grant_limit, make_customer, race

TOGETHER = pytest.param("together", marks=[pytest.mark.django_db(transaction=True), pytest.mark.postgres], id="together")
IN_TURN = pytest.param("in_turn", marks=pytest.mark.django_db, id="in_turn")


@pytest.fixture(params=[TOGETHER, IN_TURN])
def fire(request):
    """``fire(call, call, …)``: the answers, sorted by status code; none of them a server error."""
    if request.param == "together" and connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL (set DATABASE_URL)")

    def fire(*calls: Callable):
        if request.param == "together":
            answers, refused = race(list(calls))
            assert not refused, refused  # a request answers; it does not raise
        else:
            answers = [call() for call in calls]
        assert all(a.status_code < 500 for a in answers), [(a.status_code, a.content[:300]) for a in answers]
        return sorted(answers, key=lambda a: a.status_code)

    fire.together = request.param == "together"  # type: ignore[attr-defined]  # committed: after-commit work runs
    return fire


def api(user: User, method: str, url: str, data: dict | None = None, *, lang: str = "zh-hans") -> Callable:
    """One JSON request by ``user``, on a client of its own (a client is one browser or phone)."""

    def call():
        client = APIClient(HTTP_ACCEPT_LANGUAGE=lang)
        client.force_authenticate(user)
        return getattr(client, method)(f"/api/v1/{url}", data, format="json")

    return call


def page(user: User, url: str, data: dict | None = None) -> Callable:
    """One form post by ``user`` from a signed-in browser of its own."""
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return lambda: client.post(url, data or {})


def codes(answers) -> list[int]:
    return [a.status_code for a in answers]


def said(answer) -> str:
    """What a refusal tells the caller, as one string."""
    return json.dumps(answer.json(), ensure_ascii=False)


def invoiced(customer: Customer, product: Product, quantity: str = "10") -> Receivable:
    from kehu.ledger.services import (
        order_create,
        order_deliver,
        order_invoice,
        order_mark_confirmed,
    )

    order = order_create(user=customer.owner, customer=customer, payment_method=PaymentMethod.CASH,
                         lines=[{"product": product, "quantity": quantity}])
    order_mark_confirmed(order=order)
    order_deliver(user=customer.owner, order=order)
    order_invoice(user=customer.owner, order=order)
    return Receivable.objects.get(order=order)


# ── the organisation ──────────────────────────────────────────────────────────────────────────


def test_one_username_one_account(org, fire):
    body = {"username": "dave", "display_name": "戴夫", "role": "rep", "team": org.team_east.pk}
    answers = fire(api(org.ada, "post", "users", body), api(org.ada, "post", "users", body))
    assert codes(answers) == [201, 400] and "username" in answers[1].json()
    assert User.objects.filter(username="dave").count() == 1


def test_one_code_one_region_one_name_one_team(org, fire):
    body = {"code": "S", "name": "华南区"}
    answers = fire(api(org.ada, "post", "regions", body), api(org.ada, "post", "regions", body))
    assert codes(answers) == [201, 400]
    body = {"name": "华东二组", "region": org.east.pk}
    answers = fire(api(org.ada, "post", "teams", body), api(org.ada, "post", "teams", body))
    assert codes(answers) == [201, 400] and "name" in answers[1].json()


def test_switching_an_account_off_twice_or_while_it_works(org, fire):
    answers = fire(api(org.ada, "post", f"users/{org.bob.pk}/deactivate"),
                   api(org.ada, "post", f"users/{org.bob.pk}/deactivate"))
    assert codes(answers) == [200, 200]
    org.bob.refresh_from_db()
    assert not org.bob.is_active
    # Switched off while posting: the post went in before, or is refused; never an error.
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=org.alice)

    def alice_posts():
        client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client.post("/api/v1/customers", {"name": "停用前客户有限公司"}, format="json")

    answers = fire(api(org.ada, "post", f"users/{org.alice.pk}/deactivate"), alice_posts)
    assert sorted(codes(answers)) in ([200, 201], [200, 400], [200, 401])  # 400: no longer someone who owns customers


def test_reading_notifications_twice(org, fire):
    from kehu.accounts.services import notify

    notify(users=[org.alice], text="一条通知")
    note = Notification.objects.get(user=org.alice)
    answers = fire(api(org.alice, "post", f"notifications/{note.pk}/read"),
                   api(org.alice, "post", f"notifications/{note.pk}/read"),
                   api(org.alice, "post", "notifications/read-all"))
    assert all(code < 300 for code in codes(answers))
    assert not Notification.objects.filter(user=org.alice, read_at__isnull=True).exists()


# ── customers ────────────────────────────────────────────────────────────────────────────────


def test_one_company_one_customer(org, fire):
    body = {"name": "同一信用代码有限公司", "uscc": "91310000MA1FL4XQ27"}
    answers = fire(api(org.alice, "post", "customers", body), api(org.alice, "post", "customers", body))
    assert codes(answers) == [201, 400]
    assert "统一社会信用代码" in said(answers[1])
    assert Customer.objects.filter(uscc=body["uscc"]).count() == 1


def test_two_new_customers_at_once_get_codes_of_their_own(org, fire):
    answers = fire(api(org.alice, "post", "customers", {"name": "甲公司有限公司"}),
                   api(org.bob, "post", "customers", {"name": "乙公司有限公司"}))
    assert codes(answers) == [201, 201]
    assert len({a.json()["code"] for a in answers}) == 2


def test_two_edits_of_one_customer_both_land(org, fire):
    customer = make_customer(org.alice, "两处修改有限公司")
    answers = fire(api(org.alice, "patch", f"customers/{customer.pk}", {"phone": "021-55550001"}),
                   api(org.sam, "patch", f"customers/{customer.pk}", {"website": "https://example.cn"}))
    assert codes(answers) == [200, 200]
    customer.refresh_from_db()
    assert customer.phone and customer.website == "https://example.cn"


def test_contacts_and_needs_added_and_removed_twice(org, fire):
    customer = make_customer(org.alice, "联系人有限公司")
    body = {"customer": customer.pk, "name": "王经理", "phone": "13800138000", "is_primary": True}
    answers = fire(api(org.alice, "post", "contacts", body), api(org.alice, "post", "contacts", body))
    assert all(code in (201, 400) for code in codes(answers)) and answers[0].status_code == 201
    assert Contact.objects.filter(customer=customer, is_primary=True).count() == 1
    contact = Contact.objects.filter(customer=customer).first()
    answers = fire(api(org.alice, "patch", f"contacts/{contact.pk}", {"title": "采购经理"}),
                   api(org.sam, "patch", f"contacts/{contact.pk}", {"wechat": "wang-jl"}))
    assert codes(answers) == [200, 200]
    contact.refresh_from_db()
    assert (contact.title, contact.wechat) == ("采购经理", "wang-jl")
    answers = fire(api(org.alice, "delete", f"contacts/{contact.pk}"), api(org.alice, "delete", f"contacts/{contact.pk}"),
                   api(org.sam, "patch", f"contacts/{contact.pk}", {"title": "总经理"}))
    assert 204 in codes(answers) and all(code in (200, 204, 400, 404) for code in codes(answers))
    assert not Contact.objects.filter(pk=contact.pk).exists()
    body = {"customer": customer.pk, "category": "grease", "monthly_volume": "200"}
    answers = fire(api(org.alice, "post", "needs", body), api(org.alice, "post", "needs", body))
    assert all(code in (201, 400) for code in codes(answers)) and answers[0].status_code == 201
    need = CustomerNeed.objects.filter(customer=customer).first()
    answers = fire(api(org.alice, "patch", f"needs/{need.pk}", {"description": "夏季用量大"}),
                   api(org.sam, "patch", f"needs/{need.pk}", {"our_share_pct": 40}))
    assert codes(answers) == [200, 200]
    need.refresh_from_db()
    assert (need.description, need.our_share_pct) == ("夏季用量大", 40)
    answers = fire(api(org.alice, "delete", f"needs/{need.pk}"), api(org.alice, "delete", f"needs/{need.pk}"),
                   api(org.sam, "patch", f"needs/{need.pk}", {"description": "冬季"}))
    assert 204 in codes(answers) and all(code in (200, 204, 400, 404) for code in codes(answers))


def test_primary_contact_edited_while_another_is_made_primary(org, fire):
    """One person edits the primary contact while another makes a second contact primary: both
    saved, one primary (each write takes the customer before any contact: no deadlock)."""
    customer = make_customer(org.alice, "主联系人有限公司")
    first = Contact.objects.create(customer=customer, name="王建国", is_primary=True)
    second = Contact.objects.create(customer=customer, name="李明")
    for round_ in range(3):
        answers = fire(api(org.alice, "patch", f"contacts/{first.pk}", {"title": f"采购经理{round_}", "is_primary": True}),
                       api(org.sam, "patch", f"contacts/{second.pk}", {"is_primary": True}))
        assert codes(answers) == [200, 200]
        assert Contact.objects.filter(customer=customer, is_primary=True).count() == 1
    first.refresh_from_db()
    assert first.title == "采购经理2"


def test_one_industry_code(org, fire):
    body = {"code": "CHEM", "name": "化工"}
    answers = fire(api(org.ada, "post", "industries", body), api(org.ada, "post", "industries", body))
    assert codes(answers) == [201, 400] and "code" in answers[1].json()
    assert Industry.objects.filter(code="CHEM").count() == 1


# ── the ledger ───────────────────────────────────────────────────────────────────────────────


def test_one_product_code(org, fire):
    body = {"code": "GW-9", "name": "长城齿轮油", "category": "gear_oil", "list_price": "300"}
    answers = fire(api(org.ada, "post", "products", body), api(org.ada, "post", "products", body))
    assert codes(answers) == [201, 400] and "code" in answers[1].json()
    assert "已" in said(answers[1])
    assert Product.objects.filter(code="GW-9").count() == 1
    product = Product.objects.get(code="GW-9")
    answers = fire(api(org.ada, "patch", f"products/{product.pk}", {"name": "长城齿轮油 新"}),
                   api(org.ada, "patch", f"products/{product.pk}", {"list_price": "320"}))
    assert codes(answers) == [200, 200]
    product.refresh_from_db()
    assert (product.name, product.list_price) == ("长城齿轮油 新", Decimal("320"))


def test_two_orders_entered_at_once_get_numbers_of_their_own(org, fire):
    customer = make_customer(org.alice, "订单编号有限公司")
    body = {"customer": customer.pk, "payment_method": "cash", "lines": [{"product": org.product.pk, "quantity": "1"}]}
    answers = fire(api(org.alice, "post", "orders", body), api(org.alice, "post", "orders", body))
    assert codes(answers) == [201, 201]
    assert len({a.json()["number"] for a in answers}) == 2


def test_an_order_confirmed_twice_is_checked_once(org, fire):
    from kehu.credit.models import CreditCheck
    from kehu.ledger.services import order_create

    customer = make_customer(org.alice, "重复确认有限公司")
    grant_limit(customer, "100000")
    order = order_create(user=org.alice, customer=customer, lines=[{"product": org.product, "quantity": "3"}])
    answers = fire(api(org.alice, "post", f"orders/{order.pk}/confirm"), api(org.alice, "post", f"orders/{order.pk}/confirm"))
    assert codes(answers) == [200, 400]
    assert CreditCheck.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    from kehu.ledger.models import CustomerMonthSales

    assert sum(CustomerMonthSales.objects.filter(customer=customer).values_list("amount", flat=True)) == order.total


def test_confirm_and_cancel_of_one_order(org, fire):
    from kehu.ledger.models import CustomerMonthSales
    from kehu.ledger.services import order_create

    customer = make_customer(org.alice, "确认取消有限公司")
    grant_limit(customer, "100000")
    order = order_create(user=org.alice, customer=customer, lines=[{"product": org.product, "quantity": "3"}])
    answers = fire(api(org.alice, "post", f"orders/{order.pk}/confirm"), api(org.alice, "post", f"orders/{order.pk}/cancel"))
    assert sorted(codes(answers)) in ([200, 200], [200, 400])
    order.refresh_from_db()
    counted = sum(CustomerMonthSales.objects.filter(customer=customer).values_list("amount", flat=True))
    assert counted == (order.total if order.status == OrderStatus.CONFIRMED else 0)
    assert order.status in (OrderStatus.CONFIRMED, OrderStatus.CANCELLED)


def test_bulk_confirm_twice_and_lines_changed_while_confirming(org, fire):
    from kehu.credit.models import CreditCheck
    from kehu.ledger.services import order_create

    customer = make_customer(org.alice, "批量确认有限公司")
    grant_limit(customer, "100000")
    orders = [order_create(user=org.alice, customer=customer, lines=[{"product": org.product, "quantity": "1"}])
              for _ in range(3)]
    body = {"orders": [o.pk for o in orders]}
    fire(api(org.alice, "post", "orders/confirm", body), api(org.alice, "post", "orders/confirm", body))
    assert CreditCheck.objects.filter(order__in=orders).count() == 3
    order = order_create(user=org.alice, customer=customer, lines=[{"product": org.product, "quantity": "1"}])
    lines = {"lines": [{"product": org.product.pk, "quantity": "500"}]}
    fire(api(org.alice, "post", f"orders/{order.pk}/confirm"), api(org.alice, "put", f"orders/{order.pk}/lines", lines))
    order.refresh_from_db()
    check = CreditCheck.objects.filter(order=order).first()
    if order.status == OrderStatus.CONFIRMED:
        assert check is not None and check.order_amount == order.total


def test_delivered_and_invoiced_once(org, fire):
    from kehu.ledger.services import order_create, order_mark_confirmed

    customer = make_customer(org.alice, "开票一次有限公司")
    order = order_create(user=org.alice, customer=customer, payment_method=PaymentMethod.CASH,
                         lines=[{"product": org.product, "quantity": "1"}])
    order_mark_confirmed(order=order)
    answers = fire(api(org.alice, "post", f"orders/{order.pk}/deliver"), api(org.alice, "post", f"orders/{order.pk}/deliver"))
    assert codes(answers) == [200, 400]
    answers = fire(api(org.alice, "post", f"orders/{order.pk}/invoice"), api(org.alice, "post", f"orders/{order.pk}/invoice"))
    assert codes(answers) == [200, 400]
    assert Receivable.objects.filter(order=order).count() == 1


def test_two_payments_for_one_receivable_never_pay_it_twice(org, fire):
    customer = make_customer(org.alice, "两笔回款有限公司")
    receivable = invoiced(customer, org.product, "10")  # 4,200.00
    body = {"customer": customer.pk, "amount": "3000", "allocations": [{"receivable": receivable.pk, "amount": "3000"}]}
    answers = fire(api(org.cathy, "post", "payments", body), api(org.cathy, "post", "payments", body))
    assert codes(answers) == [201, 400] and "allocations" in answers[1].json()
    receivable.refresh_from_db()
    assert receivable.paid == Decimal("3000") and Payment.objects.filter(customer=customer).count() == 1
    # Unallocated money twice at once: oldest first, the rest kept as credit; nothing paid twice.
    body = {"customer": customer.pk, "amount": "1000"}
    fire(api(org.cathy, "post", "payments", body), api(org.cathy, "post", "payments", body))
    receivable.refresh_from_db()
    assert receivable.paid == receivable.amount
    assert sum(Payment.objects.filter(customer=customer).values_list("unallocated", flat=True)) == Decimal("800")


# ── credit ───────────────────────────────────────────────────────────────────────────────────


def test_one_application_waits_at_a_time_and_is_decided_once(org, fire):
    from kehu.credit.services import investigation_create

    customer = make_customer(org.alice, "授信申请有限公司")
    investigation = investigation_create(user=org.alice, customer=customer, data=dict(INVESTIGATION))
    body = {"customer": customer.pk, "investigation": investigation.pk, "requested_limit": "50000",
            "requested_terms_days": 30, "reason": "新客户"}
    answers = fire(api(org.alice, "post", "credit/applications", body), api(org.alice, "post", "credit/applications", body))
    assert codes(answers) == [201, 400] and "申请" in said(answers[1])
    application = LimitApplication.objects.get(customer=customer)
    notified = Notification.objects.count()
    answers = fire(api(org.sam, "post", f"credit/applications/{application.pk}/decide", {"decision": "approve"}),
                   api(org.sid, "post", f"credit/applications/{application.pk}/decide", {"decision": "reject", "comment": "不行"}))
    assert codes(answers) == [200, 400] and "已" in said(answers[1])
    application.refresh_from_db()
    limits = CreditLimit.objects.filter(customer=customer, is_current=True).count()
    assert limits == (1 if application.status == "approved" else 0)
    assert Notification.objects.count() == notified + 1  # the applicant hears once


def test_one_exception_per_held_order_decided_once(org, fire):
    from kehu.ledger.services import order_confirm, order_create

    customer = make_customer(org.alice, "例外申请有限公司")
    grant_limit(customer, "1000")
    order = order_create(user=org.alice, customer=customer, lines=[{"product": org.product, "quantity": "10"}])
    order_confirm(user=org.alice, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.HELD
    body = {"order": order.pk, "reason": "老客户"}
    answers = fire(api(org.alice, "post", "credit/exceptions", body), api(org.alice, "post", "credit/exceptions", body))
    assert codes(answers) == [201, 400]
    exception = CreditException.objects.get(order=order)
    notified = Notification.objects.count()
    answers = fire(api(org.sid, "post", f"credit/exceptions/{exception.pk}/decide", {"decision": "approve"}),
                   api(org.sid, "post", f"credit/exceptions/{exception.pk}/decide", {"decision": "reject", "comment": "不行"}))
    assert codes(answers) == [200, 400]
    exception.refresh_from_db()
    order.refresh_from_db()
    assert order.status == (OrderStatus.CONFIRMED if exception.status == "approved" else OrderStatus.HELD)
    assert Notification.objects.count() - notified <= 2  # the requester and the handler, once


def test_one_policy_per_day_and_freezes_and_reviews_once(org, fire):
    body = {"effective_from": (datetime.date.today() + datetime.timedelta(days=3)).isoformat()}
    answers = fire(api(org.ada, "post", "credit/policies", body), api(org.ada, "post", "credit/policies", body))
    assert codes(answers) == [201, 400] and "effective_from" in answers[1].json()
    assert CreditPolicy.objects.filter(effective_from=body["effective_from"]).count() == 1
    customer = make_customer(org.alice, "冻结有限公司")
    fire(api(org.cathy, "post", f"credit/accounts/{customer.pk}/freeze", {"reason": "逾期"}),
         api(org.cathy, "post", f"credit/accounts/{customer.pk}/freeze", {"reason": "逾期"}))
    fire(api(org.cathy, "post", f"credit/accounts/{customer.pk}/freeze", {"reason": "逾期"}),
         api(org.cathy, "post", f"credit/accounts/{customer.pk}/unfreeze"))
    task = ReviewTask.objects.create(customer=customer, reason="overdue", detail="逾期", raised_on=datetime.date.today())
    answers = fire(api(org.cathy, "post", f"credit/review-tasks/{task.pk}/done"),
                   api(org.cathy, "post", f"credit/review-tasks/{task.pk}/done"))
    assert all(code < 300 for code in codes(answers))


def test_write_offs_and_recoveries_never_pass_what_is_owed(org, fire):
    customer = make_customer(org.alice, "核销有限公司")
    receivable = invoiced(customer, org.product, "10")  # 4,200.00
    body = {"receivable": receivable.pk, "kind": "doubtful", "amount": "3000", "reason": "客户倒闭"}
    answers = fire(api(org.cathy, "post", "credit/write-offs", body), api(org.cathy, "post", "credit/write-offs", body))
    assert codes(answers) == [201, 400]
    receivable.refresh_from_db()
    assert receivable.written_off == Decimal("3000") and receivable.outstanding >= 0
    write_off = WriteOff.objects.get(receivable=receivable)
    body = {"amount": "2000"}
    answers = fire(api(org.cathy, "post", f"credit/write-offs/{write_off.pk}/recoveries", body),
                   api(org.cathy, "post", f"credit/write-offs/{write_off.pk}/recoveries", body))
    assert codes(answers) == [201, 400]
    write_off.refresh_from_db()
    assert write_off.recovered == Decimal("2000")
    # A payment and a write-off of the same remainder: the receivable is never over-settled.
    left = receivable.outstanding
    answers = fire(api(org.cathy, "post", "payments", {"customer": customer.pk, "amount": str(left),
                                                       "allocations": [{"receivable": receivable.pk, "amount": str(left)}]}),
                   api(org.cathy, "post", "credit/write-offs", {"receivable": receivable.pk, "kind": "dead",
                                                                "amount": str(left), "reason": "无法收回"}))
    assert codes(answers) == [201, 400]
    receivable.refresh_from_db()
    assert receivable.outstanding == 0 and receivable.paid + receivable.written_off == receivable.amount


# ── prospecting ──────────────────────────────────────────────────────────────────────────────


def test_one_company_filed_once_as_a_prospect(org, fire):
    from kehu.prospecting.models import ProspectOrigin

    body = {"method": "inbound", "name": "双击潜在客户有限公司", "phone": "021-66660001"}
    answers = fire(api(org.alice, "post", "prospecting/prospects", body), api(org.alice, "post", "prospecting/prospects", body))
    assert codes(answers)[0] == 201 and codes(answers)[1] in (400, 409), codes(answers)
    assert Customer.objects.filter(name=body["name"]).count() == 1
    assert ProspectOrigin.objects.count() == 1


def test_colour_decision_and_revival_of_one_prospect(org, fire):
    from kehu.prospecting.models import SharedPoolEntry
    from kehu.prospecting.services import prospect_file

    prospect = prospect_file(user=org.alice, method="inbound", company={"name": "调色潜客有限公司"})
    fire(api(org.alice, "post", f"prospecting/prospects/{prospect.pk}/colour", {"colour": "yellow", "reason": "有意向"}),
         api(org.sam, "post", f"prospecting/prospects/{prospect.pk}/colour", {"colour": "red", "reason": "近期采购"}))
    give_up = {"decision": "give_up", "reason": "无需求"}
    fire(api(org.alice, "post", f"prospecting/prospects/{prospect.pk}/decision", give_up),
         api(org.alice, "post", f"prospecting/prospects/{prospect.pk}/decision", give_up))
    assert SharedPoolEntry.objects.filter(customer=prospect, closed=False).count() == 1
    entry = SharedPoolEntry.objects.get(customer=prospect, closed=False)
    answers = fire(api(org.bob, "post", f"prospecting/pool/{entry.pk}/claim"),
                   api(org.carol, "post", f"prospecting/pool/{entry.pk}/claim"))
    assert codes(answers)[0] in (200, 201) and codes(answers)[1] in (400, 404)  # 404: no longer in the pool
    prospect.refresh_from_db()
    assert prospect.owner_id in (org.bob.pk, org.carol.pk)


def test_a_handover_asked_twice_and_decided_once(org, fire):
    from kehu.prospecting.models import HandoverRequest

    customer = make_customer(org.bob, "交接客户有限公司")
    fire(page(org.alice, f"/prospecting/ask/{customer.pk}/", {"reason": "我先拜访的"}),
         page(org.alice, f"/prospecting/ask/{customer.pk}/", {"reason": "我先拜访的"}))
    assert HandoverRequest.objects.filter(customer=customer).count() == 1
    request = HandoverRequest.objects.get(customer=customer)
    notified = Notification.objects.filter(user=org.alice).count()
    fire(page(org.sam, f"/prospecting/requests/{request.pk}/decide/", {"approve": "1"}),
         page(org.sid, f"/prospecting/requests/{request.pk}/decide/", {"approve": "0"}))
    request.refresh_from_db()
    customer.refresh_from_db()
    assert customer.owner_id == (org.alice.pk if request.status == "approved" else org.bob.pk)
    assert Notification.objects.filter(user=org.alice).count() == notified + fire.together  # told once, after commit


# ── touches, key accounts ────────────────────────────────────────────────────────────────────


def test_a_touch_completed_or_cancelled_once(org, fire):
    from kehu.engagement.models import Touchpoint

    customer = make_customer(org.alice, "联络客户有限公司")
    body = {"customer": customer.pk, "method": "chat", "status": "planned",
            "planned_on": (datetime.date.today() + datetime.timedelta(days=2)).isoformat()}
    answers = fire(api(org.alice, "post", "touchpoints", body), api(org.alice, "post", "touchpoints", body))
    assert codes(answers) == [201, 201], said(answers[0])
    touch, other = Touchpoint.objects.filter(customer=customer)
    answers = fire(api(org.alice, "post", f"touchpoints/{touch.pk}/complete", {"outcome": "约了拜访"}),
                   api(org.alice, "post", f"touchpoints/{touch.pk}/complete", {"outcome": "约了拜访"}))
    assert codes(answers) in ([200, 200], [200, 400])
    fire(page(org.alice, f"/touchpoints/{other.pk}/done/", {"outcome": "好"}),
         page(org.alice, f"/touchpoints/{other.pk}/cancel/"))
    other.refresh_from_db()
    assert other.status in ("done", "cancelled")


def test_a_key_account_candidate_marked_once_and_decided_once(org, fire):
    from kehu.keyaccounts.models import KeyAccountCandidate

    customer = make_customer(org.alice, "大客户候选有限公司")
    body = {"customer": customer.pk, "note": "年采购大"}
    answers = fire(api(org.ada, "post", "key-accounts/candidates", body), api(org.ada, "post", "key-accounts/candidates", body))
    assert codes(answers) == [201, 400], said(answers[0])
    candidate = KeyAccountCandidate.objects.get(customer=customer)
    answers = fire(api(org.sid, "post", f"key-accounts/candidates/{candidate.pk}/decide", {"confirm": True, "manager": org.kim.pk}),
                   api(org.sid, "post", f"key-accounts/candidates/{candidate.pk}/decide", {"confirm": False, "note": "再看"}))
    assert codes(answers) == [200, 400]
    candidate.refresh_from_db()
    customer.refresh_from_db()
    assert customer.is_key_account == (candidate.status == "confirmed")
    if customer.is_key_account:
        answers = fire(api(org.kim, "patch", f"key-accounts/{customer.pk}/plan", {"goals": "份额到五成"}),
                       api(org.kim, "patch", f"key-accounts/{customer.pk}/plan", {"risks": "竞品降价"}))
        assert codes(answers) == [200, 200]


# ── field work ───────────────────────────────────────────────────────────────────────────────


def test_a_week_plan_made_submitted_and_decided_once(org, fire):
    from kehu.visits.models import Plan
    from kehu.visits.tests.factories import graded_customer

    graded_customer(org.alice, "A")
    monday = datetime.date.today() + datetime.timedelta(days=7 - datetime.date.today().weekday())
    body = {"kind": "week", "day": monday.isoformat()}
    answers = fire(api(org.alice, "post", "visits/plans", body), api(org.alice, "post", "visits/plans", body))
    assert all(code in (201, 400) for code in codes(answers)) and answers[0].status_code == 201
    plan = Plan.objects.get(rep=org.alice, kind="week", starts_on=monday)
    fire(api(org.alice, "post", f"visits/plans/{plan.pk}/submit"), api(org.alice, "post", f"visits/plans/{plan.pk}/submit"))
    answers = fire(api(org.sam, "post", f"visits/plans/{plan.pk}/decide", {"approve": True}),
                   api(org.sam, "post", f"visits/plans/{plan.pk}/decide", {"approve": False, "note": "太少"}))
    assert codes(answers) == [200, 400]
    entry = plan.entries.first()
    if entry is not None:
        to = (monday + datetime.timedelta(days=1)).isoformat()
        fire(api(org.alice, "post", f"visits/entries/{entry.pk}/move", {"date": to}),
             api(org.alice, "post", f"visits/entries/{entry.pk}/move", {"date": to}))


def test_the_day_started_routed_and_a_visit_logged_once(org, fire):
    from kehu.visits.models import DayRoute, DayStart, Visit, VisitComment
    from kehu.visits.tests.factories import graded_customer

    today = datetime.date.today().isoformat()
    body = {"date": today, "ticked": list(DayStart.ITEMS)}
    fire(api(org.alice, "post", "visits/day/start", body), api(org.alice, "post", "visits/day/start", body))
    assert DayStart.objects.filter(rep=org.alice).count() == 1
    fire(api(org.alice, "post", "visits/day/route", {"date": today}), api(org.alice, "post", "visits/day/route", {"date": today}))
    assert DayRoute.objects.filter(rep=org.alice).count() <= 1
    customer = graded_customer(org.alice, "B")
    body = {"customer": customer.pk}
    fire(api(org.alice, "post", "visits/logs", body), api(org.alice, "post", "visits/logs", body))
    visit = Visit.objects.get(customer=customer)
    body = {"outcome": "order", "summary": "下了订单"}
    fire(api(org.alice, "post", f"visits/logs/{visit.pk}/log", body), api(org.alice, "post", f"visits/logs/{visit.pk}/log", body))
    answers = fire(api(org.sam, "post", f"visits/logs/{visit.pk}/comment", {"text": "很好"}),
                   api(org.sam, "post", f"visits/logs/{visit.pk}/comment", {"text": "很好"}))
    assert all(code in (200, 201) for code in codes(answers))
    assert VisitComment.objects.filter(visit=visit).count() == 1  # the same words sent twice are one comment


def test_policies_changed_at_once_each_become_a_version(org, fire):
    from kehu.visits.models import CadencePolicy

    fire(api(org.ada, "post", "visits/policies", {"a_per_month": 5}), api(org.ada, "post", "visits/policies", {"b_per_month": 3}))
    assert CadencePolicy.objects.count() == 2
    answers = fire(page(org.ada, "/key-accounts/policy/", {"window_months": "12", "top_share_pct": "20"}),
                   page(org.ada, "/key-accounts/policy/", {"window_months": "6", "top_share_pct": "20"}))
    assert all(code in (200, 302) for code in codes(answers))
