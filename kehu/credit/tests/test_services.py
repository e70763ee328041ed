"""K1–K4, rule by rule, through the service functions."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kehu.accounts.models import Notification
from kehu.credit import services
from kehu.credit.models import (
    AuditEntry,
    CheckResult,
    CreditCheck,
    CreditLimit,
    CreditPolicy,
    Liability,
    LimitApplication,
    ReviewTask,
)
from kehu.ledger.models import OrderStatus, Receivable
from kehu.ledger.services import (
    order_cancel,
    order_confirm,
    order_create,
    order_deliver,
    order_invoice,
    order_update_lines,
    payment_record,
)
from kehu.testing import INVESTIGATION, grant_limit, make_customer

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def new_order(org, customer, amount, *, user=None, method="credit", day=None):
    """An order of ``amount`` yuan (the test product costs 420.00 a drum; price set per line)."""
    return order_create(user=user or customer.owner, customer=customer, payment_method=method, order_date=day,
                        lines=[{"product": org.product, "quantity": "1", "unit_price": str(amount)}])


def invoice(org, order, day):
    order_deliver(user=order.handler, order=order, day=day)
    return order_invoice(user=order.handler, order=order, day=day)


@pytest.fixture
def cust(org):
    return make_customer(org.alice, "甲机械有限公司")


def investigate(org, customer, user=None, **changes):
    return services.investigation_create(user=user or customer.owner, customer=customer,
                                         data={**INVESTIGATION, **changes})


# ── K1 ────────────────────────────────────────────────────────────────────────────────────

def test_investigation_is_scored_and_versioned(org, cust):
    good = investigate(org, cust)
    assert good.score >= 75 and good.risk_class == "low"
    bad = investigate(org, cust, payment_record_us="bad", payment_record_others="bad", legal_disputes="major",
                      impression="poor", years_in_business=1, registered_capital=D("100000"), staff_size=5,
                      revenue_band="u5m", ownership="individual")
    assert bad.score < 35 and bad.risk_class == "reject"
    assert services.investigation_current(customer=cust) == bad  # the newest is current; both are kept
    assert cust.investigations.count() == 2


def test_scorecard_is_the_policys(org, cust):
    policy = services.policy_in_force()
    policy.scorecard_bands = [[95, "low"], [90, "medium"], [80, "high"], [0, "reject"]]
    policy.save()
    assert investigate(org, cust).risk_class in {"high", "reject"}


def test_no_credit_without_approved_application(org, cust):
    order = new_order(org, cust, 1000)
    assert order_confirm(user=org.alice, order=order).status == OrderStatus.HELD
    check = CreditCheck.objects.get(order=order)
    assert check.result == CheckResult.HELD and check.reasons[0]["code"] == "no_limit"


def test_cash_order_needs_no_limit(org, cust):
    order = new_order(org, cust, 1000, method="cash")
    assert order_confirm(user=org.alice, order=order).status == OrderStatus.CONFIRMED


def test_supervisor_approves_within_authority_and_limit_is_created(org, cust):
    app = grant_limit(cust, "150000", terms=45)
    assert app.decided_by == org.sam and app.status == "approved"
    limit = CreditLimit.objects.get(customer=cust, is_current=True)
    assert limit.amount == D("150000") and limit.terms_days == 45 and limit.approved_by == org.sam
    assert limit.review_on == limit.valid_from + datetime.timedelta(days=365)
    cust.refresh_from_db()
    assert cust.payment_terms_days == 45


def submit(org, cust, amount="100000", terms=30, user=None):
    inv = investigate(org, cust, user=user)
    return services.application_submit(user=user or cust.owner, customer=cust, investigation=inv,
                                       requested_limit=amount, requested_terms_days=terms, reason="扩大合作")


def test_nobody_approves_their_own_application(org):
    sams_customer = make_customer(org.sam, "主管自己的客户")
    app = submit(org, sams_customer, user=org.sam)
    with pytest.raises(PermissionDenied):
        services.application_decide(user=org.sam, application=app, approve=True)
    sids_customer = make_customer(org.alice, "乙")
    app2 = submit(org, sids_customer, user=org.sid)
    with pytest.raises(PermissionDenied, match="own"):
        services.application_decide(user=org.sid, application=app2, approve=True)
    assert not CreditLimit.objects.exists()


def test_over_authority_goes_to_senior_manager(org, cust):
    app = submit(org, cust, amount="500000")
    with pytest.raises(PermissionDenied, match="authority"):
        services.application_decide(user=org.sam, application=app, approve=True)
    # The supervisor may approve a lower amount within authority.
    decided = services.application_decide(user=org.sam, application=app, approve=True, amount="200000", comment="先给二十万")
    assert decided.approved_limit == D("200000")
    assert CreditLimit.objects.get(customer=cust).amount == D("200000")


def test_senior_approves_large_amounts_but_not_beyond_authority(org, cust):
    app = submit(org, cust, amount="5000000")
    services.application_decide(user=org.sid, application=app, approve=True)
    other = make_customer(org.alice, "乙")
    big = submit(org, other, amount="9000000")
    with pytest.raises(PermissionDenied):
        services.application_decide(user=org.sid, application=big, approve=True)


def test_other_teams_supervisor_and_other_roles_cannot_approve(org, cust):
    app = submit(org, cust)
    for person in (org.sue, org.cathy, org.ada, org.kim, org.bob):
        with pytest.raises(PermissionDenied):
            services.application_decide(user=person, application=app, approve=True)
    assert LimitApplication.objects.get(pk=app.pk).status == "pending"


def test_approve_more_or_longer_than_asked_refused(org, cust):
    app = submit(org, cust, amount="100000", terms=30)
    with pytest.raises(ValidationError):
        services.application_decide(user=org.sam, application=app, approve=True, amount="150000")
    with pytest.raises(ValidationError):
        services.application_decide(user=org.sam, application=app, approve=True, terms_days=60)


def test_reject_needs_a_reason(org, cust):
    app = submit(org, cust)
    with pytest.raises(ValidationError):
        services.application_decide(user=org.sam, application=app, approve=False)
    services.application_decide(user=org.sam, application=app, approve=False, comment="回款记录差")
    assert not CreditLimit.objects.exists()


@pytest.mark.parametrize("amount, terms, field", [
    ("-1000", 30, "requested_limit"), ("abc", 30, "requested_limit"), ("1e13", 30, "requested_limit"),
    ("100000", 10000, "requested_terms_days"), ("100000", -5, "requested_terms_days"), ("100000", "x", "requested_terms_days"),
])
def test_bad_applications_refused(org, cust, amount, terms, field):
    inv = investigate(org, cust)
    with pytest.raises(ValidationError) as err:
        services.application_submit(user=org.alice, customer=cust, investigation=inv, requested_limit=amount,
                                    requested_terms_days=terms, reason="x")
    assert field in err.value.message_dict
    assert not LimitApplication.objects.exists()


def test_stale_investigation_cannot_be_used(org, cust):
    with time_machine.travel(datetime.date(2025, 9, 1)):
        old = investigate(org, cust)
    with time_machine.travel(datetime.date(2026, 11, 26)):
        with pytest.raises(ValidationError) as err:
            services.application_submit(user=org.alice, customer=cust, investigation=old, requested_limit="1000",
                                        requested_terms_days=30, reason="x")
    assert "investigation" in err.value.message_dict
    assert not LimitApplication.objects.exists()


def test_older_investigation_cannot_be_used_when_newer_exists(org, cust):
    first = investigate(org, cust)
    investigate(org, cust)
    with pytest.raises(ValidationError):
        services.application_submit(user=org.alice, customer=cust, investigation=first, requested_limit="1000",
                                    requested_terms_days=30, reason="x")


def test_new_approval_supersedes_and_keeps_history(org, cust):
    grant_limit(cust, "50000")
    grant_limit(cust, "80000")
    limits = CreditLimit.objects.filter(customer=cust)
    assert limits.count() == 2
    assert limits.get(is_current=True).amount == D("80000")
    assert limits.get(is_current=False).superseded_at is not None


# ── order-time check ──────────────────────────────────────────────────────────────────────

def test_exposure_counts_every_open_order_and_receivable(org, cust):
    grant_limit(cust, "10000")
    a = order_confirm(user=org.alice, order=new_order(org, cust, 3000))
    b = order_confirm(user=org.sam, order=new_order(org, cust, 3000, user=org.sam))  # someone else's entry
    assert a.status == b.status == OrderStatus.CONFIRMED
    invoice(org, b, datetime.date.today())
    c = order_confirm(user=org.alice, order=new_order(org, cust, 4000))  # 3000 + 3000 + 4000 = limit
    assert c.status == OrderStatus.CONFIRMED
    d = order_confirm(user=org.alice, order=new_order(org, cust, "0.01"))
    assert d.status == OrderStatus.HELD
    check = CreditCheck.objects.filter(order=d).first()
    assert check.exposure_before == D("10000") and check.limit_amount == D("10000")
    assert "exceeds the limit" in check.reasons_described[0]["message"]
    with translation.override("zh-hans"):
        assert "超出" in check.reasons_described[0]["message"]


def test_payment_frees_credit(org, cust):
    grant_limit(cust, "5000")
    first = order_confirm(user=org.alice, order=new_order(org, cust, 5000))
    invoice(org, first, datetime.date.today())
    assert order_confirm(user=org.alice, order=new_order(org, cust, 100)).status == OrderStatus.HELD
    payment_record(user=org.cathy, customer=cust, amount="5000")
    assert order_confirm(user=org.alice, order=new_order(org, cust, 100)).status == OrderStatus.CONFIRMED


def test_overdue_beyond_grace_holds_even_within_limit(org, cust):
    grant_limit(cust, "100000", terms=30)
    old = order_confirm(user=org.alice, order=new_order(org, cust, 1000))
    invoice(org, old, datetime.date.today() - datetime.timedelta(days=40))  # due 10 days ago, grace 7
    order = order_confirm(user=org.alice, order=new_order(org, cust, 100))
    assert order.status == OrderStatus.HELD
    assert [r["code"] for r in CreditCheck.objects.get(order=order).reasons] == ["overdue"]


def test_within_grace_passes(org, cust):
    grant_limit(cust, "100000", terms=30)
    old = order_confirm(user=org.alice, order=new_order(org, cust, 1000))
    invoice(org, old, datetime.date.today() - datetime.timedelta(days=33))  # 3 days late, grace 7
    assert order_confirm(user=org.alice, order=new_order(org, cust, 100)).status == OrderStatus.CONFIRMED


def test_expired_limit_does_not_count(org, cust):
    grant_limit(cust, "100000")
    with time_machine.travel(datetime.date.today() + datetime.timedelta(days=400)):
        order = order_confirm(user=org.alice, order=new_order(org, cust, 100))
    assert order.status == OrderStatus.HELD


def test_frozen_account_holds(org, cust):
    grant_limit(cust, "100000")
    services.credit_freeze(user=org.cathy, customer=cust, reason="严重逾期")
    assert order_confirm(user=org.alice, order=new_order(org, cust, 100)).status == OrderStatus.HELD


def test_split_orders_each_checked(org, cust):
    grant_limit(cust, "1000")
    results = [order_confirm(user=org.alice, order=new_order(org, cust, 300)).status for _ in range(4)]
    assert results == ["confirmed", "confirmed", "confirmed", "held"]


def test_cancel_and_reconfirm_is_checked_again(org, cust):
    grant_limit(cust, "1000")
    first = order_confirm(user=org.alice, order=new_order(org, cust, 800))
    held = order_confirm(user=org.alice, order=new_order(org, cust, 800))
    assert held.status == OrderStatus.HELD
    order_cancel(user=org.alice, order=first)
    with pytest.raises(ValidationError):
        order_confirm(user=org.alice, order=first)  # a cancelled order never comes back
    assert order_confirm(user=org.alice, order=held).status == OrderStatus.CONFIRMED  # room freed, rechecked


def test_editing_a_held_order_needs_a_new_check(org, cust):
    grant_limit(cust, "1000")
    held = order_confirm(user=org.alice, order=new_order(org, cust, 2000))
    edited = order_update_lines(user=org.alice, order=held,
                                lines=[{"product": org.product, "quantity": 1, "unit_price": "500"}])
    assert edited.status == OrderStatus.DRAFT
    assert order_confirm(user=org.alice, order=edited).status == OrderStatus.CONFIRMED
    with pytest.raises(ValidationError):  # a confirmed order cannot be edited upwards
        order_update_lines(user=org.alice, order=edited, lines=[{"product": org.product, "quantity": 9}])


def test_held_order_notifies_rep_supervisor_and_credit(org, cust, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_confirm(user=org.alice, order=new_order(org, cust, 100))
    assert order.status == OrderStatus.HELD
    told = set(Notification.objects.filter(text__contains=order.number).values_list("user__username", flat=True))
    assert {"alice", "sam", "cathy"} <= told


def test_every_check_is_stored(org, cust):
    grant_limit(cust, "1000")
    order_confirm(user=org.alice, order=new_order(org, cust, 100))
    order_confirm(user=org.alice, order=new_order(org, cust, 5000))
    assert list(CreditCheck.objects.order_by("id").values_list("result", flat=True)) == ["passed", "held"]


# ── exceptions ────────────────────────────────────────────────────────────────────────────

def held_order(org, cust, amount=5000):
    grant_limit(cust, "1000")
    order = order_confirm(user=org.alice, order=new_order(org, cust, amount))
    assert order.status == OrderStatus.HELD
    return order


def test_exception_releases_a_held_order_and_records_approver(org, cust):
    order = held_order(org, cust)
    exc = services.exception_request(user=org.alice, order=order, reason="老客户，年底回款")
    services.exception_decide(user=org.sam, exception=exc, approve=True, comment="同意")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    check = CreditCheck.objects.filter(order=order).first()
    assert check.result == CheckResult.RELEASED and check.exception.decided_by == org.sam


def test_exception_not_approved_by_requester_or_handler_or_without_authority(org, cust):
    order = held_order(org, cust)
    exc = services.exception_request(user=org.sam, order=order, reason="x")
    with pytest.raises(PermissionDenied):
        services.exception_decide(user=org.sam, exception=exc, approve=True)  # requested it
    with pytest.raises(PermissionDenied):
        services.exception_decide(user=org.alice, exception=exc, approve=True)  # handled it
    with pytest.raises(PermissionDenied):
        services.exception_decide(user=org.sue, exception=exc, approve=True)  # another team
    order.refresh_from_db()
    assert order.status == OrderStatus.HELD
    services.exception_decide(user=org.sid, exception=exc, approve=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_exception_above_authority_refused(org, cust):
    order = held_order(org, cust, amount=300000)  # exposure 300,000 > sam's 200,000
    exc = services.exception_request(user=org.alice, order=order, reason="x")
    with pytest.raises(PermissionDenied):
        services.exception_decide(user=org.sam, exception=exc, approve=True)


def test_exception_does_not_cover_a_bigger_order(org, cust):
    order = held_order(org, cust, amount=5000)
    exc = services.exception_request(user=org.alice, order=order, reason="x")
    services.exception_decide(user=org.sam, exception=exc, approve=False, comment="不行")
    order.refresh_from_db()
    assert order.status == OrderStatus.HELD
    exc2 = services.exception_request(user=org.alice, order=order, reason="再申请")
    services.exception_decide(user=org.sam, exception=exc2, approve=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    # Copying the released order does not copy its exception.
    copy = order_confirm(user=org.alice, order=new_order(org, cust, 5000))
    assert copy.status == OrderStatus.HELD


# ── K3/K4: write-offs and liability ──────────────────────────────────────────────────────

def bad_debt(org, cust, *, covered: str, amount=10000):
    if covered == "limit":
        grant_limit(cust, "100000")
        order = order_confirm(user=org.alice, order=new_order(org, cust, amount))
    elif covered == "exception":
        order = held_order(org, cust, amount=amount)
        exc = services.exception_request(user=org.alice, order=order, reason="x")
        services.exception_decide(user=org.sid, exception=exc, approve=True)
        order.refresh_from_db()
    else:  # through without cover: e.g. a cash order that was never paid, no check on credit
        order = order_confirm(user=org.alice, order=new_order(org, cust, amount, method="cash"))
    assert order.status == OrderStatus.CONFIRMED
    invoice(org, order, datetime.date.today())
    return Receivable.objects.get(order=order)


def shares(write_off):
    return {(li.person.username, li.role): (li.share_pct, li.amount) for li in write_off.liabilities.all()}


def test_unapproved_bad_debt_is_borne_100pct_by_handler(org, cust):
    receivable = bad_debt(org, cust, covered="none")
    wo = services.write_off_create(user=org.cathy, receivable=receivable, amount="10000", kind="dead", reason="倒闭")
    assert not wo.covered
    assert shares(wo) == {("alice", "handler"): (D("100"), D("10000.00"))}


def test_bad_debt_within_limit_split_handler_and_approver(org, cust):
    receivable = bad_debt(org, cust, covered="limit")
    wo = services.write_off_create(user=org.cathy, receivable=receivable, amount="10000", kind="doubtful", reason="x")
    assert wo.covered
    assert shares(wo) == {("alice", "handler"): (D("30"), D("3000.00")), ("sam", "approver"): (D("20"), D("2000.00"))}


def test_bad_debt_within_exception_charges_exception_approver(org, cust):
    receivable = bad_debt(org, cust, covered="exception")
    wo = services.write_off_create(user=org.cathy, receivable=receivable, amount="10000", kind="dead", reason="x")
    assert shares(wo) == {("alice", "handler"): (D("30"), D("3000.00")), ("sid", "approver"): (D("20"), D("2000.00"))}


def test_partial_recovery_reduces_liabilities_in_proportion(org, cust):
    receivable = bad_debt(org, cust, covered="limit")
    wo = services.write_off_create(user=org.cathy, receivable=receivable, amount="10000", kind="dead", reason="x")
    services.recovery_record(user=org.cathy, write_off=wo, amount="2500")
    services.recovery_record(user=org.cathy, write_off=wo, amount="2500")
    nets = {li.person.username: li.net for li in Liability.objects.filter(write_off=wo)}
    assert nets == {"alice": D("1500.00"), "sam": D("1000.00")}
    with pytest.raises(ValidationError):
        services.recovery_record(user=org.cathy, write_off=wo, amount="5000.01")


def test_policy_changes_apply_from_their_date_only(org, cust):
    r1 = bad_debt(org, cust, covered="limit")
    first = services.write_off_create(user=org.cathy, receivable=r1, amount="10000", kind="dead", reason="x")
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    services.policy_create(user=org.ada, data={"effective_from": tomorrow, "handler_share_pct": D("50"),
                                               "approver_share_pct": D("50")})
    other = make_customer(org.alice, "乙")
    r2 = bad_debt(org, other, covered="none")
    Receivable.objects.filter(pk=r2.pk)  # written off after the change
    with time_machine.travel(tomorrow + datetime.timedelta(days=1)):
        r3_customer = make_customer(org.alice, "丙")
        r3 = bad_debt(org, r3_customer, covered="limit")
        later = services.write_off_create(user=org.cathy, receivable=r3, amount="10000", kind="dead", reason="x")
    assert shares(later) == {("alice", "handler"): (D("50"), D("5000.00")), ("sam", "approver"): (D("50"), D("5000.00"))}
    first.refresh_from_db()
    assert shares(first)[("alice", "handler")] == (D("30"), D("3000.00"))  # kept the policy it was made under
    assert first.policy != later.policy


def test_policy_cannot_be_backdated_or_over_100(org):
    with pytest.raises(ValidationError):
        services.policy_create(user=org.ada, data={"effective_from": datetime.date(2020, 1, 1)})
    with pytest.raises(ValidationError):
        services.policy_create(user=org.ada, data={"effective_from": datetime.date.today() + datetime.timedelta(days=1),
                                                   "handler_share_pct": D("70"), "approver_share_pct": D("40")})
    with pytest.raises(PermissionDenied):
        services.policy_create(user=org.cathy, data={"effective_from": datetime.date.today()})
    assert CreditPolicy.objects.count() <= 1


@pytest.mark.parametrize("amount", ["10000.01", "-5", "0", "abc"])
def test_write_off_bad_amounts_refused(org, cust, amount):
    receivable = bad_debt(org, cust, covered="limit")
    with pytest.raises(ValidationError):
        services.write_off_create(user=org.cathy, receivable=receivable, amount=amount, kind="dead", reason="x")
    receivable.refresh_from_db()
    assert receivable.written_off == 0 and not Liability.objects.exists()


def test_only_credit_controllers_write_off(org, cust):
    receivable = bad_debt(org, cust, covered="limit")
    for person in (org.alice, org.sam, org.sid):
        with pytest.raises(PermissionDenied):
            services.write_off_create(user=person, receivable=receivable, amount="1", kind="dead", reason="x")


# ── K2: review prompts ────────────────────────────────────────────────────────────────────

def test_daily_review_prompts_and_is_idempotent(org, cust):
    grant_limit(cust, "10000", terms=30)
    order = order_confirm(user=org.alice, order=new_order(org, cust, 9500))
    invoice(org, order, datetime.date.today() - datetime.timedelta(days=130))  # 100 days overdue
    today = datetime.date.today()
    services.credit_daily_review(today=today)
    reasons = set(ReviewTask.objects.filter(customer=cust).values_list("reason", flat=True))
    assert {"overdue", "freeze"} <= reasons
    count = ReviewTask.objects.count()
    services.credit_daily_review(today=today)
    assert ReviewTask.objects.count() == count
    later = today + datetime.timedelta(days=340)
    services.credit_daily_review(today=later)
    assert ReviewTask.objects.filter(reason="expiring").exists()


def test_high_utilisation_must_stay_high(org, cust):
    grant_limit(cust, "10000")
    order_confirm(user=org.alice, order=new_order(org, cust, 9500))
    start = datetime.date.today()
    for offset in range(13):
        services.credit_daily_review(today=start + datetime.timedelta(days=offset))
    assert not ReviewTask.objects.filter(reason="utilisation").exists()
    services.credit_daily_review(today=start + datetime.timedelta(days=13))
    assert ReviewTask.objects.filter(reason="utilisation").exists()


def test_fresh_approval_closes_review_tasks(org, cust):
    grant_limit(cust, "10000")
    ReviewTask.objects.create(customer=cust, reason="expiring", detail="x", raised_on=datetime.date.today())
    grant_limit(cust, "20000")
    assert not ReviewTask.objects.filter(done_at__isnull=True).exists()


# ── audit ─────────────────────────────────────────────────────────────────────────────────

def test_audit_trail_records_and_cannot_be_changed(org, cust):
    grant_limit(cust, "10000")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["investigation.create", "application.submit", "limit.create", "application.approve"]
    entry = AuditEntry.objects.get(action="application.approve")
    assert entry.before["status"] == "pending" and entry.after["status"] == "approved" and entry.user == org.sam
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_order_changed_while_checked_is_refused_and_nothing_recorded(org, cust):
    grant_limit(cust, "10000")
    order = new_order(org, cust, 500)
    stale = type(order).objects.get(pk=order.pk)
    order_update_lines(user=org.alice, order=order, lines=[{"product": org.product, "quantity": 1, "unit_price": "20000"}])
    with pytest.raises(ValidationError, match="changed"):
        order_confirm(user=org.alice, order=stale)  # checked at 500, but the order is now 20,000
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT and not CreditCheck.objects.filter(order=order).exists()
    assert order_confirm(user=org.alice, order=order).status == OrderStatus.HELD


# ── review findings ───────────────────────────────────────────────────────────────────────

def test_cash_order_over_the_limit_is_held(org, cust):
    grant_limit(cust, "10000")
    order = order_confirm(user=org.alice, order=new_order(org, cust, 50000, method="cash"))
    assert order.status == OrderStatus.HELD
    assert [r["code"] for r in CreditCheck.objects.get(order=order).reasons] == ["over_limit"]


def test_exception_is_decided_on_the_exposure_as_it_is_now(org, cust):
    order = held_order(org, cust, amount=5000)  # limit 1,000
    exc = services.exception_request(user=org.alice, order=order, reason="x")
    # Meanwhile the customer's exposure grows past the supervisor's authority (200,000): another
    # order went out (say, released by an earlier exception).
    big = new_order(org, cust, 250000, method="cash")
    type(big).objects.filter(pk=big.pk).update(status="confirmed")
    with pytest.raises(PermissionDenied):
        services.exception_decide(user=org.sam, exception=exc, approve=True)
    exc.refresh_from_db()
    order.refresh_from_db()
    assert exc.status == "pending" and order.status == OrderStatus.HELD
    services.exception_decide(user=org.sid, exception=exc, approve=True)
    exc.refresh_from_db()
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and exc.exposure_after == D("255000.00")


def test_approved_exception_does_not_cover_a_grown_exposure(org, cust):
    order = held_order(org, cust, amount=5000)
    exc = services.exception_request(user=org.alice, order=order, reason="x")
    services.exception_decide(user=org.sam, exception=exc, approve=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    order_cancel(user=org.alice, order=order)
    # The same exception cannot be reused for another order or a bigger exposure.
    again = order_confirm(user=org.alice, order=new_order(org, cust, 5000))
    assert again.status == OrderStatus.HELD


def test_failed_release_leaves_the_exception_pending(org, cust):
    order = held_order(org, cust, amount=5000)
    exc = services.exception_request(user=org.alice, order=order, reason="x")
    order_cancel(user=org.alice, order=order)
    with pytest.raises(ValidationError):
        services.exception_decide(user=org.sam, exception=exc, approve=True)
    exc.refresh_from_db()
    assert exc.status == "pending"


@pytest.mark.parametrize("amount", ["1e30", "-1e30", "99999999999999999999999999"])
def test_astronomical_amounts_are_refused_not_crashed(org, cust, amount):
    inv = investigate(org, cust)
    with pytest.raises(ValidationError):
        services.application_submit(user=org.alice, customer=cust, investigation=inv, requested_limit=amount,
                                    requested_terms_days=30, reason="x")
    with pytest.raises(ValidationError):
        order_create(user=org.alice, customer=cust, lines=[{"product": org.product, "quantity": 1, "unit_price": amount}])
    with pytest.raises(ValidationError):
        payment_record(user=org.cathy, customer=cust, amount=amount)


def test_approving_a_limit_does_not_lift_a_freeze_or_close_overdue_prompts(org, cust):
    grant_limit(cust, "10000")
    services.credit_freeze(user=org.cathy, customer=cust, reason="严重逾期")
    ReviewTask.objects.create(customer=cust, reason="freeze", detail="x", raised_on=datetime.date.today())
    ReviewTask.objects.create(customer=cust, reason="expiring", detail="x", raised_on=datetime.date.today())
    grant_limit(cust, "20000")
    from kehu.credit.models import CreditAccount
    assert CreditAccount.objects.get(customer=cust).frozen
    assert set(ReviewTask.objects.filter(done_at__isnull=True).values_list("reason", flat=True)) == {"freeze"}


def test_application_rechecked_at_decision(org, cust):
    app = submit(org, cust)
    investigate(org, cust, payment_record_us="bad", payment_record_others="bad", legal_disputes="major",
                impression="poor", years_in_business=1, registered_capital=D("100000"), staff_size=5,
                revenue_band="u5m", ownership="individual")
    with pytest.raises(ValidationError):
        services.application_decide(user=org.sam, application=app, approve=True)
    assert not CreditLimit.objects.exists()


def test_expired_limit_prompt(org, cust):
    grant_limit(cust, "10000")
    services.credit_daily_review(today=datetime.date.today() + datetime.timedelta(days=400))
    assert ReviewTask.objects.filter(customer=cust, reason="expired").exists()


def test_slowing_payments_prompt(org, cust):
    grant_limit(cust, "1000000", terms=30)
    today = datetime.date.today()
    # Earlier quarter: paid on the due date. Last quarter: paid 25 days late.
    for invoiced_days_ago, paid_days_ago in [(160, 130), (150, 120), (75, 20), (70, 15)]:
        order = order_confirm(user=org.alice, order=new_order(org, cust, 1000))
        invoice(org, order, today - datetime.timedelta(days=invoiced_days_ago))
        payment_record(user=org.cathy, customer=cust, amount="1000",
                       received_on=today - datetime.timedelta(days=paid_days_ago))
    services.credit_daily_review(today=today)
    task = ReviewTask.objects.get(customer=cust, reason="slower")
    assert "25" in task.detail


def test_card_exposure_and_check_exposure_agree(org, cust):
    from kehu.credit.selectors import position_for_check
    from kehu.ledger.selectors import customer_exposure

    grant_limit(cust, "100000")
    a = order_confirm(user=org.alice, order=new_order(org, cust, 3000))
    b = order_confirm(user=org.alice, order=new_order(org, cust, 4000))
    invoice(org, b, datetime.date.today())
    order_deliver(user=org.alice, order=order_confirm(user=org.alice, order=new_order(org, cust, 500)))
    payment_record(user=org.cathy, customer=cust, amount="1500")
    assert a.status == "confirmed"
    expected = D("3000") + D("4000") - D("1500") + D("500")
    assert customer_exposure(customer_id=cust.pk) == expected
    assert position_for_check(customer_id=cust.pk, today=datetime.date.today())["exposure"] == expected
