"""What a new user hit on the order pages (issue 13): the order list names the customer at phone
width and keeps numbers and dates on one line; the order form shows line amounts, a running
total and the customer's credit, and its product picker is searched; a held order's page says why."""

import html
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from kehu.ledger.models import OrderStatus
from kehu.ledger.services import order_confirm, order_create
from kehu.testing import ProductFactory, grant_limit, make_customer

pytestmark = pytest.mark.django_db


def words(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def order(org, customer, amount, **kw):
    return order_create(user=customer.owner, customer=customer, payment_method="credit",
                        lines=[{"product": org.product, "quantity": "1", "unit_price": str(amount)}], **kw)


# ── the order list ──────────────────────────────────────────────────────────────────────────

def test_a_reps_order_list_names_the_customer_at_phone_width(client, org):
    customer = make_customer(org.alice, "上海申达机械制造有限公司")
    o = order(org, customer, "420")
    client.force_login(org.alice)
    page = client.get(reverse("ledger:order_list")).content.decode()
    row = page[page.index(o.number):]
    row = row[:row.index("</tr>")]
    # Under the number, shown at phone width (where the customer column is hidden).
    assert re.search(r'<small class="phone-only[^"]*">上海申达机械制造有限公司</small>', row)
    # The number and the date never wrap.
    assert re.search(r'<a class="nowrap" href="[^"]+">' + re.escape(o.number), page)
    assert re.search(r'<small class="phone-only nowrap[^"]*">' + o.order_date.isoformat(), row)
    css = open(finders.find("kehu/kehu.css"), encoding="utf-8").read()
    assert ".nowrap { white-space: nowrap; }" in css


# ── the order form ──────────────────────────────────────────────────────────────────────────

def test_order_form_has_line_amounts_a_running_total_and_its_script_from_kehu(client, org):
    customer = make_customer(org.alice, "甲")
    client.force_login(org.alice)
    page = client.get(reverse("ledger:order_new"), {"customer": customer.pk}).content.decode()
    assert page.count('<p class="line-amount">') == 3
    assert '<output id="order-total"' in page
    assert '<script src="/static/kehu/order-form.js" defer></script>' in page
    assert finders.find("kehu/order-form.js")
    assert "http://" not in page.split("<body")[0] and "https://" not in page.split("<body")[0]  # no CDN


def test_order_form_shows_the_customers_credit(client, org):
    customer = make_customer(org.alice, "甲")
    grant_limit(customer, "60000")
    order_confirm(user=org.alice, order=order(org, customer, "10800"))
    client.force_login(org.alice)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("ledger:order_new"), {"customer": customer.pk})
    text = words(response)
    assert "Credit limit ¥60,000.00 · 30 days" in text
    assert "Exposure ¥10,800.00 · available ¥49,200.00" in text
    page = response.content.decode()
    assert 'data-available="49200.00"' in page
    assert "over the limit by %(amount)s" in page  # the sentence the total is compared with


@pytest.mark.parametrize("language, expected", [("en", "No approved limit: orders on credit are held."),
                                                ("zh-hans", "无已批准的额度：赊销订单将被挂起。")])
def test_order_form_says_when_the_customer_has_no_limit(client, org, language, expected):
    customer = make_customer(org.alice, "甲")
    client.force_login(org.alice)
    client.cookies["django_language"] = language
    response = client.get(reverse("ledger:order_new"), {"customer": customer.pk})
    assert expected in words(response)
    assert 'data-available=""' in response.content.decode()


def test_a_refused_order_keeps_the_products_picked(client, org):
    customer = make_customer(org.alice, "甲")
    other = ProductFactory(name="长城齿轮油", grade="GL-5 85W-90", list_price="260.00")
    client.force_login(org.alice)
    response = client.post(reverse("ledger:order_new"), {
        "customer": customer.pk, "order_date": "", "payment_method": "credit",
        "product": [str(other.pk)], "quantity": ["2"], "unit_price": [""]})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="product" value="{other.pk}" data-price="260.00"' in page
    assert 'value="长城齿轮油 GL-5 85W-90 · 18L"' in page or 'value="长城齿轮油 GL-5 85W-90 · 18' in page


