from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.permissions import can_edit_customer
from kehu.accounts.requests import AuthenticatedRequest
from kehu.core.forms import apply_errors
from kehu.customers.selectors import contact_get, customer_get

from . import selectors, services
from .forms import CompleteForm, LifeEventForm, TouchpointForm
from .models import TouchStatus


@login_required
def touch_home(request: AuthenticatedRequest) -> HttpResponse:
    """The rep's touches: reminders of the next two weeks, planned touches, the latest done."""
    today = timezone.localdate()
    reminders = selectors.reminders_for(user=request.user, today=today, days=14)
    planned = selectors.touchpoint_list(user=request.user, status=TouchStatus.PLANNED, mine=True).order_by("planned_on")[:50]
    done = selectors.touchpoint_list(user=request.user, status=TouchStatus.DONE, mine=True).order_by("-done_on", "-id")[:30]
    return render(request, "engagement/home.html", {
        "reminders": reminders, "planned": planned, "done": done, "today": today, "nav": "touches"})


@login_required
def touch_new(request: AuthenticatedRequest, customer_pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=customer_pk)
    if not can_edit_customer(request.user, customer):
        raise PermissionDenied
    initial = {"date": timezone.localdate(), "method": request.GET.get("method") or "visit",
               "when": request.GET.get("when") or TouchpointForm.DONE}
    form = TouchpointForm(request.POST or None, customer=customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        when = data.pop("when")
        day = data.pop("date")
        try:
            if when == TouchpointForm.PLAN:
                services.touchpoint_plan(user=request.user, customer=customer, data={**data, "planned_on": day})
                messages.success(request, _("Touch planned."))
            else:
                services.touchpoint_log(user=request.user, customer=customer, data={**data, "done_on": day})
                messages.success(request, _("Touch logged."))
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and ("planned_on" in exc.error_dict or "done_on" in exc.error_dict):
                exc = ValidationError({"date": exc.message_dict.get("planned_on") or exc.message_dict.get("done_on")})
            apply_errors(form, exc)
        else:
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "engagement/touch_form.html", {"form": form, "customer": customer, "nav": "touches"})


@login_required
def touch_complete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    touch = selectors.touchpoint_get(user=request.user, pk=pk)
    if not can_edit_customer(request.user, touch.customer):
        raise PermissionDenied
    form = CompleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.touchpoint_complete(user=request.user, touchpoint=touch, outcome=form.cleaned_data["outcome"],
                                         cost=form.cleaned_data["cost"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Touch logged."))
            return redirect("engagement:home")
    return render(request, "engagement/complete_form.html", {"form": form, "touch": touch, "nav": "touches"})


@login_required
@require_POST
def touch_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    touch = selectors.touchpoint_get(user=request.user, pk=pk)
    try:
        services.touchpoint_cancel(user=request.user, touchpoint=touch)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("engagement:home")


@login_required
@require_POST
def reminder_plan(request: AuthenticatedRequest) -> HttpResponse:
    try:
        planned = services.reminder_plan(user=request.user, key=request.POST.get("key", "")[:60])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)d touches planned.") % {"n": len(planned)})
    return redirect("engagement:home")


@login_required
def occasion_new(request: AuthenticatedRequest, contact_pk: int) -> HttpResponse:
    contact = contact_get(user=request.user, pk=contact_pk)
    if not can_edit_customer(request.user, contact.customer):
        raise PermissionDenied
    form = LifeEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.life_event_note(user=request.user, contact=contact, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Occasion noted."))
            return redirect("customers:detail", pk=contact.customer_id)
    return render(request, "engagement/occasion_form.html", {"form": form, "contact": contact, "nav": "touches"})
