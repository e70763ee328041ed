"""Fast bulk loading of rows the demo builder has already made consistent.

On PostgreSQL rows go in with COPY; elsewhere (SQLite) with executemany in batches. Columns the
builder does not name (a field someone added later) get the field's default, so the demo keeps
working as the models grow; a new required field without a default stops it with a clear error.
"""

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


class DemoBuildError(Exception):
    pass


class TableWriter:
    """Buffers rows for one table and writes them in batches."""

    def __init__(self, model: type[models.Model], columns: Sequence[str], *, batch: int = 50_000) -> None:
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in by_attname]
        if unknown:
            raise DemoBuildError(f"{model._meta.label} has no column {', '.join(unknown)}")
        self.model = model
        self.columns = list(columns)
        self.fields = [by_attname[c] for c in columns]
        self.extra_fields = [f for f in model._meta.concrete_fields if f.attname not in columns]
        self.extra_values = tuple(self._default(f) for f in self.extra_fields)
        self.batch = batch
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0
        self.postgres = connection.vendor == "postgresql"
        names = [f.column for f in self.fields + self.extra_fields]
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        cols = ", ".join(qn(n) for n in names)
        if self.postgres:
            self.sql = f"COPY {table} ({cols}) FROM STDIN"
        else:
            self.sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(names))})"
            self.converters = [self._converter(f) for f in self.fields + self.extra_fields]

    @staticmethod
    def _default(field: models.Field) -> Any:
        if field.has_default():
            if callable(field.default):
                raise DemoBuildError(
                    f"{field.model._meta.label}.{field.name} has a computed default; teach kehu/demo to fill it"
                )
            return field.get_default()
        if field.null:
            return None
        if isinstance(field, models.CharField | models.TextField):
            return ""
        raise DemoBuildError(f"{field.model._meta.label}.{field.name} is required; teach kehu/demo to fill it")

    @staticmethod
    def _converter(field: models.Field) -> Callable[[Any], Any] | None:
        """How a value goes to a database without COPY: dates and decimals as the backend wants."""
        if not isinstance(field, models.DateField | models.DecimalField):
            return None
        real = connections[DEFAULT_DB_ALIAS]  # not the proxy: this runs for every value
        memo: dict[Any, Any] = {}

        def convert(value: Any) -> Any:
            if value is None or isinstance(value, str):  # decimals come as exact strings
                return value
            try:
                return memo[value]
            except KeyError:
                memo[value] = prepared = field.get_db_prep_save(value, real)
                return prepared

        return convert

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def add_instance(self, obj: models.Model) -> None:
        self.add(tuple(getattr(obj, c) for c in self.columns))

    def flush(self) -> None:
        if not self.rows:
            return
        extra = self.extra_values
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.copy(self.sql) as copy:
                    write = copy.write_row
                    if extra:
                        for row in self.rows:
                            write(row + extra)
                    else:
                        for row in self.rows:
                            write(row)
            else:
                converters = self.converters
                prepared = [
                    tuple(v if c is None else c(v) for v, c in zip(row + extra, converters, strict=True))
                    for row in self.rows
                ]
                cursor.executemany(self.sql, prepared)
        self.count += len(self.rows)
        self.rows = []


@contextmanager
def fast_load(model_list: Iterable[type[models.Model]]) -> Iterator[None]:
    """Load the tables of ``model_list`` the way PostgreSQL's manual advises for populating a database.

    Their foreign keys and secondary indexes are dropped, the rows copied in, and the same
    definitions added back: one pass each, instead of a check and index insert per row. It all
    happens in the caller's transaction, so a failed build leaves the schema as it was. Unique
    and primary-key constraints stay, and so does every check. Elsewhere this does nothing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in model_list]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        qn = connection.ops.quote_name
        # Rows written earlier in the transaction (users, teams) have their deferred key checks
        # pending, and a table with pending checks cannot be altered: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")


def next_id(model: type[models.Model]) -> int:
    """The first free primary key: the builder numbers its rows itself so it can link them."""
    result = model.objects.aggregate(top=models.Max("pk"))["top"]  # type: ignore[attr-defined]  # every Kehu model has it
    return (result or 0) + 1


def reset_sequences(model_list: Iterable[type[models.Model]]) -> None:
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


class Progress:
    """A one-line progress bar on stderr; on a pipe, one line per phase instead."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None, *, phases: dict[str, float] | None = None) -> None:
        self.stream = stream
        self.tty = bool(stream and hasattr(stream, "isatty") and stream.isatty())
        self.phases = phases or {}
        self.base = 0.0
        self.weight = 0.0
        self.label = ""
        self.total = 1
        self.started = time.monotonic()
        self.phase_started = self.started
        self.last_draw = 0.0

    def phase(self, key: str, label: str, total: int) -> None:
        self._finish_phase()
        self.weight = self.phases.get(key, 0.0)
        self.label = label
        self.total = max(total, 1)
        self.phase_started = time.monotonic()
        self.update(0, force=True)

    def update(self, done: int, *, force: bool = False) -> None:
        if not self.stream or not self.tty:
            return
        now = time.monotonic()
        if not force and now - self.last_draw < 0.25:
            return
        self.last_draw = now
        fraction = min(1.0, self.base + self.weight * min(done, self.total) / self.total)
        filled = int(fraction * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = now - self.started
        self.stream.write(
            f"\r[{bar}] {fraction * 100:5.1f}%  {self.label} {min(done, self.total):,}/{self.total:,}  {elapsed:5.0f}s \x1b[K"
        )
        self.stream.flush()

    def _finish_phase(self) -> None:
        if self.label and self.stream and not self.tty:
            self.stream.write(f"  {self.label}: {self.total:,} in {time.monotonic() - self.phase_started:.1f}s\n")
            self.stream.flush()
        self.base += self.weight

    def close(self) -> None:
        self._finish_phase()
        self.label = ""
        if self.stream and self.tty:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


def stderr_progress(phases: dict[str, float]) -> Progress:
    return Progress(sys.stderr, phases=phases)
