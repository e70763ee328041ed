"""Reading one row the way every page and endpoint does."""

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Manager, Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def get_or_404(qs: QuerySet[M] | Manager[M], pk: Any) -> M:
    """The row of ``qs`` (a selector's visible rows) with this key, or 404 — also for a key that is
    not a number, and for someone else's record, whose existence is not revealed."""
    try:
        return qs.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):  # the model's DoesNotExist
        raise Http404 from None
