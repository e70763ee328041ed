"""What a new user hit (issue 13), in a real browser at phone and desktop widths, in Chinese:
the order form's search, line amounts, running total and credit; a held order's reason; the
approval page's facts; the ageing table at 390 px; the order list's customer column.

Screenshots: test-artifacts/screenshots/<device>-edges-*.png.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from kehu.testing import PASSWORD, build_org, grant_limit, make_customer

from .conftest import DEVICES, Screens, make_page, pick_product

pytestmark = pytest.mark.browser

DEVICE_PARAMS = [pytest.param(d, id=d.name) for d in DEVICES]
CUSTOMER = "上海申达机械制造有限公司"


def _tr(message: str) -> str:
    with translation.override("zh-hans"):
        return str(translation.gettext(message))


def log_in(page: Page, username: str) -> None:
    page.goto("/login/")
    form = page.locator("main form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.locator(".topbar .who")).to_be_visible()


def fits_the_width(page: Page) -> bool:
    """Nothing sticks out sideways (a phone would zoom the page out to show it)."""
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def seed():
    from kehu.ledger.services import order_confirm, order_create
    from kehu.testing import ProductFactory

    org = build_org()
    customer = make_customer(org.alice, CUSTOMER)
    grant_limit(customer, "40000", terms=30, approver=org.sam)
    # ¥10,800 confirmed already: ¥29,200 of the limit is left.
    order_confirm(user=org.alice, order=order_create(
        user=org.alice, customer=customer, payment_method="credit",
        lines=[{"product": org.product, "quantity": "1", "unit_price": "10800"}]))
    grease = ProductFactory(code="Z-0001", name="长城通用锂基润滑脂", grade="3号", pack_size=Decimal("15"),
                            list_price=Decimal("1.005"))
    return org, customer, grease


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_order_form_held_order_and_order_list(device, device_page):
    from kehu.ledger.models import Order, OrderStatus

    page, shots = device_page
    org, customer, grease = seed()
    log_in(page, "alice")
    page.goto(f"/orders/new/?customer={customer.pk}")
    form = page.locator("form.order-form")
    credit = form.locator(".credit-position")
    expect(credit).to_contain_text("¥29,200.00")

    # Search, not scroll: typing part of a grade lists the matching products only.
    first, second = form.locator("#lines .line-row").nth(0), form.locator("#lines .line-row").nth(1)
    first.locator("input.product-search").fill("15W")
    results = first.locator(".product-results .product-pick")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("CI-4 15W-40")
    shots.shot("edges-product-search")
    results.first.click()
    expect(first.locator("input[name=product]")).to_have_value(str(org.product.pk))
    # Amounts as the ledger rounds them: quantity to 0.001 half-even, each line to the fen half-up.
    first.locator("input[name=quantity]").fill("100.0005")
    expect(first.locator(".line-amount output")).to_have_text("¥42,000.00")
    pick_product(second, grease)
    second.locator("input[name=quantity]").fill("3")
    second.locator("input[name=unit_price]").fill("1.005")
    expect(second.locator(".line-amount output")).to_have_text("¥3.03")
    expect(form.locator("#order-total")).to_have_text("¥42,003.03")
    over = _tr("After this order: over the limit by %(amount)s. The credit check will hold it until an exception "
               "is approved.") % {"amount": "¥12,803.03"}
    expect(credit.locator(".after-order")).to_have_text(over)
    assert fits_the_width(page)
    shots.shot("edges-order-form")

    form.locator("button[name=confirm]").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(pk=int(re.search(r"/orders/(\d+)/$", page.url).group(1)))
    assert order.status == OrderStatus.HELD
    assert order.total == Decimal("42003.03")  # what the form showed
    # The message says "see why below", and below is why.
    panel = page.locator("#credit-check")
    expect(panel).to_be_visible()
    check = order.credit_checks.get()
    expect(panel.locator("ul.reasons li")).to_have_text([check.reasons_described[0]["message"]])
    with translation.override("zh-hans"):
        expect(panel.locator("ul.reasons li").first).to_contain_text("超出信用额度 ¥40,000.00 共 ¥12,803.03")
    assert fits_the_width(page)
    shots.shot("edges-held-order")

    # The order list: the customer beside each number, numbers and dates on one line.
    page.goto("/orders/")
    row = page.locator("table.orders tbody tr", has_text=order.number)
    expect(row).to_contain_text(CUSTOMER)
    number = row.locator("a.nowrap")
    line_height = float(number.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    assert number.bounding_box()["height"] < 1.5 * line_height
    for date in row.locator(".nowrap", has_text=timezone.localdate().isoformat()).all():
        if date.is_visible():
            assert date.bounding_box()["height"] < 1.5 * line_height
    assert fits_the_width(page)
    shots.shot("edges-order-list")

    # Kehu answers for its icon.
    assert page.request.get("/favicon.ico").status == 200


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_approval_page_and_ageing(device, device_page, browser, live_server, request):
    from kehu.credit import services
    from kehu.ledger.services import order_confirm, order_create, order_deliver, order_invoice

    page, shots = device_page
    org, customer, _grease = seed()
    # An invoice 100 days past due, so the ageing has a 90+ column to sort by.
    old = order_confirm(user=org.alice, order=order_create(
        user=org.alice, customer=customer, payment_method="credit",
        lines=[{"product": org.product, "quantity": "1", "unit_price": "2500"}]))
    day = timezone.localdate() - datetime.timedelta(days=130)
    order_deliver(user=org.alice, order=old, day=day)
    order_invoice(user=org.alice, order=old, day=day)
    other = make_customer(org.bob, "杭州顺丰物流有限公司")
    grant_limit(other, "80000")
    fresh = order_confirm(user=org.bob, order=order_create(
        user=org.bob, customer=other, payment_method="credit",
        lines=[{"product": org.product, "quantity": "1", "unit_price": "30000"}]))
    order_deliver(user=org.bob, order=fresh, day=timezone.localdate())
    order_invoice(user=org.bob, order=fresh, day=timezone.localdate())
    application = services.application_submit(
        user=org.alice, customer=customer, investigation=services.investigation_current(customer=customer),
        requested_limit="300000", requested_terms_days=45, reason="年采购额预计 120 万元")

    # sam, the approver: the facts before the decision; the amount is above his authority.
    log_in(page, "sam")
    page.goto(f"/credit/applications/{application.pk}/")
    facts = page.locator("#facts")
    expect(facts).to_contain_text("¥40,000.00")  # the current limit
    expect(facts).to_contain_text(_tr("Credit score"))
    expect(facts.locator("table.ageing-mini")).to_contain_text("¥2,500.00")
    expect(page.locator("#who-decides")).to_contain_text(str(org.sid))
    expect(page.locator("#decide")).to_be_visible()
    assert fits_the_width(page)
    shots.shot("edges-approval")

    # alice, the applicant: why she cannot decide it, and who will.
    device = request.getfixturevalue("device")
    context, alice = make_page(browser, device, request, live_server)
    try:
        log_in(alice, "alice")
        alice.goto(f"/credit/applications/{application.pk}/")
        expect(alice.locator("#who-decides")).to_contain_text(_tr("Nobody approves their own request."))
        expect(alice.locator("#who-decides")).to_contain_text(str(org.sid))
        expect(alice.locator("#decide")).to_have_count(0)
        Screens(alice, device).shot("edges-own-application")
        assert not alice.problems, alice.problems
    finally:
        context.close()

    # cathy, credit control: the ageing table sorted by the oldest debts, readable at 390 px.
    page.context.clear_cookies()
    log_in(page, "cathy")
    page.goto("/credit/ageing/")
    rows = page.locator("table.ageing tbody tr")
    expect(rows.first).to_contain_text("杭州顺丰物流有限公司")  # the largest balance first
    page.goto("/credit/ageing/?sort=-90%2B")
    expect(rows.first).to_contain_text(CUSTOMER)  # the oldest debt first
    total = page.locator("table.ageing tfoot tr")
    expect(total).to_be_visible()
    weight = total.locator(".total").evaluate("el => getComputedStyle(el).fontWeight")
    assert int(weight) >= 700
    assert fits_the_width(page)
    shots.shot("edges-ageing")
