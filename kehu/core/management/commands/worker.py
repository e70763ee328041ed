"""`kehu worker`: the process that runs long work (imports, large exports, re-grading, route
planning). It first fails the jobs a dead worker left "running" on this host (kehu.core.jobs.sweep),
then runs django-tasks' database worker (`kehu db_worker`), passing its options on."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from kehu.core import jobs


class Command(BaseCommand):
    help = "Run the background worker: sweep lost jobs, then run queued tasks until stopped."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", action="store_true", help="stop when the queue is empty")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks at the queue")
        parser.add_argument("--max-tasks", type=int, default=None, help="stop after this many tasks")

    def handle(self, *args, **options) -> None:
        lost = jobs.sweep()
        if lost:
            self.stderr.write(f"worker: {lost} job(s) of a stopped worker marked failed")
        extra = {"max_tasks": options["max_tasks"]} if options["max_tasks"] else {}
        call_command("db_worker", batch=options["batch"], interval=options["interval"], startup_delay=False, reload=False,
                     verbosity=options["verbosity"], **extra)
