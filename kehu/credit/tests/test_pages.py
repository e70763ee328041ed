"""The credit pages (kehu/credit/urls.py) by role, segregation of duties through the forms, bad
input, and the back office (admin) for credit records."""

import datetime
import html
import json
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from kehu.credit import scorecard, services
from kehu.credit.models import (
    AuditEntry,
    CreditAccount,
    CreditCheck,
    CreditException,
    CreditLimit,
    CreditPolicy,
    Investigation,
    InvestigationAttachment,
    Liability,
    LimitApplication,
    Recovery,
    WriteOff,
)
from kehu.ledger.models import OrderStatus, Receivable
from kehu.ledger.services import order_confirm
from kehu.testing import INVESTIGATION, make_customer

from .world import CREDIT_STAFF, SEES, SEES_LIABILITIES, build_world, investigate, order_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org):
    world = build_world(org)
    for investigation in world.investigations.values():
        InvestigationAttachment.objects.create(investigation=investigation, name="营业执照.pdf",
                                               content_type="application/pdf", size=4, data=b"%PDF")
    return world


@pytest.fixture
def as_user(client):
    """Log ``client`` in as someone, in English."""
    def login(user):
        client.force_login(user)
        client.cookies["django_language"] = "en"
        return client
    return login


def text(response) -> str:
    return html.unescape(response.content.decode())


def counts() -> dict[str, int]:
    models: list[Any] = [Investigation, LimitApplication, CreditLimit, CreditCheck, CreditException, WriteOff, Liability,
              Recovery, AuditEntry, CreditPolicy]
    return {m.__name__: m.objects.count() for m in models}


WRITES_OFF = {"cathy", "ada"}  # credit controllers; ada is a superuser


def pages_of(world, k: str) -> dict[str, str]:
    """The pages about customer ``k``'s credit records."""
    investigation = world.investigations[k]
    return {
        "investigation_new": reverse("credit:investigation_new", args=[world.customers[k].pk]),
        "investigation_detail": reverse("credit:investigation_detail", args=[investigation.pk]),
        "investigation_pdf": reverse("credit:investigation_detail", args=[investigation.pk]) + "?format=pdf",
        "attachment": reverse("credit:attachment", args=[investigation.pk, investigation.attachments.get().pk]),
        "application_new": reverse("credit:application_new", args=[world.customers[k].pk]),
        "application_detail": reverse("credit:application_detail", args=[world.applications[k].pk]),
        "order_credit": reverse("credit:order_credit", args=[world.held[k].pk]),
        "exception_detail": reverse("credit:exception_detail", args=[world.exceptions[k].pk]),
    }


@pytest.mark.parametrize("who", sorted(SEES))
def test_every_credit_page_by_role(org, world, as_user, who):
    client = as_user(org.users()[who])
    staff = who in CREDIT_STAFF

    for name, expected in (("queue", 200 if staff else 403), ("inbox", 200), ("ageing", 200), ("ageing_export", 200),
                           ("liabilities", 200), ("liabilities_export", 200), ("audit", 200 if staff else 403)):
        assert client.get(reverse(f"credit:{name}")).status_code == expected, name

    for k in world.customers:
        visible = k in SEES[who]
        for name, url in pages_of(world, k).items():
            response = client.get(url)
            assert response.status_code == (200 if visible else 404), (k, name)
            if visible and name == "attachment":  # a download, never run inside Kehu's pages
                assert response["Content-Disposition"].startswith("attachment")
                assert "sandbox" in response["Content-Security-Policy"]
            if not visible:
                assert world.customers[k].name not in text(response)
        response = client.get(reverse("credit:write_off_new", args=[world.sold[k].receivable.pk]))
        assert response.status_code == (200 if who in WRITES_OFF else 403), k
        sees_write_off = staff or any(key == k for key, _role in SEES_LIABILITIES[who])
        response = client.get(reverse("credit:write_off_detail", args=[world.write_offs[k].pk]))
        assert response.status_code == (200 if sees_write_off else 404), k


@pytest.mark.parametrize("who", sorted(SEES))
def test_lists_show_only_what_the_person_may_see(org, world, as_user, who):
    client = as_user(org.users()[who])
    ageing = text(client.get(reverse("credit:ageing")))
    for k, customer in world.customers.items():
        assert (customer.name in ageing) == (k in SEES[who]), k
    liabilities = text(client.get(reverse("credit:liabilities")))
    for k, customer in world.customers.items():
        assert (customer.name in liabilities) == any(key == k for key, _role in SEES_LIABILITIES[who]), k
    rows_on_page = liabilities.count('class="num">¥') // 2  # liability and net per row
    assert rows_on_page == len(SEES_LIABILITIES[who])


