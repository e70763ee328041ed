"""The progress of one background job (kehu.core.jobs), for a page to poll with htmx."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from . import jobs
from .models import Job


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
