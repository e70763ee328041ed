"""The day sheet on paper (F1): the route with its times, the drawn map, and each customer's card —
contacts, grade, needs, credit status and holds, last visits, open items and the visit goal — in
Chinese, with a CJK font embedded so nothing prints as boxes."""

import datetime
import shutil
import subprocess

import pytest
import time_machine
from django.utils import translation

from kehu.credit.services import credit_freeze
from kehu.customers.models import CustomerNeed, NeedCategory
from kehu.engagement.models import TouchMethod
from kehu.engagement.services import touchpoint_plan
from kehu.ledger.models import OrderStatus, Receivable
from kehu.ledger.services import order_confirm, order_create, order_deliver, order_invoice
from kehu.testing import grant_limit, make_contact
from kehu.visits.models import PlanEntry, PlanKind, RepBase
from kehu.visits.pdf import day_sheet_context, day_sheet_pdf, route_svg
from kehu.visits.services import (
    _plan_for,
    day_route_compute,
    plan_entry_add,
    visit_check_in,
    visit_log,
)
from kehu.visits.tests.factories import graded_customer

DAY = datetime.date(2026, 11, 26)  # a Thursday
EARLIER = datetime.datetime(2026, 11, 12, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
NOW = datetime.datetime(2026, 11, 26, 7, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


@pytest.fixture
def day(org):
    RepBase.objects.create(user=org.alice, lat="31.2000", lng="121.4800")
    first = graded_customer(org.alice, "A", district=0)
    second = graded_customer(org.alice, "B", district=1)
    make_contact(first, name="王建国", title="设备科长", phone="13800138000")
    CustomerNeed.objects.create(customer=first, category=NeedCategory.DIESEL, monthly_volume="12000", unit="L",
                                current_supplier="壳牌")
    grant_limit(first, "1000")
    held = order_confirm(user=org.alice, order=order_create(
        user=org.alice, customer=first, payment_method="credit",
        lines=[{"product": org.product, "quantity": "1", "unit_price": "5000"}]))
    assert held.status == OrderStatus.HELD
    grant_limit(second, "50000", terms=30)
    with time_machine.travel(datetime.datetime(2026, 10, 9, 10, 0, tzinfo=EARLIER.tzinfo), tick=False):
        sold = order_confirm(user=org.alice, order=order_create(
            user=org.alice, customer=second, payment_method="credit",
            lines=[{"product": org.product, "quantity": "1", "unit_price": "2345.60"}]))
        order_invoice(user=org.alice, order=order_deliver(user=org.alice, order=sold))  # due 30 days on
    overdue_days = (DAY - Receivable.objects.get(order=sold).due_on).days
    assert overdue_days > 0
    credit_freeze(user=org.cathy, customer=second, reason="逾期九十天未回款")
    touchpoint_plan(user=org.alice, customer=second, data={"method": TouchMethod.CALL, "planned_on": DAY + datetime.timedelta(days=2),
                                                           "notes": "电话确认付款日期"}, today=DAY)
    with time_machine.travel(EARLIER, tick=False):
        earlier = visit_check_in(user=org.alice, customer=first, lat=float(first.lat), lng=float(first.lng))
        visit_log(user=org.alice, visit=earlier, outcome="progress", next_step="送试用装")
    with time_machine.travel(NOW, tick=False):
        plan = _plan_for(rep=org.alice, kind=PlanKind.WEEK, day=DAY)
        plan_entry_add(user=org.alice, plan=plan, customer=first, date=DAY, goal="介绍新品长城柴油机油")
        plan_entry_add(user=org.alice, plan=plan, customer=second, date=DAY, goal="催收货款")
        plan_entry_add(user=org.alice, plan=plan, customer=first, date=DAY + datetime.timedelta(days=1), goal="回访试用效果")
        route = day_route_compute(user=org.alice, date=DAY)
    return {"first": first, "second": second, "held": held, "route": route, "overdue_days": overdue_days}


def _text(pdf: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "day.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_day_sheet_carries_route_and_every_card_in_chinese(org, day, tmp_path):
    with translation.override("zh-hans"):
        pdf = day_sheet_pdf(viewer=org.alice, person=org.alice, date=DAY)
        labels = [str(translation.gettext(s)) for s in ("Day sheet", "Route", "contacts", "last visits", "open items")]
    assert pdf.startswith(b"%PDF")
    text = _text(pdf, tmp_path)
    for label in labels:
        assert label in text and label.isascii() is False, label
    first, second = day["first"], day["second"]
    for value in (first.name, second.name, first.code, "王建国", "13800138000", "壳牌", day["held"].number,
                  "逾期九十天未回款", "送试用装", "2026-11-12", "回访试用效果", "2026-11-27", "介绍新品长城柴油机油", "催收货款",
                  "2026-11-28", "电话确认付款日期"):
        assert value in text, value
    with translation.override("zh-hans"):
        owed = translation.gettext("overdue ¥%(amount)s, the oldest %(days)s days past due") % {
            "amount": "2,345.60", "days": day["overdue_days"]}
    assert owed in text
    for stop in day["route"].plan["route"]:  # each routed visit with its start and end
        start, end = stop["start"], stop["end"]
        assert f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}" in text


def test_the_day_sheet_embeds_a_cjk_font(org, day, tmp_path):
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts (poppler-utils) is not installed")
    path = tmp_path / "day.pdf"
    with translation.override("zh-hans"):
        path.write_bytes(day_sheet_pdf(viewer=org.alice, person=org.alice, date=DAY))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    cjk = [line for line in fonts if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts  # embedded, not left to the printer


def test_the_map_draws_every_routed_stop_in_route_order(org, day):
    context = day_sheet_context(viewer=org.alice, person=org.alice, date=DAY)
    routed = [card for card in context["cards"] if card["n"]]
    in_order = [PlanEntry.objects.get(pk=stop["id"]).customer_id for stop in day["route"].plan["route"]]
    assert len(in_order) == 2 and [card["customer"].pk for card in routed] == in_order
    drawn = context["map"]
    assert [s["label"] for s in drawn["stops"]] == [str(card["n"]) for card in routed]
    # the line leaves the base, passes each stop in order and comes back
    points = drawn["line"].split()
    assert points[0] == points[-1] == f"{drawn['base']['x']},{drawn['base']['y']}"
    assert points[1:-1] == [f"{s['x']},{s['y']}" for s in drawn["stops"]]


def test_the_map_keeps_north_up_and_every_point_inside_the_box():
    base = (31.20, 121.48)
    drawn = route_svg([(31.25, 121.50, "1", "A"), (31.15, 121.40, "2", "C")], base, width=640, height=300)
    north, south = drawn["stops"]
    assert north["y"] < drawn["base"]["y"] < south["y"]  # north is up
    assert south["x"] < drawn["base"]["x"] < north["x"]  # east is right
    assert all(0 <= s["x"] <= 640 and 0 <= s["y"] <= 300 for s in drawn["stops"])


def test_someone_elses_customers_stay_off_the_sheet(org, day, tmp_path):
    # Bob, a rep of another team, asking for Alice's day sees none of her customers.
    context = day_sheet_context(viewer=org.bob, person=org.alice, date=DAY)
    assert context["cards"] == [] and context["map"] is None


def test_the_map_has_one_scale_for_both_directions():
    # 2 km north and 2 km east of the base are drawn the same distance from it (no stretched city).
    import math

    base = (31.20, 121.48)
    north = (base[0] + 0.018, base[1], "1", "A")
    east = (base[0], base[1] + 0.018 / math.cos(math.radians(base[0] + 0.009)), "2", "B")
    drawn = route_svg([north, east], base)
    b = drawn["base"]
    up = b["y"] - drawn["stops"][0]["y"]
    right = drawn["stops"][1]["x"] - b["x"]
    assert up > 50 and abs(up - right) <= 1.0, (up, right)


def test_what_the_sheet_says_is_owed_agrees_with_the_customers_ageing(org, day):
    from kehu.credit.selectors import customer_ageing, customers_overdue

    second = day["second"]
    owed = customers_overdue(customer_ids=[day["first"].pk, second.pk], today=DAY)
    ageing = customer_ageing(customer_id=second.pk, today=DAY)
    assert set(owed) == {second.pk}  # the first owes nothing past due
    assert owed[second.pk] == {"amount": ageing["overdue"], "days": ageing["oldest_overdue_days"]}
