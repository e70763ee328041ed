"""C3: candidates by regional share or management's mark, a senior manager decides, the plan,
the health panel; C4 needs match; and who sees what."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.analytics.reports import concentration, loss_impact
from kehu.customers.models import Customer, CustomerNeed
from kehu.keyaccounts.models import (
    AccountPlan,
    CandidateReason,
    CandidateStatus,
    KeyAccountCandidate,
)
from kehu.keyaccounts.selectors import needs_match, region_shares
from kehu.keyaccounts.services import (
    candidate_decide,
    candidate_mark,
    candidates_refresh,
    plan_save,
    policy_update,
)
from kehu.ledger.services import order_confirm, order_create
from kehu.testing import make_customer

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 6)


def sale(org, customer, amount, day=datetime.date(2026, 10, 15)):
    order = order_create(user=customer.owner, customer=customer, order_date=day, payment_method="cash",
                         lines=[{"product": org.product, "quantity": "1", "unit_price": str(amount)}])
    return order_confirm(user=customer.owner, order=order)


@pytest.fixture
def east(org):
    """Twenty-one East customers: one with 60% of the region, twenty small ones with 2% each."""
    big = make_customer(org.alice, "大华机械有限公司", code="E00", region=org.east)
    sale(org, big, 6000)
    small = []
    for i in range(1, 21):
        c = make_customer(org.bob if i % 2 else org.alice, code=f"E{i:02d}", region=org.east)
        sale(org, c, 200)
        small.append(c)
    north = make_customer(org.carol, code="N01", region=org.north)
    sale(org, north, 100)
    return big, small, north


def test_region_share_candidates_threshold_and_idempotent(org, east):
    big, small, north = east
    shares = region_shares(today=TODAY, window_months=12)
    assert shares[big.pk] == Decimal(60) and shares[north.pk] == Decimal(100)
    assert candidates_refresh(today=TODAY) == 2  # big (60%) and the only North customer (100%)
    assert candidates_refresh(today=TODAY) == 0
    assert set(KeyAccountCandidate.objects.values_list("customer__code", flat=True)) == {"E00", "N01"}
    policy_update(user=org.ada, data={"share_threshold_pct": Decimal("1.5")})
    assert candidates_refresh(today=TODAY) == 20  # each small one holds 2%
    with pytest.raises(PermissionDenied):
        policy_update(user=org.sid, data={"share_threshold_pct": 3})


def test_mark_confirm_decline_and_nobody_decides_own(org, east):
    big, small, north = east
    with pytest.raises(PermissionDenied):
        candidate_mark(user=org.alice, customer=small[0])  # a rep is not management
    marked = candidate_mark(user=org.sid, customer=small[0], note="战略合作")
    assert marked.reason == CandidateReason.MARKED and marked.region_share_pct == Decimal("2.00")
    with pytest.raises(ValidationError):
        candidate_mark(user=org.ada, customer=small[0])  # already waiting
    with pytest.raises(PermissionDenied):
        candidate_decide(user=org.sid, candidate=marked, confirm=True, manager=org.kim, sponsor=org.sid)
    with pytest.raises(PermissionDenied):
        candidate_decide(user=org.kim, candidate=marked, confirm=True, manager=org.kim, sponsor=org.sid)
    candidates_refresh(today=TODAY)
    cand = KeyAccountCandidate.objects.get(customer=big)
    sid2 = type(org.sid).objects.create(username="sid2", role="senior")
    with pytest.raises(ValidationError) as err:
        candidate_decide(user=org.sid, candidate=cand, confirm=True, manager=org.alice, sponsor=None)
    assert set(err.value.message_dict) == {"key_account_manager", "key_account_sponsor"}
    cand = candidate_decide(user=org.sid, candidate=cand, confirm=True, manager=org.kim.pk, sponsor=org.sid.pk)
    big.refresh_from_db()
    assert cand.status == CandidateStatus.CONFIRMED and big.is_key_account
    assert (big.key_account_manager, big.key_account_sponsor) == (org.kim, org.sid)
    assert AccountPlan.objects.filter(customer=big).exists()
    declined = candidate_decide(user=sid2, candidate=marked, confirm=False, note="份额太小")
    assert declined.status == CandidateStatus.DECLINED and not Customer.objects.get(pk=small[0].pk).is_key_account
    assert candidates_refresh(today=TODAY) == 0  # decided ones are not proposed again


def test_plan_edit_rights_and_validation(org, east):
    big = east[0]
    candidates_refresh(today=TODAY)
    candidate_decide(user=org.sid, candidate=KeyAccountCandidate.objects.get(customer=big), confirm=True,
                     manager=org.kim, sponsor=org.sid)
    big.refresh_from_db()
    plan = plan_save(user=org.kim, customer=big, data={"goals": "年销量翻番", "our_share_pct": 40,
                                                        "senior_visit_every_days": 60})
    assert plan.goals == "年销量翻番" and plan.our_share_pct == 40
    with pytest.raises(ValidationError) as err:
        plan_save(user=org.kim, customer=big, data={"our_share_pct": 140})
    assert "our_share_pct" in err.value.message_dict
    assert AccountPlan.objects.get(customer=big).our_share_pct == 40  # nothing half-saved
    for outsider in (org.alice, org.sam, org.cathy):
        with pytest.raises(PermissionDenied):
            plan_save(user=outsider, customer=big, data={"goals": "x"})


def test_concentration_and_loss_impact(org, east):
    big, small, north = east
    rows = concentration(user=org.sid, as_of=TODAY, window_months=12)
    company = rows[0]
    assert company.region_id is None and company.customers == 22 and company.total == Decimal("10100.00")
    assert company.top1 == round(100 * 6000 / 10100, 2)
    assert company.top5 == round(100 * 6800 / 10100, 2)
    east_row = next(r for r in rows if r.region_id == org.east.pk)
    assert east_row.top1 == 60.0 and east_row.hhi == round((0.6 ** 2 + 20 * 0.02 ** 2) * 10000, 1)
    impact = loss_impact(customer=big, as_of=TODAY, window_months=12)
    assert impact.region_drop_pct == 60.0 and impact.company_drop_pct == round(100 * 6000 / 10100, 2)
    assert [p["user"] for p in impact.people] == [org.alice] and impact.teams[0]["team"] == org.team_east
    # Without the big one the rest are nearly equal: many grades move.
    assert impact.grade_moves > 0


def test_loss_impact_moves_the_grades_the_company_grading_would(org, east):
    # The grades that move are those of the company's own grading with and without the customer.
    from django.db.models import Q

    from kehu.analytics.services import abc_compute

    big, small, north = east
    for lost in (big, small[0], north):
        impact = loss_impact(customer=lost, as_of=TODAY, window_months=12)
        before = {r.id: r.grade for r in abc_compute(as_of=TODAY, window_months=12).rows}
        after = {r.id: r.grade for r in abc_compute(as_of=TODAY, window_months=12, customers=~Q(pk=lost.pk)).rows}
        moved = {pk: (before[pk], g) for pk, g in after.items() if before[pk] != g}
        assert impact.grade_moves == len(moved)
        assert {m["customer"].pk: (m["before"], m["after"]) for m in impact.moves} == dict(list(moved.items())[:50])


def test_needs_match_computes_our_share(org, east):
    big = east[0]
    CustomerNeed.objects.create(customer=big, category="engine_oil", monthly_volume=Decimal("10"), unit="L",
                                current_supplier="壳牌")
    CustomerNeed.objects.create(customer=big, category="grease", monthly_volume=None, our_share_pct=30)
    rows = needs_match(customer=big, today=TODAY)
    engine = next(r for r in rows if r["need"].category == "engine_oil")
    # One drum of 18 L against 120 L a year: 15%.
    assert engine["yearly"] == Decimal("120") and engine["ours"] == Decimal("18.000") and engine["share"] == 15.0
    assert engine["unmet"] == Decimal("102.000") and engine["computed"]
    grease = next(r for r in rows if r["need"].category == "grease")
    assert grease["share"] == 30 and not grease["computed"]
    html = _client(org.alice).get(reverse("customers:detail", args=[big.pk])).content.decode()
    assert "Needs match" in html and "壳牌" in html


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


KEY_SEES = {"alice": True, "bob": False, "carol": False, "sam": True, "sue": False, "kim": True, "cathy": True,
            "sid": True, "ada": True}


@pytest.mark.parametrize("who", list(KEY_SEES))
def test_key_account_pages_and_api_visibility(org, east, who):
    big = east[0]
    candidates_refresh(today=TODAY)
    candidate_decide(user=org.sid, candidate=KeyAccountCandidate.objects.get(customer=big), confirm=True,
                     manager=org.kim, sponsor=org.sid)
    user = getattr(org, who)
    client = _client(user)
    assert client.get(reverse("keyaccounts:list")).status_code == 200
    page = client.get(reverse("keyaccounts:detail", args=[big.pk]))
    assert page.status_code == (200 if KEY_SEES[who] else 404)
    api = APIClient()
    api.force_authenticate(user)
    assert api.get(f"/api/v1/key-accounts/{big.pk}/plan").status_code == (200 if KEY_SEES[who] else 404)
    assert api.get(f"/api/v1/key-accounts/{big.pk}/health").status_code == (200 if KEY_SEES[who] else 404)
    listed = {row["id"] for row in api.get("/api/v1/key-accounts").json()}
    assert (big.pk in listed) == KEY_SEES[who]
    can_edit = who in {"kim", "sid", "ada"}
    response = api.patch(f"/api/v1/key-accounts/{big.pk}/plan", {"risks": "竞争对手降价"}, format="json")
    assert response.status_code == (200 if can_edit else 403 if KEY_SEES[who] else 404)


def test_candidate_api_mark_and_decide(org, east):
    small = east[1][0]
    api = APIClient()
    api.force_authenticate(org.alice)
    assert api.post("/api/v1/key-accounts/candidates", {"customer": small.pk}, format="json").status_code == 403
    api.force_authenticate(org.kim)  # the key-account manager sees only key accounts and their own book
    assert api.post("/api/v1/key-accounts/candidates", {"customer": small.pk}, format="json").status_code == 404
    api.force_authenticate(org.ada)
    created = api.post("/api/v1/key-accounts/candidates", {"customer": small.pk, "note": "n"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    api.force_authenticate(org.sid)
    bad = api.post(f"/api/v1/key-accounts/candidates/{pk}/decide", {"confirm": True}, format="json")
    assert bad.status_code == 400
    ok = api.post(f"/api/v1/key-accounts/candidates/{pk}/decide",
                  {"confirm": True, "manager": org.kim.pk, "sponsor": org.sid.pk}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    page = _client(org.sid).get(reverse("keyaccounts:detail", args=[small.pk]))
    assert page.status_code == 200 and "Account plan" in page.content.decode()


def test_policy_page_admin_only_and_bad_input(org):
    from kehu.keyaccounts.models import KeyAccountPolicy

    data = {"share_threshold_pct": "8", "window_months": "6", "senior_visit_every_days": "60"}
    assert _client(org.sid).post(reverse("keyaccounts:policy"), data).status_code == 403
    assert _client(org.ada).post(reverse("keyaccounts:policy"), data).status_code == 302
    bad = _client(org.ada).post(reverse("keyaccounts:policy"), {**data, "window_months": "0"}, follow=True)
    assert bad.status_code == 200 and KeyAccountPolicy.objects.count() == 1
    policy = KeyAccountPolicy.objects.get()
    assert (policy.share_threshold_pct, policy.window_months, policy.senior_visit_every_days) == (8, 6, 60)
    assert "Change the key-account policy" in _client(org.ada).get(reverse("keyaccounts:list")).content.decode()
    assert "Change the key-account policy" not in _client(org.sid).get(reverse("keyaccounts:list")).content.decode()


def test_health_panel_shows_the_last_visits_from_field_work(org, east):
    from django.utils import timezone

    from kehu.visits.models import EntryKind, PlanKind
    from kehu.visits.services import plan_generate, visit_check_in, visit_log

    big = east[0]
    candidates_refresh(today=TODAY)
    candidate_decide(user=org.sid, candidate=KeyAccountCandidate.objects.get(customer=big), confirm=True,
                     manager=org.kim, sponsor=org.sid)
    url = reverse("keyaccounts:detail", args=[big.pk])
    html = _client(org.kim).get(url).content.decode()
    assert "Last visits" in html and "never visited" in html and "<dd>none yet</dd>" in html
    visit = visit_check_in(user=org.alice, customer=big)
    visit_log(user=org.alice, visit=visit, outcome="progress", next_step="送液压油样品")
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=timezone.localdate())
    with_sponsor = visit_check_in(user=org.sid, entry=plan.entries.get(customer=big, kind=EntryKind.SENIOR))
    for who in ("kim", "sid", "ada"):
        html = _client(getattr(org, who)).get(url).content.decode()
        assert "送液压油样品" in html and "never visited" not in html
        assert (f"<dt>Last visit with the senior manager</dt><dd>{timezone.localtime(with_sponsor.checked_in_at):%Y-%m-%d}"
                f" · {org.sid}</dd>") in html
