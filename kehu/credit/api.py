"""REST API for credit control (K1–K4) under /api/v1/credit/.

Rows come from the selectors: a record of a customer the user may not see answers 404, as if it
did not exist. Every change goes through exactly one function of ``services.py``, which holds the
rule and raises ValidationError (400, with the message per field) or PermissionDenied (403, with
the reason): nobody approves their own request, a supervisor only their team's and within their
authority, and only credit controllers write off. Money is rendered as strings with two decimals.
The audit trail is read-only: there is no way to change or delete an entry.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Prefetch, QuerySet
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from kehu.accounts.api import AuthenticatedApiRequest
from kehu.core.api import named_choice_field
from kehu.core.money import ZERO
from kehu.core.queries import get_or_404
from kehu.customers.api import VisibleCustomerField
from kehu.customers.models import Customer
from kehu.ledger.api import DateRangeFilterSerializer, VisibleReceivableField
from kehu.ledger.models import Order
from kehu.ledger.selectors import order_get, order_visible

from . import permissions as credit_permissions
from . import scorecard, selectors, services
from .models import (
    ApplicationStatus,
    AuditEntry,
    CreditCheck,
    CreditException,
    CreditLimit,
    CreditPolicy,
    Investigation,
    InvestigationAttachment,
    InvestigationSource,
    Liability,
    LiabilityRole,
    LimitApplication,
    PaymentRecord,
    Recovery,
    ReviewTask,
    UtilisationSnapshot,
    WriteOff,
    WriteOffKind,
)


def _decimal(**kwargs) -> serializers.DecimalField:
    """Parsed as a decimal of any size; the services say what is believable (and why not)."""
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


_named_choices = named_choice_field


DecisionStatusField = _named_choices(ApplicationStatus, "CreditDecisionStatus")
LiabilityRoleField = _named_choices(LiabilityRole, "LiabilityRole")
PaymentRecordField = _named_choices(PaymentRecord, "PaymentRecord")
PaymentRecordAnswerField = _named_choices(PaymentRecord, "PaymentRecordAnswer", blank=True)
InvestigationSourceField = _named_choices(InvestigationSource, "InvestigationSource")

DECISIONS = [("approve", _("Approve")), ("reject", _("Reject"))]


class IsCreditStaff(permissions.BasePermission):
    """Credit controllers, senior managers and administrators."""

    message = _("Only credit control, senior managers and administrators see this.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and credit_permissions.is_credit_staff(request.user))


class CustomerFilterSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                        help_text=_("Only this customer's records."))


def _for_customer(qs: QuerySet, params: dict[str, Any], field: str = "customer_id") -> QuerySet:
    return qs.filter(**{field: params["customer"]}) if params.get("customer") else qs


# --- investigations --------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvestigationAttachment
        fields = ["id", "name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class InvestigationSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    investigated_by_name: serializers.StringRelatedField = serializers.StringRelatedField(source="investigated_by", read_only=True)
    score_detail = serializers.DictField(child=serializers.IntegerField(), read_only=True,
                                         help_text=_("Points per answer, as the policy's scorecard gave them."))
    source = InvestigationSourceField(read_only=True, help_text=_(  # type: ignore[assignment]  # a declared field named like a Field attribute
        "imported: carried over from the previous system with a limit approved there; it has no answers and no score."))
    payment_record_us = PaymentRecordAnswerField(read_only=True)
    payment_record_others = PaymentRecordAnswerField(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Investigation
        fields = ["id", "customer", "customer_code", "customer_name", "investigated_by", "investigated_by_name",
                  "source", *services.INVESTIGATION_FIELDS, "score", "risk_class", "score_detail", "attachments",
                  "created_at", "updated_at"]
        read_only_fields = fields
        # Carried over from the previous system (source "imported"): no answers, no score.
        extra_kwargs = {name: {"allow_blank": True} for name in ("ownership", "revenue_band", "legal_disputes",
                                                                 "impression", "risk_class")}


class InvestigationCreateSerializer(serializers.ModelSerializer):
    customer = VisibleCustomerField()
    payment_record_us = PaymentRecordField(label=_("payment record with us"))
    payment_record_others = PaymentRecordField(label=_("payment record with others"))

    class Meta:
        model = Investigation
        fields = ["customer", *services.INVESTIGATION_FIELDS]
        extra_kwargs = {"investigated_on": {"required": False, "help_text": _("Today if left out.")},
                        # Null only on investigations carried over by an import, never on a new one.
                        **{name: {"required": True, "allow_null": False}
                           for name in ("registered_capital", "years_in_business", "staff_size")}}


class VisibleInvestigationField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _("No such investigation."),
        "incorrect_type": _("An investigation is given by its id, a whole number."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Investigation.objects.all())  # narrowed per request below
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Investigation]:
        request = self.context.get("request")
        if request is None:
            return Investigation.objects.none()
        return selectors.investigation_visible(user=request.user)


def _investigations(qs: QuerySet[Investigation]) -> QuerySet[Investigation]:
    return qs.select_related("customer", "investigated_by").prefetch_related(
        Prefetch("attachments", queryset=InvestigationAttachment.objects.defer("data").order_by("id")))


@extend_schema_view(
    list=extend_schema(summary=_("List the credit investigations of the customers you may see"),
                       parameters=[CustomerFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a credit investigation")),
    create=extend_schema(summary=_("Record a credit investigation; Kehu scores it by the policy's scorecard"),
                         request=InvestigationCreateSerializer, responses={201: InvestigationSerializer}),
)
class InvestigationViewSet(viewsets.GenericViewSet):
    serializer_class = InvestigationSerializer
    queryset = Investigation.objects.none()  # for the schema; rows come from the selectors

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = CustomerFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = _for_customer(selectors.investigation_visible(user=request.user), params.validated_data)
        page = self.paginate_queryset(_investigations(qs).order_by("-investigated_on", "-id"))
        return self.get_paginated_response(InvestigationSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(InvestigationSerializer(get_or_404(_investigations(selectors.investigation_visible(user=request.user)), pk)).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = InvestigationCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        customer = data.pop("customer")
        investigation = services.investigation_create(user=request.user, customer=customer, data=data)
        return Response(InvestigationSerializer(get_or_404(_investigations(selectors.investigation_visible(user=request.user)), investigation.pk)).data,
                        status=status.HTTP_201_CREATED)


# --- limit applications ----------------------------------------------------------------------


class ApplicationSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    applicant_name: serializers.StringRelatedField = serializers.StringRelatedField(source="applicant", read_only=True)
    decided_by_name: serializers.StringRelatedField = serializers.StringRelatedField(source="decided_by", read_only=True, allow_null=True)
    investigation_score = serializers.IntegerField(source="investigation.score", read_only=True, allow_null=True,
                                                   help_text=_("None when the investigation was carried over from the previous system."))
    investigation_risk_class = serializers.CharField(source="investigation.risk_class", read_only=True)
    status = DecisionStatusField(read_only=True)

    class Meta:
        model = LimitApplication
        fields = [
            "id", "customer", "customer_code", "customer_name", "applicant", "applicant_name", "investigation",
            "investigation_score", "investigation_risk_class", "requested_limit", "requested_terms_days", "reason",
            "status", "decided_by", "decided_by_name", "decided_at", "approved_limit", "approved_terms_days",
            "decision_comment", "created_at", "updated_at",
        ]
        read_only_fields = fields


class ApplicationFilterSerializer(CustomerFilterSerializer):
    status = DecisionStatusField(required=False, allow_blank=True)
    to_decide = serializers.BooleanField(required=False, default=False,
                                         help_text=_("Only the applications waiting for your decision."))


class ApplicationSubmitSerializer(serializers.Serializer):
    customer = VisibleCustomerField()
    investigation = VisibleInvestigationField(required=False, allow_null=True,
                                              help_text=_("The customer's current investigation if left out."))
    requested_limit = _decimal(help_text=_("Yuan; zero or more."))
    requested_terms_days = serializers.IntegerField(help_text=_("Days; at most the policy's longest terms."))
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=DECISIONS)
    amount = _decimal(required=False, allow_null=True,
                      help_text=_("Approved limit if lower than requested; the requested limit if left out."))
    terms_days = serializers.IntegerField(required=False, allow_null=True,
                                          help_text=_("Approved terms if shorter than requested; the requested terms if left out."))
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text=_("Required when rejecting."))


def _applications(qs: QuerySet[LimitApplication]) -> QuerySet[LimitApplication]:
    return qs.select_related("customer", "applicant", "investigation", "decided_by")


@extend_schema_view(
    list=extend_schema(summary=_("List the credit-limit applications you may see or decide"),
                       parameters=[ApplicationFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a credit-limit application")),
    create=extend_schema(summary=_("Apply for a credit limit (K1)"), request=ApplicationSubmitSerializer,
                         responses={201: ApplicationSerializer}),
)
class ApplicationViewSet(viewsets.GenericViewSet):
    serializer_class = ApplicationSerializer
    queryset = LimitApplication.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = ApplicationFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        qs = (selectors.applications_to_decide(user=request.user) if data.get("to_decide")
              else selectors.application_open_to(user=request.user))
        qs = _for_customer(qs, data)
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        page = self.paginate_queryset(_applications(qs).order_by("-created_at", "-id"))
        return self.get_paginated_response(ApplicationSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(ApplicationSerializer(get_or_404(_applications(selectors.application_open_to(user=request.user)), pk)).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = ApplicationSubmitSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        investigation = data.pop("investigation", None) or services.investigation_current(customer=data["customer"])
        if investigation is None:
            raise serializers.ValidationError({"investigation": [_("Investigate the customer's credit first.")]})
        application = services.application_submit(user=request.user, investigation=investigation, **data)
        return Response(ApplicationSerializer(get_or_404(_applications(selectors.application_open_to(user=request.user)), application.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Approve or reject an application (the applicant's supervisor, or higher by amount)"),
                   request=DecisionSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        application = get_or_404(selectors.application_open_to(user=request.user), pk)
        form = DecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        # The decided application is rendered as the service returns it: once decided it may no
        # longer be "waiting for" this approver, who need not see the customer otherwise.
        decided = services.application_decide(user=request.user, application=application,
                                              approve=data["decision"] == "approve", amount=data.get("amount"),
                                              terms_days=data.get("terms_days"), comment=data["comment"])
        return Response(ApplicationSerializer(decided).data)


# --- limits ----------------------------------------------------------------------------------


class LimitSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    approved_by_name: serializers.StringRelatedField = serializers.StringRelatedField(source="approved_by", read_only=True)

    class Meta:
        model = CreditLimit
        fields = ["id", "customer", "customer_code", "customer_name", "application", "amount", "terms_days",
                  "approved_by", "approved_by_name", "valid_from", "review_on", "is_current", "superseded_at",
                  "created_at"]
        read_only_fields = fields


class LimitFilterSerializer(CustomerFilterSerializer):
    current = serializers.BooleanField(required=False, allow_null=True, default=None,
                                       help_text=_("true: only the limits in force; false: only superseded ones."))


@extend_schema_view(
    list=extend_schema(summary=_("List credit limits, current and past"), parameters=[LimitFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a credit limit")),
)
class LimitViewSet(viewsets.GenericViewSet):
    serializer_class = LimitSerializer
    queryset = CreditLimit.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = LimitFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = _for_customer(selectors.limit_visible(user=request.user), params.validated_data)
        if params.validated_data.get("current") is not None:
            qs = qs.filter(is_current=params.validated_data["current"])
        page = self.paginate_queryset(qs.select_related("customer", "approved_by").order_by("-valid_from", "-id"))
        return self.get_paginated_response(LimitSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        qs = selectors.limit_visible(user=request.user).select_related("customer", "approved_by")
        return Response(LimitSerializer(get_or_404(qs, pk)).data)


# --- credit checks of an order ---------------------------------------------------------------


class CreditCheckSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    checked_by_name: serializers.StringRelatedField = serializers.StringRelatedField(source="checked_by", read_only=True)
    exposure_after = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True,
                                              help_text=_("Exposure before the order plus the order."))
    reasons = serializers.ListField(child=serializers.DictField(), read_only=True, source="reasons_described",
                                    help_text=_("Why the order was held: a code, a message and the figures."))

    class Meta:
        model = CreditCheck
        fields = ["id", "order", "order_number", "customer", "checked_by", "checked_by_name", "checked_at",
                  "order_amount", "exposure_before", "exposure_after", "limit_amount", "credit_limit",
                  "overdue_amount", "result", "reasons", "exception"]
        read_only_fields = fields


class OrderCreditChecksView(APIView):
    @extend_schema(summary=_("The credit checks of an order, newest first"),
                   responses=CreditCheckSerializer(many=True))
    def get(self, request: AuthenticatedApiRequest, order_pk: int) -> Response:
        order = order_get(user=request.user, pk=order_pk)
        return Response(CreditCheckSerializer(selectors.checks_of_order(order=order), many=True).data)


# --- exceptions for held orders --------------------------------------------------------------


class VisibleOrderField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _("No such order in your book."),
        "incorrect_type": _("An order is given by its id, a whole number."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Order.objects.all())  # narrowed per request below
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Order]:
        request = self.context.get("request")
        if request is None:
            return Order.objects.none()
        return order_visible(user=request.user)


class ExceptionSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    customer = serializers.IntegerField(source="order.customer_id", read_only=True)
    customer_name = serializers.CharField(source="order.customer.name", read_only=True)
    handler = serializers.IntegerField(source="order.handler_id", read_only=True)
    handler_name: serializers.StringRelatedField = serializers.StringRelatedField(source="order.handler", read_only=True)
    requested_by_name: serializers.StringRelatedField = serializers.StringRelatedField(source="requested_by", read_only=True)
    decided_by_name: serializers.StringRelatedField = serializers.StringRelatedField(source="decided_by", read_only=True, allow_null=True)
    status = DecisionStatusField(read_only=True)

    class Meta:
        model = CreditException
        fields = ["id", "order", "order_number", "customer", "customer_name", "handler", "handler_name",
                  "requested_by", "requested_by_name", "reason", "order_amount", "exposure_after", "status",
                  "decided_by", "decided_by_name", "decided_at", "decision_comment", "created_at", "updated_at"]
        read_only_fields = fields


class ExceptionFilterSerializer(serializers.Serializer):
    order = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    status = DecisionStatusField(required=False, allow_blank=True)
    to_decide = serializers.BooleanField(required=False, default=False,
                                         help_text=_("Only the exceptions waiting for your decision."))


class ExceptionRequestSerializer(serializers.Serializer):
    order = VisibleOrderField(help_text=_("A held order."))
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ExceptionDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=DECISIONS)
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text=_("Required when rejecting."))


def _exceptions(qs: QuerySet[CreditException]) -> QuerySet[CreditException]:
    return qs.select_related("order__customer", "order__handler", "requested_by", "decided_by")


@extend_schema_view(
    list=extend_schema(summary=_("List the credit exceptions you may see or decide"),
                       parameters=[ExceptionFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a credit exception")),
    create=extend_schema(summary=_("Ask for an exception for a held order"), request=ExceptionRequestSerializer,
                         responses={201: ExceptionSerializer}),
)
class ExceptionViewSet(viewsets.GenericViewSet):
    serializer_class = ExceptionSerializer
    queryset = CreditException.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = ExceptionFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        qs = (selectors.exceptions_to_decide(user=request.user) if data.get("to_decide")
              else selectors.exception_open_to(user=request.user))
        if data.get("order"):
            qs = qs.filter(order_id=data["order"])
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        page = self.paginate_queryset(_exceptions(qs).order_by("-created_at", "-id"))
        return self.get_paginated_response(ExceptionSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(ExceptionSerializer(get_or_404(_exceptions(selectors.exception_open_to(user=request.user)), pk)).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = ExceptionRequestSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        exc = services.exception_request(user=request.user, **form.validated_data)
        return Response(ExceptionSerializer(get_or_404(_exceptions(selectors.exception_open_to(user=request.user)), exc.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Approve or reject an exception (never by who asked for it or handled the order)"),
                   request=ExceptionDecisionSerializer, responses=ExceptionSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        exc = get_or_404(selectors.exception_open_to(user=request.user), pk)
        form = ExceptionDecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        decided = services.exception_decide(user=request.user, exception=exc,
                                            approve=form.validated_data["decision"] == "approve",
                                            comment=form.validated_data["comment"])
        return Response(ExceptionSerializer(decided).data)


# --- review tasks (K2) -----------------------------------------------------------------------


class ReviewTaskSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    done_by_name: serializers.StringRelatedField = serializers.StringRelatedField(source="done_by", read_only=True, allow_null=True)

    class Meta:
        model = ReviewTask
        fields = ["id", "customer", "customer_code", "customer_name", "reason", "detail", "raised_on",
                  "done_at", "done_by", "done_by_name"]
        read_only_fields = fields


class ReviewTaskFilterSerializer(CustomerFilterSerializer):
    state = serializers.ChoiceField(choices=[("open", _("Open prompts")), ("done", _("Closed prompts")), ("all", _("All"))],
                                    required=False, default="open")


@extend_schema_view(
    list=extend_schema(summary=_("List credit review prompts (K2) of the customers you may see"),
                       parameters=[ReviewTaskFilterSerializer]),
)
class ReviewTaskViewSet(viewsets.GenericViewSet):
    serializer_class = ReviewTaskSerializer
    queryset = ReviewTask.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = ReviewTaskFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = _for_customer(selectors.review_task_visible(user=request.user), params.validated_data)
        state = params.validated_data["state"]
        if state != "all":
            qs = qs.filter(done_at__isnull=state == "open")
        page = self.paginate_queryset(qs.select_related("customer", "done_by").order_by("-raised_on", "-id"))
        return self.get_paginated_response(ReviewTaskSerializer(page, many=True).data)

    @extend_schema(summary=_("Mark a review prompt done (credit control)"), request=None, responses=ReviewTaskSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        task = services.review_task_done(user=request.user, task=get_or_404(selectors.review_task_visible(user=request.user), pk))
        return Response(ReviewTaskSerializer(get_or_404(selectors.review_task_visible(user=request.user).select_related(
            "customer", "done_by"), task.pk)).data)


# --- receivables ageing ----------------------------------------------------------------------

AGEING_FIELDS = {"current": "current", "1-30": "days_1_30", "31-60": "days_31_60", "61-90": "days_61_90",
                 "90+": "days_over_90"}


class AgeingParamsSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=[("customer", _("Customer")), ("rep", _("Rep")), ("team", _("Team")),
                                                ("region", _("Region"))], required=False, default="customer")


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, **kwargs)


class AgeingTotalsSerializer(serializers.Serializer):
    current = _money(help_text=_("Not yet due."))
    days_1_30 = _money()
    days_31_60 = _money()
    days_61_90 = _money()
    days_over_90 = _money()
    total = _money()


class AgeingRowSerializer(AgeingTotalsSerializer):
    key = serializers.IntegerField(read_only=True, allow_null=True,
                                   help_text=_("The id of the customer, rep, team or region; null when there is none."))
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class AgeingSerializer(serializers.Serializer):
    group_by = serializers.CharField(read_only=True)
    rows = AgeingRowSerializer(many=True, read_only=True)
    totals = AgeingTotalsSerializer(read_only=True)


class AgeingView(APIView):
    @extend_schema(summary=_("Open receivables by days past due, grouped"), parameters=[AgeingParamsSerializer],
                   responses=AgeingSerializer)
    def get(self, request: AuthenticatedApiRequest) -> Response:
        params = AgeingParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        group_by = params.validated_data["group_by"]
        rows = [{AGEING_FIELDS.get(k, k): v for k, v in row.items()}
                for row in selectors.receivables_ageing(user=request.user, group_by=group_by)]
        totals = {name: sum((row[name] for row in rows), ZERO) for name in [*AGEING_FIELDS.values(), "total"]}
        return Response(AgeingSerializer({"group_by": group_by, "rows": rows, "totals": totals}).data)


# --- the credit policy -----------------------------------------------------------------------

POLICY_FIELDS = ["investigation_valid_days", "limit_valid_days", "grace_days", "max_terms_days", "handler_share_pct",
                 "approver_share_pct", "review_expiry_days", "review_utilisation_pct", "review_utilisation_days",
                 "review_overdue_days", "freeze_overdue_days", "review_lateness_rise_days", "scorecard_rules",
                 "scorecard_bands"]
def _has_null_character(value: Any) -> bool:
    """PostgreSQL keeps no NUL in JSON text, so it is refused, as in any text field."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_null_character(k) or _has_null_character(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_null_character(v) for v in value)
    return False


