from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.requests import AuthenticatedRequest
from kehu.core.queries import get_or_404
from kehu.customers.card import sections
from kehu.customers.selectors import customer_visible

from . import health, selectors, services
from .models import AccountPlan


@login_required
def key_account_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    accounts = list(selectors.key_accounts_visible(user=user))
    shares = selectors.region_shares(today=timezone.localdate(), window_months=services.policy_current().window_months,
                                     customer_ids=[c.pk for c in accounts])
    for c in accounts:
        c.region_share = shares.get(c.pk)  # type: ignore[attr-defined]  # for the template
    return render(request, "keyaccounts/list.html", {
        "accounts": accounts, "candidates": selectors.pending_candidates(user=user)[:100],
        "decided": selectors.candidates_visible(user=user).exclude(status="pending")[:20],
        "can_decide": services.can_decide(user), "is_management": services.is_management(user),
        "managers": selectors.managers(), "sponsors": selectors.sponsors(), "policy": services.policy_current(),
        "can_edit_policy": services.can_edit_policy(user),
        "nav": "keyaccounts",
    })


@login_required
@require_POST
def policy_change(request: AuthenticatedRequest) -> HttpResponse:
    """A new key-account policy row (administrators); the old ones stay as its history."""
    data = {f: request.POST.get(f, "").strip() for f in services.POLICY_FIELDS}
    try:
        services.policy_update(user=request.user, data=data)
    except ValidationError as exc:
        for msgs in exc.message_dict.values():
            for m in msgs:
                messages.error(request, m)
    else:
        messages.success(request, _("The key-account policy is changed."))
    return redirect("keyaccounts:list")


@login_required
@require_POST
def candidate_mark(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = get_or_404(customer_visible(user=request.user), pk)
    try:
        services.candidate_mark(user=request.user, customer=customer, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Proposed as a key account; a senior manager decides."))
    return redirect("keyaccounts:list")


@login_required
@require_POST
def candidate_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    candidate = get_or_404(selectors.candidates_visible(user=request.user), pk)
    try:
        services.candidate_decide(user=request.user, candidate=candidate, confirm=request.POST.get("confirm") == "1",
                                  manager=request.POST.get("manager"), sponsor=request.POST.get("sponsor"),
                                  note=request.POST.get("note", ""))
    except ValidationError as exc:
        for msgs in exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]:
            for m in msgs:
                messages.error(request, m)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("keyaccounts:list")


@login_required
def key_account_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = get_or_404(selectors.key_accounts_visible(user=request.user), pk)
    today = timezone.localdate()
    plan = AccountPlan.objects.filter(customer=customer).first() or AccountPlan(customer=customer)
    can_edit = services.can_edit_plan(request.user, customer)
    errors: dict = {}
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        data = {f: request.POST.get(f, "") for f in services.PLAN_FIELDS}
        try:
            services.plan_save(user=request.user, customer=customer, data=data)
        except ValidationError as exc:
            errors = exc.message_dict
            for f, v in data.items():
                setattr(plan, f, v)
        else:
            messages.success(request, _("The account plan is saved."))
            return redirect("keyaccounts:detail", pk=customer.pk)
    # The grade history is analytics' card section; shown here through the card's registry.
    grade_section = next((s for s in sections() if s.key == "grades"), None)
    grades = render_to_string(grade_section.template, {**grade_section.context(request, customer), "customer": customer},
                              request) if grade_section else ""
    shares = selectors.region_shares(today=today, window_months=services.policy_current().window_months,
                                     customer_ids=[customer.pk])
    return render(request, "keyaccounts/detail.html", {
        "customer": customer, "plan": plan, "can_edit": can_edit, "errors": errors,
        "health": selectors.health(customer=customer, today=today), "needs": selectors.needs_match(customer=customer, today=today),
        "grades": grades, "region_share": shares.get(customer.pk),
        "health_parts": health.render_parts(request, customer),
        "cadence": plan.senior_visit_every_days or services.policy_current().senior_visit_every_days,
        "nav": "keyaccounts",
    })
