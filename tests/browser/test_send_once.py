"""A form that saves is sent once, however many times it is tapped before the answer comes.

On a phone on a slow connection the button is tapped again; at a desk it is double-clicked. Each
second press used to send the form again: two customers of the same name, two visits. Kehu's
pages now ignore a second press while the first is on its way (static/kehu/once.js); a page
held back by its own script (the check-in, while the phone finds its position) is not counted as
sent, and the browser's back button gives a form that can be sent again.
"""

import re

import pytest
from playwright.sync_api import expect

from kehu.testing import build_org

from .conftest import DEVICE_PARAMS
from .test_first_minutes import log_in

pytestmark = pytest.mark.browser

NAME = "宁波港城机械有限公司"


def _posts(page, path: str) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith(path) else None)
    return sent


def _new_customer_form(page):
    """alice on the new-customer page with the name typed in; the form."""
    build_org()
    log_in(page)
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/customers/new/")
    form = page.locator("main form").filter(has=page.locator("input[name=name]"))
    form.locator("input[name=name]").fill(NAME)
    return form


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_a_new_customer_pressed_twice_is_saved_once(device, device_page):
    from kehu.customers.models import Customer

    page, screens = device_page
    form = _new_customer_form(page)
    # The answer is held back until the second press, as on a slow connection.
    held: list = []
    page.route("**/customers/new/", lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    button = form.locator("button[type=submit]").last
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    press = page.touchscreen.tap if device.has_touch else page.mouse.click
    press(x, y)
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, "the first press sends the form"
    press(x, y)  # pressed again while waiting
    page.wait_for_timeout(500)
    assert len(held) == 1, "the second press sent the form again"
    held[0].continue_()
    expect(page.locator("h1")).to_contain_text(NAME)  # the new customer's card
    screens.shot("customer-sent-once")
    assert Customer.objects.filter(name=NAME).count() == 1


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_a_form_refused_by_the_server_can_be_sent_again_at_once(device, device_page):
    """The answer came (a page saying what is wrong): the corrected form goes at the first press."""
    from kehu.customers.models import Customer

    page, _ = device_page
    form = _new_customer_form(page)
    form.locator("input[name=uscc]").fill("123")  # not a unified social credit code
    sent = _posts(page, "/customers/new/")
    form.locator("button[type=submit]").last.click()
    expect(page.locator("main")).to_contain_text("123")
    form = page.locator("main form").filter(has=page.locator("input[name=name]"))
    form.locator("input[name=uscc]").fill("")
    form.locator("button[type=submit]").last.click()
    expect(page.locator("h1")).to_contain_text(NAME)
    assert len(sent) == 2, sent
    assert Customer.objects.filter(name=NAME).count() == 1
