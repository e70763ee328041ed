"""The company funnel reads the yield summary; after every kind of change it must give exactly the
figures computed from the customers themselves, with every filter (team, rep, whole and partial months)."""

import datetime

import pytest
import time_machine

from kehu.customers.models import SourceMethod
from kehu.customers.services import customers_won_by_orders
from kehu.engagement.services import touchpoint_log
from kehu.ledger.services import order_confirm, order_create
from kehu.prospecting import selectors, services
from kehu.prospecting.models import FunnelMonth, SharedPoolEntry

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))  # Asia/Shanghai


def _at(y, m, d, hour=12):
    return time_machine.travel(datetime.datetime(y, m, d, hour, tzinfo=TZ), tick=False)


def _figures(rows):
    return [(r.key, r.label, r.created, r.yellow, r.red, r.median_days, r.first_year_sales, r.touch_cost)
            for r in rows]


def _filters(org):
    d = datetime.date
    yield {}
    yield {"team": org.team_east.pk}
    yield {"team": org.team_north.pk}
    yield {"rep": org.alice.pk}
    yield {"rep": org.bob.pk, "team": org.team_east.pk}
    yield {"since": d(2025, 2, 1)}                               # whole months only
    yield {"until": d(2025, 2, 28)}
    yield {"since": d(2025, 1, 1), "until": d(2025, 3, 31)}
    yield {"since": d(2025, 1, 15)}                              # partial edge months
    yield {"until": d(2025, 3, 10)}
    yield {"since": d(2025, 1, 31), "until": d(2025, 3, 1)}
    yield {"since": d(2025, 2, 3), "until": d(2025, 2, 20)}      # inside one month
    yield {"since": d(2025, 1, 31), "until": d(2025, 2, 1)}      # across a boundary, no whole month
    yield {"since": d(2025, 3, 5), "until": d(2025, 1, 5)}       # the wrong way round: nothing
    yield {"since": d(2025, 1, 20), "until": d(2025, 3, 31), "team": org.team_east.pk}


def assert_same(org):
    """The summary-based funnel equals the raw computation, for the company and every filter."""
    for user in (org.sid, org.ada):
        for by in ("method", "record"):
            for filters in _filters(org):
                summarised = _figures(selectors.funnel(user=user, by=by, **filters))
                raw = _figures(selectors.funnel_raw(user=user, by=by, **filters))
                assert summarised == raw, (by, filters)


def _order(org, customer, day, amount):
    order = order_create(user=customer.owner, customer=customer, order_date=day, payment_method="cash",
                         lines=[{"product": org.product, "quantity": "1", "unit_price": amount}])
    return order_confirm(user=customer.owner, order=order)


