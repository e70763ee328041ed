"""Touchpoints (P4) logged and scheduled, reminders turned into touches, the card's timeline, and who
sees which pages."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.customers.models import ColourGrade
from kehu.engagement import selectors, services
from kehu.engagement.models import TouchMethod, Touchpoint, TouchStatus
from kehu.testing import make_contact, make_customer

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 9, 20)


@pytest.fixture
def customer(org):
    return make_customer(org.alice, "苏州金刚机械有限公司", colour=ColourGrade.YELLOW)


def test_every_touch_method_logged_with_outcome_and_cost(org, customer):
    for method in TouchMethod.values:
        services.touchpoint_log(user=org.alice, customer=customer, today=TODAY,
                                data={"method": method, "outcome": "收到", "cost": "12.50", "done_on": TODAY})
    assert Touchpoint.objects.filter(status=TouchStatus.DONE).count() == len(TouchMethod.values) >= 10
    assert Touchpoint.objects.first().cost == Decimal("12.50")


@pytest.mark.parametrize(("data", "field"), [
    ({"method": "fax"}, "method"),
    ({"method": "call", "cost": "-1"}, "cost"),
    ({"method": "call", "cost": "abc"}, "cost"),
    ({"method": "call", "done_on": TODAY + datetime.timedelta(days=1)}, "done_on"),
])
def test_bad_touches_are_refused_whole(org, customer, data, field):
    with pytest.raises(ValidationError) as caught:
        services.touchpoint_log(user=org.alice, customer=customer, data=data, today=TODAY)
    assert field in caught.value.message_dict
    assert not Touchpoint.objects.exists()


def test_contact_must_belong_to_the_customer(org, customer):
    other = make_contact(make_customer(org.alice, "别家有限公司"))
    with pytest.raises(ValidationError):
        services.touchpoint_log(user=org.alice, customer=customer, data={"method": "call", "contact": other.pk}, today=TODAY)


def test_only_those_who_may_change_the_customer_touch_it(org, customer):
    for user in (org.bob, org.carol, org.cathy, org.sue):
        with pytest.raises(PermissionDenied):
            services.touchpoint_log(user=user, customer=customer, data={"method": "call"}, today=TODAY)
    services.touchpoint_log(user=org.sam, customer=customer, data={"method": "visit"}, today=TODAY)


def test_plan_then_complete(org, customer):
    with pytest.raises(ValidationError):
        services.touchpoint_plan(user=org.alice, customer=customer, data={"method": "visit", "planned_on": TODAY - datetime.timedelta(days=1)}, today=TODAY)
    planned = services.touchpoint_plan(user=org.alice, customer=customer,
                                       data={"method": "visit", "planned_on": TODAY + datetime.timedelta(days=2)}, today=TODAY)
    done = services.touchpoint_complete(user=org.alice, touchpoint=planned, outcome="同意试用", cost="300", today=TODAY)
    assert done.status == TouchStatus.DONE and done.done_on == TODAY and done.cost == Decimal("300")
    with pytest.raises(ValidationError):
        services.touchpoint_complete(user=org.alice, touchpoint=planned)


def test_cadence_suggestion_by_colour(org, customer):
    services.touchpoint_log(user=org.alice, customer=customer, data={"method": "call", "done_on": datetime.date(2026, 9, 1)}, today=TODAY)
    cadence = selectors.cadence_suggestion(customer=customer, today=TODAY)
    assert cadence.every_days == 7 and cadence.next_touch == datetime.date(2026, 9, 8) and cadence.overdue
    green = make_customer(org.alice, "绿色潜客有限公司", colour=ColourGrade.GREEN, lifecycle="prospect")
    assert selectors.cadence_suggestion(customer=green, today=TODAY).every_days == 30
    low = make_customer(org.alice, "低频潜客有限公司", colour=ColourGrade.GREEN, lifecycle="prospect", pursuit="low_cadence")
    assert selectors.cadence_suggestion(customer=low, today=TODAY).every_days == 60
    gone = make_customer(org.alice, "放弃潜客有限公司", lifecycle="prospect", pursuit="give_up")
    assert selectors.cadence_suggestion(customer=gone, today=TODAY) is None


def test_reminders_birthdays_festivals_occasions_and_due(org, customer):
    lunar = make_contact(customer, name="王总", birthday_lunar=True, birthday_month=8, birthday_day=15)
    make_contact(customer, name="李工", birthday_month=9, birthday_day=28)
    make_contact(make_customer(org.bob, "鲍勃的客户有限公司"), name="别人的", birthday_month=9, birthday_day=22)
    widow = make_contact(customer, name="赵会计")
    services.life_event_note(user=org.alice, contact=widow, kind="bereavement", on=datetime.date(2026, 9, 18))
    services.touchpoint_plan(user=org.alice, customer=customer, data={"method": "visit", "planned_on": TODAY}, today=TODAY)
    reminders = selectors.reminders_for(user=org.alice, today=TODAY, days=10)
    seen = [(r.kind, r.date) for r in reminders]
    assert ("birthday", datetime.date(2026, 9, 25)) in seen  # 八月十五, Mid-Autumn day in 2026
    assert ("birthday", datetime.date(2026, 9, 28)) in seen
    assert ("festival", datetime.date(2026, 9, 25)) in seen
    assert ("occasion", datetime.date(2026, 9, 18)) in seen
    assert ("due", TODAY) in seen
    assert not any("别人的" in r.title for r in reminders)
    birthday = next(r for r in reminders if r.contact_id == lunar.pk)
    planned = services.reminder_plan(user=org.alice, key=birthday.key, today=TODAY)
    again = services.reminder_plan(user=org.alice, key=birthday.key, today=TODAY)
    assert planned == again and planned[0].method == "birthday_gift" and planned[0].planned_on == datetime.date(2026, 9, 25)
    condolence = next(r for r in reminders if r.kind == "occasion")
    assert services.reminder_plan(user=org.alice, key=condolence.key, today=TODAY)[0].method == "condolence"


def test_festival_reminder_plans_greetings_for_the_book(org, customer):
    make_customer(org.alice, "绿色潜客有限公司", colour=ColourGrade.GREEN, lifecycle="prospect")
    make_customer(org.alice, "黄色潜客有限公司", colour=ColourGrade.YELLOW, lifecycle="prospect")
    key = "festival:mid_autumn:2026"
    planned = services.reminder_plan(user=org.alice, key=key, today=TODAY)
    assert {t.customer.name for t in planned} == {"苏州金刚机械有限公司", "黄色潜客有限公司"}
    assert len(services.reminder_plan(user=org.alice, key=key, today=TODAY)) == 2
    assert Touchpoint.objects.count() == 2
    with pytest.raises(ValidationError):
        services.reminder_plan(user=org.alice, key="festival:spring:2030", today=TODAY)


# ── pages ────────────────────────────────────────────────────────────────────────────────────

ROLES = ["alice", "bob", "carol", "sam", "sue", "kim", "cathy", "sid", "ada"]


@pytest.mark.parametrize("name", ROLES)
def test_touch_page_and_card_timeline_per_role(client, org, customer, name):
    with time_machine.travel(datetime.datetime(2026, 9, 20, 9, tzinfo=datetime.UTC)):
        services.touchpoint_log(user=org.alice, customer=customer, data={"method": "visit", "outcome": "谈了价格"})
        client.force_login(getattr(org, name))
        assert client.get(reverse("engagement:home")).status_code == 200
        card = client.get(reverse("customers:detail", args=[customer.pk]))
        sees = name in {"alice", "sam", "cathy", "sid", "ada"}
        assert card.status_code == (200 if sees else 404)
        if sees:
            assert "谈了价格" in card.content.decode()
        new = client.get(reverse("engagement:new", args=[customer.pk]))
        assert new.status_code == (200 if name in {"alice", "sam", "sid", "ada"} else 403 if sees else 404)


def test_log_a_touch_through_the_page(client, org, customer):
    client.force_login(org.alice)
    response = client.post(reverse("engagement:new", args=[customer.pk]),
                           {"when": "done", "method": "chat", "date": "2026-09-01", "outcome": "微信聊了新品", "cost": ""})
    assert response.status_code == 302
    assert Touchpoint.objects.get().outcome == "微信聊了新品"
    bad = client.post(reverse("engagement:new", args=[customer.pk]),
                      {"when": "plan", "method": "chat", "date": "2020-01-01"})
    assert bad.status_code == 200 and Touchpoint.objects.count() == 1


def test_others_cannot_complete_or_cancel(client, org, customer):
    touch = services.touchpoint_plan(user=org.alice, customer=customer, data={"method": "visit", "planned_on": datetime.date(2099, 1, 1)})
    client.force_login(org.bob)
    assert client.get(reverse("engagement:complete", args=[touch.pk])).status_code == 404
    assert client.post(reverse("engagement:cancel", args=[touch.pk])).status_code == 404
    client.force_login(org.cathy)
    assert client.get(reverse("engagement:complete", args=[touch.pk])).status_code == 403
