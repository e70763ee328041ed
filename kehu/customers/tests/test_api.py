"""API for customers and contacts: row-level visibility per role, filters, and bad input."""

import pytest
from rest_framework.test import APIClient

from kehu.customers.models import Contact, Customer, Lifecycle
from kehu.testing import make_contact, make_customer

# Which customers each person sees and may change (DESIGN.md; accounts/permissions.py):
# alice and bob are reps in team East under sam, carol a rep in team North under sue; "key" is
# carol's key account, which kim the key-account manager also runs. Credit sees all, changes none.
ALL = {"alice", "bob", "carol", "key"}
EXPECTED_SEES = {
    "alice": {"alice"}, "bob": {"bob"}, "carol": {"carol", "key"}, "sam": {"alice", "bob"},
    "sue": {"carol", "key"}, "kim": {"key"}, "cathy": ALL, "sid": ALL, "ada": ALL,
}
EXPECTED_EDITS = {
    "alice": {"alice"}, "bob": {"bob"}, "carol": {"carol", "key"}, "sam": {"alice", "bob"},
    "sue": {"carol", "key"}, "kim": {"key"}, "cathy": set(), "sid": ALL, "ada": ALL,
}


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def book(org):
    return {
        "alice": make_customer(org.alice, "艾丽机械制造有限公司", phone="13811112222"),
        "bob": make_customer(org.bob, "鲍勃物流有限公司"),
        "carol": make_customer(org.carol, "卡罗建筑工程有限公司", lifecycle=Lifecycle.PROSPECT),
        "key": make_customer(org.carol, "中国石化大客户有限公司", is_key_account=True),
    }


def codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


@pytest.mark.parametrize("who", sorted(EXPECTED_SEES))
def test_customers_each_role_lists_opens_and_changes(org, book, who):
    client = client_for(org.users()[who])
    by_code = {customer.code: key for key, customer in book.items()}

    assert {by_code[c] for c in codes(client.get("/api/v1/customers"))} == EXPECTED_SEES[who]

    for key, customer in book.items():
        url = f"/api/v1/customers/{customer.pk}"
        opened = client.get(url)
        changed = client.patch(url, {"notes": f"changed by {who}"}, format="json")
        customer.refresh_from_db()
        if key not in EXPECTED_SEES[who]:
            assert (opened.status_code, changed.status_code) == (404, 404), key
            assert customer.name not in opened.content.decode()
        elif key in EXPECTED_EDITS[who]:
            assert (opened.status_code, changed.status_code) == (200, 200), key
            assert opened.json()["name"] == customer.name
            assert changed.json()["notes"] == customer.notes == f"changed by {who}"
        else:
            assert (opened.status_code, changed.status_code) == (200, 403), key
            assert customer.notes == ""


def test_rep_asking_for_another_reps_customer_gets_404_not_the_record(org, book):
    client = client_for(org.alice)
    bobs = book["bob"]
    for response in (
        client.get(f"/api/v1/customers/{bobs.pk}"),
        client.put(f"/api/v1/customers/{bobs.pk}", {"name": "改名"}, format="json"),
        client.get(f"/api/v1/contacts?customer={bobs.pk}"),
    ):
        assert response.status_code in (404, 200)
        assert bobs.name not in response.content.decode()
        assert bobs.code not in response.content.decode()
    assert client.get("/api/v1/customers/999999").status_code == 404
    assert client.get("/api/v1/customers/abc").status_code == 404


