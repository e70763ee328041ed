"""A notification is worded in the reader's language when read, whatever language it was sent in."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy
from rest_framework.test import APIClient

from kehu.accounts.models import Notification
from kehu.accounts.services import notify
from kehu.core.messages import joined, message, render_json
from kehu.credit.models import ApplicationStatus

pytestmark = pytest.mark.django_db


def test_a_message_keeps_its_source_words_and_is_worded_when_read():
    note = message(gettext_lazy("Your credit application for %(customer)s was %(result)s."),
                   customer="甲机械有限公司", result=ApplicationStatus.APPROVED.label)
    with translation.override("zh-hans"):
        stored = note.as_json()  # made while Chinese is active: still the source words
        chinese = note.render()
    assert stored == {"t": "Your credit application for %(customer)s was %(result)s.",
                      "p": {"customer": "甲机械有限公司", "result": {"t": "Approved"}}}
    with translation.override("en"):
        english = render_json(stored)
    assert english == "Your credit application for 甲机械有限公司 was Approved."
    assert chinese != english and "甲机械有限公司" in chinese and "授信申请已批准" in chinese
    with translation.override("zh-hans"):
        assert render_json(stored) == chinese


def test_lists_joined_values_numbers_and_plain_words():
    note = message(gettext_lazy("Prospect pools below target: %(list)s"), list=joined("; ", [
        message("%(label)s %(count)s/%(target)s", label=gettext_lazy("My prospects"), count=3, target=10),
        message("%(label)s %(count)s/%(target)s", label="华东一组", count=20, target=40)]))
    with translation.override("en"):
        assert note.render() == "Prospect pools below target: My prospects 3/10; 华东一组 20/40"
    with translation.override("zh-hans"):
        text = note.render()
    assert text.endswith("3/10; 华东一组 20/40") and "My prospects" not in text
    assert render_json(message("plain %(n)d words", n=2).as_json()) == "plain 2 words"
    sentences = message(gettext_lazy("Order %(number)s for %(customer)s (%(amount)s) is held: %(why)s"), number="SO-1",
                        customer="甲", amount="¥1.00", why=[message("One."), message("Two.")])
    with translation.override("en"):
        assert sentences.render() == "Order SO-1 for 甲 (¥1.00) is held: One. Two."


def test_a_stored_message_that_no_longer_fits_falls_back_to_the_words_it_was_sent_with(org):
    notify(users=[org.alice], text=message(gettext_lazy("%(n)d new key-account candidates wait for a decision."), n=2))
    note = Notification.objects.get(user=org.alice)
    assert note.words == {"t": "%(n)d new key-account candidates wait for a decision.", "p": {"n": 2}}
    with translation.override("en"):
        assert note.shown == "2 new key-account candidates wait for a decision."
    note.words = {"t": "%(n)d new key-account candidates wait for a decision.", "p": {"m": 2}}  # a value renamed since
    assert note.shown == note.text
    with pytest.raises(ValueError):
        render_json({"p": {}})
    notify(users=[org.bob], text="纯文本消息")  # a plain text is shown as it was sent
    assert Notification.objects.get(user=org.bob).shown == "纯文本消息"


def test_a_plan_returned_in_chinese_reads_in_english_for_an_english_reader(org):
    from kehu.visits.models import PlanKind
    from kehu.visits.services import plan_decide, plan_generate, plan_submit
    from kehu.visits.tests.factories import graded_customer

    graded_customer(org.alice, "A")
    with translation.override("zh-hans"):
        plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=datetime.date(2026, 11, 11))
        plan_submit(user=org.alice, plan=plan)
        plan_decide(user=org.sam, plan=plan, approve=False, note="周三多排一家")
    start = plan.starts_on.isoformat()
    note = Notification.objects.get(user=org.alice)
    assert "周三多排一家" in note.text and "Your visit plan" not in note.text  # sent in Chinese

    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(org.alice)
    page = english.get(reverse("notifications")).content.decode()
    assert f"Your visit plan from {start} was returned: 周三多排一家" in page
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(org.alice)
    assert note.text in chinese.get(reverse("notifications")).content.decode()

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(org.alice)
    [row] = api.get("/api/v1/notifications").json()["results"]
    assert row["text"] == f"Your visit plan from {start} was returned: 周三多排一家"
    # the supervisor was told of the submission, and reads that in English too
    api.force_authenticate(org.sam)
    [row] = api.get("/api/v1/notifications").json()["results"]
    assert row["text"] == f"{org.alice} submitted a visit plan from {start} for approval."


def test_a_held_order_names_its_reasons_in_the_readers_language(org, django_capture_on_commit_callbacks):
    from kehu.ledger.models import OrderStatus
    from kehu.ledger.services import order_confirm, order_create
    from kehu.testing import make_customer

    customer = make_customer(org.alice, "甲机械有限公司")
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        order = order_create(user=org.alice, customer=customer, payment_method="credit",
                             lines=[{"product": org.product, "quantity": "1", "unit_price": "100"}])
        order = order_confirm(user=org.alice, order=order)
    assert order.status == OrderStatus.HELD
    note = Notification.objects.get(user=org.alice, text__contains=order.number)
    with translation.override("en"):
        assert note.shown == (f"Order {order.number} for 甲机械有限公司 (¥100.00) is held: "
                              "The customer has no approved credit limit and the order is not cash.")
    assert "The customer has no approved credit limit" not in note.text  # sent in Chinese
