import datetime
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.permissions import can_edit_customer
from kehu.accounts.requests import AuthenticatedRequest
from kehu.core.forms import apply_errors
from kehu.core.lunar import next_occurrence
from kehu.core.xlsx import FORMATS, export_response

from . import card, selectors, services
from .forms import ContactForm, CustomerFilterForm, CustomerForm, NeedForm
from .models import Contact, Customer


def _filters(request: AuthenticatedRequest) -> tuple[CustomerFilterForm, selectors.CustomerFilters]:
    form = CustomerFilterForm(request.GET, user=request.user)
    form.is_valid()
    data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    filters = selectors.CustomerFilters(
        q=data.get("q") or "",
        owner=data["owner"].pk if data.get("owner") else None,
        team=data["team"].pk if data.get("team") else None,
        region=data["region"].pk if data.get("region") else None,
        industry=data["industry"].pk if data.get("industry") else None,
        lifecycle=data.get("lifecycle") or "",
        colour=data.get("colour") or "",
        grade=data.get("grade") or "",
        key_account=True if data.get("key") == "1" else None,
        ordering=data.get("ordering") or "code",
    )
    return form, filters


@login_required
def customer_list(request: AuthenticatedRequest) -> HttpResponse:
    form, filters = _filters(request)
    qs = selectors.customer_list(user=request.user, filters=filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "nav": "customers"}
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, "customers/partials/results.html", context)
    return render(request, "customers/list.html", context)


def export_columns() -> list[tuple[str, Callable[[Customer], object]]]:
    """The customer list's export: header (in the active language) and how to read each cell."""
    return [
        (_("customer code"), lambda c: c.code),
        (_("company name"), lambda c: c.name),
        (_("unified social credit code"), lambda c: c.uscc),
        (_("owner rep"), lambda c: str(c.owner)),
        (_("region"), lambda c: str(c.region or "")),
        (_("province"), lambda c: c.province),
        (_("city"), lambda c: c.city),
        (_("district"), lambda c: c.district),
        (_("address"), lambda c: c.address),
        (_("industry"), lambda c: str(c.industry or "")),
        (_("lifecycle"), lambda c: c.get_lifecycle_display()),
        (_("colour grade"), lambda c: c.get_colour_display()),
        (_("ABC grade"), lambda c: c.abc_grade),
        (_("key account"), lambda c: _("yes") if c.is_key_account else ""),
        (_("phone"), lambda c: c.phone),
        (_("payment terms (days)"), lambda c: c.payment_terms_days),
    ]


@login_required
def customer_export(request: AuthenticatedRequest, fmt: str = "csv") -> HttpResponse | StreamingHttpResponse | FileResponse:
    """What the user sees, filters and visibility included, as CSV (UTF-8 BOM) or xlsx."""
    if fmt not in FORMATS:
        raise Http404
    _form, filters = _filters(request)
    qs = selectors.customer_list(user=request.user, filters=filters)
    columns = export_columns()
    rows = ([read(c) for _title, read in columns] for c in qs.iterator(chunk_size=2000))
    return export_response(fmt, "customers", _("Customers"), [title for title, _read in columns], rows)


@login_required
def customer_pick(request: AuthenticatedRequest) -> HttpResponse:
    """Search-as-you-type for choosing a customer (order entry)."""
    filters = selectors.CustomerFilters(q=request.GET.get("q", "")[:100])
    customers = list(selectors.customer_list(user=request.user, filters=filters)[:10]) if filters.q else []
    return render(request, "customers/partials/pick.html", {"customers": customers})


@login_required
def customer_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, pk=pk)
    today = timezone.localdate()
    contacts = list(customer.contacts.all())
    for contact in contacts:
        contact.next_birthday = (  # type: ignore[attr-defined]  # for the template
            next_occurrence(today=today, month=contact.birthday_month, day=contact.birthday_day,
                            lunar=contact.birthday_lunar, leap=contact.birthday_leap)
            if contact.birthday_month and contact.birthday_day else None
        )
        contact.birthday_soon = bool(contact.next_birthday and contact.next_birthday - today <= datetime.timedelta(days=14))  # type: ignore[attr-defined]
    placed: dict[str, list] = {"figures": [], "actions": [], "body": []}
    for section in card.sections():
        html = mark_safe(render_to_string(
            section.template, {"customer": customer, **section.context(request, customer)}, request=request
        ))
        placed[section.placement].append({"key": section.key, "title": section.title, "html": html})
    return render(request, "customers/detail.html", {
        "customer": customer,
        "contacts": contacts,
        "needs": list(customer.needs.all()),
        "figures": placed["figures"],
        "actions": placed["actions"],
        "sections": placed["body"],
        "can_edit": can_edit_customer(request.user, customer),
        "nav": "customers",
    })


def _service_call(form, call):
    try:
        return call()
    except ValidationError as exc:
        apply_errors(form, exc)
        return None


@login_required
def customer_new(request: AuthenticatedRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        customer = _service_call(form, lambda: services.customer_create(user=request.user, data=form.cleaned_data))
        if customer:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "nav": "customers"})


@login_required
def customer_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, pk=pk)
    if not can_edit_customer(request.user, customer):
        raise PermissionDenied
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in form.cleaned_data}
        fresh = selectors.customer_get(user=request.user, pk=pk)
        saved = _service_call(form, lambda: services.customer_update(user=request.user, customer=fresh, data=data))
        if saved:
            messages.success(request, _("Saved."))
            return redirect("customers:detail", pk=pk)
    return render(request, "customers/form.html", {"form": form, "customer": customer, "nav": "customers"})


def _contact_of(request, pk: int, contact_pk: int) -> tuple:
    customer = selectors.customer_get(user=request.user, pk=pk)
    if not can_edit_customer(request.user, customer):
        raise PermissionDenied
    try:
        return customer, customer.contacts.get(pk=contact_pk)
    except Contact.DoesNotExist:
        raise Http404 from None


@login_required
def contact_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, pk=pk)
    if not can_edit_customer(request.user, customer):
        raise PermissionDenied
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _service_call(form, lambda: services.contact_create(user=request.user, customer=customer, data=form.cleaned_data)):
            messages.success(request, _("Contact added."))
            return redirect("customers:detail", pk=pk)
    return render(request, "customers/contact_form.html", {"form": form, "customer": customer, "nav": "customers"})


@login_required
def contact_edit(request: AuthenticatedRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer, contact = _contact_of(request, pk, contact_pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.fields}
        fresh = Contact.objects.get(pk=contact.pk)
        if _service_call(form, lambda: services.contact_update(user=request.user, contact=fresh, data=data)):
            messages.success(request, _("Saved."))
            return redirect("customers:detail", pk=pk)
    return render(request, "customers/contact_form.html", {"form": form, "customer": customer, "contact": contact, "nav": "customers"})


@login_required
@require_POST
def contact_remove(request: AuthenticatedRequest, pk: int, contact_pk: int) -> HttpResponse:
    _customer, contact = _contact_of(request, pk, contact_pk)
    services.contact_delete(user=request.user, contact=contact)
    messages.success(request, _("Contact removed."))
    return redirect("customers:detail", pk=pk)


@login_required
def need_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, pk=pk)
    if not can_edit_customer(request.user, customer):
        raise PermissionDenied
    form = NeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _service_call(form, lambda: services.need_save(user=request.user, customer=customer, data=form.cleaned_data)):
            messages.success(request, _("Need recorded."))
            return redirect("customers:detail", pk=pk)
    return render(request, "customers/need_form.html", {"form": form, "customer": customer, "nav": "customers"})