class CreditPolicySerializer(serializers.ModelSerializer):
    created_by_name: serializers.StringRelatedField = serializers.StringRelatedField(source="created_by", read_only=True, allow_null=True)
    in_force = serializers.SerializerMethodField(help_text=_("Whether this is the version in force today."))
    scorecard_rules = serializers.DictField(read_only=True, help_text=_("Points per answer, per factor."))
    scorecard_bands = serializers.ListField(child=serializers.ListField(), read_only=True,
                                            help_text=_("[minimum score, risk class] pairs."))

    class Meta:
        model = CreditPolicy
        fields = ["id", "effective_from", *POLICY_FIELDS, "in_force", "created_by", "created_by_name", "created_at"]
        read_only_fields = fields

    def get_in_force(self, policy: CreditPolicy) -> bool:
        return policy.pk == self.context.get("in_force")


# The shape of the scorecard is checked here, so that no investigation scored by it can fail;
# the service checks the rest (known factors, the shares, the date).
class CreditPolicyCreateSerializer(serializers.ModelSerializer):
    scorecard_rules = serializers.DictField(child=serializers.DictField(), required=False, help_text=_(
        'Per factor, {"type": "bands", "bands": [[threshold, points], …]} or '
        '{"type": "choice", "points": {answer: points, …}}.'))
    scorecard_bands = serializers.ListField(child=serializers.ListField(), required=False, allow_empty=False,
                                            help_text=_("[minimum score, low|medium|high|reject] pairs."))

    class Meta:
        model = CreditPolicy
        fields = ["effective_from", *POLICY_FIELDS]
        extra_kwargs = {"effective_from": {"help_text": _("Today or later: versions in force are never changed.")},
                        # What a small integer column keeps, where the model sets no bound of its own.
                        **{name: {"max_value": 32767} for name in (
                            "review_expiry_days", "review_utilisation_pct", "review_utilisation_days",
                            "review_overdue_days", "freeze_overdue_days", "review_lateness_rise_days")}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("scorecard_rules", "scorecard_bands"):
            if name in attrs and _has_null_character(attrs[name]):
                raise serializers.ValidationError({name: [ProhibitNullCharactersValidator.message]})
        return attrs

    def validate_scorecard_rules(self, rules: dict[str, Any]) -> dict[str, Any]:
        problems = scorecard.validate_rules(rules, scorecard.DEFAULT_BANDS).get("scorecard_rules")
        if problems:
            raise serializers.ValidationError(problems)
        return rules

    def validate_scorecard_bands(self, bands: list[list[Any]]) -> list[list[Any]]:
        problems = scorecard.validate_rules({}, bands).get("scorecard_bands")
        if problems:
            raise serializers.ValidationError(problems)
        return bands


def _in_force_id() -> int | None:
    return selectors.policy_list().filter(effective_from__lte=timezone.localdate()).values_list("pk", flat=True).first()


@extend_schema_view(
    list=extend_schema(summary=_("List the versions of the credit policy, the newest first")),
    retrieve=extend_schema(summary=_("Open a version of the credit policy")),
    create=extend_schema(
        summary=_("Add a version of the credit policy from a date (administrators); what is left out is kept "
                  "from the version in force on that date"),
        request=CreditPolicyCreateSerializer, responses={201: CreditPolicySerializer}),
)
class CreditPolicyViewSet(viewsets.GenericViewSet):
    """Read by credit staff, as the pages show credit matters to them (the queue, the audit trail,
    the policy a write-off applied); set by administrators only, as in the back office, through
    ``services.policy_create`` (anyone else 403). Versions are never changed or deleted."""

    serializer_class = CreditPolicySerializer
    permission_classes = [IsCreditStaff]
    queryset = CreditPolicy.objects.none()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "in_force": _in_force_id()}

    def list(self, request: AuthenticatedApiRequest) -> Response:
        page = self.paginate_queryset(selectors.policy_list())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(self.get_serializer(get_or_404(selectors.policy_list(), pk)).data)

    @extend_schema(summary=_("Open the version of the credit policy in force today"))
    @action(detail=False, methods=["get"])
    def current(self, request: AuthenticatedApiRequest) -> Response:
        return Response(self.get_serializer(services.policy_in_force()).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = CreditPolicyCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        given = form.validated_data
        base = selectors.policy_list().filter(effective_from__lte=given["effective_from"]).first() or CreditPolicy()
        policy = services.policy_create(user=request.user,
                                        data={**{name: getattr(base, name) for name in POLICY_FIELDS}, **given})
        return Response(self.get_serializer(get_or_404(selectors.policy_list(), policy.pk)).data,
                        status=status.HTTP_201_CREATED)


# --- credit accounts: each customer's position, and freezes ----------------------------------


class CreditAccountSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer.pk", read_only=True)
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    limit = LimitSerializer(read_only=True, allow_null=True,
                            help_text=_("The current limit; null when the customer has none."))
    limit_expired = serializers.BooleanField(read_only=True, help_text=_(
        "The current limit is past its review date, so orders on credit are held until it is renewed."))
    exposure = _money(help_text=_("Unpaid invoiced amounts plus confirmed and delivered orders."))
    available = _money(allow_null=True, help_text=_("The limit less the exposure (negative when over it); "
                                                    "null without a limit."))
    frozen = serializers.BooleanField(read_only=True, help_text=_("Orders on credit are held while credit is frozen."))
    frozen_reason = serializers.CharField(read_only=True)


class CreditAccountFilterSerializer(CustomerFilterSerializer):
    frozen = serializers.BooleanField(required=False, allow_null=True, default=None,
                                      help_text=_("true: only frozen accounts; false: only those not frozen."))


class FreezeSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200,
                                   help_text=_("Why credit is frozen (required)."))


