"""API: the signed-in user, token login (throttled by django-axes) and the OpenAPI schema."""

import json

import pytest
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kehu.testing import PASSWORD

TOKEN_URL = "/api/v1/auth/token"


def client_for(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5


def test_routes_are_where_clients_expect_them():
    assert reverse("api-me") == "/api/v1/me"
    assert reverse("api-token") == TOKEN_URL
    assert reverse("openapi") == "/api/v1/openapi.json"


def test_me_tells_the_user_their_role_and_rights(org):
    data = client_for(org.alice).get("/api/v1/me").json()
    assert data["username"] == "alice"
    assert data["display_name"] == "艾丽"
    assert data["role"] == "rep"
    assert data["team"] == org.team_east.pk
    assert (data["sees_all"], data["can_enter_orders"], data["can_record_payments"]) == (False, True, False)

    data = client_for(org.cathy).get("/api/v1/me").json()
    assert data["role"] == "credit"
    assert (data["sees_all"], data["can_enter_orders"], data["can_record_payments"]) == (True, False, True)


def test_api_refuses_anonymous_callers(org):
    client = client_for()
    for url in ("/api/v1/me", "/api/v1/customers", "/api/v1/orders", "/api/v1/payments", "/api/v1/products",
                "/api/v1/needs", "/api/v1/industries", "/api/v1/regions", "/api/v1/teams", "/api/v1/users",
                "/api/v1/notifications", "/api/v1/receivables", "/api/v1/payment-allocations", "/api/v1/imports"):
        assert client.get(url).status_code == 401, url


def test_token_login_gives_a_token_that_authenticates(org, axes_on):
    response = client_for().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=org.alice).key == key

    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me").json()["username"] == "alice"
    assert client.get("/api/v1/customers").status_code == 200
    org.alice.refresh_from_db()
    assert org.alice.last_login is not None

    # Asking again returns the same token; a form-encoded body works as well as JSON.
    again = client_for().post(TOKEN_URL, {"username": "alice", "password": PASSWORD})
    assert again.json()["token"] == key


def test_a_wrong_or_made_up_token_is_refused(org):
    client = APIClient(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get("/api/v1/me").status_code == 401


def test_token_login_with_a_wrong_password_says_so_and_gives_nothing(org, axes_on):
    response = client_for().post(TOKEN_URL, {"username": "alice", "password": "guess"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Wrong user name or password."]}
    assert not Token.objects.exists()


def test_token_login_needs_both_fields(org, axes_on):
    response = client_for().post(TOKEN_URL, {"username": "alice"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


def test_token_login_is_locked_after_repeated_failures(org, axes_on):
    client = client_for()
    statuses = [
        client.post(TOKEN_URL, {"username": "alice", "password": f"guess{n}"}, format="json").status_code
        for n in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]

    # Locked: even the right password is refused for the cool-off time, and says when to retry.
    response = client.post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "Too many failed logins" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert not Token.objects.filter(user=org.alice).exists()

    # The lock is per user name and address: bob still gets in.
    response = client.post(TOKEN_URL, {"username": "bob", "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_a_successful_token_login_clears_earlier_failures(org, axes_on):
    client = client_for()
    for round_ in range(2):
        for n in range(4):
            bad = client.post(TOKEN_URL, {"username": "alice", "password": f"guess{round_}{n}"}, format="json")
            assert bad.status_code == 400
        good = client.post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json")
        assert good.status_code == 200, round_


def test_openapi_schema_is_valid_json_with_every_endpoint(org):
    response = client_for().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    schema = json.loads(response.content)
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/v1/me", "/api/v1/auth/token",
        "/api/v1/customers", "/api/v1/customers/{id}",
        "/api/v1/contacts", "/api/v1/contacts/{id}",
        "/api/v1/products", "/api/v1/products/{id}",
        "/api/v1/orders", "/api/v1/orders/{id}", "/api/v1/orders/{id}/lines",
        "/api/v1/orders/{id}/confirm", "/api/v1/orders/{id}/deliver",
        "/api/v1/orders/{id}/invoice", "/api/v1/orders/{id}/cancel",
        "/api/v1/payments", "/api/v1/payments/{id}",
        "/api/v1/needs", "/api/v1/needs/{id}", "/api/v1/industries", "/api/v1/industries/{id}",
        "/api/v1/regions", "/api/v1/regions/{id}", "/api/v1/teams", "/api/v1/teams/{id}",
        "/api/v1/users", "/api/v1/users/{id}", "/api/v1/users/{id}/deactivate", "/api/v1/users/{id}/activate",
        "/api/v1/notifications", "/api/v1/notifications/{id}", "/api/v1/notifications/{id}/read",
        "/api/v1/notifications/read-all",
        "/api/v1/receivables", "/api/v1/receivables/{id}", "/api/v1/payment-allocations",
        "/api/v1/imports", "/api/v1/imports/{id}", "/api/v1/imports/{id}/check", "/api/v1/imports/{id}/commit",
        "/api/v1/imports/kinds",
    } <= paths
    assert set(schema["paths"]["/api/v1/customers/{id}"]) >= {"get", "put", "patch"}
    # Nobody deletes an account; a need is deleted like a contact.
    assert "delete" not in schema["paths"]["/api/v1/users/{id}"]
    assert "delete" in schema["paths"]["/api/v1/needs/{id}"]
    # The upload is multipart, and an import never carries the file back.
    assert set(schema["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"]) == {"multipart/form-data"}
    assert "data" not in schema["components"]["schemas"]["ImportJob"]["properties"]
    # Money is a string in the schema, as on the wire.
    assert schema["components"]["schemas"]["Order"]["properties"]["total"]["type"] == "string"
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_openapi_schema_served_to_concurrent_first_readers() -> None:
    """A threaded server's first requests arrive together: each gets the whole schema, the same one."""
    import threading

    from django.test import Client

    from kehu.api_urls import OpenAPIView

    OpenAPIView._built.clear()
    readers = 6
    barrier = threading.Barrier(readers)
    results: list[tuple[int, bytes]] = []

    def read() -> None:
        client = Client()
        barrier.wait()
        response = client.get("/api/v1/openapi.json")
        results.append((response.status_code, response.content))

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _body in results] == [200] * readers
    assert len({body for _status, body in results}) == 1
    assert json.loads(results[0][1])["paths"]["/api/v1/me"]


def test_openapi_schema_builds_once_per_language_whatever_the_query() -> None:
    """?lang= and ?version= with made-up values cannot make the process build and keep more schemas."""
    from django.test import Client

    from kehu.api_urls import OpenAPIView

    OpenAPIView._built.clear()
    client = Client()
    bodies = {}
    for query in ["", "?lang=x0", "?lang=x1", "?version=v9", "?version=v8&lang=x2", "?lang=en", "?lang=zh-hans"]:
        response = client.get("/api/v1/openapi.json" + query)
        assert response.status_code == 200, query
        bodies[query] = response.content
    assert len(OpenAPIView._built) <= 2
    assert bodies["?lang=x0"] == bodies["?version=v9"] == bodies[""]
    assert bodies["?lang=en"] != bodies["?lang=zh-hans"]  # each language still gets its own
