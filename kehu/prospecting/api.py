"""REST API for prospect development: the duplicate check, filing prospects from a method, colour and
decision, revival, the shared pool and its claims, the pool against target, yield by method.
Visibility is the selectors'; every change goes through ``services.py``."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from kehu.accounts.api import AuthenticatedApiRequest
from kehu.core.dates import validate_day
from kehu.customers.models import ColourGrade, PursuitDecision, SourceMethod
from kehu.customers.selectors import customer_get

from . import selectors, services
from .models import Exhibition


class DuplicateSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    owner_id = serializers.IntegerField()
    owner_name = serializers.CharField()
    lifecycle = serializers.CharField()
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=["uscc", "phone", "name"]))


class DuplicateQuerySerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    uscc = serializers.CharField(required=False, allow_blank=True, max_length=25, default="")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")


class DuplicateCheckView(APIView):
    @extend_schema(parameters=[DuplicateQuerySerializer], responses={200: DuplicateSerializer(many=True)},
                   summary="Customers that look like this company (same USCC, phone or folded name), with their owners")
    def get(self, request: AuthenticatedApiRequest) -> Response:
        from kehu.customers.duplicates import customer_duplicates

        q = DuplicateQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        d = q.validated_data
        found = customer_duplicates(name=d["name"], uscc=d["uscc"], phones=[d["phone"]])
        return Response(DuplicateSerializer(found, many=True).data)


class ProspectInSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=[m for m in SourceMethod.values if m != SourceMethod.OTHER])
    name = serializers.CharField(max_length=120)
    uscc = serializers.CharField(max_length=25, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    contact_title = serializers.CharField(max_length=60, required=False, allow_blank=True)
    exhibition = serializers.PrimaryKeyRelatedField(queryset=Exhibition.objects.all(), required=False, allow_null=True)
    booth = serializers.CharField(max_length=40, required=False, allow_blank=True)
    supply = serializers.CharField(max_length=200, required=False, allow_blank=True)
    background = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    referrer = serializers.CharField(max_length=120, required=False, allow_blank=True)
    different_company = serializers.BooleanField(required=False, default=False)


class ProspectOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id")
    lifecycle = serializers.CharField()
    colour = serializers.CharField()
    colour_sub = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()  # type: ignore[assignment]  # a declared field named like a Field attribute
    pursuit = serializers.CharField()
    pursuit_reason = serializers.CharField()


class DuplicateFoundSerializer(serializers.Serializer):
    detail = serializers.ListField(child=serializers.CharField())
    duplicates = DuplicateSerializer(many=True)


class ProspectCreateView(APIView):
    @extend_schema(request=ProspectInSerializer, responses={
        201: ProspectOutSerializer,
        409: OpenApiResponse(DuplicateFoundSerializer, description="The company is in Kehu already; ask its owner for it."),
    }, summary="File a prospect from a sourcing method (P1), after the duplicate check")
    def post(self, request: AuthenticatedApiRequest) -> Response:
        form = ProspectInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        company = {k: d[k] for k in ("name", "uscc", "phone", "address") if d.get(k)}
        contact = {"name": d.get("contact_name", ""), "title": d.get("contact_title", ""), "phone": d.get("phone", "")}
        origin = {k: d.get(k) for k in ("exhibition", "booth", "supply", "background", "referrer")}
        try:
            customer = services.prospect_file(user=request.user, method=d["method"], company=company, contact=contact,
                                              origin=origin, different_company=d["different_company"])
        except services.DuplicateFound as exc:
            return Response({"detail": exc.messages, "duplicates": DuplicateSerializer(exc.duplicates, many=True).data},
                            status=status.HTTP_409_CONFLICT)
        return Response(ProspectOutSerializer(customer).data, status=status.HTTP_201_CREATED)


class ColourInSerializer(serializers.Serializer):
    colour = serializers.ChoiceField(choices=ColourGrade.values)
    sub = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=9)
    reason = serializers.CharField(max_length=200)


class DecisionInSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=PursuitDecision.values)
    reason = serializers.CharField(max_length=200)
    review_on = serializers.DateField(required=False, allow_null=True)


class ReviveInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
    review_on = serializers.DateField()


class ColourView(APIView):
    @extend_schema(request=ColourInSerializer, responses={200: ProspectOutSerializer},
                   summary="Grade a prospect red / yellow / green (P3), with the reason")
    def post(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        customer = customer_get(user=request.user, pk=pk)
        form = ColourInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        saved = services.colour_set(user=request.user, customer=customer, colour=d["colour"], sub=d.get("sub"),
                                    reason=d["reason"])
        return Response(ProspectOutSerializer(saved).data)


class DecisionView(APIView):
    @extend_schema(request=DecisionInSerializer, responses={200: ProspectOutSerializer},
                   summary="Pursuit decision (P5): continue, keep trying, give up — with reason and next review")
    def post(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        customer = customer_get(user=request.user, pk=pk)
        form = DecisionInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        saved = services.decision_set(user=request.user, customer=customer, decision=d["decision"], reason=d["reason"],
                                      review_on=d.get("review_on"))
        return Response(ProspectOutSerializer(saved).data)


class ReviveView(APIView):
    @extend_schema(request=ReviveInSerializer, responses={200: ProspectOutSerializer},
                   summary="Revive a given-up prospect")
    def post(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        customer = customer_get(user=request.user, pk=pk)
        form = ReviveInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        saved = services.prospect_revive(user=request.user, customer=customer, **form.validated_data)
        return Response(ProspectOutSerializer(saved).data)


class PoolEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField(source="customer.name")
    team = serializers.IntegerField(source="team_id", allow_null=True)
    reason = serializers.CharField()
    previous_owner = serializers.IntegerField(source="previous_owner_id")
    since = serializers.DateTimeField()
    claimed_by = serializers.IntegerField(source="claimed_by_id", allow_null=True)
    claimed_at = serializers.DateTimeField(allow_null=True)


class PoolListView(APIView):
    @extend_schema(responses={200: PoolEntrySerializer(many=True)}, summary="The team's shared pool (公海)")
    def get(self, request: AuthenticatedApiRequest) -> Response:
        return Response(PoolEntrySerializer(selectors.shared_pool_list(user=request.user)[:500], many=True).data)


class PoolClaimView(APIView):
    @extend_schema(request=None, responses={200: PoolEntrySerializer}, summary="Claim a prospect from the shared pool")
    def post(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        entry = selectors.shared_pool_get(user=request.user, pk=pk)
        result = services.pool_claim(user=request.user, entry=entry)
        return Response(PoolEntrySerializer(result.entry).data)


class PoolCountSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field named like a Field attribute
    count = serializers.IntegerField()
    target = serializers.IntegerField()
    below = serializers.BooleanField()
    rep = serializers.IntegerField(source="rep_id", allow_null=True)
    team = serializers.IntegerField(source="team_id", allow_null=True)


class PoolStatusView(APIView):
    @extend_schema(responses={200: PoolCountSerializer(many=True)},
                   summary="Prospect pools against their targets (P2): mine, my team's, each member's")
    def get(self, request: AuthenticatedApiRequest) -> Response:
        return Response(PoolCountSerializer(selectors.pool_counts(user=request.user), many=True).data)


class FunnelQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=["method", "record"], required=False, default="method")
    team = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    rep = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    since = serializers.DateField(required=False, validators=[validate_day])
    until = serializers.DateField(required=False, validators=[validate_day])


class FunnelRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_blank=True)
    label = serializers.CharField(allow_blank=True)  # type: ignore[assignment]  # a declared field named like a Field attribute
    created = serializers.IntegerField()
    yellow = serializers.IntegerField(help_text=_("Prospects that reached yellow (or red)."))
    red = serializers.IntegerField(help_text=_("Prospects that reached red: deal closed."))
    conversion = serializers.FloatField()
    median_days = serializers.FloatField(allow_null=True)
    first_year_sales = serializers.DecimalField(max_digits=16, decimal_places=2)
    touch_cost = serializers.DecimalField(max_digits=16, decimal_places=2)


class FunnelView(APIView):
    @extend_schema(parameters=[FunnelQuerySerializer], responses={200: FunnelRowSerializer(many=True)},
                   summary="Yield by method: created, reached yellow and red, conversion, days to close, sales, cost")
    def get(self, request: AuthenticatedApiRequest) -> Response:
        q = FunnelQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        rows = selectors.funnel(user=request.user, **q.validated_data)
        return Response(FunnelRowSerializer(rows, many=True).data)



urlpatterns = [
    path("prospecting/duplicates", DuplicateCheckView.as_view(), name="api-prospect-duplicates"),
    path("prospecting/prospects", ProspectCreateView.as_view(), name="api-prospect-create"),
    path("prospecting/prospects/<int:pk>/colour", ColourView.as_view(), name="api-prospect-colour"),
    path("prospecting/prospects/<int:pk>/decision", DecisionView.as_view(), name="api-prospect-decision"),
    path("prospecting/prospects/<int:pk>/revive", ReviveView.as_view(), name="api-prospect-revive"),
    path("prospecting/pool", PoolListView.as_view(), name="api-pool"),
    path("prospecting/pool/<int:pk>/claim", PoolClaimView.as_view(), name="api-pool-claim"),
    path("prospecting/pool-status", PoolStatusView.as_view(), name="api-pool-status"),
    path("prospecting/yield", FunnelView.as_view(), name="api-prospect-yield"),
]