def _account_rows(customers: list) -> list[dict[str, Any]]:
    positions = selectors.credit_positions(customer_ids=[c.pk for c in customers])
    return [{"customer": c, **positions[c.pk]} for c in customers]


@extend_schema_view(
    list=extend_schema(summary=_("List the credit positions of the customers you may see"),
                       parameters=[CreditAccountFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a customer's credit position: limit, exposure, available, freeze")),
)
class CreditAccountViewSet(viewsets.GenericViewSet):
    """Each customer's credit as the card's credit section shows it, to whoever sees the customer
    (another's customer answers 404). Freezing and unfreezing is for credit controllers and senior
    managers, as on the card, through ``services.credit_freeze`` (anyone else 403)."""

    serializer_class = CreditAccountSerializer
    queryset = Customer.objects.none()
    lookup_url_kwarg = "customer_id"

    def _customer(self, request: AuthenticatedApiRequest, customer_id: str) -> Customer:
        return get_or_404(selectors.credit_account_list(user=request.user), customer_id)

    def _position(self, customer: Customer) -> Response:
        return Response(CreditAccountSerializer(_account_rows([customer])[0]).data)

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = CreditAccountFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.credit_account_list(
            user=request.user, customer=params.validated_data.get("customer"), frozen=params.validated_data["frozen"]))
        return self.get_paginated_response(CreditAccountSerializer(_account_rows(cast(list[Customer], page)), many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, customer_id: str) -> Response:
        return self._position(self._customer(request, customer_id))

    @extend_schema(summary=_("Freeze a customer's credit: orders on credit are held (credit control, senior managers)"),
                   request=FreezeSerializer, responses=CreditAccountSerializer)
    @action(detail=True, methods=["post"])
    def freeze(self, request: AuthenticatedApiRequest, customer_id: str) -> Response:
        customer = self._customer(request, customer_id)
        form = FreezeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.credit_freeze(user=request.user, customer=customer, reason=form.validated_data["reason"], frozen=True)
        return self._position(customer)

    @extend_schema(summary=_("Unfreeze a customer's credit (credit control, senior managers)"), request=None,
                   responses=CreditAccountSerializer)
    @action(detail=True, methods=["post"])
    def unfreeze(self, request: AuthenticatedApiRequest, customer_id: str) -> Response:
        customer = self._customer(request, customer_id)
        services.credit_freeze(user=request.user, customer=customer, reason="", frozen=False)
        return self._position(customer)


# --- utilisation snapshots (K2) --------------------------------------------------------------


class UtilisationSnapshotSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    utilisation_pct = serializers.SerializerMethodField(help_text=_(
        "The exposure as a percentage of the limit; null when the limit is zero."))

    class Meta:
        model = UtilisationSnapshot
        fields = ["id", "customer", "customer_code", "customer_name", "day", "exposure", "limit_amount",
                  "utilisation_pct"]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=None, decimal_places=1, allow_null=True))
    def get_utilisation_pct(self, snapshot: UtilisationSnapshot) -> str | None:
        if snapshot.limit_amount <= 0:
            return None
        return str((snapshot.exposure * 100 / snapshot.limit_amount).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@extend_schema_view(
    list=extend_schema(summary=_("List the daily utilisation of the limits of the customers you may see (K2)"),
                       parameters=[DateRangeFilterSerializer]),
)
class UtilisationSnapshotViewSet(viewsets.GenericViewSet):
    """What the daily review recorded of each limited customer's exposure against its limit, for
    whoever sees the customer (the card shows them the same figures for today)."""

    serializer_class = UtilisationSnapshotSerializer
    queryset = UtilisationSnapshot.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = DateRangeFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        qs = _for_customer(selectors.utilisation_snapshot_visible(user=request.user), data)
        if data.get("date_from"):
            qs = qs.filter(day__gte=data["date_from"])
        if data.get("date_to"):
            qs = qs.filter(day__lte=data["date_to"])
        page = self.paginate_queryset(qs.select_related("customer").order_by("-day", "customer__code", "id"))
        return self.get_paginated_response(UtilisationSnapshotSerializer(page, many=True).data)


# --- write-offs and recoveries (K3) ----------------------------------------------------------


class LiabilitySerializer(serializers.ModelSerializer):
    person_name: serializers.StringRelatedField = serializers.StringRelatedField(source="person", read_only=True)
    role = LiabilityRoleField(read_only=True)
    net = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True,
                                   help_text=_("The liability less what recoveries took off it."))
    customer = serializers.IntegerField(source="write_off.customer_id", read_only=True)
    customer_name = serializers.CharField(source="write_off.customer.name", read_only=True)
    order_number = serializers.CharField(source="write_off.receivable.order.number", read_only=True)
    written_off_on = serializers.DateField(source="write_off.written_off_on", read_only=True)
    kind = serializers.ChoiceField(source="write_off.kind", choices=WriteOffKind.choices, read_only=True)

    class Meta:
        model = Liability
        fields = ["id", "write_off", "customer", "customer_name", "order_number", "written_off_on", "kind",
                  "person", "person_name", "role", "share_pct", "amount", "reduced_by_recovery", "net"]
        read_only_fields = fields


