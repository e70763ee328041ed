"""REST API for customers, contacts, needs (C4) and industries: parse input, call one selector
or service, render.

Visibility is the selectors' (a customer another rep owns answers 404, and so do its contacts and
needs); every change goes through ``services.py``, which raises ValidationError (400) and
PermissionDenied (403). Industries are read by everyone and changed by administrators.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from kehu.accounts.api import AuthenticatedApiRequest, IsAdminOrReadOnly
from kehu.accounts.models import User
from kehu.core.api import ReferenceViewSet

from .models import (
    AbcGrade,
    ColourGrade,
    Contact,
    Customer,
    CustomerNeed,
    Industry,
    Lifecycle,
    NeedCategory,
)
from .selectors import (
    INDUSTRY_ORDERINGS,
    NEED_ORDERINGS,
    ORDERINGS,
    CustomerFilters,
    contact_get,
    contact_visible,
    customer_get,
    customer_list,
    customer_visible,
    industry_get,
    industry_list,
    need_get,
    need_list,
)
from .services import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    INDUSTRY_FIELDS,
    NEED_FIELDS,
    contact_create,
    contact_delete,
    contact_update,
    customer_create,
    customer_update,
    industry_save,
    need_delete,
    need_save,
)

# --- input fields shared with the ledger API -------------------------------------------------


class VisibleCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer id, looked up among the customers the requesting user may see.

    Another rep's customer gets the same answer as one that does not exist.
    """

    default_error_messages = {
        "required": _("Choose a customer."),
        "does_not_exist": _("No such customer in your book."),
        "incorrect_type": _("A customer is given by its id, a whole number."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Customer.objects.all())  # narrowed per request below
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Customer]:
        request = self.context.get("request")
        if request is None:
            return Customer.objects.none()
        return customer_visible(user=request.user)


