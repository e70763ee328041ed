"""The credit policy, credit accounts (positions and freezes) and utilisation snapshots through
/api/v1/credit/…: who reads what, who may change it, bad input, and that a freeze holds orders.

Every refusal is checked for its status, its message and that nothing changed.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from kehu.credit import selectors, services
from kehu.credit.models import AuditEntry, CreditAccount, CreditPolicy, UtilisationSnapshot
from kehu.ledger.models import OrderStatus
from kehu.ledger.selectors import customer_exposure
from kehu.ledger.services import order_confirm
from kehu.testing import grant_limit, make_customer

from .world import CREDIT_STAFF, SEES, build_world, order_of

pytestmark = pytest.mark.django_db
D = Decimal
API = "/api/v1/credit"
STAFF_ONLY = {"detail": "Only credit control, senior managers and administrators see this."}
FREEZERS = {"cathy", "sid", "ada"}  # as the card's freeze button: credit control, senior managers (ada: superuser)


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


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


# ── the credit policy ───────────────────────────────────────────────────────────────────────


@pytest.fixture
def history(org):
    """Two versions already in force (made directly: the service refuses a date in the past) and
    one the administrator has set for tomorrow."""
    today = timezone.localdate()
    old = CreditPolicy.objects.create(effective_from=today - datetime.timedelta(days=400), grace_days=5)
    now = CreditPolicy.objects.create(effective_from=today - datetime.timedelta(days=30), grace_days=10,
                                      handler_share_pct=D("35"), approver_share_pct=D("25"))
    later = services.policy_create(user=org.ada, data={"effective_from": tomorrow(), "grace_days": 3})
    return old, now, later


@pytest.mark.parametrize("who", sorted(SEES))
def test_policy_is_read_by_credit_staff_only(org, history, who):
    client = client_for(org.users()[who])
    old, now, later = history
    responses = [client.get(f"{API}/policies"), client.get(f"{API}/policies/current"),
                 client.get(f"{API}/policies/{now.pk}")]
    if who in CREDIT_STAFF:
        assert [r.status_code for r in responses] == [200, 200, 200]
        listed = responses[0].json()["results"]
        assert [r["id"] for r in listed] == [later.pk, now.pk, old.pk]  # the newest first, tomorrow's included
        assert [r["in_force"] for r in listed] == [False, True, False]
        assert responses[1].json()["id"] == now.pk and responses[1].json()["grace_days"] == 10
        assert responses[2].json()["handler_share_pct"] == "35.00"
        assert listed[0]["created_by"] == org.ada.pk and listed[1]["created_by"] is None
    else:
        assert [r.status_code for r in responses] == [403, 403, 403]
        assert all(r.json() == STAFF_ONLY for r in responses)


def test_current_policy_follows_the_calendar(org, history):
    _old, now, later = history
    client = client_for(org.cathy)
    assert client.get(f"{API}/policies/current").json()["id"] == now.pk
    with time_machine.travel(tomorrow()):
        assert client.get(f"{API}/policies/current").json()["id"] == later.pk
        assert services.policy_in_force().pk == later.pk
    assert client.get(f"{API}/policies/999999").status_code == 404
    assert client.get(f"{API}/policies/abc").status_code == 404


def policy_counts() -> tuple[int, int]:
    return CreditPolicy.objects.count(), AuditEntry.objects.count()


@pytest.mark.parametrize("who", sorted(SEES))
def test_only_an_administrator_adds_a_policy_version(org, history, who):
    client = client_for(org.users()[who])
    before = policy_counts()
    payload = {"effective_from": (tomorrow() + datetime.timedelta(days=1)).isoformat(), "grace_days": 14}
    response = client.post(f"{API}/policies", payload, format="json")
    if who == "ada":
        assert response.status_code == 201, response.content
        assert (response.json()["grace_days"], response.json()["created_by"]) == (14, org.ada.pk)
        assert policy_counts() == (before[0] + 1, before[1] + 1)
        assert AuditEntry.objects.latest("id").action == "policy.create"
        return
    assert response.status_code == 403
    if who in CREDIT_STAFF:
        assert response.json() == {"detail": "Only an administrator sets the credit policy."}
    else:
        assert response.json() == STAFF_ONLY
    assert policy_counts() == before


def test_what_a_new_version_leaves_out_is_kept_from_the_version_in_force_on_its_date(org, history):
    _old, now, later = history
    client = client_for(org.ada)
    # From the day after tomorrow, tomorrow's version is the one in force: its grace period is kept.
    response = client.post(f"{API}/policies", {"effective_from": (tomorrow() + datetime.timedelta(days=1)).isoformat(),
                                               "handler_share_pct": "40"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["grace_days"], body["handler_share_pct"], body["approver_share_pct"]) == (3, "40.00", "20.00")
    assert body["scorecard_rules"] == later.scorecard_rules and body["in_force"] is False
    # Versions in force are never changed.
    now.refresh_from_db()
    assert (now.grace_days, now.handler_share_pct) == (10, D("35.00"))
    assert client.delete(f"{API}/policies/{now.pk}").status_code == 405
    assert client.patch(f"{API}/policies/{now.pk}", {"grace_days": 1}, format="json").status_code == 405
    assert client.put(f"{API}/policies/{now.pk}", {"grace_days": 1}, format="json").status_code == 405


def test_a_version_with_no_versions_before_it_starts_from_the_defaults(org):
    response = client_for(org.ada).post(f"{API}/policies", {"effective_from": tomorrow().isoformat()}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["grace_days"], body["max_terms_days"], body["handler_share_pct"]) == (7, 180, "30.00")


BANDS_PAIRS = "Risk bands must be [minimum score, low|medium|high|reject] pairs"


@pytest.mark.parametrize("changes, expected", [
    ({"handler_share_pct": "150"}, {"handler_share_pct": ["Ensure this value is less than or equal to 100."]}),
    ({"handler_share_pct": "-1"}, {"handler_share_pct": ["Ensure this value is greater than or equal to 0."]}),
    ({"handler_share_pct": "60", "approver_share_pct": "50"},
     {"approver_share_pct": ["The handler's and the approver's shares add up to more than 100%."]}),
    ({"handler_share_pct": "33.333"}, {"handler_share_pct": ["Ensure that there are no more than 2 decimal places."]}),
    ({"grace_days": 1000}, {"grace_days": ["Ensure this value is less than or equal to 365."]}),
    ({"max_terms_days": 0}, {"max_terms_days": ["Ensure this value is greater than or equal to 1."]}),
    ({"investigation_valid_days": 100000}, {"investigation_valid_days": ["Ensure this value is less than or equal to 3650."]}),
    ({"freeze_overdue_days": 10 ** 12}, {"freeze_overdue_days": ["Ensure this value is less than or equal to 32767."]}),
    ({"review_utilisation_pct": -5}, {"review_utilisation_pct": ["Ensure this value is greater than or equal to 0."]}),
    ({"grace_days": "soon"}, {"grace_days": ["A valid integer is required."]}),
    ({"effective_from": "2020-01-01"},
     {"effective_from": ["A policy cannot take effect in the past: past decisions keep theirs."]}),
    ({"effective_from": None}, {"effective_from": ["This field may not be null."]}),
    ({"scorecard_rules": {"shoe_size": {"type": "choice", "points": {"42": 5}}}},
     {"scorecard_rules": ["Unknown factor: shoe_size"]}),
    ({"scorecard_rules": {"staff_size": {"type": "bands", "bands": [["many", 5]]}}},
     {"scorecard_rules": ["staff_size: bands must be [threshold, points] pairs"]}),
    ({"scorecard_rules": {"staff_size": {"type": "bands"}}},
     {"scorecard_rules": ["staff_size: bands must be [threshold, points] pairs"]}),
    ({"scorecard_rules": {"ownership": {"type": "choice", "points": {"state": "lots"}}}},
     {"scorecard_rules": ["ownership: points must map each answer to points"]}),
    ({"scorecard_rules": {"ownership": {"type": "stars"}}}, {"scorecard_rules": ["ownership: the type must be bands or choice"]}),
    ({"scorecard_rules": {"ownership": {"type": "choice", "points": {"state\x00": 10}}}},
     {"scorecard_rules": ["Null characters are not allowed."]}),
    ({"scorecard_rules": ["ownership"]}, {"scorecard_rules": ['Expected a dictionary of items but got type "list".']}),
    ({"scorecard_bands": [[75, "superb"], [0, "reject"]]}, {"scorecard_bands": [BANDS_PAIRS]}),
    ({"scorecard_bands": [[75, ["low"]]]}, {"scorecard_bands": [BANDS_PAIRS]}),
    ({"scorecard_bands": [["high", "low"]]}, {"scorecard_bands": [BANDS_PAIRS]}),
    ({"scorecard_bands": []}, {"scorecard_bands": ["This list may not be empty."]}),
])
def test_absurd_policies_are_refused_and_nothing_is_saved(org, history, changes, expected):
    before = policy_counts()
    payload = {"effective_from": (tomorrow() + datetime.timedelta(days=1)).isoformat(), **changes}
    response = client_for(org.ada).post(f"{API}/policies", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == expected
    assert policy_counts() == before


def test_two_versions_cannot_start_on_the_same_day(org, history):
    before = policy_counts()
    response = client_for(org.ada).post(f"{API}/policies", {"effective_from": tomorrow().isoformat()}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["effective_from"]
    assert policy_counts() == before
    missing = client_for(org.ada).post(f"{API}/policies", {"grace_days": 3}, format="json")
    assert missing.status_code == 400 and missing.json() == {"effective_from": ["This field is required."]}


def test_a_new_scorecard_scores_the_next_investigation(org):
    rules = services.policy_in_force().scorecard_rules
    rules["impression"] = {"type": "choice", "points": {"good": 0, "fair": 0, "poor": 0}}
    response = client_for(org.ada).post(f"{API}/policies", {"effective_from": tomorrow().isoformat(),
                                                            "scorecard_rules": rules}, format="json")
    assert response.status_code == 201, response.content
    customer = make_customer(org.alice, "新评分客户")
    from .world import investigate

    assert investigate(customer, org.alice).score_detail["impression"] == 8
    with time_machine.travel(tomorrow()):
        assert investigate(customer, org.alice).score_detail["impression"] == 0


# ── credit accounts: positions ──────────────────────────────────────────────────────────────


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_role_sees_the_credit_accounts_of_its_customers_only(org, world, who):
    client = client_for(org.users()[who])
    listed = rows(client.get(f"{API}/accounts"))
    assert {world.key_of_customer(r["customer"]) for r in listed} == SEES[who]
    for k, customer in world.customers.items():
        response = client.get(f"{API}/accounts/{customer.pk}")
        if k in SEES[who]:
            assert response.status_code == 200
            assert response.json()["customer_name"] == customer.name
        else:
            assert response.status_code == 404
            assert customer.name not in response.content.decode()
        # Naming another's customer in the filter finds nothing rather than telling it exists.
        assert len(rows(client.get(f"{API}/accounts", {"customer": customer.pk}))) == (1 if k in SEES[who] else 0)


def test_the_position_is_the_cards(org, world):
    client = client_for(org.cathy)
    for customer in world.customers.values():
        body = client.get(f"{API}/accounts/{customer.pk}").json()
        card = selectors.credit_summary(customer=customer)
        # ¥10,000 invoiced less ¥4,000 written off; the held order of ¥150,000 is no exposure.
        assert body["exposure"] == "6000.00" == f"{customer_exposure(customer_id=customer.pk):.2f}" == f"{card['exposure']:.2f}"
        assert body["available"] == "94000.00" == f"{card['available']:.2f}"
        assert body["limit"]["id"] == card["limit"].pk == world.limits[world.key_of_customer(customer.pk)].pk
        assert (body["limit"]["amount"], body["limit"]["terms_days"], body["limit"]["approved_by"]) == (
            "100000.00", 30, card["limit"].approved_by_id)
        assert (body["limit_expired"], body["frozen"], body["frozen_reason"]) == (False, False, "")


def test_a_customer_without_a_limit_and_one_whose_limit_expired(org, world):
    newcomer = make_customer(org.alice, "无额度客户")
    confirmed = order_confirm(user=org.alice, order=order_of(org, newcomer, "800", method="cash"))
    assert confirmed.status == OrderStatus.CONFIRMED
    client = client_for(org.alice)
    body = client.get(f"{API}/accounts/{newcomer.pk}").json()
    assert (body["limit"], body["available"], body["exposure"], body["frozen"]) == (None, None, "800.00", False)
    with time_machine.travel(timezone.localdate() + datetime.timedelta(days=400)):
        body = client.get(f"{API}/accounts/{world.customers['a'].pk}").json()
        assert body["limit_expired"] is True and body["limit"]["amount"] == "100000.00"


def test_accounts_filters_narrow_the_list(org, world):
    client = client_for(org.cathy)
    services.credit_freeze(user=org.cathy, customer=world.customers["b"], reason="逾期九十天")
    only_a = rows(client.get(f"{API}/accounts", {"customer": world.customers["a"].pk}))
    assert [r["customer"] for r in only_a] == [world.customers["a"].pk]
    frozen = rows(client.get(f"{API}/accounts", {"frozen": "true"}))
    assert [(r["customer"], r["frozen_reason"]) for r in frozen] == [(world.customers["b"].pk, "逾期九十天")]
    # "a" has a credit account (its checks made one), a customer never checked has none: neither is frozen.
    unchecked = make_customer(org.alice, "从未检查的客户")
    not_frozen = {r["customer"] for r in rows(client.get(f"{API}/accounts", {"frozen": "false"}))}
    assert not_frozen == {world.customers["a"].pk, world.customers["c"].pk, unchecked.pk}
    assert rows(client.get(f"{API}/accounts", {"frozen": "true", "customer": world.customers["a"].pk})) == []
    for bad in ({"customer": "abc"}, {"customer": "0"}, {"frozen": "perhaps"}):
        assert client.get(f"{API}/accounts", bad).status_code == 400, bad


def test_a_page_of_accounts_costs_the_same_queries_however_many_customers(org, world):
    client = client_for(org.cathy)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}/accounts").status_code == 200
        return len(captured)

    few = queries()
    for n in range(5):
        grant_limit(make_customer(org.bob, f"新增客户{n}"), "5000")
    assert queries() == few


# ── credit accounts: freezes ────────────────────────────────────────────────────────────────


def freeze_counts(customer) -> tuple[bool, int]:
    account = CreditAccount.objects.filter(customer=customer).first()
    return bool(account and account.frozen), AuditEntry.objects.count()


@pytest.mark.parametrize("who", sorted(SEES))
def test_who_may_freeze_and_unfreeze(org, world, who):
    customer = world.customers["a"]
    client = client_for(org.users()[who])
    before = freeze_counts(customer)
    frozen = client.post(f"{API}/accounts/{customer.pk}/freeze", {"reason": "逾期九十天"}, format="json")
    if who in FREEZERS:
        assert frozen.status_code == 200, frozen.content
        assert (frozen.json()["frozen"], frozen.json()["frozen_reason"]) == (True, "逾期九十天")
        entry = AuditEntry.objects.latest("id")
        assert (entry.action, entry.user, entry.customer) == ("account.freeze", org.users()[who], customer)
        unfrozen = client.post(f"{API}/accounts/{customer.pk}/unfreeze")
        assert unfrozen.status_code == 200
        assert (unfrozen.json()["frozen"], unfrozen.json()["frozen_reason"]) == (False, "")
        assert AuditEntry.objects.latest("id").action == "account.unfreeze"
        return
    # Those who see the customer are told why; anyone else finds no such customer.
    expected = 403 if "a" in SEES[who] else 404
    unfrozen = client.post(f"{API}/accounts/{customer.pk}/unfreeze")
    assert (frozen.status_code, unfrozen.status_code) == (expected, expected)
    if expected == 403:
        assert frozen.json() == unfrozen.json() == {"detail": "Only credit control or a senior manager freezes credit."}
    else:
        assert customer.name not in frozen.content.decode()
    assert freeze_counts(customer) == before


def test_a_rep_cannot_lift_a_freeze_on_his_own_customer(org, world):
    customer = world.customers["a"]
    services.credit_freeze(user=org.cathy, customer=customer, reason="严重逾期")
    before = freeze_counts(customer)
    response = client_for(org.alice).post(f"{API}/accounts/{customer.pk}/unfreeze")
    assert response.status_code == 403
    assert freeze_counts(customer) == before == (True, before[1])


@pytest.mark.parametrize("payload, expected", [
    ({}, {"reason": ["Give the reason for the freeze."]}),
    ({"reason": ""}, {"reason": ["Give the reason for the freeze."]}),
    ({"reason": "   "}, {"reason": ["Give the reason for the freeze."]}),
    ({"reason": "逾" * 201}, {"reason": ["Ensure this field has no more than 200 characters."]}),
    ({"reason": "逾期\x00"}, {"reason": ["Null characters are not allowed."]}),
])
def test_a_freeze_needs_a_reason(org, world, payload, expected):
    customer = world.customers["a"]
    before = freeze_counts(customer)
    response = client_for(org.cathy).post(f"{API}/accounts/{customer.pk}/freeze", payload, format="json")
    assert response.status_code == 400
    assert response.json() == expected
    assert freeze_counts(customer) == before


def test_freeze_of_no_such_customer(org):
    for pk in ("999999", "abc"):
        assert client_for(org.cathy).post(f"{API}/accounts/{pk}/freeze", {"reason": "x"}, format="json").status_code == 404


def test_a_freeze_holds_orders_on_credit_until_it_is_lifted(org):
    customer = make_customer(org.alice, "冻结测试客户")
    grant_limit(customer, "100000")
    assert order_confirm(user=org.alice, order=order_of(org, customer, "1000")).status == OrderStatus.CONFIRMED

    assert client_for(org.cathy).post(f"{API}/accounts/{customer.pk}/freeze", {"reason": "法院冻结账户"},
                                      format="json").status_code == 200
    held = order_confirm(user=org.alice, order=order_of(org, customer, "1000"))
    assert held.status == OrderStatus.HELD
    checks = client_for(org.alice).get(f"{API}/orders/{held.pk}/checks").json()
    assert [(r["code"], r["message"]) for r in checks[0]["reasons"]] == [
        ("frozen", "The customer's credit is frozen: 法院冻结账户")]
    # Cash is not credit: it goes ahead.
    assert order_confirm(user=org.alice, order=order_of(org, customer, "500", method="cash")).status == OrderStatus.CONFIRMED
    position = client_for(org.alice).get(f"{API}/accounts/{customer.pk}").json()
    assert (position["frozen"], position["frozen_reason"], position["exposure"]) == (True, "法院冻结账户", "1500.00")

    assert client_for(org.sid).post(f"{API}/accounts/{customer.pk}/unfreeze").status_code == 200
    assert order_confirm(user=org.alice, order=held).status == OrderStatus.CONFIRMED


def test_accounts_have_no_other_write_methods(org, world):
    client = client_for(org.ada)
    url = f"{API}/accounts/{world.customers['a'].pk}"
    assert client.delete(url).status_code == 405
    assert client.patch(url, {"frozen": True}, format="json").status_code == 405
    assert client.post(f"{API}/accounts", {"customer": world.customers["a"].pk}, format="json").status_code == 405
    assert client.get(f"{url}/freeze").status_code == 405


# ── utilisation snapshots ───────────────────────────────────────────────────────────────────


@pytest.fixture
def snapshots(world):
    """Three days of the daily review: one snapshot per limited customer and day."""
    today = timezone.localdate()
    days = [today - datetime.timedelta(days=n) for n in (2, 1, 0)]
    for day in days:
        services.credit_daily_review(today=day)
    assert UtilisationSnapshot.objects.count() == 9
    return days


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_role_sees_the_utilisation_of_its_customers_only(org, world, snapshots, who):
    client = client_for(org.users()[who])
    listed = rows(client.get(f"{API}/utilisation-snapshots"))
    assert {world.key_of_customer(r["customer"]) for r in listed} == SEES[who]
    assert len(listed) == 3 * len(SEES[who])
    for customer in world.customers.values():
        if world.key_of_customer(customer.pk) not in SEES[who]:
            assert rows(client.get(f"{API}/utilisation-snapshots", {"customer": customer.pk})) == []


def test_utilisation_filters_and_figures(org, world, snapshots):
    client = client_for(org.sam)
    first, middle, last = snapshots
    a = world.customers["a"]
    listed = rows(client.get(f"{API}/utilisation-snapshots", {"customer": a.pk}))
    assert [r["day"] for r in listed] == [last.isoformat(), middle.isoformat(), first.isoformat()]  # newest first
    assert {(r["exposure"], r["limit_amount"], r["utilisation_pct"]) for r in listed} == {("6000.00", "100000.00", "6.0")}
    window = rows(client.get(f"{API}/utilisation-snapshots", {"date_from": middle.isoformat(), "date_to": middle.isoformat()}))
    assert {(world.key_of_customer(r["customer"]), r["day"]) for r in window} == {("a", middle.isoformat()),
                                                                                   ("b", middle.isoformat())}
    since = rows(client.get(f"{API}/utilisation-snapshots", {"date_from": middle.isoformat(), "customer": a.pk}))
    assert [r["day"] for r in since] == [last.isoformat(), middle.isoformat()]
    until = rows(client.get(f"{API}/utilisation-snapshots", {"date_to": first.isoformat()}))
    assert {r["day"] for r in until} == {first.isoformat()} and len(until) == 2
    backwards = client.get(f"{API}/utilisation-snapshots", {"date_from": last.isoformat(), "date_to": first.isoformat()})
    assert backwards.status_code == 400
    assert backwards.json() == {"date_to": ["The end date is before the start date."]}
    assert client.get(f"{API}/utilisation-snapshots", {"date_from": "yesterday"}).status_code == 400


def test_utilisation_of_a_zero_limit_is_null(org, world):
    UtilisationSnapshot.objects.create(customer=world.customers["a"], day=timezone.localdate(), exposure=D("10"),
                                       limit_amount=D("0"))
    [row] = rows(client_for(org.alice).get(f"{API}/utilisation-snapshots"))
    assert (row["exposure"], row["utilisation_pct"]) == ("10.00", None)


def test_snapshots_are_read_only(org, world, snapshots):
    client = client_for(org.ada)
    assert client.post(f"{API}/utilisation-snapshots", {}, format="json").status_code == 405
    pk = UtilisationSnapshot.objects.first().pk
    assert client.delete(f"{API}/utilisation-snapshots/{pk}").status_code == 404  # no such route at all
