from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.requests import AuthenticatedRequest
from kehu.core import jobs
from kehu.core.forms import apply_errors
from kehu.core.models import Job

from . import services
from .forms import UploadForm
from .mapping import FIELDS, Kind
from .models import ImportJob
from .selectors import assign_choices, import_kinds, unknown_values


def _kinds(request: AuthenticatedRequest) -> list[tuple[str, str | Promise]]:
    kinds = import_kinds(user=request.user)
    if not kinds:
        raise PermissionDenied(_("Your role does not import data."))
    return kinds


def _job(request: AuthenticatedRequest, pk: int) -> ImportJob:
    try:
        job = services.job_get(user=request.user, pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None
    if job.running and job.run_id:
        # A worker that died cannot report it: look, then show the worker's progress.
        if jobs.sweep(ids=[job.run_id]):
            return services.job_get(user=request.user, pk=pk)
        run = Job.objects.get(pk=job.run_id)
        job.done, job.total = run.done, max(run.total, job.total)
    return job


@login_required
def upload(request: AuthenticatedRequest) -> HttpResponse:
    kinds = _kinds(request)
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.job_create(user=request.user, kind=form.cleaned_data["kind"], filename=upload.name,
                                      data=upload.read())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("dataio:job", pk=job.pk)
    recent = ImportJob.objects.filter(user=request.user).defer("data")[:10]
    return render(request, "dataio/upload.html", {"form": form, "recent": recent, "nav": "import"})


def result_link(job: ImportJob) -> tuple[str, str] | None:
    """Where to see what an import brought in: its list, the newest changes first."""
    if job.kind in (Kind.CUSTOMERS, Kind.CONTACTS):
        return f"{reverse('customers:list')}?ordering=-updated", _("See the imported customers")
    if job.kind == Kind.PROSPECTS:
        return f"{reverse('customers:list')}?lifecycle=prospect&ordering=-updated", _("See the imported prospects")
    if job.kind == Kind.ORDERS:
        return reverse("ledger:order_list"), _("See the imported orders")
    return None


def _context(job: ImportJob) -> dict:
    fields = FIELDS[job.kind]
    choices = assign_choices(user=job.user, kind=job.kind)
    return {"job": job, "columns": services.job_rows(job), "fields": fields, "result": job.result or {},
            "required": [f for f in fields if f.required], "nav": "import", "result_link": result_link(job),
            "unknown": unknown_values(user=job.user, job=job) if job.status == "checked" else [],
            "assign_choices": choices if len(choices) > 1 else [], "assign": job.assign or (choices[0][0] if choices else "")}


@login_required
def job_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _kinds(request)
    return render(request, "dataio/job.html", _context(_job(request, pk)))


@login_required
@require_POST
def job_check(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.kind not in dict(_kinds(request)):
        raise PermissionDenied
    mapping = [request.POST.get(f"col{i}", "") for i in range(len(job.header))]
    choices = dict(assign_choices(user=request.user, kind=job.kind))
    assign = request.POST.get("assign", "")
    try:
        if assign and assign not in choices:
            raise ValidationError(_("Choose who gets the new customers from the list."))
        services.job_start(job=job, commit=False, mapping=mapping, assign=assign)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("dataio:job", pk=job.pk)


@login_required
@require_POST
def job_values(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The preview's answers for unknown values: each value once, for all its rows; then check again."""
    job = _job(request, pk)
    if job.kind not in dict(_kinds(request)):
        raise PermissionDenied
    fields, values, answers = (request.POST.getlist(k) for k in ("field", "value", "answer"))
    try:
        services.job_answer_values(job=job, answers=list(zip(fields, values, answers, strict=False)))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("dataio:job", pk=job.pk)


@login_required
@require_POST
def job_commit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.kind not in dict(_kinds(request)):
        raise PermissionDenied
    try:
        services.job_start(job=job, commit=True)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("dataio:job", pk=job.pk)


@login_required
def job_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    response = render(request, "dataio/partials/progress.html", _context(job))
    if not job.running and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # finished: show the result and the next step
    return response
