"""Site-wide responses with no domain: the icon browsers ask for at /favicon.ico, and the progress
of one background job (kehu.core.jobs), for a page to poll with htmx."""

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from . import jobs
from .models import Job

FAVICON = "kehu/favicon.ico"


@require_safe
@cache_control(max_age=7 * 24 * 3600, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page links to; answer with Kehu's own icon."""
    path = finders.find(FAVICON)
    if path:
        return FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115 - FileResponse closes it
    if staticfiles_storage.exists(FAVICON):  # collected only (a deployment without the source tree)
        return FileResponse(staticfiles_storage.open(FAVICON), content_type="image/x-icon")
    raise Http404


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """``core/partials/job_progress.html`` for the job's owner (404 for anyone else), polling itself
    while the job runs; a job whose worker died is found failed here too."""
    try:
        job = jobs.job_get(user=request.user, pk=pk)
    except Job.DoesNotExist:
        raise Http404 from None
    if job.running and jobs.sweep(ids=[job.pk]):
        job.refresh_from_db()
    return render(request, "core/partials/job_progress.html",
                  {"job": job, "poll_url": reverse("job_progress", args=[job.pk])})
