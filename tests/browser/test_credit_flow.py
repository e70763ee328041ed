"""The credit flow (K1 and the order-time check) as people do it, in a real browser, at desktop and
phone widths.

alice (rep) investigates her customer's credit and applies for a limit; sam (her supervisor)
approves a lower amount; alice enters an order on credit above the limit, it is held, she reads
why in numbers and asks for an exception; sam approves it and the order is confirmed. Each person
logs in through the login form in their own browser context (their own cookies).

Assertions are on stable things: URLs, element ids and CSS classes (``st-held``,
``st-confirmed``), amounts as the pages print them (``40,000.00``) and the database through the
ORM. Words, where checked at all, go through the server's own message catalogue (``_tr``).
Screenshots of every step go to ``test-artifacts/screenshots/<device>-credit-*.png``.
"""

import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from kehu.testing import (
    INVESTIGATION,
    PASSWORD,
    build_org,
    grant_limit,
    make_contact,
    make_customer,
)

from .conftest import DESKTOP, DEVICES, SCREENSHOTS, Screens, make_page, pick_product

pytestmark = pytest.mark.browser

SINOPEC = "中石化润滑油销售有限公司"
DEVICE_PARAMS = [pytest.param(d, id=d.name) for d in DEVICES]

INVESTIGATION_EXTRA = {
    "main_suppliers": "壳牌、美孚",
    "banks": "中国工商银行上海张江支行",
    "notes": "实地走访：厂区整洁，设备开工率高，财务负责人配合提供报表。",
}
APPLICATION_REASON = "年采购长城柴油机油约60万元，按30天账期供货；首批订单约4万元。"
APPROVAL_COMMENT = "首次合作，先批4万元，三个月后视回款情况再议。"
EXCEPTION_REASON = "客户旺季补货，本单超额度2,000元；客户承诺30天内回款，上月无逾期。"
EXCEPTION_COMMENT = "同意本单特批，下单前请确认回款计划。"


def _tr(message: str, language: str = "zh-hans") -> str:
    with translation.override(language):
        return str(translation.gettext(message))


def money(amount) -> str:
    """An amount as the pages print it (``floatformat:"2g"``): 40000 → ``40,000.00``."""
    return f"{Decimal(amount):,.2f}"


def log_in(page: Page, username: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    form = page.locator("main form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".topbar .who")).to_be_visible()


def fill_fields(form, values: dict) -> None:
    """Fill inputs, textareas and selects of ``form`` by field name."""
    for name, value in values.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))


def pk_from(page: Page, pattern: str) -> int:
    match = re.search(pattern, page.url)
    assert match, f"{page.url} does not match {pattern}"
    return int(match.group(1))


def seed():
    org = build_org()
    mine = make_customer(org.alice, SINOPEC, address="上海市浦东新区张江路88号", phone="021-58881234")
    make_contact(mine, name="王建国", title="采购经理", phone="13812345678", is_primary=True)
    return org, mine


@pytest.fixture
def device():
    """Tests not parametrized by device run at desktop width."""
    return DESKTOP


