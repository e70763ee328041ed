import datetime
import io
import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from kehu.credit.models import ReviewTask
from kehu.ledger.services import order_confirm, order_create, order_deliver, order_invoice
from kehu.testing import grant_limit, make_customer

pytestmark = pytest.mark.django_db


def overdue_customer(org):
    customer = make_customer(org.alice, "逾期客户有限公司")
    grant_limit(customer, "10000", terms=30)
    order = order_create(user=org.alice, customer=customer,
                         lines=[{"product": org.product, "quantity": 1, "unit_price": "5000"}])
    order_confirm(user=org.alice, order=order)
    day = datetime.date.today() - datetime.timedelta(days=150)
    order_deliver(user=org.alice, order=order, day=day)
    order_invoice(user=org.alice, order=order, day=day)
    return customer


def test_kehu_daily_raises_prompts_once(org):
    customer = overdue_customer(org)
    out = io.StringIO()
    call_command("daily", stdout=out, stderr=io.StringIO())
    assert "credit-review" in out.getvalue()
    first = set(ReviewTask.objects.filter(customer=customer).values_list("reason", flat=True))
    assert {"overdue", "freeze"} <= first
    call_command("daily", stdout=io.StringIO(), stderr=io.StringIO())
    assert ReviewTask.objects.count() == len(first)


def test_kehu_daily_refuses_to_run_twice_at_once(org):
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"],
                         password=db["PASSWORD"] or None, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [0x6B656875])
        with pytest.raises(CommandError, match="Another"):
            call_command("daily", stdout=io.StringIO(), stderr=io.StringIO())
        other.execute("SELECT pg_advisory_unlock(%s)", [0x6B656875])


def test_forms_print_as_chinese_pdf(client, org, tmp_path):
    customer = make_customer(org.alice, "中石化润滑油销售有限公司")
    application = grant_limit(customer, "88000")
    client.force_login(org.alice)
    for url in (reverse("credit:investigation_detail", args=[application.investigation_id]),
                reverse("credit:application_detail", args=[application.pk])):
        response = client.get(url, {"format": "pdf"})
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        if shutil.which("pdftotext"):
            pdf = tmp_path / "form.pdf"
            pdf.write_bytes(response.content)
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
            assert "中石化润滑油销售有限公司" in text
    # Someone else's forms are not printable.
    client.force_login(org.carol)
    assert client.get(reverse("credit:application_detail", args=[application.pk]), {"format": "pdf"}).status_code == 404
