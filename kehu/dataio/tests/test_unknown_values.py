"""A file from another system names reference values Kehu does not know (an industry 零售, a unit 张,
a salesperson rep2 where the user is rep02): the preview asks once per value what it means — an
existing value, or a new one for those who keep the list — and every row with it follows."""

import pytest
from django.urls import reverse
from django.utils import translation

from kehu.customers.models import Customer, Industry
from kehu.dataio.models import ImportJob, JobStatus
from kehu.dataio.services import import_file, job_answer_values
from kehu.ledger.models import Product, Unit
from kehu.testing import UserFactory

from .files import xlsx

pytestmark = pytest.mark.django_db

CUSTOMERS = [["客户名称", "行业", "业务员"],
             ["上海甲零售有限公司", "零售", "rep2"],
             ["上海乙零售有限公司", "零售", "rep2"],
             ["上海丙机械有限公司", "机械制造业", "alice"]]


@pytest.fixture
def manufacturing(db):
    return Industry.objects.create(code="T-MFG", name="机械制造业", name_en="Machinery")


def upload(user, kind, rows) -> ImportJob:
    from kehu.dataio.services import job_create, job_start

    job = job_create(user=user, kind=kind, filename="f.xlsx", data=xlsx(rows))
    job_start(job=job, commit=False)
    job.refresh_from_db()
    return job


def test_the_preview_lists_each_unknown_value_once_with_its_rows(org, manufacturing):
    outcome = import_file(user=org.ada, kind="customers", name="f.xlsx", source=xlsx(CUSTOMERS))
    assert outcome.error_count == 4
    assert outcome.as_dict()["unknown"] == [
        {"field": "industry", "values": [{"value": "零售", "rows": 2, "row": 2}]},
        {"field": "owner", "values": [{"value": "rep2", "rows": 2, "row": 2}]},
    ]


def test_mapping_and_adding_values_lets_the_whole_file_in(org, manufacturing):
    rep02 = UserFactory(username="rep02", display_name="王二", role="rep", team=org.team_east)
    job = upload(org.ada, "customers", CUSTOMERS)
    assert job.result["error_count"] == 4
    job_answer_values(job=job, answers=[("industry", "零售", "+"), ("owner", "rep2", str(rep02.pk))])
    job.refresh_from_db()
    assert (job.status, job.result["error_count"], job.result["created"]) == (JobStatus.CHECKED, 0, 3)
    assert not Industry.objects.filter(name="零售").exists()  # a preview writes nothing
    from kehu.dataio.services import job_start

    job_start(job=job, commit=True)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    retail = Industry.objects.get(name="零售")
    assert set(Customer.objects.filter(industry=retail).values_list("owner__username", flat=True)) == {"rep02"}
    assert Customer.objects.filter(industry=retail).count() == 2


def test_only_those_who_keep_the_list_may_add_to_it(org, manufacturing):
    job = upload(org.alice, "customers", [["客户名称", "行业"], ["上海甲零售有限公司", "零售"]])
    with translation.override("en"), pytest.raises(Exception, match="choose one of the values offered"):
        job_answer_values(job=job, answers=[("industry", "零售", "+")])
    job_answer_values(job=job, answers=[("industry", "零售", str(manufacturing.pk))])  # mapping is for everyone
    job.refresh_from_db()
    assert job.result["error_count"] == 0


def test_a_unit_is_mapped_to_a_known_one(org):
    rows = [["产品编码", "产品名称", "类别", "单位", "单价"], ["P-1", "工业齿轮油", "齿轮油", "张", "100"],
            ["P-2", "液压油", "液压油", "张", "90"]]
    job = upload(org.ada, "products", rows)
    assert [v["value"] for v in job.result["unknown"][0]["values"]] == ["张"]
    job_answer_values(job=job, answers=[("sales_unit", "张", Unit.CARTON)])
    job.refresh_from_db()
    assert job.result["error_count"] == 0
    with pytest.raises(Exception, match="choose one"):
        job_answer_values(job=job, answers=[("sales_unit", "张", "sheet")])
    from kehu.dataio.services import job_start

    job_start(job=job, commit=True)
    assert set(Product.objects.filter(code__in=["P-1", "P-2"]).values_list("sales_unit", flat=True)) == {Unit.CARTON}


@pytest.mark.parametrize("lang, title, create", [("en", "Values Kehu does not know", "Add “零售” to the list"),
                                                 ("zh-hans", "Kehu 不认识的值", "把“零售”加入列表")])
def test_the_page_asks_and_the_answer_applies(client, org, manufacturing, lang, title, create):
    client.force_login(org.ada)
    client.cookies["django_language"] = lang
    job = upload(org.ada, "customers", CUSTOMERS[:2])
    html = client.get(reverse("dataio:job", args=[job.pk])).content.decode()
    assert title in html and create in html and "rep2" in html
    response = client.post(reverse("dataio:values", args=[job.pk]),
                           {"field": ["industry"], "value": ["零售"], "answer": [str(manufacturing.pk)]})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.values == {"industry": {"零售": str(manufacturing.pk)}}
    assert [u["field"] for u in job.result["unknown"]] == ["owner"]


@pytest.mark.parametrize("name", ["alice", "bob", "carol", "sam", "sue", "kim", "cathy", "sid", "ada"])
def test_only_the_uploader_answers_for_their_file(client, org, manufacturing, name):
    job = upload(org.ada, "customers", CUSTOMERS[:2])
    user = getattr(org, name)
    client.force_login(user)
    response = client.post(reverse("dataio:values", args=[job.pk]),
                           {"field": ["industry"], "value": ["零售"], "answer": [str(manufacturing.pk)]})
    assert response.status_code == 302 if user == org.ada else response.status_code in (403, 404)
    job.refresh_from_db()
    assert bool(job.values) == (user == org.ada)


def test_the_api_shows_unknown_values_and_takes_answers(org, manufacturing):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(org.ada)
    job = upload(org.ada, "customers", CUSTOMERS[:2])
    shown = client.get(f"/api/v1/imports/{job.pk}").json()
    assert shown["result"]["unknown"] == [{"field": "industry", "values": [{"value": "零售", "rows": 1, "row": 2}]},
                                          {"field": "owner", "values": [{"value": "rep2", "rows": 1, "row": 2}]}]
    answered = client.post(f"/api/v1/imports/{job.pk}/values",
                           {"values": [{"field": "industry", "value": "零售", "answer": str(manufacturing.pk)}]},
                           format="json")
    assert answered.status_code == 200
    assert [u["field"] for u in answered.json()["result"]["unknown"]] == ["owner"]
    refused = client.post(f"/api/v1/imports/{job.pk}/values",
                          {"values": [{"field": "owner", "value": "rep2", "answer": "999999"}]}, format="json")
    assert refused.status_code == 400
