"""The benchmark's baseline server: Kehu without the credit app, so confirming an order is the
ledger's own state change with no credit check. Used only by benchmarks/credit_bench.py."""

from kehu.settings import *  # noqa: F403

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "kehu.credit"]  # noqa: F405
ROOT_URLCONF = "benchmarks.nocredit_urls"
