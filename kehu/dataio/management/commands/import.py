"""`kehu import KIND FILE`: check a file and print what it would do; with --commit, import it."""

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kehu.accounts.models import User
from kehu.core.progress import TerminalBar
from kehu.core.tables import ReadError
from kehu.dataio.base import Outcome
from kehu.dataio.mapping import FIELDS, KINDS
from kehu.dataio.services import import_file, mapping_save, read_header


def _rows(done: int, total: int | None) -> str:
    if total:
        return ngettext("%(done)s/%(total)s row", "%(done)s/%(total)s rows", total) % {
            "done": f"{done:,}", "total": f"{total:,}"}
    return ngettext("%(done)s row", "%(done)s rows", done) % {"done": f"{done:,}"}


def summary_line(outcome: Outcome, *, seconds: float) -> str:
    """``1 row in 0.1 s: 1 to create, 0 to update, 0 unchanged — imported``, in the active language."""
    if outcome.committed:
        verdict = _("imported")
    elif outcome.ok:
        verdict = _("would import")
    else:
        verdict = _("not imported")
    return ngettext(
        "%(rows)s row in %(seconds)s s: %(created)s to create, %(updated)s to update, %(skipped)s unchanged — %(verdict)s",
        "%(rows)s rows in %(seconds)s s: %(created)s to create, %(updated)s to update, %(skipped)s unchanged — %(verdict)s",
        outcome.rows,
    ) % {"rows": f"{outcome.rows:,}", "seconds": f"{seconds:.1f}", "created": f"{outcome.created:,}",
         "updated": f"{outcome.updated:,}", "skipped": f"{outcome.skipped:,}", "verdict": verdict}


def errors_line(count: int) -> str:
    return ngettext("%(count)s error; nothing was written.", "%(count)s errors; nothing was written.", count) % {
        "count": f"{count:,}"}


class Command(BaseCommand):
    help = "Check an .xlsx/.xls/.ods/.csv file of KIND and print what importing it would do; --commit imports it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", help="import as this user (their visibility and rights)")
        parser.add_argument("--commit", action="store_true", help="write the rows (all or none); without it, only check")
        parser.add_argument("--mapping", help='column → field, e.g. "客户全称=name,区域经理=owner" or a JSON list of fields, one per column')
        parser.add_argument("--save-mapping", action="store_true", help="remember the mapping for files with these columns")
        parser.add_argument("--assign", default="", metavar="RULE",
                            help="who gets new customers without an owner column: me, balance (the smallest book), "
                                 "region (a rep of the customer's region), or a rep's user name")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        kind = options["kind"]
        username = options["username"]
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
        else:
            user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError("no such active user; name one with --as")
        mapping = None
        if options["mapping"]:
            try:
                header = read_header(kind=kind, name=path.name, source=path).header
            except ReadError as exc:
                raise CommandError(str(exc)) from None
            mapping = self.parse_mapping(kind, header, options["mapping"])
            if options["save_mapping"]:
                mapping_save(user=user, kind=kind, header=header, mapping=mapping)
        assign = options["assign"]
        if assign and assign not in ("me", "balance", "region"):
            rep = User.objects.filter(username=assign, is_active=True).first()
            if rep is None:
                raise CommandError(f"--assign {assign}: no such active user")
            assign = f"rep:{rep.pk}"
        bar = TerminalBar(sys.stderr, _("import") if options["commit"] else _("check"), counts=_rows)
        started = time.monotonic()
        outcome = import_file(user=user, kind=kind, name=path.name, source=path, mapping=mapping,
                              commit=options["commit"], progress=bar, assign=assign)
        bar.close()
        out = self.stdout
        if outcome.problem:
            raise CommandError(outcome.problem)
        out.write(summary_line(outcome, seconds=time.monotonic() - started))
        for name, count in sorted(outcome.assigned.items(), key=lambda kv: (-kv[1], kv[0])):
            out.write("  " + _("new customers to %(name)s: %(count)s") % {"name": name, "count": f"{count:,}"})
        for error in outcome.errors:
            out.write(_("row %(row)s") % {"row": error.row} + f"\t{error.column}\t{error.value}\t{error.reason}")
        more = outcome.error_count - len(outcome.errors)
        if more > 0:
            out.write(ngettext("… and %(count)s more error", "… and %(count)s more errors", more) % {"count": f"{more:,}"})
        if not outcome.ok:
            raise CommandError(errors_line(outcome.error_count))

    @staticmethod
    def parse_mapping(kind: str, header: list[str], text: str) -> list[str]:
        names = {f.name for f in FIELDS[kind]}
        if text.strip().startswith("["):
            mapping = json.loads(text)
        else:
            from kehu.dataio.services import mapping_for

            mapping = mapping_for(kind=kind, header=header)
            for pair in text.split(","):
                column, _eq, field = pair.partition("=")
                column, field = column.strip(), field.strip()
                if column not in header:
                    raise CommandError(f"no column {column!r} in the file; it has {header}")
                mapping[header.index(column)] = field
        unknown = [m for m in mapping if m and m not in names]
        if unknown:
            raise CommandError(f"unknown fields {unknown}; {kind} has {sorted(names)}")
        return mapping
