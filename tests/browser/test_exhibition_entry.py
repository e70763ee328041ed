"""At a show, on a phone: alice files three prospects in a row, one of them a company carol already
has. Kehu names carol as the owner, files nothing for it, and alice asks for it in one tap."""

import datetime

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.prospecting.models import HandoverRequest
from kehu.prospecting.services import exhibition_create
from kehu.testing import build_org, make_customer

from .conftest import DESKTOP, PHONE
from .test_first_minutes import log_in

pytestmark = pytest.mark.browser


def seed():
    org = build_org()
    make_customer(org.carol, "北京燕山石化机械有限公司", phone="010-69341234")
    show = exhibition_create(user=org.alice, data={
        "name": "2026 中国国际工程机械展", "starts_on": datetime.date(2026, 11, 24),
        "ends_on": datetime.date(2026, 11, 27), "venue": "上海新国际博览中心"})
    return org, show


@pytest.mark.parametrize("device", [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")])
def test_three_exhibition_prospects_in_a_row_one_a_duplicate(device_page, device):
    page, screens = device_page
    org, show = seed()
    log_in(page)
    page.goto(f"/prospecting/exhibitions/{show.pk}/")
    expect(page.locator("h1")).to_contain_text("2026 中国国际工程机械展")
    screens.shot("exhibition-entry")
    entries = [
        ("E2-101", "壳牌经销商供货，月结", "苏州宏达精密机械有限公司", "王建国", "13912345678"),
        ("E2-118", "长城润滑油直供", "燕山石化机械（北京）有限公司", "刘工", ""),  # carol's customer, written otherwise
        ("W5-020", "美孚经销商", "无锡华光锅炉股份有限公司", "陈总", "13800001234"),
    ]
    for booth, supply, name, person, phone in entries:
        form = page.locator("form.quick-entry")
        form.locator("input[name=booth]").fill(booth)
        form.locator("input[name=supply]").fill(supply)
        form.locator("input[name=name]").fill(name)
        form.locator("input[name=contact_name]").fill(person)
        form.locator("input[name=phone]").fill(phone)
        form.locator("button[type=submit]").click()
        if "燕山" in name:
            box = page.locator(".duplicates")
            expect(box).to_be_visible()
            expect(box).to_contain_text("卡罗")
            expect(box).to_contain_text("北京燕山石化机械有限公司")
            screens.shot("exhibition-duplicate")
            box.locator("button[type=submit]").click()
            expect(page.locator(".messages")).to_contain_text("卡罗")
        else:
            expect(page.locator(".messages")).to_contain_text(name)
    expect(page.locator("ul.filed li")).to_have_count(2)
    screens.shot("exhibition-filed")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= device.width + 1, "the page scrolls sideways"
    assert set(Customer.objects.filter(owner=org.alice).values_list("name", flat=True)) == {
        "苏州宏达精密机械有限公司", "无锡华光锅炉股份有限公司"}
    assert HandoverRequest.objects.get().requested_by == org.alice
    assert Customer.objects.get(name="北京燕山石化机械有限公司").owner == org.carol


@pytest.mark.parametrize("device", [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")])
def test_prospecting_pages_fit_the_screen(device_page, device):
    """The card's prospecting and touch sections, the shared pool, a campaign and the yield report
    render without errors and without sideways scrolling."""
    from kehu.customers.models import SourceMethod
    from kehu.engagement.services import touchpoint_log
    from kehu.prospecting.services import (
        campaign_create,
        decision_set,
        origins_refresh,
        prospect_file,
    )

    page, screens = device_page
    org, show = seed()
    prospect = prospect_file(user=org.alice, method=SourceMethod.EXHIBITION, company={"name": "苏州宏达精密机械有限公司"},
                             contact={"name": "王建国"}, origin={"exhibition": show, "booth": "E2-101", "supply": "壳牌经销商"})
    touchpoint_log(user=org.alice, customer=prospect, data={"method": "visit", "outcome": "参观了车间，约下周报价", "cost": "120"})
    gone = prospect_file(user=org.bob, method=SourceMethod.INBOUND, company={"name": "无锡华光锅炉股份有限公司"})
    decision_set(user=org.bob, customer=gone, decision="give_up", reason="已与对手签约")
    campaign = campaign_create(user=org.alice, data={"name": "苏南纺织业", "industry": org.industry, "sunset": True,
                                                     "avoid": "不要谈产能外迁"})
    origins_refresh(today=datetime.date.today())
    log_in(page)
    for path, name in [(f"/customers/{prospect.pk}/", "prospect-card"), ("/prospecting/", "prospecting-home"),
                       ("/prospecting/pool/", "shared-pool"), (f"/prospecting/campaigns/{campaign.pk}/", "campaign"),
                       ("/prospecting/yield/", "yield"), ("/touchpoints/", "touches")]:
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        screens.shot(name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= device.width + 1, f"{path} scrolls sideways"
    page.goto("/prospecting/pool/")
    expect(page.locator("main")).to_contain_text("无锡华光锅炉股份有限公司")
