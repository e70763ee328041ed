"""Every prospecting page and endpoint, per role: who sees what, who may change what."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.customers.models import Customer, SourceMethod
from kehu.prospecting import services
from kehu.prospecting.models import HandoverRequest, SharedPoolEntry
from kehu.testing import make_customer

pytestmark = pytest.mark.django_db
ROLES = ["alice", "bob", "carol", "sam", "sue", "kim", "cathy", "sid", "ada"]
OWNERS = {"alice", "bob", "carol", "sam", "sue", "kim"}  # roles that own prospects
FUTURE = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()


@pytest.fixture
def world(org):
    show = services.exhibition_create(user=org.alice, data={"name": "展会", "starts_on": datetime.date(2026, 11, 1),
                                                            "ends_on": datetime.date(2026, 11, 2)})
    campaign = services.campaign_create(user=org.alice, data={"name": "纺织业", "industry": org.industry})
    prospect = services.prospect_file(user=org.alice, method=SourceMethod.EXHIBITION,
                                      company={"name": "艾丽的潜客有限公司"}, origin={"exhibition": show})
    given_up = services.prospect_file(user=org.alice, method=SourceMethod.INBOUND, company={"name": "放弃的潜客有限公司"})
    services.decision_set(user=org.alice, customer=given_up, decision="give_up", reason="无需求")
    return org, show, campaign, prospect, given_up


@pytest.mark.parametrize("name", ROLES)
def test_pages_open_to_everyone_signed_in_show_only_their_rows(client, world, name):
    org, show, campaign, prospect, given_up = world
    client.force_login(getattr(org, name))
    for url in [reverse("prospecting:home"), reverse("prospecting:exhibitions"), reverse("prospecting:exhibition", args=[show.pk]),
                reverse("prospecting:campaigns"), reverse("prospecting:campaign", args=[campaign.pk]),
                reverse("prospecting:clipping_new"), reverse("prospecting:former"),
                reverse("prospecting:method_new", args=["referral"]), reverse("prospecting:pool"),
                reverse("prospecting:requests"), reverse("prospecting:funnel")]:
        response = client.get(url)
        assert response.status_code == 200, url
    home = client.get(reverse("prospecting:home")).content.decode()
    assert ("艾丽的潜客有限公司" in home) == (name in {"alice", "sam", "cathy", "sid", "ada"})
    pool = client.get(reverse("prospecting:pool")).content.decode()
    assert ("放弃的潜客有限公司" in pool) == (name in {"alice", "bob", "sam", "cathy", "sid", "ada"})
    assert client.get(reverse("prospecting:method_new", args=["exhibition"])).status_code == 404


@pytest.mark.parametrize("name", ROLES)
def test_colour_and_decision_pages(client, world, name):
    org, _show, _campaign, prospect, _given_up = world
    client.force_login(getattr(org, name))
    sees = name in {"alice", "sam", "cathy", "sid", "ada"}
    edits = name in {"alice", "sam", "sid", "ada"}
    for view in ("prospecting:colour", "prospecting:decision", "prospecting:revive"):
        assert client.get(reverse(view, args=[prospect.pk])).status_code == (200 if edits else 403 if sees else 404)
    response = client.post(reverse("prospecting:colour", args=[prospect.pk]), {"colour": "yellow", "reason": "报价"})
    prospect.refresh_from_db()
    assert (prospect.colour == "yellow") == edits
    assert response.status_code == (302 if edits else 403 if sees else 404)


def test_card_shows_origin_and_history(client, world):
    org, show, _campaign, prospect, _given_up = world
    client.force_login(org.alice)
    card = client.get(reverse("customers:detail", args=[prospect.pk])).content.decode()
    assert "展会" in card and "id=\"prospecting\"" in card


def test_claim_through_the_page_per_role(client, world):
    org, *_rest, given_up = world
    entry = SharedPoolEntry.objects.get(customer=given_up)
    for name in ("carol", "sue", "kim"):
        client.force_login(getattr(org, name))
        assert client.post(reverse("prospecting:claim", args=[entry.pk])).status_code == 404
    for name in ("cathy", "sid", "ada", "alice"):
        client.force_login(getattr(org, name))
        client.post(reverse("prospecting:claim", args=[entry.pk]))
        entry.refresh_from_db()
        assert entry.claimed_by is None, name
    client.force_login(org.bob)
    assert client.post(reverse("prospecting:claim", args=[entry.pk])).status_code == 302
    assert Customer.objects.get(pk=given_up.pk).owner == org.bob


def test_quick_entry_with_duplicate_shows_owner_and_ask(client, world):
    org, show, *_ = world
    make_customer(org.carol, "北京燕山石化机械有限公司")
    client.force_login(org.bob)
    url = reverse("prospecting:exhibition", args=[show.pk])
    response = client.post(url, {"name": "燕山石化机械（北京）有限公司", "booth": "A1"})
    body = response.content.decode()
    existing = Customer.objects.get(name="北京燕山石化机械有限公司")
    assert response.status_code == 200 and "卡罗" in body and reverse("prospecting:ask", args=[existing.pk]) in body
    assert Customer.objects.filter(owner=org.bob).count() == 0
    assert client.post(reverse("prospecting:ask", args=[existing.pk]), {"next": url}).status_code == 302
    assert HandoverRequest.objects.get().requested_by == org.bob
    client.post(url, {"name": "燕山石化机械（北京）有限公司", "booth": "A1", "different_company": "on"})
    assert Customer.objects.filter(owner=org.bob).count() == 1


@pytest.mark.parametrize("name", ROLES)
def test_requests_decided_only_by_the_owners_supervisor_or_seniors(client, world, name):
    org, *_rest = world
    existing = make_customer(org.carol, "卡罗的客户有限公司")
    request = services.handover_request(user=org.bob, customer=existing)
    client.force_login(getattr(org, name))
    client.post(reverse("prospecting:decide", args=[request.pk]), {"approve": "1"})
    request.refresh_from_db()
    assert (request.status == "approved") == (name in {"sue", "sid", "ada"})


# ── API ──────────────────────────────────────────────────────────────────────────────────────

def api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_api_duplicates_and_filing(world):
    org, show, *_ = world
    make_customer(org.carol, "天津港机械有限公司", phone="022-23456789")
    found = api(org.alice).get("/api/v1/prospecting/duplicates", {"phone": "02223456789"}).json()
    assert found[0]["owner_name"] == "卡罗" and found[0]["reasons"] == ["phone"]
    conflict = api(org.alice).post("/api/v1/prospecting/prospects", {"method": "exhibition", "name": "天津港机械（天津）有限公司",
                                                                      "exhibition": show.pk}, format="json")
    assert conflict.status_code == 409 and conflict.json()["duplicates"][0]["owner_name"] == "卡罗"
    created = api(org.alice).post("/api/v1/prospecting/prospects", {"method": "exhibition", "name": "新面孔有限公司",
                                                                     "exhibition": show.pk, "booth": "B2"}, format="json")
    assert created.status_code == 201 and created.json()["colour"] == "green"
    assert api(org.cathy).post("/api/v1/prospecting/prospects", {"method": "inbound", "name": "财务不建潜客有限公司"},
                               format="json").status_code == 403


@pytest.mark.parametrize("name", ROLES)
def test_api_colour_decision_pool_per_role(world, name):
    org, _show, _campaign, prospect, given_up = world
    user = getattr(org, name)
    sees = name in {"alice", "sam", "cathy", "sid", "ada"}
    edits = name in {"alice", "sam", "sid", "ada"}
    r = api(user).post(f"/api/v1/prospecting/prospects/{prospect.pk}/colour", {"colour": "yellow", "reason": "报价"}, format="json")
    assert r.status_code == (200 if edits else 403 if sees else 404)
    r = api(user).post(f"/api/v1/prospecting/prospects/{prospect.pk}/decision",
                       {"decision": "low_cadence", "reason": "明年", "review_on": FUTURE}, format="json")
    assert r.status_code == (200 if edits else 403 if sees else 404)
    pool = api(user).get("/api/v1/prospecting/pool").json()
    assert bool(pool) == (name in {"alice", "bob", "sam", "cathy", "sid", "ada"})
    status = api(user).get("/api/v1/prospecting/pool-status")
    assert status.status_code == 200
    entry = SharedPoolEntry.objects.get(customer=given_up)
    claim = api(user).post(f"/api/v1/prospecting/pool/{entry.pk}/claim")
    assert claim.status_code == (200 if name in {"bob", "sam"} else 404 if not pool else 403)


def test_api_bad_input_is_a_clear_400(world):
    org, _show, _campaign, prospect, _given_up = world
    r = api(org.alice).post(f"/api/v1/prospecting/prospects/{prospect.pk}/decision",
                            {"decision": "continue", "reason": "x"}, format="json")
    assert r.status_code == 400 and "review_on" in r.json()
