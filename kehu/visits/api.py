"""REST API for field work under /api/v1/visits/: plans and their approval, the day (checklist,
route), check-ins and visit logs with comments, adherence and the cadence policy.

Rows come from the selectors (someone else's plan or visit answers 404); every change goes through
one function of ``services.py``, which raises ValidationError (400) or PermissionDenied (403).
"""

import datetime

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from kehu.accounts.api import AuthenticatedApiRequest
from kehu.core.api import named_choice_field
from kehu.core.dates import validate_day
from kehu.core.queries import get_or_404
from kehu.customers.api import VisibleCustomerField
from kehu.ledger.models import Product

from . import selectors, services
from .models import (
    CadencePolicy,
    DayStart,
    EntryKind,
    EntryStatus,
    Outcome,
    Plan,
    PlanEntry,
    PlanKind,
    PlanStatus,
    Slot,
    Visit,
)
from .workdays import week_bounds

_named_choices = named_choice_field


PlanKindField = _named_choices(PlanKind, "VisitPlanKind")
PlanStatusField = _named_choices(PlanStatus, "VisitPlanStatus")
EntryStatusField = _named_choices(EntryStatus, "VisitEntryStatus")
EntryKindField = _named_choices(EntryKind, "VisitEntryKind")
SlotField = _named_choices(Slot, "VisitSlot")
OutcomeField = _named_choices(Outcome, "VisitOutcome", blank=True)


class EntrySerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    rep = serializers.IntegerField(source="plan.rep_id", read_only=True)
    status = EntryStatusField(read_only=True)
    kind = EntryKindField(read_only=True)
    slot = SlotField(read_only=True)

    class Meta:
        model = PlanEntry
        fields = ["id", "plan", "rep", "customer", "customer_code", "customer_name", "date", "slot", "kind", "grade",
                  "area", "position", "minutes", "goal", "companion", "status", "skip_reason", "unfit"]
        read_only_fields = fields


class VisitPlanSerializer(serializers.ModelSerializer):
    rep_name: serializers.StringRelatedField = serializers.StringRelatedField(source="rep", read_only=True)
    kind = PlanKindField(read_only=True)
    status = PlanStatusField(read_only=True)
    entries = serializers.SerializerMethodField()

    class Meta:
        model = Plan
        fields = ["id", "rep", "rep_name", "kind", "starts_on", "ends_on", "status", "submitted_at", "decided_by",
                  "decided_at", "decision_note", "calendar_notice", "entries"]
        read_only_fields = fields

    @extend_schema_field(EntrySerializer(many=True))
    def get_entries(self, plan: Plan) -> list:
        if not self.context.get("with_entries"):
            return []
        return EntrySerializer(plan.entries.select_related("customer", "plan").order_by("date", "position", "id"),  # type: ignore[return-value]  # many=True: a list
                               many=True).data


class GenerateSerializer(serializers.Serializer):
    kind = PlanKindField()
    day = serializers.DateField(help_text=_("Any day of the month or week to plan."), validators=[validate_day])


class VisitPlanDecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300,
                                 help_text=_("Required when returning a plan."))


class PlanFilterSerializer(serializers.Serializer):
    to_decide = serializers.BooleanField(required=False, default=False,
                                         help_text=_("Only the plans waiting for your approval."))


