"""The credit API (/api/v1/credit/…): who sees what, segregation of duties, bad input, audit.

Every refusal is checked for its status, its message and that nothing changed.
"""

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
import yaml
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from kehu.credit import services
from kehu.credit.models import (
    AuditEntry,
    CheckResult,
    CreditCheck,
    CreditException,
    CreditLimit,
    CreditPolicy,
    Investigation,
    Liability,
    LimitApplication,
    Recovery,
    ReviewTask,
    WriteOff,
)
from kehu.ledger.models import OrderStatus, Receivable
from kehu.ledger.services import order_confirm
from kehu.testing import INVESTIGATION, make_customer

from .world import CREDIT_STAFF, SEES, SEES_LIABILITIES, build_world, investigate, order_of

pytestmark = pytest.mark.django_db
D = Decimal
API = "/api/v1/credit"


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def world(org):
    return build_world(org)


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def counts() -> dict[str, int]:
    """Everything credit writes, so a refusal can be shown to have changed nothing."""
    models: list[Any] = [Investigation, LimitApplication, CreditLimit, CreditCheck, CreditException, WriteOff, Liability,
              Recovery, AuditEntry]
    return {m.__name__: m.objects.count() for m in models}


def application_payload(customer, **changes):
    return {"customer": customer.pk, "requested_limit": "80000", "requested_terms_days": 30, "reason": "扩大合作",
            **changes}


# ── who sees what ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_role_sees_only_its_customers_credit_records(org, world, who):
    client = client_for(org.users()[who])
    expected = SEES[who]
    key = world.key_of_customer

    assert {key(r["customer"]) for r in rows(client.get(f"{API}/investigations"))} == expected
    assert {key(r["customer"]) for r in rows(client.get(f"{API}/applications"))} == expected
    assert {key(r["customer"]) for r in rows(client.get(f"{API}/limits"))} == expected
    assert {key(r["customer"]) for r in rows(client.get(f"{API}/exceptions"))} == expected
    assert {key(r["customer"]) for r in rows(client.get(f"{API}/review-tasks"))} == expected
    ageing = client.get(f"{API}/ageing", {"group_by": "customer"})
    assert ageing.status_code == 200
    assert {key(r["key"]) for r in ageing.json()["rows"]} == expected

    for k in world.customers:
        visible = k in expected
        for url in (f"{API}/investigations/{world.investigations[k].pk}", f"{API}/applications/{world.applications[k].pk}",
                    f"{API}/limits/{world.limits[k].pk}", f"{API}/exceptions/{world.exceptions[k].pk}",
                    f"{API}/orders/{world.held[k].pk}/checks"):
            response = client.get(url)
            assert response.status_code == (200 if visible else 404), (url, response.content)
            if not visible:
                assert world.customers[k].name not in response.content.decode()


@pytest.mark.parametrize("who", sorted(SEES))
def test_liabilities_are_seen_by_the_person_their_supervisor_and_management_only(org, world, who):
    client = client_for(org.users()[who])
    listed = rows(client.get(f"{API}/liabilities"))
    assert {(world.key_of_customer(r["customer"]), r["role"]) for r in listed} == SEES_LIABILITIES[who]
    for liability in Liability.objects.select_related("write_off"):
        k = world.key_of_customer(liability.write_off.customer_id)
        seen = (k, liability.role) in SEES_LIABILITIES[who]
        assert client.get(f"{API}/liabilities/{liability.pk}").status_code == (200 if seen else 404)

    # Write-offs: credit staff see all; anyone else those they may see a liability of, and only those rows.
    expected = set(world.customers) if who in CREDIT_STAFF else {k for k, _role in SEES_LIABILITIES[who]}
    listed = rows(client.get(f"{API}/write-offs"))
    assert {world.key_of_customer(r["customer"]) for r in listed} == expected
    for row in listed:
        shown = {(world.key_of_customer(row["customer"]), li["role"]) for li in row["liabilities"]}
        assert shown <= SEES_LIABILITIES[who]
    for k, write_off in world.write_offs.items():
        assert client.get(f"{API}/write-offs/{write_off.pk}").status_code == (200 if k in expected else 404)


