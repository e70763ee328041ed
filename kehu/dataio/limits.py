"""Import of credit limits decided in the previous system (kind "credit_limits"), under K1.

An imported limit is a decision already made, recorded as one: each row becomes a carried-over
investigation, an application approved by the row's approver for its applicant, and the limit in
force, through ``credit.services.limit_import_record``. The approval rule is the one an approval in
Kehu obeys (``credit.services.limit_import_problems``), checked on every row in the preview as in
the commit, so an import is never a way around K1.

The importer extends ``base.Importer``; ``importers.IMPORTERS`` lists it with the others.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.credit.models import ApplicationStatus, CreditLimit, LimitApplication
from kehu.credit.permissions import can_import_limits
from kehu.credit.services import limit_import_problems, limit_import_record, policy_in_force
from kehu.customers.models import Customer

from . import values as v
from .base import CustomerResolver, Importer, Row
from .mapping import Kind

CUSTOMER_FIELDS = ("customer_code", "customer_uscc", "customer_name")


@dataclass
class LimitRow:
    row: int
    data: dict[str, Any]
    customer: Customer
    amount: Decimal
    terms_days: int
    approver: User
    applicant: User
    approved_on: datetime.date
    valid_until: datetime.date | None
    note: str


def _customer_field(data: dict[str, Any]) -> str:
    """The column that named the row's customer (its errors are shown there)."""
    return next((f for f in CUSTOMER_FIELDS if not v.is_blank(data.get(f))), CUSTOMER_FIELDS[0])


class CreditLimitImporter(Importer):
    """One row per customer: its limit, terms, who approved it, who applied, and when."""

    kind = Kind.CREDIT_LIMITS

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.customers = CustomerResolver(self)
        self.today = timezone.localdate()
        self.policy = policy_in_force(on=self.today)

    def check_allowed(self) -> None:
        if not can_import_limits(self.user):
            raise PermissionDenied(_("Only credit control, senior managers and administrators import credit limits."))

    def read_row(self, row: int, data: dict[str, Any]) -> LimitRow | None:
        before = self.outcome.error_count
        customer = self.customers.get(row, data)
        amount = self.parse(row, data, "amount", v.parse_decimal)
        if amount is None and v.is_blank(data.get("amount")):
            self.error(row, "amount", "", _("The credit limit is missing."))
        terms = self.parse(row, data, "terms_days", v.parse_int)
        if terms is None and v.is_blank(data.get("terms_days")):
            self.error(row, "terms_days", "", _("The payment terms are missing."))
        approver = self.person(row, data, "approver")
        if v.is_blank(data.get("approver")):
            self.error(row, "approver", "", _("Name the person who approved the limit: every limit needs its approver (K1)."))
        applicant = self.person(row, data, "applicant")
        approved_on = self.parse(row, data, "approved_on", v.parse_date)
        valid_until = self.parse(row, data, "valid_until", v.parse_date)
        note = self.string(row, data, "notes", 500)
        if customer is not None and self.repeated(row, customer.pk, _customer_field(data), data.get(_customer_field(data))):
            return None
        if customer is None or approver is None or amount is None or terms is None or self.outcome.error_count > before:
            return None
        return LimitRow(row, data, customer, amount, terms, approver, applicant or customer.owner,
                        approved_on or self.today, valid_until, note)

    def process(self, chunk: list[Row]) -> None:
        self.customers.prefetch(chunk)
        rows = [r for r in (self.read_row(n, d) for n, d in chunk) if r is not None]
        ids = [r.customer.pk for r in rows]
        current = {limit.customer_id: limit for limit in CreditLimit.objects.filter(customer_id__in=ids, is_current=True)}
        pending = set(LimitApplication.objects.filter(customer_id__in=ids, status=ApplicationStatus.PENDING)
                      .values_list("customer_id", flat=True))
        for r in rows:
            limit = current.get(r.customer.pk)
            if limit is not None and limit.amount == r.amount and limit.terms_days == r.terms_days:
                self.outcome.skipped += 1  # already in force: importing the file again changes nothing
                continue
            problems = limit_import_problems(
                amount=r.amount, terms_days=r.terms_days, approver=r.approver, applicant=r.applicant,
                approved_on=r.approved_on, valid_until=r.valid_until, current=limit, pending=r.customer.pk in pending,
                policy=self.policy, today=self.today)
            if problems:
                self.report(r, problems)
                continue
            if limit is None:
                self.outcome.created += 1
            else:
                self.outcome.updated += 1
            if not self.writing:
                continue
            try:
                limit_import_record(user=self.user, customer=r.customer, amount=r.amount, terms_days=r.terms_days,
                                    approver=r.approver, applicant=r.applicant, approved_on=r.approved_on,
                                    valid_until=r.valid_until, note=r.note)
            except ValidationError as exc:
                self.report(r, exc.message_dict if hasattr(exc, "error_dict") else {"customer": exc.messages})
            except PermissionDenied as exc:
                self.report(r, {"customer": [str(exc)]})

    def report(self, r: LimitRow, problems: dict[str, list[str]]) -> None:
        for name, messages in problems.items():
            column = _customer_field(r.data) if name == "customer" else name
            self.error(r.row, column, r.data.get(column), " ".join(messages))
