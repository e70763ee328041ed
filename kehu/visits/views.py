import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import Role, User
from kehu.accounts.permissions import can_manage_organisation
from kehu.accounts.requests import AuthenticatedRequest
from kehu.core.dates import parse_day
from kehu.core.forms import apply_errors
from kehu.core.models import Job
from kehu.core.queries import as_id, get_or_404
from kehu.core.uploads import MAX_PHOTO_BYTES
from kehu.customers.selectors import customer_visible

from . import selectors, services
from .forms import (
    ChecklistForm,
    CommentForm,
    DecisionForm,
    EntryAddForm,
    GenerateForm,
    MoveForm,
    PolicyForm,
    VisitLogForm,
)
from .mapcrs import display_point
from .models import CadencePolicy, DayRoute, EntryStatus, PlanKind, PlanStatus, VisitPhoto
from .workdays import week_bounds


def _date(value: str | None) -> datetime.date:
    """The day a query string or form names; today when it names none Kehu plans for."""
    return parse_day(value) or timezone.localdate()


def _person(request: AuthenticatedRequest, key: str = "rep") -> User:
    """The person whose day or map this is: oneself, or someone whose work the viewer sees."""
    pk = request.GET.get(key) or request.POST.get(key)
    if not pk:
        return request.user
    return get_or_404(selectors.team_of(request.user), pk)


def _route_rows(route: DayRoute | None, entries: dict[str, object]) -> list[dict]:
    if not route:
        return []
    rows = []
    for stop in route.plan.get("route", []):
        entry = entries.get(str(stop["id"]))
        if entry is not None:
            rows.append({"entry": entry, "arrival": _hm(stop["arrival"]), "start": _hm(stop["start"]),
                         "end": _hm(stop["end"])})
    return rows


def _hm(minutes) -> str:
    minutes = int(minutes)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _map_context(person: User, date: datetime.date, entries: list, route: DayRoute | None) -> dict:
    """The day's stops and route as display points for the map script."""
    base = services.rep_base_point(person, [e.customer for e in entries])
    order = {str(s["id"]): i for i, s in enumerate(route.plan.get("route", []), start=1)} if route else {}
    stops = []
    for e in entries:
        if e.customer.lat is None or e.customer.lng is None:
            continue
        lat, lng = display_point(float(e.customer.lat), float(e.customer.lng))
        stops.append({"lat": lat, "lng": lng, "name": e.customer.short_name or e.customer.name,
                      "grade": e.grade or "C", "n": order.get(str(e.pk)), "approx": e.customer.location_approximate,
                      "skipped": e.status == EntryStatus.SKIPPED})
    blat, blng = display_point(*base)
    line = [[blat, blng]] + [[s["lat"], s["lng"]] for s in sorted((s for s in stops if s["n"]), key=lambda s: s["n"])]
    return {"base": [blat, blng], "points": stops, "line": line + [[blat, blng]] if len(line) > 1 else []}


def map_settings() -> dict:
    return {"tiles": settings.KEHU_MAP_TILES, "attribution": settings.KEHU_MAP_ATTRIBUTION,
            "subdomains": settings.KEHU_MAP_SUBDOMAINS}


@login_required
def day(request: AuthenticatedRequest) -> HttpResponse:
    """A person's day: the checklist (F1), the route, the visits to check in to and log."""
    date = _date(request.GET.get("date"))
    person = _person(request)
    own = person.pk == request.user.pk
    entries = list(services.day_entries(rep=person, date=date))
    start = services.day_start_get(rep=person, date=date)
    route = DayRoute.objects.filter(rep=person, date=date).first()
    by_id = {str(e.pk): e for e in entries}
    routed = _route_rows(route, by_id)
    routed_ids = {row["entry"].pk for row in routed}
    context = {
        "nav": "visits", "date": date, "person": person, "own": own, "start": start,
        "checklist": ChecklistForm(), "entries": entries, "routed": routed,
        "unrouted": [e for e in entries if e.pk not in routed_ids and e.status != EntryStatus.SKIPPED],
        "skipped": [e for e in entries if e.status == EntryStatus.SKIPPED],
        "route": route, "move_form": MoveForm(initial={"date": date + datetime.timedelta(days=1)}),
        "map": _map_context(person, date, entries, route), "map_settings": map_settings(),
        "team_starts": selectors.day_starts_visible(user=request.user, date=date).exclude(rep=request.user)
        if request.user.role in {Role.SUPERVISOR, Role.SENIOR, Role.ADMIN} or request.user.is_superuser else None,
        "overdue": selectors.overdue_a(user=request.user if not own else person)[:20],
        "prev": date - datetime.timedelta(days=1), "next": date + datetime.timedelta(days=1),
    }
    return render(request, "visits/day.html", context)


