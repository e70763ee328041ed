from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.accounts.models import Role, Team, User
from kehu.accounts.permissions import can_edit_customer
from kehu.accounts.requests import AuthenticatedRequest
from kehu.core.forms import apply_errors
from kehu.core.xlsx import FORMATS, export_response
from kehu.customers.models import SourceMethod
from kehu.customers.selectors import customer_get

from . import selectors, services
from .forms import (
    METHOD_FORMS,
    CampaignForm,
    ClippingForm,
    ColourForm,
    DecisionForm,
    ExhibitionForm,
    ExhibitionProspectForm,
    FormerContactForm,
    FunnelFilterForm,
    MemberUploadForm,
    ReviveForm,
)
from .models import CampaignMember, ColourLevel

# The handbook's working steps of each method (P1), shown as a checklist beside its form.
STEPS: dict[str, list[Promise]] = {
    SourceMethod.EXHIBITION: [
        gettext_lazy("Find the shows where your prospects exhibit, and go."),
        gettext_lazy("Before walking up to a booth, find out who supplies their oil now."),
        gettext_lazy("At the booth: the company, the person, a phone number; note the booth."),
        gettext_lazy("Collect their background: size, equipment, what they make."),
        gettext_lazy("File each prospect at once, one after another; Kehu checks it is nobody's yet."),
    ],
    SourceMethod.TARGET_INDUSTRY: [
        gettext_lazy("Choose an industry, and study its character, its people and its recent business climate."),
        gettext_lazy("Beware of sunset industries; note the talking points to avoid."),
        gettext_lazy("Get the industry's member list and import it from Excel."),
        gettext_lazy("Mark the most representative firms: approach them first."),
        gettext_lazy("Work through the list; each firm approached becomes your prospect."),
    ],
    SourceMethod.NEWS: [
        gettext_lazy("Read the classified ads and the company and people news."),
        gettext_lazy("Clip what signals a need: a management or job change, an ownership transfer, a new company, an expansion."),
        gettext_lazy("File the clipping with the prospect it points to."),
    ],
    SourceMethod.PREVIOUS_CUSTOMERS: [
        gettext_lazy("List the contacts of your former job."),
        gettext_lazy("Mark each: used to sell to you, a peer, or a buyer of your former products."),
        gettext_lazy("File the company behind each as your prospect."),
    ],
    SourceMethod.REFERRAL: [
        gettext_lazy("Note who referred the prospect, and thank them."),
        gettext_lazy("File the prospect; Kehu checks it is nobody's yet."),
    ],
    SourceMethod.INBOUND: [
        gettext_lazy("Note how the prospect found us (call, website, walk-in)."),
        gettext_lazy("File the prospect; Kehu checks it is nobody's yet."),
    ],
}


def _steps(method: str) -> list[str]:
    return [str(s) for s in STEPS.get(method, [])]


def _file(request: AuthenticatedRequest, form, call) -> Any:
    """Run a filing service; on a duplicate, keep the matches for the page to show with their owners."""
    try:
        return call()
    except services.DuplicateFound as exc:
        form.duplicates = exc.duplicates  # shown above the form with each owner and "ask for it"
    except ValidationError as exc:
        apply_errors(form, exc)
    return None


@login_required
def prospect_home(request: AuthenticatedRequest) -> HttpResponse:
    """The rep's prospecting page: pool against target (P2), prospects by colour, the methods."""
    q = request.GET.get("q", "")[:100]
    colour = request.GET.get("colour", "")
    given_up = request.GET.get("given_up") == "1"
    prospects = selectors.prospect_list(user=request.user, q=q, colour=colour, include_given_up=given_up)[:100]
    return render(request, "prospecting/home.html", {
        "counts": selectors.pool_counts(user=request.user),
        "reviews": selectors.reviews_due(user=request.user, today=timezone.localdate())[:50],
        "prospects": prospects, "q": q, "colour": colour, "given_up": given_up,
        "pool_size": selectors.shared_pool_list(user=request.user).count(),
        "pending": selectors.pending_handovers(user=request.user).count(),
        "methods": [(m, SourceMethod(m).label) for m in (SourceMethod.REFERRAL, SourceMethod.INBOUND)],
        "nav": "prospecting",
    })