def test_write_off_page_shows_a_rep_only_their_own_share(org, world, as_user):
    page = text(as_user(org.alice).get(reverse("credit:write_off_detail", args=[world.write_offs["a"].pk])))
    assert "Handler (承办人)" in page and "Approver (批准人)" not in page
    page = text(as_user(org.sam).get(reverse("credit:write_off_detail", args=[world.write_offs["a"].pk])))
    assert "Handler (承办人)" in page and "Approver (批准人)" in page


def test_inbox_shows_each_approver_what_waits_for_them(org, world, as_user):
    for who, expected in (("sam", {"a", "b"}), ("sue", {"c"}), ("sid", {"a", "b", "c"}), ("alice", set()),
                          ("cathy", set())):
        page = text(as_user(org.users()[who]).get(reverse("credit:inbox")))
        shown = {k for k, order in world.held.items() if order.number in page}
        assert shown == expected, who


def test_audit_page_lists_entries(org, world, as_user):
    page = text(as_user(org.cathy).get(reverse("credit:audit")))
    assert "Receivable written off" in page and "Limit application approved" in page
    assert "Waiting for approval → Approved" in page  # the status, before and after, by its label


def test_freeze_by_role(org, world, as_user):
    customer = world.customers["a"]
    url = reverse("credit:freeze", args=[customer.pk])
    for person, code in ((org.alice, 403), (org.sam, 403), (org.bob, 404), (org.sue, 404), (org.kim, 404)):
        assert as_user(person).post(url, {"frozen": "1", "reason": "逾期"}).status_code == code, person
    assert not CreditAccount.objects.filter(customer=customer, frozen=True).exists()
    assert as_user(org.cathy).get(url).status_code == 405
    before = AuditEntry.objects.count()
    assert as_user(org.cathy).post(url, {"frozen": "1", "reason": " "}).status_code == 302  # told why, nothing frozen
    assert not CreditAccount.objects.filter(customer=customer, frozen=True).exists()
    assert AuditEntry.objects.count() == before
    for person in (org.cathy, org.sid, org.ada):
        assert as_user(person).post(url, {"frozen": "1", "reason": "逾期九十天"}).status_code == 302, person
        assert CreditAccount.objects.get(customer=customer).frozen
        assert as_user(person).post(url, {"frozen": "0"}).status_code == 302, person
        assert not CreditAccount.objects.get(customer=customer).frozen
    assert AuditEntry.objects.filter(action="account.freeze", customer=customer).count() == 3


def test_review_done_by_role(org, world, as_user):
    task = world.reviews["a"]
    url = reverse("credit:review_done", args=[task.pk])
    for person, code in ((org.alice, 403), (org.sam, 403), (org.bob, 404), (org.sue, 404), (org.kim, 404)):
        assert as_user(person).post(url).status_code == code, person
    task.refresh_from_db()
    assert task.done_at is None
    assert as_user(org.cathy).get(url).status_code == 405
    assert as_user(org.cathy).post(url).status_code == 302
    task.refresh_from_db()
    assert task.done_by == org.cathy
    assert as_user(org.cathy).post(url).status_code == 404  # no longer open


COVERED = {
    "queue", "inbox", "ageing", "ageing_export", "liabilities", "liabilities_export", "audit",  # by role above
    "investigation_new", "investigation_detail", "attachment", "application_new", "application_detail",
    "order_credit", "exception_detail", "write_off_new", "write_off_detail", "freeze", "review_done",
    # by role in test_exports.py
    "queue_export", "queue_export_csv", "inbox_export", "inbox_export_csv", "ageing_export_csv",
    "liabilities_export_csv", "audit_export", "audit_export_csv",
}


def test_every_credit_page_has_a_permission_test():
    from kehu.credit.urls import urlpatterns

    assert {p.name for p in urlpatterns} <= COVERED, "a new credit page needs its by-role test here"


# ── segregation of duties through the pages ─────────────────────────────────────────────────


def pending_application(customer, applicant, amount="80000"):
    investigate(customer, applicant)
    return services.application_submit(user=applicant, customer=customer,
                                       investigation=services.investigation_current(customer=customer),
                                       requested_limit=amount, requested_terms_days=30, reason="扩大合作")


