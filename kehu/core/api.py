"""Shared API pieces: Django ValidationError from services becomes a 400 with messages."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
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
