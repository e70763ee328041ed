"""Order entry and payments through the pages: bad input gets a clear message, nothing half-saved."""

import pytest
from django.urls import reverse

from kehu.ledger.models import Order, OrderLine, Payment
from kehu.testing import grant_limit, make_customer

pytestmark = pytest.mark.django_db


def post_order(client, customer, lines, **extra):
    data = {"customer": customer.pk, "order_date": "2026-11-26", "payment_method": "credit", **extra}
    data["product"] = [str(line.get("product", "")) for line in lines]
    data["quantity"] = [str(line.get("quantity", "")) for line in lines]
    data["unit_price"] = [str(line.get("unit_price", "")) for line in lines]
    return client.post(reverse("ledger:order_new"), data)


def test_enter_and_confirm_an_order(client, org):
    c = make_customer(org.alice, "甲")
    grant_limit(c)
    client.force_login(org.alice)
    response = post_order(client, c, [{"product": org.product.pk, "quantity": 3}, {}], confirm="1")
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ledger:order_detail", args=[order.pk])
    assert order.status == "confirmed" and order.lines.count() == 1


@pytest.mark.parametrize("lang, expected", [
    ("en", "the quantity must be greater than zero"),
    ("zh-hans", "数量必须大于零"),
])
def test_negative_quantity_message_in_users_language(client, org, lang, expected):
    c = make_customer(org.alice, "甲")
    client.force_login(org.alice)
    client.cookies["django_language"] = lang
    response = post_order(client, c, [{"product": org.product.pk, "quantity": -5}])
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_absurd_amount_refused(client, org):
    c = make_customer(org.alice, "甲")
    client.force_login(org.alice)
    client.cookies["django_language"] = "en"
    response = post_order(client, c, [{"product": org.product.pk, "quantity": 1, "unit_price": "99999999999"}])
    assert "larger than Kehu accepts" in response.content.decode()
    assert not Order.objects.exists()


def test_order_for_another_reps_customer_is_404(client, org):
    bobs = make_customer(org.bob, "鲍勃的客户")
    client.force_login(org.alice)
    assert client.get(reverse("ledger:order_new"), {"customer": bobs.pk}).status_code == 404
    response = post_order(client, bobs, [{"product": org.product.pk, "quantity": 1}])
    assert response.status_code == 404
    assert not Order.objects.exists()


def test_missing_date_refused(client, org):
    c = make_customer(org.alice, "甲")
    client.force_login(org.alice)
    client.cookies["django_language"] = "zh-hans"
    response = post_order(client, c, [{"product": org.product.pk, "quantity": 1}], order_date="")
    assert "这个字段是必填项" in response.content.decode() or "该字段是必填项" in response.content.decode()
    assert not Order.objects.exists()


def test_malformed_phone_on_contact_form(client, org):
    c = make_customer(org.alice, "甲")
    client.force_login(org.alice)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse("customers:contact_new", args=[c.pk]), {"name": "王", "phone": "12345"})
    assert response.status_code == 200
    assert "不是电话号码" in response.content.decode()
    assert not c.contacts.exists()


def test_missing_customer_name(client, org):
    client.force_login(org.alice)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("customers:new"), {"name": "", "lifecycle": "prospect"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()


def test_payment_page_for_credit_only(client, org):
    c = make_customer(org.alice, "甲")
    client.force_login(org.alice)
    assert client.get(reverse("ledger:payment_new", args=[c.pk])).status_code == 403
    client.force_login(org.cathy)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("ledger:payment_new", args=[c.pk]),
                           {"amount": "-50", "received_on": "2026-11-01", "channel": "bank"})
    assert "cannot be negative" in response.content.decode()
    assert not Payment.objects.exists()
    response = client.post(reverse("ledger:payment_new", args=[c.pk]),
                           {"amount": "1,500.00", "received_on": "2026-11-01", "channel": "bank"})
    assert response.status_code == 302
    assert Payment.objects.get().amount == 1500


def test_held_order_is_checked_again_from_its_page(client, org):
    from kehu.ledger.services import order_confirm, order_create

    c = make_customer(org.alice, "甲")
    order = order_create(user=org.alice, customer=c, lines=[{"product": org.product.pk, "quantity": 2}])
    assert order_confirm(user=org.alice, order=order).status == "held"  # no limit yet
    client.force_login(org.alice)
    page = client.get(reverse("ledger:order_detail", args=[order.pk])).content.decode()
    assert reverse("ledger:order_action", args=[order.pk, "confirm"]) in page
    grant_limit(c)
    client.post(reverse("ledger:order_action", args=[order.pk, "confirm"]))
    order.refresh_from_db()
    assert order.status == "confirmed"
    client.force_login(org.bob)  # someone else's held order stays out of reach
    assert client.post(reverse("ledger:order_action", args=[order.pk, "cancel"])).status_code == 404
