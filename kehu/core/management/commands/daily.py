"""`kehu daily`: the scheduled work of every app. Safe to run from cron on several servers:
on PostgreSQL it takes an advisory lock, so two schedulers never run it at once, and every job
is idempotent, so running it twice in a day changes nothing the second time."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from kehu.core import daily

LOCK_KEY = 0x6B656875  # "kehu"


class Command(BaseCommand):
    help = "Run Kehu's daily jobs (credit review prompts, …)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this date (YYYY-MM-DD); default today.")

    def handle(self, *args, **options):
        today = datetime.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
                if not cursor.fetchone()[0]:
                    raise CommandError("Another `kehu daily` is running; this one stops.")
        try:
            results = daily.run_all(today=today, progress=lambda n, total, name: self.stderr.write(f"[{n}/{total}] {name} …"))
            for name, result in results.items():
                self.stdout.write(f"{name}: {result}")
        finally:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