def test_liability_of_alice_is_hidden_from_peers_other_teams_and_key_accounts(org, world):
    alices = Liability.objects.get(person=org.alice)
    for who in (org.bob, org.carol, org.sue, org.kim):
        response = client_for(who).get(f"{API}/liabilities/{alices.pk}")
        assert response.status_code == 404
        assert "艾丽" not in response.content.decode()
    for who in (org.alice, org.sam, org.cathy, org.sid, org.ada):
        response = client_for(who).get(f"{API}/liabilities/{alices.pk}")
        assert response.status_code == 200
        assert response.json()["net"] == "1200.00"


@pytest.mark.parametrize("who", sorted(SEES))
def test_audit_trail_is_for_credit_staff_only(org, world, who):
    client = client_for(org.users()[who])
    entry = AuditEntry.objects.first()
    listed, opened = client.get(f"{API}/audit-entries"), client.get(f"{API}/audit-entries/{entry.pk}")
    if who in CREDIT_STAFF:
        assert (listed.status_code, opened.status_code) == (200, 200)
        assert listed.json()["count"] == AuditEntry.objects.count()
        assert opened.json()["action"] == entry.action
    else:
        assert (listed.status_code, opened.status_code) == (403, 403)
        assert listed.json() == {"detail": "Only credit control, senior managers and administrators see this."}


def test_inbox_filters_show_what_waits_for_each_approver(org, world):
    for who, expected in (("sam", {"a", "b"}), ("sue", {"c"}), ("sid", {"a", "b", "c"}), ("alice", set()),
                          ("cathy", set()), ("ada", set())):
        client = client_for(org.users()[who])
        waiting = rows(client.get(f"{API}/exceptions", {"to_decide": "true"}))
        assert {world.key_of_customer(r["customer"]) for r in waiting} == expected, who
    # Nothing pending among applications: every limit in the world is approved.
    assert rows(client_for(org.sid).get(f"{API}/applications", {"to_decide": "true"})) == []


def test_ageing_groups_and_rejects_unknown_grouping(org, world):
    client = client_for(org.cathy)
    by = {g: client.get(f"{API}/ageing", {"group_by": g}).json() for g in ("customer", "rep", "team", "region")}
    assert {r["name"] for r in by["customer"]["rows"]} == {c.name for c in world.customers.values()}
    assert {r["key"] for r in by["rep"]["rows"]} == {org.alice.pk, org.bob.pk, org.carol.pk}
    assert {r["key"] for r in by["team"]["rows"]} == {org.team_east.pk, org.team_north.pk}
    for grouped in by.values():
        # ¥10,000 invoiced, ¥4,000 written off: ¥6,000 each, ten days overdue.
        assert grouped["totals"]["days_1_30"] == grouped["totals"]["total"] == "18000.00"
    response = client.get(f"{API}/ageing", {"group_by": "colour"})
    assert response.status_code == 400 and "group_by" in response.json()


def test_sam_sees_only_his_teams_ageing(org, world):
    response = client_for(org.sam).get(f"{API}/ageing", {"group_by": "rep"})
    assert {r["key"] for r in response.json()["rows"]} == {org.alice.pk, org.bob.pk}
    assert response.json()["totals"]["total"] == "12000.00"


# ── K1 through the API: investigate, apply, decide ──────────────────────────────────────────