def test_customer_list_filters_search_and_orders(org, book):
    client = client_for(org.sid)
    by_code = {customer.code: key for key, customer in book.items()}

    def keys(query: str) -> set[str]:
        return {by_code[c] for c in codes(client.get(f"/api/v1/customers?{query}"))}

    assert keys("q=鲍勃") == {"bob"}
    assert keys("q=baobo") == {"bob"}  # pinyin
    assert keys("q=1381111") == {"alice"}  # phone digits
    assert keys(f"owner={org.carol.pk}") == {"carol", "key"}
    assert keys(f"team={org.team_east.pk}") == {"alice", "bob"}
    assert keys("lifecycle=prospect") == {"carol"}
    assert keys("key_account=true") == {"key"}
    assert keys("key_account=false") == {"alice", "bob", "carol"}
    assert keys("grade=-") == ALL
    assert keys("grade=A") == set()
    assert keys("lifecycle=&owner=") == ALL  # empty form fields mean "any"
    ordered = [row["code"] for row in client.get("/api/v1/customers?ordering=-code").json()["results"]]
    assert ordered == sorted(ordered, reverse=True)

    # Filters are visibility-bound: a rep filtering by another owner gets nothing.
    assert codes(client_for(org.alice).get(f"/api/v1/customers?owner={org.bob.pk}")) == set()

    bad = client.get("/api/v1/customers?owner=abc&lifecycle=alive&ordering=size")
    assert bad.status_code == 400
    assert set(bad.json()) == {"owner", "lifecycle", "ordering"}


def test_customer_list_is_paginated(org):
    for n in range(51):
        Customer.objects.create(code=f"T{n:03d}", name=f"客户{n}", owner=org.alice)
    client = client_for(org.alice)
    first = client.get("/api/v1/customers").json()
    assert first["count"] == 51
    assert len(first["results"]) == 50
    assert first["next"]
    second = client.get(first["next"]).json()
    assert [row["code"] for row in second["results"]] == ["T050"]


def test_create_customer_through_the_service(org):
    response = client_for(org.alice).post(
        "/api/v1/customers",
        {"name": " 上海润滑油贸易有限公司 ", "phone": "021 6234 5678", "address": "上海市浦东新区张江路1号",
         "industry": org.industry.pk, "colour": "yellow", "source": "exhibition"},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    customer = Customer.objects.get(pk=data["id"])
    assert data["name"] == customer.name == "上海润滑油贸易有限公司"
    assert data["owner"] == org.alice.pk  # by default, whoever creates it
    assert data["code"].startswith("KH")
    assert data["phone"] == "021-62345678"  # normalised by the service
    assert data["province"] == "上海市"
    assert data["region"] == org.east.pk
    assert data["industry_name"] == org.industry.name
    assert customer.created_by == org.alice
    assert "shanghai" in customer.search_text


def test_supervisor_may_give_a_customer_to_a_team_member_but_a_rep_may_not(org):
    created = client_for(org.sam).post("/api/v1/customers", {"name": "甲公司", "owner": org.alice.pk}, format="json")
    assert created.status_code == 201
    assert created.json()["owner"] == org.alice.pk

    refused = client_for(org.alice).post("/api/v1/customers", {"name": "乙公司", "owner": org.bob.pk}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"owner": ["You cannot give customers to this person."]}
    assert not Customer.objects.filter(name="乙公司").exists()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"phone": "12345"}, "phone", "is not a phone number"),
        ({"phone": "call me"}, "phone", "is not a phone number"),
        ({"name": ""}, "name", "This field may not be blank."),
        ({"name": None}, "name", "This field may not be null."),
        ({"our_share_pct": 150}, "our_share_pct", "less than or equal to 100"),
        ({"our_share_pct": "lots"}, "our_share_pct", "A valid integer is required."),
        ({"payment_terms_days": -30}, "payment_terms_days", "greater than or equal to 0"),
        ({"lifecycle": "alive"}, "lifecycle", "is not a valid choice"),
        ({"industry": 999999}, "industry", "does not exist"),
        ({"lng": "east"}, "lng", "A valid number is required."),
        ({"uscc": "123"}, "uscc", ""),
    ],
)
def test_bad_customer_input_is_400_with_a_message_and_saves_nothing(org, book, payload, field, message):
    client = client_for(org.alice)
    before = Customer.objects.count()
    created = client.post("/api/v1/customers", {"name": "新客户有限公司", **payload}, format="json")
    assert created.status_code == 400, created.content
    assert message in " ".join(created.json()[field])
    assert Customer.objects.count() == before

    alices = book["alice"]
    changed = client.patch(f"/api/v1/customers/{alices.pk}", payload, format="json")
    assert changed.status_code == 400
    assert field in changed.json()
    alices.refresh_from_db()
    assert alices.name == "艾丽机械制造有限公司" and alices.phone == "13811112222"


