"""The audit trail in the reader's words: each field by its name in the reader's language, the
people, customers and orders by name instead of their ids, choices by their label and times in
the reader's time zone. The entries keep what was stored; only their reading changes."""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kehu.ledger.models import Receivable

from .models import AuditEntry, CreditException, CreditLimit, LimitApplication


def _model(object_type: str) -> type[models.Model] | None:
    """The model an entry is about, by its model name: credit's own first, then any app's."""
    try:
        return apps.get_model("credit", object_type)
    except LookupError:
        pass
    return next((m for m in apps.get_models() if m._meta.model_name == object_type), None)


def _money(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def label_of(obj: models.Model) -> str:
    """How a record is named to a reader, where its own str() would only give an id."""
    if isinstance(obj, LimitApplication):
        return _("application of %(day)s for %(amount)s") % {
            "day": date_format(timezone.localtime(obj.created_at), "Y-m-d"), "amount": _money(obj.requested_limit)}
    if isinstance(obj, CreditException):
        return _("exception for order %(order)s") % {"order": obj.order.number}
    if isinstance(obj, Receivable):
        return _("receivable of order %(order)s") % {"order": obj.order.number}
    if isinstance(obj, CreditLimit):
        return _("limit of %(amount)s") % {"amount": _money(obj.amount)}
    if type(obj).__str__ is models.Model.__str__:
        return f"{capfirst(obj._meta.verbose_name)} {obj.pk}"
    return str(obj)


_RELATED: dict[type[models.Model], tuple[str, ...]] = {CreditException: ("order",), Receivable: ("order",)}


def _labels(model: type[models.Model], ids: set[Any]) -> dict[Any, str]:
    qs = model._default_manager.filter(pk__in=ids)
    if model in _RELATED:
        qs = qs.select_related(*_RELATED[model])
    return {obj.pk: label_of(obj) for obj in qs}


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def _related_model(found: models.Field | None) -> type[models.Model] | None:
    related = found.related_model if found is not None and found.is_relation else None
    return related if isinstance(related, type) else None


def _value(field: models.Field | None, value: Any, names: dict) -> str:
    """One stored value as the reader reads it."""
    if value is None or value == "":
        return "—"
    if field is None:
        return str(value)
    related = _related_model(field)
    if related is not None:
        return names.get((related, value), f"{capfirst(related._meta.verbose_name)} {value}")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(field, models.DateTimeField):
        try:
            moment = datetime.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return date_format(moment, "Y-m-d H:i")
    if isinstance(field, models.DecimalField):
        try:
            return f"{Decimal(str(value)):,.{field.decimal_places}f}"
        except (InvalidOperation, ValueError):
            return str(value)
    return str(value)


@dataclass
class DescribedEntry:
    """An audit entry with what the reader reads: the record it is about, by name, and each change
    as (field label, before, after); before is None when the entry has no before."""

    entry: AuditEntry
    object_label: str
    changes: list[tuple[str, str | None, str]] = field(default_factory=list)


def describe(entries: Iterable[AuditEntry]) -> list[DescribedEntry]:
    """The entries in the reader's words. Looks names up in one query per kind of record, however
    many entries."""
    entries = list(entries)
    models_of = {entry.pk: _model(entry.object_type) for entry in entries}
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for entry in entries:
        model = models_of[entry.pk]
        if model is not None:
            wanted[model].add(entry.object_id)
        for key, old, new in entry.changes:
            related = _related_model(_field(model, key))
            if related is not None:
                wanted[related].update(v for v in (old, new) if v not in (None, ""))
    names: dict[tuple[type[models.Model], Any], str] = {(model, pk): label for model, ids in wanted.items() for pk, label in _labels(model, ids).items()}
    out = []
    for entry in entries:
        model = models_of[entry.pk]
        label_of_object = names.get((model, entry.object_id)) if model is not None else None
        described = DescribedEntry(entry, label_of_object or f"{entry.object_type} {entry.object_id}")
        for key, old, new in entry.changes:
            found = _field(model, key)
            label = capfirst(found.verbose_name) if found is not None else key
            described.changes.append((str(label), _value(found, old, names) if entry.before else None,
                                      _value(found, new, names)))
        out.append(described)
    return out


def described(entries: Iterable[AuditEntry], batch: int = 500) -> Iterator[DescribedEntry]:
    """``describe`` for a long stream (an export), a batch at a time."""
    iterator = iter(entries)
    while chunk := list(islice(iterator, batch)):
        yield from describe(chunk)
