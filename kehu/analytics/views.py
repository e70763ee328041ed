import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import Region, Team, User
from kehu.accounts.requests import AuthenticatedRequest
from kehu.core.dates import FIRST_DAY, LAST_DAY, parse_day
from kehu.core.queries import get_or_404
from kehu.core.xlsx import XLSX_TYPE, xlsx_bytes
from kehu.customers.models import Lifecycle
from kehu.customers.selectors import customer_visible
from kehu.ledger.models import OrderStatus, Receivable
from kehu.ledger.selectors import order_visible
from kehu.prospecting.selectors import pool_counts

from . import reports, services
from .models import GradeOverride, GradingPolicy


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Everyone's start page: their book at a glance. Role home pages grow from here."""
    user = request.user
    customers = customer_visible(user=user).aggregate(
        customers=Count("id", filter=Q(lifecycle=Lifecycle.CUSTOMER)),
        prospects=Count("id", filter=Q(lifecycle=Lifecycle.PROSPECT)),
        key_accounts=Count("id", filter=Q(is_key_account=True)),
    )
    orders = order_visible(user=user)
    open_orders = orders.filter(status__in=[OrderStatus.DRAFT, OrderStatus.CONFIRMED, OrderStatus.DELIVERED]).count()
    overdue = Receivable.objects.filter(
        customer__in=customer_visible(user=user), settled_on__isnull=True, due_on__lt=timezone.localdate()
    ).count()
    recent = orders.select_related("customer").order_by("-order_date", "-id")[:8]
    # P2: pools below their target, the user's own and (for a supervisor) the team's and members'.
    pool_warnings = [c for c in pool_counts(user=user) if c.below]
    return render(request, "analytics/home.html", {
        "figures": customers, "open_orders": open_orders, "overdue": overdue, "recent_orders": recent,
        "pool_warnings": pool_warnings,
    })


def report_params(params) -> dict:
    """As-of date, window, scope and group from a query string; bad values fall back to defaults
    and are named in ``errors`` so the page can say so."""
    errors = []
    as_of = timezone.localdate()
    if params.get("as_of"):
        day = parse_day(params["as_of"])
        if day is None:
            errors.append(_("The date is not a date (YYYY-MM-DD) between %(first)s and %(last)s; today is used.")
                          % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})
        else:
            as_of = day
    months = services.policy_current().window_months
    if params.get("window"):
        try:
            months = int(params["window"])
            if not 1 <= months <= 60:
                raise ValueError
        except ValueError:
            errors.append(_("The window is 1 to 60 months; the policy's is used."))
            months = services.policy_current().window_months
    scope = params.get("scope") or "company"
    if scope not in reports.SCOPES:
        errors.append(_("Unknown scope; the company is shown."))
        scope = "company"
    group = params.get("group") or None
    if group is not None:
        try:
            group = int(group)
        except ValueError:
            group, scope = None, "company"
            errors.append(_("Unknown scope; the company is shown."))
    return {"as_of": as_of, "window_months": months, "scope": scope, "group": group, "errors": errors}


def scope_choices(user: User) -> dict:
    """Regions, teams and reps the user can choose from (a rep: only themself)."""
    visible = customer_visible(user=user)
    return {
        "regions": Region.objects.filter(pk__in=visible.values("region_id")),
        "teams": Team.objects.filter(pk__in=visible.values("owner__team_id")),
        "reps": User.objects.filter(pk__in=visible.values("owner_id")),
    }


def _pareto(request: AuthenticatedRequest) -> tuple[reports.ParetoReport, list[str]]:
    p = report_params(request.GET)
    report = reports.pareto(user=request.user, as_of=p["as_of"], window_months=p["window_months"], scope=p["scope"],
                            group=p["group"])
    return report, p["errors"]


@login_required
def pareto(request: AuthenticatedRequest) -> HttpResponse:
    report, errors = _pareto(request)
    return render(request, "analytics/pareto.html", {
        "report": report, "rows": report.rows[:200], "chart": reports.pareto_svg(report), "errors": errors,
        "nav": "reports", **scope_choices(request.user),
    })


@login_required
def pareto_export(request: AuthenticatedRequest) -> HttpResponse:
    report, _errors = _pareto(request)
    header = [_("Rank"), _("Customer code"), _("Customer"), _("Sales (CNY)"), _("Grade"),
              _("Cumulative customers %"), _("Cumulative sales %")]
    rows = [[r.rank, r.code, r.name, r.sales, r.grade, r.cum_customers_pct, r.cum_sales_pct] for r in report.rows]
    response = HttpResponse(xlsx_bytes(_("Pareto"), header, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="pareto-{report.as_of:%Y%m%d}.xlsx"'
    return response


@login_required
def concentration(request: AuthenticatedRequest) -> HttpResponse:
    p = report_params(request.GET)
    rows = reports.concentration(user=request.user, as_of=p["as_of"], window_months=p["window_months"])
    return render(request, "analytics/concentration.html", {"rows": rows, "params": p, "errors": p["errors"],
                                                              "nav": "reports"})


@login_required
def loss_impact(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = get_or_404(customer_visible(user=request.user).select_related("region", "owner"), pk)
    p = report_params(request.GET)
    impact = reports.loss_impact(customer=customer, as_of=p["as_of"], window_months=p["window_months"])
    return render(request, "analytics/loss_impact.html", {"impact": impact, "params": p, "nav": "reports"})


@login_required
def policy(request: AuthenticatedRequest) -> HttpResponse:
    can_edit = services.can_edit_policy(request.user)
    current = services.policy_current()
    errors: dict = {}
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        data: dict[str, Any] = {f: request.POST.get(f, "").strip() for f in services.POLICY_FIELDS}
        try:
            for f in ("share_a", "share_b", "count_a", "count_b"):
                data[f] = Decimal(data[f])
            data["window_months"] = int(data["window_months"])
            services.policy_update(user=request.user, data=data)
        except (ValueError, ArithmeticError):
            errors = {"__all__": [_("Enter numbers for the window and the thresholds.")]}
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("The grading policy is changed; the next grading uses it."))
            return redirect("analytics:policy")
    return render(request, "analytics/policy.html", {
        "policy": current, "history": GradingPolicy.objects.select_related("created_by")[:50],
        "can_edit": can_edit, "errors": errors, "nav": "reports", "post": request.POST if errors else None,
    })


@login_required
@require_POST
def override_request(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = get_or_404(customer_visible(user=request.user).select_related("owner__team"), pk)
    try:
        expires = datetime.date.fromisoformat(request.POST.get("expires_on", ""))
    except ValueError:
        expires = None
    try:
        services.override_request(user=request.user, customer=customer, grade=request.POST.get("grade", ""),
                                  reason=request.POST.get("reason", ""), expires_on=expires)
    except ValidationError as exc:
        for msgs in exc.message_dict.values():
            for m in msgs:
                messages.error(request, m)
    else:
        messages.success(request, _("The override waits for a supervisor's approval."))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#grades")


@login_required
@require_POST
def override_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    visible = GradeOverride.objects.filter(customer__in=customer_visible(user=request.user))
    override = get_or_404(visible, pk)
    try:
        services.override_decide(user=request.user, override=override, approve=request.POST.get("approve") == "1")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect(reverse("customers:detail", args=[override.customer_id]) + "#grades")
