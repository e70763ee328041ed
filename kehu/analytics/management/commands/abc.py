"""`kehu abc`: ABC-grade the customers (C1).

    kehu abc                                  # as of today, the policy's window and method; stores a run
    kehu abc --as-of 2026-12-01 --dry-run     # compute and print, store nothing
    kehu abc --scope region --json            # one JSON object on stdout
"""

import datetime
import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kehu.analytics.services import AbcResult, abc_run
from kehu.core.progress import TerminalBar


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of wants a date as YYYY-MM-DD, not {value!r}.") from None


def result_json(result: AbcResult) -> dict:
    """The command's --json contract: amounts as decimal strings, shares as numbers."""
    return {
        "as_of": result.as_of.isoformat(),
        "window_months": result.window_months,
        "method": result.method,
        "customers": [{"id": r.id, "code": r.code, "sales": f"{r.sales:.2f}", "grade": r.grade} for r in result.rows],
        "summary": {
            grade: {"customers": s.customers, "sales": f"{s.sales:.2f}", "customer_share": s.customer_share,
                    "sales_share": s.sales_share}
            for grade, s in result.summary.items()
        },
    }


class Command(BaseCommand):
    help = "ABC-grade customers by sales (C1); --dry-run to compute without storing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=_date, default=None, help="Grade as of YYYY-MM-DD (default today).")
        parser.add_argument("--window-months", type=int, default=None, help="Months of sales (default: policy, 12).")
        parser.add_argument("--method", choices=["share", "count"], default=None, help="share (default) or count.")
        parser.add_argument("--scope", choices=["company", "region", "team"], default="company",
                            help="Grade within the company (default), each region or each team.")
        parser.add_argument("--dry-run", action="store_true", help="Compute and print; store nothing.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        as_of = options["as_of"] or timezone.localdate()
        months = options["window_months"]
        if months is not None and not 1 <= months <= 120:
            raise CommandError("--window-months is 1 to 120.")
        progress = None if options["json"] else TerminalBar(self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr)
        try:
            result = abc_run(as_of=as_of, window_months=months, method=options["method"], scope=options["scope"],
                             dry_run=options["dry_run"], progress=progress)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result_json(result), ensure_ascii=False))
            return
        self.stdout.write(f"ABC grading as of {result.as_of}, {result.window_months} months, method {result.method}, "
                          f"scope {result.scope}: {len(result.rows):,} customers, sales {result.total:,.2f}")
        for grade, s in result.summary.items():
            self.stdout.write(f"  {grade}: {s.customers:>8,} customers ({s.customer_share:6.1%})  "
                              f"{s.sales:>18,.2f} ({s.sales_share:6.1%})")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing stored.")
        else:
            self.stdout.write(f"Stored as run {result.run.pk}; {len(result.changes):,} grades changed.")
