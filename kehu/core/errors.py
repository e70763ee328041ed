"""Errors raised by service functions.

Services raise ``ValidationError`` (Django's) with translatable messages keyed by field, so a
page form, the API and an import all show the same message in the user's language.
"""

from django.core.exceptions import PermissionDenied, ValidationError

__all__ = ["ValidationError", "PermissionDenied", "NotVisible"]


class NotVisible(Exception):
    """The record exists but the user may not see it; views answer 404, never the record."""
