"""No uploaded file makes Kehu fail, and nothing is half-saved.

Every endpoint that takes a file — the import's upload page and API (and the import run in the
worker), a campaign's member list, a news clipping's photo, a credit investigation's attachments
and a visit's photos — is sent files other systems export and files made to hurt: empty, one byte,
random bytes under any name, a zip that is not a workbook, a workbook cut short, sheets empty,
header-only, merged, with formulas, with dates as serial numbers, or reaching cell XFD1048576; an
.xls that is a web page; CSV in every encoding and separator Excel and WPS write, with a NUL, a
repeated header, very long cells; names with folders, control characters or 300 characters; an
SVG or a web page named .jpg. Each answer is a page or a 4xx with words for the user (checked in
Chinese for some), never a 5xx; and the rows counted before and after show nothing half-saved.
Files are sent as raw multipart bodies, so their names reach the server as written.
"""

import datetime
import io
import random
import re
import zipfile
from collections.abc import Callable

import pytest
import xlsxwriter
from django.test import Client, override_settings
from django.urls import reverse

from kehu.credit.models import Investigation, InvestigationAttachment
from kehu.customers.models import Customer
from kehu.dataio import services as dataio
from kehu.dataio.models import ImportJob, JobStatus
from kehu.dataio.tests.files import xlsx
from kehu.prospecting.models import CampaignMember, Clipping
from kehu.testing import INVESTIGATION, make_customer

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
HEADER = ["客户名称", "电话", "地址"]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(64))


