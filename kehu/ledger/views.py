from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, Q
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.permissions import can_enter_orders, can_record_payments
from kehu.accounts.requests import AuthenticatedRequest
from kehu.core.forms import apply_errors
from kehu.core.queries import as_id
from kehu.core.xlsx import FORMATS, export_response
from kehu.customers.selectors import customer_get

from . import panels, selectors, services
from .forms import OrderFilterForm, OrderHeaderForm, PaymentForm
from .models import Order, OrderLine, OrderStatus, PaymentMethod, Product


def _orders(request: AuthenticatedRequest):
    """The order list's filters applied to what the user may see: (form, queryset, customer)."""
    form = OrderFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.order_visible(user=request.user).select_related("customer", "handler")
    customer = None
    if data.get("customer"):
        customer = customer_get(user=request.user, pk=data["customer"])
        qs = qs.filter(customer=customer)
    if data.get("status") == "open":
        qs = qs.filter(status__in=[OrderStatus.DRAFT, OrderStatus.CONFIRMED, OrderStatus.DELIVERED])
    elif data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("q"):
        qs = qs.filter(Q(number__icontains=data["q"]) | Q(customer__name__contains=data["q"]))
    return form, qs.order_by("-order_date", "-id"), customer


@login_required
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    form, qs, customer = _orders(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    confirmable = [o for o in page.object_list if o.status == OrderStatus.DRAFT] if can_enter_orders(request.user) else []
    return render(request, "ledger/order_list.html", {
        "form": form, "page": page, "customer": customer, "query": query.urlencode(), "nav": "orders",
        "confirmable": confirmable,
    })


@login_required
@require_POST
def orders_confirm(request: AuthenticatedRequest) -> HttpResponse:
    """Confirm the drafts a list showed, each through the credit check (ledger.orders_confirm)."""
    if not can_enter_orders(request.user):
        raise PermissionDenied
    ids = [n for n in map(as_id, request.POST.getlist("order")) if n is not None][:500]
    orders = list(selectors.order_visible(user=request.user).filter(pk__in=ids))
    results = services.orders_confirm(user=request.user, orders=orders)
    confirmed = sum(1 for _o, r in results if r == OrderStatus.CONFIRMED)
    held = sum(1 for _o, r in results if r == OrderStatus.HELD)
    failed = [f"{o.number}: {r}" for o, r in results if r not in (OrderStatus.CONFIRMED, OrderStatus.HELD)]
    messages.success(request, _("Confirmed: %(ok)d. Held by the credit check: %(held)d.") % {"ok": confirmed, "held": held})
    for line in failed[:20]:
        messages.error(request, line)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("ledger:order_list")
    return redirect(target)


def export_header() -> list[str]:
    """The order list's export, one row per order line so that it imports again as it is: the
    fields' names in the active language, as the importer reads them."""
    def title(name: str, model: type[Model] = Order) -> str:
        return str(model._meta.get_field(name).verbose_name)  # type: ignore[union-attr]  # a field of its own

    return [title("number"), str(_("customer code")), title("customer"), title("handler"), title("order_date"),
            title("status"), title("payment_method"), title("payment_terms_days"), str(_("product code")),
            str(_("product name")), title("quantity", OrderLine), title("unit_price", OrderLine),
            title("amount", OrderLine), title("total"), title("delivered_on"), title("invoiced_on"), title("notes")]


ORDER_CELLS = ["pk", "number", "customer__code", "customer__name", "handler__display_name", "handler__first_name",
               "handler__last_name", "handler__username", "order_date", "status", "payment_method", "payment_terms_days",
               "total", "delivered_on", "invoiced_on", "notes"]


def export_rows(orders, *, chunk: int = 2000):
    """The rows of ``export_header`` for ``orders`` in their order, each order's lines in theirs (an
    order without lines has one row, its line's cells empty). Plain values, two queries per 2,000
    orders: a 100,000-line export is read as fast as it is written."""
    statuses = {k: str(v) for k, v in OrderStatus.choices}
    methods = {k: str(v) for k, v in PaymentMethod.choices}
    batch: list[tuple] = []

    def flush():
        lines: dict[int, list[tuple]] = {}
        for line in (OrderLine.objects.filter(order_id__in=[o[0] for o in batch]).order_by("order_id", "pk")
                     .values_list("order_id", "product__code", "product__name", "quantity", "unit_price", "amount")):
            lines.setdefault(line[0], []).append(line[1:])
        for (_pk, number, code, name, display, first, last, username, day, status, method, terms, total, delivered,
             invoiced, notes) in batch:
            handler = display or f"{first} {last}".strip() or username  # as User.__str__
            head = [number, code, name, handler, day, statuses.get(status, status), methods.get(method, method), terms]
            tail = [total, delivered, invoiced, notes]
            for line in lines.get(_pk) or [(None,) * 5]:
                yield head + list(line) + tail

    for order in orders.values_list(*ORDER_CELLS).iterator(chunk_size=chunk):
        batch.append(order)
        if len(batch) >= chunk:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


@login_required
def order_export(request: AuthenticatedRequest, fmt: str = "csv") -> HttpResponse | StreamingHttpResponse | FileResponse:
    """The orders the list shows (filters and visibility), every page and every line, as CSV or xlsx."""
    if fmt not in FORMATS:
        raise Http404
    _form, qs, _customer = _orders(request)
    return export_response(fmt, "orders", _("Orders"), export_header(), export_rows(qs))


def _lines_from_post(request: AuthenticatedRequest) -> list[dict]:
    products = request.POST.getlist("product")
    quantities = request.POST.getlist("quantity")
    prices = request.POST.getlist("unit_price")
    lines = []
    for i, product in enumerate(products):
        quantity = quantities[i] if i < len(quantities) else ""
        price = prices[i] if i < len(prices) else ""
        if not product and not quantity.strip() and not price.strip():
            continue  # an empty row the user did not fill in
        lines.append({"product": product or None, "quantity": quantity, "unit_price": price})
    return lines


def _rows_with_products(lines: list[dict]) -> list[dict]:
    """The posted lines again, each with its product, so the form shows what was picked."""
    pks = {as_id(line.get("product")) for line in lines} - {None}
    products = {p.pk: p for p in Product.objects.filter(pk__in=pks)}
    return [{**line, "product_obj": products.get(as_id(line.get("product")) or 0)} for line in lines]


@login_required
def order_new(request: AuthenticatedRequest) -> HttpResponse:
    if not can_enter_orders(request.user):
        raise PermissionDenied
    raw_customer = request.POST.get("customer") or request.GET.get("customer")
    customer = None
    if raw_customer:
        # 404 for someone else's customer, and for anything that is not a customer's id
        customer = customer_get(user=request.user, pk=as_id(raw_customer) or 0)
    # A customer without credit terms buys for cash unless the rep says otherwise.
    initial = {"order_date": timezone.localdate(),
               "payment_method": PaymentMethod.CREDIT if customer and customer.payment_terms_days else PaymentMethod.CASH}
    form = OrderHeaderForm(request.POST or None, initial=initial)
    lines = _lines_from_post(request) if request.method == "POST" else []
    line_errors: list[str] = []
    if request.method == "POST" and customer and form.is_valid():
        try:
            order = services.order_create(
                user=request.user, customer=customer, lines=lines,
                order_date=form.cleaned_data["order_date"],
                payment_method=form.cleaned_data["payment_method"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"lines": exc.messages}
            line_errors = errors.pop("lines", [])
            if errors:
                apply_errors(form, ValidationError(errors))
        else:
            if request.POST.get("confirm"):
                try:
                    order = services.order_confirm(user=request.user, order=order)
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                else:
                    if order.status == OrderStatus.HELD:
                        messages.error(request, _("Order %(n)s is held by the credit check; see why below.") % {"n": order.number})
                    else:
                        messages.success(request, _("Order %(n)s confirmed.") % {"n": order.number})
            else:
                messages.success(request, _("Order %(n)s saved as a draft.") % {"n": order.number})
            return redirect("ledger:order_detail", pk=order.pk)
    rows = _rows_with_products(lines) if lines else [{}] * 3
    return render(request, "ledger/order_form.html", {
        "customer": customer, "form": form, "rows": rows, "line_errors": line_errors, "nav": "orders",
        "panels": panels.render_panels(request, panels.ORDER_FORM, customer) if customer else [],
    })


@login_required
def order_line_row(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "ledger/partials/line_row.html", {"row": {}})


PICK_LIMIT = 20


@login_required
def product_pick(request: AuthenticatedRequest) -> HttpResponse:
    """The order form's product search: active products by code, name or grade (everyone reads the catalogue)."""
    q = request.GET.get("product_q", "")[:60]
    products = list(selectors.product_list(q=q, active=True)[:PICK_LIMIT + 1])
    return render(request, "ledger/partials/product_results.html", {
        "products": products[:PICK_LIMIT], "more": len(products) > PICK_LIMIT, "q": q})


@login_required
def order_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(user=request.user, pk=pk)
    lines = order.lines.select_related("product")
    actions: list[tuple[str, str]] = []
    if can_enter_orders(request.user):
        by_status: dict[str, list[tuple[str, str]]] = {
            OrderStatus.DRAFT: [("confirm", _("Confirm")), ("cancel", _("Cancel order"))],
            OrderStatus.HELD: [("confirm", _("Check credit again")), ("cancel", _("Cancel order"))],
            OrderStatus.CONFIRMED: [("deliver", _("Mark delivered")), ("cancel", _("Cancel order"))],
            OrderStatus.DELIVERED: [("invoice", _("Mark invoiced"))],
        }
        actions = by_status.get(order.status, [])
    receivable = getattr(order, "receivable", None) if order.status in (OrderStatus.INVOICED, OrderStatus.PAID) else None
    return render(request, "ledger/order_detail.html", {
        "order": order, "lines": lines, "actions": actions, "receivable": receivable, "nav": "orders",
        "panels": panels.render_panels(request, panels.ORDER_DETAIL, order),
    })


ACTIONS: dict[str, Callable[..., Order]] = {
    "confirm": services.order_confirm,
    "deliver": services.order_deliver,
    "invoice": services.order_invoice,
    "cancel": services.order_cancel,
}


@login_required
@require_POST
def order_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    order = selectors.order_get(user=request.user, pk=pk)
    if action not in ACTIONS:
        raise Http404
    try:
        ACTIONS[action](user=request.user, order=order)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Order %(n)s is now %(status)s.") % {
            "n": order.number, "status": selectors.order_get(user=request.user, pk=pk).get_status_display()})
    return redirect("ledger:order_detail", pk=pk)


@login_required
def payment_new(request: AuthenticatedRequest, customer_pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=customer_pk)
    if not can_record_payments(request.user):
        raise PermissionDenied
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.payment_record(
                user=request.user, customer=customer, amount=form.cleaned_data["amount"],
                received_on=form.cleaned_data["received_on"], channel=form.cleaned_data["channel"],
                reference=form.cleaned_data["reference"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Payment of ¥%(amount)s recorded.") % {"amount": f"{payment.amount:,.2f}"})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "ledger/payment_form.html", {"form": form, "customer": customer, "nav": "orders"})
