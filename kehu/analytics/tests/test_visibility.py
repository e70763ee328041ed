"""The Pareto report, its export and API, concentration and loss impact: each role sees its own
book (a rep their customers, a supervisor the team's, management everything)."""

import io
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook
from rest_framework.test import APIClient

from kehu.testing import make_customer

from .helpers import sale

pytestmark = pytest.mark.django_db

# Which owners' customers appear in each person's report.
EXPECTED = {
    "alice": {"alice"},
    "bob": {"bob"},
    "carol": {"carol"},
    "sam": {"alice", "bob"},
    "sue": {"carol"},
    "kim": set(),
    "cathy": {"alice", "bob", "carol"},
    "sid": {"alice", "bob", "carol"},
    "ada": {"alice", "bob", "carol"},
}


@pytest.fixture
def book(org):
    out = {}
    for index, name in enumerate(["alice", "bob", "carol"], start=1):
        c = make_customer(getattr(org, name), f"{name}客户有限公司", code=f"V{index}")
        sale(org, c, 100 * index)
        out[name] = c
    return out


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", list(EXPECTED))
def test_pareto_page_export_and_api_show_only_the_book(org, book, who):
    user = getattr(org, who)
    codes = {book[o].code for o in EXPECTED[who]}
    page = _client(user).get(reverse("analytics:pareto"))
    assert page.status_code == 200
    html = page.content.decode()
    for owner, c in book.items():
        assert (c.name in html) == (owner in EXPECTED[who]), (who, owner)
    export = _client(user).get(reverse("analytics:pareto_export"))
    assert export.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(export.content)).get_sheet_by_index(0).to_python()
    assert {row[1] for row in sheet[1:]} == codes
    api = APIClient()
    api.force_authenticate(user)
    data = api.get("/api/v1/reports/pareto").json()
    assert {r["code"] for r in data["rows"]} == codes
    conc = api.get("/api/v1/reports/concentration").json()
    assert conc[0]["region_id"] is None and conc[0]["customers"] == len(codes)


@pytest.mark.parametrize("who", list(EXPECTED))
def test_loss_impact_only_for_visible_customers(org, book, who):
    user = getattr(org, who)
    for owner, c in book.items():
        page = _client(user).get(reverse("analytics:loss_impact", args=[c.pk]))
        assert page.status_code == (200 if owner in EXPECTED[who] else 404), (who, owner)
        api = APIClient()
        api.force_authenticate(user)
        assert api.get(f"/api/v1/reports/loss-impact/{c.pk}").status_code == (200 if owner in EXPECTED[who] else 404)
        assert api.get(f"/api/v1/customers/{c.pk}/grades").status_code == (200 if owner in EXPECTED[who] else 404)


def test_pareto_scope_by_team_and_rep_and_bad_input(org, book):
    client = _client(org.sid)
    html = client.get(reverse("analytics:pareto"), {"scope": "team", "group": org.team_east.pk}).content.decode()
    assert book["alice"].name in html and book["carol"].name not in html
    html = client.get(reverse("analytics:pareto"), {"scope": "rep", "group": org.carol.pk}).content.decode()
    assert book["carol"].name in html and book["alice"].name not in html
    page = client.get(reverse("analytics:pareto"), {"as_of": "2026-02-31", "window": "0", "scope": "planet"})
    assert page.status_code == 200
    assert "is not a date" in page.content.decode() and "1 to 60 months" in page.content.decode()
    api = APIClient()
    api.force_authenticate(org.sid)
    assert api.get("/api/v1/reports/pareto", {"window": "0"}).status_code == 400
    # A rep asking for another team's scope still sees only their own book.
    html = _client(org.alice).get(reverse("analytics:pareto"), {"scope": "team", "group": org.team_north.pk}).content.decode()
    assert book["carol"].name not in html


def test_policy_page_admin_edits_others_read(org):
    assert _client(org.alice).get(reverse("analytics:policy")).status_code == 200
    assert _client(org.alice).post(reverse("analytics:policy"), {"window_months": "6"}).status_code == 403
    response = _client(org.ada).post(reverse("analytics:policy"), {
        "method": "share", "window_months": "6", "share_a": "70", "share_b": "90", "count_a": "20", "count_b": "50"})
    assert response.status_code == 302
    bad = _client(org.ada).post(reverse("analytics:policy"), {
        "method": "share", "window_months": "6", "share_a": "95", "share_b": "90", "count_a": "20", "count_b": "50"})
    assert bad.status_code == 200 and "must rise" in bad.content.decode()


def test_card_shows_grade_section_and_override_flow(org, book):
    c = book["alice"]
    html = _client(org.alice).get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "Override the grade" in html
    _client(org.alice).post(reverse("analytics:override_request", args=[c.pk]),
                            {"grade": "A", "reason": "战略", "expires_on": str(date.today() + timedelta(days=30))})
    bad = _client(org.alice).post(reverse("analytics:override_request", args=[c.pk]),
                                  {"grade": "A", "reason": "", "expires_on": "not a date"}, follow=True)
    assert "Give the reason" in bad.content.decode()
    html = _client(org.sam).get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "Approve" in html
    from kehu.analytics.models import GradeOverride

    o = GradeOverride.objects.get()
    assert _client(org.carol).post(reverse("analytics:override_decide", args=[o.pk]), {"approve": "1"}).status_code == 404
    assert _client(org.sam).post(reverse("analytics:override_decide", args=[o.pk]), {"approve": "1"}).status_code == 302
    c.refresh_from_db()
    assert c.abc_grade == "A"
