"""REST API for the organisation: who am I, a token for API clients, regions, teams, the people
directory and each person's inbox.

Everyone signed in reads regions, teams and the directory of active people (pages show their
names); administrators change them through ``services.py``, which refuses anyone else (403). No
account is ever deleted, only switched off, and nobody changes their own role. A person reads and
marks only their own notifications; another person's answers 404.
"""

from typing import Any

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate, user_logged_in
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from kehu.core.api import ReferenceViewSet

from .models import Notification, Region, Role, Team, User
from .permissions import can_enter_orders, can_manage_organisation, can_record_payments
from .selectors import (
    REGION_ORDERINGS,
    TEAM_ORDERINGS,
    USER_ORDERINGS,
    notification_get,
    notification_list,
    region_get,
    region_list,
    team_get,
    team_list,
    user_get,
    user_list,
)
from .services import (
    REGION_FIELDS,
    TEAM_FIELDS,
    USER_FIELDS,
    notification_mark_read,
    region_save,
    team_save,
    user_create,
    user_set_active,
    user_update,
)


class AuthenticatedApiRequest(Request):
    """The request an API view receives, for the type checker: every endpoint requires a signed-in
    user (``IsAuthenticated`` by default), so its user is a Kehu user, never the anonymous one."""

    user: User  # narrower than Request's, as IsAuthenticated guarantees


class MeSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="__str__", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True, default=None)
    sees_all = serializers.BooleanField(read_only=True, help_text=_("Sees every customer, not only a book."))
    can_enter_orders = serializers.SerializerMethodField()
    can_record_payments = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id", "username", "display_name", "email", "role", "role_label", "team", "team_name",
            "is_superuser", "sees_all", "can_enter_orders", "can_record_payments",
        ]
        read_only_fields = fields
        # Users may have no e-mail address: "" is a valid answer, not an address to validate.
        extra_kwargs = {"email": {"allow_blank": True}}

    def get_can_enter_orders(self, user: User) -> bool:
        return bool(can_enter_orders(user))

    def get_can_record_payments(self, user: User) -> bool:
        return bool(can_record_payments(user))


class MeView(APIView):
    @extend_schema(summary=_("The signed-in user and their role"), responses=MeSerializer)
    def get(self, request: AuthenticatedApiRequest) -> Response:
        return Response(MeSerializer(request.user).data)


class TokenLoginSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("User name"), write_only=True)
    password = serializers.CharField(label=_("Password"), style={"input_type": "password"},
                                     trim_whitespace=False, write_only=True)
    token = serializers.CharField(label=_("Token"), read_only=True)

    def validate(self, attrs):
        # django-axes counts failures per user name and address and needs the request for it
        # (without one its backend refuses to authenticate at all). It flags a lockout on the
        # request given, here DRF's: the view answers that in JSON, not the login page's HTML.
        user = authenticate(request=self.context["request"], username=attrs["username"],
                            password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(_("Wrong user name or password."), code="authorization")
        attrs["user"] = user
        return attrs


class TokenLoginView(ObtainAuthToken):
    """Exchange a user name and password for an API token.

    Throttled like the login page: after too many failures for a user name from one address,
    django-axes locks both out for the cool-off time and this answers 429.
    """

    serializer_class = TokenLoginSerializer

    @extend_schema(
        summary=_("Get an API token"),
        request=TokenLoginSerializer,
        responses={
            200: TokenLoginSerializer,
            400: OpenApiResponse(description=_("Wrong user name or password.")),
            429: OpenApiResponse(description=_("Too many failed logins; try again later.")),
        },
        auth=[],
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        form = self.get_serializer(data=request.data)
        valid = form.is_valid()
        if getattr(request, "axes_locked_out", False):
            raise Throttled(wait=_cool_off_seconds(request),
                            detail=gettext("Too many failed logins. Wait a while and try again."))
        if not valid:
            return Response(form.errors, status=400)
        user = form.validated_data["user"]
        # Records last_login and, with AXES_RESET_ON_SUCCESS, clears the failure count.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


def _cool_off_seconds(request: Request) -> int | None:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else None


class IsAdminOrReadOnly(permissions.BasePermission):
    """Everyone signed in reads; administrators change (the services check it again)."""

    message = _("Only administrators change users, teams, regions and industries.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or can_manage_organisation(request.user)


# --- regions ---------------------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    parent_name = serializers.CharField(source="parent.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "parent", "parent_name", "provinces", "created_at", "updated_at"]
        read_only_fields = fields


class RegionWriteSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]  # a declared field, not Field.parent
        queryset=Region.objects.all(), required=False, allow_null=True,
        error_messages={"does_not_exist": _("No such region."),
                        "incorrect_type": _("A region is given by its id, a whole number.")},
    )

    class Meta:
        model = Region
        fields = list(REGION_FIELDS)
        # Uniqueness is checked once, by the model and the database through the service.
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}


class RegionFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100,
                              help_text=_("Part of the code, the name or a province covered."))
    parent = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,  # type: ignore[assignment]  # a declared field named like a Field attribute
                                      help_text=_("Only the subregions of this region."))
    ordering = serializers.ChoiceField(choices=list(REGION_ORDERINGS), required=False, default="code")


@extend_schema_view(
    list=extend_schema(summary=_("List the sales regions"), parameters=[RegionFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a region")),
    create=extend_schema(summary=_("Add a region (administrators)"), request=RegionWriteSerializer,
                         responses={201: RegionSerializer}),
    update=extend_schema(summary=_("Change a region (administrators)"), request=RegionWriteSerializer,
                         responses=RegionSerializer),
    partial_update=extend_schema(summary=_("Change some fields of a region (administrators)"),
                                 request=RegionWriteSerializer, responses=RegionSerializer),
)
class RegionViewSet(ReferenceViewSet):
    serializer_class = RegionSerializer
    filter_serializer_class = RegionFilterSerializer
    write_serializer_class = RegionWriteSerializer
    permission_classes = [IsAdminOrReadOnly]
    queryset = Region.objects.none()  # for the schema; rows come from the selectors

    def select(self, **filters: Any) -> Any:
        return region_list(**filters)

    def fetch(self, pk: str) -> Region:
        return region_get(pk=pk)

    def save(self, *, user: Any, data: dict[str, Any], instance: Region | None = None) -> Region:
        return region_save(user=user, data=data, region=instance)


# --- teams -----------------------------------------------------------------------------------


class TeamSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    supervisor_name = serializers.CharField(source="supervisor.__str__", read_only=True, allow_null=True,
                                            default=None)

    class Meta:
        model = Team
        fields = ["id", "name", "region", "region_name", "supervisor", "supervisor_name", "prospect_target",
                  "created_at", "updated_at"]
        read_only_fields = fields


class TeamWriteSerializer(serializers.ModelSerializer):
    region = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(),
        error_messages={"does_not_exist": _("No such region."),
                        "incorrect_type": _("A region is given by its id, a whole number.")},
    )
    supervisor = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True,
        help_text=_("An active user with the supervisor role."),
        error_messages={"does_not_exist": _("No such user."),
                        "incorrect_type": _("A user is given by its id, a whole number.")},
    )

    class Meta:
        model = Team
        fields = list(TEAM_FIELDS)
        extra_kwargs: dict[str, dict[str, Any]] = {"name": {"validators": []}}


class TeamFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text=_("Part of the name."))
    region = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    ordering = serializers.ChoiceField(choices=list(TEAM_ORDERINGS), required=False, default="name")


@extend_schema_view(
    list=extend_schema(summary=_("List the sales teams"), parameters=[TeamFilterSerializer]),
    retrieve=extend_schema(summary=_("Open a team")),
    create=extend_schema(summary=_("Add a team (administrators)"), request=TeamWriteSerializer,
                         responses={201: TeamSerializer}),
    update=extend_schema(summary=_("Change a team (administrators)"), request=TeamWriteSerializer,
                         responses=TeamSerializer),
    partial_update=extend_schema(summary=_("Change some fields of a team (administrators)"),
                                 request=TeamWriteSerializer, responses=TeamSerializer),
)
class TeamViewSet(ReferenceViewSet):
    serializer_class = TeamSerializer
    filter_serializer_class = TeamFilterSerializer
    write_serializer_class = TeamWriteSerializer
    permission_classes = [IsAdminOrReadOnly]
    queryset = Team.objects.none()

    def select(self, **filters: Any) -> Any:
        return team_list(**filters)

    def fetch(self, pk: str) -> Team:
        return team_get(pk=pk)

    def save(self, *, user: Any, data: dict[str, Any], instance: Team | None = None) -> Team:
        return team_save(user=user, data=data, team=instance)


# --- the people directory --------------------------------------------------------------------


class UserSerializer(serializers.ModelSerializer):
    """What everyone signed in may read about a colleague."""

    display_name = serializers.CharField(source="__str__", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "role", "role_label", "team", "team_name", "is_active"]
        read_only_fields = fields


class UserAccountSerializer(UserSerializer):
    """An account as its administrator sees it after a change."""

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "first_name", "last_name", "email", "phone", "approval_limit",
                  "last_login", "date_joined"]
        read_only_fields = fields
        extra_kwargs = {"email": {"allow_blank": True}}


class UserWriteSerializer(serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True,
        error_messages={"does_not_exist": _("No such team."),
                        "incorrect_type": _("A team is given by its id, a whole number.")},
    )

    class Meta:
        model = User
        fields = list(USER_FIELDS)
        extra_kwargs: dict[str, dict[str, Any]] = {
            "display_name": {"help_text": _("The name pages show; the user name when left empty.")},
            "approval_limit": {"help_text": _("The largest credit amount this person may approve, in yuan.")},
        }


