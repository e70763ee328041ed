"""`kehu route PROBLEM.json [--time-limit SECONDS] [--json]`: plan one rep-day and print the plan."""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kehu.visits.routing import ProblemError, solve
from kehu.visits.routing.solver import DEFAULT_TIME_LIMIT


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class Command(BaseCommand):
    help = ("Plan a rep's day from a routing problem (JSON: day, base, stops, optional travel_min) and "
            "print the route, the visits left out and why, and the cost.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("problem", help="the problem as a JSON file ('-' reads standard input)")
        parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                            help=f"seconds the search may take (default: {DEFAULT_TIME_LIMIT:g})")
        parser.add_argument("--json", action="store_true", help="print the plan as JSON")

    def handle(self, *args, **options) -> None:
        problem = self.read(options["problem"])
        limit = options["time_limit"]
        if limit is not None and not limit >= 0:
            raise CommandError(f"--time-limit: {limit} is not a non-negative number of seconds")
        try:
            plan = solve(problem, time_limit=limit, road_factor=settings.KEHU_ROUTE_ROAD_FACTOR,
                         speed_kmh=settings.KEHU_ROUTE_SPEED_KMH, osrm_url=settings.KEHU_OSRM_URL or None)
        except ProblemError as exc:
            raise CommandError(f"{options['problem']}: {exc}") from None
        if options["json"]:
            self.stdout.write(json.dumps(plan, ensure_ascii=False))
        else:
            self.stdout.write(self.readable(problem, plan))

    def read(self, name: str):
        try:
            if name == "-":
                text = sys.stdin.read()
            else:
                path = Path(name)
                if not path.is_file():
                    raise CommandError(f"{name}: no such file")
                text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{name}: cannot be read ({exc})") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None

    def readable(self, problem: dict, plan: dict) -> str:
        base = problem.get("base", {}).get("id", "base")
        lines = [f"Route from {base} ({len(plan['route'])} visits):"]
        if not plan["route"]:
            lines.append("  (no visit fits)")
        for n, stop in enumerate(plan["route"], 1):
            wait = stop["start"] - stop["arrival"]
            lines.append(f"  {n:2d}. {clock(stop['start'])}–{clock(stop['end'])}  {stop['id']}"
                         + (f"  (arrives {clock(stop['arrival'])}, waits {wait} min)" if wait else ""))
        if plan["skipped"]:
            lines.append(f"Left out ({len(plan['skipped'])}), to offer for another day:")
            lines.extend(f"  {s['id']}: {s['reason']}" for s in plan["skipped"])
        lines.append(f"Travel {plan['travel_min']} min; skip penalties {plan['skipped_penalty']}; "
                     f"cost {plan['cost']}; found in {plan['seconds']:.2f} s")
        return "\n".join(lines)