class RecoverySerializer(serializers.ModelSerializer):
    by_name: serializers.StringRelatedField = serializers.StringRelatedField(source="by", read_only=True)

    class Meta:
        model = Recovery
        fields = ["id", "amount", "received_on", "by", "by_name", "note", "created_at"]
        read_only_fields = fields


class WriteOffSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="receivable.order_id", read_only=True)
    order_number = serializers.CharField(source="receivable.order.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    by_name: serializers.StringRelatedField = serializers.StringRelatedField(source="by", read_only=True)
    liabilities = LiabilitySerializer(source="visible_liabilities", many=True, read_only=True,
                                      help_text=_("The liabilities you may see."))
    recoveries = RecoverySerializer(many=True, read_only=True)

    class Meta:
        model = WriteOff
        fields = ["id", "receivable", "order", "order_number", "customer", "customer_name", "kind", "amount",
                  "recovered", "written_off_on", "reason", "by", "by_name", "policy", "covered", "cover_note",
                  "liabilities", "recoveries", "created_at"]
        read_only_fields = fields


class WriteOffCreateSerializer(serializers.Serializer):
    receivable = VisibleReceivableField()
    kind = serializers.ChoiceField(choices=WriteOffKind.choices)
    amount = _decimal(help_text=_("Yuan; at most what is still owed on the receivable."))
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RecoveryCreateSerializer(serializers.Serializer):
    amount = _decimal(help_text=_("Yuan; at most what is still unrecovered."))
    received_on = serializers.DateField(required=False, allow_null=True, help_text=_("Today if left out."))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class WriteOffFilterSerializer(CustomerFilterSerializer):
    kind = serializers.ChoiceField(choices=WriteOffKind.choices, required=False, allow_blank=True)


def _write_offs(qs: QuerySet[WriteOff], *, user) -> QuerySet[WriteOff]:
    return qs.select_related("customer", "receivable__order", "by").prefetch_related(
        Prefetch("liabilities", queryset=selectors.liabilities_visible(user=user).order_by("id"),
                 to_attr="visible_liabilities"),
        Prefetch("recoveries", queryset=Recovery.objects.select_related("by").order_by("id")),
    )


@extend_schema_view(
    list=extend_schema(summary=_("List write-offs (all for credit control; else those you bear a share of)"),
                       parameters=[WriteOffFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a write-off with its liabilities and recoveries")),
    create=extend_schema(summary=_("Write off a receivable and charge it to those responsible (credit controllers, K3)"),
                         request=WriteOffCreateSerializer, responses={201: WriteOffSerializer}),
)
class WriteOffViewSet(viewsets.GenericViewSet):
    serializer_class = WriteOffSerializer
    queryset = WriteOff.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = WriteOffFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = _for_customer(selectors.write_off_visible(user=request.user), params.validated_data)
        if params.validated_data.get("kind"):
            qs = qs.filter(kind=params.validated_data["kind"])
        page = self.paginate_queryset(_write_offs(qs, user=request.user).order_by("-written_off_on", "-id"))
        return self.get_paginated_response(WriteOffSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        qs = _write_offs(selectors.write_off_visible(user=request.user), user=request.user)
        return Response(WriteOffSerializer(get_or_404(qs, pk)).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = WriteOffCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        write_off = services.write_off_create(user=request.user, **form.validated_data)
        return Response(WriteOffSerializer(get_or_404(_write_offs(selectors.write_off_visible(user=request.user), user=request.user), write_off.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Record money recovered on a write-off; liabilities shrink in proportion"),
                   request=RecoveryCreateSerializer, responses={201: WriteOffSerializer})
    @action(detail=True, methods=["post"])
    def recoveries(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        write_off = get_or_404(selectors.write_off_visible(user=request.user), pk)
        form = RecoveryCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        services.recovery_record(user=request.user, write_off=write_off, amount=data["amount"],
                                 day=data.get("received_on"), note=data["note"])
        return Response(WriteOffSerializer(get_or_404(_write_offs(selectors.write_off_visible(user=request.user), user=request.user), write_off.pk)).data,
                        status=status.HTTP_201_CREATED)


# --- liabilities -----------------------------------------------------------------------------


class LiabilityFilterSerializer(serializers.Serializer):
    person = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    write_off = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)


@extend_schema_view(
    list=extend_schema(summary=_("List bad-debt liabilities: your own, your team's as supervisor, all for management"),
                       parameters=[LiabilityFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a liability")),
)
class LiabilityViewSet(viewsets.GenericViewSet):
    serializer_class = LiabilitySerializer
    queryset = Liability.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = LiabilityFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = selectors.liabilities_visible(user=request.user)
        if params.validated_data.get("person"):
            qs = qs.filter(person_id=params.validated_data["person"])
        if params.validated_data.get("write_off"):
            qs = qs.filter(write_off_id=params.validated_data["write_off"])
        page = self.paginate_queryset(qs.order_by("-write_off__written_off_on", "-id"))
        return self.get_paginated_response(LiabilitySerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(LiabilitySerializer(get_or_404(selectors.liabilities_visible(user=request.user), pk)).data)


# --- audit trail -----------------------------------------------------------------------------


class AuditEntrySerializer(serializers.ModelSerializer):
    user_name: serializers.StringRelatedField = serializers.StringRelatedField(source="user", read_only=True, allow_null=True)
    before = serializers.JSONField(read_only=True, allow_null=True)
    after = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "user", "user_name", "action", "object_type", "object_id", "customer", "before", "after"]
        read_only_fields = fields


class AuditFilterSerializer(CustomerFilterSerializer):
    action = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                   help_text=_("e.g. application.approve"))
    object_type = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                        help_text=_("e.g. limitapplication"))
    object_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)


@extend_schema_view(
    list=extend_schema(summary=_("List the credit audit trail (credit control, senior managers, administrators)"),
                       parameters=[AuditFilterSerializer]),
    retrieve=extend_schema(summary=_("Open an audit entry")),
)
class AuditEntryViewSet(viewsets.GenericViewSet):
    """Read-only by construction: no route changes or deletes an entry (405)."""

    serializer_class = AuditEntrySerializer
    permission_classes = [IsCreditStaff]
    queryset = AuditEntry.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = AuditFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        qs = _for_customer(selectors.audit_entries(user=request.user), data)
        for field in ("action", "object_type", "object_id"):
            if data.get(field):
                qs = qs.filter(**{field: data[field]})
        page = self.paginate_queryset(qs.order_by("-at", "-id"))
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(AuditEntrySerializer(get_or_404(selectors.audit_entries(user=request.user), pk)).data)


router = SimpleRouter(trailing_slash=False)
router.register("credit/investigations", InvestigationViewSet, basename="api-credit-investigation")
router.register("credit/applications", ApplicationViewSet, basename="api-credit-application")
router.register("credit/limits", LimitViewSet, basename="api-credit-limit")
router.register("credit/exceptions", ExceptionViewSet, basename="api-credit-exception")
router.register("credit/review-tasks", ReviewTaskViewSet, basename="api-credit-review-task")
router.register("credit/policies", CreditPolicyViewSet, basename="api-credit-policy")
router.register("credit/accounts", CreditAccountViewSet, basename="api-credit-account")
router.register("credit/utilisation-snapshots", UtilisationSnapshotViewSet, basename="api-credit-utilisation-snapshot")
router.register("credit/write-offs", WriteOffViewSet, basename="api-credit-write-off")
router.register("credit/liabilities", LiabilityViewSet, basename="api-credit-liability")
router.register("credit/audit-entries", AuditEntryViewSet, basename="api-credit-audit-entry")

urlpatterns = [
    *router.urls,
    path("credit/orders/<int:order_pk>/checks", OrderCreditChecksView.as_view(), name="api-credit-order-checks"),
    path("credit/ageing", AgeingView.as_view(), name="api-credit-ageing"),
]
