"""Days at the calendar's ends (year 1, year 9999) are refused or read as today, never a server error:
plans, moves and adherence count weeks around a day, and there is no week after 9999-12-31."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.visits.models import PlanEntry, PlanKind
from kehu.visits.services import _plan_for, visit_check_in
from kehu.visits.tests.factories import graded_customer

pytestmark = pytest.mark.django_db
MESSAGE = "Enter a date between 1900-01-01 and 2999-12-31."


def _api(user) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(user)
    return api


def _entry(org) -> PlanEntry:
    today = datetime.date.today()
    plan = _plan_for(rep=org.alice, kind=PlanKind.WEEK, day=today)
    return PlanEntry.objects.create(plan=plan, customer=graded_customer(org.alice), date=today, grade="C", minutes=30)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_plan_for_a_day_at_the_calendars_end_is_refused(client, org, day):
    response = _api(org.alice).post("/api/v1/visits/plans", {"kind": "week", "day": day}, format="json")
    assert response.status_code == 400
    assert response.json() == {"day": [MESSAGE]}
    client.force_login(org.alice)
    page = client.post(reverse("visits:plan_list"), {"kind": "week", "day": day}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert MESSAGE in page.content.decode()


def test_a_visit_cannot_move_past_the_calendar(client, org):
    entry = _entry(org)
    response = _api(org.alice).post(f"/api/v1/visits/entries/{entry.pk}/move", {"date": "9999-12-31"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"date": [MESSAGE]}
    entry.refresh_from_db()
    assert entry.date == datetime.date.today()


@pytest.mark.parametrize("param", ["start", "end"])
def test_adherence_over_days_at_the_calendars_end_is_refused(org, param):
    response = _api(org.sam).get("/api/v1/visits/adherence", {param: "0001-01-01"})
    assert response.status_code == 400
    assert response.json() == {param: [MESSAGE]}


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_pages_read_a_day_at_the_calendars_end_as_today(client, org, day):
    client.force_login(org.alice)
    page = client.get(reverse("visits:day"), {"date": day})
    assert page.status_code == 200
    assert page.context["date"] == datetime.date.today()
    assert client.get(reverse("visits:adherence"), {"from": day, "to": day}).status_code == 200
    started = client.post(reverse("visits:day_start"), {"date": day, "appearance": "on", "skip_reason": "临时"})
    assert started.status_code in {302, 400}


def test_a_visit_log_naming_a_product_by_a_number_no_key_holds_says_so(client, org):
    visit = visit_check_in(user=org.alice, entry=_entry(org), lat=31.2, lng=121.5)
    client.force_login(org.alice)
    page = client.post(reverse("visits:visit_detail", args=[visit.pk]),
                       {"outcome": "order", "products": ["99999999999999999999"]}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert page.context["form"].errors["products"] == ["“99999999999999999999” is not a valid value."]
    assert not visit.products.exists()
