"""Fast writing and per-value caches for large imports.

``insert_rows`` writes plain tuples: with COPY on PostgreSQL (primary keys drawn from the table's
sequence first, so rows can be linked), with ``bulk_create`` elsewhere. Both run in the caller's
transaction, so an import stays all-or-nothing. Columns not named get the field's default, as a
model instance would.

Pinyin and search text are Kehu's own (``kehu.core.text``, which remembers each run of Chinese
characters, and ``kehu.customers.selectors.search_text_of``), under the names the importers use.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

from kehu.core import text
from kehu.core.geo import ParsedAddress, parse_addresses
from kehu.customers.selectors import search_text_of

# ── writing ──────────────────────────────────────────────────────────────────────────────────


def _defaults(model: type[models.Model], named: Sequence[str]) -> tuple[list[models.Field], list[Any]]:
    extra = [f for f in model._meta.concrete_fields if f.attname not in named and not f.primary_key]
    values = []
    for f in extra:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values.append(timezone.now())
        elif f.has_default() and callable(f.default):
            raise ValueError(f"{model._meta.label}.{f.name} has a computed default; name it in the import")
        elif f.has_default() or f.null or isinstance(f, models.CharField | models.TextField):
            values.append(f.get_default())
        else:
            raise ValueError(f"{model._meta.label}.{f.name} is required; name it in the import")
    return extra, values


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` primary keys from the table's sequence (PostgreSQL only)."""
    if not count:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count])
        return [r[0] for r in cursor.fetchall()]


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: list[tuple], *, ids: bool = False,
                batch_size: int = 2000) -> list[int]:
    """Insert ``rows`` (tuples in the order of ``columns``, attnames); the new primary keys when ``ids``."""
    if not rows:
        return []
    extra_fields, extra_values = _defaults(model, columns)
    if connection.vendor != "postgresql":
        names = list(columns) + [f.attname for f in extra_fields]
        objs = [model(**dict(zip(names, row + tuple(extra_values), strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=batch_size)  # type: ignore[attr-defined]  # every Kehu model has it
        return [o.pk for o in objs] if ids else []
    qn = connection.ops.quote_name
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    names = [by_attname[c].column for c in columns] + [f.column for f in extra_fields]
    new_ids = reserve_ids(model, len(rows)) if ids else []
    if ids:
        names.insert(0, model._meta.pk.column)
    sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(n) for n in names)}) FROM STDIN"
    extra = tuple(extra_values)
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        write = copy.write_row
        if ids:
            for pk, row in zip(new_ids, rows, strict=True):
                write((pk, *row, *extra))
        else:
            for row in rows:
                write(row + extra)
    return new_ids


# The one pinyin and search-text implementation, under the names the importers use.
pinyin_full = text.pinyin_full
pinyin_initials = text.pinyin_initials
search_text = search_text_of


class Addresses:
    """``parse_addresses`` once per distinct address, many at a time."""

    def __init__(self) -> None:
        self.known: dict[str, ParsedAddress] = {}

    def parse(self, addresses: Iterable[str]) -> dict[str, ParsedAddress]:
        if len(self.known) > 200_000:
            self.known.clear()
        new = list(dict.fromkeys(a for a in addresses if a and a not in self.known))
        if new:
            self.known.update(zip(new, parse_addresses(new), strict=True))
        return self.known