def test_customer_needs_a_name(org):
    response = client_for(org.alice).post("/api/v1/customers", {"phone": "13900001111"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}
    assert not Customer.objects.exists()


def test_duplicate_customer_code_is_refused(org, book):
    response = client_for(org.alice).post("/api/v1/customers", {"name": "重复", "code": book["alice"].code},
                                          format="json")
    assert response.status_code == 400
    assert "code" in response.json()
    assert Customer.objects.count() == 4


# --- contacts --------------------------------------------------------------------------------


def test_contacts_follow_customer_visibility(org, book):
    mine = make_contact(book["alice"], name="王经理", phone="13900000001")
    bobs = make_contact(book["bob"], name="李采购", phone="13900000002")
    alice = client_for(org.alice)

    listed = alice.get("/api/v1/contacts").json()
    assert [row["name"] for row in listed["results"]] == ["王经理"]
    assert alice.get(f"/api/v1/contacts?customer={book['alice'].pk}").json()["count"] == 1
    assert alice.get(f"/api/v1/contacts/{mine.pk}").status_code == 200
    for response in (
        alice.get(f"/api/v1/contacts/{bobs.pk}"),
        alice.patch(f"/api/v1/contacts/{bobs.pk}", {"title": "x"}, format="json"),
        alice.delete(f"/api/v1/contacts/{bobs.pk}"),
    ):
        assert response.status_code == 404
    assert Contact.objects.filter(pk=bobs.pk, title="").exists()

    sam = client_for(org.sam)
    assert {row["name"] for row in sam.get("/api/v1/contacts").json()["results"]} == {"王经理", "李采购"}
    assert client_for(org.cathy).patch(f"/api/v1/contacts/{mine.pk}", {"title": "x"}, format="json").status_code == 403


def test_contact_create_change_delete(org, book):
    client = client_for(org.alice)
    customer = book["alice"]
    created = client.post(
        "/api/v1/contacts",
        {"customer": customer.pk, "name": "张伟", "title": "采购经理", "phone": "+86 139-0000-1234",
         "decision_role": "buyer", "is_primary": True, "birthday_month": 2, "birthday_day": 29},
        format="json",
    )
    assert created.status_code == 201, created.content
    contact_id = created.json()["id"]
    assert created.json()["phone"] == "13900001234"
    # The service folds the contact into the customer's search text.
    found = client.get("/api/v1/customers?q=13900001234").json()["results"]
    assert [row["id"] for row in found] == [customer.pk]

    changed = client.patch(f"/api/v1/contacts/{contact_id}", {"title": "总经理"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["title"] == "总经理"
    assert changed.json()["customer"] == customer.pk

    assert client.delete(f"/api/v1/contacts/{contact_id}").status_code == 204
    assert not Contact.objects.filter(pk=contact_id).exists()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"phone": "555"}, "phone", "is not a phone number"),
        ({"name": ""}, "name", "may not be blank"),
        ({"email": "nobody"}, "email", "valid email"),
        ({"birthday_month": 2, "birthday_day": 30}, "birthday_day", "This month has no day 30."),
        ({"birthday_month": 2}, "birthday_day", "Give both the month and the day"),
        ({"birthday_month": 13, "birthday_day": 1}, "birthday_month", "less than or equal to 12"),
        ({"decision_role": "boss"}, "decision_role", "is not a valid choice"),
    ],
)
def test_bad_contact_input_is_400_with_a_message_and_saves_nothing(org, book, payload, field, message):
    before = book["alice"].search_text
    response = client_for(org.alice).post(
        "/api/v1/contacts", {"customer": book["alice"].pk, "name": "张伟", **payload}, format="json"
    )
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])
    assert not Contact.objects.exists()
    book["alice"].refresh_from_db()
    assert book["alice"].search_text == before


def test_contact_for_another_reps_customer_is_refused_like_a_missing_one(org, book):
    client = client_for(org.alice)
    for customer_id in (book["bob"].pk, 999999):
        response = client.post("/api/v1/contacts", {"customer": customer_id, "name": "张伟"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"customer": ["No such customer in your book."]}
    missing = client.post("/api/v1/contacts", {"name": "张伟"}, format="json")
    assert missing.json() == {"customer": ["Choose a customer."]}
    assert not Contact.objects.exists()
