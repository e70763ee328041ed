"""Shared API pieces: Django ValidationError from services becomes a 400 with messages; the viewset
of reference data."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Choices
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {("non_field_errors" if field == "__all__" else field): [str(m) for m in msgs]
                    for field, msgs in exc.message_dict.items()}
        else:
            data = {"detail": [str(m) for m in exc.messages]}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


class ReferenceViewSet(viewsets.GenericViewSet):
    """Reference data that everyone signed in reads and administrators keep (products, regions,
    teams, industries): list with filters, open, add, change — never delete, as records refer to
    them. Rows come from the app's selectors and writes go through its service; a subclass names
    its serializers and those three functions."""

    filter_serializer_class: type[serializers.Serializer]
    write_serializer_class: type[serializers.Serializer]

    def select(self, **filters: Any) -> Any:
        raise NotImplementedError

    def fetch(self, pk: str) -> Any:
        raise NotImplementedError

    def save(self, *, user: Any, data: dict[str, Any], instance: Any = None) -> Any:
        raise NotImplementedError

    def list(self, request: Request) -> Response:
        params = self.filter_serializer_class(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(self.select(**params.validated_data))
        return self.get_paginated_response(self.get_serializer_class()(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer_class()(self.fetch(pk)).data)

    def create(self, request: Request) -> Response:
        form = self.write_serializer_class(data=request.data)
        form.is_valid(raise_exception=True)
        saved = self.save(user=request.user, data=form.validated_data)
        return Response(self.get_serializer_class()(saved).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        instance = self.fetch(pk)
        form = self.write_serializer_class(instance, data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        saved = self.save(user=request.user, data=form.validated_data, instance=instance)
        return Response(self.get_serializer_class()(saved).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)


def named_choice_field(choices: type[Choices], component_name: str, *, blank: bool = False
                       ) -> Callable[..., serializers.ChoiceField]:
    """A choice field whose enum has its own name in the schema (the same field name holds different
    sets in different apps, and the schema must not guess between them). ``blank``: "" is a value too."""

    @extend_schema_field({"type": "string", "enum": [*choices.values, ""] if blank else choices.values},
                         component_name=component_name)
    class NamedChoiceField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            if blank:
                kwargs.setdefault("allow_blank", True)
            super().__init__(choices=choices.choices, **kwargs)

    NamedChoiceField.__name__ = f"{component_name}Field"
    return NamedChoiceField