@pytest.fixture
def other_browser(request, browser, live_server, device):
    """``other_browser(name)`` → ``(page, screens)`` in a fresh context: another person's browser.

    Like ``device_page``: the test fails on JavaScript or server errors seen there, and a failing
    test leaves ``FAILED-<test>-<name>.png``.
    """
    opened = []

    def _open(name: str):
        context, page = make_page(browser, device, request, live_server)
        opened.append((name, context, page))
        return page, Screens(page, device)

    yield _open
    failed = getattr(request.node, "rep_call", None)
    failed = failed is not None and failed.failed
    problems = []
    for name, context, page in opened:
        if failed:
            test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
            try:
                page.screenshot(path=str(SCREENSHOTS / f"FAILED-{test}-{name}.png"), full_page=True)
            except Exception:  # the page may be gone; the failure itself is what matters
                pass
        problems += [f"{name}: {p}" for p in page.problems]
        context.close()
    if problems and not failed:
        pytest.fail("the browser saw errors:\n" + "\n".join(problems), pytrace=False)


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_credit_flow(device, device_page, other_browser):
    from kehu.credit.models import (
        ApplicationStatus,
        CheckResult,
        CreditCheck,
        CreditException,
        CreditLimit,
        Investigation,
        LimitApplication,
    )
    from kehu.ledger.models import Order, OrderStatus

    alice, alice_shots = device_page
    org, mine = seed()
    card_url = f"/customers/{mine.pk}/"

    # ── 1. alice: card → credit section → investigation → score → application ────────────────
    log_in(alice, "alice")
    alice.locator(".mainnav a[href='/customers/']").click()
    alice.locator("#results a.name", has_text=SINOPEC).click()
    expect(alice).to_have_url(re.compile(rf"{card_url}$"))
    alice.locator("nav.tabs a[href='#credit']").click()
    expect(alice).to_have_url(re.compile(rf"{card_url}#credit$"))
    credit = alice.locator("section#credit")
    expect(credit).to_be_in_viewport()
    expect(credit).to_contain_text(_tr("No approved limit: orders on credit are held."))
    # No investigation yet, so no application either.
    expect(credit.locator(f"a[href='/credit/customers/{mine.pk}/applications/new/']")).to_have_count(0)
    alice.screenshot(path=str(SCREENSHOTS / f"{device.name}-credit-card-tab.png"))  # what the tab jump shows
    alice_shots.shot("credit-card-before")

    credit.locator(f"a[href='/credit/customers/{mine.pk}/investigations/new/']").click()
    expect(alice).to_have_url(re.compile(rf"/credit/customers/{mine.pk}/investigations/new/$"))
    form = alice.locator("main form")
    expect(form.locator("input[name=investigated_on]")).to_have_value(timezone.localdate().isoformat())
    fill_fields(form, {**INVESTIGATION, **INVESTIGATION_EXTRA})
    alice_shots.shot("credit-investigation-form")
    form.locator("button[type=submit]").click()

    expect(alice).to_have_url(re.compile(r"/credit/investigations/\d+/$"))
    investigation = Investigation.objects.get(pk=pk_from(alice, r"/credit/investigations/(\d+)/$"))
    assert investigation.customer_id == mine.pk
    assert investigation.investigated_by_id == org.alice.pk
    assert investigation.investigated_on == timezone.localdate()
    assert investigation.main_suppliers == INVESTIGATION_EXTRA["main_suppliers"]
    figures = alice.locator("main .figures .figure b")
    expect(figures.nth(0)).to_have_text(str(investigation.score))
    with translation.override("zh-hans"):
        risk = str(investigation.get_risk_class_display())
    expect(figures.nth(1)).to_have_text(risk)
    expect(alice.locator(".messages")).to_contain_text(str(investigation.score))
    alice_shots.shot("credit-investigation")

    alice.locator(f"main .actions a[href='/credit/customers/{mine.pk}/applications/new/']").click()
    expect(alice).to_have_url(re.compile(rf"/credit/customers/{mine.pk}/applications/new/$"))
    expect(alice.locator("main")).to_contain_text(str(investigation.score))
    form = alice.locator("main form")
    fill_fields(form, {"requested_limit": "50000", "requested_terms_days": "30", "reason": APPLICATION_REASON})
    alice_shots.shot("credit-application-form")
    send = form.locator("button[type=submit]")
    expect(send).to_have_text(_tr("Send for approval"))
    send.click()

    expect(alice).to_have_url(re.compile(r"/credit/applications/\d+/$"))
    application_url = re.search(r"/credit/applications/\d+/$", alice.url).group(0)
    application = LimitApplication.objects.get(pk=pk_from(alice, r"/credit/applications/(\d+)/$"))
    assert (application.customer_id, application.applicant_id, application.investigation_id) == (
        mine.pk, org.alice.pk, investigation.pk)
    assert application.requested_limit == Decimal("50000.00")
    assert application.requested_terms_days == 30
    assert application.status == ApplicationStatus.PENDING
    main = alice.locator("main")
    expect(main).to_contain_text(money(50000))
    expect(main).to_contain_text(APPLICATION_REASON)
    # Nobody approves their own request: alice gets no decision form, and a forged POST is refused.
    expect(alice.locator("form#decide")).to_have_count(0)
    expect(alice.locator("input[name=decision]")).to_have_count(0)
    csrf = next(c["value"] for c in alice.context.cookies() if c["name"] == "csrftoken")
    forged = alice.request.post(application_url, form={
        "csrfmiddlewaretoken": csrf, "decision": "approve", "amount": "", "terms_days": "", "comment": ""})
    assert forged.status == 403, f"alice deciding her own application got HTTP {forged.status}"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert not CreditLimit.objects.filter(customer=mine).exists()
    alice_shots.shot("credit-application-sent")

    # ── 2. sam: Approvals → the application → approve ¥40,000 with a comment ────────────────
    sam, sam_shots = other_browser("sam")
    log_in(sam, "sam")
    inbox_link = sam.locator(".mainnav a[href='/credit/inbox/']")
    expect(inbox_link).to_have_text(_tr("Approvals"))
    inbox_link.click()
    expect(sam).to_have_url(re.compile(r"/credit/inbox/$"))
    row = sam.locator("main tr", has=sam.locator(f"a[href='{application_url}']"))
    expect(row).to_contain_text(SINOPEC)
    expect(row).to_contain_text(money(50000))
    sam_shots.shot("credit-inbox")

    row.locator(f"a[href='{application_url}']").click()
    expect(sam).to_have_url(re.compile(rf"{application_url}$"))
    decide = sam.locator("form#decide")
    expect(decide).to_be_visible()
    expect(decide.locator(".errors")).to_have_count(0)  # 50,000 is within sam's authority
    decide.locator("input[name=decision][value=approve]").check()
    fill_fields(decide, {"amount": "40000", "comment": APPROVAL_COMMENT})
    sam_shots.shot("credit-approval")
    decide.locator("button[type=submit]").click()

    expect(sam).to_have_url(re.compile(rf"{application_url}$"))
    expect(sam.locator(".messages")).to_contain_text(_tr("Decision recorded."))
    expect(sam.locator("form#decide")).to_have_count(0)
    expect(sam.locator("main dl.facts").first).to_contain_text(money(40000))
    expect(sam.locator("main dl.facts").first).to_contain_text(APPROVAL_COMMENT)
    sam_shots.shot("credit-approved")

    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.decided_by_id == org.sam.pk
    assert application.approved_limit == Decimal("40000.00")
    assert application.approved_terms_days == 30
    limit = CreditLimit.objects.get(customer=mine, is_current=True)
    assert (limit.amount, limit.terms_days, limit.approved_by_id, limit.application_id) == (
        Decimal("40000.00"), 30, org.sam.pk, application.pk)

    # alice sees the decision on her application and the limit on the card; still no form.
    alice.goto(application_url)
    expect(alice.locator("main dl.facts").first).to_contain_text(money(40000))
    expect(alice.locator("main dl.facts").first).to_contain_text(str(org.sam))
    expect(alice.locator("form#decide")).to_have_count(0)
    alice.goto(card_url + "#credit")
    expect(credit).to_contain_text(money(40000))
    expect(credit).to_contain_text(str(org.sam))
    alice_shots.shot("credit-card-limit")

    # ── 3. alice: an order on credit above the limit is held; why, in numbers; exception ──────
    alice.locator(f"main a[href='/orders/new/?customer={mine.pk}']").first.click()
    expect(alice).to_have_url(re.compile(rf"/orders/new/\?customer={mine.pk}$"))
    form = alice.locator("form.order-form")
    expect(form.locator("select[name=payment_method]")).to_have_value("credit")  # terms approved: on credit
    form.locator("input[name=order_date]").fill(timezone.localdate().isoformat())
    line = form.locator("#lines .line-row").first
    pick_product(line, org.product)
    line.locator("input[name=quantity]").fill("100")  # 100 drums × ¥420 = ¥42,000 > ¥40,000
    alice_shots.shot("credit-order-form")
    form.locator("button[name=confirm]").click()

    expect(alice).to_have_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(pk=pk_from(alice, r"/orders/(\d+)/$"))
    status = alice.locator("main h1 .status")
    expect(status).to_have_class(re.compile(r"\bst-held\b"))
    expect(status).to_have_text(_tr("Held for credit"))
    expect(alice.locator("main tfoot")).to_contain_text(money(42000))
    assert order.status == OrderStatus.HELD
    assert order.total == Decimal("42000.00")
    assert order.payment_method == "credit"
    check = CreditCheck.objects.get(order=order)
    assert check.result == CheckResult.HELD
    assert (check.limit_amount, check.exposure_before, check.order_amount) == (
        Decimal("40000.00"), Decimal("0.00"), Decimal("42000.00"))
    assert [r["code"] for r in check.reasons] == ["over_limit"]
    why = alice.locator(f"main a[href='/credit/orders/{order.pk}/']")
    expect(why).to_be_visible()
    alice_shots.shot("credit-held")

    why.click()
    expect(alice).to_have_url(re.compile(rf"/credit/orders/{order.pk}/$"))
    expect(alice.locator("main h1 .status")).to_have_class(re.compile(r"\bst-held\b"))
    numbers = alice.locator("#why .figures .figure b")
    expect(numbers).to_have_text([f"¥{money(40000)}", f"¥{money(0)}", f"¥{money(42000)}", f"¥{money(0)}"])
    reasons = alice.locator("#why ul.reasons li")
    expect(reasons).to_have_count(1)
    for figure in (money(0), money(42000), money(40000), money(2000)):  # exposure + order = after > limit, by
        expect(reasons).to_contain_text(figure)
    alice_shots.shot("credit-check")

    form = alice.locator("main form", has=alice.locator("textarea[name=reason]"))
    form.locator("textarea[name=reason]").fill(EXCEPTION_REASON)
    form.locator("button[type=submit]").click()

    expect(alice).to_have_url(re.compile(r"/credit/exceptions/\d+/$"))
    exception_url = re.search(r"/credit/exceptions/\d+/$", alice.url).group(0)
    exception = CreditException.objects.get(pk=pk_from(alice, r"/credit/exceptions/(\d+)/$"))
    assert (exception.order_id, exception.requested_by_id, exception.status) == (
        order.pk, org.alice.pk, ApplicationStatus.PENDING)
    assert exception.order_amount == exception.exposure_after == Decimal("42000.00")
    expect(alice.locator(".messages")).to_contain_text(_tr("Exception requested; the approvers have been told."))
    expect(alice.locator("main dl.facts").first).to_contain_text(money(42000))
    expect(alice.locator("form#decide")).to_have_count(0)  # not hers to decide either
    alice_shots.shot("credit-exception-requested")

    # The order page has no exception form any more (one pending request at a time).
    alice.goto(f"/credit/orders/{order.pk}/")
    expect(alice.locator("textarea[name=reason]")).to_have_count(0)
    expect(alice.locator(f"main a[href='{exception_url}']")).to_be_visible()

    # ── 4. sam approves the exception (¥42,000 is within his ¥200,000): the order is confirmed ──
    sam.locator(".mainnav a[href='/credit/inbox/']").click()
    expect(sam).to_have_url(re.compile(r"/credit/inbox/$"))
    row = sam.locator("main tr", has=sam.locator(f"a[href='{exception_url}']"))
    expect(row).to_contain_text(order.number)
    expect(row).to_contain_text(money(42000))
    expect(sam.locator(f"main a[href='{application_url}']")).to_have_count(0)  # decided: no longer waiting
    sam_shots.shot("credit-inbox-exception")

    row.locator(f"a[href='{exception_url}']").click()
    expect(sam).to_have_url(re.compile(rf"{exception_url}$"))
    expect(sam.locator("main dl.facts").first).to_contain_text(EXCEPTION_REASON)
    decide = sam.locator("form#decide")
    decide.locator("input[name=decision][value=approve]").check()
    decide.locator("textarea[name=comment]").fill(EXCEPTION_COMMENT)
    sam_shots.shot("credit-exception-approval")
    decide.locator("button[type=submit]").click()

    expect(sam).to_have_url(re.compile(rf"{exception_url}$"))
    expect(sam.locator(".messages")).to_contain_text(_tr("Decision recorded."))
    expect(sam.locator("form#decide")).to_have_count(0)
    expect(sam.locator("main dl.facts").first).to_contain_text(str(org.sam))
    sam_shots.shot("credit-exception-approved")

    exception.refresh_from_db()
    assert exception.status == ApplicationStatus.APPROVED
    assert exception.decided_by_id == org.sam.pk
    assert exception.decision_comment == EXCEPTION_COMMENT
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    latest = CreditCheck.objects.filter(order=order).order_by("-checked_at", "-id").first()
    assert latest.result == CheckResult.RELEASED
    assert latest.exception_id == exception.pk

    # alice sees her order confirmed, and the card counts it in the exposure.
    alice.goto(f"/orders/{order.pk}/")
    status = alice.locator("main h1 .status")
    expect(status).to_have_class(re.compile(r"\bst-confirmed\b"))
    expect(status).to_have_text(_tr("Confirmed"))
    alice_shots.shot("credit-confirmed")
    alice.locator(f"main a[href='/credit/orders/{order.pk}/']").click()
    expect(alice.locator("main h1 .status")).to_have_class(re.compile(r"\bst-confirmed\b"))
    decided = alice.locator("main tr", has=alice.locator(f"a[href='{exception_url}']"))
    expect(decided).to_contain_text(str(org.sam))  # the exception, decided by sam
    alice_shots.shot("credit-check-released")
    alice.goto(card_url + "#credit")
    expect(credit).to_contain_text(money(42000))  # exposure
    assert CreditLimit.objects.get(customer=mine, is_current=True).amount == Decimal("40000.00")