@login_required
@require_POST
def day_start(request: AuthenticatedRequest) -> HttpResponse:
    date = _date(request.POST.get("date"))
    form = ChecklistForm(request.POST)
    if form.is_valid():
        try:
            services.day_start(user=request.user, date=date, ticked=form.ticked(),
                               reason=form.cleaned_data["skip_reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your day has started."))
            return redirect(f"{reverse('visits:day')}?date={date.isoformat()}")
    entries = list(services.day_entries(rep=request.user, date=date))
    return render(request, "visits/day.html", {
        "nav": "visits", "date": date, "person": request.user, "own": True, "checklist": form,
        "start": services.day_start_get(rep=request.user, date=date), "entries": entries, "routed": [],
        "unrouted": entries, "skipped": [], "map": {}, "map_settings": map_settings(),
        "prev": date - datetime.timedelta(days=1), "next": date + datetime.timedelta(days=1)}, status=400)


@login_required
@require_POST
def day_route(request: AuthenticatedRequest) -> HttpResponse:
    date = _date(request.POST.get("date"))
    route = services.day_route_compute(user=request.user, date=date)
    skipped = len(route.plan.get("skipped", []))
    if skipped:
        messages.warning(request, _("%(n)d visits do not fit this day: see below and move them to another day.") % {"n": skipped})
    else:
        messages.success(request, _("The route is planned."))
    return redirect(f"{reverse('visits:day')}?date={date.isoformat()}")


@login_required
@require_POST
def entry_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    entry = get_or_404(selectors.entry_visible(user=request.user), pk)
    form = MoveForm(request.POST)
    back = f"{reverse('visits:day')}?date={entry.date.isoformat()}"
    if not form.is_valid():
        messages.error(request, _("Choose a day."))
        return redirect(back)
    try:
        services.plan_entry_move(user=request.user, entry=entry, date=form.cleaned_data["date"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(customer)s moved to %(date)s.") % {
            "customer": entry.customer.name, "date": form.cleaned_data["date"].isoformat()})
    return redirect(request.POST.get("next", "") if request.POST.get("next", "").startswith("/visits/") else back)