def test_summary_funnel_equals_raw_after_every_change(org):
    assert_same(org)  # nothing at all
    # Filed through the methods, in three months, by reps of two teams; two either side of
    # midnight at a month's end (the month is the local one).
    with _at(2025, 1, 15):
        show = services.exhibition_create(user=org.alice, data={
            "name": "华东润滑油展", "starts_on": datetime.date(2025, 1, 15), "ends_on": datetime.date(2025, 1, 16)})
        a1 = services.prospect_file(user=org.alice, method=SourceMethod.EXHIBITION, company={"name": "展会甲机械有限公司"},
                                    origin={"exhibition": show})
        a2 = services.prospect_file(user=org.alice, method=SourceMethod.EXHIBITION, company={"name": "展会乙物流有限公司"},
                                    origin={"exhibition": show})
    assert_same(org)
    with _at(2025, 1, 31, hour=23):
        b1 = services.prospect_file(user=org.bob, method=SourceMethod.REFERRAL, company={"name": "转介绍甲有限公司"},
                                    origin={"referrer": "老客户"})
    with _at(2025, 2, 1, hour=0):
        c1 = services.prospect_file(user=org.carol, method=SourceMethod.NEWS, company={"name": "新闻甲化工有限公司"})
    with _at(2025, 2, 20):
        b2 = services.prospect_file(user=org.bob, method=SourceMethod.REFERRAL, company={"name": "转介绍乙有限公司"},
                                    origin={"referrer": "王总"})
    with _at(2025, 3, 5):
        a3 = services.prospect_file(user=org.alice, method=SourceMethod.EXHIBITION, company={"name": "展会丙建材有限公司"},
                                    origin={"exhibition": show})
    assert FunnelMonth.objects.exists()
    assert_same(org)
    # Colours up and down (yellow once stays reached yellow), and red by hand.
    with _at(2025, 3, 10):
        services.colour_set(user=org.alice, customer=a1, colour="yellow", reason="报价")
        assert_same(org)
        services.colour_set(user=org.alice, customer=a2, colour="yellow", reason="试用")
        services.colour_set(user=org.alice, customer=a2, colour="green", reason="预算冻结")
        assert_same(org)
        services.colour_set(user=org.carol, customer=c1, colour="red", reason="签约")
        assert_same(org)
    # Touches with a cost (the engagement app's services).
    with _at(2025, 3, 12):
        touchpoint_log(user=org.alice, customer=a3, data={"method": "souvenir", "cost": "100"})
        assert_same(org)
        touchpoint_log(user=org.alice, customer=a1, data={"method": "visit", "cost": "250.50"})
        touchpoint_log(user=org.bob, customer=b2, data={"method": "call", "cost": "0"})
        assert_same(org)
    # A prospect changes hands through a handover, another through the shared pool.
    with _at(2025, 3, 15):
        request = services.handover_request(user=org.carol, customer=b2, reason="展会上认识了采购")
        services.handover_decide(user=org.sam, request=request, approve=True)
        assert_same(org)
        services.decision_set(user=org.alice, customer=a2, decision="give_up", reason="没有需求")
        assert_same(org)
        entry = SharedPoolEntry.objects.get(customer=a2, closed=False)
        services.pool_claim(user=org.bob, entry=entry)
        assert_same(org)
    # Won by orders: the ledger turns them into customers at once; the daily job computes the days
    # to close and the first-year sales, and rebuilds the summary whole.
    with _at(2025, 4, 1):
        _order(org, a1, datetime.date(2025, 3, 31), "1000")
        _order(org, b1, datetime.date(2025, 2, 10), "2000")
        _order(org, c1, datetime.date(2025, 3, 20), "300")
    with _at(2025, 4, 2):
        services.origins_refresh(today=datetime.date(2025, 4, 2))
        assert_same(org)
        # A later order in the first year, and a whole import of order history winning another.
        _order(org, a1, datetime.date(2025, 6, 1), "500")
        customers_won_by_orders(customer_ids=[a3.pk])
        services.origins_refresh(today=datetime.date(2025, 6, 2))
        assert_same(org)
    # Rebuilding from nothing gives the same rows the services kept.
    kept = sorted(FunnelMonth.objects.values_list("owner", "by", "key", "month", "created", "yellow",
                                                  "red", "first_year_sales", "touch_cost", "days_to_close"),
                  key=repr)
    FunnelMonth.objects.all().delete()
    services.funnel_summary_refresh()
    rebuilt = sorted(FunnelMonth.objects.values_list("owner", "by", "key", "month", "created", "yellow",
                                                     "red", "first_year_sales", "touch_cost", "days_to_close"),
                     key=repr)
    assert rebuilt == kept
    assert_same(org)
    rows = {r.key: r for r in selectors.funnel(user=org.sid)}
    assert (rows["exhibition"].created, rows["exhibition"].yellow, rows["exhibition"].red) == (3, 3, 2)
    assert rows["referral"].red == 1 and rows["news"].red == 1


def test_the_summary_is_written_per_owner_and_month(org):
    with _at(2025, 1, 31, hour=23):  # 31 January in Shanghai, 15:00 UTC
        services.prospect_file(user=org.alice, method=SourceMethod.NEWS, company={"name": "月末甲有限公司"})
    with _at(2025, 2, 1, hour=1):  # 1 February in Shanghai, still 31 January in UTC
        services.prospect_file(user=org.alice, method=SourceMethod.NEWS, company={"name": "月初乙有限公司"})
    months = dict(FunnelMonth.objects.filter(by="method").values_list("month", "created"))
    assert months == {datetime.date(2025, 1, 1): 1, datetime.date(2025, 2, 1): 1}


def test_those_who_see_part_of_the_company_get_the_raw_figures(org):
    with _at(2025, 1, 15):
        services.prospect_file(user=org.alice, method=SourceMethod.NEWS, company={"name": "甲有限公司"})
        services.prospect_file(user=org.carol, method=SourceMethod.NEWS, company={"name": "乙有限公司"})
    for user in (org.alice, org.sam, org.kim, org.carol):
        assert _figures(selectors.funnel(user=user)) == _figures(selectors.funnel_raw(user=user))
    assert [r.created for r in selectors.funnel(user=org.alice)] == [1]
    assert [r.created for r in selectors.funnel(user=org.sid)] == [2]


def test_before_the_summary_is_first_built_the_customers_are_read(org):
    from kehu.testing import make_customer

    make_customer(org.alice, "导入甲有限公司", source="news")  # written directly, as the demo and imports do
    assert not FunnelMonth.objects.exists()
    assert [(r.key, r.created) for r in selectors.funnel(user=org.sid)] == [("news", 1)]
    services.funnel_summary_refresh()
    assert FunnelMonth.objects.exists()
    assert _figures(selectors.funnel(user=org.sid)) == _figures(selectors.funnel_raw(user=org.sid))
