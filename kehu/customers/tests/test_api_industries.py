"""API for industries: everyone signed in reads them, only administrators change them."""

import pytest
from rest_framework.test import APIClient

from kehu.customers.models import Industry


def client_for(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_everyone_reads_industries_only_admins_change_them(org):
    for who, user in org.users().items():
        client = client_for(user)
        assert codes(client.get("/api/v1/industries")) == ["MFG"], who
        assert client.get(f"/api/v1/industries/{org.industry.pk}").json()["name"] == "机械制造", who
        created = client.post("/api/v1/industries", {"code": f"X-{who}", "name": "物流"}, format="json")
        changed = client.patch(f"/api/v1/industries/{org.industry.pk}", {"sunset": True}, format="json")
        if who == "ada":
            assert (created.status_code, changed.status_code) == (201, 200)
        else:
            assert (created.status_code, changed.status_code) == (403, 403), who
            assert created.json() == {"detail": "Only administrators change users, teams, regions and industries."}
    assert list(Industry.objects.filter(code__startswith="X-").values_list("code", flat=True)) == ["X-ada"]
    assert client_for().get("/api/v1/industries").status_code == 401


def test_admin_adds_and_changes_an_industry(org, django_user_model):
    admin = client_for(org.ada)
    created = admin.post("/api/v1/industries", {"code": " LOG ", "name": " 物流运输 ", "name_en": "Logistics"},
                         format="json")
    assert created.status_code == 201, created.content
    assert {k: created.json()[k] for k in ("code", "name", "name_en", "sunset")} == {
        "code": "LOG", "name": "物流运输", "name_en": "Logistics", "sunset": False}
    changed = admin.put(f"/api/v1/industries/{created.json()['id']}",
                        {"code": "LOG", "name": "物流", "sunset": True}, format="json")
    assert changed.status_code == 200, changed.content
    industry = Industry.objects.get(code="LOG")
    assert (industry.name, industry.name_en, industry.sunset) == ("物流", "Logistics", True)

    # An administrator by role, not a superuser, may too.
    other_admin = django_user_model.objects.create(username="adam", role="admin")
    assert client_for(other_admin).patch(f"/api/v1/industries/{industry.pk}", {"name": "物流业"},
                                         format="json").status_code == 200


def test_industry_filters_and_order(org):
    Industry.objects.create(code="COAL", name="煤炭开采", name_en="Coal mining", sunset=True)
    Industry.objects.create(code="AUTO", name="汽车制造", name_en="Automotive")
    client = client_for(org.alice)
    assert codes(client.get("/api/v1/industries")) == ["AUTO", "COAL", "MFG"]
    assert codes(client.get("/api/v1/industries?ordering=-code")) == ["MFG", "COAL", "AUTO"]
    assert codes(client.get("/api/v1/industries?sunset=true")) == ["COAL"]
    assert codes(client.get("/api/v1/industries?sunset=false")) == ["AUTO", "MFG"]
    assert codes(client.get("/api/v1/industries?q=制造")) == ["AUTO", "MFG"]
    assert codes(client.get("/api/v1/industries?q=coal")) == ["COAL"]
    bad = client.get("/api/v1/industries?sunset=maybe&ordering=size")
    assert bad.status_code == 400
    assert set(bad.json()) == {"sunset", "ordering"}
    assert client.get("/api/v1/industries/999999").status_code == 404


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"code": "MFG"}, "code", "already exists"),
        ({"code": ""}, "code", "may not be blank"),
        ({"name": ""}, "name", "may not be blank"),
        ({"code": "X" * 21}, "code", "no more than 20 characters"),
        ({"sunset": "perhaps"}, "sunset", "Must be a valid boolean."),
    ],
)
def test_bad_industry_input_is_400_and_saves_nothing(org, payload, field, message):
    response = client_for(org.ada).post("/api/v1/industries", {"code": "NEW", "name": "新行业", **payload},
                                        format="json")
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])
    assert Industry.objects.count() == 1
