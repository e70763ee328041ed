"""The upload page: who may import what, mapping, check, commit, progress."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.dataio.models import ImportJob, ImportMapping

from .files import xlsx

pytestmark = pytest.mark.django_db

KINDS_SEEN = {
    "alice": {"customers", "prospects", "contacts", "orders"},
    "sam": {"customers", "prospects", "contacts", "orders"},
    "kim": {"customers", "prospects", "contacts", "orders"},
    "cathy": {"orders", "payments", "credit_limits"},  # orders: history from the ERP
    "sid": {"customers", "prospects", "contacts", "orders", "credit_limits"},
    "ada": {"customers", "prospects", "contacts", "products", "orders", "payments", "credit_limits"},
}


def login(client, user):
    client.force_login(user)


@pytest.mark.parametrize("name, kinds", KINDS_SEEN.items())
def test_page_offers_each_role_its_kinds(client, org, name, kinds):
    login(client, getattr(org, name))
    response = client.get(reverse("dataio:upload"))
    assert response.status_code == 200
    offered = set(response.context["form"].fields["kind"].choices)
    assert {k for k, _label in offered} == kinds


def test_upload_map_check_commit(client, org):
    login(client, org.sam)
    data = xlsx([["公司全称", "手机", "业务员"], ["甲公司", "13800138000", "alice"], ["乙公司", "", "bob"]])
    response = client.post(reverse("dataio:upload"), {"kind": "customers", "file": SimpleUploadedFile("a.xlsx", data)})
    job = ImportJob.objects.get()
    assert response.url == reverse("dataio:job", args=[job.pk])
    page = client.get(response.url)
    assert [c["field"] for c in page.context["columns"]] == ["", "phone", "owner"]

    client.post(reverse("dataio:check", args=[job.pk]), {"col0": "name", "col1": "phone", "col2": "owner"})
    job.refresh_from_db()
    assert job.status == "checked" and job.result["created"] == 2 and not Customer.objects.exists()
    assert ImportMapping.objects.get().mapping == ["name", "phone", "owner"]
    page = client.get(reverse("dataio:job", args=[job.pk]))
    assert reverse("dataio:commit", args=[job.pk]).encode() in page.content

    client.post(reverse("dataio:commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done" and Customer.objects.count() == 2
    progress = client.get(reverse("dataio:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert progress.status_code == 200 and progress["HX-Refresh"] == "true"

    # The same columns next time: the saved mapping comes back.
    client.post(reverse("dataio:upload"), {"kind": "customers", "file": SimpleUploadedFile("b.xlsx", data)})
    assert ImportJob.objects.latest("pk").mapping == ["name", "phone", "owner"]


def test_commit_refused_while_errors(client, org):
    login(client, org.alice)
    data = xlsx([["客户名称", "业务员"], ["甲公司", "bob"]])
    client.post(reverse("dataio:upload"), {"kind": "customers", "file": SimpleUploadedFile("a.xlsx", data)})
    job = ImportJob.objects.get()
    client.post(reverse("dataio:check", args=[job.pk]), {"col0": "name", "col1": "owner"})
    page = client.get(reverse("dataio:job", args=[job.pk]))
    assert "鲍勃" in page.content.decode()
    client.post(reverse("dataio:commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "checked" and not Customer.objects.exists()


def test_someone_elses_import_is_not_found(client, org):
    login(client, org.alice)
    client.post(reverse("dataio:upload"), {"kind": "customers", "file": SimpleUploadedFile("a.csv", "客户名称\n甲公司\n".encode())})
    job = ImportJob.objects.get()
    client.logout()
    login(client, org.bob)
    assert client.get(reverse("dataio:job", args=[job.pk])).status_code == 404
    assert client.post(reverse("dataio:commit", args=[job.pk])).status_code == 404


def test_wrong_file_and_kind_refused(client, org):
    login(client, org.cathy)
    response = client.post(reverse("dataio:upload"), {"kind": "customers", "file": SimpleUploadedFile("a.csv", b"x")})
    assert response.status_code == 200 and not ImportJob.objects.exists()
    response = client.post(reverse("dataio:upload"), {"kind": "payments", "file": SimpleUploadedFile("a.pdf", b"%PDF")})
    assert response.status_code == 200 and response.context["form"].errors and not ImportJob.objects.exists()
