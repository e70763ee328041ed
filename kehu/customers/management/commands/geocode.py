"""`kehu geocode`: place customers without coordinates (or only at their district's centre) at their
address, with the geocoding service KEHU_GEOCODER names.

    kehu geocode               # every such customer, with a progress bar
    kehu geocode --limit 500   # the first 500 (a daily quota)
    kehu geocode --json        # one JSON object with the counts
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.core.geocode import GeocoderNotConfigured, config_from_settings
from kehu.core.progress import TerminalBar
from kehu.customers.geocoding import geocode_customers


class Command(BaseCommand):
    help = "Geocode customers' addresses with the configured service (KEHU_GEOCODER)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="At most this many customers.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        try:
            config = config_from_settings()
        except GeocoderNotConfigured as exc:
            raise CommandError(str(exc)) from None
        if config is None:
            raise CommandError("No geocoding service is configured: set KEHU_GEOCODER to amap, tianditu or nominatim.")
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit is at least 1.")
        progress = None if options["json"] else TerminalBar(sys.stderr, "geocoding")
        outcome = geocode_customers(progress=progress, limit=options["limit"], config=config)
        if options["json"]:
            self.stdout.write(json.dumps(outcome.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(
            f"{config.provider}: {outcome.candidates:,} customers to place — {outcome.geocoded:,} at their address, "
            f"{outcome.approximate:,} at their street or area (approximate), {outcome.not_found:,} not found, "
            f"{outcome.failed:,} failed (kept at their district centre).")
        if outcome.stopped:
            self.stderr.write(outcome.stopped)
