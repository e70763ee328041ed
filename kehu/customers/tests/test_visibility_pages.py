"""Who sees which customers and orders through the pages (DESIGN.md: row-level visibility)."""

import pytest
from django.urls import reverse

from kehu.ledger.services import order_create
from kehu.testing import make_customer

pytestmark = pytest.mark.django_db

# Which owners' customers each person sees: alice, bob (team East, sam), carol (team North, sue).
EXPECTED_SEES = {
    "alice": {"alice"},
    "bob": {"bob"},
    "carol": {"carol", "key"},
    "sam": {"alice", "bob"},
    "sue": {"carol", "key"},
    "kim": {"key"},
    "cathy": {"alice", "bob", "carol", "key"},
    "sid": {"alice", "bob", "carol", "key"},
    "ada": {"alice", "bob", "carol", "key"},
}
# Who may change each owner's customer card.
EXPECTED_EDITS = {
    "alice": {"alice"},
    "bob": {"bob"},
    "carol": {"carol", "key"},
    "sam": {"alice", "bob"},
    "sue": {"carol", "key"},
    "kim": {"key"},
    "cathy": set(),
    "sid": {"alice", "bob", "carol", "key"},
    "ada": {"alice", "bob", "carol", "key"},
}


@pytest.fixture
def book(org):
    customers = {
        "alice": make_customer(org.alice, "艾丽机械制造有限公司"),
        "bob": make_customer(org.bob, "鲍勃物流有限公司"),
        "carol": make_customer(org.carol, "卡罗建筑工程有限公司"),
        "key": make_customer(org.carol, "中国石化大客户有限公司", is_key_account=True),
    }
    orders = {
        key: order_create(user=customer.owner, customer=customer, lines=[{"product": org.product, "quantity": "2"}])
        for key, customer in customers.items()
    }
    return customers, orders


@pytest.mark.parametrize("who", sorted(EXPECTED_SEES))
def test_customer_list_open_export_by_role(client, org, book, who):
    customers, _orders = book
    user = org.users()[who]
    client.force_login(user)
    listing = client.get(reverse("customers:list")).content.decode()
    export = client.get(reverse("customers:export")).getvalue().decode("utf-8-sig")
    for key, customer in customers.items():
        visible = key in EXPECTED_SEES[who]
        assert (customer.name in listing) is visible, (who, key)
        assert (customer.code in export) is visible, (who, key)
        detail = client.get(reverse("customers:detail", args=[customer.pk]))
        assert detail.status_code == (200 if visible else 404), (who, key)
        if not visible:
            assert customer.name not in detail.content.decode()


@pytest.mark.parametrize("who", sorted(EXPECTED_EDITS))
def test_customer_change_by_role(client, org, book, who):
    customers, _orders = book
    client.force_login(org.users()[who])
    for key, customer in customers.items():
        response = client.post(reverse("customers:edit", args=[customer.pk]), {
            "name": customer.name + "改", "lifecycle": "customer", "owner": customer.owner_id,
            "payment_terms_days": customer.payment_terms_days, "is_key_account": customer.is_key_account or "",
        })
        customer.refresh_from_db()
        changed = customer.name.endswith("改")
        assert changed is (key in EXPECTED_EDITS[who]), (who, key, response.status_code)
        if key not in EXPECTED_SEES[who]:
            assert response.status_code == 404
        elif key not in EXPECTED_EDITS[who]:
            assert response.status_code == 403


@pytest.mark.parametrize("who", sorted(EXPECTED_SEES))
def test_order_list_and_open_by_role(client, org, book, who):
    _customers, orders = book
    client.force_login(org.users()[who])
    listing = client.get(reverse("ledger:order_list")).content.decode()
    for key, order in orders.items():
        visible = key in EXPECTED_SEES[who]
        assert (order.number in listing) is visible, (who, key)
        assert client.get(reverse("ledger:order_detail", args=[order.pk])).status_code == (200 if visible else 404)


def test_rep_cannot_act_on_another_reps_order(client, org, book):
    _customers, orders = book
    client.force_login(org.alice)
    response = client.post(reverse("ledger:order_action", args=[orders["bob"].pk, "cancel"]))
    assert response.status_code == 404
    orders["bob"].refresh_from_db()
    assert orders["bob"].status == "draft"


def test_anonymous_is_sent_to_login(client, org, book):
    customers, orders = book
    for url in [reverse("home"), reverse("customers:list"), reverse("customers:export"),
                reverse("customers:detail", args=[customers["alice"].pk]), reverse("ledger:order_list"),
                reverse("ledger:order_detail", args=[orders["alice"].pk]), reverse("ledger:order_new")]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_supervisor_filters_only_within_team(client, org, book):
    customers, _ = book
    client.force_login(org.sam)
    # Asking for carol's customers by owner id shows nothing, not carol's book.
    page = client.get(reverse("customers:list"), {"owner": org.carol.pk}).content.decode()
    assert customers["carol"].name not in page