def test_product_picker_searches_active_products(client, org):
    gear = ProductFactory(code="G-8590", name="长城齿轮油", grade="GL-5 85W-90")
    ProductFactory(code="G-OLD", name="长城齿轮油", grade="GL-4 80W-90", active=False)
    client.force_login(org.alice)
    url = reverse("ledger:product_pick")
    for q in ("85W-90", "齿轮", "g-8590"):
        page = client.get(url, {"product_q": q}).content.decode()
        assert f'data-pk="{gear.pk}"' in page, q
        assert "GL-4" not in page and f'data-pk="{org.product.pk}"' not in page, q
    everything = client.get(url).content.decode()  # on focus, before typing: the first products
    assert f'data-pk="{org.product.pk}"' in everything
    client.cookies["django_language"] = "en"
    assert "No active product matches “没有这种油”." in words(client.get(url, {"product_q": "没有这种油"}))


def test_product_picker_shows_at_most_twenty_and_says_there_are_more(client, org):
    for _n in range(25):
        ProductFactory()
    client.force_login(org.alice)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("ledger:product_pick"), {"product_q": "长城"}).content.decode()
    assert page.count('class="pick product-pick"') == 20
    assert "More products match" in page


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "sam", "sue", "kim", "cathy", "sid", "ada"])
def test_product_picker_is_open_to_every_role_and_closed_to_strangers(client, org, who):
    """The catalogue is everyone's to read; the picker needs a login."""
    url = reverse("ledger:product_pick")
    response = client.get(url, {"product_q": "长城"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(org.users()[who])
    assert f'data-pk="{org.product.pk}"' in client.get(url, {"product_q": "长城"}).content.decode()


# ── a held order's page says why ────────────────────────────────────────────────────────────

@pytest.mark.parametrize("language, reason", [
    ("en", "Exposure ¥0.00 + this order ¥150,000.00 = ¥150,000.00 exceeds the limit ¥100,000.00 by ¥50,000.00."),
    ("zh-hans", "超出信用额度 ¥100,000.00 共 ¥50,000.00。"),
])
def test_held_order_page_gives_the_reason(client, org, language, reason):
    customer = make_customer(org.alice, "甲")
    grant_limit(customer, "100000")
    held = order_confirm(user=org.alice, order=order(org, customer, "150000"))
    assert held.status == OrderStatus.HELD
    client.force_login(org.alice)
    client.cookies["django_language"] = language
    text = words(client.get(reverse("ledger:order_detail", args=[held.pk])))
    assert reason in text
    # The message after "Save and confirm" points below: the reason is there.
    response = client.post(reverse("ledger:order_new"), {
        "customer": customer.pk, "order_date": "2026-11-26", "payment_method": "credit", "confirm": "1",
        "product": [str(org.product.pk)], "quantity": ["300"], "unit_price": ["500"]}, follow=True)
    text = words(response)
    assert response.redirect_chain and text.index(reason) > text.index("下" if language != "en" else "below")


def test_a_draft_has_no_credit_panel_and_a_passed_check_says_so(client, org):
    customer = make_customer(org.alice, "甲")
    grant_limit(customer, "100000")
    draft = order(org, customer, "1000")
    client.force_login(org.alice)
    client.cookies["django_language"] = "en"
    assert 'id="credit-check"' not in client.get(reverse("ledger:order_detail", args=[draft.pk])).content.decode()
    confirmed = order_confirm(user=org.alice, order=draft)
    text = words(client.get(reverse("ledger:order_detail", args=[confirmed.pk])))
    assert "Within the limit, nothing overdue: the check passed." in text
