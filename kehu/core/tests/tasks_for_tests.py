"""A task for the job plumbing's tests: counts to ``upto``, or fails on the way."""

from django_tasks import task

from kehu.core import jobs


@task()
def count(job_id: int, upto: int, fail_at: int | None = None) -> None:
    with jobs.running(job_id, live=False) as run:
        for n in range(1, upto + 1):
            if n == fail_at:
                raise jobs.JobError(f"stopped at {n}")
            run.progress(n, upto)
        run.result = {"counted": upto}
