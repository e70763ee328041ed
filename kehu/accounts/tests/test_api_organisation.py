"""API for the organisation: regions, teams and the people directory. Everyone signed in reads
them; administrators change them; no account is deleted and nobody changes their own role."""

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kehu.accounts.models import Region, Role, Team, User
from kehu.testing import PASSWORD

ADMIN_ONLY = {"detail": "Only administrators change users, teams, regions and industries."}


def client_for(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_anonymous_callers_read_nothing(org):
    for url in ("/api/v1/regions", "/api/v1/teams", "/api/v1/users", f"/api/v1/users/{org.alice.pk}"):
        assert client_for().get(url).status_code == 401, url


# --- regions ---------------------------------------------------------------------------------


def test_everyone_reads_regions_only_admins_change_them(org):
    for who, user in org.users().items():
        client = client_for(user)
        assert [r["code"] for r in rows(client.get("/api/v1/regions"))] == ["E", "N"], who
        assert client.get(f"/api/v1/regions/{org.east.pk}").json()["name"] == "华东区"
        created = client.post("/api/v1/regions", {"code": f"X-{who}", "name": "华南区"}, format="json")
        changed = client.patch(f"/api/v1/regions/{org.east.pk}", {"name": "东区"}, format="json")
        if who == "ada":
            assert (created.status_code, changed.status_code) == (201, 200)
        else:
            assert (created.status_code, changed.status_code) == (403, 403), who
            assert changed.json() == ADMIN_ONLY
    assert list(Region.objects.filter(code__startswith="X-").values_list("code", flat=True)) == ["X-ada"]


def test_admin_builds_regions_within_regions(org):
    admin = client_for(org.ada)
    created = admin.post("/api/v1/regions",
                         {"code": "E-SH", "name": "上海片区", "parent": org.east.pk, "provinces": "上海市"}, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["parent"], created.json()["parent_name"]) == (org.east.pk, "华东区")
    sub = created.json()["id"]
    assert [r["code"] for r in rows(admin.get(f"/api/v1/regions?parent={org.east.pk}"))] == ["E-SH"]
    assert [r["code"] for r in rows(admin.get("/api/v1/regions?q=上海"))] == ["E", "E-SH"]
    assert [r["code"] for r in rows(admin.get("/api/v1/regions?ordering=-code"))] == ["N", "E-SH", "E"]

    # A region cannot lie within itself, nor within its own subregion.
    for parent in (org.east.pk, sub):
        looped = admin.patch(f"/api/v1/regions/{org.east.pk}", {"parent": parent}, format="json")
        assert looped.status_code == 400
        assert looped.json() == {"parent": ["A region cannot lie within itself."]}
    org.east.refresh_from_db()
    assert org.east.parent is None


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"code": "E"}, "code", "already exists"),
        ({"name": ""}, "name", "may not be blank"),
        ({"parent": 999999}, "parent", "No such region."),
        ({"parent": "east"}, "parent", "A region is given by its id, a whole number."),
    ],
)
def test_bad_region_input_is_400_and_saves_nothing(org, payload, field, message):
    response = client_for(org.ada).post("/api/v1/regions", {"code": "S", "name": "华南区", **payload}, format="json")
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])
    assert Region.objects.count() == 2


# --- teams -----------------------------------------------------------------------------------


def test_everyone_reads_teams_only_admins_change_them(org):
    for who, user in org.users().items():
        client = client_for(user)
        listed = rows(client.get("/api/v1/teams"))
        assert [(t["name"], t["region_name"], t["supervisor_name"]) for t in listed] == [
            ("华东一组", "华东区", "沈主管"), ("华北一组", "华北区", "苏主管")], who
        created = client.post("/api/v1/teams", {"name": f"新组-{who}", "region": org.east.pk}, format="json")
        changed = client.patch(f"/api/v1/teams/{org.team_east.pk}", {"prospect_target": 5}, format="json")
        if who == "ada":
            assert (created.status_code, changed.status_code) == (201, 200)
        else:
            assert (created.status_code, changed.status_code) == (403, 403), who
    assert list(Team.objects.filter(name__startswith="新组-").values_list("name", flat=True)) == ["新组-ada"]
    org.team_east.refresh_from_db()
    assert org.team_east.prospect_target == 5


