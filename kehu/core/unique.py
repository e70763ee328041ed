"""Saving a row whose value must be unique when two people may save the same value at once."""

import zlib

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model


def save_unique(obj: Model, *, field: str) -> None:
    """Save ``obj``; if another transaction took the same ``field`` value a moment ago (after this
    one's checks ran), the database's unique index decides and the loser hears the same sentence a
    second form sent later would: "… with this … already exists", in the reader's language."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        error = obj.unique_error_message(type(obj), (field,))
        raise ValidationError({field: [error.message % (error.params or {})]}) from None


def lock_values(*values: str) -> None:
    """Inside a transaction: wait for any other transaction holding one of ``values`` (e.g. a
    company's name key or tax code) until it ends, so a check for duplicates that follows sees what
    the other one saved. On PostgreSQL a transaction-level advisory lock per value, taken in one
    order so two callers never wait on each other in a circle; elsewhere writes are serialised
    already."""
    keys = sorted({zlib.crc32(v.encode()) - 2**31 for v in values if v})
    if connection.vendor != "postgresql" or not keys:
        return
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, key])


LOCK_SPACE = 0x6B68  # "kh": Kehu's own space of advisory locks, apart from the daily job's single key