@login_required
@require_POST
def entry_check_in(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    entry = get_or_404(selectors.entry_visible(user=request.user), pk)
    try:
        visit = services.visit_check_in(user=request.user, entry=entry, lat=request.POST.get("lat"),
                                        lng=request.POST.get("lng"), accuracy=request.POST.get("accuracy"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('visits:day')}?date={entry.date.isoformat()}")
    if visit.far:
        messages.warning(request, _("You checked in %(m)d m from the customer's address.") % {"m": visit.distance_m})
    return redirect("visits:visit_detail", pk=visit.pk)


@login_required
def visit_list(request: AuthenticatedRequest) -> HttpResponse:
    visits = selectors.visit_visible(user=request.user).prefetch_related("comments")
    person = request.GET.get("rep")
    if person:
        number = as_id(person)
        visits = visits.filter(rep_id=number) if number else visits.none()
    return render(request, "visits/visit_list.html", {"nav": "visits", "visits": visits[:200]})


@login_required
def visit_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(user=request.user, pk=pk)
    own = visit.rep_id == request.user.pk
    form = VisitLogForm(request.POST or None, request.FILES or None, initial={
        "outcome": visit.outcome, "summary": visit.summary, "next_step": visit.next_step,
        "next_step_on": visit.next_step_on, "products": list(visit.products.all())}) if own else None
    if request.method == "POST":
        if not own:
            raise PermissionDenied
        assert form is not None  # the rep's own visit has its form
        too_big = [f.name for f in request.FILES.getlist("photos") if f.size > MAX_PHOTO_BYTES]  # type: ignore[operator]  # an upload has a size
        if too_big:  # refused before the file is read into memory
            form.add_error("photos", _("“%(name)s” is larger than 8 MB.") % {"name": too_big[0]})
        if form.is_valid():
            photos = [(f.name, f.content_type or "application/octet-stream", f.read())
                      for f in request.FILES.getlist("photos")]
            try:
                services.visit_log(user=request.user, visit=visit, outcome=form.cleaned_data["outcome"],
                                   summary=form.cleaned_data["summary"], next_step=form.cleaned_data["next_step"],
                                   next_step_on=form.cleaned_data["next_step_on"],
                                   products=form.cleaned_data["products"], photos=photos)  # type: ignore[arg-type]  # an upload has a name
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Visit logged."))
                entry_date = visit.entry.date if visit.entry_id else visit.checked_in_at.date()  # type: ignore[union-attr]  # entry_id is set
                return redirect(f"{reverse('visits:day')}?date={entry_date.isoformat()}")
    return render(request, "visits/visit_detail.html", {
        "nav": "visits", "visit": visit, "form": form, "own": own,
        "comment_form": CommentForm() if services.can_comment(request.user, visit) else None,
        "comments": visit.comments.select_related("author"), "photos": visit.photos.only("pk", "name", "size")},
        status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def visit_comment(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(user=request.user, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.visit_comment(user=request.user, visit=visit, text=form.cleaned_data["text"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Comment sent to %(rep)s.") % {"rep": visit.rep})
    else:
        messages.error(request, _("Write the comment."))
    return redirect("visits:visit_detail", pk=visit.pk)


@login_required
def visit_photo(request: AuthenticatedRequest, pk: int, photo_pk: int) -> HttpResponse:
    visit = selectors.visit_get(user=request.user, pk=pk)
    try:
        photo = VisitPhoto.objects.get(pk=photo_pk, visit=visit)
    except VisitPhoto.DoesNotExist:
        raise Http404 from None
    kind = services.photo_type(bytes(photo.data[:32]))  # by its bytes: also photos stored before they were checked
    response = HttpResponse(bytes(photo.data), content_type=kind or "application/octet-stream")
    # a photo is shown, never run: anything else (stored before photos were checked) is a download
    response["Content-Disposition"] = "inline" if kind else "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def plan_list(request: AuthenticatedRequest) -> HttpResponse:
    form = GenerateForm(request.POST or None, initial={"kind": PlanKind.WEEK, "day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_generate(user=request.user, rep=request.user, kind=form.cleaned_data["kind"],
                                          day=form.cleaned_data["day"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Plan generated from the cadence policy: %(n)d visits.") % {"n": plan.entries.count()})
            return redirect("visits:plan_detail", pk=plan.pk)
    plans = selectors.plan_visible(user=request.user)[:200]
    return render(request, "visits/plan_list.html", {
        "nav": "visits", "form": form, "plans": plans, "to_decide": selectors.plans_to_decide(user=request.user)},
        status=400 if request.method == "POST" else 200)


@login_required
def plan_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, pk=pk)
    own = plan.rep_id == request.user.pk
    entries = plan.entries.select_related("customer", "companion").order_by("date", "position", "id")
    if request.user.role == Role.SENIOR and not own:
        pass  # a senior manager sees the whole plan, their key-account visits marked
    days: dict[datetime.date, list] = {}
    for entry in entries:
        days.setdefault(entry.date, []).append(entry)
    add_form = None
    if own and plan.status in services.EDITABLE:
        add_form = EntryAddForm(customers=customer_visible(user=request.user).filter(owner=request.user),
                                initial={"date": plan.starts_on})
    return render(request, "visits/plan_detail.html", {
        "nav": "visits", "plan": plan, "days": sorted(days.items()), "own": own, "add_form": add_form,
        "editable": own and plan.status in services.EDITABLE, "can_decide": services.can_decide_plan(request.user, plan)
        and plan.status == PlanStatus.SUBMITTED, "decision_form": DecisionForm(),
        "grades": _grade_counts(entries), "unfit_notices": services.unfit_notices(entries)})


def _grade_counts(entries) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.grade or "C"] = counts.get(e.grade or "C", 0) + 1
    return sorted(counts.items())


@login_required
@require_POST
def plan_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, pk=pk)
    try:
        if action == "submit":
            services.plan_submit(user=request.user, plan=plan)
            messages.success(request, _("Plan submitted to your supervisor."))
        elif action in {"approve", "return"}:
            form: DecisionForm | EntryAddForm = DecisionForm(request.POST)
            form.is_valid()
            services.plan_decide(user=request.user, plan=plan, approve=action == "approve",
                                 note=form.cleaned_data.get("note", ""))
            messages.success(request, _("Plan approved.") if action == "approve" else _("Plan returned to the rep."))
        elif action == "add":
            form = EntryAddForm(request.POST, customers=customer_visible(user=request.user).filter(owner=plan.rep))
            if not form.is_valid():
                messages.error(request, _("Choose a customer and a day."))
            else:
                services.plan_entry_add(user=request.user, plan=plan, customer=form.cleaned_data["customer"],
                                        date=form.cleaned_data["date"], goal=form.cleaned_data["goal"])
        elif action == "remove":
            entry = get_or_404(plan.entries.all(), request.POST.get("entry"))
            services.plan_entry_remove(user=request.user, entry=entry)
        elif action == "regenerate":
            services.plan_generate(user=request.user, rep=plan.rep, kind=plan.kind, day=plan.starts_on)
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("visits:plan_detail", pk=plan.pk)


@login_required
def sales_map(request: AuthenticatedRequest) -> HttpResponse:
    people = selectors.team_of(request.user)
    rep = _person(request) if request.GET.get("rep") else (request.user if request.user.role == Role.REP else None)
    grade = request.GET.get("grade", "")
    due = request.GET.get("due") == "1"
    date = _date(request.GET.get("date"))
    points = selectors.map_points(user=request.user, rep=rep, grade=grade, due=due)
    for p in points:
        p["lat"], p["lng"] = display_point(p["lat"], p["lng"])
    route = None
    if rep is not None:
        entries = list(services.day_entries(rep=rep, date=date))
        route = _map_context(rep, date, entries, DayRoute.objects.filter(rep=rep, date=date).first())
    return render(request, "visits/map.html", {
        "nav": "map", "people": people, "grade_choices": [("A", "A"), ("B", "B"), ("C", "C"), ("P", _("Prospects"))], "rep": rep, "grade": grade, "due": due, "date": date,
        "points": points, "route": route or {}, "map_settings": map_settings(),
        "approximate": sum(1 for p in points if p["approx"]),
        "missing": selectors.customers_without_location(user=request.user, rep=rep), **_geocoding(request)})


def _geocoding(request: AuthenticatedRequest) -> dict:
    """For an administrator with a geocoder configured: how many customers it can place, and the
    geocoding job asked for in ``?job=``."""
    from kehu.core.geocode import GeocoderNotConfigured, config_from_settings, provider_name
    from kehu.customers.geocoding import geocode_candidates

    user = request.user
    if not can_manage_organisation(user):
        return {}
    try:
        config = config_from_settings()
    except GeocoderNotConfigured as exc:  # its text names the setting, never the URL or the key
        return {"geocoder_error": str(exc)}
    job = None
    number = as_id(request.GET.get("job"))
    if number:
        job = _geocode_jobs(user).filter(pk=number).first()
    return {"geocoder": provider_name(config.provider) if config else "", "to_geocode": geocode_candidates().count() if config else 0,
            "geocode_job": job}


def _geocode_jobs(user: User) -> QuerySet[Job]:
    from kehu.customers.tasks import JOB_KIND

    return Job.objects.filter(user=user, kind=JOB_KIND)


@login_required
@require_POST
def geocode(request: AuthenticatedRequest) -> HttpResponse:
    """Start placing customers at their addresses with the configured geocoder, in the worker; one
    run at a time (a second one would ask the service the same addresses again)."""
    from kehu.core import jobs
    from kehu.core.geocode import GeocoderNotConfigured, config_from_settings
    from kehu.core.models import JobStatus
    from kehu.customers.geocoding import everyone_run
    from kehu.customers.tasks import JOB_KIND
    from kehu.customers.tasks import geocode as geocode_task

    user = request.user
    if not can_manage_organisation(user):
        raise PermissionDenied(_("Administrators start geocoding."))
    try:
        config = config_from_settings()
    except GeocoderNotConfigured as exc:
        messages.error(request, str(exc))
        return redirect("visits:map")
    if config is None:
        messages.error(request, _("No geocoding service is configured (KEHU_GEOCODER)."))
        return redirect("visits:map")
    jobs.sweep()  # a run whose worker died is no longer running
    # A run for every candidate already waiting or going makes a second one pointless; the short runs
    # that saves queue do not block this one: it waits its turn in the worker (customers.tasks).
    running = next((job for job in Job.objects.filter(kind=JOB_KIND, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
                    .select_related("user").order_by("pk") if everyone_run(job)), None)
    if running is not None:
        if running.user_id == user.pk:
            messages.error(request, _("Locating by address is already running; its progress is shown below."))
            return redirect(f"{reverse('visits:map')}?job={running.pk}")
        when = timezone.localtime(running.created_at).strftime("%H:%M")
        if running.user is None:  # the daily run, or its starter has been deleted
            messages.error(request, _("Locating by address is already running, started at %(time)s; "
                                      "try again when it has finished.") % {"time": when})
        else:
            messages.error(request, _("Locating by address is already running, started by %(name)s at %(time)s; "
                                      "try again when it has finished.") % {"name": str(running.user), "time": when})
        return redirect("visits:map")
    job = jobs.start(kind=JOB_KIND, user=user, task=geocode_task)
    return redirect(f"{reverse('visits:map')}?job={job.pk}")


@login_required
def geocode_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The geocoding job on the map (visits/partials/geocode_job.html), polled while it runs."""
    from kehu.core import jobs

    user = request.user
    if not can_manage_organisation(user):
        raise PermissionDenied(_("Administrators start geocoding."))
    job = _geocode_jobs(user).filter(pk=pk).first()
    if job is None:
        raise Http404
    if job.running and jobs.sweep(ids=[job.pk]):
        job.refresh_from_db()
    return render(request, "visits/partials/geocode_job.html", {"job": job})


@login_required
def day_sheet(request: AuthenticatedRequest) -> HttpResponse:
    """The day sheet as a PDF: the route, a map, and each customer's card."""
    from .pdf import day_sheet_pdf

    date = _date(request.GET.get("date"))
    person = _person(request)
    pdf = day_sheet_pdf(viewer=request.user, person=person, date=date)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="day-sheet-{person.username}-{date.isoformat()}.pdf"'
    return response


@login_required
def adherence(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    today = timezone.localdate()
    end = _date(request.GET.get("to")) if request.GET.get("to") else today
    start = _date(request.GET.get("from")) if request.GET.get("from") else week_bounds(end)[0] - datetime.timedelta(weeks=3)
    if start > end:
        start, end = end, start
    start = max(start, end - datetime.timedelta(days=366))
    rows = selectors.adherence(user=request.user, start=start, end=end)
    if request.GET.get("format") in {"xlsx", "csv"}:
        from kehu.core.xlsx import export_response

        header = [_("rep"), _("week of"), _("ABC grade"), _("planned"), _("done"), "%"]
        return export_response(request.GET["format"], "adherence", str(_("Adherence")), [str(h) for h in header],
                               [[str(r["rep"]), r["week"], r["grade"], r["planned"], r["done"], r["pct"]] for r in rows])
    return render(request, "visits/adherence.html", {
        "nav": "visits", "rows": rows, "start": start, "end": end,
        "overdue": selectors.overdue_a(user=request.user, today=today)})


@login_required
def policy(request: AuthenticatedRequest) -> HttpResponse:
    is_admin = request.user.is_superuser or request.user.role == Role.ADMIN
    current = services.policy_current()
    form = PolicyForm(request.POST or None, instance=CadencePolicy(**{f: getattr(current, f) for f in services.POLICY_FIELDS}))
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.policy_update(user=request.user, data={f: form.cleaned_data[f] for f in services.POLICY_FIELDS})
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The visit cadence policy is changed; the old one is kept in its history."))
                return redirect("visits:policy")
    return render(request, "visits/policy.html", {
        "nav": "visits", "form": form if is_admin else None, "current": current,
        "history": CadencePolicy.objects.select_related("created_by")[:50],
        "morning_capacity": services.morning_capacity(current)},
        status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def opening_hours(request: AuthenticatedRequest, customer_pk: int) -> HttpResponse:
    from kehu.customers.selectors import customer_get

    customer = customer_get(user=request.user, pk=customer_pk)
    try:
        services.opening_hours_set(user=request.user, customer=customer, windows=request.POST.get("windows", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Opening hours saved."))
    return redirect(f"{reverse('customers:detail', args=[customer.pk])}#visits")