def _rezip(data: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    """A workbook with its first sheet's XML changed."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for item in source.infolist():
            body = source.read(item.filename)
            book.writestr(item.filename, edit(body) if item.filename == "xl/worksheets/sheet1.xml" else body)
    return out.getvalue()


def _formulas() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write(1, 0, "上海公式润滑油有限公司")
    sheet.write_formula(1, 1, "=1/0")
    sheet.write_formula(1, 2, '=A2&"路"', None, "上海公式润滑油有限公司路")
    book.close()
    return buffer.getvalue()


def _not_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


GOOD = xlsx([HEADER, ["上海测试润滑油有限公司", "021-52000001", "上海市闵行区"]])
NOISE = random.Random(7).randbytes(3000)
HTML_XLS = ("<html><head><meta charset='utf-8'></head><body><table><tr><td>客户名称</td><td>电话</td></tr>"
            "<tr><td>上海网页润滑油有限公司</td><td>021-52000009</td></tr></table></body></html>").encode()


def _csv(body: str) -> bytes:
    return body.encode()


# What an import (and a member list) is sent: name → bytes. Readable ones hold a company a list may take.
SHEETS: dict[str, bytes] = {
    "empty.csv": b"",
    "one.csv": b"x",
    "one.xlsx": b"x",
    "noise.xlsx": NOISE,
    "noise.csv": NOISE,
    "noise.xls": NOISE,
    "noise.jpg": NOISE,
    "archive.xlsx": _not_a_workbook(),
    "cut.xlsx": GOOD[: len(GOOD) // 2],
    "empty-sheet.xlsx": xlsx([]),
    "header-only.xlsx": xlsx([HEADER]),
    "merged.xlsx": xlsx([HEADER, ["上海合并润滑油有限公司", "021-52000002", "上海"], ["", "021-52000003", "苏州"]],
                        merges=[(1, 0, 2, 0, "上海合并润滑油有限公司")]),
    "formulas.xlsx": _formulas(),
    "serial-dates.xlsx": xlsx([["客户名称", "电话", "成立日期"], ["上海日期润滑油有限公司", "021-52000004", 45000.5]]),
    "claims-huge.xlsx": _rezip(GOOD, lambda x: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', x)),
    "reaches-xfd.xlsx": _rezip(GOOD, lambda x: x.replace(b'r="A2"', b'r="XFD1048576"')),
    "web-page.xls": HTML_XLS,
    "bom.csv": _csv("\ufeff客户名称,电话\n上海BOM润滑油有限公司,021-52000010\n"),
    "gbk.csv": "客户名称,电话\n上海GBK润滑油有限公司,021-52000011\n".encode("gbk"),
    "utf16.csv": "\ufeff客户名称\t电话\r\n上海UTF润滑油有限公司\t021-52000012\r\n".encode("utf-16-le"),
    "crlf.csv": _csv("客户名称,电话\r\n上海回车润滑油有限公司,021-52000013\r\n"),
    "semicolons.csv": _csv("客户名称;电话;地址\n上海分号润滑油有限公司;021-52000014;上海\n"),
    "tabs.csv": _csv("客户名称\t电话\t地址\n上海制表润滑油有限公司\t021-52000015\t上海\n"),
    "nul.csv": _csv("客户名称,电话\n上海空字符\x00润滑油有限公司,021-52000016\n"),
    "header-again.csv": _csv("客户名称,电话\n上海重复润滑油有限公司,021-52000017\n客户名称,电话\n上海重复二润滑油有限公司,021-52000018\n"),
    "long-cells.csv": _csv("客户名称,电话,备注\n上海长润滑油有限公司,021-52000019," + "长" * 10000 + "\n"),
    "long-name.csv": _csv("客户名称,电话\n" + "上" * 10000 + ",021-52000020\n"),
    "photo.jpg": JPEG,
    "photo.csv": JPEG,
    "../../x.csv": _csv("客户名称,电话\n上海路径润滑油有限公司,021-52000021\n"),
    "..\\..\\x.csv": _csv("客户名称,电话\n上海反斜润滑油有限公司,021-52000022\n"),
    "控制\x07字符\t.csv": _csv("客户名称,电话\n上海控制润滑油有限公司,021-52000023\n"),
    "长" * 300 + ".csv": _csv("客户名称,电话\n上海长名润滑油有限公司,021-52000024\n"),
}
NOT_PHOTOS = {"empty.jpg": b"", "one.jpg": b"x", "noise.jpg": NOISE, "drawing.jpg": b'<svg xmlns="http://www.w3.org/2000/svg">'
              b"<script>alert(1)</script></svg>", "page.jpg": b"<html><script>alert(1)</script></html>",
              "sheet.jpg": GOOD}


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A form's body as a browser sends it, file names untouched."""
    boundary = "----kehu-fuzz-boundary"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for field, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post(client: Client, url: str, fields: dict[str, str], files: list[tuple[str, str, bytes]], **extra):
    body, content_type = multipart(fields, files)
    return client.post(url, body, content_type=content_type, **extra)


def as_user(user, language: str = "en") -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def words(response) -> str:
    import html

    return html.unescape(response.content.decode())


def assert_answered(response, *, allowed=(200, 302, 400)) -> None:
    assert response.status_code < 500, words(response)[:2000]
    assert response.status_code in allowed, response.status_code
    assert "Traceback" not in words(response)


def counts() -> tuple[int, ...]:
    return (Customer.objects.count(), ImportJob.objects.count(), CampaignMember.objects.count(), Clipping.objects.count(),
            Investigation.objects.count(), InvestigationAttachment.objects.count())


# --- imports ----------------------------------------------------------------------------------


def _check_and_commit(client: Client, job: ImportJob) -> None:
    """Check the uploaded file as the page does, then commit it: a file with any problem or error
    writes nothing; one without writes what its check promised."""
    customers = Customer.objects.count()
    response = client.post(reverse("dataio:check", args=[job.pk]),
                           {f"col{i}": name for i, name in enumerate(job.mapping)})
    assert_answered(response, allowed=(302,))
    job.refresh_from_db()
    assert job.status in (JobStatus.CHECKED, JobStatus.FAILED) and job.result, job.status
    assert Customer.objects.count() == customers  # the check writes nothing
    assert_answered(client.get(reverse("dataio:job", args=[job.pk])), allowed=(200,))
    response = client.post(reverse("dataio:commit", args=[job.pk]))
    assert_answered(response, allowed=(302,))
    checked = job.result
    job.refresh_from_db()
    if checked.get("problem") or checked.get("error_count"):
        assert Customer.objects.count() == customers
        assert not job.result.get("committed")
    else:
        assert job.status == JobStatus.DONE
        assert Customer.objects.count() == customers + checked["created"]


@pytest.mark.parametrize("name", list(SHEETS))
def test_the_upload_page_answers_every_file(org, name):
    client = as_user(org.alice)
    before = counts()
    response = post(client, reverse("dataio:upload"), {"kind": "customers"}, [("file", name, SHEETS[name])])
    assert_answered(response)
    if response.status_code != 302:
        assert 'role="alert"' in response.content.decode()
        assert counts() == before
        return
    job = ImportJob.objects.get()
    assert "/" not in job.filename and "\\" not in job.filename and job.filename.isprintable()
    assert len(job.filename) <= 200
    _check_and_commit(client, job)


# What people export from Excel, WPS and other systems: each must be read, not merely answered.
READABLE = ["merged.xlsx", "formulas.xlsx", "serial-dates.xlsx", "claims-huge.xlsx", "bom.csv", "gbk.csv",
            "utf16.csv", "crlf.csv", "semicolons.csv", "tabs.csv", "nul.csv", "header-again.csv", "long-cells.csv"]


@pytest.mark.parametrize("name", READABLE)
def test_files_people_export_are_read(org, name):
    """The upload is taken and its first customer is read from it (the check finds rows)."""
    client = as_user(org.alice)
    response = post(client, reverse("dataio:upload"), {"kind": "customers"}, [("file", name, SHEETS[name])])
    assert response.status_code == 302, words(response)[:500]
    job = ImportJob.objects.get()
    checked = client.post(f"/api/v1/imports/{job.pk}/check", {}, content_type="application/json")
    assert checked.status_code == 200, checked.content[:2000]
    result = checked.json()["result"]
    assert not result.get("problem") and result["rows"] >= 1, result


@pytest.mark.parametrize("name, message", [
    ("empty.csv", "提交的是空文件。"),
    ("noise.xlsx", "文件已损坏或不完整"),
    ("noise.jpg", "不读取“.jpg”"),
    ("reaches-xfd.xlsx", "第一张工作表太大"),
    ("web-page.xls", "网页（HTML）"),
    ("noise.csv", "CSV 文件既不是 UTF-8 也不是 GBK 文本"),
])
def test_the_upload_page_says_what_is_wrong_in_chinese(org, name, message):
    before = counts()
    response = post(as_user(org.alice, "zh-hans"), reverse("dataio:upload"), {"kind": "customers"},
                    [("file", name, SHEETS[name])])
    assert response.status_code == 200 and message in words(response)
    assert counts() == before


def test_a_kind_the_role_does_not_import_or_no_login_is_refused_whatever_the_file(org):
    before = counts()
    for name in ("noise.xlsx", "reaches-xfd.xlsx", "gbk.csv"):
        file = [("file", name, SHEETS[name])]
        response = post(as_user(org.alice), reverse("dataio:upload"), {"kind": "credit_limits"}, file)
        assert response.status_code == 200 and 'role="alert"' in response.content.decode()
        response = post(as_user(org.alice), "/api/v1/imports", {"kind": "credit_limits"}, file)
        assert response.status_code == 400 and response.json()["kind"]
        assert post(Client(), reverse("dataio:upload"), {"kind": "customers"}, file).status_code == 302  # to log in
        assert post(Client(), "/api/v1/imports", {"kind": "customers"}, file).status_code in (401, 403)
    assert counts() == before


@pytest.mark.parametrize("name", list(SHEETS))
def test_the_api_answers_every_file(org, name):
    client = as_user(org.alice)
    before = counts()
    response = post(client, "/api/v1/imports", {"kind": "customers"}, [("file", name, SHEETS[name])])
    assert response.status_code in (201, 400), response.content[:2000]
    if response.status_code == 400:
        assert response.json()["file"], response.json()
        assert counts() == before
        return
    job = response.json()
    checked = client.post(f"/api/v1/imports/{job['id']}/check", {}, content_type="application/json")
    assert checked.status_code == 200, checked.content[:2000]
    assert Customer.objects.count() == before[0]
    result = checked.json()["result"]
    assert result.get("problem") or result["rows"] >= 1 or name in {"empty-sheet.xlsx", "header-only.xlsx"}, result


def test_the_api_says_what_is_wrong_in_chinese(org):
    response = post(as_user(org.alice, "zh-hans"), "/api/v1/imports", {"kind": "customers"},
                    [("file", "web-page.xls", HTML_XLS)])
    assert response.status_code == 400 and "网页（HTML）" in response.json()["file"][0]


def test_a_committed_import_with_a_bad_row_writes_none(org):
    client = as_user(org.alice)
    data = _csv("客户名称,统一社会信用代码\n上海好润滑油有限公司,\n安徽丁化工有限公司,91310000MA1K30QK2X\n")
    response = post(client, reverse("dataio:upload"), {"kind": "customers"}, [("file", "rows.csv", data)])
    job = ImportJob.objects.get()
    assert response.status_code == 302
    before = Customer.objects.count()
    _check_and_commit(client, job)
    job.refresh_from_db()
    assert job.result["error_count"] == 1 and Customer.objects.count() == before
    assert "Check the file, and correct its errors, before importing it." in words(client.get(reverse("dataio:job", args=[job.pk])))


# The worker reads a file again from its start; one readable at the upload (its first rows) may turn
# unreadable after the part its encoding is judged on (made short here).
SWITCHES_ENCODING = ("客户名称,电话\n" + "".join(f"上海编码{n:03d}润滑油有限公司,021-{52100000 + n}\n" for n in range(400))
                     ).encode() + "上海编码末润滑油有限公司,021-52199999\n".encode("gbk")


@override_settings(TASKS=IMMEDIATE)
@pytest.mark.parametrize("name, data", [("switches-encoding.csv", SWITCHES_ENCODING), *(
    (n, SHEETS[n]) for n in ("merged.xlsx", "formulas.xlsx", "serial-dates.xlsx", "nul.csv", "utf16.csv", "long-cells.csv"))])
def test_an_import_in_the_worker_ends_with_words_not_a_crash(org, monkeypatch, name, data):
    from kehu.core import tables
    from kehu.core.models import Job
    from kehu.core.models import JobStatus as RunStatus

    monkeypatch.setattr(dataio, "SYNC_ROWS", -1)  # every file goes to the worker
    monkeypatch.setattr(tables, "SNIFF_BYTES", 200)
    before = Customer.objects.count()
    job = dataio.job_create(user=org.alice, kind="customers", filename=name, data=data)
    assert dataio.job_start(job=job, commit=False) is True
    job.refresh_from_db()
    assert Job.objects.get(pk=job.run_id).status == RunStatus.DONE
    assert job.status == JobStatus.CHECKED and Customer.objects.count() == before
    if name == "switches-encoding.csv":
        assert "UTF-8" in job.result["problem"]
        return
    if not job.result.get("problem") and not job.result.get("error_count"):
        ImportJob.objects.filter(pk=job.pk).update(run=None)
        assert dataio.job_start(job=job, commit=True) is True
        job.refresh_from_db()
        assert job.status == JobStatus.DONE and Customer.objects.count() == before + job.result["created"]


# --- a campaign's member list -------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SHEETS))
def test_the_member_list_upload_answers_every_file(org, name):
    from kehu.prospecting import services

    campaign = services.campaign_create(user=org.alice, data={"name": "纺织业", "industry": org.industry})
    before = counts()
    response = post(as_user(org.alice), reverse("prospecting:campaign", args=[campaign.pk]), {},
                    [("file", name, SHEETS[name])])
    assert_answered(response)
    if response.status_code == 200:
        assert 'role="alert"' in response.content.decode()
        assert counts() == before
    else:
        assert CampaignMember.objects.filter(campaign=campaign).count() > 0


def test_the_member_list_says_what_is_wrong_in_chinese_and_refuses_others(org):
    from kehu.prospecting import services

    campaign = services.campaign_create(user=org.alice, data={"name": "纺织业", "industry": org.industry})
    url = reverse("prospecting:campaign", args=[campaign.pk])
    before = counts()
    response = post(as_user(org.alice, "zh-hans"), url, {}, [("file", "reaches-xfd.xlsx", SHEETS["reaches-xfd.xlsx"])])
    assert response.status_code == 200 and "第一张工作表太大" in words(response)
    for outsider in (org.cathy, org.ada):  # campaigns are shared; these roles keep no prospects
        response = post(as_user(outsider), url, {}, [("file", "gbk.csv", SHEETS["gbk.csv"])])
        assert response.status_code in (403, 404)
    assert counts() == before


# --- a news clipping's photo --------------------------------------------------------------------


def _clipping(name: str) -> dict[str, str]:
    return {"source": "新民晚报", "published_on": "2026-11-02", "signal": "management", "name": name}


@pytest.mark.parametrize("name", list(NOT_PHOTOS))
def test_a_clipping_with_a_file_that_is_not_a_photo_saves_nothing(org, settings, tmp_path, name):
    settings.MEDIA_ROOT = tmp_path
    before = counts()
    response = post(as_user(org.alice, "zh-hans"), reverse("prospecting:clipping_new"), _clipping("上海剪报润滑油有限公司"),
                    [("photo", name, NOT_PHOTOS[name])])
    assert response.status_code == 200
    assert "不是照片" in words(response) or "提交的是空文件" in words(response)
    assert counts() == before and not list(tmp_path.rglob("*.*"))


def test_a_clipping_photo_larger_than_visit_photos_may_be_is_refused(org, settings, tmp_path):
    from kehu.core.uploads import MAX_PHOTO_BYTES

    settings.MEDIA_ROOT = tmp_path
    before = counts()
    big = JPEG + b"0" * (MAX_PHOTO_BYTES + 1 - len(JPEG))
    response = post(as_user(org.alice, "zh-hans"), reverse("prospecting:clipping_new"), _clipping("上海剪报润滑油有限公司"),
                    [("photo", "big.jpg", big)])
    assert response.status_code == 200 and "超过 8 MB" in words(response), words(response)[:300]
    assert counts() == before and not list(tmp_path.rglob("*.*"))


def test_a_clipping_photo_keeps_its_own_name_only(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = post(as_user(org.alice), reverse("prospecting:clipping_new"), _clipping("上海剪报润滑油有限公司"),
                    [("photo", "../../控制\x07" + "长" * 300 + ".jpg", JPEG)])
    assert response.status_code == 302
    stored = Clipping.objects.get().photo.name
    assert stored.startswith("clippings/") and ".." not in stored and stored.isprintable() and len(stored) <= 100
    assert [p.parent for p in tmp_path.rglob("*.jpg")] == [tmp_path / "clippings" / stored.split("/")[1] / stored.split("/")[2]]


def test_a_clipping_of_a_company_someone_has_keeps_neither_clipping_nor_photo(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_customer(org.bob, "上海剪报润滑油有限公司")
    before = counts()
    response = post(as_user(org.alice), reverse("prospecting:clipping_new"), _clipping("上海剪报润滑油有限公司"),
                    [("photo", "a.jpg", JPEG)])
    assert response.status_code == 200 and "上海剪报润滑油有限公司" in words(response)
    assert counts() == before and not list(tmp_path.rglob("*.*"))


# --- a credit investigation's attachments -------------------------------------------------------


def _investigation() -> dict[str, str]:
    return {k: str(v) for k, v in INVESTIGATION.items()} | {"investigated_on": datetime.date.today().isoformat()}


@pytest.mark.parametrize("files, refused", [
    ([("report.pdf", b"%PDF-1.4 report"), ("empty.pdf", b"")], "empty.pdf"),
    ([("empty.pdf", b""), ("report.pdf", b"%PDF-1.4 report")], "empty.pdf"),
    ([("report.pdf", b"%PDF-1.4 report"), ("../../etc/passwd", b"root:x:0:0")], None),
    ([("控制\x07字符\t.pdf", b"%PDF-1.4"), ("长" * 300 + ".pdf", b"%PDF-1.4 long")], None),
    ([("page.html", b"<html><script>alert(1)</script></html>"), ("drawing.jpg", NOT_PHOTOS["drawing.jpg"])], None),
])
def test_attachments_are_all_saved_or_none(org, files, refused):
    customer = make_customer(org.alice, "上海调查润滑油有限公司")
    url = reverse("credit:investigation_new", args=[customer.pk])
    before = counts()
    response = post(as_user(org.alice, "zh-hans"), url, _investigation(), [("attachments", n, d) for n, d in files])
    assert_answered(response)
    if refused:
        assert response.status_code == 200 and "空文件" in words(response)
        assert counts() == before
        return
    assert response.status_code == 302
    investigation = Investigation.objects.get()
    names = list(investigation.attachments.order_by("pk").values_list("name", flat=True))
    assert len(names) == len(files)
    assert all("/" not in n and n.isprintable() and len(n) <= 200 for n in names)
    client = as_user(org.alice)
    for attachment in investigation.attachments.all():  # each downloads, never shown as a page
        download = client.get(reverse("credit:attachment", args=[investigation.pk, attachment.pk]))
        assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_attachments_for_a_customer_one_cannot_see_are_refused(org):
    customer = make_customer(org.alice, "上海调查润滑油有限公司")
    before = counts()
    response = post(as_user(org.carol), reverse("credit:investigation_new", args=[customer.pk]), _investigation(),
                    [("attachments", "report.pdf", b"%PDF-1.4")])
    assert response.status_code in (403, 404)
    assert counts() == before


# --- a visit's photos ---------------------------------------------------------------------------


@pytest.fixture
def visit(org):
    from kehu.visits.services import visit_check_in
    from kehu.visits.tests.factories import graded_customer
    from kehu.visits.tests.test_day import _entry

    return visit_check_in(user=org.alice, entry=_entry(org.alice, graded_customer(org.alice, "B")))


@pytest.mark.parametrize("name", list(NOT_PHOTOS))
def test_a_visit_log_with_one_file_that_is_not_a_photo_saves_nothing(org, visit, name):
    url = reverse("visits:visit_detail", args=[visit.pk])
    response = post(as_user(org.alice, "zh-hans"), url, {"outcome": "progress", "summary": "谈了新品"},
                    [("photos", "good.jpg", JPEG), ("photos", name, NOT_PHOTOS[name])])
    assert response.status_code == 400
    assert "不是照片" in words(response) or "空文件" in words(response)
    visit.refresh_from_db()
    assert visit.logged_at is None and not visit.photos.exists()


def test_visit_photos_keep_their_own_names_and_others_are_refused(org, visit):
    url = reverse("visits:visit_detail", args=[visit.pk])
    response = post(as_user(org.alice), url, {"outcome": "progress"},
                    [("photos", "../../a.jpg", JPEG), ("photos", "控制\x07" + "长" * 300 + ".jpg", JPEG + b"2")])
    assert response.status_code == 302
    names = list(visit.photos.order_by("pk").values_list("name", flat=True))
    assert names[0] == "a.jpg" and names[1].isprintable() and names[1].endswith(".jpg") and len(names[1]) <= 200
    response = post(as_user(org.bob), url, {"outcome": "progress"}, [("photos", "a.jpg", JPEG)])
    assert response.status_code in (403, 404) and visit.photos.count() == 2
