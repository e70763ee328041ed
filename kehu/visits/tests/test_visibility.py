"""Who sees which field work, page by page, endpoint by endpoint (and the day sheet PDF)."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.visits.models import DayStart, PlanKind
from kehu.visits.services import plan_generate, plan_submit, visit_check_in
from kehu.visits.tests.factories import graded_customer

DAY = datetime.date(2026, 11, 26)
NOW = datetime.datetime(2026, 11, 26, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
EVERYONE = ("alice", "bob", "carol", "sam", "sue", "kim", "cathy", "sid", "ada")
# Whose field work each person sees (alice's: a rep's own, her supervisor's, and those who see all).
SEES_ALICE = {"alice", "sam", "cathy", "sid", "ada"}


@pytest.fixture
def work(org):
    customer = graded_customer(org.alice, "A")
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=DAY)
    plan_submit(user=org.alice, plan=plan)
    entry = plan.entries.first()
    visit = visit_check_in(user=org.alice, entry=entry, lat=float(customer.lat), lng=float(customer.lng))
    return {"customer": customer, "plan": plan, "entry": entry, "visit": visit}


def _client(client, org, name):
    client.force_login(getattr(org, name))
    return client


@pytest.mark.parametrize("name", EVERYONE)
def test_plan_and_visit_pages_by_role(client, org, work, name):
    c = _client(client, org, name)
    plan = c.get(reverse("visits:plan_detail", args=[work["plan"].pk]))
    visit = c.get(reverse("visits:visit_detail", args=[work["visit"].pk]))
    expected = 200 if name in SEES_ALICE else 404
    assert (plan.status_code, visit.status_code) == (expected, expected)
    listing = c.get(reverse("visits:visit_list")).content.decode()
    assert (work["customer"].name in listing) == (name in SEES_ALICE)
    plans = c.get(reverse("visits:plan_list")).content.decode()
    assert (f'href="/visits/plans/{work["plan"].pk}/"' in plans) == (name in SEES_ALICE)


@pytest.mark.parametrize("name", EVERYONE)
def test_day_map_adherence_policy_pages_open_for_everyone(client, org, work, name):
    c = _client(client, org, name)
    for url in ("visits:day", "visits:map", "visits:adherence", "visits:policy", "visits:plan_list", "visits:visit_list"):
        assert c.get(reverse(url)).status_code == 200, url


@pytest.mark.parametrize("name", EVERYONE)
def test_someone_elses_day_and_map(client, org, work, name):
    c = _client(client, org, name)
    day = c.get(reverse("visits:day"), {"rep": org.alice.pk, "date": DAY.isoformat()})
    assert day.status_code == (200 if name in SEES_ALICE else 404)
    points = c.get(reverse("visits:map"), {"rep": org.alice.pk}).status_code
    assert points == day.status_code


@pytest.mark.parametrize("name", EVERYONE)
def test_day_sheet_pdf_by_role(client, org, work, name):
    c = _client(client, org, name)
    response = c.get(reverse("visits:day_sheet"), {"rep": org.alice.pk, "date": work["entry"].date.isoformat()})
    visible_person = name in SEES_ALICE
    assert response.status_code == (200 if visible_person else 404)
    if visible_person:
        assert response["Content-Type"] == "application/pdf" and response.content[:4] == b"%PDF"


@pytest.mark.parametrize("name", EVERYONE)
def test_supervisors_team_start_panel(client, org, name):
    DayStart.objects.create(rep=org.alice, date=DAY, skip_reason="车坏了", started_at=NOW)
    c = _client(client, org, name)
    body = c.get(reverse("visits:day"), {"date": DAY.isoformat()}).content.decode()
    team = body.split('id="team"', 1)[1] if 'id="team"' in body else ""
    assert ("车坏了" in team) == (name in {"sam", "sid", "ada"})


@pytest.mark.parametrize("name", EVERYONE)
def test_only_the_admin_changes_the_policy(client, org, name):
    c = _client(client, org, name)
    response = c.post(reverse("visits:policy"), {"a_per_month": 5})
    assert response.status_code == (400 if name == "ada" else 403)  # ada's form lacks fields: shown again


@pytest.mark.parametrize("name", EVERYONE)
def test_plan_approval_through_the_page(client, org, work, name):
    c = _client(client, org, name)
    response = c.post(reverse("visits:plan_action", args=[work["plan"].pk, "approve"]))
    work["plan"].refresh_from_db()
    if name in {"sam", "sid", "ada"}:
        assert response.status_code == 302 and work["plan"].status == "approved"
    elif name in SEES_ALICE:  # alice herself, cathy: refused
        assert response.status_code == 403 and work["plan"].status == "submitted"
    else:
        assert response.status_code == 404 and work["plan"].status == "submitted"


def test_anonymous_is_sent_to_log_in(client, work):
    for url in (reverse("visits:day"), reverse("visits:map"), reverse("visits:day_sheet"),
                reverse("visits:plan_detail", args=[work["plan"].pk])):
        assert client.get(url).status_code == 302


# --- the API -------------------------------------------------------------------------------------


def _api(org, name) -> APIClient:
    api = APIClient()
    api.force_authenticate(getattr(org, name))
    return api


@pytest.mark.parametrize("name", EVERYONE)
def test_api_plans_entries_logs_by_role(org, work, name):
    api = _api(org, name)
    sees = name in SEES_ALICE
    assert api.get(f"/api/v1/visits/plans/{work['plan'].pk}").status_code == (200 if sees else 404)
    assert api.get(f"/api/v1/visits/logs/{work['visit'].pk}").status_code == (200 if sees else 404)
    assert api.get(f"/api/v1/visits/entries/{work['entry'].pk}").status_code == (200 if sees else 404)
    ids = [p["id"] for p in api.get("/api/v1/visits/plans").json()["results"]]
    assert (work["plan"].pk in ids) == sees
    logs = [v["id"] for v in api.get("/api/v1/visits/logs").json()["results"]]
    assert (work["visit"].pk in logs) == sees
    adherence = api.get("/api/v1/visits/adherence", {"start": "2026-11-01", "end": "2026-11-30"})
    assert adherence.status_code == 200
    assert any(r["rep"] == org.alice.pk for r in adherence.json()["rows"]) == sees
    assert api.get("/api/v1/visits/policies").status_code == 200


@pytest.mark.parametrize("name", EVERYONE)
def test_api_decide_and_comment_by_role(org, work, name):
    api = _api(org, name)
    decided = api.post(f"/api/v1/visits/plans/{work['plan'].pk}/decide", {"approve": True}, format="json")
    commented = api.post(f"/api/v1/visits/logs/{work['visit'].pk}/comment", {"text": "不错"}, format="json")
    allowed = {"sam", "sid", "ada"}
    if name in allowed:
        assert (decided.status_code, commented.status_code) == (200, 200)
    elif name in SEES_ALICE:
        assert (decided.status_code, commented.status_code) == (403, 403)
    else:
        assert (decided.status_code, commented.status_code) == (404, 404)


@pytest.mark.parametrize("name", EVERYONE)
def test_api_policy_change_is_the_admins(org, name):
    response = _api(org, name).post("/api/v1/visits/policies", {"a_per_month": 5}, format="json")
    assert response.status_code == (201 if name == "ada" else 403)


@time_machine.travel(NOW)
def test_api_day_start_route_check_in_and_log(org):
    customer = graded_customer(org.alice, "A")
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=DAY)
    entry = plan.entries.first()
    api = _api(org, "alice")
    refused = api.post("/api/v1/visits/day/start", {"date": DAY.isoformat(), "ticked": ["appearance"]}, format="json")
    assert refused.status_code == 400 and "skip_reason" in refused.json()
    started = api.post("/api/v1/visits/day/start", {"date": DAY.isoformat(), "ticked": list(DayStart.ITEMS)}, format="json")
    assert started.status_code == 201 and started.json()["complete"]
    route = api.post("/api/v1/visits/day/route", {"date": entry.date.isoformat()}, format="json")
    assert route.status_code == 200 and set(route.json()) >= {"route", "skipped", "cost"}
    checked = api.post("/api/v1/visits/logs", {"entry": entry.pk, "lat": float(customer.lat) + 0.02,
                                               "lng": float(customer.lng)}, format="json")
    assert checked.status_code == 201 and checked.json()["far"] is True
    visit_id = checked.json()["id"]
    assert api.post(f"/api/v1/visits/logs/{visit_id}/log", {"outcome": "maybe"}, format="json").status_code == 400
    logged = api.post(f"/api/v1/visits/logs/{visit_id}/log", {"outcome": "progress", "next_step": "报价",
                                                              "next_step_on": "2026-12-02"}, format="json")
    assert logged.status_code == 200 and logged.json()["outcome"] == "progress"
    assert _api(org, "bob").post(f"/api/v1/visits/logs/{visit_id}/log", {"outcome": "progress"},
                                 format="json").status_code == 404
    assert _api(org, "bob").post("/api/v1/visits/logs", {"entry": entry.pk}, format="json").status_code == 404


# Who may change alice's customer's card (and so its opening hours); who sees the card at all.
EDITS_ALICE = {"alice", "sam", "sid", "ada"}


@pytest.mark.parametrize("name", EVERYONE)
def test_card_section_and_opening_hours_by_role(client, org, work, name):
    from kehu.visits.models import OpeningHours

    c = _client(client, org, name)
    card = c.get(reverse("customers:detail", args=[work["customer"].pk]))
    assert card.status_code == (200 if name in SEES_ALICE else 404)
    if card.status_code == 200:
        assert 'id="visits"' in card.content.decode()
    response = c.post(reverse("visits:opening_hours", args=[work["customer"].pk]), {"windows": "08:30-12:00,13:30-17:00"})
    if name in EDITS_ALICE:
        assert response.status_code == 302
        assert OpeningHours.objects.get(customer=work["customer"]).windows == "08:30-12:00,13:30-17:00"
    else:
        assert response.status_code == (403 if name in SEES_ALICE else 404)
        assert not OpeningHours.objects.exists()


@pytest.mark.parametrize("name", EVERYONE)
def test_adherence_export_by_role(client, org, work, name):
    from kehu.visits.models import PlanEntry

    PlanEntry.objects.filter(pk=work["entry"].pk).update(status="done")
    c = _client(client, org, name)
    response = c.get(reverse("visits:adherence"), {"from": "2026-11-01", "to": "2026-11-30", "format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert (str(org.alice) in body) == (name in SEES_ALICE)
    xlsx = c.get(reverse("visits:adherence"), {"from": "2026-11-01", "to": "2026-11-30", "format": "xlsx"})
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"


@pytest.mark.parametrize("name", EVERYONE)
def test_geocoding_start_and_progress_by_role(client, org, name):
    """Only an administrator starts geocoding or watches its run; everyone else is refused both."""
    from kehu.core import jobs
    from kehu.customers.tasks import JOB_KIND
    from kehu.customers.tasks import geocode as geocode_task

    run = jobs.start(kind=JOB_KIND, user=org.ada, task=geocode_task)
    c = _client(client, org, name)
    start = c.post(reverse("visits:geocode"))
    progress = c.get(reverse("visits:geocode_progress", args=[run.pk]))
    if name == "ada":
        assert (start.status_code, progress.status_code) == (302, 200)
    else:
        assert (start.status_code, progress.status_code) == (403, 403)
