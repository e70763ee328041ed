"""K1 for limits decided in the previous system: ``limit_import_record`` and what a carried-over
investigation does (and does not do) on the pages, the API, the scorecard and the next application."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from kehu.credit import services
from kehu.credit.models import (
    AuditEntry,
    CreditLimit,
    Investigation,
    InvestigationSource,
    LimitApplication,
    ReviewReason,
    ReviewTask,
)
from kehu.testing import INVESTIGATION, grant_limit, make_customer

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 11, 26)


@pytest.fixture(autouse=True)
def english_on_a_fixed_day():
    with translation.override("en"), time_machine.travel(datetime.datetime(2026, 11, 26, 10, 0), tick=False):
        yield


@pytest.fixture
def cust(org):
    return make_customer(org.alice, "甲机械有限公司")


def record(org, customer, **kw):
    args = {"user": org.cathy, "customer": customer, "amount": "80000", "terms_days": 30, "approver": org.sam,
            "approved_on": datetime.date(2026, 8, 1)} | kw
    return services.limit_import_record(**args)


def test_records_investigation_application_and_limit_as_an_approval_does(org, cust):
    ReviewTask.objects.create(customer=cust, reason=ReviewReason.EXPIRED, detail="x", raised_on=TODAY)
    limit = record(org, cust, note="原系统 2026-08 批复")
    assert (limit.amount, limit.terms_days, limit.approved_by, limit.is_current) == (D("80000.00"), 30, org.sam, True)
    assert (limit.valid_from, limit.review_on) == (datetime.date(2026, 8, 1), datetime.date(2027, 8, 1))
    application = limit.application
    assert (application.status, application.applicant, application.decided_by) == ("approved", org.alice, org.sam)
    assert application.reason == "原系统 2026-08 批复" and "imported into Kehu by 财务凯西" in application.decision_comment
    investigation = application.investigation
    assert investigation.source == InvestigationSource.IMPORTED and investigation.investigated_by == org.cathy
    assert investigation.score is None and investigation.risk_class == "" and "原系统 2026-08 批复" in investigation.notes
    assert services.limit_current(customer_id=cust.pk) == limit
    cust.refresh_from_db()
    assert cust.payment_terms_days == 30
    assert ReviewTask.objects.get().done_by == org.cathy  # a new limit answers the expiry prompt, as an approval does
    assert list(AuditEntry.objects.order_by("id").values_list("action", "user")) == [
        ("investigation.import", org.cathy.pk), ("application.import", org.cathy.pk), ("limit.import", org.cathy.pk)]


@pytest.mark.parametrize("who", ["alice", "sam", "kim"])
def test_only_credit_staff_record_imported_limits(org, cust, who):
    with pytest.raises(PermissionDenied, match="Only credit control"):
        record(org, cust, user=getattr(org, who))
    assert not CreditLimit.objects.exists() and not Investigation.objects.exists()


@pytest.mark.parametrize("change, field, message", [
    ({"approver": "alice"}, "approver", "Nobody approves their own request."),
    ({"approver": "sue"}, "approver", "A supervisor approves only the requests of their own team's reps."),
    ({"approver": "cathy"}, "approver", "Only a supervisor or a senior manager approves credit."),
    ({"amount": "250000"}, "approver", "above your approval authority"),
    ({"amount": "-1"}, "amount", "Amounts cannot be negative."),
    ({"amount": "2000000000"}, "amount", "larger than Kehu accepts"),
    ({"terms_days": 181}, "terms_days", "from 0 to 180"),
    ({"approved_on": datetime.date(2026, 12, 1)}, "approved_on", "cannot be approved in the future"),
    ({"approved_on": datetime.date(2025, 1, 1)}, "approved_on", "expired on 2026-01-01"),
    ({"valid_until": datetime.date(2028, 1, 1)}, "valid_until", "until 2027-11-26 at the latest"),
])
def test_the_k1_rule_holds_in_the_service(org, cust, change, field, message):
    change = {k: getattr(org, v) if k == "approver" else v for k, v in change.items()}
    with pytest.raises(ValidationError) as caught:
        record(org, cust, **change)
    assert message in " ".join(caught.value.message_dict[field])
    assert not CreditLimit.objects.exists() and not Investigation.objects.exists() and not AuditEntry.objects.exists()


def test_a_senior_manager_approves_above_the_supervisor_and_an_inactive_one_does_not(org, cust):
    assert record(org, cust, amount="250000", approver=org.sid).approved_by == org.sid
    org.sid.is_active = False
    org.sid.save()
    with pytest.raises(ValidationError, match="not an active user"):
        record(org, cust, amount="260000", approver=org.sid)


def test_a_carried_over_investigation_never_backs_a_new_application(org, cust):
    investigation = record(org, cust).application.investigation
    assert services.investigation_current(customer=cust) == investigation
    with pytest.raises(ValidationError) as caught:
        services.application_submit(user=org.alice, customer=cust, investigation=investigation, requested_limit="90000",
                                    requested_terms_days=30, reason="加额度")
    assert "investigate the customer in Kehu" in caught.value.message_dict["investigation"][0]
    # K2: a fresh investigation in Kehu, and the usual approval, change the limit.
    application = grant_limit(cust, "90000")
    assert application.investigation.source == InvestigationSource.KEHU
    assert services.limit_current(customer_id=cust.pk).amount == D("90000.00")
    assert CreditLimit.objects.filter(customer=cust).count() == 2


def test_only_a_carried_over_investigation_may_lack_a_score(org, cust):
    with pytest.raises(IntegrityError), transaction.atomic():
        Investigation.objects.create(customer=cust, investigated_by=org.alice, investigated_on=TODAY, score=None,
                                     risk_class="", ownership="", revenue_band="", payment_record_us="",
                                     payment_record_others="", legal_disputes="", impression="")
    with pytest.raises(ValidationError) as caught:  # the service still wants every answer
        services.investigation_create(user=org.alice, customer=cust,
                                      data={k: v for k, v in INVESTIGATION.items() if k != "registered_capital"})
    assert "registered_capital" in caught.value.message_dict


def test_pages_and_forms_show_a_carried_over_investigation(client, org, cust):
    application = record(org, cust).application
    client.force_login(org.alice)
    client.cookies["django_language"] = "en"
    card = client.get(reverse("customers:detail", args=[cust.pk])).content.decode()
    assert "carried over from the previous system, not scored" in card and "score None" not in card
    assert reverse("credit:application_new", args=[cust.pk]) not in card
    page = client.get(reverse("credit:investigation_detail", args=[application.investigation_id])).content.decode()
    assert "Carried over from the previous system" in page and "None" not in page
    detail = client.get(reverse("credit:application_detail", args=[application.pk])).content.decode()
    assert "not scored" in detail and "沈主管" in detail
    refused = client.get(reverse("credit:application_new", args=[cust.pk]))
    assert refused.url == reverse("credit:investigation_new", args=[cust.pk])
    for url in (reverse("credit:investigation_detail", args=[application.investigation_id]),
                reverse("credit:application_detail", args=[application.pk])):
        response = client.get(url, {"format": "pdf"})
        assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_the_api_shows_a_carried_over_investigation_and_still_wants_every_answer(org, cust):
    application = record(org, cust).application
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(org.cathy)
    body = api.get(f"/api/v1/credit/investigations/{application.investigation_id}").json()
    assert (body["source"], body["score"], body["risk_class"], body["registered_capital"]) == ("imported", None, "", None)
    assert api.get(f"/api/v1/credit/applications/{application.pk}").json()["investigation_score"] is None
    payload = {"customer": cust.pk, **{k: str(v) for k, v in INVESTIGATION.items() if k != "staff_size"}}
    response = api.post("/api/v1/credit/investigations", payload, format="json")
    assert response.status_code == 400 and "staff_size" in response.json()
    assert LimitApplication.objects.count() == 1
