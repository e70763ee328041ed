"""`kehu demo`: fill the database with a demo oil-products distributor.

    kehu demo                      # 2,000 customers, 300 prospects, 24 months of orders
    kehu demo --if-empty           # the same, unless there are customers already (`make run`)
    kehu demo --logins             # print the demo users and their password, change nothing
    kehu demo --if-empty --no-logins   # build quietly about logins (`make run` prints them once itself)
    kehu demo --customers 100000 --order-lines 5000000   # the benchmark scale (`make bench`)
"""

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.customers.models import Customer
from kehu.demo import data
from kehu.demo.builder import DEFAULT_CUSTOMERS, PROGRESS_PHASES, DemoOptions, build_demo, describe
from kehu.demo.bulk import DemoBuildError, stderr_progress


def logins_table() -> str:
    role_names = {
        "admin": "管理员 admin", "senior": "高级经理 senior manager", "credit": "信用管理 credit controller",
        "key_account": "大客户经理 key-account manager", "supervisor": "主管 supervisor", "rep": "业务员 sales rep",
    }
    regions = {r.code: f"{r.team} ({r.name})" for r in data.REGIONS}
    rows = [("username", "name", "role", "team")]
    rows += [(u.username, u.display_name, role_names[u.role], regions.get(u.region, "")) for u in data.USERS]
    widths = [max(_width(row[i]) for row in rows) for i in range(3)]
    lines = [f"  Demo logins, all with the password {data.DEMO_PASSWORD}:"]
    for row in rows:
        cells = [row[i] + " " * (widths[i] - _width(row[i])) for i in range(3)] + [row[3]]
        lines.append("    " + "  ".join(cells).rstrip())
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


class Command(BaseCommand):
    help = "Fill the database with a realistic demo company (deterministic for a given --seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing if there are customers already.")
        parser.add_argument("--force", action="store_true",
                            help="Add the demo company even though there are customers already.")
        parser.add_argument("--logins", action="store_true",
                            help="Only print the demo users and their password.")
        parser.add_argument("--no-logins", action="store_true",
                            help="Do not print the demo users after building (the caller prints them).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS,
                            help=f"Customers, prospects not counted (default {DEFAULT_CUSTOMERS:,}).")
        parser.add_argument("--prospects", type=int, default=None,
                            help="Prospects (default 300 per 2,000 customers).")
        parser.add_argument("--order-lines", type=int, default=None,
                            help="Order lines in all (default 50 per customer).")
        parser.add_argument("--months", type=int, default=24, help="Months of orders, ending today (default 24).")
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None,
                            help="The last day of the data, YYYY-MM-DD (default today).")

    def handle(self, *args, **options) -> None:
        if options["logins"]:
            self.stdout.write(logins_table())
            return
        if Customer.objects.exists():
            if options["if_empty"]:
                self.stdout.write("There are customers already; the demo data was not added.")
                return
            if not options["force"]:
                raise CommandError(
                    "This database has customers already. Use --if-empty to leave it alone, "
                    "or --force to add the demo company beside them."
                )
        demo = DemoOptions(
            seed=options["seed"], customers=options["customers"], prospects=options["prospects"],
            order_lines=options["order_lines"], months=options["months"], today=options["today"],
        )
        progress = stderr_progress(PROGRESS_PHASES) if options["verbosity"] > 0 else None
        try:
            summary = build_demo(demo, progress=progress)
        except DemoBuildError as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS("Demo company added: ") + describe(summary))
            if not options["no_logins"]:
                self.stdout.write(logins_table())