def post_decision(client, application, **data):
    return client.post(reverse("credit:application_detail", args=[application.pk]),
                       {"decision": "approve", "amount": "", "terms_days": "", "comment": "", **data})


def assert_still_pending(application, before):
    application.refresh_from_db()
    assert application.status == "pending" and application.decided_by is None
    assert counts() == before


def test_own_applications_cannot_be_approved_on_the_page(org, as_user):
    alices = make_customer(org.alice, "甲")
    sams = make_customer(org.sam, "主管自己的客户")
    apps = {org.alice: pending_application(alices, org.alice), org.sam: pending_application(sams, org.sam)}
    sids = pending_application(make_customer(org.bob, "乙"), org.sid)
    apps[org.sid] = sids
    before = counts()
    for person, app in apps.items():
        client = as_user(person)
        page = text(client.get(reverse("credit:application_detail", args=[app.pk])))
        assert "Record decision" not in page  # no decision form for one's own request
        assert post_decision(client, app).status_code == 403, person
        assert_still_pending(app, before)
    # sam may decide bob's application applied for by sid? No: sid is not his rep.
    assert post_decision(as_user(org.sam), sids).status_code == 403
    assert_still_pending(sids, before)


def test_supervisor_above_authority_is_told_and_nothing_changes(org, as_user):
    app = pending_application(make_customer(org.alice, "甲"), org.alice, amount="500000")
    client = as_user(org.sam)
    page = text(client.get(reverse("credit:application_detail", args=[app.pk])))
    assert "The requested amount is above your authority" in page
    before = counts()
    response = post_decision(client, app)
    assert response.status_code == 200
    assert "¥500,000.00 is above your approval authority of ¥200,000.00; a senior manager must decide." in text(response)
    assert_still_pending(app, before)
    response = post_decision(client, app, amount="200000", comment="先给二十万")
    assert response.status_code == 302
    assert CreditLimit.objects.get(application=app).amount == 200000


def test_other_teams_supervisor_gets_404(org, as_user):
    app = pending_application(make_customer(org.alice, "甲"), org.alice)
    before = counts()
    client = as_user(org.sue)
    assert client.get(reverse("credit:application_detail", args=[app.pk])).status_code == 404
    assert post_decision(client, app).status_code == 404
    assert_still_pending(app, before)


def test_roles_that_do_not_approve_cannot_post_a_decision(org, as_user):
    app = pending_application(make_customer(org.alice, "甲"), org.alice)
    before = counts()
    for person in (org.cathy, org.ada, org.kim):
        code = post_decision(as_user(person), app).status_code
        assert code in (403, 404), person
    assert_still_pending(app, before)


def post_exception_decision(client, exc, decision="approve", comment=""):
    return client.post(reverse("credit:exception_detail", args=[exc.pk]), {"decision": decision, "comment": comment})


def assert_exception_pending(exc, before):
    exc.refresh_from_db()
    assert exc.status == "pending" and exc.decided_by is None and exc.order.status == OrderStatus.HELD
    assert counts() == before


def test_exception_not_approved_on_the_page_by_requester_or_handler(org, world, as_user):
    # alice asked for the exception of her own held order.
    before = counts()
    assert post_exception_decision(as_user(org.alice), world.exceptions["a"]).status_code == 403
    assert_exception_pending(world.exceptions["a"], before)

    # sam asks for an exception for alice's held order, then tries to approve it.
    held = order_confirm(user=org.alice, order=order_of(org, make_customer(org.alice, "丙"), "5000"))
    response = as_user(org.sam).post(reverse("credit:order_credit", args=[held.pk]), {"reason": "我来担保"})
    assert response.status_code == 302
    sams = CreditException.objects.get(order=held)
    before = counts()
    assert post_exception_decision(as_user(org.sam), sams).status_code == 403
    assert_exception_pending(sams, before)

    # sam handled an order for his own customer; sid asked; sam may not approve it.
    own = make_customer(org.sam, "主管经办的客户")
    handled = order_confirm(user=org.sam, order=order_of(org, own, "5000", user=org.sam))
    assert as_user(org.sid).post(reverse("credit:order_credit", args=[handled.pk]), {"reason": "季度大单"}).status_code == 302
    exc = CreditException.objects.get(order=handled)
    before = counts()
    assert post_exception_decision(as_user(org.sam), exc).status_code == 403
    assert_exception_pending(exc, before)

    # sid, who neither asked nor handled, approves: the order goes ahead.
    assert post_exception_decision(as_user(org.sid), sams).status_code == 302
    held.refresh_from_db()
    assert held.status == OrderStatus.CONFIRMED


