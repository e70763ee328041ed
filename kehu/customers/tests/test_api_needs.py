"""API for customers' needs (C4): visibility and changes per role, filters, order, bad input."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from kehu.customers.models import CustomerNeed
from kehu.customers.services import need_save
from kehu.testing import make_customer

# As for customers (see test_api.py): alice and bob are reps in team East under sam, carol a rep
# in team North under sue; "key" is carol's key account, which kim also runs. Credit sees all and
# changes none; a need goes with its customer.
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
        "alice": make_customer(org.alice, "艾丽机械制造有限公司"),
        "bob": make_customer(org.bob, "鲍勃物流有限公司"),
        "carol": make_customer(org.carol, "卡罗建筑工程有限公司"),
        "key": make_customer(org.carol, "中国石化大客户有限公司", is_key_account=True),
    }


@pytest.fixture
def needs(org, book):
    return {
        key: need_save(user=customer.owner, customer=customer,
                       data={"category": "engine_oil", "description": f"{key} 的柴油机油", "monthly_volume": "1200"})
        for key, customer in book.items()
    }


def listed(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("who", sorted(EXPECTED_SEES))
def test_needs_each_role_lists_opens_changes_and_deletes(org, book, needs, who):
    client = client_for(org.users()[who])
    by_id = {need.pk: key for key, need in needs.items()}

    assert {by_id[row["id"]] for row in listed(client.get("/api/v1/needs"))} == EXPECTED_SEES[who]

    for key, need in needs.items():
        url = f"/api/v1/needs/{need.pk}"
        opened = client.get(url)
        changed = client.patch(url, {"our_share_pct": 40}, format="json")
        need.refresh_from_db()
        if key not in EXPECTED_SEES[who]:
            assert (opened.status_code, changed.status_code) == (404, 404), key
            assert book[key].name not in opened.content.decode()
            assert need.our_share_pct is None
        elif key in EXPECTED_EDITS[who]:
            assert (opened.status_code, changed.status_code) == (200, 200), key
            assert opened.json()["customer_name"] == book[key].name
            assert changed.json()["our_share_pct"] == need.our_share_pct == 40
        else:
            assert (opened.status_code, changed.status_code) == (200, 403), key
            assert need.our_share_pct is None

    for key, customer in book.items():
        before = CustomerNeed.objects.count()
        created = client.post("/api/v1/needs", {"customer": customer.pk, "category": "grease"}, format="json")
        if key not in EXPECTED_SEES[who]:
            assert created.status_code == 400, key
            assert created.json() == {"customer": ["No such customer in your book."]}
        elif key in EXPECTED_EDITS[who]:
            assert created.status_code == 201, key
        else:
            assert created.status_code == 403, key
            assert created.json() == {"detail": "You may not change this customer."}
        assert CustomerNeed.objects.count() == before + (created.status_code == 201)

    for key, need in needs.items():
        deleted = client.delete(f"/api/v1/needs/{need.pk}")
        expected = 404 if key not in EXPECTED_SEES[who] else 204 if key in EXPECTED_EDITS[who] else 403
        assert deleted.status_code == expected, key
        assert CustomerNeed.objects.filter(pk=need.pk).exists() == (expected != 204)


def test_record_and_change_a_need_through_the_service(org, book):
    client = client_for(org.alice)
    created = client.post(
        "/api/v1/needs",
        {"customer": book["alice"].pk, "category": "hydraulic_oil", "description": "注塑机液压油",
         "monthly_volume": "800.5", "unit": "L", "current_supplier": "昆仑润滑", "our_share_pct": 20},
        format="json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["category"], data["category_label"], data["monthly_volume"]) == ("hydraulic_oil", "Hydraulic oil", "800.50")
    assert data["customer_code"] == book["alice"].code
    need = CustomerNeed.objects.get(pk=data["id"])
    assert (need.customer, need.monthly_volume, need.current_supplier) == (book["alice"], Decimal("800.50"), "昆仑润滑")

    replaced = client.put(f"/api/v1/needs/{need.pk}", {"category": "other", "description": "切削液"}, format="json")
    assert replaced.status_code == 200, replaced.content
    assert (replaced.json()["category"], replaced.json()["description"]) == ("other", "切削液")
    # A need stays with its customer: "customer" is not something a change can move.
    moved = client.patch(f"/api/v1/needs/{need.pk}", {"customer": book["bob"].pk}, format="json")
    assert moved.status_code == 200
    need.refresh_from_db()
    assert need.customer == book["alice"]


def test_needs_filter_order_and_page(org, book, needs):
    client = client_for(org.sid)
    need_save(user=org.alice, customer=book["alice"], data={"category": "grease"})
    mine = [row["category"] for row in listed(client.get(f"/api/v1/needs?customer={book['alice'].pk}"))]
    assert mine == ["engine_oil", "grease"]
    assert len(listed(client.get("/api/v1/needs?category=grease"))) == 1
    assert len(listed(client.get("/api/v1/needs?category=&customer="))) == 5  # empty means "any"
    by_category = [row["category"] for row in listed(client.get("/api/v1/needs?ordering=category"))]
    assert by_category == sorted(by_category)
    newest = listed(client.get("/api/v1/needs?ordering=-updated"))
    assert newest[0]["category"] == "grease"

    # A rep filtering by another rep's customer gets nothing, not the other rep's needs.
    assert listed(client_for(org.alice).get(f"/api/v1/needs?customer={book['bob'].pk}")) == []

    bad = client.get("/api/v1/needs?customer=abc&category=water&ordering=size")
    assert bad.status_code == 400
    assert set(bad.json()) == {"customer", "category", "ordering"}

    for n in range(50):
        CustomerNeed.objects.create(customer=book["bob"], category="diesel", description=str(n))
    first = client.get("/api/v1/needs").json()
    assert (first["count"], len(first["results"])) == (55, 50)
    assert len(client.get(first["next"]).json()["results"]) == 5


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"category": "water"}, "category", "is not a valid choice"),
        ({"category": ""}, "category", "is not a valid choice"),
        ({"monthly_volume": "-1"}, "monthly_volume", "greater than or equal to 0"),
        ({"monthly_volume": "lots"}, "monthly_volume", "A valid number is required."),
        ({"monthly_volume": "12345678901"}, "monthly_volume", "no more than 10 digits before the decimal point"),
        ({"our_share_pct": 120}, "our_share_pct", "less than or equal to 100"),
        ({"description": "x" * 201}, "description", "no more than 200 characters"),
        ({"unit": ""}, "unit", "may not be blank"),
    ],
)
def test_bad_need_input_is_400_with_a_message_and_saves_nothing(org, book, payload, field, message):
    response = client_for(org.alice).post(
        "/api/v1/needs", {"customer": book["alice"].pk, "category": "grease", **payload}, format="json")
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])
    assert not CustomerNeed.objects.exists()


def test_bad_change_keeps_the_need_as_it_was(org, book, needs):
    need = needs["alice"]
    response = client_for(org.alice).patch(f"/api/v1/needs/{need.pk}", {"our_share_pct": 101, "unit": "吨"},
                                           format="json")
    assert response.status_code == 400
    need.refresh_from_db()
    assert (need.our_share_pct, need.unit) == (None, "L")


def test_need_needs_a_customer_and_a_category(org):
    response = client_for(org.alice).post("/api/v1/needs", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"customer": ["Choose a customer."], "category": ["This field is required."]}
    assert client_for(org.alice).get("/api/v1/needs/abc").status_code == 404