def test_team_filters_and_order(org):
    Team.objects.create(name="华东二组", region=org.east)
    client = client_for(org.bob)
    assert [t["name"] for t in rows(client.get(f"/api/v1/teams?region={org.east.pk}"))] == ["华东一组", "华东二组"]
    assert [t["name"] for t in rows(client.get("/api/v1/teams?q=二"))] == ["华东二组"]
    assert [t["name"] for t in rows(client.get("/api/v1/teams?ordering=region"))] == ["华东一组", "华东二组", "华北一组"]
    assert client.get("/api/v1/teams?region=x&ordering=size").status_code == 400
    assert client.get("/api/v1/teams/999999").status_code == 404


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"name": "华东一组"}, "name", "already exists"),
        ({"region": None}, "region", "may not be null"),
        ({"region": 999999}, "region", "No such region."),
        ({"supervisor": "alice"}, "supervisor", "A user is given by its id, a whole number."),
        ({"prospect_target": -1}, "prospect_target", "greater than or equal to 0"),
    ],
)
def test_bad_team_input_is_400_and_saves_nothing(org, payload, field, message):
    response = client_for(org.ada).post("/api/v1/teams", {"name": "华南一组", "region": org.east.pk, **payload},
                                        format="json")
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])
    assert Team.objects.count() == 2


def test_a_team_is_led_by_an_active_supervisor(org):
    admin = client_for(org.ada)
    for leader in (org.alice, org.sid):
        refused = admin.patch(f"/api/v1/teams/{org.team_east.pk}", {"supervisor": leader.pk}, format="json")
        assert refused.status_code == 400
        assert refused.json() == {"supervisor": ["A team is led by an active user with the supervisor role."]}
    org.team_east.refresh_from_db()
    assert org.team_east.supervisor == org.sam
    moved = admin.patch(f"/api/v1/teams/{org.team_east.pk}", {"supervisor": org.sue.pk}, format="json")
    assert (moved.status_code, moved.json()["supervisor_name"]) == (200, "苏主管")


# --- the people directory --------------------------------------------------------------------


def test_everyone_reads_the_directory_of_active_people(org):
    org.bob.is_active = False
    org.bob.save()
    active = {"alice", "carol", "sam", "sue", "kim", "cathy", "sid", "ada"}
    for who, user in org.users().items():
        if who == "bob":
            continue
        client = client_for(user)
        people = rows(client.get("/api/v1/users"))
        expected = active | {"bob"} if who == "ada" else active
        assert {p["username"] for p in people} == expected, who
        alice = client.get(f"/api/v1/users/{org.alice.pk}").json()
        assert alice == {"id": org.alice.pk, "username": "alice", "display_name": "艾丽", "role": "rep",
                         "role_label": "Sales rep", "team": org.team_east.pk, "team_name": "华东一组",
                         "is_active": True}
        # Switched off: only administrators still find the account.
        assert client.get(f"/api/v1/users/{org.bob.pk}").status_code == (200 if who == "ada" else 404), who


def test_directory_filters_order_and_page(org):
    client = client_for(org.carol)
    assert [p["username"] for p in rows(client.get("/api/v1/users?role=supervisor"))] == ["sam", "sue"]
    assert [p["username"] for p in rows(client.get(f"/api/v1/users?team={org.team_east.pk}"))] == [
        "alice", "bob", "sam"]
    assert [p["username"] for p in rows(client.get("/api/v1/users?q=经理"))] == ["kim", "sid"]
    assert [p["username"] for p in rows(client.get("/api/v1/users?ordering=-username"))][:2] == ["sue", "sid"]
    assert [p["username"] for p in rows(client.get("/api/v1/users?ordering=role"))][0] == "ada"
    assert client.get("/api/v1/users?active=false").json()["count"] == 0  # only admins see those switched off
    bad = client.get("/api/v1/users?role=boss&team=x&ordering=age")
    assert (bad.status_code, set(bad.json())) == (400, {"role", "team", "ordering"})

    User.objects.bulk_create([User(username=f"rep{n:02d}") for n in range(45)])
    first = client.get("/api/v1/users").json()
    assert (first["count"], len(first["results"])) == (54, 50)
    assert len(client.get(first["next"]).json()["results"]) == 4


def test_only_admins_create_change_or_switch_off_people(org):
    for who, user in org.users().items():
        if who == "ada":
            continue
        client = client_for(user)
        attempts = [
            client.post("/api/v1/users", {"username": f"new-{who}"}, format="json"),
            client.patch(f"/api/v1/users/{org.bob.pk}", {"display_name": "x"}, format="json"),
            client.patch(f"/api/v1/users/{user.pk}", {"role": "admin"}, format="json"),
            client.post(f"/api/v1/users/{org.bob.pk}/deactivate"),
        ]
        assert [r.status_code for r in attempts] == [403] * 4, who
        assert attempts[0].json() == ADMIN_ONLY
        user.refresh_from_db()
        assert user.role != Role.ADMIN or who == "ada"
    org.bob.refresh_from_db()
    assert (org.bob.display_name, org.bob.is_active) == ("鲍勃", True)
    assert not User.objects.filter(username__startswith="new-").exists()


def test_nobody_deletes_an_account(org):
    for user in (org.ada, org.alice):
        assert client_for(user).delete(f"/api/v1/users/{org.bob.pk}").status_code in (403, 405)
    assert User.objects.filter(pk=org.bob.pk, is_active=True).exists()


