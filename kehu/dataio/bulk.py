"""Fast writing and per-value caches for large imports.

``insert_rows`` writes plain tuples: with COPY on PostgreSQL (primary keys drawn from the table's
sequence first, so rows can be linked), with ``bulk_create`` elsewhere. Both run in the caller's
transaction, so an import stays all-or-nothing. Columns not named get the field's default, as a
model instance would.

The pinyin and search-text helpers give exactly what ``kehu.core.text`` and
``kehu.customers.selectors.build_search_text`` give (a test holds them to it), but remember each
run of Chinese characters, so 100,000 company names that share words cost far less.
"""

import functools
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import RE_HANS

from kehu.core.geo import ParsedAddress, parse_addresses
from kehu.core.text import normalize

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
        model.objects.bulk_create(objs, batch_size=batch_size)
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


# ── pinyin and search text, remembered per run of characters ─────────────────────────────────

_RUNS = re.compile("(" + RE_HANS.pattern.removeprefix("^").removesuffix("$") + ")")


def _runs(text: str) -> Iterable[str]:
    """The runs pypinyin converts one by one: Chinese characters, and everything between them."""
    return (part for part in _RUNS.split(text) if part)


@functools.lru_cache(maxsize=100_000)
def _full_run(run: str) -> str:
    return "".join(lazy_pinyin(run, errors="default"))


@functools.lru_cache(maxsize=100_000)
def _initials_run(run: str) -> str:
    out = []
    for part in lazy_pinyin(run, style=Style.FIRST_LETTER, errors=lambda s: s.split()):
        part = part.strip()
        if part:
            out.append(part[0] if part.isalpha() and part.isascii() else part)
    return "".join(out)


@functools.lru_cache(maxsize=20_000)
def pinyin_full(text: str) -> str:
    """As ``kehu.core.text.pinyin_full``."""
    return "".join(_full_run(r) for r in _runs(normalize(text))).replace(" ", "")


def pinyin_initials(text: str) -> str:
    """As ``kehu.core.text.pinyin_initials``."""
    return "".join(_initials_run(r) for r in _runs(normalize(text))).replace(" ", "")


def search_text(*, code: str, name: str, short_name: str, pinyin: str, initials: str, uscc: str, phone: str,
                address: str, contacts: Iterable[tuple[str, str, str]] = ()) -> str:
    """As ``build_search_text`` for a customer and its contacts (name, phone, wechat)."""
    parts = [code, name, short_name, pinyin, initials, pinyin_full(short_name) if short_name else "", uscc,
             phone.replace("-", ""), address]
    for c_name, c_phone, c_wechat in contacts:
        parts += [c_name, pinyin_full(c_name), c_phone.replace("-", ""), c_wechat]
    return normalize(" ".join(p for p in parts if p))


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
