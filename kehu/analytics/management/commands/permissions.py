from django.core.management.base import BaseCommand

from kehu.analytics.permissions_table import permissions_markdown, permissions_matrix


class Command(BaseCommand):
    help = "Print who may do what, by role, from the permission modules (--markdown: docs/permissions.md)."

    def add_arguments(self, parser):
        parser.add_argument("--markdown", action="store_true", help="print the Markdown table of docs/permissions.md")
        parser.add_argument("--language", default="en", help="en or zh-hans")

    def handle(self, *args, **options):
        if options["markdown"]:
            self.stdout.write(permissions_markdown(language=options["language"]))
            return
        for title, rows in permissions_matrix():
            self.stdout.write(title)
            for label, allowed in rows:
                self.stdout.write(f"  {label}: {', '.join(r for r, ok in allowed.items() if ok) or '—'}")
