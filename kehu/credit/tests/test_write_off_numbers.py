"""A write-off's page for a number no database key holds is not found, not a server error."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "post"])
def test_write_off_number_past_any_key_is_not_found(client, org, method):
    client.force_login(org.cathy)
    response = getattr(client, method)(reverse("credit:write_off_detail", args=[99999999999999999999]))
    assert response.status_code == 404