@extend_schema_view(
    list=extend_schema(summary=_("List the visit plans you may see"), parameters=[PlanFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a visit plan with its visits")),
    create=extend_schema(summary=_("Generate your monthly or weekly plan from the cadence policy"),
                         request=GenerateSerializer, responses={201: VisitPlanSerializer}),
)
class PlanViewSet(viewsets.GenericViewSet):
    serializer_class = VisitPlanSerializer
    queryset = Plan.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = PlanFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = (selectors.plans_to_decide(user=request.user) if params.validated_data.get("to_decide")
              else selectors.plan_visible(user=request.user))
        page = self.paginate_queryset(qs.order_by("-starts_on", "id"))
        return self.get_paginated_response(VisitPlanSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        plan = selectors.plan_get(user=request.user, pk=pk)
        return Response(VisitPlanSerializer(plan, context={"with_entries": True}).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = GenerateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        plan = services.plan_generate(user=request.user, rep=request.user, **form.validated_data)
        return Response(VisitPlanSerializer(plan, context={"with_entries": True}).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Submit your plan to your supervisor"), request=None, responses=VisitPlanSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        plan = services.plan_submit(user=request.user, plan=selectors.plan_get(user=request.user, pk=pk))
        return Response(VisitPlanSerializer(plan).data)

    @extend_schema(summary=_("Approve or return a plan (the rep's supervisor; never the rep)"),
                   request=VisitPlanDecideSerializer, responses=VisitPlanSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        form = VisitPlanDecideSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        plan = services.plan_decide(user=request.user, plan=selectors.plan_get(user=request.user, pk=pk),
                                    **form.validated_data)
        return Response(VisitPlanSerializer(plan).data)


class MoveSerializer(serializers.Serializer):
    date = serializers.DateField(validators=[validate_day])


class EntryFilterSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, validators=[validate_day])


@extend_schema_view(
    list=extend_schema(summary=_("List planned visits you may see"), parameters=[EntryFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a planned visit")),
)
class EntryViewSet(viewsets.GenericViewSet):
    serializer_class = EntrySerializer
    queryset = PlanEntry.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = EntryFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = selectors.entry_visible(user=request.user)
        if params.validated_data.get("date"):
            qs = qs.filter(date=params.validated_data["date"])
        page = self.paginate_queryset(qs.order_by("date", "position", "id"))
        return self.get_paginated_response(EntrySerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(EntrySerializer(get_or_404(selectors.entry_visible(user=request.user), pk)).data)

    @extend_schema(summary=_("Move a planned visit to another day"), request=MoveSerializer, responses=EntrySerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        form = MoveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        entry = services.plan_entry_move(user=request.user, entry=get_or_404(selectors.entry_visible(user=request.user), pk),
                                         date=form.validated_data["date"])
        return Response(EntrySerializer(entry).data)


class VisitSerializer(serializers.ModelSerializer):
    rep_name: serializers.StringRelatedField = serializers.StringRelatedField(source="rep", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    outcome = OutcomeField(read_only=True)
    comments = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = ["id", "rep", "rep_name", "customer", "customer_name", "entry", "checked_in_at", "lat", "lng",
                  "accuracy_m", "distance_m", "far", "outcome", "summary", "next_step", "next_step_on", "products",
                  "logged_at", "comments"]
        read_only_fields = fields

    @extend_schema_field({"type": "array", "items": {"type": "object", "properties": {
        "author": {"type": "string"}, "text": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}}})
    def get_comments(self, visit: Visit) -> list:
        return [{"author": str(c.author), "text": c.text, "created_at": c.created_at} for c in visit.comments.all()]


class CheckInSerializer(serializers.Serializer):
    entry = serializers.IntegerField(required=False, allow_null=True, help_text=_("The planned visit, if planned."))
    customer = VisibleCustomerField(required=False, allow_null=True, help_text=_("The customer, for an unplanned visit."))
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    accuracy = serializers.FloatField(required=False, allow_null=True, min_value=0)


class LogSerializer(serializers.Serializer):
    outcome = _named_choices(Outcome, "VisitOutcomeChoice")()
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    next_step = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    next_step_on = serializers.DateField(required=False, allow_null=True, default=None, validators=[validate_day])
    products = serializers.PrimaryKeyRelatedField(many=True, required=False, default=list,
                                                  queryset=Product.objects.all())


class CommentSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


@extend_schema_view(
    list=extend_schema(summary=_("List the visit logs you may see")),
    retrieve=extend_schema(summary=_("Open a visit log")),
    create=extend_schema(summary=_("Check in at a customer (time and the phone's location)"),
                         request=CheckInSerializer, responses={201: VisitSerializer}),
)
class VisitViewSet(viewsets.GenericViewSet):
    serializer_class = VisitSerializer
    queryset = Visit.objects.none()

    def _qs(self, request):
        return selectors.visit_visible(user=request.user).prefetch_related("comments__author", "products")

    def list(self, request: AuthenticatedApiRequest) -> Response:
        page = self.paginate_queryset(self._qs(request).order_by("-checked_in_at", "-id"))
        return self.get_paginated_response(VisitSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(VisitSerializer(get_or_404(self._qs(request), pk)).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = CheckInSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        entry = get_or_404(selectors.entry_visible(user=request.user), data["entry"]) if data.get("entry") else None
        visit = services.visit_check_in(user=request.user, entry=entry, customer=data.get("customer"),
                                        lat=data.get("lat"), lng=data.get("lng"), accuracy=data.get("accuracy"))
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Log the outcome of your visit; a next step with a date becomes a planned visit"),
                   request=LogSerializer, responses=VisitSerializer)
    @action(detail=True, methods=["post"])
    def log(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        form = LogSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        visit = services.visit_log(user=request.user, visit=get_or_404(self._qs(request), pk), **form.validated_data)
        return Response(VisitSerializer(get_or_404(self._qs(request), visit.pk)).data)

    @extend_schema(summary=_("Comment on a visit of your team (点评); the rep is notified"),
                   request=CommentSerializer, responses=VisitSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        form = CommentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        visit = get_or_404(self._qs(request), pk)
        services.visit_comment(user=request.user, visit=visit, text=form.validated_data["text"])
        return Response(VisitSerializer(get_or_404(self._qs(request), pk)).data)


class DayStartSerializer(serializers.Serializer):
    date = serializers.DateField(validators=[validate_day])
    ticked = serializers.ListField(child=serializers.ChoiceField(choices=DayStart.ITEMS), allow_empty=True,
                                   help_text=_("The checklist items ticked."))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300,
                                   help_text=_("Required when an item is not ticked."))


class DayStartView(APIView):
    @extend_schema(summary=_("Start your day with the pre-departure checklist (F1)"), request=DayStartSerializer,
                   responses={201: {"type": "object"}})
    def post(self, request: AuthenticatedApiRequest) -> Response:
        form = DayStartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        row = services.day_start(user=request.user, **form.validated_data)
        return Response({"date": row.date, "complete": row.complete, "skip_reason": row.skip_reason,
                         "started_at": row.started_at}, status=status.HTTP_201_CREATED)


class DayRouteSerializer(serializers.Serializer):
    date = serializers.DateField(validators=[validate_day])


class DayRouteView(APIView):
    @extend_schema(summary=_("Plan the route of your day; visits that do not fit are listed with reasons"),
                   request=DayRouteSerializer, responses={200: {"type": "object"}})
    def post(self, request: AuthenticatedApiRequest) -> Response:
        form = DayRouteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        route = services.day_route_compute(user=request.user, date=form.validated_data["date"])
        return Response(route.plan)


class AdherenceFilterSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, validators=[validate_day])
    end = serializers.DateField(required=False, validators=[validate_day])


class AdherenceView(APIView):
    @extend_schema(summary=_("Planned against done per rep, grade and week; A customers past cadence"),
                   parameters=[AdherenceFilterSerializer], responses={200: {"type": "object"}})
    def get(self, request: AuthenticatedApiRequest) -> Response:
        params = AdherenceFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        end = params.validated_data.get("end") or datetime.date.today()
        start = params.validated_data.get("start") or week_bounds(end)[0] - datetime.timedelta(weeks=3)
        if start > end or (end - start).days > 366:
            raise serializers.ValidationError({"start": [_("Choose at most a year, starting before it ends.")]})
        rows = selectors.adherence(user=request.user, start=start, end=end)
        overdue = selectors.overdue_a(user=request.user)
        return Response({
            "rows": [{"rep": r["rep"].pk, "rep_name": str(r["rep"]), "grade": r["grade"], "week": r["week"],
                      "planned": r["planned"], "done": r["done"]} for r in rows],
            "overdue_a": [{"customer": o["customer"].pk, "customer_name": o["customer"].name,
                           "last_visit": o["last"], "days": o["days"], "cadence_days": o["limit"]} for o in overdue],
        })


@extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "08:30"})
class ClockField(serializers.TimeField):
    """A time of day as HH:MM (local, no zone): what a working day's hours are."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class PolicySerializer(serializers.ModelSerializer):
    day_start = ClockField(required=False)
    day_end = ClockField(required=False)
    morning_end = ClockField(required=False)

    class Meta:
        model = CadencePolicy
        fields = ["id", *services.POLICY_FIELDS, "created_at", "created_by"]
        read_only_fields = ["id", "created_at", "created_by"]


@extend_schema_view(
    list=extend_schema(summary=_("The cadence policy's versions, the one in force first")),
    create=extend_schema(summary=_("Change the cadence policy (administrators); a new version is kept"),
                         request=PolicySerializer, responses={201: PolicySerializer}),
)
class PolicyViewSet(viewsets.GenericViewSet):
    serializer_class = PolicySerializer
    queryset = CadencePolicy.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        page = self.paginate_queryset(CadencePolicy.objects.order_by("-created_at", "-id"))
        return self.get_paginated_response(PolicySerializer(page, many=True).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = PolicySerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        policy = services.policy_update(user=request.user, data=form.validated_data)
        return Response(PolicySerializer(policy).data, status=status.HTTP_201_CREATED)


router = SimpleRouter(trailing_slash=False)
router.register("visits/plans", PlanViewSet, basename="api-visits-plan")
router.register("visits/entries", EntryViewSet, basename="api-visits-entry")
router.register("visits/logs", VisitViewSet, basename="api-visits-log")
router.register("visits/policies", PolicyViewSet, basename="api-visits-policy")

urlpatterns = [
    *router.urls,
    path("visits/day/start", DayStartView.as_view(), name="api-visits-day-start"),
    path("visits/day/route", DayRouteView.as_view(), name="api-visits-day-route"),
    path("visits/adherence", AdherenceView.as_view(), name="api-visits-adherence"),
]
