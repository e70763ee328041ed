"""The benchmark's baseline server: Kehu whose confirm step is the ledger's own state change with
no credit check. Used only by benchmarks/credit_bench.py.

The product has no unchecked confirm step: this module names the benchmark's own, explicitly."""

from kehu.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.nocredit_urls"
ORDER_CONFIRM_STEP = "benchmarks.nocredit_confirm.order_confirm_without_credit_check"
