import io
from collections.abc import Iterable
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.accounts.models import Role, User
from kehu.accounts.requests import AuthenticatedRequest
from kehu.core.forms import apply_errors
from kehu.core.queries import as_id
from kehu.customers.selectors import customer_get, customer_visible
from kehu.ledger.models import OrderStatus, Receivable
from kehu.ledger.selectors import order_get, order_visible

from . import audit_text, permissions, scorecard, selectors, services
from .forms import (
    ApplicationForm,
    DecisionForm,
    ExceptionDecisionForm,
    ExceptionRequestForm,
    InvestigationForm,
    RecoveryForm,
    WriteOffForm,
)
from .models import (
    ApplicationStatus,
    AuditEntry,
    CreditException,
    Investigation,
    InvestigationAttachment,
    LimitApplication,
    WriteOff,
)
from .templatetags.credit_tags import bucket_label

_is_credit_staff = permissions.is_credit_staff


def waiting_for(*, requester: User, amount: Decimal, exclude: Iterable[int] = (),
                seniors: list[User] | None = None) -> dict[str, list[User]]:
    """Who decides a request of ``requester`` for ``amount`` (K1, as ``services.can_approve`` rules):
    ``approvers`` may approve it; ``short`` are the requester's supervisor when it is above their
    authority (they may only reject it, or approve less of a limit)."""
    if seniors is None:
        seniors = list(User.objects.filter(is_active=True, role=Role.SENIOR).order_by("display_name", "username"))
    candidates = list(seniors)
    team = requester.team
    if team is not None and team.supervisor_id and team.supervisor is not None and team.supervisor.is_active:
        candidates.insert(0, team.supervisor)
    candidates = [u for u in candidates if u.pk != requester.pk and u.pk not in set(exclude)]
    approvers = [u for u in candidates if permissions.can_approve(u, requester=requester, amount=amount)[0]]
    short = [u for u in candidates if u.role == Role.SUPERVISOR and u not in approvers]
    return {"approvers": approvers, "short": short}


def _decision_help(user: User, *, requester: User, amount: Decimal, may_try: bool, exclude: Iterable[int] = ()) -> dict:
    """Why ``user`` cannot decide here (when they cannot) and who will."""
    allowed, why = permissions.can_approve(user, requester=requester, amount=amount)
    if user.pk in set(exclude) and allowed:  # the handler of an order asked by someone else
        allowed, why = False, _("Nobody approves their own request.")
    return {"why_not": "" if (allowed or may_try) else why, **waiting_for(requester=requester, amount=amount, exclude=exclude)}


def queue_lists(request: AuthenticatedRequest) -> dict[str, QuerySet]:
    """The queue's four lists, whole (the page shows the head of each, its export all); credit staff only."""
    if not _is_credit_staff(request.user):
        raise PermissionDenied
    return {
        "held": order_visible(user=request.user).filter(status=OrderStatus.HELD).select_related("customer", "handler"),
        "pending": LimitApplication.objects.filter(status=ApplicationStatus.PENDING).select_related("customer", "applicant"),
        "exceptions": CreditException.objects.filter(status=ApplicationStatus.PENDING).select_related("order__customer", "requested_by"),
        "reviews": selectors.open_review_tasks(user=request.user),
    }


@login_required
def queue(request: AuthenticatedRequest) -> HttpResponse:
    """The credit controller's queue: held orders, pending decisions, review prompts."""
    lists = queue_lists(request)
    seniors = list(User.objects.filter(is_active=True, role=Role.SENIOR).order_by("display_name", "username"))
    pending = list(lists["pending"].select_related("applicant__team__supervisor")[:100])
    for application in pending:
        application.waiting = waiting_for(requester=application.applicant, amount=application.requested_limit,
                                          seniors=seniors)
    exceptions = list(lists["exceptions"].select_related("order__handler__team__supervisor")[:100])
    for exc in exceptions:
        exc.waiting = waiting_for(requester=exc.order.handler, amount=exc.exposure_after,
                                  exclude=[exc.requested_by_id], seniors=seniors)
    return render(request, "credit/queue.html", {
        "held": lists["held"][:100], "pending": pending, "exceptions": exceptions,
        "reviews": lists["reviews"][:200], "nav": "credit"})


