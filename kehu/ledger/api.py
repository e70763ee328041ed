"""REST API for the sales ledger: products, orders with their lines and status flow, payments,
receivables and how payments were allocated to them.

Rows come from the selectors (an order, receivable or payment of a customer the user may not see
answers 404); changes go through ``services.py``. Receivables and allocations are read-only here:
invoicing opens a receivable, payments settle it. Money is rendered as strings with two decimals.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from kehu.accounts.api import AuthenticatedApiRequest
from kehu.accounts.permissions import can_manage_products
from kehu.core.api import ReferenceViewSet
from kehu.customers.api import VisibleCustomerField

from .models import (
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentAllocation,
    PaymentChannel,
    PaymentMethod,
    Product,
    ProductCategory,
    Receivable,
    Unit,
)
from .selectors import (
    ORDER_ORDERINGS,
    RECEIVABLE_ORDERINGS,
    allocation_list,
    order_get,
    order_list,
    order_visible,
    order_with_lines,
    payment_get,
    payment_list,
    product_get,
    product_list,
    receivable_get,
    receivable_list,
    receivable_visible,
)
from .services import (
    order_cancel,
    order_confirm,
    order_create,
    order_deliver,
    order_invoice,
    order_update_lines,
    orders_confirm,
    payment_record,
    product_save,
)


# Amounts and quantities are parsed as decimals of any size here; the services say what is
# believable (negative, zero or absurd amounts are refused there with their own messages).
def _decimal(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


# --- products --------------------------------------------------------------------------------

PRODUCT_FIELDS = ["code", "name", "category", "grade", "pack_size", "pack_unit", "sales_unit", "list_price", "active"]


class IsAdminOrReadOnly(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or can_manage_products(request.user)


@extend_schema_field({"type": "string", "enum": Unit.values}, component_name="Unit")
class UnitField(serializers.ChoiceField):
    """Pack and sales units share one choice set, so the schema names it once."""

    def __init__(self, **kwargs):
        super().__init__(choices=Unit.choices, **kwargs)


class ProductSerializer(serializers.ModelSerializer):
    pack_unit = UnitField(read_only=True)
    sales_unit = UnitField(read_only=True)

    class Meta:
        model = Product
        fields = ["id", *PRODUCT_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields


class ProductWriteSerializer(serializers.ModelSerializer):
    list_price = _decimal()
    pack_unit = UnitField(required=False)
    sales_unit = UnitField(required=False)

    class Meta:
        model = Product
        fields = PRODUCT_FIELDS
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}


class ProductFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100,
                              help_text=_("Part of the code, name or grade."))
    category = serializers.ChoiceField(choices=ProductCategory.choices, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False, allow_null=True)


@extend_schema_view(
    list=extend_schema(summary=_("List the product catalogue"), parameters=[ProductFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a product")),
    create=extend_schema(summary=_("Add a product (administrators)"), request=ProductWriteSerializer,
                         responses={201: ProductSerializer}),
    update=extend_schema(summary=_("Change a product (administrators)"), request=ProductWriteSerializer,
                         responses=ProductSerializer),
    partial_update=extend_schema(summary=_("Change some fields of a product (administrators)"),
                                 request=ProductWriteSerializer, responses=ProductSerializer),
)
class ProductViewSet(ReferenceViewSet):
    serializer_class = ProductSerializer
    filter_serializer_class = ProductFilterSerializer
    write_serializer_class = ProductWriteSerializer
    permission_classes = [IsAdminOrReadOnly]
    queryset = Product.objects.none()

    def select(self, **filters: Any) -> Any:
        return product_list(**filters)

    def fetch(self, pk: str) -> Product:
        return product_get(pk=pk)

    def save(self, *, user: Any, data: dict[str, Any], instance: Product | None = None) -> Product:
        return product_save(user=user, data=data, product=instance)


# --- orders ----------------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.__str__", read_only=True)

    class Meta:
        model = OrderLine
        fields = ["id", "product", "product_code", "product_name", "quantity", "unit_price", "amount"]
        read_only_fields = fields


class ReceivableSerializer(serializers.ModelSerializer):
    outstanding = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Receivable
        fields = ["id", "amount", "paid", "written_off", "outstanding", "issued_on", "due_on", "settled_on"]
        read_only_fields = fields


class OrderSummarySerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    handler_name: serializers.StringRelatedField = serializers.StringRelatedField(source="handler", read_only=True)

    class Meta:
        model = Order
        fields = [
            "id", "number", "customer", "customer_code", "customer_name", "handler", "handler_name",
            "order_date", "status", "payment_method", "payment_terms_days", "total", "confirmed_at",
            "delivered_on", "invoiced_on", "cancelled_at", "notes", "created_at", "updated_at",
        ]
        read_only_fields = fields


class OrderSerializer(OrderSummarySerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    receivable = ReceivableSerializer(read_only=True, allow_null=True,
                                      help_text=_("What the invoice left owing; null until invoiced."))

    class Meta(OrderSummarySerializer.Meta):
        fields = [*OrderSummarySerializer.Meta.fields, "lines", "receivable"]
        read_only_fields = fields


class OrderLineInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(),
        error_messages={"does_not_exist": _("No such product."),
                        "incorrect_type": _("A product is given by its id, a whole number.")},
    )
    quantity = _decimal(help_text=_("In the product's sales unit; more than zero."))
    unit_price = _decimal(required=False, allow_null=True,
                          help_text=_("Yuan per sales unit; left out, the list price."))


class OrderLinesSerializer(serializers.Serializer):
    lines = OrderLineInputSerializer(many=True)


class OrderCreateSerializer(OrderLinesSerializer):
    customer = VisibleCustomerField()
    order_date = serializers.DateField(required=False, allow_null=True, help_text=_("Today if left out."))
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.CREDIT)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class OrdersConfirmSerializer(serializers.Serializer):
    orders = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1, max_length=500,
                                   help_text=_("Ids of draft or held orders, at most 500."))


class OrderConfirmResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True, help_text=_("The order's status after the check: confirmed or held."))
    error = serializers.CharField(allow_blank=True, help_text=_("Why the order could not be confirmed; empty when it was checked."))


class OrdersConfirmResultSerializer(serializers.Serializer):
    results = OrderConfirmResultSerializer(many=True)


class OrderDaySerializer(serializers.Serializer):
    day = serializers.DateField(required=False, allow_null=True, help_text=_("Today if left out."))


class DateRangeFilterSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                        help_text=_("Only this customer's records."))
    date_from = serializers.DateField(required=False, allow_null=True, help_text=_("On or after this day."))
    date_to = serializers.DateField(required=False, allow_null=True, help_text=_("On or before this day."))

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError({"date_to": [_("The end date is before the start date.")]})
        return attrs


class OrderFilterSerializer(DateRangeFilterSerializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False, allow_blank=True)
    ordering = serializers.ChoiceField(choices=list(ORDER_ORDERINGS), required=False, default="-order_date")


def _order_action(summary: str | Promise, request=None):
    return extend_schema(summary=summary, request=request, responses=OrderSerializer)


@extend_schema_view(
    list=extend_schema(summary=_("List the orders you may see"), parameters=[OrderFilterSerializer],
                       responses=OrderSummarySerializer(many=True)),
    retrieve=extend_schema(summary=_("Open an order with its lines")),
    create=extend_schema(summary=_("Enter a draft order with its lines"), request=OrderCreateSerializer,
                         responses={201: OrderSerializer}),
)
class OrderViewSet(viewsets.GenericViewSet):
    serializer_class = OrderSerializer
    queryset = Order.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = OrderFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(order_list(user=request.user, **params.validated_data))
        return self.get_paginated_response(OrderSummarySerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(OrderSerializer(order_with_lines(order=order_get(user=request.user, pk=pk))).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = OrderCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        order = order_create(user=request.user, **form.validated_data)
        return Response(OrderSerializer(order_with_lines(order=order)).data, status=status.HTTP_201_CREATED)

    @_order_action(_("Replace the lines of a draft order"), request=OrderLinesSerializer)
    @action(detail=True, methods=["put"])
    def lines(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        order = order_get(user=request.user, pk=pk)
        form = OrderLinesSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        order = order_update_lines(user=request.user, order=order, lines=form.validated_data["lines"])
        return Response(OrderSerializer(order_with_lines(order=order)).data)

    @_order_action(_("Confirm an order; the credit check may hold it instead"))
    @action(detail=True, methods=["post"])
    def confirm(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        order = order_confirm(user=request.user, order=order_get(user=request.user, pk=pk))
        return Response(OrderSerializer(order_with_lines(order=order)).data)

    @extend_schema(operation_id="orders_confirm_many", summary=_("Confirm many orders at once; each passes the credit check as if confirmed alone"),
                   request=OrdersConfirmSerializer, responses=OrdersConfirmResultSerializer)
    @action(detail=False, methods=["post"], url_path="confirm")
    def confirm_many(self, request: AuthenticatedApiRequest) -> Response:
        form = OrdersConfirmSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        wanted = list(dict.fromkeys(form.validated_data["orders"]))
        found = {o.pk: o for o in order_visible(user=request.user).filter(pk__in=wanted).select_related("customer")}
        outcome = {order.pk: (order, result) for order, result in orders_confirm(user=request.user, orders=list(found.values()))}
        results = []
        for pk in wanted:
            if pk not in outcome:
                results.append({"id": pk, "number": None, "status": None, "error": str(_("No such order."))})
                continue
            order, result = outcome[pk]
            checked = result in (OrderStatus.CONFIRMED, OrderStatus.HELD)
            results.append({"id": pk, "number": order.number, "status": result if checked else order.status,
                            "error": "" if checked else result})
        return Response({"results": results})

    @_order_action(_("Mark a confirmed order delivered"), request=OrderDaySerializer)
    @action(detail=True, methods=["post"])
    def deliver(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        order = order_get(user=request.user, pk=pk)
        form = OrderDaySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        order = order_deliver(user=request.user, order=order, day=form.validated_data.get("day"))
        return Response(OrderSerializer(order_with_lines(order=order)).data)

    @_order_action(_("Invoice a delivered order, opening its receivable"), request=OrderDaySerializer)
    @action(detail=True, methods=["post"])
    def invoice(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        order = order_get(user=request.user, pk=pk)
        form = OrderDaySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        order = order_invoice(user=request.user, order=order, day=form.validated_data.get("day"))
        return Response(OrderSerializer(order_with_lines(order=order)).data)

    @_order_action(_("Cancel a draft or confirmed order"))
    @action(detail=True, methods=["post"])
    def cancel(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        order = order_cancel(user=request.user, order=order_get(user=request.user, pk=pk))
        return Response(OrderSerializer(order_with_lines(order=order)).data)


# --- payments --------------------------------------------------------------------------------


class PaymentAllocationSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="receivable.order_id", read_only=True)
    order_number = serializers.CharField(source="receivable.order.number", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["receivable", "order", "order_number", "amount"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    allocations = PaymentAllocationSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id", "customer", "customer_code", "customer_name", "received_on", "amount", "unallocated",
            "channel", "reference", "allocations", "created_at",
        ]
        read_only_fields = fields


class VisibleReceivableField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _("No such receivable in your book."),
        "incorrect_type": _("A receivable is given by its id, a whole number."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Receivable.objects.all())  # narrowed per request below
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Receivable]:
        request = self.context.get("request")
        if request is None:
            return Receivable.objects.none()
        return receivable_visible(user=request.user)


class AllocationInputSerializer(serializers.Serializer):
    receivable = VisibleReceivableField()
    amount = _decimal()


class PaymentCreateSerializer(serializers.Serializer):
    customer = VisibleCustomerField()
    amount = _decimal(help_text=_("Yuan received; more than zero."))
    received_on = serializers.DateField(required=False, allow_null=True, help_text=_("Today if left out."))
    channel = serializers.ChoiceField(choices=PaymentChannel.choices, default=PaymentChannel.BANK)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    allocations = AllocationInputSerializer(
        many=True, required=False,
        help_text=_("Which receivables the money pays; left out, the oldest due first."),
    )


@extend_schema_view(
    list=extend_schema(summary=_("List the payments you may see"), parameters=[DateRangeFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a payment")),
    create=extend_schema(summary=_("Record a payment received (credit controllers)"),
                         request=PaymentCreateSerializer, responses={201: PaymentSerializer}),
)
class PaymentViewSet(viewsets.GenericViewSet):
    serializer_class = PaymentSerializer
    queryset = Payment.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = DateRangeFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(payment_list(user=request.user, **params.validated_data))
        return self.get_paginated_response(PaymentSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(PaymentSerializer(payment_get(user=request.user, pk=pk)).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = PaymentCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        allocations = [(a["receivable"], a["amount"]) for a in data.pop("allocations", None) or []]
        payment = payment_record(user=request.user, allocations=allocations or None, **data)
        return Response(PaymentSerializer(payment_get(user=request.user, pk=payment.pk)).data,
                        status=status.HTTP_201_CREATED)


# --- receivables and allocations (read-only) -------------------------------------------------


class ReceivableDetailSerializer(ReceivableSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    days_overdue = serializers.SerializerMethodField(
        help_text=_("Days past the due date while not settled; 0 when not overdue."))

    class Meta(ReceivableSerializer.Meta):
        fields = ["id", "order", "order_number", "customer", "customer_code", "customer_name",
                  *ReceivableSerializer.Meta.fields[1:], "days_overdue"]
        read_only_fields = fields

    def get_days_overdue(self, receivable: Receivable) -> int:
        if receivable.settled_on is not None:
            return 0
        today = self.context.get("today") or timezone.localdate()
        return max(0, (today - receivable.due_on).days)


class ReceivableFilterSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                        help_text=_("Only this customer's receivables."))
    open = serializers.BooleanField(required=False, allow_null=True,
                                    help_text=_("true: not settled yet; false: settled."))
    overdue = serializers.BooleanField(required=False, allow_null=True,
                                       help_text=_("true: not settled and past the due date; false: all the others."))
    due_from = serializers.DateField(required=False, allow_null=True, help_text=_("Due on or after this day."))
    due_to = serializers.DateField(required=False, allow_null=True, help_text=_("Due on or before this day."))
    ordering = serializers.ChoiceField(choices=list(RECEIVABLE_ORDERINGS), required=False, default="due_on")

    def validate(self, attrs):
        start, end = attrs.get("due_from"), attrs.get("due_to")
        if start and end and start > end:
            raise serializers.ValidationError({"due_to": [_("The end date is before the start date.")]})
        return attrs


@extend_schema_view(
    list=extend_schema(summary=_("List the receivables of the customers you may see"),
                       parameters=[ReceivableFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a receivable")),
)
class ReceivableViewSet(viewsets.GenericViewSet):
    serializer_class = ReceivableDetailSerializer
    queryset = Receivable.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = ReceivableFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        today = timezone.localdate()
        page = self.paginate_queryset(receivable_list(user=request.user, today=today, **params.validated_data))
        return self.get_paginated_response(ReceivableDetailSerializer(page, many=True, context={"today": today}).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(ReceivableDetailSerializer(receivable_get(user=request.user, pk=pk)).data)


class AllocationDetailSerializer(PaymentAllocationSerializer):
    received_on = serializers.DateField(source="payment.received_on", read_only=True)
    customer = serializers.IntegerField(source="payment.customer_id", read_only=True)
    customer_code = serializers.CharField(source="payment.customer.code", read_only=True)
    customer_name = serializers.CharField(source="payment.customer.name", read_only=True)

    class Meta(PaymentAllocationSerializer.Meta):
        fields = ["id", "payment", "received_on", "customer", "customer_code", "customer_name",
                  *PaymentAllocationSerializer.Meta.fields]
        read_only_fields = fields


class AllocationFilterSerializer(serializers.Serializer):
    payment = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                       help_text=_("Only how this payment was allocated."))
    receivable = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                          help_text=_("Only the payments towards this receivable."))
    customer = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                        help_text=_("Only this customer's payments."))


@extend_schema_view(
    list=extend_schema(summary=_("List how the payments you may see were allocated to receivables"),
                       parameters=[AllocationFilterSerializer]),
)
class AllocationViewSet(viewsets.GenericViewSet):
    serializer_class = AllocationDetailSerializer
    queryset = PaymentAllocation.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = AllocationFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(allocation_list(user=request.user, **params.validated_data))
        return self.get_paginated_response(AllocationDetailSerializer(page, many=True).data)


router = SimpleRouter(trailing_slash=False)
router.register("products", ProductViewSet, basename="api-product")
router.register("orders", OrderViewSet, basename="api-order")
router.register("payments", PaymentViewSet, basename="api-payment")
router.register("receivables", ReceivableViewSet, basename="api-receivable")
router.register("payment-allocations", AllocationViewSet, basename="api-payment-allocation")
urlpatterns = router.urls
