"""REST API for the signed-in user: who am I, and a token for API clients."""

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate, user_logged_in
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Role, User
from .permissions import can_enter_orders, can_record_payments


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
    def get(self, request: Request) -> Response:
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


urlpatterns = [
    path("me", MeView.as_view(), name="api-me"),
    path("auth/token", TokenLoginView.as_view(), name="api-token"),
]
