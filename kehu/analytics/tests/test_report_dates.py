"""A report's as-of date at the calendar's start falls back to today with a message, never a
server error (the window counts months back from it)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.testing import make_customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["analytics:pareto", "analytics:concentration", "analytics:pareto_export"])
def test_report_pages_use_today_for_a_date_at_the_calendars_start(client, org, name):
    client.force_login(org.sam)
    response = client.get(reverse(name), {"as_of": "0001-01-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    if name != "analytics:pareto_export":
        assert ("The date is not a date (YYYY-MM-DD) between 1900-01-01 and 2999-12-31; today is used."
                in response.content.decode())


def test_loss_impact_page_uses_today_for_a_date_at_the_calendars_start(client, org):
    customer = make_customer(org.alice)
    client.force_login(org.sam)
    response = client.get(reverse("analytics:loss_impact", args=[customer.pk]), {"as_of": "0001-01-01"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/reports/pareto", "/api/v1/reports/concentration"])
def test_report_api_refuses_a_date_at_the_calendars_start(org, path):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(org.sam)
    response = api.get(path, {"as_of": "0001-01-01"})
    assert response.status_code == 400
    assert response.json() == {"as_of": ["Enter a date between 1900-01-01 and 2999-12-31."]}
