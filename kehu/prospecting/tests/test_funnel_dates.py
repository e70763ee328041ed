"""Yield by method over days at the calendar's ends is refused with a message, never a server error."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
MESSAGE = "Enter a date between 1900-01-01 and 2999-12-31."


@pytest.mark.parametrize("param, day", [("since", "9999-12-31"), ("until", "9999-12-31"), ("until", "0001-01-01")])
def test_yield_over_days_at_the_calendars_ends_is_refused(client, org, param, day):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(org.ada)
    response = api.get("/api/v1/prospecting/yield", {param: day})
    assert response.status_code == 400
    assert response.json() == {param: [MESSAGE]}
    client.force_login(org.ada)
    page = client.get(reverse("prospecting:funnel"), {param: day}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert MESSAGE in page.content.decode()