def test_other_teams_supervisor_cannot_see_or_decide_an_exception(org, world, as_user):
    before = counts()
    client = as_user(org.sue)
    assert client.get(reverse("credit:exception_detail", args=[world.exceptions["a"].pk])).status_code == 404
    assert post_exception_decision(client, world.exceptions["a"]).status_code == 404
    assert_exception_pending(world.exceptions["a"], before)


# ── bad input through the pages ─────────────────────────────────────────────────────────────


def post_application(client, customer, **data):
    return client.post(reverse("credit:application_new", args=[customer.pk]),
                       {"requested_limit": "80000", "requested_terms_days": "30", "reason": "扩大合作", **data})


@pytest.mark.parametrize("data, message", [
    ({"requested_limit": "-1"}, "Amounts cannot be negative."),
    ({"requested_limit": "一百万"}, "“一百万” is not an amount."),
    ({"requested_terms_days": "10000"}, "Payment terms are whole days from 0 to 180."),
    ({"requested_terms_days": "30.5"}, "Payment terms are whole days from 0 to 180."),
])
def test_bad_application_refused_on_the_page(org, as_user, data, message):
    customer = make_customer(org.alice, "甲")
    investigate(customer, org.alice)
    before = counts()
    response = post_application(as_user(org.alice), customer, **data)
    assert response.status_code == 200
    assert message in text(response)
    assert counts() == before


