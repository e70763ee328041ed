"""The customer card's visits section shows the cadence the plans follow."""

import datetime

from django.test import Client
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.keyaccounts.models import AccountPlan, KeyAccountPolicy
from kehu.visits.models import EntryKind, PlanKind
from kehu.visits.services import plan_generate
from kehu.visits.tests.factories import graded_customer


def _visits_section(user, customer) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    start = html.index("Visit cadence")
    return html[start:html.index("</dd>", start)]


def test_a_key_accounts_card_shows_the_programmes_senior_cadence(org):
    ka = graded_customer(org.alice, "B")
    Customer.objects.filter(pk=ka.pk).update(is_key_account=True, key_account_sponsor=org.sid)
    # before the programme sets a cadence, the visit policy's monthly senior visit stands
    assert "1 with the senior manager" in _visits_section(org.alice, ka)
    KeyAccountPolicy.objects.create(senior_visit_every_days=45)
    section = _visits_section(org.alice, ka)
    assert "with the senior manager every 45 days" in section and "1 with the senior manager" not in section
    AccountPlan.objects.create(customer=ka, senior_visit_every_days=21)
    assert "with the senior manager every 21 days" in _visits_section(org.alice, ka)
    # and that is the cadence the plan follows: 1, 22 (the 21st days after) in a 31-day month
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.MONTH, day=datetime.date(2026, 12, 1))
    assert plan.entries.filter(customer=ka, kind=EntryKind.SENIOR).count() == 2


def test_an_ordinary_customers_card_has_no_senior_cadence(org):
    KeyAccountPolicy.objects.create(senior_visit_every_days=45)
    c = graded_customer(org.alice, "A")
    assert "senior manager" not in _visits_section(org.alice, c)
