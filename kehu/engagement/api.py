"""REST API for touchpoints (P4) and reminders: parse, call one selector or service, render."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kehu.accounts.api import AuthenticatedApiRequest
from kehu.customers.selectors import customer_get

from . import selectors, services
from .models import TouchMethod, Touchpoint, TouchStatus


class TouchpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = Touchpoint
        fields = ["id", "customer", "contact", "method", "status", "planned_on", "done_on", "outcome", "cost", "notes",
                  "rep", "created_at"]


class TouchpointInSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    contact = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    method = serializers.ChoiceField(choices=TouchMethod.values)
    status = serializers.ChoiceField(choices=[TouchStatus.DONE, TouchStatus.PLANNED], default=TouchStatus.DONE)
    planned_on = serializers.DateField(required=False, allow_null=True)
    done_on = serializers.DateField(required=False, allow_null=True)
    outcome = serializers.CharField(max_length=300, required=False, allow_blank=True)
    cost = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, min_value=0)
    notes = serializers.CharField(max_length=300, required=False, allow_blank=True)


class TouchpointQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = serializers.ChoiceField(choices=TouchStatus.values, required=False)
    mine = serializers.BooleanField(required=False, default=False)


class CompleteInSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    cost = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, min_value=0, allow_null=True)


class TouchpointListView(generics.ListAPIView):
    serializer_class = TouchpointSerializer
    queryset = Touchpoint.objects.none()

    def get_queryset(self):
        q = TouchpointQuerySerializer(data=self.request.query_params)
        q.is_valid(raise_exception=True)
        return selectors.touchpoint_list(user=self.request.user, **q.validated_data).order_by("-id")

    @extend_schema(parameters=[TouchpointQuerySerializer], summary="Touchpoints of the customers you may see")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=TouchpointInSerializer, responses={201: TouchpointSerializer},
                   summary="Log a touch that happened, or plan one")
    def post(self, request: AuthenticatedApiRequest) -> Response:
        form = TouchpointInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = dict(form.validated_data)
        customer = customer_get(user=request.user, pk=d.pop("customer"))
        if d.pop("status") == TouchStatus.PLANNED:
            touch = services.touchpoint_plan(user=request.user, customer=customer, data=d)
        else:
            d["done_on"] = d.get("done_on")
            touch = services.touchpoint_log(user=request.user, customer=customer, data=d)
        return Response(TouchpointSerializer(touch).data, status=status.HTTP_201_CREATED)


class TouchpointCompleteView(APIView):
    @extend_schema(request=CompleteInSerializer, responses={200: TouchpointSerializer}, summary="A planned touch done")
    def post(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        touch = selectors.touchpoint_get(user=request.user, pk=pk)
        form = CompleteInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        done = services.touchpoint_complete(user=request.user, touchpoint=touch, **form.validated_data)
        return Response(TouchpointSerializer(done).data)


class ReminderSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["birthday", "festival", "occasion", "due"])
    date = serializers.DateField()
    title = serializers.CharField()
    key = serializers.CharField()
    method = serializers.CharField()
    customer_id = serializers.IntegerField(allow_null=True)
    customer_name = serializers.CharField(allow_blank=True)
    contact_id = serializers.IntegerField(allow_null=True)
    touchpoint_id = serializers.IntegerField(allow_null=True)


class ReminderQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(required=False, min_value=1, max_value=60, default=14)


class ReminderPlanSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=60)


class ReminderListView(APIView):
    @extend_schema(parameters=[ReminderQuerySerializer], responses={200: ReminderSerializer(many=True)},
                   summary="Your reminders: birthdays (solar or lunar), festivals, occasions, touches due")
    def get(self, request: AuthenticatedApiRequest) -> Response:
        from django.utils import timezone

        q = ReminderQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        found = selectors.reminders_for(user=request.user, today=timezone.localdate(), days=q.validated_data["days"])
        return Response(ReminderSerializer(found, many=True).data)


class ReminderPlanView(APIView):
    @extend_schema(request=ReminderPlanSerializer, responses={200: TouchpointSerializer(many=True)},
                   summary="Turn a reminder into planned touchpoints in one step")
    def post(self, request: AuthenticatedApiRequest) -> Response:
        form = ReminderPlanSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        planned = services.reminder_plan(user=request.user, key=form.validated_data["key"])
        return Response(TouchpointSerializer(planned, many=True).data)


urlpatterns = [
    path("touchpoints", TouchpointListView.as_view(), name="api-touchpoints"),
    path("touchpoints/<int:pk>/complete", TouchpointCompleteView.as_view(), name="api-touchpoint-complete"),
    path("reminders", ReminderListView.as_view(), name="api-reminders"),
    path("reminders/plan", ReminderPlanView.as_view(), name="api-reminder-plan"),
]
