"""Reads for the import pages and API: which kinds of file a person may import, and their imports."""

from django.db.models import QuerySet

from kehu.accounts.models import User
from kehu.accounts.permissions import assignable_owners
from kehu.customers.assignment import rule_choices

from .mapping import KIND_CHOICES, Kind
from .models import ImportJob
from .permissions import can_import


def import_kinds(*, user: User) -> list[tuple[str, str]]:
    """The kinds ``user`` may import (``permissions.can_import``), in the order of the upload page."""
    return [(k, label) for k, label in KIND_CHOICES if can_import(user, k)]


def assign_choices(*, user: User, kind: str) -> list[tuple[str, str]]:
    """Where new customers without an owner column may go, for a file of customers or prospects."""
    if kind not in (Kind.CUSTOMERS, Kind.PROSPECTS):
        return []
    return rule_choices(user=user, owners=list(assignable_owners(user).order_by("username")))


def job_list(*, user: User, kind: str = "", status: str = "") -> QuerySet[ImportJob]:
    """``user``'s own imports, newest first, without the files themselves."""
    qs = ImportJob.objects.filter(user=user).defer("data")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")
