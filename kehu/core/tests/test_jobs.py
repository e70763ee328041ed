"""The shared job plumbing: a job runs in a task and records its progress and end; a job whose
process died is failed by the sweep, and the app that owns it hears of it."""

import os
import subprocess
import sys

import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import translation

from kehu.core import jobs
from kehu.core.models import Job, JobStatus

from .tasks_for_tests import count

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_queued_job_waits_for_the_worker_in_the_database_queue(org):
    from django_tasks_db.models import DBTaskResult

    job = jobs.start(kind="test.count", user=org.alice, task=count, total=3, upto=3)
    assert (job.status, job.total, job.user) == (JobStatus.QUEUED, 3, org.alice)
    queued = DBTaskResult.objects.get(pk=job.task_id)
    assert queued.status == "READY" and queued.args_kwargs["kwargs"] == {"job_id": job.pk, "upto": 3}


@override_settings(TASKS=IMMEDIATE)
def test_a_job_records_its_progress_and_result(org):
    job = jobs.start(kind="test.count", user=org.alice, task=count, upto=5)
    assert (job.status, job.done, job.total, job.percent, job.result) == (JobStatus.DONE, 5, 5, 100, {"counted": 5})
    assert job.started_at and job.finished_at and job.pid == os.getpid()


@override_settings(TASKS=IMMEDIATE)
def test_a_failing_job_keeps_its_message_and_tells_its_owner(org):
    heard = []
    jobs.on_failure("test.count", heard.append)
    try:
        job = jobs.start(kind="test.count", user=org.alice, task=count, upto=5, fail_at=3)
    finally:
        jobs._ON_FAILURE.pop("test.count")
    assert (job.status, job.message) == (JobStatus.FAILED, "stopped at 3")
    assert [j.pk for j in heard] == [job.pk]


def test_an_internal_error_is_worded_for_the_user_not_as_a_traceback(org):
    job = Job.objects.create(kind="test.other", user=org.alice)
    with pytest.raises(ZeroDivisionError), jobs.running(job.pk):
        1 / 0  # noqa: B018
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message == "The work stopped with an internal error; nothing was saved."


def test_a_job_runs_once(org):
    job = Job.objects.create(kind="test.other", user=org.alice, status=JobStatus.DONE)
    with pytest.raises(jobs.JobError), jobs.running(job.pk):
        pass


def test_the_sweep_fails_jobs_of_dead_processes_only(org):
    here = jobs.host_name()
    dead = Job.objects.create(kind="test.other", status=JobStatus.RUNNING, host=here, pid=dead_pid())
    alive = Job.objects.create(kind="test.other", status=JobStatus.RUNNING, host=here, pid=os.getpid())
    elsewhere = Job.objects.create(kind="test.other", status=JobStatus.RUNNING, host="another-host", pid=dead_pid())
    waiting = Job.objects.create(kind="test.other", status=JobStatus.QUEUED)
    finished = Job.objects.create(kind="test.other", status=JobStatus.DONE, host=here, pid=dead_pid())
    assert jobs.sweep() == 1
    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses == {dead.pk: "failed", alive.pk: "running", elsewhere.pk: "running", waiting.pk: "queued",
                        finished.pk: "done"}
    dead.refresh_from_db()
    assert "stopped before it finished" in dead.message
    assert jobs.sweep() == 0  # twice changes nothing


def test_the_sweep_fails_a_job_whose_task_failed_without_it(org):
    job = jobs.start(kind="test.count", user=org.alice, task=count, upto=3)
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=job.task_id).update(status="FAILED")
    assert jobs.sweep(ids=[job.pk]) == 1
    assert Job.objects.get(pk=job.pk).status == JobStatus.FAILED


def test_the_daily_run_sweeps(org):
    from kehu.core import daily

    Job.objects.create(kind="test.other", status=JobStatus.RUNNING, host=jobs.host_name(), pid=dead_pid())
    assert daily.jobs()["core.lost_jobs"](today=None) == 1


def test_the_progress_partial_polls_while_running_and_shows_the_end():
    running = Job(pk=7, kind="x", status=JobStatus.RUNNING, done=250, total=1000)
    html = render_to_string("core/partials/job_progress.html", {"job": running, "poll_url": "/x/7/"})
    assert 'hx-get="/x/7/"' in html and 'value="25"' in html and "250 of about 1,000" in html
    failed = Job(pk=7, kind="x", status=JobStatus.FAILED, message="没有写入任何数据。")
    html = render_to_string("core/partials/job_progress.html", {"job": failed, "poll_url": "/x/7/"})
    assert "hx-get" not in html and "没有写入任何数据。" in html and 'role="alert"' in html


@pytest.mark.parametrize("name", ["alice", "bob", "carol", "sam", "sue", "kim", "cathy", "sid", "ada"])
def test_only_the_owner_reads_a_job_s_progress(client, org, name):
    from django.urls import reverse

    job = Job.objects.create(kind="test.other", user=org.alice, status=JobStatus.RUNNING, done=3, total=12,
                             host=jobs.host_name(), pid=os.getpid())
    user = getattr(org, name)
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("job_progress", args=[job.pk]))
    if user != org.alice:
        assert response.status_code == 404
        return
    html = response.content.decode()
    assert response.status_code == 200 and "运行中" in html and "3 / 约 12" in html
    assert f'hx-get="{reverse("job_progress", args=[job.pk])}"' in html


def test_the_progress_poll_finds_a_dead_worker_s_job_failed(client, org):
    from django.urls import reverse

    job = Job.objects.create(kind="test.other", user=org.alice, status=JobStatus.RUNNING, host=jobs.host_name(),
                             pid=dead_pid())
    client.force_login(org.alice)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("job_progress", args=[job.pk])).content.decode()
    assert "stopped before it finished" in html and "hx-get" not in html


def test_anonymous_visitors_are_sent_to_log_in(client, org):
    from django.urls import reverse

    job = Job.objects.create(kind="test.other", user=org.alice)
    response = client.get(reverse("job_progress", args=[job.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
