"""The credit lists as .csv and .xlsx: each exactly what its page lists for the user, every row.

Each export reads through the page's own selector (or the helper the page itself calls), so the
file cannot show more, or other, rows than the page: same visibility, same query string (today
only the ageing page's grouping), same 403 for those the page refuses. Pages that show only the first rows (the queue) or paginate
(ageing, liabilities, audit trail) export them all. Headers are in the request's language.
"""

import datetime
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.requests import AuthenticatedRequest
from kehu.core.xlsx import FORMATS, export_response

from . import audit_text, selectors
from .views import ageing_group, ageing_sort, audit_list, queue_lists

Export = HttpResponse | StreamingHttpResponse | FileResponse
CHUNK = 2000


def _in_language(rows: Iterable[Sequence]) -> Iterator[Sequence]:
    """The rows, their labels in the request's language even when a CSV is read after the view returned."""
    language = translation.get_language()

    def rows_in_language() -> Iterator[Sequence]:
        with translation.override(language):
            yield from rows

    return rows_in_language()


def _export(fmt: str, basename: str, sheet_name: str, header: Sequence, rows: Iterable[Sequence]) -> Export:
    return export_response(fmt, basename, sheet_name, [str(h) for h in header], _in_language(rows))


def _day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None


@login_required
def queue_export(request: AuthenticatedRequest, fmt: str) -> Export:
    """The credit queue's four lists in one sheet, each row marked with the list it is in."""
    if fmt not in FORMATS:
        raise Http404
    lists = queue_lists(request)
    header = [_("Kind"), _("Order"), _("Customer code"), _("Customer"), _("Who"), _("Amount (CNY)"), _("Date"),
              _("Reason")]
    held, pending = _("Held orders"), _("Applications waiting for approval")
    exceptions, reviews = _("Exceptions waiting for approval"), _("Review prompts")
    rows = chain(
        ([held, o.number, o.customer.code, o.customer.name, str(o.handler), o.total, o.order_date, ""]
         for o in lists["held"].iterator(chunk_size=CHUNK)),
        ([pending, "", a.customer.code, a.customer.name, str(a.applicant), a.requested_limit, _day(a.created_at),
          a.reason] for a in lists["pending"].iterator(chunk_size=CHUNK)),
        ([exceptions, e.order.number, e.order.customer.code, e.order.customer.name, str(e.requested_by),
          e.order_amount, _day(e.created_at), e.reason] for e in lists["exceptions"].iterator(chunk_size=CHUNK)),
        ([reviews, "", r.customer.code, r.customer.name, "", None, r.raised_on,
          " · ".join(part for part in (str(r.get_reason_display()), r.detail) if part)]
         for r in lists["reviews"].iterator(chunk_size=CHUNK)),
    )
    return _export(fmt, "credit-queue", _("Credit queue"), header, rows)


@login_required
def inbox_export(request: AuthenticatedRequest, fmt: str) -> Export:
    """What waits for this approver: limit applications, then exceptions for held orders."""
    if fmt not in FORMATS:
        raise Http404
    applications = selectors.applications_to_decide(user=request.user).select_related(
        "customer", "applicant", "investigation")
    exceptions = selectors.exceptions_to_decide(user=request.user).select_related("order__customer", "requested_by")
    header = [_("Kind"), _("Order"), _("Customer code"), _("Customer"), _("Requested by"), _("Amount (CNY)"),
              _("Terms (days)"), _("Risk"), _("Date"), _("Reason")]
    application_kind, exception_kind = _("Credit-limit applications"), _("Exceptions for held orders")
    rows: Iterable[Sequence] = chain(
        ([application_kind, "", a.customer.code, a.customer.name, str(a.applicant), a.requested_limit,
          a.requested_terms_days, str(a.investigation.get_risk_class_display()), _day(a.created_at), a.reason]
         for a in applications.iterator(chunk_size=CHUNK)),
        ([exception_kind, e.order.number, e.order.customer.code, e.order.customer.name, str(e.requested_by),
          e.order_amount, None, "", _day(e.created_at), e.reason] for e in exceptions.iterator(chunk_size=CHUNK)),
    )
    return _export(fmt, "approvals", _("Approvals"), header, rows)


@login_required
def ageing_export(request: AuthenticatedRequest, fmt: str) -> Export:
    """Open receivables by days past due, in the page's grouping (``?by=customer|rep|team|region``)
    and order (``?sort=``)."""
    if fmt not in FORMATS:
        raise Http404
    group = ageing_group(request)
    buckets = [b[0] for b in selectors.AGEING_BUCKETS]
    header = [_("Code"), _("Name"), _("Current"), "1–30", "31–60", "61–90", "90+", _("Total")]
    rows = ([r["code"], r["name"], *[r[b] for b in buckets], r["total"]]
            for r in selectors.receivables_ageing(user=request.user, group_by=group, sort=ageing_sort(request)))
    return _export(fmt, f"ageing-{group}", _("Receivables ageing"), header, rows)


@login_required
def liabilities_export(request: AuthenticatedRequest, fmt: str) -> Export:
    """Bad-debt liabilities: one's own, a supervisor's team's, all for management and credit."""
    if fmt not in FORMATS:
        raise Http404
    header = [_("Person"), _("As"), _("Customer"), _("Order"), _("Written off on"), _("Kind"), _("Share (%)"),
              _("Liability (CNY)"), _("Reduced by recoveries (CNY)"), _("Net (CNY)")]
    rows = ([str(li.person), li.get_role_display(), li.write_off.customer.name, li.write_off.receivable.order.number,
             li.write_off.written_off_on, li.write_off.get_kind_display(), li.share_pct, li.amount,
             li.reduced_by_recovery, li.net]
            for li in selectors.liabilities_visible(user=request.user).iterator(chunk_size=CHUNK))
    return _export(fmt, "liabilities", _("Liabilities"), header, rows)


def _changes(entry: audit_text.DescribedEntry) -> str:
    """The page's "field old → new" per changed field, in the reader's words, values in full."""
    return "; ".join(f"{label} {old} → {new}" if old is not None else f"{label} {new}"
                     for label, old, new in entry.changes)


@login_required
def audit_export(request: AuthenticatedRequest, fmt: str) -> Export:
    """The credit audit trail (credit staff only), newest first, every entry."""
    if fmt not in FORMATS:
        raise Http404
    entries = audit_list(request)
    header = [_("When"), _("Who"), _("What"), _("Object"), _("Object ID"), _("Customer code"), _("Customer"),
              _("Changes")]
    rows = ([d.entry.at, str(d.entry.user) if d.entry.user else "", d.entry.action_label, d.object_label,
             d.entry.object_id, d.entry.customer.code if d.entry.customer else "",
             d.entry.customer.name if d.entry.customer else "", _changes(d)]
            for d in audit_text.described(entries.iterator(chunk_size=CHUNK)))
    return _export(fmt, "credit-audit", _("Audit trail"), header, rows)
