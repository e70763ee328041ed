"""Every credit list exports what its page shows that person: the same rows (visibility, query string,
every page), the same refusals, in the person's language, as CSV (UTF-8 with a BOM) and xlsx."""

import csv
import datetime
import html
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook

from kehu.credit import services
from kehu.credit.models import AuditEntry
from kehu.customers.models import Customer

from .world import ALL, CREDIT_STAFF, NAMES, SEES, SEES_LIABILITIES, build_world, investigate

pytestmark = pytest.mark.django_db

LISTS = ["queue", "inbox", "ageing", "liabilities", "audit"]
FORMATS = ["csv", "xlsx"]
STAFF_ONLY = {"queue", "audit"}  # the page answers 403 to anyone else
# Pending limit applications added to the world: alice's for "a" (sam decides) and carol's for "c" (sue).
APPLIED = {"a", "c"}
# What waits in each person's approval inbox, by customer: applications and exceptions.
INBOX_APPLICATIONS = {"sam": {"a"}, "sue": {"c"}, "sid": APPLIED}
INBOX_EXCEPTIONS = {"sam": {"a", "b"}, "sue": {"c"}, "sid": ALL}
ROLE_LABEL = {"handler": "Handler (承办人)", "approver": "Approver (批准人)"}


@pytest.fixture
def world(org):
    world = build_world(org)
    for key, applicant in (("a", org.alice), ("c", org.carol)):
        customer = world.customers[key]
        investigate(customer, applicant)
        services.application_submit(user=applicant, customer=customer,
                                    investigation=services.investigation_current(customer=customer),
                                    requested_limit="150000", requested_terms_days=45, reason="扩大合作")
    return world


def export_url(name: str, fmt: str) -> str:
    return reverse(f"credit:{name}_export" + ("_csv" if fmt == "csv" else ""))


def read_csv(response) -> list[list[str]]:
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(body[1:])))


def read_xlsx(response) -> list[list]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def download(client, name: str, fmt: str, params: dict | None = None, lang: str = "en") -> list[list]:
    client.cookies["django_language"] = lang
    response = client.get(export_url(name, fmt), params or {})
    assert response.status_code == 200, (name, fmt)
    assert response["Content-Disposition"].startswith("attachment;")
    assert f".{fmt}" in response["Content-Disposition"]
    return read_csv(response) if fmt == "csv" else read_xlsx(response)


def as_dicts(rows: list[list]) -> list[dict]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def named(name: str) -> str:
    return next(k for k, n in NAMES.items() if n == name)


# ── who may download ───────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("who", sorted(SEES))
def test_who_may_download_is_who_may_see_the_page(client, org, world, who, name):
    client.force_login(org.users()[who])
    expected = 403 if name in STAFF_ONLY and who not in CREDIT_STAFF else 200
    assert client.get(reverse(f"credit:{name}")).status_code == expected
    for fmt in FORMATS:
        response = client.get(export_url(name, fmt))
        assert response.status_code == expected, fmt
        if expected != 200:
            assert not any(n.encode() in response.content for n in NAMES.values())


@pytest.mark.parametrize("name", LISTS)
def test_anonymous_is_sent_to_log_in(client, world, name):
    for fmt in FORMATS:
        response = client.get(export_url(name, fmt))
        assert response.status_code == 302 and "/login" in response["Location"]


# ── the rows each person sees ──────────────────────────────────────────────────────────────


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("who", sorted(SEES))
def test_each_file_holds_exactly_the_rows_the_person_sees(client, org, world, who, fmt):
    client.force_login(org.users()[who])

    rows = as_dicts(download(client, "ageing", fmt))
    assert Counter(r["Name"] for r in rows) == Counter(NAMES[k] for k in SEES[who])

    rows = as_dicts(download(client, "liabilities", fmt))
    assert Counter((named(r["Customer"]), r["As"]) for r in rows) == Counter(
        (k, ROLE_LABEL[role]) for k, role in SEES_LIABILITIES[who])

    rows = as_dicts(download(client, "inbox", fmt))
    assert Counter((r["Kind"], named(r["Customer"])) for r in rows) == Counter(
        [("Credit-limit applications", k) for k in INBOX_APPLICATIONS.get(who, set())]
        + [("Exceptions for held orders", k) for k in INBOX_EXCEPTIONS.get(who, set())])

    if who in CREDIT_STAFF:
        rows = as_dicts(download(client, "queue", fmt))
        assert Counter((r["Kind"], named(r["Customer"])) for r in rows) == Counter(
            [("Held orders", k) for k in ALL] + [("Applications waiting for approval", k) for k in APPLIED]
            + [("Exceptions waiting for approval", k) for k in ALL] + [("Review prompts", k) for k in ALL])
        assert {r["Order"] for r in rows if r["Kind"] == "Held orders"} == {o.number for o in world.held.values()}

        rows = as_dicts(download(client, "audit", fmt))
        assert len(rows) == AuditEntry.objects.count()
        assert {r["Customer"] for r in rows if r["Customer"]} == set(NAMES.values())


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_file_names_the_customers_its_page_names(client, org, world, who):
    """The file and the page list the same customers for this person: no second, drifting query."""
    client.force_login(org.users()[who])
    client.cookies["django_language"] = "en"
    for name in LISTS:
        if name in STAFF_ONLY and who not in CREDIT_STAFF:
            continue
        page = html.unescape(client.get(reverse(f"credit:{name}")).content.decode())
        file = str(download(client, name, "csv"))
        on_page = {k for k, n in NAMES.items() if n in page}
        in_file = {k for k, n in NAMES.items() if n in file}
        assert in_file == on_page, name


