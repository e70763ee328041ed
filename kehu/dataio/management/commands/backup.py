from django.core.management.base import BaseCommand, CommandError

from kehu.dataio.backup import BackupError, backup


class Command(BaseCommand):
    help = "Write a consistent backup of the whole database to FILE (a zip; SQLite or PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write the backup, e.g. kehu-2026-11-26.zip")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args, **options):
        progress = None if options["verbosity"] == 0 else self.stderr.write
        try:
            backup(options["file"], using=options["database"], progress=progress)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