# --- customers -------------------------------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer):
    owner_name: serializers.StringRelatedField = serializers.StringRelatedField(source="owner", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True, allow_null=True, default=None)
    industry_name = serializers.CharField(source="industry.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Customer
        fields = [
            "id", "code", "name", "short_name", "uscc", "industry", "industry_name", "region", "region_name",
            "owner", "owner_name", "phone", "website", "address", "province", "city", "district", "lng", "lat",
            "lifecycle", "colour", "colour_sub", "source", "source_detail", "pursuit", "pursuit_reason",
            "is_key_account", "abc_grade", "current_supplier", "buying_process", "our_share_pct",
            "payment_terms_days", "notes", "created_at", "updated_at",
        ]
        read_only_fields = fields
        # Read-only fields lose allow_blank in DRF; without it the schema's enums leave out the
        # "" that a customer with no grade, source or pursuit decision has.
        extra_kwargs = {name: {"allow_blank": True} for name in ("colour", "source", "pursuit", "abc_grade")}


class CustomerWriteSerializer(serializers.ModelSerializer):
    """What a client may send to create or change a customer; the service decides the rest."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False,
        help_text=_("The owner rep; by default the user creating the customer."),
    )

    class Meta:
        model = Customer
        fields = sorted(CUSTOMER_FIELDS)
        # Uniqueness is checked once, by the model and the database through the service.
        extra_kwargs = {
            "code": {"required": False, "validators": [],
                     "help_text": _("Left empty, Kehu assigns the next code.")},
            "uscc": {"validators": []},
        }
        validators: list = []


class CustomerFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100,
                              help_text=_("Search by name, code, pinyin, initials, contact or phone."))
    owner = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    team = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    region = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    industry = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices, required=False, allow_blank=True)
    colour = serializers.ChoiceField(choices=ColourGrade.choices, required=False, allow_blank=True)
    grade = serializers.ChoiceField(
        choices=[*AbcGrade.choices, ("-", _("Not graded"))], required=False, allow_blank=True,
        help_text=_("ABC grade; “-” for customers not graded yet."),
    )
    key_account = serializers.BooleanField(required=False, allow_null=True)
    ordering = serializers.ChoiceField(choices=list(ORDERINGS), required=False, default="code")


@extend_schema_view(
    list=extend_schema(summary=_("List the customers you may see"), parameters=[CustomerFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a customer card")),
    create=extend_schema(summary=_("Create a customer"), request=CustomerWriteSerializer,
                         responses={201: CustomerSerializer}),
    update=extend_schema(summary=_("Change a customer"), request=CustomerWriteSerializer,
                         responses=CustomerSerializer),
    partial_update=extend_schema(summary=_("Change some fields of a customer"), request=CustomerWriteSerializer,
                                 responses=CustomerSerializer),
)
class CustomerViewSet(viewsets.GenericViewSet):
    serializer_class = CustomerSerializer
    queryset = Customer.objects.none()  # for the schema; rows come from the selectors

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = CustomerFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = customer_list(user=request.user, filters=CustomerFilters(**params.validated_data))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CustomerSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(CustomerSerializer(customer_get(user=request.user, pk=pk)).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = CustomerWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        customer = customer_create(user=request.user, data=form.validated_data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)

    def update(self, request: AuthenticatedApiRequest, pk: str, partial: bool = False) -> Response:
        customer = customer_get(user=request.user, pk=pk)
        form = CustomerWriteSerializer(customer, data=request.data, partial=partial,
                                       context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        customer = customer_update(user=request.user, customer=customer, data=form.validated_data)
        return Response(CustomerSerializer(customer).data)

    def partial_update(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return self.update(request, pk, partial=True)


# --- contacts --------------------------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "customer", *sorted(CONTACT_FIELDS), "created_at", "updated_at"]
        read_only_fields = fields


class ContactWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = sorted(CONTACT_FIELDS)


class ContactCreateSerializer(ContactWriteSerializer):
    customer = VisibleCustomerField()

    class Meta(ContactWriteSerializer.Meta):
        fields = ["customer", *sorted(CONTACT_FIELDS)]


class ContactFilterSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                        help_text=_("Only this customer's contacts."))


@extend_schema_view(
    list=extend_schema(summary=_("List contacts of the customers you may see"),
                       parameters=[ContactFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a contact")),
    create=extend_schema(summary=_("Add a contact to a customer"), request=ContactCreateSerializer,
                         responses={201: ContactSerializer}),
    update=extend_schema(summary=_("Change a contact"), request=ContactWriteSerializer,
                         responses=ContactSerializer),
    partial_update=extend_schema(summary=_("Change some fields of a contact"), request=ContactWriteSerializer,
                                 responses=ContactSerializer),
    destroy=extend_schema(summary=_("Delete a contact")),
)
class ContactViewSet(viewsets.GenericViewSet):
    serializer_class = ContactSerializer
    queryset = Contact.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = ContactFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = contact_visible(user=request.user)
        if params.validated_data.get("customer"):
            qs = qs.filter(customer_id=params.validated_data.get("customer"))
        page = self.paginate_queryset(qs.order_by("customer_id", "-is_primary", "name", "id"))
        return self.get_paginated_response(ContactSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(ContactSerializer(contact_get(user=request.user, pk=pk)).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = ContactCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        contact = contact_create(user=request.user, customer=data.pop("customer"), data=data)
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    def update(self, request: AuthenticatedApiRequest, pk: str, partial: bool = False) -> Response:
        contact = contact_get(user=request.user, pk=pk)
        form = ContactWriteSerializer(contact, data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        contact = contact_update(user=request.user, contact=contact, data=form.validated_data)
        return Response(ContactSerializer(contact).data)

    def partial_update(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        contact_delete(user=request.user, contact=contact_get(user=request.user, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- needs (C4) ------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "enum": NeedCategory.values}, component_name="NeedCategory")
class NeedCategoryField(serializers.ChoiceField):
    """The catalogue's categories and "other": a set of its own, named so in the schema."""

    def __init__(self, **kwargs):
        super().__init__(choices=NeedCategory.choices, **kwargs)


class NeedSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    category = NeedCategoryField(read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = CustomerNeed
        fields = ["id", "customer", "customer_code", "customer_name", "category", "category_label",
                  *(f for f in NEED_FIELDS if f != "category"), "created_at", "updated_at"]
        read_only_fields = fields


class NeedWriteSerializer(serializers.ModelSerializer):
    category = NeedCategoryField()

    class Meta:
        model = CustomerNeed
        fields = list(NEED_FIELDS)
        extra_kwargs = {
            "monthly_volume": {"help_text": _("How much they buy a month, in the unit given.")},
            "our_share_pct": {"help_text": _("How much of this need we supply, 0–100.")},
        }


class NeedCreateSerializer(NeedWriteSerializer):
    customer = VisibleCustomerField()

    class Meta(NeedWriteSerializer.Meta):
        fields = ["customer", *NEED_FIELDS]


class NeedFilterSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                        help_text=_("Only this customer's needs."))
    category = NeedCategoryField(required=False, allow_blank=True)
    ordering = serializers.ChoiceField(choices=list(NEED_ORDERINGS), required=False, default="customer")


@extend_schema_view(
    list=extend_schema(summary=_("List the needs of the customers you may see"), parameters=[NeedFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a customer's need")),
    create=extend_schema(summary=_("Record a need of a customer"), request=NeedCreateSerializer,
                         responses={201: NeedSerializer}),
    update=extend_schema(summary=_("Change a need"), request=NeedWriteSerializer, responses=NeedSerializer),
    partial_update=extend_schema(summary=_("Change some fields of a need"), request=NeedWriteSerializer,
                                 responses=NeedSerializer),
    destroy=extend_schema(summary=_("Delete a need")),
)
class NeedViewSet(viewsets.GenericViewSet):
    serializer_class = NeedSerializer
    queryset = CustomerNeed.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = NeedFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(need_list(user=request.user, **params.validated_data))
        return self.get_paginated_response(NeedSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(NeedSerializer(need_get(user=request.user, pk=pk)).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = NeedCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        need = need_save(user=request.user, customer=data.pop("customer"), data=data)
        return Response(NeedSerializer(need).data, status=status.HTTP_201_CREATED)

    def update(self, request: AuthenticatedApiRequest, pk: str, partial: bool = False) -> Response:
        need = need_get(user=request.user, pk=pk)
        form = NeedWriteSerializer(need, data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        need = need_save(user=request.user, customer=need.customer, data=form.validated_data, need=need)
        return Response(NeedSerializer(need).data)

    def partial_update(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        need_delete(user=request.user, need=need_get(user=request.user, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- industries ------------------------------------------------------------------------------


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["id", *INDUSTRY_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields


class IndustryWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = list(INDUSTRY_FIELDS)
        # Uniqueness is checked once, by the model and the database through the service.
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}


class IndustryFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100,
                              help_text=_("Part of the code or of the Chinese or English name."))
    sunset = serializers.BooleanField(required=False, allow_null=True,
                                      help_text=_("true: only sunset industries; false: all the others."))
    ordering = serializers.ChoiceField(choices=list(INDUSTRY_ORDERINGS), required=False, default="code")


@extend_schema_view(
    list=extend_schema(summary=_("List the industries customers are classified by"),
                       parameters=[IndustryFilterSerializer]),
    retrieve=extend_schema(summary=_("Open an industry")),
    create=extend_schema(summary=_("Add an industry (administrators)"), request=IndustryWriteSerializer,
                         responses={201: IndustrySerializer}),
    update=extend_schema(summary=_("Change an industry (administrators)"), request=IndustryWriteSerializer,
                         responses=IndustrySerializer),
    partial_update=extend_schema(summary=_("Change some fields of an industry (administrators)"),
                                 request=IndustryWriteSerializer, responses=IndustrySerializer),
)
class IndustryViewSet(ReferenceViewSet):
    serializer_class = IndustrySerializer
    filter_serializer_class = IndustryFilterSerializer
    write_serializer_class = IndustryWriteSerializer
    permission_classes = [IsAdminOrReadOnly]
    queryset = Industry.objects.none()

    def select(self, **filters: Any) -> Any:
        return industry_list(**filters)

    def fetch(self, pk: str) -> Industry:
        return industry_get(pk=pk)

    def save(self, *, user: Any, data: dict[str, Any], instance: Industry | None = None) -> Industry:
        return industry_save(user=user, data=data, industry=instance)


router = SimpleRouter(trailing_slash=False)
router.register("customers", CustomerViewSet, basename="api-customer")
router.register("contacts", ContactViewSet, basename="api-contact")
router.register("needs", NeedViewSet, basename="api-need")
router.register("industries", IndustryViewSet, basename="api-industry")
urlpatterns = router.urls