def test_rep_and_supervisor_files_keep_to_their_book_and_team(client, org, world):
    client.force_login(org.alice)
    assert [r["Name"] for r in as_dicts(download(client, "ageing", "csv"))] == [NAMES["a"]]
    assert {r["Person"] for r in as_dicts(download(client, "liabilities", "csv"))} == {str(org.alice)}
    assert download(client, "inbox", "csv")[1:] == []
    client.force_login(org.sam)
    assert {r["Name"] for r in as_dicts(download(client, "ageing", "csv"))} == {NAMES["a"], NAMES["b"]}
    assert {r["Person"] for r in as_dicts(download(client, "liabilities", "csv"))} == {
        str(org.alice), str(org.bob), str(org.sam)}
    assert NAMES["c"] not in str(download(client, "inbox", "xlsx"))


# ── the query string ───────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("fmt", FORMATS)
def test_ageing_file_follows_the_grouping_in_the_query_string(client, org, world, fmt):
    for key, region in (("a", org.east), ("b", org.east), ("c", org.north)):
        Customer.objects.filter(pk=world.customers[key].pk).update(region=region)
    client.force_login(org.sid)
    by_team = {r["Name"]: r for r in as_dicts(download(client, "ageing", fmt, {"by": "team"}))}
    assert set(by_team) == {"华东一组", "华北一组"}
    assert Decimal(str(by_team["华东一组"]["Total"])) == Decimal("12000")  # a and b: 10,000 less 4,000 each
    assert Decimal(str(by_team["华北一组"]["Total"])) == Decimal("6000")
    assert {r["Name"] for r in as_dicts(download(client, "ageing", fmt, {"by": "region"}))} == {"华东区", "华北区"}
    assert {r["Code"] for r in as_dicts(download(client, "ageing", fmt, {"by": "rep"}))} == {"alice", "bob", "carol"}
    # An unknown grouping falls back to customers, as on the page; the page number never narrows the file.
    assert len(download(client, "ageing", fmt, {"by": "nonsense", "page": "2"})) - 1 == 3

    client.force_login(org.sam)
    assert {r["Name"] for r in as_dicts(download(client, "ageing", fmt, {"by": "team"}))} == {"华东一组"}
    assert {r["Code"] for r in as_dicts(download(client, "ageing", fmt, {"by": "rep"}))} == {"alice", "bob"}