def test_investigation_is_scored_by_the_service(org):
    customer = make_customer(org.alice, "新客户有限公司")
    client = client_for(org.alice)
    payload = {"customer": customer.pk, **{k: str(v) for k, v in INVESTIGATION.items()}, "score": 1, "risk_class": "reject"}
    response = client.post(f"{API}/investigations", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["score"] >= 75 and body["risk_class"] == "low"  # what was sent for score is ignored
    assert body["investigated_on"] == timezone.localdate().isoformat()
    assert AuditEntry.objects.filter(action="investigation.create", object_id=body["id"]).exists()


def test_investigation_refused_for_customer_out_of_view_or_in_the_future(org):
    bobs = make_customer(org.bob, "鲍勃的客户")
    client = client_for(org.alice)
    before = counts()
    response = client.post(f"{API}/investigations", {"customer": bobs.pk, **INVESTIGATION}, format="json")
    assert response.status_code == 400
    assert response.json() == {"customer": ["No such customer in your book."]}
    alices = make_customer(org.alice, "艾丽的客户")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(f"{API}/investigations", {"customer": alices.pk, **INVESTIGATION,
                                                     "investigated_on": tomorrow.isoformat()}, format="json")
    assert response.status_code == 400
    assert response.json() == {"investigated_on": ["An investigation cannot be dated in the future."]}
    assert counts() == before


def test_rep_applies_supervisor_approves_and_a_limit_exists(org):
    customer = make_customer(org.alice, "甲机械有限公司")
    investigate(customer, org.alice)
    response = client_for(org.alice).post(f"{API}/applications", application_payload(customer), format="json")
    assert response.status_code == 201, response.content
    app = response.json()
    assert (app["status"], app["applicant"], app["requested_limit"]) == ("pending", org.alice.pk, "80000.00")

    decided = client_for(org.sam).post(f"{API}/applications/{app['id']}/decide",
                                       {"decision": "approve", "amount": "60000", "terms_days": 20, "comment": "先给六万"},
                                       format="json")
    assert decided.status_code == 200, decided.content
    assert (decided.json()["status"], decided.json()["approved_limit"], decided.json()["approved_terms_days"]) == (
        "approved", "60000.00", 20)
    limits = client_for(org.alice).get(f"{API}/limits", {"customer": customer.pk, "current": "true"})
    assert [(r["amount"], r["terms_days"], r["approved_by"]) for r in rows(limits)] == [("60000.00", 20, org.sam.pk)]
    assert list(AuditEntry.objects.filter(customer=customer).order_by("id").values_list("action", flat=True)) == [
        "investigation.create", "application.submit", "limit.create", "application.approve"]


def test_limits_keep_history(org, world):
    customer = world.customers["a"]
    investigate(customer, org.alice)
    app = client_for(org.alice).post(f"{API}/applications", application_payload(customer, requested_limit="150000"),
                                     format="json").json()
    assert client_for(org.sam).post(f"{API}/applications/{app['id']}/decide", {"decision": "approve"},
                                    format="json").status_code == 200
    client = client_for(org.alice)
    history = rows(client.get(f"{API}/limits", {"customer": customer.pk}))
    assert [(r["amount"], r["is_current"]) for r in history] == [("150000.00", True), ("100000.00", False)]
    assert [r["amount"] for r in rows(client.get(f"{API}/limits", {"current": "false"}))] == ["100000.00"]


def test_application_without_investigation_is_refused(org):
    customer = make_customer(org.alice, "未调查客户")
    before = counts()
    response = client_for(org.alice).post(f"{API}/applications", application_payload(customer), format="json")
    assert response.status_code == 400
    assert response.json() == {"investigation": ["Investigate the customer's credit first."]}
    assert counts() == before


# ── segregation of duties ───────────────────────────────────────────────────────────────────


def decide(user, application, **data):
    return client_for(user).post(f"{API}/applications/{application.pk}/decide", {"decision": "approve", **data},
                                 format="json")


def pending_application(org, customer, applicant, amount="80000"):
    investigate(customer, applicant)
    return services.application_submit(user=applicant, customer=customer,
                                       investigation=services.investigation_current(customer=customer),
                                       requested_limit=amount, requested_terms_days=30, reason="扩大合作")


def assert_still_pending(application, before):
    application.refresh_from_db()
    assert application.status == "pending" and application.decided_by is None
    assert not CreditLimit.objects.filter(application=application).exists()
    assert counts() == before


def test_rep_cannot_approve_own_application(org):
    customer = make_customer(org.alice, "甲")
    app = pending_application(org, customer, org.alice)
    before = counts()
    response = decide(org.alice, app)
    assert response.status_code == 403
    assert response.json() == {"detail": "Nobody approves their own request."}
    assert_still_pending(app, before)


def test_supervisor_cannot_approve_own_application_for_his_own_customer(org):
    sams = make_customer(org.sam, "主管自己的客户")
    app = pending_application(org, sams, org.sam)
    before = counts()
    response = decide(org.sam, app)
    assert response.status_code == 403
    assert response.json() == {"detail": "Nobody approves their own request."}
    assert_still_pending(app, before)
    # A senior manager may.
    assert decide(org.sid, app).json()["decided_by"] == org.sid.pk


def test_senior_manager_cannot_approve_own_application(org):
    customer = make_customer(org.alice, "乙")
    app = pending_application(org, customer, org.sid)
    before = counts()
    response = decide(org.sid, app)
    assert response.status_code == 403
    assert response.json() == {"detail": "Nobody approves their own request."}
    assert_still_pending(app, before)


def test_supervisor_cannot_approve_above_authority(org):
    customer = make_customer(org.alice, "丙")
    app = pending_application(org, customer, org.alice, amount="500000")
    before = counts()
    response = decide(org.sam, app)
    assert response.status_code == 403
    assert response.json() == {"detail": "¥500,000.00 is above your approval authority of ¥200,000.00; "
                                         "a senior manager must decide."}
    assert_still_pending(app, before)
    # Within authority, a lower amount is his to approve.
    assert decide(org.sam, app, amount="200000").json()["approved_limit"] == "200000.00"


def test_other_teams_supervisor_and_other_roles_cannot_approve(org):
    customer = make_customer(org.alice, "丁")
    app = pending_application(org, customer, org.alice)
    before = counts()
    # sue (team North) and bob (alice's peer) do not see the application at all.
    for person in (org.sue, org.bob, org.carol):
        response = decide(person, app)
        assert response.status_code == 404, person
    # Those who see it but do not approve credit are told why.
    for person in (org.cathy, org.ada):
        response = decide(person, app)
        assert response.status_code == 403, person
        assert response.json() == {"detail": "Only a supervisor or a senior manager approves credit."}
    assert_still_pending(app, before)


def test_decided_application_cannot_be_decided_again(org, world):
    before = counts()
    response = decide(org.sid, world.applications["a"])
    assert response.status_code == 400
    assert response.json() == {"detail": ["This application was already decided."]}
    assert counts() == before


def test_rejection_needs_a_reason(org):
    customer = make_customer(org.alice, "戊")
    app = pending_application(org, customer, org.alice)
    before = counts()
    response = client_for(org.sam).post(f"{API}/applications/{app.pk}/decide", {"decision": "reject"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"comment": ["Say why the application is rejected."]}
    assert_still_pending(app, before)
    response = client_for(org.sam).post(f"{API}/applications/{app.pk}/decide",
                                        {"decision": "reject", "comment": "回款记录不足"}, format="json")
    assert response.json()["status"] == "rejected"


def exception_decide(user, exc, decision="approve", comment=""):
    return client_for(user).post(f"{API}/exceptions/{exc.pk}/decide", {"decision": decision, "comment": comment},
                                 format="json")


def assert_exception_pending(exc, before):
    exc.refresh_from_db()
    assert exc.status == "pending" and exc.decided_by is None
    assert exc.order.status == OrderStatus.HELD
    assert counts() == before


def test_exception_not_approved_by_requester(org, world):
    exc = world.exceptions["a"]  # requested by alice, who handled the order
    sams_request = client_for(org.sam).post(f"{API}/exceptions", {"order": world.held["b"].pk, "reason": "大单"},
                                            format="json")
    assert sams_request.status_code == 400  # one pending exception per order
    assert sams_request.json() == {"detail": ["An exception for this order is already waiting for a decision."]}
    before = counts()
    response = exception_decide(org.alice, exc)
    assert response.status_code == 403
    assert response.json() == {"detail": "Nobody approves their own request."}
    assert_exception_pending(exc, before)


def test_exception_requested_by_supervisor_is_not_his_to_approve(org):
    customer = make_customer(org.alice, "己")
    held = order_confirm(user=org.alice, order=order_of(org, customer, "5000"))
    assert held.status == OrderStatus.HELD  # no limit, not cash
    response = client_for(org.sam).post(f"{API}/exceptions", {"order": held.pk, "reason": "我来担保"}, format="json")
    assert response.status_code == 201, response.content
    exc = CreditException.objects.get(pk=response.json()["id"])
    before = counts()
    refused = exception_decide(org.sam, exc)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Nobody approves their own request."}
    assert_exception_pending(exc, before)
    approved = exception_decide(org.sid, exc)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    held.refresh_from_db()
    assert held.status == OrderStatus.CONFIRMED
    assert CreditCheck.objects.filter(order=held).first().result == CheckResult.RELEASED


def test_exception_not_approved_by_the_handler(org):
    sams = make_customer(org.sam, "主管经办的客户")
    held = order_confirm(user=org.sam, order=order_of(org, sams, "5000", user=org.sam))
    assert held.status == OrderStatus.HELD and held.handler == org.sam
    response = client_for(org.sid).post(f"{API}/exceptions", {"order": held.pk, "reason": "季度大单"}, format="json")
    assert response.status_code == 201
    exc = CreditException.objects.get(pk=response.json()["id"])
    before = counts()
    refused = exception_decide(org.sam, exc)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Nobody approves their own request."}
    assert_exception_pending(exc, before)


def test_exception_of_another_team_is_not_seen(org, world):
    before = counts()
    for person in (org.sue, org.bob, org.kim):
        assert exception_decide(person, world.exceptions["a"]).status_code == 404
    assert_exception_pending(world.exceptions["a"], before)


def test_exception_above_authority_and_by_senior(org, world):
    exc = world.exceptions["a"]  # the order brings exposure to ¥156,000; sam may approve up to ¥200,000
    response = exception_decide(org.sam, exc, "reject")
    assert response.status_code == 400 and response.json() == {"comment": ["Say why the exception is rejected."]}
    big = order_of(org, world.customers["b"], "300000", user=org.bob)
    big = order_confirm(user=org.bob, order=big)
    created = client_for(org.bob).post(f"{API}/exceptions", {"order": big.pk, "reason": "大客户"}, format="json")
    assert created.status_code == 201
    big_exc = CreditException.objects.get(pk=created.json()["id"])
    before = counts()
    refused = exception_decide(org.sam, big_exc)
    assert refused.status_code == 403
    assert "above your approval authority" in refused.json()["detail"]
    assert_exception_pending(big_exc, before)


def test_exception_only_for_a_held_order(org, world):
    before = counts()
    response = client_for(org.alice).post(f"{API}/exceptions", {"order": world.sold["a"].pk, "reason": "x"},
                                          format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": ["Only a held order needs an exception."]}
    response = client_for(org.alice).post(f"{API}/exceptions", {"order": world.held["b"].pk, "reason": "x"},
                                          format="json")
    assert response.status_code == 400
    assert response.json() == {"order": ["No such order in your book."]}
    assert counts() == before


# ── bad input: refused with a clear message, nothing changed ────────────────────────────────


@pytest.mark.parametrize("changes, expected", [
    ({"requested_limit": "-1"}, {"requested_limit": ["Amounts cannot be negative."]}),
    ({"requested_limit": "abc"}, {"requested_limit": ["A valid number is required."]}),
    ({"requested_terms_days": 10000}, {"requested_terms_days": ["Payment terms are whole days from 0 to 180."]}),
    ({"requested_terms_days": -5}, {"requested_terms_days": ["Payment terms are whole days from 0 to 180."]}),
    ({"reason": " "}, {"reason": ["Give the reason for the application."]}),
])
def test_bad_applications_refused(org, changes, expected):
    customer = make_customer(org.alice, "甲")
    investigate(customer, org.alice)
    before = counts()
    response = client_for(org.alice).post(f"{API}/applications", application_payload(customer, **changes), format="json")
    assert response.status_code == 400
    assert response.json() == expected
    assert counts() == before


@pytest.mark.parametrize("data, expected", [
    ({"amount": "-5"}, {"amount": ["Amounts cannot be negative."]}),
    ({"amount": "90000"}, {"amount": ["You can approve the requested amount or less, not more."]}),
    ({"terms_days": 10000}, {"terms_days": ["You can approve the requested terms or shorter, not longer."]}),
    ({"terms_days": -1}, {"terms_days": ["You can approve the requested terms or shorter, not longer."]}),
    ({"terms_days": "abc"}, {"terms_days": ["A valid integer is required."]}),
])
def test_bad_decisions_refused(org, data, expected):
    customer = make_customer(org.alice, "甲")
    app = pending_application(org, customer, org.alice)
    before = counts()
    response = decide(org.sam, app, **data)
    assert response.status_code == 400
    assert response.json() == expected
    assert_still_pending(app, before)


def test_stale_investigation_refused(org):
    customer = make_customer(org.alice, "甲")
    policy = services.policy_in_force()
    start = timezone.localdate()
    investigate(customer, org.alice)
    client = client_for(org.alice)
    with time_machine.travel(start + datetime.timedelta(days=policy.investigation_valid_days + 1)):
        before = counts()
        response = client.post(f"{API}/applications", application_payload(customer), format="json")
        assert response.status_code == 400
        days = policy.investigation_valid_days + 1
        assert response.json() == {"investigation": [
            f"The investigation is {days} days old; policy allows {policy.investigation_valid_days}. Investigate again first."]}
        assert counts() == before
    with time_machine.travel(start + datetime.timedelta(days=policy.investigation_valid_days)):
        assert client.post(f"{API}/applications", application_payload(customer), format="json").status_code == 201


def test_older_investigation_refused_when_a_newer_exists(org):
    customer = make_customer(org.alice, "甲")
    old = investigate(customer, org.alice)
    investigate(customer, org.alice)
    before = counts()
    response = client_for(org.alice).post(f"{API}/applications",
                                          application_payload(customer, investigation=old.pk), format="json")
    assert response.status_code == 400
    assert response.json() == {"investigation": ["A newer investigation exists; apply on the current one."]}
    assert counts() == before


def test_write_off_larger_than_the_receivable_refused(org, world):
    receivable = world.sold["a"].receivable
    receivable.refresh_from_db()
    before = counts()
    response = client_for(org.cathy).post(f"{API}/write-offs", {"receivable": receivable.pk, "amount": "6000.01",
                                                                "kind": "dead", "reason": "破产"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"amount": ["¥6,000.01 is more than the ¥6,000.00 still owed on this receivable."]}
    assert counts() == before
    assert Receivable.objects.get(pk=receivable.pk).written_off == D("4000.00")


@pytest.mark.parametrize("amount, expected", [
    ("0", "The amount must be greater than zero."),
    ("-100", "Amounts cannot be negative."),
])
def test_write_off_of_nothing_or_less_refused(org, world, amount, expected):
    before = counts()
    response = client_for(org.cathy).post(f"{API}/write-offs", {"receivable": world.sold["a"].receivable.pk,
                                                                "amount": amount, "kind": "dead", "reason": "破产"},
                                          format="json")
    assert response.status_code == 400 and response.json() == {"amount": [expected]}
    assert counts() == before


@pytest.mark.parametrize("who", ["alice", "sam", "sid", "kim"])
def test_only_credit_controllers_write_off(org, world, who):
    receivable = world.sold["a"].receivable
    before = counts()
    response = client_for(org.users()[who]).post(f"{API}/write-offs", {"receivable": receivable.pk, "amount": "100",
                                                                       "kind": "dead", "reason": "破产"}, format="json")
    if who == "kim":  # not in kim's book at all
        assert response.status_code == 400 and response.json() == {"receivable": ["No such receivable in your book."]}
    else:
        assert response.status_code == 403
        assert response.json() == {"detail": "Only a credit controller writes off receivables."}
    assert counts() == before


def test_write_off_and_recovery_through_the_api(org, world):
    client = client_for(org.cathy)
    receivable = world.sold["b"].receivable
    created = client.post(f"{API}/write-offs", {"receivable": receivable.pk, "amount": "6000", "kind": "dead",
                                               "reason": "破产清算"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert {(li["role"], li["amount"]) for li in body["liabilities"]} == {("handler", "1800.00"), ("approver", "1200.00")}
    assert Receivable.objects.get(pk=receivable.pk).settled_on is not None

    before = counts()
    too_much = client.post(f"{API}/write-offs/{body['id']}/recoveries", {"amount": "6000.01"}, format="json")
    assert too_much.status_code == 400
    assert too_much.json() == {"amount": ["More than the ¥6,000.00 still unrecovered."]}
    by_rep = client_for(org.bob).post(f"{API}/write-offs/{body['id']}/recoveries", {"amount": "100"}, format="json")
    assert by_rep.status_code == 403
    assert by_rep.json() == {"detail": "Only a credit controller records recoveries."}
    by_outsider = client_for(org.alice).post(f"{API}/write-offs/{body['id']}/recoveries", {"amount": "100"},
                                             format="json")
    assert by_outsider.status_code == 404
    assert counts() == before

    recovered = client.post(f"{API}/write-offs/{body['id']}/recoveries", {"amount": "3000", "note": "法院执行"},
                            format="json")
    assert recovered.status_code == 201
    assert recovered.json()["recovered"] == "3000.00"
    assert {(li["role"], li["net"]) for li in recovered.json()["liabilities"]} == {("handler", "900.00"),
                                                                                    ("approver", "600.00")}
    assert AuditEntry.objects.filter(action="writeoff.recovery", object_id=body["id"]).count() == 1


def test_review_tasks_closed_by_credit_control_only(org, world):
    task = world.reviews["a"]
    for who, code in (("alice", 403), ("sam", 403), ("bob", 404), ("kim", 404)):
        response = client_for(org.users()[who]).post(f"{API}/review-tasks/{task.pk}/done")
        assert response.status_code == code, who
        if code == 403:
            assert response.json() == {"detail": "Only credit control closes review tasks."}
    assert ReviewTask.objects.get(pk=task.pk).done_at is None
    response = client_for(org.cathy).post(f"{API}/review-tasks/{task.pk}/done")
    assert response.status_code == 200 and response.json()["done_by"] == org.cathy.pk
    assert task.pk not in {r["id"] for r in rows(client_for(org.cathy).get(f"{API}/review-tasks"))}
    done = rows(client_for(org.cathy).get(f"{API}/review-tasks", {"state": "done"}))
    assert [r["id"] for r in done] == [task.pk]


# ── the audit trail: written for each change, never changed ─────────────────────────────────


def test_each_change_leaves_an_audit_entry(org, world):
    customer = world.customers["a"]
    client = client_for(org.alice)
    steps = []

    def step(action, response, code):
        assert response.status_code == code, response.content
        steps.append(action)
        assert AuditEntry.objects.filter(action=action).order_by("-id").first().user_id is not None

    step("investigation.create", client.post(f"{API}/investigations", {"customer": customer.pk, **INVESTIGATION},
                                             format="json"), 201)
    app = client.post(f"{API}/applications", application_payload(customer, requested_limit="120000"), format="json")
    step("application.submit", app, 201)
    step("application.approve", client_for(org.sam).post(f"{API}/applications/{app.json()['id']}/decide",
                                                         {"decision": "approve"}, format="json"), 200)
    step("exception.approve", exception_decide(org.sid, world.exceptions["a"]), 200)
    wo = client_for(org.cathy).post(f"{API}/write-offs", {"receivable": world.sold["a"].receivable.pk, "amount": "1000",
                                                          "kind": "doubtful", "reason": "催收无果"}, format="json")
    step("writeoff.create", wo, 201)
    step("writeoff.recovery", client_for(org.cathy).post(f"{API}/write-offs/{wo.json()['id']}/recoveries",
                                                         {"amount": "500"}, format="json"), 201)
    listed = rows(client_for(org.cathy).get(f"{API}/audit-entries", {"customer": customer.pk}))
    actions = [r["action"] for r in listed]
    for action in steps + ["limit.create"]:
        assert action in actions
    approval = next(r for r in listed if r["action"] == "application.approve")
    assert approval["before"]["status"] == "pending" and approval["after"]["status"] == "approved"


def test_closing_a_review_task_leaves_an_audit_entry(org, world):
    task = world.reviews["a"]
    assert client_for(org.cathy).post(f"{API}/review-tasks/{task.pk}/done").status_code == 200
    entry = AuditEntry.objects.get(object_type="reviewtask", object_id=task.pk)
    assert (entry.user, entry.action, entry.before["done_at"]) == (org.cathy, "review.done", None)
    # Closing it again changes nothing and records nothing.
    assert client_for(org.cathy).post(f"{API}/review-tasks/{task.pk}/done").status_code == 200
    assert AuditEntry.objects.filter(object_type="reviewtask", object_id=task.pk).count() == 1


@pytest.mark.parametrize("who", sorted(CREDIT_STAFF))
def test_audit_entries_cannot_be_changed_or_deleted_through_the_api(org, world, who):
    client = client_for(org.users()[who])
    entry = AuditEntry.objects.filter(action="application.approve").first()
    snapshot = (entry.action, entry.before, entry.after, entry.user_id, entry.at)
    total = AuditEntry.objects.count()
    url = f"{API}/audit-entries/{entry.pk}"
    assert client.put(url, {"action": "x", "object_type": "x", "object_id": 1}, format="json").status_code == 405
    assert client.patch(url, {"action": "forged"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert client.post(f"{API}/audit-entries", {"action": "forged", "object_type": "x", "object_id": 1},
                       format="json").status_code == 405
    entry.refresh_from_db()
    assert (entry.action, entry.before, entry.after, entry.user_id, entry.at) == snapshot
    assert AuditEntry.objects.count() == total


def test_audit_entries_refuse_writes_for_everyone_else_too(org, world):
    entry = AuditEntry.objects.first()
    for who in ("alice", "sam", "kim"):
        client = client_for(org.users()[who])
        assert client.delete(f"{API}/audit-entries/{entry.pk}").status_code == 403
        assert client.patch(f"{API}/audit-entries/{entry.pk}", {"action": "x"}, format="json").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk, action=entry.action).exists()


def test_read_only_credit_records_have_no_write_methods(org, world):
    client = client_for(org.ada)
    for url in (f"{API}/limits/{world.limits['a'].pk}", f"{API}/liabilities/{Liability.objects.first().pk}",
                f"{API}/applications/{world.applications['a'].pk}", f"{API}/write-offs/{world.write_offs['a'].pk}"):
        assert client.delete(url).status_code == 405, url
        assert client.patch(url, {"amount": "1"}, format="json").status_code == 405, url
    assert client.post(f"{API}/limits", {"customer": world.customers["a"].pk, "amount": "1"},
                       format="json").status_code == 405
    assert client.post(f"{API}/ageing").status_code == 405
    assert client.post(f"{API}/orders/{world.held['a'].pk}/checks").status_code == 405


# ── the back office (Django admin) ──────────────────────────────────────────────────────────


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_admin_cannot_change_or_delete_audit_checks_or_liabilities(org, world):
    request = admin_request(org.ada)
    assert org.ada.is_superuser
    for model in (AuditEntry, CreditCheck, Liability):
        model_admin = admin.site._registry[model]
        assert model_admin.has_view_permission(request)
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
        assert not model_admin.has_change_permission(request, model.objects.first()), model
        assert not model_admin.has_delete_permission(request, model.objects.first()), model


def test_policy_is_versioned_in_the_admin(org):
    request = admin_request(org.ada)
    policy_admin = admin.site._registry[CreditPolicy]
    policy = services.policy_in_force()
    assert policy_admin.has_add_permission(request)
    assert not policy_admin.has_change_permission(request, policy)
    assert not policy_admin.has_delete_permission(request, policy)
    assert not policy_admin.has_add_permission(admin_request(org.cathy))


# ── the schema ──────────────────────────────────────────────────────────────────────────────


def test_credit_endpoints_are_in_a_valid_schema_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--lang", "en", "--file", str(out))
    schema = yaml.safe_load(out.read_text(encoding="utf-8"))
    paths = schema["paths"]
    for path in ("investigations", "investigations/{id}", "applications", "applications/{id}",
                 "applications/{id}/decide", "limits", "limits/{id}", "orders/{order_pk}/checks", "exceptions",
                 "exceptions/{id}", "exceptions/{id}/decide", "review-tasks", "review-tasks/{id}/done", "ageing",
                 "write-offs", "write-offs/{id}", "write-offs/{id}/recoveries", "liabilities", "liabilities/{id}",
                 "audit-entries", "audit-entries/{id}"):
        assert f"{API}/{path}" in paths, path
    assert set(paths[f"{API}/audit-entries/{{id}}"]) == {"get"}
    assert set(paths[f"{API}/audit-entries"]) == {"get"}
    assert set(paths[f"{API}/limits/{{id}}"]) == {"get"}
    assert schema["components"]["schemas"]["Limit"]["properties"]["amount"]["type"] == "string"
