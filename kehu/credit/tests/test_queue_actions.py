import datetime

import pytest
from django.urls import reverse

from kehu.credit.models import AuditEntry, CreditAccount, ReviewTask
from kehu.testing import grant_limit, make_customer

pytestmark = pytest.mark.django_db


def test_only_credit_or_senior_freeze_and_a_reason_is_needed(client, org):
    customer = make_customer(org.alice, "甲")
    grant_limit(customer, "10000")
    url = reverse("credit:freeze", args=[customer.pk])
    client.force_login(org.alice)
    client.post(url, {"frozen": "1", "reason": "我想冻结"})
    assert not CreditAccount.objects.filter(customer=customer, frozen=True).exists()
    client.force_login(org.cathy)
    client.post(url, {"frozen": "1", "reason": ""})
    assert not CreditAccount.objects.filter(customer=customer, frozen=True).exists()
    client.post(url, {"frozen": "1", "reason": "严重逾期"})
    assert CreditAccount.objects.get(customer=customer).frozen
    assert AuditEntry.objects.filter(action="account.freeze").exists()
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "严重逾期" in page
    client.post(url, {"frozen": "0"})
    assert not CreditAccount.objects.get(customer=customer).frozen


def test_review_prompt_closed_from_the_queue(client, org):
    customer = make_customer(org.alice, "甲")
    task = ReviewTask.objects.create(customer=customer, reason="overdue", detail="x", raised_on=datetime.date.today())
    client.force_login(org.alice)
    assert client.post(reverse("credit:review_done", args=[task.pk])).status_code == 403 or \
        not ReviewTask.objects.get(pk=task.pk).done_at
    client.force_login(org.carol)  # cannot see the customer
    assert client.post(reverse("credit:review_done", args=[task.pk])).status_code == 404
    client.force_login(org.cathy)
    assert client.get(reverse("credit:queue")).status_code == 200
    client.post(reverse("credit:review_done", args=[task.pk]))
    task.refresh_from_db()
    assert task.done_by == org.cathy and task.done_at is not None
