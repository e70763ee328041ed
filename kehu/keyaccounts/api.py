"""REST API for the key-account programme: candidates (mark, decide), key accounts, account plans."""

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from kehu.accounts.api import AuthenticatedApiRequest
from kehu.core.queries import get_or_404
from kehu.customers.selectors import customer_visible

from . import selectors, services
from .models import AccountPlan, KeyAccountCandidate


class CandidateSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    status = serializers.CharField(read_only=True, help_text=_("pending, confirmed or declined"))

    class Meta:
        model = KeyAccountCandidate
        fields = ["id", "customer", "customer_name", "reason", "region_share_pct", "note", "status", "marked_by",
                  "created_at", "decided_by", "decided_at", "decision_note"]
        read_only_fields = fields


class MarkSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class DecideSerializer(serializers.Serializer):
    confirm = serializers.BooleanField()
    manager = serializers.IntegerField(required=False, allow_null=True, default=None,
                                       help_text=_("The key-account manager (required to confirm)."))
    sponsor = serializers.IntegerField(required=False, allow_null=True, default=None,
                                       help_text=_("The senior-manager sponsor (required to confirm)."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class CandidateListView(APIView):
    @extend_schema(summary=_("Key-account candidates waiting for a decision"), responses=CandidateSerializer(many=True))
    def get(self, request: AuthenticatedApiRequest) -> Response:
        return Response(CandidateSerializer(selectors.pending_candidates(user=request.user)[:500], many=True).data)

    @extend_schema(summary=_("Propose a customer as a key account (management)"), request=MarkSerializer,
                   responses={201: CandidateSerializer})
    def post(self, request: AuthenticatedApiRequest) -> Response:
        data = MarkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not services.is_management(request.user):
            raise PermissionDenied(_("Only management marks key-account candidates."))
        customer = get_or_404(customer_visible(user=request.user), data.validated_data["customer"])
        candidate = services.candidate_mark(user=request.user, customer=customer, note=data.validated_data["note"])
        return Response(CandidateSerializer(candidate).data, status=status.HTTP_201_CREATED)


class CandidateDecideView(APIView):
    @extend_schema(summary=_("Confirm or decline a candidate (a senior manager)"), request=DecideSerializer,
                   responses=CandidateSerializer)
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        candidate = get_or_404(selectors.candidates_visible(user=request.user), pk)
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        candidate = services.candidate_decide(user=request.user, candidate=candidate, confirm=v["confirm"],
                                              manager=v["manager"], sponsor=v["sponsor"], note=v["note"])
        return Response(CandidateSerializer(candidate).data)


class KeyAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    region = serializers.IntegerField(source="region_id", allow_null=True)
    abc_grade = serializers.CharField()
    key_account_manager = serializers.IntegerField(source="key_account_manager_id", allow_null=True)
    key_account_sponsor = serializers.IntegerField(source="key_account_sponsor_id", allow_null=True)


class KeyAccountListView(APIView):
    @extend_schema(summary=_("Key accounts"), responses=KeyAccountSerializer(many=True))
    def get(self, request: AuthenticatedApiRequest) -> Response:
        return Response(KeyAccountSerializer(selectors.key_accounts_visible(user=request.user)[:1000], many=True).data)


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccountPlan
        fields = ["customer", "goals", "needs_match", "our_share_pct", "risks", "next_steps", "senior_visit_every_days",
                  "updated_at"]
        read_only_fields = ["customer", "updated_at"]


class PlanView(APIView):
    @extend_schema(summary=_("A key account's plan"), responses=PlanSerializer)
    def get(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        customer = get_or_404(selectors.key_accounts_visible(user=request.user), pk)
        plan = AccountPlan.objects.filter(customer=customer).first() or AccountPlan(customer=customer)
        return Response(PlanSerializer(plan).data)

    @extend_schema(summary=_("Change a key account's plan"), request=PlanSerializer, responses=PlanSerializer)
    def patch(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        customer = get_or_404(selectors.key_accounts_visible(user=request.user), pk)
        data = PlanSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        plan = services.plan_save(user=request.user, customer=customer, data=dict(data.validated_data))
        return Response(PlanSerializer(plan).data)


class HealthSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.DictField())
    overdue_total = serializers.DecimalField(max_digits=16, decimal_places=2)
    exposure = serializers.DecimalField(max_digits=16, decimal_places=2)
    utilisation = serializers.FloatField(allow_null=True)


class HealthView(APIView):
    @extend_schema(summary=_("A key account's health: sales by month, overdue, credit utilisation"),
                   responses=HealthSerializer)
    def get(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        customer = get_or_404(selectors.key_accounts_visible(user=request.user), pk)
        h = selectors.health(customer=customer, today=timezone.localdate())
        months = [{"month": m["month"].isoformat(), "sales": f"{m['amount']:.2f}"} for m in h["months"]]
        return Response(HealthSerializer({**h, "months": months}).data)


urlpatterns = [
    path("key-accounts", KeyAccountListView.as_view(), name="api-key-accounts"),
    path("key-accounts/candidates", CandidateListView.as_view(), name="api-key-account-candidates"),
    path("key-accounts/candidates/<int:pk>/decide", CandidateDecideView.as_view(), name="api-key-account-decide"),
    path("key-accounts/<int:pk>/plan", PlanView.as_view(), name="api-key-account-plan"),
    path("key-accounts/<int:pk>/health", HealthView.as_view(), name="api-key-account-health"),
]
