from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kehu.customers.models import Lifecycle
from kehu.customers.selectors import customer_visible
from kehu.ledger.models import OrderStatus, Receivable
from kehu.ledger.selectors import order_visible
from kehu.prospecting.selectors import pool_counts


@login_required
def home(request: HttpRequest) -> HttpResponse:
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