def test_exception_above_the_supervisors_authority_goes_to_the_senior_manager(device_page, other_browser):
    """An exception bringing exposure to ¥210,000 is above sam's ¥200,000: sid decides it."""
    from kehu.credit.models import ApplicationStatus, CreditException
    from kehu.ledger.models import Order, OrderStatus
    from kehu.ledger.services import order_confirm, order_create

    alice, alice_shots = device_page
    org, mine = seed()
    grant_limit(mine, "150000", terms=30, approver=org.sam)
    order = order_create(user=org.alice, customer=mine, lines=[{"product": org.product.pk, "quantity": "500"}])
    order = order_confirm(user=org.alice, order=order)
    assert order.status == OrderStatus.HELD and order.total == Decimal("210000.00")

    # alice asks through the page.
    log_in(alice, "alice")
    alice.goto(f"/credit/orders/{order.pk}/")
    form = alice.locator("main form", has=alice.locator("textarea[name=reason]"))
    form.locator("textarea[name=reason]").fill("年底集中采购，客户已付定金。")
    form.locator("button[type=submit]").click()
    expect(alice).to_have_url(re.compile(r"/credit/exceptions/\d+/$"))
    exception = CreditException.objects.get(order=order)
    url = f"/credit/exceptions/{exception.pk}/"

    # sam may see it, but his approval is refused with his authority in numbers.
    sam, sam_shots = other_browser("sam")
    log_in(sam, "sam")
    sam.goto(url)
    decide = sam.locator("form#decide")
    decide.locator("input[name=decision][value=approve]").check()
    decide.locator("button[type=submit]").click()
    alert = sam.locator("form#decide .errors[role=alert]")
    expect(alert).to_contain_text(money(210000))
    expect(alert).to_contain_text(money(200000))
    sam_shots.shot("credit-exception-above-authority")
    exception.refresh_from_db()
    assert exception.status == ApplicationStatus.PENDING

    # sid, the senior manager, finds it in his Approvals and approves it.
    sid, sid_shots = other_browser("sid")
    log_in(sid, "sid")
    sid.locator(".mainnav a[href='/credit/inbox/']").click()
    sid.locator(f"main a[href='{url}']").click()
    expect(sid).to_have_url(re.compile(rf"{url}$"))
    decide = sid.locator("form#decide")
    decide.locator("input[name=decision][value=approve]").check()
    decide.locator("textarea[name=comment]").fill("同意，年底前必须回款。")
    decide.locator("button[type=submit]").click()
    expect(sid.locator("form#decide")).to_have_count(0)
    sid_shots.shot("credit-exception-senior")
    exception.refresh_from_db()
    assert exception.status == ApplicationStatus.APPROVED
    assert exception.decided_by_id == org.sid.pk
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED

    alice.goto(f"/orders/{order.pk}/")
    expect(alice.locator("main h1 .status")).to_have_class(re.compile(r"\bst-confirmed\b"))


