"""The Pareto report and a key account's page, in a real browser at desktop and phone widths.

sid (senior manager) opens the Pareto report of a company graded by `kehu abc`, narrows it to a
team, then opens a key account with its health panel and account plan and saves the plan.
Screenshots: test-artifacts/screenshots/<device>-pareto.png, <device>-key-account.png.
"""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kehu.customers.models import CustomerNeed
from kehu.keyaccounts.models import KeyAccountCandidate
from kehu.keyaccounts.services import candidate_decide, candidates_refresh
from kehu.ledger.services import order_confirm, order_create
from kehu.testing import build_org, make_customer

from .conftest import DEVICES
from .test_credit_flow import log_in

pytestmark = pytest.mark.browser
DEVICE_PARAMS = [pytest.param(d, id=d.name) for d in DEVICES]
NAMES = ["华东重工机械有限公司", "江苏远洋物流有限公司", "浙江恒力纺织有限公司", "上海申通汽修厂", "苏州精密模具有限公司",
         "杭州湾港口服务有限公司", "宁波北仑运输车队", "无锡锡钢铸造厂", "南通海工船舶修造", "常州金坛农机合作社"]


def seed():
    org = build_org()
    today = timezone.localdate()
    customers = []
    for index, name in enumerate(NAMES):
        owner = [org.alice, org.bob, org.carol][index % 3]
        region = org.north if owner == org.carol else org.east
        c = make_customer(owner, name, code=f"KH{index + 1:04d}", region=region)
        for month in range(1, 4):
            day = today - datetime.timedelta(days=30 * month)
            order = order_create(user=owner, customer=c, order_date=day, payment_method="cash", lines=[
                {"product": org.product, "quantity": str(max(1, 40 // (index + 1) ** 1)), "unit_price": "420"}])
            order_confirm(user=owner, order=order)
        customers.append(c)
    call_command("abc")
    candidates_refresh(today=today)
    big = customers[0]
    candidate_decide(user=org.sid, candidate=KeyAccountCandidate.objects.get(customer=big), confirm=True,
                     manager=org.kim, sponsor=org.sid)
    CustomerNeed.objects.create(customer=big, category="engine_oil", monthly_volume=2000, unit="L",
                                current_supplier="壳牌", description="柴油机油 CI-4")
    return org, big


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_pareto_and_key_account_pages(device, device_page):
    page, screens = device_page
    org, big = seed()
    log_in(page, "sid")
    page.goto("/reports/pareto/")
    expect(page.locator("svg.pareto-chart polyline.curve")).to_be_visible()
    expect(page.locator("svg.pareto-chart rect.band-A")).to_have_count(1)
    expect(page.locator("table.list").first).to_contain_text("20% / 80%")
    expect(page.get_by_text(NAMES[0]).first).to_be_visible()
    screens.shot("pareto")
    page.goto(f"/reports/pareto/?scope=team&group={org.team_north.pk}")
    expect(page.locator("main")).not_to_contain_text(NAMES[0])
    page.goto(f"/key-accounts/{big.pk}/")
    expect(page.locator(".bars div")).to_have_count(12)
    expect(page.locator("main")).to_contain_text("壳牌")
    page.locator("textarea[name=goals]").fill("年用量提升至 3 万升，成为第一供应商")
    page.locator("input[name=our_share_pct]").fill("35")
    page.locator("form.form-grid button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/key-accounts/{big.pk}/$"))
    expect(page.locator("textarea[name=goals]")).to_have_value("年用量提升至 3 万升，成为第一供应商")
    screens.shot("key-account")
    page.goto("/key-accounts/")
    expect(page.locator("main")).to_contain_text(NAMES[0])
    screens.shot("key-accounts")
