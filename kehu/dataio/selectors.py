"""Reads for the import pages and API: which kinds of file a person may import, and their imports."""

from django.db.models import QuerySet
from django.utils.functional import Promise

from kehu.accounts.models import User
from kehu.accounts.permissions import (
    assignable_owners,
    can_manage_organisation,
)
from kehu.customers.assignment import rule_choices
from kehu.customers.models import ColourGrade, Industry, Lifecycle, SourceMethod
from kehu.ledger.models import OrderStatus, PaymentChannel, PaymentMethod, ProductCategory, Unit

from .mapping import CREATE, FIELDS, KIND_CHOICES, PEOPLE_FIELDS, Kind
from .models import ImportJob
from .permissions import can_import


def import_kinds(*, user: User) -> list[tuple[str, str | Promise]]:
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


CHOICE_FIELDS = {
    "category": ProductCategory, "pack_unit": Unit, "sales_unit": Unit, "status": OrderStatus,
    "payment_method": PaymentMethod, "channel": PaymentChannel, "source": SourceMethod, "colour": ColourGrade,
    "lifecycle": Lifecycle,
}


def value_options(*, user: User, kind: str, field: str) -> tuple[list[tuple[str, str]], bool]:
    """What an unknown value of ``field`` may be mapped to in a file of ``kind``, as (answer, label),
    and whether ``user`` may add it as a new value instead (industries, for those who keep the list)."""
    if field not in {f.name for f in FIELDS.get(kind, [])}:
        return [], False
    if field == "industry":
        options = [(str(pk), name) for pk, name in Industry.objects.order_by("code").values_list("pk", "name")]
        return options, can_manage_organisation(user)
    if field in PEOPLE_FIELDS:
        people = assignable_owners(user) if field == "owner" else User.objects.filter(is_active=True)
        return [(str(u.pk), f"{u} ({u.username})") for u in people.order_by("username")], False
    enum = CHOICE_FIELDS.get(field)
    if enum is None:
        return [], False
    return [(value, str(label)) for value, label in enum.choices], False


def unknown_values(*, user: User, job: ImportJob) -> list[dict]:
    """The preview's questions: each unknown value once, with what it may become and the answer so far."""
    out = []
    labels = {f.name: str(f.label) for f in FIELDS[job.kind]}
    answers = job.values or {}
    for entry in (job.result or {}).get("unknown", []):
        options, can_create = value_options(user=user, kind=job.kind, field=entry["field"])
        if not options and not can_create:
            continue
        out.append({"field": entry["field"], "label": labels.get(entry["field"], entry["field"]),
                    "options": options, "can_create": can_create, "create": CREATE,
                    "values": [dict(v, answer=answers.get(entry["field"], {}).get(v["value"], "")) for v in entry["values"]]})
    return out
