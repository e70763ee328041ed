"""REST API for grading and the reports: the Pareto report, concentration, loss impact, a
customer's grade history. Every figure covers only the customers the caller may see."""


from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from kehu.accounts.api import AuthenticatedApiRequest
from kehu.core.dates import validate_day
from kehu.core.queries import get_or_404
from kehu.customers.selectors import customer_visible

from . import reports, services


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True, **kwargs)


class ReportParamsSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text=_("Default today; the window ends the day before."), validators=[validate_day])
    window = serializers.IntegerField(required=False, min_value=1, max_value=60,
                                      help_text=_("Months of sales (default: the grading policy's)."))


class ParetoParamsSerializer(ReportParamsSerializer):
    scope = serializers.ChoiceField(choices=list(reports.SCOPES), required=False, default="company")
    group = serializers.IntegerField(required=False, allow_null=True, default=None,
                                     help_text=_("The region, team or rep id for those scopes."))


class ParetoRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    sales = _money()
    grade = serializers.CharField()
    cum_customers_pct = serializers.FloatField()
    cum_sales_pct = serializers.FloatField()


class ParetoBandSerializer(serializers.Serializer):
    grade = serializers.CharField()
    customers = serializers.IntegerField()
    sales = _money()
    customer_pct = serializers.FloatField()
    sales_pct = serializers.FloatField()
    handbook_customers = serializers.IntegerField()
    handbook_sales = serializers.IntegerField()


class ParetoSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    window_months = serializers.IntegerField()
    scope = serializers.CharField()
    group = serializers.IntegerField(allow_null=True)
    total = _money()
    bands = ParetoBandSerializer(many=True)
    rows = ParetoRowSerializer(many=True)


def _params(serializer_class, request: AuthenticatedApiRequest) -> dict:
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = dict(params.validated_data)
    data["as_of"] = data.get("as_of") or timezone.localdate()
    data["window"] = data.get("window") or services.policy_current().window_months
    return data


class ParetoView(APIView):
    @extend_schema(summary=_("The Pareto report (C5): customers ranked by sales, cumulative shares, bands"),
                   parameters=[ParetoParamsSerializer], responses=ParetoSerializer)
    def get(self, request: AuthenticatedApiRequest) -> Response:
        p = _params(ParetoParamsSerializer, request)
        report = reports.pareto(user=request.user, as_of=p["as_of"], window_months=p["window"], scope=p["scope"],
                                group=p["group"])
        return Response(ParetoSerializer(report).data)


class ConcentrationSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field named like a Field attribute
    region_id = serializers.IntegerField(allow_null=True, help_text=_("null for the company row."))
    customers = serializers.IntegerField()
    total = _money()
    top1 = serializers.FloatField()
    top5 = serializers.FloatField()
    top10 = serializers.FloatField()
    hhi = serializers.FloatField(help_text=_("Herfindahl index, 0 to 10,000."))


class ConcentrationView(APIView):
    @extend_schema(summary=_("Top 1/5/10 shares and the Herfindahl index, for the company and each region"),
                   parameters=[ReportParamsSerializer], responses=ConcentrationSerializer(many=True))
    def get(self, request: AuthenticatedApiRequest) -> Response:
        p = _params(ReportParamsSerializer, request)
        rows = reports.concentration(user=request.user, as_of=p["as_of"], window_months=p["window"])
        return Response(ConcentrationSerializer(rows, many=True).data)


class LossImpactSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer.pk")
    sales = _money()
    region_total = _money()
    company_total = _money()
    region_drop_pct = serializers.FloatField()
    company_drop_pct = serializers.FloatField()
    reps = serializers.SerializerMethodField()
    teams = serializers.SerializerMethodField()
    grade_moves = serializers.IntegerField()

    def get_reps(self, obj) -> list[dict]:
        return [{"id": p["user"].pk, "name": str(p["user"]), "amount": f"{p['amount']:.2f}", "share_pct": p["share_pct"]}
                for p in obj.people]

    def get_teams(self, obj) -> list[dict]:
        return [{"id": t["team"].pk, "name": str(t["team"]), "amount": f"{t['amount']:.2f}", "share_pct": t["share_pct"]}
                for t in obj.teams]


class LossImpactView(APIView):
    @extend_schema(summary=_("If we lost this customer: the drop in sales and the grades that move"),
                   parameters=[ReportParamsSerializer], responses=LossImpactSerializer)
    def get(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        customer = get_or_404(customer_visible(user=request.user), pk)
        p = _params(ReportParamsSerializer, request)
        impact = reports.loss_impact(customer=customer, as_of=p["as_of"], window_months=p["window"])
        return Response(LossImpactSerializer(impact).data)


class GradeHistorySerializer(serializers.Serializer):
    as_of = serializers.DateField(source="run.as_of")
    sales = _money()
    rank = serializers.IntegerField()
    grade = serializers.CharField()
    applied = serializers.CharField(help_text=_("The grade written on the customer, after any override."))


class GradeHistoryView(APIView):
    @extend_schema(summary=_("A customer's company-wide grade over the stored gradings"),
                   responses=GradeHistorySerializer(many=True))
    def get(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        customer = get_or_404(customer_visible(user=request.user), pk)
        return Response(GradeHistorySerializer(services.grade_history(customer=customer), many=True).data)



urlpatterns = [
    path("reports/pareto", ParetoView.as_view(), name="api-reports-pareto"),
    path("reports/concentration", ConcentrationView.as_view(), name="api-reports-concentration"),
    path("reports/loss-impact/<int:pk>", LossImpactView.as_view(), name="api-reports-loss-impact"),
    path("customers/<int:pk>/grades", GradeHistoryView.as_view(), name="api-customer-grades"),
]
