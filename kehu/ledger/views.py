from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.permissions import can_enter_orders, can_record_payments
from kehu.core.forms import apply_errors
from kehu.core.xlsx import FORMATS, export_response
from kehu.customers.selectors import customer_get

from . import selectors, services
from .forms import OrderFilterForm, OrderHeaderForm, PaymentForm
from .models import Order, OrderLine, OrderStatus, PaymentMethod, Product


def _orders(request: HttpRequest):
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
def order_list(request: HttpRequest) -> HttpResponse:
    form, qs, customer = _orders(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "ledger/order_list.html", {
        "form": form, "page": page, "customer": customer, "query": query.urlencode(), "nav": "orders",
    })


def export_header() -> list[str]:
    """The order list's export, one row per order line so that it imports again as it is: the
    fields' names in the active language, as the importer reads them."""
    def title(name: str, model: type = Order) -> str:
        return str(model._meta.get_field(name).verbose_name)

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
def order_export(request: HttpRequest, fmt: str = "csv") -> HttpResponse | StreamingHttpResponse | FileResponse:
    """The orders the list shows (filters and visibility), every page and every line, as CSV or xlsx."""
    if fmt not in FORMATS:
        raise Http404
    _form, qs, _customer = _orders(request)
    return export_response(fmt, "orders", _("Orders"), export_header(), export_rows(qs))


def _lines_from_post(request: HttpRequest) -> list[dict]:
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


def _products():
    return list(Product.objects.filter(active=True).order_by("category", "code"))


@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    if not can_enter_orders(request.user):
        raise PermissionDenied
    raw_customer = request.POST.get("customer") or request.GET.get("customer")
    customer = None
    if raw_customer:
        customer = customer_get(user=request.user, pk=raw_customer)  # 404 for someone else's customer
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
    rows = lines or [{}] * 3
    return render(request, "ledger/order_form.html", {
        "customer": customer, "form": form, "rows": rows, "products": _products(),
        "line_errors": line_errors, "nav": "orders",
    })


@login_required
def order_line_row(request: HttpRequest) -> HttpResponse:
    return render(request, "ledger/partials/line_row.html", {"row": {}, "products": _products()})


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(user=request.user, pk=pk)
    lines = order.lines.select_related("product")
    actions = []
    if can_enter_orders(request.user):
        actions = {
            OrderStatus.DRAFT: [("confirm", _("Confirm")), ("cancel", _("Cancel order"))],
            OrderStatus.HELD: [("confirm", _("Check credit again")), ("cancel", _("Cancel order"))],
            OrderStatus.CONFIRMED: [("deliver", _("Mark delivered")), ("cancel", _("Cancel order"))],
            OrderStatus.DELIVERED: [("invoice", _("Mark invoiced"))],
        }.get(order.status, [])
    receivable = getattr(order, "receivable", None) if order.status in (OrderStatus.INVOICED, OrderStatus.PAID) else None
    return render(request, "ledger/order_detail.html", {
        "order": order, "lines": lines, "actions": actions, "receivable": receivable, "nav": "orders",
    })


ACTIONS = {
    "confirm": services.order_confirm,
    "deliver": services.order_deliver,
    "invoice": services.order_invoice,
    "cancel": services.order_cancel,
}


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
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
def payment_new(request: HttpRequest, customer_pk: int) -> HttpResponse:
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
