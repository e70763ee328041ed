"""A new rep's first minutes in Kehu, in a real browser, at desktop and phone widths.

alice logs in through the login form, switches the UI to English and back to Chinese, finds her
customer by its pinyin initials, opens the customer card and enters a confirmed order.

Text on the pages is being translated while these tests are written, so assertions about words
go through the same message catalogue the server uses (``_tr``): they hold in both languages, and
they check that the page shows whatever the catalogue says. Everything else is checked on stable
things: URLs, element ids and classes, the order number pattern and the customer's name.
"""

import re
import warnings
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from kehu.testing import (
    PASSWORD,
    ProductFactory,
    build_org,
    grant_limit,
    make_contact,
    make_customer,
)

from .conftest import DESKTOP, DEVICES, pick_product

pytestmark = pytest.mark.browser

SINOPEC = "中石化润滑油销售有限公司"  # alice's; pinyin initials zshrhyxsyxgs
NOT_HERS = ["中石化镇江仓储有限公司", "中盛化工天津有限公司"]  # bob's and carol's, also "zsh…"
ORDER_NUMBER = re.compile(r"SO\d{6}-\d{6}")
DEVICE_PARAMS = [pytest.param(d, id=d.name) for d in DEVICES]


def _tr(message: str, language: str) -> str:
    with translation.override(language):
        return str(translation.gettext(message))


def _expect_translated(message: str) -> str:
    """The Chinese the page should show for ``message``; warns while there is none yet."""
    chinese = _tr(message, "zh-hans")
    if chinese == message:
        warnings.warn(f"no Chinese translation yet for {message!r}", stacklevel=2)
    return chinese


def seed():
    org = build_org()
    mine = make_customer(org.alice, SINOPEC, address="上海市浦东新区张江路88号", phone="021-58881234")
    make_contact(mine, name="王建国", title="采购经理", phone="13812345678", is_primary=True)
    grant_limit(mine, "100000", terms=30)  # K1: investigated, applied, approved by sam; orders on credit go ahead
    make_customer(org.alice, "苏州精工机械有限公司", address="江苏省苏州市工业园区星湖街328号")
    make_customer(org.alice, "杭州远洋物流有限公司", address="浙江省杭州市萧山区市心北路100号")
    theirs = [make_customer(org.bob, NOT_HERS[0]), make_customer(org.carol, NOT_HERS[1])]
    ProductFactory(name="长城液压油", category="hydraulic_oil", grade="L-HM 46", list_price=Decimal("380.00"))
    return org, mine, theirs


def log_in(page: Page, username: str = "alice", password: str = PASSWORD) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    form = page.locator("main form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()


def fill_order_date(page: Page) -> None:
    """Pick today's date. The form should come with it filled in, but in the Chinese UI it
    comes empty (see test_order_form_comes_with_todays_date), so the scenarios set it."""
    page.locator("form.order-form input[name=order_date]").fill(timezone.localdate().isoformat())


def nav_link(page: Page, href: str):
    return page.locator(f".mainnav a[href='{href}']")


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_first_minutes(device, device_page):
    from kehu.ledger.models import Order, OrderStatus

    page, screens = device_page
    org, mine, theirs = seed()

    # Log in through the form (axes is on and sees this login).
    page.goto("/")
    screens.shot("login")
    log_in(page)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".topbar .who")).to_have_text(str(org.alice))

    # A Chinese browser gets the Chinese UI.
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.locator(".brand")).to_contain_text("客户")
    expect(nav_link(page, "/customers/")).to_have_text(_expect_translated("Customers"))
    screens.shot("home")

    # Switch to English with the language button, then back to Chinese.
    switch = page.locator(".langswitch button[name=language]")
    expect(switch).to_have_text("EN")
    switch.click()
    expect(html).to_have_attribute("lang", "en")
    expect(nav_link(page, "/customers/")).to_have_text("Customers")
    expect(nav_link(page, "/orders/")).to_have_text("Orders")
    expect(page.locator(".topbar button.link")).to_have_text("Log out")
    expect(switch).to_have_text("中文")
    screens.shot("home-english")
    switch.click()
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(switch).to_have_text("EN")
    expect(nav_link(page, "/customers/")).to_have_text(_expect_translated("Customers"))
    expect(nav_link(page, "/orders/")).to_have_text(_expect_translated("Orders"))

    # The customer list: alice's three customers, nobody else's.
    nav_link(page, "/customers/").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    results = page.locator("#results")
    expect(results.locator("a.name")).to_have_count(3)
    for name in NOT_HERS:
        expect(results).not_to_contain_text(name)
    screens.shot("customer-list", docs=device.name == "phone")

    # Search by pinyin initials: htmx replaces #results with the match, and only hers.
    search = page.locator("input[name=q]")
    with page.expect_response(lambda r: "/customers/?" in r.url and "q=zsh" in r.url) as answer:
        search.fill("zsh")
    assert answer.value.request.headers.get("hx-request") == "true", "the search should be an htmx request"
    assert answer.value.status == 200
    expect(results.locator("a.name")).to_have_count(1)
    expect(results.locator("a.name")).to_have_text(SINOPEC)
    for name in NOT_HERS:
        expect(results).not_to_contain_text(name)
    expect(page).to_have_url(re.compile(r"/customers/\?.*q=zsh"))  # hx-push-url: the search is linkable
    screens.shot("customer-search")

    # Another rep's customer is not there by URL either.
    for other in theirs:
        response = page.request.get(f"/customers/{other.pk}/")
        assert response.status == 404, f"{other.name} should not be visible to alice"

    # The customer card.
    results.locator("a.name", has_text=SINOPEC).click()
    expect(page).to_have_url(re.compile(rf"/customers/{mine.pk}/$"))
    expect(page.locator("main h1")).to_have_text(SINOPEC)
    expect(page.locator("#contacts")).to_contain_text("王建国")
    expect(page.locator(".card-head")).to_contain_text(mine.code)
    screens.shot("customer-card", docs=device.name == "desktop")

    # 新建订单 / New order, one line, 保存并确认 / Save and confirm.
    page.locator(f"main a[href='/orders/new/?customer={mine.pk}']").first.click()
    expect(page).to_have_url(re.compile(rf"/orders/new/\?customer={mine.pk}$"))
    expect(page.locator(".customer-line")).to_contain_text(SINOPEC)
    fill_order_date(page)
    first = page.locator("#lines .line-row").first
    pick_product(first, org.product)
    first.locator("input[name=quantity]").fill("12")
    screens.shot("order-form")
    confirm = page.locator("form.order-form button[name=confirm]")
    expect(confirm).to_have_text(_expect_translated("Save and confirm"))
    confirm.click()

    # The order page: numbered, confirmed, for her customer.
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    heading = page.locator("main h1")
    expect(heading).to_contain_text(ORDER_NUMBER)
    number = ORDER_NUMBER.search(heading.inner_text()).group(0)
    status = heading.locator(".status")
    expect(status).to_have_class(re.compile(r"\bst-confirmed\b"))
    expect(status).to_have_text(_expect_translated("Confirmed"))
    expect(page.locator("main a", has_text=SINOPEC)).to_have_attribute("href", f"/customers/{mine.pk}/")
    expect(page.locator(".messages")).to_contain_text(number)
    screens.shot("order")

    order = Order.objects.get(number=number)
    assert order.customer_id == mine.pk
    assert order.status == OrderStatus.CONFIRMED
    assert order.handler_id == org.alice.pk
    assert order.total == Decimal("5040.00")  # 12 × ¥420
    assert Order.objects.count() == 1


