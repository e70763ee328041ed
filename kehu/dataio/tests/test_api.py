"""API for imports: upload, check with a mapping, commit, progress; own imports only, kinds by role."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from kehu.customers.models import Customer
from kehu.dataio import services
from kehu.dataio.models import ImportJob, ImportMapping

from .files import csv_bytes, xlsx

pytestmark = pytest.mark.django_db

KINDS_SEEN = {
    "alice": {"customers", "prospects", "contacts", "orders"},
    "bob": {"customers", "prospects", "contacts", "orders"},
    "carol": {"customers", "prospects", "contacts", "orders"},
    "sam": {"customers", "prospects", "contacts", "orders"},
    "sue": {"customers", "prospects", "contacts", "orders"},
    "kim": {"customers", "prospects", "contacts", "orders"},
    "cathy": {"orders", "payments", "credit_limits"},  # orders: history from the ERP
    "sid": {"customers", "prospects", "contacts", "orders", "credit_limits"},
    "ada": {"customers", "prospects", "contacts", "products", "orders", "payments", "credit_limits"},
}
JOB_FIELDS = {"id", "kind", "kind_label", "filename", "size", "header", "mapping", "assign", "status",
              "status_label", "done", "total", "percent", "running", "result", "created_at", "updated_at"}
CUSTOMERS = xlsx([["公司全称", "手机", "业务员"], ["甲公司", "13800138000", "alice"], ["乙公司", "", "bob"]])


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def upload(client, kind="customers", data=CUSTOMERS, name="a.xlsx"):
    return client.post("/api/v1/imports", {"kind": kind, "file": SimpleUploadedFile(name, data)}, format="multipart")


def test_each_role_is_offered_its_kinds_with_their_fields(org):
    for who, kinds in KINDS_SEEN.items():
        offered = client_for(getattr(org, who)).get("/api/v1/imports/kinds")
        assert offered.status_code == 200
        assert {k["kind"] for k in offered.json()} == kinds, who
    customers = next(k for k in client_for(org.sam).get("/api/v1/imports/kinds").json() if k["kind"] == "customers")
    assert {"name": "name", "label": "company name", "required": True} in customers["fields"]
    # A supervisor chooses who gets new customers: a rule, or one of the team's reps.
    assert {c["value"] for c in customers["assign_choices"]} >= {"me", "balance", "region", f"rep:{org.alice.pk}"}


def test_upload_check_commit_and_progress(org):
    client = client_for(org.sam)
    created = upload(client)
    assert created.status_code == 201, created.content
    job = created.json()
    assert set(job) == JOB_FIELDS  # never the file itself
    assert (job["kind"], job["filename"], job["status"], job["result"]) == ("customers", "a.xlsx", "uploaded", None)
    assert (job["header"], job["mapping"], job["total"]) == (["公司全称", "手机", "业务员"], ["", "phone", "owner"], 2)

    checked = client.post(f"/api/v1/imports/{job['id']}/check", {"mapping": ["name", "phone", "owner"]},
                          format="json")
    assert checked.status_code == 200, checked.content
    result = checked.json()["result"]
    assert checked.json()["status"] == "checked"
    assert (result["created"], result["updated"], result["error_count"], result["committed"]) == (2, 0, 0, False)
    assert not Customer.objects.exists()  # a check writes nothing
    assert ImportMapping.objects.get().mapping == ["name", "phone", "owner"]

    committed = client.post(f"/api/v1/imports/{job['id']}/commit")
    assert committed.status_code == 200, committed.content
    done = committed.json()
    assert (done["status"], done["done"], done["total"], done["percent"], done["running"]) == ("done", 2, 2, 100, False)
    assert (done["result"]["created"], done["result"]["committed"]) == (2, True)
    assert dict(Customer.objects.values_list("name", "owner__username")) == {"甲公司": "alice", "乙公司": "bob"}

    shown = client.get(f"/api/v1/imports/{job['id']}").json()
    assert shown == done
    again = client.post(f"/api/v1/imports/{job['id']}/commit")
    assert again.status_code == 400
    assert Customer.objects.count() == 2


def test_the_file_never_comes_back(org):
    data = csv_bytes([["客户名称"], ["甲公司"]])
    client = client_for(org.alice)
    job_id = upload(client, data=data, name="a.csv").json()["id"]
    assert bytes(ImportJob.objects.get(pk=job_id).data) == data
    encoded = base64.b64encode(data).decode()
    for response in (client.get("/api/v1/imports"), client.get(f"/api/v1/imports/{job_id}"),
                     client.post(f"/api/v1/imports/{job_id}/check", {}, format="json")):
        assert response.status_code == 200
        assert encoded not in response.content.decode()
        assert '"data"' not in response.content.decode()


def test_check_without_a_mapping_uses_the_one_shown(org):
    client = client_for(org.alice)
    job_id = upload(client, data=csv_bytes([["客户名称", "电话"], ["甲公司", "13800138000"]]), name="a.csv").json()["id"]
    checked = client.post(f"/api/v1/imports/{job_id}/check")
    assert checked.status_code == 200
    assert checked.json()["mapping"] == ["name", "phone"]
    assert checked.json()["result"]["created"] == 1


def test_errors_are_listed_by_row_and_block_the_commit(org):
    client = client_for(org.alice)
    job_id = upload(client, data=xlsx([["客户名称", "业务员"], ["甲公司", "bob"]])).json()["id"]
    checked = client.post(f"/api/v1/imports/{job_id}/check", {"mapping": ["name", "owner"]}, format="json").json()
    assert checked["result"]["error_count"] == 1
    error = checked["result"]["errors"][0]
    assert (error["row"], error["value"]) == (2, "bob")
    refused = client.post(f"/api/v1/imports/{job_id}/commit")
    assert refused.status_code == 400
    assert refused.json() == {"detail": ["Check the file, and correct its errors, before importing it."]}
    assert not Customer.objects.exists()
    assert client.get(f"/api/v1/imports/{job_id}").json()["status"] == "checked"


def test_new_customers_go_by_the_chosen_rule(org):
    client = client_for(org.sam)
    data = xlsx([["客户名称", "电话"]] + [[f"测试{i}号公司", f"1390000000{i}"] for i in range(4)])
    job_id = upload(client, data=data).json()["id"]
    checked = client.post(f"/api/v1/imports/{job_id}/check", {"assign": "balance"}, format="json").json()
    assert checked["assign"] == "balance"
    assert sorted(a["count"] for a in checked["result"]["assigned"]) == [2, 2]
    # Checked again without naming the rule: the one chosen before still holds.
    checked = client.post(f"/api/v1/imports/{job_id}/check", format="json").json()
    assert (checked["assign"], len(checked["result"]["assigned"])) == ("balance", 2)
    assert client.post(f"/api/v1/imports/{job_id}/commit").json()["status"] == "done"
    assert sorted(Customer.objects.values_list("owner__username", flat=True)) == ["alice", "alice", "bob", "bob"]


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"mapping": ["name", "colour"]}, "mapping", "Not a field of this kind of import: colour."),
        ({"mapping": ["name", "phone", "owner", "notes"]}, "mapping", "The file has 3 columns; the mapping names 4."),
        ({"mapping": "name"}, "mapping", 'Expected a list of items but got type "str".'),
        ({"mapping": ["name", "name", ""]}, "detail", "Two columns are mapped to “company name”."),
        ({"assign": "rep:999999"}, "assign", "Choose who gets the new customers from the list."),
    ],
)
def test_bad_check_input_is_400_and_changes_nothing(org, payload, field, message):
    client = client_for(org.sam)
    job_id = upload(client).json()["id"]
    response = client.post(f"/api/v1/imports/{job_id}/check", payload, format="json")
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])
    job = ImportJob.objects.get(pk=job_id)
    assert (job.status, job.mapping, job.assign, job.result) == ("uploaded", ["", "phone", "owner"], "", {})
    assert not ImportMapping.objects.exists()


@pytest.mark.parametrize(
    ("kind", "name", "data", "field", "message"),
    [
        ("products", "a.xlsx", CUSTOMERS, "kind", "Your role does not import this kind of data."),
        ("customers", "a.pdf", b"%PDF-1.4", "file", ""),
        ("customers", "a.xlsx", b"not a spreadsheet", "file", ""),
        ("cars", "a.xlsx", CUSTOMERS, "kind", "is not a valid choice"),
    ],
)
def test_bad_upload_is_400_and_saves_nothing(org, kind, name, data, field, message):
    response = upload(client_for(org.alice), kind=kind, data=data, name=name)
    assert response.status_code == 400, response.content
    assert response.json()[field]
    assert message in " ".join(response.json()[field])
    assert not ImportJob.objects.exists()


def test_upload_needs_a_file_sent_as_a_file(org):
    client = client_for(org.alice)
    missing = client.post("/api/v1/imports", {"kind": "customers"}, format="multipart")
    assert missing.json() == {"file": ["No file was submitted."]}
    as_json = client.post("/api/v1/imports", {"kind": "customers", "file": "客户名称\n甲公司"}, format="json")
    assert as_json.status_code == 400
    assert "file" in as_json.json()
    assert not ImportJob.objects.exists()


def test_a_person_sees_only_their_own_imports(org):
    alice, bob = client_for(org.alice), client_for(org.bob)
    job_id = upload(alice).json()["id"]
    for response in (bob.get(f"/api/v1/imports/{job_id}"), bob.post(f"/api/v1/imports/{job_id}/check"),
                     bob.post(f"/api/v1/imports/{job_id}/commit")):
        assert response.status_code == 404
    assert bob.get("/api/v1/imports").json()["count"] == 0
    assert client_for(org.ada).get("/api/v1/imports").json()["count"] == 0  # not even an administrator's
    assert ImportJob.objects.get(pk=job_id).status == "uploaded"
    assert alice.get("/api/v1/imports/999999").status_code == 404
    assert alice.get("/api/v1/imports/abc").status_code == 404


def test_a_kind_no_longer_allowed_is_refused(org):
    client = client_for(org.alice)
    job_id = upload(client).json()["id"]
    org.alice.role = "credit"
    org.alice.save()
    refused = client.post(f"/api/v1/imports/{job_id}/check")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Your role does not import this kind of data."}
    assert ImportJob.objects.get(pk=job_id).status == "uploaded"


def test_list_filters_and_pages(org):
    client = client_for(org.ada)
    for n in range(51):
        ImportJob.objects.create(user=org.ada, kind="products" if n % 2 else "customers", filename=f"{n}.xlsx",
                                 data=b"x", status="done" if n < 3 else "uploaded")
    first = client.get("/api/v1/imports").json()
    assert (first["count"], len(first["results"]), first["results"][0]["filename"]) == (51, 50, "50.xlsx")
    assert len(client.get(first["next"]).json()["results"]) == 1
    assert client.get("/api/v1/imports?kind=products").json()["count"] == 25
    assert [j["filename"] for j in client.get("/api/v1/imports?status=done").json()["results"]] == [
        "2.xlsx", "1.xlsx", "0.xlsx"]
    bad = client.get("/api/v1/imports?kind=cars&status=lost")
    assert (bad.status_code, set(bad.json())) == (400, {"kind", "status"})


def test_a_large_file_runs_in_the_background_answered_202(org, monkeypatch):
    client = client_for(org.alice)
    job_id = upload(client).json()["id"]
    started = []
    monkeypatch.setattr(services, "job_start", lambda **kw: started.append(kw) or True)
    response = client.post(f"/api/v1/imports/{job_id}/check", {"mapping": ["name", "phone", "owner"]}, format="json")
    assert response.status_code == 202
    assert response.json()["id"] == job_id
    assert started[0]["commit"] is False and started[0]["mapping"] == ["name", "phone", "owner"]


def test_a_role_that_imports_nothing_is_refused_everything(org, monkeypatch):
    client = client_for(org.alice)
    job_id = upload(client).json()["id"]
    monkeypatch.setattr("kehu.dataio.api.import_kinds", lambda **kw: [])
    for response in (client.get("/api/v1/imports"), client.get("/api/v1/imports/kinds"),
                     client.get(f"/api/v1/imports/{job_id}"), upload(client),
                     client.post(f"/api/v1/imports/{job_id}/check")):
        assert response.status_code == 403
        assert response.json() == {"detail": "Your role does not import data."}
    assert ImportJob.objects.count() == 1