def test_admin_creates_a_user_who_can_sign_in(org):
    created = client_for(org.ada).post(
        "/api/v1/users",
        {"username": "dave", "password": "Lubricant-Depot-2026", "display_name": "戴维", "role": "rep",
         "team": org.team_north.pk, "email": "dave@example.com", "phone": "13800001111", "approval_limit": "0"},
        format="json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert "password" not in data
    assert {k: data[k] for k in ("username", "display_name", "role", "team_name", "is_active", "email")} == {
        "username": "dave", "display_name": "戴维", "role": "rep", "team_name": "华北一组", "is_active": True,
        "email": "dave@example.com"}
    token = client_for().post("/api/v1/auth/token", {"username": "dave", "password": "Lubricant-Depot-2026"},
                              format="json")
    assert token.status_code == 200

    # Without a password the account exists but cannot sign in until one is set.
    bare = client_for(org.ada).post("/api/v1/users", {"username": "erin", "role": "credit"}, format="json")
    assert bare.status_code == 201
    assert not User.objects.get(username="erin").has_usable_password()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"username": "alice"}, "username", "A user with that username already exists."),
        ({"username": "Alice"}, "username", "A user with that username already exists."),
        ({"username": "张 三"}, "username", "Enter a valid username."),
        ({"username": ""}, "username", "may not be blank"),
        ({"password": "12345678"}, "password", "This password is too common."),
        ({"password": "short"}, "password", "too short"),
        ({"role": "boss"}, "role", "is not a valid choice"),
        ({"team": 999999}, "team", "No such team."),
        ({"email": "nobody"}, "email", "valid email"),
        ({"approval_limit": "-5"}, "approval_limit", "The approval authority cannot be negative."),
        ({"approval_limit": "1e20"}, "approval_limit", "no more than 14 digits"),
    ],
)
def test_bad_user_input_is_400_with_a_message_and_saves_nothing(org, payload, field, message):
    before = User.objects.count()
    response = client_for(org.ada).post("/api/v1/users", {"username": "frank", **payload}, format="json")
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])
    assert User.objects.count() == before


def test_admin_changes_a_user_but_never_their_own_role(org):
    admin = client_for(org.ada)
    changed = admin.patch(f"/api/v1/users/{org.bob.pk}",
                          {"role": "supervisor", "team": None, "approval_limit": "50000"}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["role"], changed.json()["team"], changed.json()["approval_limit"]) == (
        "supervisor", None, "50000.00")
    org.bob.refresh_from_db()
    assert (org.bob.role, org.bob.team, org.bob.approval_limit) == (Role.SUPERVISOR, None, Decimal("50000"))

    own = admin.patch(f"/api/v1/users/{org.ada.pk}", {"role": "rep"}, format="json")
    assert own.status_code == 403
    assert own.json() == {"detail": "Nobody changes their own role."}
    # Their own name, yes; and naming the role they have is no change.
    assert admin.patch(f"/api/v1/users/{org.ada.pk}", {"display_name": "阿达", "role": "admin"},
                       format="json").status_code == 200
    org.ada.refresh_from_db()
    assert (org.ada.role, org.ada.display_name) == (Role.ADMIN, "阿达")

    # The user name is not something a change can touch.
    admin.patch(f"/api/v1/users/{org.bob.pk}", {"username": "robert"}, format="json")
    org.bob.refresh_from_db()
    assert org.bob.username == "bob"


def test_an_administrator_by_role_may_not_change_a_superuser(org):
    adam = User.objects.create(username="adam", role=Role.ADMIN)
    client = client_for(adam)
    assert client.patch(f"/api/v1/users/{org.alice.pk}", {"display_name": "艾丽丝"}, format="json").status_code == 200
    refused = client.patch(f"/api/v1/users/{org.ada.pk}", {"display_name": "x"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only a superuser changes a superuser's account."}
    assert client.post(f"/api/v1/users/{org.ada.pk}/deactivate").status_code == 403
    org.ada.refresh_from_db()
    assert org.ada.is_active


def test_switching_an_account_off_and_on(org):
    token = Token.objects.create(user=org.bob)
    admin = client_for(org.ada)
    off = admin.post(f"/api/v1/users/{org.bob.pk}/deactivate")
    assert (off.status_code, off.json()["is_active"]) == (200, False)
    # Switched off: the token no longer works, the password no longer signs in.
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v1/me").status_code == 401
    assert client_for().post("/api/v1/auth/token", {"username": "bob", "password": PASSWORD},
                             format="json").status_code == 400
    on = admin.post(f"/api/v1/users/{org.bob.pk}/activate")
    assert (on.status_code, on.json()["is_active"]) == (200, True)
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v1/me").status_code == 200

    own = admin.post(f"/api/v1/users/{org.ada.pk}/deactivate")
    assert (own.status_code, own.json()) == (403, {"detail": "You cannot switch off your own account."})
    assert admin.post("/api/v1/users/999999/deactivate").status_code == 404
