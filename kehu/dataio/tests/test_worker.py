"""A large import runs in the worker process; a worker killed in the middle of it leaves no rows and
a failed job, found failed when the next worker starts (real processes, real database)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from .test_backup import fresh_database  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

SETUP = """
import csv, io
from kehu.accounts.models import User
from kehu.dataio.models import ImportJob
from kehu.dataio import services
rep = User.objects.create_user("rep77", password="x", role="rep")
buffer = io.StringIO()
writer = csv.writer(buffer)
writer.writerow(["客户名称", "电话"])
for n in range(ROWS):
    writer.writerow([f"上海测试润滑油有限公司{n:06d}", f"021-{52000000 + n}"])
data = buffer.getvalue().encode()
job = services.job_create(user=rep, kind="customers", filename="big.csv", data=data)
ImportJob.objects.filter(pk=job.pk).update(status="checked", result={"error_count": 0})
job.refresh_from_db()
assert services.job_start(job=job, commit=True) is True
print(ImportJob.objects.get(pk=job.pk).run_id)
"""


def kehu(*args: str, env: dict, **kw) -> subprocess.Popen | subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from kehu.cli import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, **kw)


class Database:
    """Reads the worker's database from outside Kehu, as the next process would."""

    def __init__(self, env: dict) -> None:
        self.env = env

    def one(self, sql: str) -> tuple | None:
        if "DATABASE_URL" in self.env:
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as db:
                return db.execute(sql).fetchone()
        with sqlite3.connect(Path(self.env["KEHU_DATA_DIR"]) / "kehu.sqlite3", timeout=30) as db:
            return db.execute(sql).fetchone()


def test_a_worker_killed_mid_import_leaves_no_rows_and_a_failed_job(fresh_database):  # noqa: F811
    env = fresh_database | {"KEHU_LANGUAGE": "en"}  # the worker words a lost job in the default language
    migrated = kehu("migrate", "--no-input", "-v0", env=env)
    assert migrated.returncode == 0, migrated.stderr
    setup = kehu("shell", "-c", SETUP.replace("ROWS", "60000"), env=env)
    assert setup.returncode == 0, setup.stderr
    run_id = int(setup.stdout.strip().splitlines()[-1])
    db = Database(env)
    assert db.one(f"SELECT status FROM core_job WHERE id = {run_id}") == ("queued",)

    worker = subprocess.Popen([sys.executable, "-c", "from kehu.cli import main; main()", "worker", "--interval", "0.2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(600):  # until the worker has claimed the job and is inside the import
            status, done = db.one(f"SELECT status, done FROM core_job WHERE id = {run_id}")
            if status == "running" and (done > 0 or connection.vendor == "sqlite"):
                break
            assert worker.poll() is None, worker.stderr.read().decode()
            time.sleep(0.1)
        time.sleep(1.0)  # well into the rows (on SQLite progress waits for the commit)
        assert db.one(f"SELECT status FROM core_job WHERE id = {run_id}") == ("running",), "finished before the kill"
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
        worker.wait()

    assert db.one("SELECT COUNT(*) FROM customers_customer") == (0,)
    assert db.one(f"SELECT status FROM core_job WHERE id = {run_id}") == ("running",)  # nobody told it yet

    restarted = kehu("worker", "--batch", env=env)  # the next worker's start finds the job lost
    assert restarted.returncode == 0, restarted.stderr
    assert "1 job(s) of a stopped worker marked failed" in restarted.stderr
    status, message = db.one(f"SELECT status, message FROM core_job WHERE id = {run_id}")
    assert status == "failed" and "stopped before it finished" in message
    assert db.one(f"SELECT status FROM dataio_importjob WHERE run_id = {run_id}") == ("failed",)
    assert db.one("SELECT COUNT(*) FROM customers_customer") == (0,)
    task_status = db.one("SELECT status FROM django_tasks_database_dbtaskresult")
    assert task_status == ("FAILED",)