class UserCreateSerializer(UserWriteSerializer):
    password = serializers.CharField(
        required=False, write_only=True, trim_whitespace=False, max_length=128, style={"input_type": "password"},
        help_text=_("Left out, the account cannot sign in until a password is set."),
    )

    class Meta(UserWriteSerializer.Meta):
        fields = ["username", "password", *USER_FIELDS]
        # The user name is checked once, by the model and the database through the service.
        extra_kwargs = {**UserWriteSerializer.Meta.extra_kwargs, "username": {"validators": []}}


class UserFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100,
                              help_text=_("Part of the user name or the name."))
    role = serializers.ChoiceField(choices=Role.choices, required=False, allow_blank=True)
    team = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    active = serializers.BooleanField(
        required=False, allow_null=True,
        help_text=_("Administrators also see accounts switched off; everyone else only active ones."),
    )
    ordering = serializers.ChoiceField(choices=list(USER_ORDERINGS), required=False, default="username")


@extend_schema_view(
    list=extend_schema(summary=_("List the people directory"), parameters=[UserFilterSerializer]),
    retrieve=extend_schema(summary=_("Look up a person")),
    create=extend_schema(summary=_("Add a user (administrators)"), request=UserCreateSerializer,
                         responses={201: UserAccountSerializer}),
    update=extend_schema(summary=_("Change a user (administrators; never their own role)"),
                         request=UserWriteSerializer, responses=UserAccountSerializer),
    partial_update=extend_schema(summary=_("Change some fields of a user (administrators; never their own role)"),
                                 request=UserWriteSerializer, responses=UserAccountSerializer),
)
class UserViewSet(viewsets.GenericViewSet):
    serializer_class = UserSerializer
    permission_classes = [IsAdminOrReadOnly]
    queryset = User.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = UserFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(user_list(viewer=request.user, **params.validated_data))
        return self.get_paginated_response(UserSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(UserSerializer(user_get(viewer=request.user, pk=pk)).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = UserCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = user_create(user=request.user, data=form.validated_data)
        return Response(UserAccountSerializer(user).data, status=status.HTTP_201_CREATED)

    def update(self, request: AuthenticatedApiRequest, pk: str, partial: bool = False) -> Response:
        target = user_get(viewer=request.user, pk=pk)
        form = UserWriteSerializer(target, data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        target = user_update(user=request.user, target=target, data=form.validated_data)
        return Response(UserAccountSerializer(target).data)

    def partial_update(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    @extend_schema(summary=_("Switch an account off: it can no longer sign in (administrators)"), request=None,
                   responses=UserAccountSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        target = user_set_active(user=request.user, target=user_get(viewer=request.user, pk=pk), active=False)
        return Response(UserAccountSerializer(target).data)

    @extend_schema(summary=_("Switch an account on again (administrators)"), request=None,
                   responses=UserAccountSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        target = user_set_active(user=request.user, target=user_get(viewer=request.user, pk=pk), active=True)
        return Response(UserAccountSerializer(target).data)


# --- notifications ---------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.CharField(source="shown", read_only=True)  # in the reader's language
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "text", "link", "created_at", "read_at", "unread"]
        read_only_fields = fields

    def get_unread(self, notification: Notification) -> bool:
        return notification.read_at is None


class NotificationFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True,
                                      help_text=_("true: only unread messages; false: only read ones."))


class NotificationsMarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True, help_text=_("How many messages were unread until now."))


@extend_schema_view(
    list=extend_schema(summary=_("List your notifications, newest first"), parameters=[NotificationFilterSerializer]),
    retrieve=extend_schema(summary=_("Open one of your notifications")),
)
class NotificationViewSet(viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = NotificationFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(notification_list(user=request.user, **params.validated_data))
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(NotificationSerializer(notification_get(user=request.user, pk=pk)).data)

    @extend_schema(summary=_("Mark one of your notifications read"), request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        notification = notification_get(user=request.user, pk=pk)
        notification_mark_read(user=request.user, notification=notification)
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(summary=_("Mark all your notifications read"), request=None, responses=NotificationsMarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: AuthenticatedApiRequest) -> Response:
        return Response({"marked": notification_mark_read(user=request.user)})


router = SimpleRouter(trailing_slash=False)
router.register("regions", RegionViewSet, basename="api-region")
router.register("teams", TeamViewSet, basename="api-team")
router.register("users", UserViewSet, basename="api-user")
router.register("notifications", NotificationViewSet, basename="api-notification")
urlpatterns = [
    path("me", MeView.as_view(), name="api-me"),
    path("auth/token", TokenLoginView.as_view(), name="api-token"),
    *router.urls,
]