def test_negative_quantity_is_refused_with_a_clear_message(device_page):
    from kehu.ledger.models import Order

    page, screens = device_page
    org, mine, _theirs = seed()
    log_in(page)
    expect(page).to_have_url(re.compile(r"/$"))

    page.goto(f"/orders/new/?customer={mine.pk}")
    fill_order_date(page)
    first = page.locator("#lines .line-row").first
    pick_product(first, org.product)
    first.locator("input[name=quantity]").fill("-5")
    page.locator("form.order-form button[name=confirm]").click()

    # Same form again, the reason in an alert, the entered line kept for correcting.
    expect(page).to_have_url(re.compile(rf"/orders/new/\?customer={mine.pk}$"))
    alert = page.locator("form.order-form .errors[role=alert]")
    expect(alert).to_be_visible()
    message = _tr("Line %(n)d: the quantity must be greater than zero.", "zh-hans") % {"n": 1}
    expect(alert).to_have_text(message)
    first = page.locator("#lines .line-row").first
    expect(first.locator("input[name=quantity]")).to_have_value("-5")
    expect(first.locator("input[name=product]")).to_have_value(str(org.product.pk))
    expect(page.locator(".customer-line")).to_contain_text(SINOPEC)
    screens.shot("order-error")
    assert Order.objects.count() == 0

    # Corrected, it goes through.
    first.locator("input[name=quantity]").fill("5")
    page.locator("form.order-form button[name=confirm]").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    expect(page.locator("main h1 .status")).to_have_class(re.compile(r"\bst-confirmed\b"))
    assert Order.objects.count() == 1


@pytest.fixture
def device():
    return DESKTOP


def test_wrong_password_says_so_and_the_right_one_still_works(device_page, settings):
    from axes.models import AccessAttempt

    page, _screens = device_page
    seed()
    log_in(page, password="not-" + PASSWORD)
    expect(page).to_have_url(re.compile(r"/login/"))
    from kehu.accounts.forms import LoginForm

    with translation.override("zh-hans"):
        wrong = str(LoginForm.error_messages["invalid_login"])
    expect(page.locator("main .errors[role=alert]")).to_contain_text(wrong)
    expect(page.locator("main input[name=username]")).to_have_value("alice")
    if settings.AXES_ENABLED:
        assert AccessAttempt.objects.filter(username="alice").exists(), "axes should see the browser's login"

    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".topbar .who")).to_be_visible()


@pytest.mark.parametrize("language", [
    pytest.param("en", id="en"),
    pytest.param("zh-hans", id="zh-hans"),
])
def test_order_form_comes_with_todays_date(language, device_page, live_server):
    """A rep entering an order should not have to pick today's date (the field is required)."""
    page, _screens = device_page
    _org, mine, _theirs = seed()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    log_in(page)
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto(f"/orders/new/?customer={mine.pk}")
    expect(page.locator("html")).to_have_attribute("lang", "en" if language == "en" else "zh-CN")
    date = page.locator("form.order-form input[name=order_date]")
    assert date.input_value() == timezone.localdate().isoformat(), (
        f"order date should be prefilled with today; the server sent value={date.get_attribute('value')!r}"
    )
