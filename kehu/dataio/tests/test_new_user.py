"""What a new user hit: results worded in the reader's language and grammar, leads without a
status come in as prospects, the result links to what came in, a lunar day 31 is refused, and a
file short of several columns names every one."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from kehu.customers.models import Contact, Customer, Lifecycle
from kehu.dataio.models import ImportJob, JobStatus
from kehu.dataio.services import import_file
from kehu.testing import make_customer

from .files import csv_bytes, xlsx

pytestmark = pytest.mark.django_db


def run(user, kind, rows, **kw):
    return import_file(user=user, kind=kind, name="f.xlsx", source=xlsx(rows), **kw)


@pytest.mark.parametrize("lang, expected", [
    ("en", "1 row in"), ("zh-hans", "共 1 行"),
])
def test_the_command_summary_follows_the_language_and_its_grammar(org, tmp_path, lang, expected):
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([["客户名称", "电话"], ["上海甲润滑油有限公司", "12345"]]))
    out = io.StringIO()
    with translation.override(lang), pytest.raises(CommandError) as refused:
        call_command("import", "customers", str(path), "--as", "alice", stdout=out)
    assert expected in out.getvalue()
    message = str(refused.value)
    if lang == "en":
        assert message == "1 error; nothing was written."
    else:
        assert message == "有 1 处错误，未写入任何数据。"
        assert "error" not in message and "row" not in out.getvalue()


def test_many_errors_are_plural(org, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([["客户名称", "电话"], ["甲有限公司", "12"], ["乙有限公司", "34"]]))
    with translation.override("en"), pytest.raises(CommandError, match="^2 errors; nothing was written.$"):
        call_command("import", "customers", str(path), "--as", "alice", stdout=io.StringIO())


def test_a_file_short_of_several_columns_names_every_one(org):
    with translation.override("en"):
        outcome = run(org.ada, "products", [["类别", "规格"], ["齿轮油", "ISO VG 220"]])
    assert outcome.problem == "No columns hold: product code, name, list price (CNY)."
    with translation.override("zh-hans"):
        outcome = run(org.ada, "products", [["类别", "规格"], ["齿轮油", "ISO VG 220"]])
    assert outcome.problem.count("、") == 2 and "," not in outcome.problem


def test_leads_without_a_status_come_in_as_prospects(org):
    rows = [["客户名称", "客户状态", "业务员"],
            ["上海线索一有限公司", "", "alice"],
            ["上海线索二有限公司", "成交客户", "alice"],
            ["上海线索三有限公司", "Prospect", "alice"]]
    outcome = run(org.alice, "customers", rows, commit=True)
    assert outcome.committed, outcome.errors
    stages = dict(Customer.objects.values_list("name", "lifecycle"))
    assert stages == {"上海线索一有限公司": Lifecycle.PROSPECT, "上海线索二有限公司": Lifecycle.CUSTOMER,
                      "上海线索三有限公司": Lifecycle.PROSPECT}


def test_a_file_without_a_status_column_keeps_the_kind_s_stage(org):
    outcome = run(org.alice, "customers", [["客户名称", "业务员"], ["上海甲有限公司", "alice"]], commit=True)
    assert outcome.committed
    assert Customer.objects.get().lifecycle == Lifecycle.CUSTOMER


def test_a_status_column_does_not_move_an_existing_customer(org):
    customer = make_customer(org.alice, "上海老客户有限公司")
    outcome = run(org.alice, "customers", [["客户编码", "客户名称", "客户状态"], [customer.code, customer.name, "流失"]],
                  commit=True)
    assert outcome.committed and outcome.skipped == 1
    customer.refresh_from_db()
    assert customer.lifecycle == Lifecycle.CUSTOMER


@pytest.mark.parametrize("text, month, day, leap", [
    ("农历八月十五", 8, 15, False), ("农历 8-15", 8, 15, False), ("阴历闰四月初八", 4, 8, True),
    ("农历腊月三十", 12, 30, False), ("lunar 1/1", 1, 1, False), ("农历正月廿三", 1, 23, False),
])
def test_lunar_birthdays_are_read(org, text, month, day, leap):
    customer = make_customer(org.alice, "上海甲有限公司")
    outcome = run(org.alice, "contacts", [["客户编码", "联系人", "生日"], [customer.code, "张伟", text]], commit=True)
    assert outcome.committed, outcome.errors
    contact = Contact.objects.get(name="张伟")
    assert (contact.birthday_lunar, contact.birthday_leap, contact.birthday_month, contact.birthday_day) == (
        True, leap, month, day)


@pytest.mark.parametrize("text", ["农历八月三十一", "农历 8-31", "农历十三月初一"])
def test_a_lunar_day_that_does_not_exist_is_refused(org, text):
    customer = make_customer(org.alice, "上海甲有限公司")
    with translation.override("en"):
        outcome = run(org.alice, "contacts", [["客户编码", "联系人", "生日"], [customer.code, "张伟", text]], commit=True)
    assert not outcome.committed
    assert [e.reason for e in outcome.errors] == [
        f"“{text}” is not a lunar date that exists: a lunar month has 12 months of at most 30 days."]
    assert not Contact.objects.exists()


def test_the_result_is_worded_once_and_links_to_what_came_in(client, org):
    client.force_login(org.alice)
    client.cookies["django_language"] = "zh-hans"
    data = xlsx([["客户名称", "业务员"], ["上海甲有限公司", "alice"], ["上海乙有限公司", "alice"]])
    job = ImportJob.objects.create(user=org.alice, kind="customers", filename="f.xlsx", data=data, header=["客户名称", "业务员"],
                                   mapping=["name", "owner"], total=2)
    assert client.post(reverse("dataio:check", args=[job.pk]), {"col0": "name", "col1": "owner"}).status_code == 302
    assert client.post(reverse("dataio:commit", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    html = client.get(reverse("dataio:job", args=[job.pk])).content.decode()
    assert "已导入 已导入" not in html and "已导入。" not in html
    assert "写入了 2 行。" in html
    assert f'href="{reverse("customers:list")}?ordering=-updated"' in html