@login_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    """A supervisor's or senior manager's approval inbox."""
    return render(request, "credit/inbox.html", {
        "applications": selectors.applications_to_decide(user=request.user).select_related("customer", "applicant", "investigation"),
        "exceptions": selectors.exceptions_to_decide(user=request.user).select_related("order__customer", "requested_by"),
        "nav": "inbox",
    })


@login_required
def investigation_new(request: AuthenticatedRequest, customer_pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=customer_pk)
    form = InvestigationForm(request.POST or None, request.FILES or None,
                             initial={"investigated_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
        uploads = request.FILES.getlist("attachments")
        too_big = [f.name for f in uploads if (f.size or 0) > services.MAX_ATTACHMENT_BYTES]
        if too_big:  # refused before the file is read into memory
            form.add_error("attachments", _("“%(name)s” is larger than 10 MB.") % {"name": too_big[0]})
            return render(request, "credit/investigation_form.html", {"form": form, "customer": customer, "nav": "customers"})
        files = [(f.name or "", f.content_type or "application/octet-stream", f.read()) for f in uploads]
        try:
            investigation = services.investigation_create(user=request.user, customer=customer, data=data, attachments=files)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied:
            raise
        else:
            messages.success(request, _("Investigation saved: score %(score)d, %(risk)s.") % {
                "score": investigation.score, "risk": investigation.get_risk_class_display()})
            return redirect("credit:investigation_detail", pk=investigation.pk)
    return render(request, "credit/investigation_form.html", {"form": form, "customer": customer, "nav": "customers"})


def _investigation(request, pk: int) -> Investigation:
    try:
        return Investigation.objects.select_related("customer", "investigated_by").get(
            pk=pk, customer__in=customer_visible(user=request.user))
    except Investigation.DoesNotExist:
        raise Http404 from None


@login_required
def investigation_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    investigation = _investigation(request, pk)
    if request.GET.get("format") == "pdf":
        from .pdf import investigation_pdf

        return _pdf_response(investigation_pdf(investigation, request=request), f"investigation-{investigation.pk}.pdf")
    fields = {f.name for f in Investigation._meta.get_fields()}
    points = [(getattr(Investigation._meta.get_field(factor), "verbose_name", factor), investigation.score_detail[factor])
              for factor in scorecard.DEFAULT_RULES if factor in investigation.score_detail and factor in fields]
    return render(request, "credit/investigation_detail.html", {
        "investigation": investigation, "customer": investigation.customer, "points": points,
        "attachments": investigation.attachments.defer("data"), "nav": "customers"})


@login_required
def attachment_download(request: AuthenticatedRequest, pk: int, att_pk: int) -> FileResponse:
    investigation = _investigation(request, pk)
    try:
        att = investigation.attachments.get(pk=att_pk)
    except InvestigationAttachment.DoesNotExist:
        raise Http404 from None
    response = FileResponse(io.BytesIO(bytes(att.data)), as_attachment=True, filename=att.name,
                            content_type=att.content_type or "application/octet-stream")
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"  # a download, never run in Kehu's pages
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def application_new(request: AuthenticatedRequest, customer_pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=customer_pk)
    investigation = services.investigation_current(customer=customer)
    if investigation is None:
        messages.error(request, _("Investigate the customer's credit first."))
        return redirect("credit:investigation_new", customer_pk=customer.pk)
    if investigation.is_imported:
        messages.error(request, _("The current investigation was carried over from the previous system; investigate "
                                  "the customer in Kehu before applying."))
        return redirect("credit:investigation_new", customer_pk=customer.pk)
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_submit(
                user=request.user, customer=customer, investigation=investigation, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Application sent for approval."))
            return redirect("credit:application_detail", pk=application.pk)
    return render(request, "credit/application_form.html", {
        "form": form, "customer": customer, "investigation": investigation, "nav": "customers"})


@login_required
def application_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = selectors.application_visible(user=request.user).select_related(
        "customer", "applicant", "investigation", "decided_by").filter(pk=pk).first()
    # An approver outside the customer's visibility still sees what waits for them.
    found = found or selectors.applications_to_decide(user=request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    application: LimitApplication = found
    if request.GET.get("format") == "pdf":
        from .pdf import application_pdf

        return _pdf_response(application_pdf(application, request=request), f"application-{application.pk}.pdf")
    can_decide = (application.status == ApplicationStatus.PENDING
                  and permissions.can_approve(request.user, requester=application.applicant, amount=application.requested_limit)[0])
    may_try = application.status == ApplicationStatus.PENDING and selectors.applications_to_decide(user=request.user).filter(pk=pk).exists()
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if not may_try:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.application_decide(
                    user=request.user, application=application, approve=form.cleaned_data["decision"] == "approve",
                    amount=form.cleaned_data["amount"], terms_days=form.cleaned_data["terms_days"] or None,
                    comment=form.cleaned_data["comment"])
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not decide this application."))
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("credit:application_detail", pk=pk)
    return render(request, "credit/application_detail.html", {
        "application": application, "form": form, "can_decide": can_decide, "may_try": may_try, "nav": "inbox",
        "facts": selectors.approval_facts(customer=application.customer),
        "history": selectors.requester_history(person=application.applicant, viewer=request.user,
                                                besides=application),
        "decision": _decision_help(request.user, requester=application.applicant, amount=application.requested_limit,
                                   may_try=may_try) if application.status == ApplicationStatus.PENDING else None})


@login_required
def order_credit(request: AuthenticatedRequest, order_pk: int) -> HttpResponse:
    """A held order: why it is held, in numbers, and the exception request."""
    order = order_get(user=request.user, pk=order_pk)
    checks = selectors.checks_of_order(order=order)
    exceptions = list(order.credit_exceptions.select_related("requested_by", "decided_by"))
    form = ExceptionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exc = services.exception_request(user=request.user, order=order, reason=form.cleaned_data["reason"])
        except ValidationError as err:
            apply_errors(form, err)
        else:
            messages.success(request, _("Exception requested; the approvers have been told."))
            return redirect("credit:exception_detail", pk=exc.pk)
    return render(request, "credit/order_credit.html", {
        "order": order, "checks": checks, "exceptions": exceptions, "form": form,
        "can_request": order.status == OrderStatus.HELD and not any(e.status == "pending" for e in exceptions),
        "nav": "orders"})


@login_required
def exception_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    exc = CreditException.objects.select_related("order__customer", "order__handler", "requested_by", "decided_by").filter(pk=pk).first()
    if exc is None:
        raise Http404
    visible = customer_visible(user=request.user).filter(pk=exc.order.customer_id).exists()
    may_try = selectors.exceptions_to_decide(user=request.user).filter(pk=pk).exists()
    if not (visible or may_try):
        raise Http404
    form = ExceptionDecisionForm(request.POST or None)
    if request.method == "POST":
        if not may_try:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.exception_decide(user=request.user, exception=exc,
                                          approve=form.cleaned_data["decision"] == "approve", comment=form.cleaned_data["comment"])
            except ValidationError as err:
                apply_errors(form, err)
            except PermissionDenied as err:
                form.add_error(None, str(err) or _("You may not decide this exception."))
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("credit:exception_detail", pk=pk)
    limit = services.limit_current(customer_id=exc.order.customer_id)
    over = exc.exposure_after - limit.amount if limit and exc.exposure_after > limit.amount else None
    can_decide = may_try and permissions.can_approve(request.user, requester=exc.order.handler, amount=exc.exposure_after)[0]
    return render(request, "credit/exception_detail.html", {
        "exc": exc, "form": form, "may_try": may_try, "can_decide": can_decide, "limit": limit, "over": over,
        "nav": "inbox", "facts": selectors.approval_facts(customer=exc.order.customer),
        "history": selectors.requester_history(person=exc.requested_by, viewer=request.user, besides=exc),
        "decision": _decision_help(request.user, requester=exc.order.handler, amount=exc.exposure_after, may_try=may_try,
                                   exclude=[exc.requested_by_id]) if exc.status == ApplicationStatus.PENDING else None})


@login_required
@require_POST
def freeze(request: AuthenticatedRequest, customer_pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=customer_pk)
    frozen = request.POST.get("frozen") == "1"
    try:
        services.credit_freeze(user=request.user, customer=customer, reason=request.POST.get("reason", ""), frozen=frozen)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Credit frozen.") if frozen else _("Credit unfrozen."))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#credit")


@login_required
@require_POST
def review_done(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = selectors.open_review_tasks(user=request.user).filter(pk=pk).first()
    if task is None:
        raise Http404
    services.review_task_done(user=request.user, task=task)
    messages.success(request, _("Review prompt closed."))
    return redirect(reverse("credit:queue") + "#reviews")


GROUPS = [("customer", gettext_lazy("Customer")), ("rep", gettext_lazy("Rep")), ("team", gettext_lazy("Team")),
          ("region", gettext_lazy("Region"))]  # lazy: each page in its reader's language


def ageing_group(request: AuthenticatedRequest) -> str:
    group = request.GET.get("by", "customer")
    return group if group in dict(GROUPS) else "customer"


def ageing_sort(request: AuthenticatedRequest) -> str:
    """``?sort=`` a column of the ageing table (name, a bucket, total), "-" first for descending."""
    sort = request.GET.get("sort", "-total")
    return sort if sort.removeprefix("-") in selectors.AGEING_SORTS else "-total"


@login_required
def ageing(request: AuthenticatedRequest) -> HttpResponse:
    group, sort = ageing_group(request), ageing_sort(request)
    rows = selectors.receivables_ageing(user=request.user, group_by=group, sort=sort)
    buckets = [b[0] for b in selectors.AGEING_BUCKETS]
    for row in rows:
        row["cells"] = [(bucket_label(b), row[b]) for b in buckets]
    totals = [(bucket_label(b), sum((r[b] for r in rows), Decimal(0))) for b in buckets]
    grand_total = sum((r["total"] for r in rows), Decimal(0))
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    # Each column sorts descending first (the largest, or the oldest debts, on top); again, ascending.
    columns = [(key, label, f"{'' if sort == '-' + key else '-'}{key}", sort.removeprefix("-") == key,
                sort.startswith("-"))
               for key, label in [("name", _("Name")), *[(b, bucket_label(b)) for b in buckets], ("total", _("Total"))]]
    sorts = [(f"-{key}", _("%(column)s, largest first") % {"column": label}) for key, label in
             [*[(b, bucket_label(b)) for b in reversed(buckets)], ("total", _("Total"))]] + [("name", _("Name"))]
    return render(request, "credit/ageing.html", {
        "page": page, "group": group, "groups": [(k, str(v)) for k, v in GROUPS], "totals": totals,
        "grand_total": grand_total, "sort": sort, "columns": columns, "sorts": sorts, "nav": "credit"})


@login_required
def write_off_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    if not permissions.can_write_off(request.user):
        raise PermissionDenied
    try:
        receivable = Receivable.objects.select_related("order", "customer").get(pk=pk)
    except Receivable.DoesNotExist:
        raise Http404 from None
    form = WriteOffForm(request.POST or None, initial={"amount": receivable.outstanding})
    if request.method == "POST" and form.is_valid():
        try:
            write_off = services.write_off_create(user=request.user, receivable=receivable, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Written off; liabilities recorded."))
            return redirect("credit:write_off_detail", pk=write_off.pk)
    return render(request, "credit/write_off_form.html", {"form": form, "receivable": receivable, "nav": "credit"})


@login_required
def write_off_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    if as_id(pk) is None:  # no write-off has a number larger than a key can be
        raise Http404
    write_off = WriteOff.objects.select_related("customer", "receivable__order__handler", "by", "policy").filter(pk=pk).first()
    liabilities = list(selectors.liabilities_visible(user=request.user).filter(write_off_id=pk))
    if write_off is None or not (_is_credit_staff(request.user) or liabilities):
        raise Http404
    form = RecoveryForm(request.POST or None)
    if request.method == "POST":
        if not permissions.can_record_recovery(request.user):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.recovery_record(user=request.user, write_off=write_off, amount=form.cleaned_data["amount"],
                                         note=form.cleaned_data["note"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Recovery recorded; liabilities reduced."))
                return redirect("credit:write_off_detail", pk=pk)
    return render(request, "credit/write_off_detail.html", {
        "write_off": write_off, "liabilities": liabilities, "form": form,
        "can_recover": permissions.can_record_recovery(request.user), "nav": "credit"})


@login_required
def liabilities(request: AuthenticatedRequest) -> HttpResponse:
    qs = selectors.liabilities_visible(user=request.user)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "credit/liabilities.html", {
        "page": page, "total": selectors.liability_total(qs), "nav": "credit"})


def audit_list(request: AuthenticatedRequest) -> QuerySet[AuditEntry]:
    """The audit trail as the page and its export list it; credit staff only."""
    if not _is_credit_staff(request.user):
        raise PermissionDenied
    return selectors.audit_entries(user=request.user).select_related("user", "customer")


@login_required
def audit_trail(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(audit_list(request), 100).get_page(request.GET.get("page"))
    return render(request, "credit/audit.html", {"page": page, "entries": audit_text.describe(page.object_list),
                                                 "nav": "credit"})


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