def test_ageing_filename_names_the_grouping(client, org, world):
    client.force_login(org.cathy)
    response = client.get(reverse("credit:ageing_export_csv"), {"by": "region"})
    assert 'filename="ageing-region-' in response["Content-Disposition"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_paginated_audit_trail_exports_every_page(client, org, world, fmt):
    AuditEntry.objects.bulk_create(
        AuditEntry(user=org.cathy, action="review.done", object_type="reviewtask", object_id=i) for i in range(1, 151))
    total = AuditEntry.objects.count()
    assert total > 150
    client.force_login(org.cathy)
    page = client.get(reverse("credit:audit")).content.decode()
    assert page.count("<tr><td>") == 100  # one page
    assert len(download(client, "audit", fmt)) - 1 == total
    assert len(download(client, "audit", fmt, {"page": "2"})) - 1 == total


# ── the file itself ────────────────────────────────────────────────────────────────────────


HEADERS = {
    "queue": ["Kind", "Order", "Customer code", "Customer", "Who", "Amount (CNY)", "Date", "Reason"],
    "inbox": ["Kind", "Order", "Customer code", "Customer", "Requested by", "Amount (CNY)", "Terms (days)", "Risk",
              "Date", "Reason"],
    "ageing": ["Code", "Name", "Current", "1–30", "31–60", "61–90", "90+", "Total"],
    "liabilities": ["Person", "As", "Customer", "Order", "Written off on", "Kind", "Share (%)", "Liability (CNY)",
                    "Reduced by recoveries (CNY)", "Net (CNY)"],
    "audit": ["When", "Who", "What", "Object", "Object ID", "Customer code", "Customer", "Changes"],
}
ROWS_FOR_SID = {"queue": 11, "inbox": 5, "ageing": 3, "liabilities": 6}

# Headers whose Chinese is in locale/ today (new wordings are translated with the next catalogue update).
CHINESE = {
    "queue": {0: "类型", 1: "订单", 3: "客户", 4: "人员", 5: "金额（元）", 6: "日期", 7: "原因"},
    "inbox": {0: "类型", 1: "订单", 3: "客户", 4: "申请人", 5: "金额（元）", 7: "风险", 8: "日期", 9: "原因"},
    "ageing": {0: "编码", 1: "名称", 2: "未到期", 7: "合计"},
    "liabilities": {0: "责任人", 1: "身份", 2: "客户", 3: "订单", 4: "核销日期", 5: "类型", 6: "承担比例（%）",
                    7: "承担金额（元）", 8: "因追回而减免（元）", 9: "净额（元）"},
    "audit": {0: "时间", 1: "人员", 2: "操作", 6: "客户", 7: "变更"},
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", LISTS)
def test_header_and_row_count(client, org, world, name, fmt):
    client.force_login(org.sid)
    rows = download(client, name, fmt)
    assert rows[0] == HEADERS[name]
    assert len(rows) - 1 == ROWS_FOR_SID.get(name, AuditEntry.objects.count())
    assert all(len(row) == len(HEADERS[name]) for row in rows)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", LISTS)
def test_chinese_headers_when_the_ui_is_chinese(client, org, world, name, fmt):
    client.force_login(org.sid)
    header = download(client, name, fmt, lang="zh-hans")[0]
    assert {i: header[i] for i in CHINESE[name]} == CHINESE[name]


def test_chinese_labels_in_rows_even_when_the_csv_is_read_later(client, org, world):
    client.force_login(org.cathy)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("credit:queue_export_csv"))
    translation.activate("en")  # the thread serves someone else before the rows are written
    rows = read_csv(response)
    assert {r[0] for r in rows[1:]} == {"挂起的订单", "待审批的授信申请", "待审批的特批申请", "复核提示"}
    assert {r[7] for r in rows[1:] if r[0] == "复核提示"} == {"应收账款逾期 · 逾期十天"}


def test_money_is_numbers_and_dates_are_dates_in_xlsx(client, org, world):
    client.force_login(org.cathy)
    liabilities = as_dicts(download(client, "liabilities", "xlsx"))
    assert {r["Liability (CNY)"] for r in liabilities} == {1200.0, 800.0}
    assert all(isinstance(r["Written off on"], datetime.date) for r in liabilities)
    assert {r["Written off on"] for r in liabilities} == {w.written_off_on for w in world.write_offs.values()}

    queue = as_dicts(download(client, "queue", "xlsx"))
    held = {r["Order"]: r for r in queue if r["Kind"] == "Held orders"}
    assert {o.number: float(o.total) for o in world.held.values()} == {n: r["Amount (CNY)"] for n, r in held.items()}
    assert {r["Date"] for r in held.values()} == {o.order_date for o in world.held.values()}
    applied = [r for r in queue if r["Kind"] == "Applications waiting for approval"]
    assert {r["Amount (CNY)"] for r in applied} == {150000.0}

    inbox = as_dicts(download(client, "inbox", "xlsx"))
    assert inbox == []  # cathy decides nothing
    client.force_login(org.sid)
    inbox = as_dicts(download(client, "inbox", "xlsx"))
    assert {r["Terms (days)"] for r in inbox if r["Kind"] == "Credit-limit applications"} == {45}

    ageing = as_dicts(download(client, "ageing", "xlsx"))
    assert {r["1–30"] for r in ageing} == {6000.0}
    audit = as_dicts(download(client, "audit", "xlsx"))
    assert all(isinstance(r["When"], datetime.datetime) for r in audit)
    assert any("Status Waiting for approval → Approved" in r["Changes"] for r in audit)  # labels, not codes


def test_csv_money_reads_as_numbers(client, org, world):
    client.force_login(org.cathy)
    liabilities = as_dicts(download(client, "liabilities", "csv"))
    assert sorted(Decimal(r["Net (CNY)"]) for r in liabilities) == [Decimal("800.00")] * 3 + [Decimal("1200.00")] * 3
    assert all(datetime.date.fromisoformat(r["Written off on"]) for r in liabilities)


# ── the links on the pages ─────────────────────────────────────────────────────────────────


def test_export_links_on_each_page_carry_the_query_string(client, org, world):
    client.force_login(org.cathy)
    client.cookies["django_language"] = "en"
    page = html.unescape(client.get(reverse("credit:ageing"), {"by": "rep"}).content.decode())
    assert reverse("credit:ageing_export") + "?by=rep" in page
    assert reverse("credit:ageing_export_csv") + "?by=rep" in page
    for name in LISTS:
        page = client.get(reverse(f"credit:{name}")).content.decode()
        assert export_url(name, "xlsx") in page and export_url(name, "csv") in page, name
        assert "Export Excel" in page and "Export CSV" in page, name