def test_held_order_is_not_announced_as_confirmed(device_page):
    page, _screens = device_page
    org, mine = seed()
    grant_limit(mine, "40000", terms=30, approver=org.sam)
    log_in(page, "alice")
    page.goto(f"/orders/new/?customer={mine.pk}")
    form = page.locator("form.order-form")
    form.locator("input[name=order_date]").fill(timezone.localdate().isoformat())
    line = form.locator("#lines .line-row").first
    pick_product(line, org.product)
    line.locator("input[name=quantity]").fill("100")
    form.locator("button[name=confirm]").click()
    expect(page.locator("main h1 .status")).to_have_class(re.compile(r"\bst-held\b"))
    number = page.locator("main h1").inner_text().split()[0]
    confirmed = _tr("Order %(n)s confirmed.") % {"n": number}
    messages = page.locator(".messages")
    shown = messages.inner_text() if messages.count() else ""
    assert confirmed not in shown, (
        f"the held order is announced as {confirmed!r}")


def test_hold_reasons_show_no_python_internals(device_page):
    from kehu.ledger.services import order_confirm, order_create

    page, _screens = device_page
    org, mine = seed()
    grant_limit(mine, "40000", terms=30, approver=org.sam)
    order = order_create(user=org.alice, customer=mine, lines=[{"product": org.product.pk, "quantity": "100"}])
    order_confirm(user=org.alice, order=order)
    log_in(page, "alice")
    page.goto(f"/credit/orders/{order.pk}/")
    reason = page.locator("#why ul.reasons li")
    expect(reason).to_contain_text(money(2000))
    assert "dict_items" not in reason.inner_text()
    expect(reason.locator("small")).to_have_count(0)
