"""Yield by method on a hand-built history, as each role sees it: page, Excel export and API."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from python_calamine import CalamineWorkbook
from rest_framework.test import APIClient

from kehu.customers.models import SourceMethod
from kehu.engagement.services import touchpoint_log
from kehu.ledger.services import order_confirm, order_create
from kehu.prospecting import selectors, services

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2025, 1, 1, 3, tzinfo=datetime.UTC)


def _order(org, customer, day, amount):
    order = order_create(user=customer.owner, customer=customer, order_date=day, payment_method="cash",
                         lines=[{"product": org.product, "quantity": "1", "unit_price": amount}])
    return order_confirm(user=customer.owner, order=order)


@pytest.fixture
def history(org):
    with time_machine.travel(T0):
        show = services.exhibition_create(user=org.alice, data={
            "name": "华东润滑油展", "starts_on": datetime.date(2025, 1, 1), "ends_on": datetime.date(2025, 1, 2)})
        a1, a2, a3 = (services.prospect_file(user=org.alice, method=SourceMethod.EXHIBITION, company={"name": n},
                                             origin={"exhibition": show})
                      for n in ("展会甲机械有限公司", "展会乙物流有限公司", "展会丙建材有限公司"))
        b1, b2 = (services.prospect_file(user=org.bob, method=SourceMethod.REFERRAL, company={"name": n},
                                         origin={"referrer": "老客户"})
                  for n in ("转介绍甲有限公司", "转介绍乙有限公司"))
        services.colour_set(user=org.alice, customer=a1, colour="yellow", reason="报价")
        services.colour_set(user=org.alice, customer=a2, colour="yellow", reason="试用")
        services.colour_set(user=org.alice, customer=a2, colour="green", reason="预算冻结")  # was yellow once
        touchpoint_log(user=org.alice, customer=a3, data={"method": "souvenir", "cost": "100"})
        touchpoint_log(user=org.alice, customer=a1, data={"method": "visit", "cost": "250.50"})
    with time_machine.travel(datetime.datetime(2026, 11, 26, 3, tzinfo=datetime.UTC)):
        _order(org, a1, datetime.date(2025, 1, 31), "1000")
        _order(org, a1, datetime.date(2025, 6, 1), "500")
        _order(org, a1, datetime.date(2026, 3, 1), "700")  # more than a year after the first: not counted
        _order(org, b1, datetime.date(2025, 1, 11), "2000")
        services.origins_refresh(today=datetime.date(2026, 11, 26))
        assert services.origins_refresh(today=datetime.date(2026, 11, 26)) == 0  # idempotent
    return org


def test_refresh_gives_imported_customers_an_origin(org):
    from kehu.prospecting.models import ProspectOrigin
    from kehu.testing import make_customer

    make_customer(org.alice, "导入客户有限公司", source="news")
    make_customer(org.alice, "没有来源有限公司")
    services.origins_refresh(today=datetime.date(2026, 11, 26))
    origin = ProspectOrigin.objects.get()
    assert origin.method == "news" and origin.red_at  # a customer already: red


def _rows(rows):
    return {r.key: r for r in rows}


def test_funnel_figures(history):
    rows = _rows(selectors.funnel(user=history.sid))
    ex, ref = rows[SourceMethod.EXHIBITION], rows[SourceMethod.REFERRAL]
    assert (ex.created, ex.yellow, ex.red) == (3, 2, 1)
    assert ex.median_days == 30 and ex.first_year_sales == Decimal("1500.00")
    assert ex.touch_cost == Decimal("350.50")
    assert round(ex.conversion, 4) == round(1 / 3, 4)
    assert (ref.created, ref.yellow, ref.red, ref.median_days) == (2, 1, 1, 10)
    assert ref.first_year_sales == Decimal("2000.00") and ref.touch_cost == Decimal("0")


def test_funnel_by_record_and_filters(history):
    rows = _rows(selectors.funnel(user=history.sid, by="record"))
    assert rows["华东润滑油展"].created == 3 and rows["老客户"].created == 2
    assert [r.key for r in selectors.funnel(user=history.sid, rep=history.bob.pk)] == [SourceMethod.REFERRAL]
    assert [r.created for r in selectors.funnel(user=history.sid, team=history.team_north.pk)] == []
    assert selectors.funnel(user=history.sid, since=datetime.date(2026, 1, 1)) == []


EXPECTED = {
    "alice": {SourceMethod.EXHIBITION: 3},
    "bob": {SourceMethod.REFERRAL: 2},
    "carol": {},
    "sam": {SourceMethod.EXHIBITION: 3, SourceMethod.REFERRAL: 2},
    "sue": {},
    "kim": {},
    "cathy": {SourceMethod.EXHIBITION: 3, SourceMethod.REFERRAL: 2},
    "sid": {SourceMethod.EXHIBITION: 3, SourceMethod.REFERRAL: 2},
    "ada": {SourceMethod.EXHIBITION: 3, SourceMethod.REFERRAL: 2},
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_funnel_page_export_and_api_per_role(client, history, name):
    user = getattr(history, name)
    client.force_login(user)
    page = client.get(reverse("prospecting:funnel"))
    assert page.status_code == 200
    export = client.get(reverse("prospecting:funnel_export"))
    assert export.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(export.streaming_content) if export.streaming else export.content))
    cells = sheet.get_sheet_by_index(0).to_python()
    assert {row[0]: int(row[1]) for row in cells[1:]} == {str(SourceMethod(k).label): v for k, v in EXPECTED[name].items()}
    api = APIClient()
    api.force_authenticate(user)
    got = api.get("/api/v1/prospecting/yield").json()
    assert {r["key"]: r["created"] for r in got} == EXPECTED[name]
