"""Reading one row the way every page and endpoint does."""

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Manager, Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)
MAX_ID = 2**63 - 1  # the largest key a database integer holds


def as_id(value: Any) -> int | None:
    """A record's number as a query string or a form gives it, or None when it is not one: only
    decimal digits ("²" passes str.isdigit, not int), and no larger than a key can be (SQLite
    refuses a larger number outright)."""
    text = str(value).strip() if value is not None else ""
    if not text.isdecimal() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def get_or_404(qs: QuerySet[M] | Manager[M], pk: Any) -> M:
    """The row of ``qs`` (a selector's visible rows) with this key, or 404 — also for a key that is
    not a number, and for someone else's record, whose existence is not revealed."""
    try:
        return qs.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError):  # the model's DoesNotExist
        raise Http404 from None
