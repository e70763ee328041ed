"""A rep's day on a phone (and a desk): the pre-departure checklist, starting the day, the route on
the map, checking in at the first customer with the phone's location, and logging the outcome.

The map has no tile server configured here (as on a network that reaches none), so the page must
still draw the stops and the route over its plain background. Screenshots go to
``test-artifacts/screenshots/<device>-visits-*.png``.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kehu.testing import build_org
from kehu.visits.models import EntryStatus, PlanEntry, PlanKind, RepBase, Slot, Visit
from kehu.visits.services import _plan_for
from kehu.visits.tests.factories import graded_customer

from .conftest import DEVICE_PARAMS, Screens, make_page, zh
from .test_credit_flow import log_in

pytestmark = pytest.mark.browser


def _seed():
    org = build_org()
    today = timezone.localdate()
    plan = _plan_for(rep=org.alice, kind=PlanKind.WEEK, day=today)
    RepBase.objects.create(user=org.alice, label="公司", lat="31.230000", lng="121.473700")
    customers = [graded_customer(org.alice, "A"), graded_customer(org.alice, "B", district=1),
                 graded_customer(org.alice, "C", district=3)]
    for i, c in enumerate(customers):
        PlanEntry.objects.create(plan=plan, customer=c, date=today, grade=c.abc_grade, minutes=30,
                                 slot=Slot.MORNING if c.abc_grade == "A" else Slot.ANY, position=i + 1,
                                 goal="介绍新品长城柴油机油" if i == 0 else "")
    return org, customers


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_a_reps_day(browser, live_server, request, device):
    org, customers = _seed()
    first = customers[0]
    context, page = make_page(browser, device, request, live_server)
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": float(first.lat) + 0.0005, "longitude": float(first.lng)})
    screens = Screens(page, device)
    try:
        log_in(page, "alice")
        page.goto("/visits/")
        checklist = page.locator("#checklist form")
        expect(checklist).to_be_visible()
        expect(page.locator("#map-notice")).to_be_visible()  # no tiles: said so, markers still drawn
        screens.shot("visits-checklist")

        # start with two items unticked and no reason: refused, and told why
        for item in ("appearance", "sales_map", "industry", "graded"):
            checklist.locator(f"input[name={item}]").check()
        checklist.locator("button[type=submit]").click()
        expect(page.locator("#checklist .error")).to_be_visible()
        screens.shot("visits-checklist-refused")
        checklist = page.locator("#checklist form")
        for item in ("appearance", "sales_map", "industry", "graded", "cards", "goals"):
            checklist.locator(f"input[name={item}]").check()
        checklist.locator("button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/visits/\?date="))
        expect(page.locator("#checklist form")).to_have_count(0)

        # the route: times for every stop, numbered markers and the line on the map
        page.locator("#plan-route button").click()
        expect(page.locator(".stops .time")).to_have_count(3)
        expect(page.locator(".kehu-map .route-stop")).to_have_count(3)
        expect(page.locator(".kehu-map path.leaflet-interactive")).to_have_count(1)
        page.locator("#route").scroll_into_view_if_needed()
        screens.shot("visits-route")

        # check in at the first stop with the phone's position, then log the outcome
        first_entry = PlanEntry.objects.get(customer=first)
        page.locator(f"#entry-{first_entry.pk} form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/visits/log/\d+/$"))
        visit = Visit.objects.get(entry=first_entry)
        assert visit.distance_m is not None and visit.distance_m < 100 and not visit.far
        form = page.locator("main form").first
        form.locator("input[name=outcome][value=progress]").check()
        form.locator("textarea[name=summary]").fill("设备部对试用装反馈良好，同意下月小批量采购。")
        form.locator(f"input[name=products][value='{org.product.pk}']").check()
        form.locator("input[name=next_step]").fill("送正式报价单")
        form.locator("input[name=next_step_on]").fill((timezone.localdate() + timezone.timedelta(days=3)).isoformat())
        screens.shot("visits-log")
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/visits/\?date="))
        expect(page.locator(".messages")).to_contain_text(zh("Visit logged."))
        screens.shot("visits-day-after")
        first_entry.refresh_from_db()
        assert first_entry.status == EntryStatus.DONE
        assert PlanEntry.objects.filter(customer=first, goal="送正式报价单").exists()
        assert page.problems == []
    finally:
        context.close()


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_a_week_plan_approved_and_the_sales_map(browser, live_server, request, device):
    """alice generates her weekly plan and submits it; sam approves it and looks at the team's map."""
    from kehu.visits.models import Plan

    org, customers = _seed()
    context, page = make_page(browser, device, request, live_server)
    screens = Screens(page, device)
    try:
        log_in(page, "alice")
        page.goto("/visits/plans/")
        form = page.locator("main form.card")
        form.locator("select[name=kind]").select_option("week")
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/visits/plans/\d+/$"))
        expect(page.locator(".plan-day").first).to_be_visible()
        screens.shot("visits-plan")
        page.locator("form[action$='/submit/'] button").click()
        plan = Plan.objects.get(rep=org.alice, kind=PlanKind.WEEK)
        assert plan.status == "submitted"
        context.clear_cookies()

        log_in(page, "sam")
        page.goto(f"/visits/plans/{plan.pk}/")
        page.locator("form[action$='/approve/'] button").click()
        expect(page.locator(".messages")).to_contain_text(zh("Plan approved."))
        plan.refresh_from_db()
        assert plan.status == "approved" and plan.decided_by == org.sam
        # alice's submission reached sam's inbox, sent in Chinese; it reads in English when he switches
        page.goto("/notifications/")
        expect(page.locator("main")).to_contain_text(f"{org.alice} 提交了")
        screens.shot("visits-inbox")
        page.locator(".langswitch button").click()
        expect(page.locator("main")).to_contain_text(
            f"{org.alice} submitted a visit plan from {plan.starts_on.isoformat()} for approval.")
        screens.shot("visits-inbox-en")
        page.locator(".langswitch button").click()
        expect(page.locator("main")).to_contain_text(f"{org.alice} 提交了")

        page.goto("/visits/map/")
        expect(page.locator(".kehu-map path.leaflet-interactive")).to_have_count(len(customers))
        expect(page.locator("#map-notice")).to_be_visible()
        screens.shot("visits-map")
        page.goto("/visits/adherence/")
        expect(page.locator("#overdue")).to_be_visible()
        screens.shot("visits-adherence")
        assert page.problems == []
    finally:
        context.close()