def test_application_page_sends_to_investigation_first(org, as_user):
    customer = make_customer(org.alice, "未调查客户")
    response = as_user(org.alice).get(reverse("credit:application_new", args=[customer.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("credit:investigation_new", args=[customer.pk])


def test_stale_investigation_refused_on_the_page(org, as_user):
    customer = make_customer(org.alice, "甲")
    valid = services.policy_in_force().investigation_valid_days
    start = timezone.localdate()
    investigate(customer, org.alice)
    with time_machine.travel(start + datetime.timedelta(days=valid + 30)):
        before = counts()
        response = post_application(as_user(org.alice), customer)
        assert response.status_code == 200
        assert (f"The investigation is {valid + 30} days old; policy allows {valid}. Investigate again first."
                in text(response))
        assert counts() == before


def test_investigation_form_refuses_a_future_date(org, as_user):
    customer = make_customer(org.alice, "甲")
    data = {**INVESTIGATION, "investigated_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()}
    before = counts()
    response = as_user(org.alice).post(reverse("credit:investigation_new", args=[customer.pk]), data)
    assert response.status_code == 200
    assert "An investigation cannot be dated in the future." in text(response)
    assert counts() == before


@pytest.mark.parametrize("data, message", [
    ({"amount": "-5"}, "Amounts cannot be negative."),
    ({"amount": "90000"}, "You can approve the requested amount or less, not more."),
    ({"terms_days": "10000"}, "You can approve the requested terms or shorter, not longer."),
])
def test_bad_decision_refused_on_the_page(org, as_user, data, message):
    app = pending_application(make_customer(org.alice, "甲"), org.alice)
    before = counts()
    response = post_decision(as_user(org.sam), app, **data)
    assert response.status_code == 200
    assert message in text(response)
    assert_still_pending(app, before)


def test_decision_with_terms_that_are_not_a_number_is_refused_on_the_page(org, as_user):
    app = pending_application(make_customer(org.alice, "甲"), org.alice)
    before = counts()
    response = post_decision(as_user(org.sam), app, terms_days="abc")
    assert response.status_code == 200
    assert_still_pending(app, before)


def test_write_off_larger_than_receivable_refused_on_the_page(org, world, as_user):
    receivable = world.sold["a"].receivable
    before = counts()
    response = as_user(org.cathy).post(reverse("credit:write_off_new", args=[receivable.pk]),
                                       {"kind": "dead", "amount": "6,000.01", "reason": "破产"})
    assert response.status_code == 200
    assert "¥6,000.01 is more than the ¥6,000.00 still owed on this receivable." in text(response)
    assert counts() == before
    assert Receivable.objects.get(pk=receivable.pk).written_off == 4000


def test_write_off_refused_to_those_who_are_not_credit_controllers(org, world, as_user):
    receivable = world.sold["a"].receivable
    before = counts()
    for person in (org.alice, org.sam, org.sid):
        response = as_user(person).post(reverse("credit:write_off_new", args=[receivable.pk]),
                                        {"kind": "dead", "amount": "100", "reason": "破产"})
        assert response.status_code == 403, person
    assert counts() == before


def test_recovery_larger_than_unrecovered_refused_on_the_page(org, world, as_user):
    write_off = world.write_offs["a"]
    before = counts()
    response = as_user(org.cathy).post(reverse("credit:write_off_detail", args=[write_off.pk]), {"amount": "4000.01"})
    assert response.status_code == 200
    assert "More than the ¥4,000.00 still unrecovered." in text(response)
    assert as_user(org.alice).post(reverse("credit:write_off_detail", args=[write_off.pk]),
                                   {"amount": "100"}).status_code == 403
    assert counts() == before


# ── the back office ─────────────────────────────────────────────────────────────────────────


def test_admin_shows_audit_entries_but_never_changes_or_deletes_them(org, world, as_user):
    client = as_user(org.ada)
    entry = AuditEntry.objects.filter(action="writeoff.create").first()
    snapshot = (entry.action, entry.after)
    assert client.get("/admin/credit/auditentry/").status_code == 200
    assert client.get(f"/admin/credit/auditentry/{entry.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/credit/auditentry/{entry.pk}/change/", {"action": "forged"}).status_code == 403
    assert client.get(f"/admin/credit/auditentry/{entry.pk}/delete/").status_code == 403
    assert client.post(f"/admin/credit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/credit/auditentry/add/").status_code == 403
    response = client.post("/admin/credit/auditentry/", {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert response.status_code in (200, 302, 403)
    entry.refresh_from_db()
    assert (entry.action, entry.after) == snapshot
    for model in ("creditcheck", "liability", "creditlimit", "limitapplication", "writeoff", "creditexception",
                  "investigation", "creditaccount", "reviewtask"):
        assert client.get(f"/admin/credit/{model}/").status_code == 200, model
        assert client.get(f"/admin/credit/{model}/add/").status_code == 403, model
    page = client.get(f"/admin/credit/writeoff/{world.write_offs['a'].pk}/change/")
    assert page.status_code == 200 and "艾丽" in text(page)  # liabilities shown inline
    assert client.get("/admin/credit/creditpolicy/").status_code == 200


def policy_form(**changes) -> dict:
    policy = CreditPolicy(effective_from=timezone.localdate() + datetime.timedelta(days=1))
    data = {name: getattr(policy, name) for name in (
        "investigation_valid_days", "limit_valid_days", "grace_days", "max_terms_days", "handler_share_pct",
        "approver_share_pct", "review_expiry_days", "review_utilisation_pct", "review_utilisation_days",
        "review_overdue_days", "freeze_overdue_days", "review_lateness_rise_days")}
    data.update(effective_from=policy.effective_from.isoformat(), scorecard_rules=json.dumps(scorecard.default_rules()),
                scorecard_bands=json.dumps(scorecard.default_bands()))
    data.update(changes)
    return data


def test_admin_adds_policy_versions_only(org, as_user):
    current = services.policy_in_force()
    client = as_user(org.ada)
    response = client.post("/admin/credit/creditpolicy/add/", policy_form(handler_share_pct="40"))
    assert response.status_code == 302, text(response)[:2000]
    added = CreditPolicy.objects.exclude(pk=current.pk).get()
    assert added.handler_share_pct == 40 and added.created_by == org.ada
    assert AuditEntry.objects.filter(action="policy.create", object_id=added.pk).exists()

    before = counts()
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = client.post("/admin/credit/creditpolicy/add/", policy_form(effective_from=yesterday))
    assert response.status_code == 200
    assert "A policy cannot take effect in the past: past decisions keep theirs." in text(response)
    response = client.post("/admin/credit/creditpolicy/add/", policy_form(
        effective_from=(timezone.localdate() + datetime.timedelta(days=5)).isoformat(),
        handler_share_pct="70", approver_share_pct="40"))
    assert response.status_code == 200
    assert "The handler's and the approver's shares add up to more than 100%." in text(response)
    assert counts() == before

    assert client.post(f"/admin/credit/creditpolicy/{current.pk}/change/", policy_form()).status_code == 403
    assert client.post(f"/admin/credit/creditpolicy/{current.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CreditPolicy.objects.filter(pk=current.pk).exists()
    assert as_user(org.cathy).get("/admin/credit/creditpolicy/add/").status_code in (302, 403)
