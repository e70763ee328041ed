"""A large import runs as a job: its page polls the worker's progress, and finds the import failed
with a message when the worker died."""

import os
import subprocess
import sys

import pytest
from django.urls import reverse

from kehu.core import jobs
from kehu.core.models import Job, JobStatus
from kehu.dataio.models import ImportJob
from kehu.dataio.models import JobStatus as ImportStatus

pytestmark = pytest.mark.django_db


def running_import(user, *, pid: int) -> ImportJob:
    run = Job.objects.create(kind="dataio.import", user=user, status=JobStatus.RUNNING, done=2500, total=10000,
                             host=jobs.host_name(), pid=pid)
    return ImportJob.objects.create(user=user, kind="customers", filename="big.xlsx", data=b"x", total=10000,
                                    status=ImportStatus.COMMITTING, run=run)


def test_the_page_polls_the_worker_s_progress(client, org):
    job = running_import(org.alice, pid=os.getpid())
    client.force_login(org.alice)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("dataio:progress", args=[job.pk])).content.decode()
    assert f'hx-get="{reverse("dataio:progress", args=[job.pk])}"' in html
    assert "2,500 of about 10,000 rows" in html and 'value="25"' in html


def test_an_import_whose_worker_died_is_shown_failed_with_why(client, org):
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    job = running_import(org.alice, pid=process.pid)
    client.force_login(org.alice)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("dataio:progress", args=[job.pk]), headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"  # finished: the page shows the end
    html = client.get(reverse("dataio:job", args=[job.pk])).content.decode()
    assert "运行此任务的后台进程在完成前停止，未保存任何数据。请重新开始。" in html
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.run.status == JobStatus.FAILED


def test_a_large_file_is_queued_for_the_worker(org):
    from django_tasks_db.models import DBTaskResult

    from kehu.dataio import services

    rows = "\n".join(["客户名称,电话"] + [f"上海测试{n:05d}有限公司,1380000{n:04d}" for n in range(services.SYNC_ROWS + 1)])
    job = services.job_create(user=org.alice, kind="customers", filename="big.csv", data=rows.encode())
    assert services.job_start(job=job, commit=False) is True
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKING and job.run.status == JobStatus.QUEUED
    task = DBTaskResult.objects.get(pk=job.run.task_id)
    assert task.task_path == "kehu.dataio.tasks.import_run"
    assert task.args_kwargs["kwargs"] == {"job_id": job.run_id, "import_id": job.pk, "commit": False}
