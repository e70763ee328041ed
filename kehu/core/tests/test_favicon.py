"""Every page's icon is Kehu's own: /favicon.ico answers, and pages link to the icon they use."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse


@pytest.mark.django_db
def test_favicon_is_served_to_anyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # the ICO signature
    assert body == open(finders.find("kehu/favicon.ico"), "rb").read()
    assert "max-age" in response["Cache-Control"]


@pytest.mark.django_db
def test_pages_link_their_icon(client, org):
    login = client.get(reverse("login"))
    assert 'rel="icon"' in login.content.decode()
    client.force_login(org.alice)
    page = client.get(reverse("ledger:order_list")).content.decode()
    assert 'rel="icon" href="/static/kehu/favicon.ico"' in page