# ── exhibitions ──────────────────────────────────────────────────────────────────────────────

@login_required
def exhibition_list(request: AuthenticatedRequest) -> HttpResponse:
    form = ExhibitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exhibition = services.exhibition_create(user=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("prospecting:exhibition", pk=exhibition.pk)
    return render(request, "prospecting/exhibitions.html", {
        "exhibitions": selectors.exhibition_list(user=request.user)[:100], "form": form,
        "steps": _steps(SourceMethod.EXHIBITION), "nav": "prospecting"})


@login_required
def exhibition_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Quick entry at the show: one prospect after another on a phone."""
    exhibition = selectors.exhibition_get(user=request.user, pk=pk)
    form = ExhibitionProspectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        customer = _file(request, form, lambda: services.prospect_file(
            user=request.user, method=SourceMethod.EXHIBITION, company=form.company(), contact=form.contact(),
            origin={"exhibition": exhibition, "booth": d["booth"], "supply": d["supply"], "background": d["background"]},
            different_company=d["different_company"]))
        if customer:
            messages.success(request, _("%(name)s filed as your prospect.") % {"name": customer.name})
            return redirect("prospecting:exhibition", pk=pk)
    return render(request, "prospecting/exhibition.html", {
        "exhibition": exhibition, "form": form, "duplicates": getattr(form, "duplicates", []),
        "filed": selectors.origin_prospects(user=request.user, exhibition=exhibition).order_by("-created_at")[:50],
        "steps": _steps(SourceMethod.EXHIBITION), "nav": "prospecting"})


# ── industry campaigns ───────────────────────────────────────────────────────────────────────

@login_required
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(user=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("prospecting:campaign", pk=campaign.pk)
    return render(request, "prospecting/campaigns.html", {
        "campaigns": selectors.campaign_list(user=request.user)[:100], "form": form,
        "steps": _steps(SourceMethod.TARGET_INDUSTRY), "nav": "prospecting"})


@login_required
def campaign_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    upload = MemberUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and upload.is_valid():
        try:
            file = upload.cleaned_data["file"]
            n = services.campaign_members_import(user=request.user, campaign=campaign, name=file.name,
                                                 content=file.read())
        except ValidationError as exc:
            apply_errors(upload, exc)
        else:
            messages.success(request, _("%(n)d member firms imported.") % {"n": n})
            return redirect("prospecting:campaign", pk=pk)
    members = campaign.members.select_related("customer__owner").order_by("-representative", "status", "id")
    return render(request, "prospecting/campaign.html", {
        "campaign": campaign, "members": members[:500], "upload": upload,
        "progress": round(100 * campaign.n_done / campaign.n_members) if campaign.n_members else 0,  # type: ignore[attr-defined]  # annotated by the selector
        "steps": _steps(SourceMethod.TARGET_INDUSTRY), "nav": "prospecting"})


def _member(request: AuthenticatedRequest, pk: int, member_pk: int) -> CampaignMember:
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    try:
        return campaign.members.get(pk=member_pk)
    except (CampaignMember.DoesNotExist, ValueError):
        raise Http404 from None


@login_required
@require_POST
def member_file(request: AuthenticatedRequest, pk: int, member_pk: int) -> HttpResponse:
    member = _member(request, pk, member_pk)
    try:
        customer = services.member_file(user=request.user, member=member,
                                        different_company=request.POST.get("different_company") == "1")
    except services.DuplicateFound as exc:
        messages.warning(request, " ".join(exc.messages))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("%(name)s filed as your prospect.") % {"name": customer.name})
    return redirect("prospecting:campaign", pk=pk)


@login_required
@require_POST
def member_representative(request: AuthenticatedRequest, pk: int, member_pk: int) -> HttpResponse:
    member = _member(request, pk, member_pk)
    try:
        services.member_mark_representative(user=request.user, member=member,
                                            representative=request.POST.get("representative") == "1")
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("prospecting:campaign", pk=pk)


# ── news, former contacts, referral and inbound ──────────────────────────────────────────────

@login_required
def clipping_new(request: AuthenticatedRequest) -> HttpResponse:
    form = ClippingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        customer = _file(request, form, lambda: services.clipping_file(
            user=request.user, data=d, company=form.company(), contact=form.contact(),
            different_company=d["different_company"]))
        if customer:
            messages.success(request, _("%(name)s filed as your prospect.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "prospecting/method_form.html", {
        "form": form, "duplicates": getattr(form, "duplicates", []), "title": SourceMethod.NEWS.label,
        "steps": _steps(SourceMethod.NEWS), "multipart": True, "nav": "prospecting",
        "recent": selectors.origin_prospects(user=request.user, method=SourceMethod.NEWS).order_by("-created_at")[:20]})


@login_required
def former_new(request: AuthenticatedRequest) -> HttpResponse:
    form = FormerContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        customer = _file(request, form, lambda: services.former_contact_file(
            user=request.user, data=d, company=form.company(), contact=form.contact(),
            different_company=d["different_company"]))
        if customer:
            messages.success(request, _("%(name)s filed as your prospect.") % {"name": customer.name})
            return redirect("prospecting:former")
    return render(request, "prospecting/method_form.html", {
        "form": form, "duplicates": getattr(form, "duplicates", []), "title": SourceMethod.PREVIOUS_CUSTOMERS.label,
        "steps": _steps(SourceMethod.PREVIOUS_CUSTOMERS), "nav": "prospecting",
        "former": selectors.former_contact_list(user=request.user).select_related("customer")[:100]})


@login_required
def method_new(request: AuthenticatedRequest, method: str) -> HttpResponse:
    if method not in METHOD_FORMS:
        raise Http404
    form = METHOD_FORMS[method](request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        customer = _file(request, form, lambda: services.prospect_file(
            user=request.user, method=method, company=form.company(), contact=form.contact(),
            origin={"referrer": d.get("referrer", ""), "background": d.get("background", "")},
            different_company=d["different_company"]))
        if customer:
            messages.success(request, _("%(name)s filed as your prospect.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "prospecting/method_form.html", {
        "form": form, "duplicates": getattr(form, "duplicates", []), "title": SourceMethod(method).label,
        "steps": _steps(method), "nav": "prospecting",
        "recent": selectors.origin_prospects(user=request.user, method=method).order_by("-created_at")[:20]})


# ── colour, decision, revival ────────────────────────────────────────────────────────────────

def _editable(request: AuthenticatedRequest, pk: int):
    customer = customer_get(user=request.user, pk=pk)
    if not can_edit_customer(request.user, customer):
        raise PermissionDenied
    return customer


@login_required
def colour_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = _editable(request, pk)
    levels = list(ColourLevel.objects.all())
    form = ColourForm(request.POST or None, levels=levels, initial={"colour": customer.colour, "sub": customer.colour_sub})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.colour_set(user=request.user, customer=customer, colour=d["colour"], sub=d["sub"], reason=d["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:detail", pk=pk)
    return render(request, "prospecting/small_form.html", {
        "form": form, "customer": customer, "title": _("Colour grade"), "nav": "prospecting"})


@login_required
def decision_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = _editable(request, pk)
    form = DecisionForm(request.POST or None, initial={"decision": customer.pursuit})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.decision_set(user=request.user, customer=customer, decision=d["decision"], reason=d["reason"],
                                  review_on=d["review_on"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:detail", pk=pk)
    return render(request, "prospecting/small_form.html", {
        "form": form, "customer": customer, "title": _("Pursuit decision"), "nav": "prospecting"})


@login_required
def revive(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = _editable(request, pk)
    form = ReviveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.prospect_revive(user=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Prospect revived."))
            return redirect("customers:detail", pk=pk)
    return render(request, "prospecting/small_form.html", {
        "form": form, "customer": customer, "title": _("Revive this prospect"), "nav": "prospecting"})


# ── the shared pool, handovers ───────────────────────────────────────────────────────────────

@login_required
def pool(request: AuthenticatedRequest) -> HttpResponse:
    entries = list(selectors.shared_pool_list(user=request.user)[:200])
    for entry in entries:
        entry.claimable = services.can_claim(request.user, entry)  # type: ignore[attr-defined]  # for the template
    policy = services.policy_get()
    return render(request, "prospecting/pool.html", {
        "entries": entries, "policy": policy, "claims": selectors.claims_of(user=request.user)[:20],
        "nav": "prospecting"})


@login_required
@require_POST
def pool_claim(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    entry = selectors.shared_pool_get(user=request.user, pk=pk)
    try:
        result = services.pool_claim(user=request.user, entry=entry)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s is now yours.") % {"name": result.customer.name})
        return redirect("customers:detail", pk=result.customer.pk)
    return redirect("prospecting:pool")


@login_required
@require_POST
def handover_ask(request: AuthenticatedRequest, customer_pk: int) -> HttpResponse:
    # The rep cannot see the other rep's customer, but the duplicate check showed it: ask by its key.
    from kehu.customers.models import Customer

    try:
        customer = Customer.objects.select_related("owner__team").get(pk=customer_pk)
    except (Customer.DoesNotExist, ValueError):
        raise Http404 from None
    try:
        services.handover_request(user=request.user, customer=customer, reason=request.POST.get("reason", ""))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Asked. %(owner)s and their supervisor have been told.") % {"owner": customer.owner})
    return redirect(request.POST.get("next") or "prospecting:home")


@login_required
def handovers(request: AuthenticatedRequest) -> HttpResponse:
    items = list(selectors.handover_inbox(user=request.user)[:200])
    for item in items:
        item.decidable = item.status == "pending" and services.can_decide_handover(request.user, item)  # type: ignore[attr-defined]  # for the template
    return render(request, "prospecting/requests.html", {"items": items, "nav": "prospecting"})


@login_required
@require_POST
def handover_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = selectors.handover_get(user=request.user, pk=pk)
    try:
        services.handover_decide(user=request.user, request=item, approve=request.POST.get("approve") == "1")
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("prospecting:requests")


# ── yield by method ──────────────────────────────────────────────────────────────────────────

def _funnel_scope(user: User) -> tuple[list[Team], list[User]]:
    if user.sees_all:
        return list(Team.objects.order_by("name")), list(User.objects.filter(role__in=[Role.REP, Role.SUPERVISOR]).order_by("username"))
    if user.role == Role.SUPERVISOR:
        return (list(Team.objects.filter(supervisor=user)),
                list(User.objects.filter(team__supervisor=user).order_by("username")))
    return [], []


def _funnel(request: AuthenticatedRequest):
    teams, reps = _funnel_scope(request.user)
    form = FunnelFilterForm(request.GET or None, teams=teams, reps=reps)
    d = form.cleaned_data if form.is_valid() else {}
    rows = selectors.funnel(user=request.user, by=d.get("by") or "method", team=d.get("team"), rep=d.get("rep"),
                            since=d.get("since"), until=d.get("until"))
    return form, rows


def funnel_columns() -> list[tuple[str, Any]]:
    return [
        (_("method or record"), lambda r: r.label),
        (_("prospects created"), lambda r: r.created),
        (_("reached yellow"), lambda r: r.yellow),
        (_("reached red"), lambda r: r.red),
        (_("conversion rate (%)"), lambda r: round(100 * r.conversion, 1)),
        (_("median days to close"), lambda r: r.median_days),
        (_("first-year sales (CNY)"), lambda r: r.first_year_sales),
        (_("cost of touches (CNY)"), lambda r: r.touch_cost),
    ]


@login_required
def funnel(request: AuthenticatedRequest) -> HttpResponse:
    form, rows = _funnel(request)
    widest = max((r.created for r in rows), default=0) or 1
    bars = [{"row": r, "created": 100 * r.created / widest, "yellow": 100 * r.yellow / widest,
             "red": 100 * r.red / widest} for r in rows]
    return render(request, "prospecting/funnel.html", {
        "form": form, "rows": rows, "bars": bars, "query": request.GET.urlencode(), "nav": "prospecting",
        "today": timezone.localdate()})


@login_required
def funnel_export(request: AuthenticatedRequest, fmt: str = "xlsx") -> StreamingHttpResponse:
    if fmt not in FORMATS:
        raise Http404
    _form, rows = _funnel(request)
    columns = funnel_columns()
    return export_response(fmt, "prospecting-yield", _("Yield by method"), [t for t, _r in columns],
                           ([read(r) for _t, read in columns] for r in rows))

