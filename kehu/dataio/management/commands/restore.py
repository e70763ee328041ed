from django.core.management.base import BaseCommand, CommandError

from kehu.dataio.backup import BackupError, restore


class Command(BaseCommand):
    help = ("Restore a backup written by `kehu backup` into an empty database (the schema is created). "
            "A database that holds data is refused unless --force, which replaces everything in it.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="a backup written by `kehu backup`")
        parser.add_argument("--force", action="store_true", help="replace the data of a database that is not empty")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args, **options):
        progress = None if options["verbosity"] == 0 else self.stderr.write
        try:
            restore(options["file"], using=options["database"], force=options["force"], progress=progress)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
