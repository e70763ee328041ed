"""`kehu backup FILE` and `kehu restore FILE`: the whole database in one file, any backend to any.

The file is a zip: ``manifest.json`` (Kehu version, the applied migrations, and per table its
columns, row count, money sums, a SHA-256 of its data and a SHA-256 of its rows' content written the
same way on every engine) and ``tables/<table>.jsonl``, one JSON
array of column values per row, in primary-key order. Binary columns are base64.

Backup reads every table inside ONE read transaction, so the file is a consistent snapshot while
the application keeps writing: on PostgreSQL REPEATABLE READ, READ ONLY; on SQLite a deferred
read transaction (in WAL mode writers carry on, the reader keeps its snapshot).

Restore checks the whole file against its manifest before touching the database, brings the
schema to the backup's migration state, then in one transaction empties the tables, loads them,
resets the sequences and compares counts, sums and every row's content with the manifest; any
difference rolls everything back. The comparison is exact on every engine: sums are added up as
decimals in Python (SQLite's SUM of a decimal column is a float), and the content digest writes each
value in one canonical form (decimals at their field's places, JSON with sorted keys, times in UTC). Migrations newer than the backup run afterwards.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import os
import sys
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.duration import duration_iso_string

FORMAT = "kehu-backup"
FORMAT_VERSION = 1
BATCH = 2000
# Rows that `migrate` writes by itself; a database holding only these is empty.
MIGRATE_FILLS = {"django_content_type", "auth_permission", "django_migrations"}

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup that cannot be written or a file that cannot be restored; the message says why."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def kehu_version() -> str:
    try:
        return version("kehu")
    except PackageNotFoundError:
        return "unknown"


# --- which tables, in which order -------------------------------------------------------------


def _concrete_models(app_registry) -> list[type[models.Model]]:
    found = [
        m for m in app_registry.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]
    return _dependency_order(found)


def _dependency_order(found: list[type[models.Model]]) -> list[type[models.Model]]:
    """Referenced tables before the tables that point at them (cycles broken by name); loading
    works in any order since foreign keys are checked at commit, but this order reads well."""
    by_label = {m._meta.label_lower: m for m in found}
    deps = {
        # related_model is a class here, never "self": the apps are loaded.
        label: {f.related_model._meta.label_lower for f in m._meta.local_concrete_fields  # type: ignore[union-attr]
                if f.is_relation and f.related_model is not None
                and f.related_model._meta.label_lower in by_label  # type: ignore[union-attr]
                and f.related_model._meta.label_lower != label}  # type: ignore[union-attr]
        for label, m in by_label.items()
    }
    ordered: list[str] = []
    done: set[str] = set()
    while len(ordered) < len(by_label):
        ready = sorted(label for label in by_label if label not in done and deps[label] <= done)
        if not ready:  # a cycle: take the first remaining one
            ready = [sorted(label for label in by_label if label not in done)[0]]
        for label in ready:
            ordered.append(label)
            done.add(label)
    return [by_label[label] for label in ordered]


def _columns(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.local_concrete_fields)


def _money_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in _columns(model) if isinstance(f, models.DecimalField)]


def _canonical_writer(fields: list[models.Field]) -> Callable[[tuple], bytes]:
    """One row as bytes that are the same whichever engine it was read from."""
    def json_value(value: Any) -> Any:
        if isinstance(value, str) and value[:1] in "[{":  # JSON kept as text by an old schema state
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def make(field: models.Field) -> Callable[[Any], Any]:
        if isinstance(field, models.JSONField):
            return lambda v: json.dumps(json_value(v), sort_keys=True, ensure_ascii=False)
        if isinstance(field, models.DecimalField):
            places = Decimal(1).scaleb(-(field.decimal_places or 0))
            return lambda v: None if v is None else str(Decimal(v).quantize(places))
        if isinstance(field, models.FloatField):
            return lambda v: None if v is None else repr(float(v))
        if isinstance(field, models.DateTimeField):
            return lambda v: None if v is None else (
                v.astimezone(datetime.UTC) if timezone.is_aware(v) else v).isoformat()
        if isinstance(field, models.BooleanField):
            return lambda v: None if v is None else bool(v)
        return lambda v: v

    writers = [make(f) for f in fields]

    def write(row: tuple) -> bytes:
        values = [w(v) for w, v in zip(writers, row, strict=True)]
        return (json.dumps(values, ensure_ascii=False, default=_encode, separators=(",", ":")) + "\n").encode()
    return write


# --- values to JSON and back ------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot store {type(value).__name__} in a backup")


def _decoder(field: models.Field) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        return lambda v: v  # already the decoded JSON value
    if isinstance(field, models.BinaryField):
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: None if v is None else field.to_python(v)


# --- backup -----------------------------------------------------------------------------------


@contextmanager
def _snapshot(connection) -> Iterator[None]:
    """One read transaction over every table: what a single moment of the database held."""
    if connection.in_atomic_block:  # already inside a transaction (tests): read within it
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        # Not transaction.atomic(): Kehu opens SQLite transactions IMMEDIATE, which would take the
        # write lock and stop the application for the length of the backup.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
            cursor.execute("SELECT count(*) FROM django_migrations")  # the snapshot starts here
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
        return
    with transaction.atomic(using=connection.alias):
        yield


def _applied_migrations(connection) -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


def backup(path: str | Path, *, using: str = DEFAULT_DB_ALIAS, progress: Progress | None = _stderr) -> dict:
    """Write the whole database to ``path`` (a zip); returns the manifest."""
    say = progress or (lambda _m: None)
    connection = connections[using]
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise BackupError("The database has migrations that are not applied yet; run `kehu migrate` first.")
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    started = time.monotonic()
    manifest: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "kehu_version": kehu_version(),
        "created_at": timezone.now().isoformat(), "vendor": connection.vendor, "tables": [],
    }
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            with _snapshot(connection):
                existing = set(connection.introspection.table_names())
                manifest["migrations"] = _applied_migrations(connection)
                for model in _concrete_models(global_apps):
                    table = model._meta.db_table
                    if table not in existing:
                        continue
                    manifest["tables"].append(_dump_table(archive, model, using))
                    entry = manifest["tables"][-1]
                    say(f"backup: {table}: {entry['rows']} rows")
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    rows = sum(t["rows"] for t in manifest["tables"])
    say(f"backup: {len(manifest['tables'])} tables, {rows} rows in {time.monotonic() - started:.1f}s -> {path}")
    return manifest


def _dump_table(archive: zipfile.ZipFile, model: type[models.Model], using: str) -> dict:
    fields = _columns(model)
    attnames = [f.attname for f in fields]
    money = {f.attname: Decimal(0) for f in _money_fields(model)}
    money_at = [(attnames.index(name), name) for name in money]
    digest = hashlib.sha256()
    content = hashlib.sha256()
    canonical = _canonical_writer(fields)
    rows = 0
    name = f"tables/{model._meta.db_table}.jsonl"
    qs = model._base_manager.using(using).order_by("pk").values_list(*attnames)
    with archive.open(name, "w", force_zip64=True) as out:
        buffer: list[bytes] = []
        for row in qs.iterator(chunk_size=BATCH):
            for index, key in money_at:
                if row[index] is not None:
                    money[key] += row[index]
            line = (json.dumps(row, ensure_ascii=False, default=_encode, separators=(",", ":")) + "\n").encode()
            content.update(canonical(row))
            buffer.append(line)
            rows += 1
            if len(buffer) >= BATCH:
                chunk = b"".join(buffer)
                digest.update(chunk)
                out.write(chunk)
                buffer.clear()
        chunk = b"".join(buffer)
        digest.update(chunk)
        out.write(chunk)
    return {
        "table": model._meta.db_table, "model": model._meta.label_lower, "file": name, "columns": attnames,
        "rows": rows, "sums": {k: str(v) for k, v in money.items()}, "sha256": digest.hexdigest(),
        "content_sha256": content.hexdigest(),
    }


def table_content(model: type[models.Model], using: str = DEFAULT_DB_ALIAS,
                  columns: list[str] | None = None) -> tuple[int, dict[str, Decimal], str]:
    """Rows, exact decimal sums and the content digest of a table as the database holds it now,
    its columns in the order of ``columns`` (the backup's; a migrated model may order them otherwise)."""
    by_name = {f.attname: f for f in _columns(model)}
    fields = [by_name[c] for c in columns] if columns else list(by_name.values())
    attnames = [f.attname for f in fields]
    money = {f.attname: Decimal(0) for f in fields if isinstance(f, models.DecimalField)}
    money_at = [(attnames.index(name), name) for name in money]
    content = hashlib.sha256()
    canonical = _canonical_writer(fields)
    rows = 0
    for row in model._base_manager.using(using).order_by("pk").values_list(*attnames).iterator(chunk_size=BATCH):
        for index, key in money_at:
            if row[index] is not None:
                money[key] += row[index]
        content.update(canonical(row))
        rows += 1
    return rows, money, content.hexdigest()


# --- restore ----------------------------------------------------------------------------------


def read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError:
        raise BackupError("Not a Kehu backup: the file has no manifest.json.") from None
    except (ValueError, zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"The backup's manifest is damaged: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError("Not a Kehu backup: the manifest is of another format.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"This Kehu reads backups of format {FORMAT_VERSION}, the file is of format "
                          f"{manifest.get('format_version')}.")
    return manifest


def _open_backup(path: str | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupError(f"No such file: {path}") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"{path} is not a readable Kehu backup (damaged or cut short): {exc}") from None


def verify(archive: zipfile.ZipFile, manifest: dict, say: Progress) -> None:
    """Every table file is complete and unchanged: its rows and SHA-256 match the manifest."""
    for entry in manifest["tables"]:
        digest = hashlib.sha256()
        rows = 0
        try:
            with archive.open(entry["file"]) as data:
                for line in data:
                    digest.update(line)
                    rows += 1
        except KeyError:
            raise BackupError(f"The backup lacks the data of table {entry['table']}.") from None
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise BackupError(f"The data of table {entry['table']} is damaged: {exc}") from None
        if rows != entry["rows"] or digest.hexdigest() != entry["sha256"]:
            raise BackupError(f"The data of table {entry['table']} does not match the manifest "
                              f"({rows} rows read, {entry['rows']} expected).")
    say(f"restore: {len(manifest['tables'])} tables checked against the manifest")


def _rows_in(connection, tables: list[str]) -> dict[str, int]:
    existing = set(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            if table in existing and table not in MIGRATE_FILLS:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                counts[table] = cursor.fetchone()[0]
    return {t: n for t, n in counts.items() if n}


def restore(path: str | Path, *, using: str = DEFAULT_DB_ALIAS, force: bool = False,
            progress: Progress | None = _stderr) -> dict:
    """Load a backup into the database ``using``; refuses a database with data unless ``force``."""
    say = progress or (lambda _m: None)
    started = time.monotonic()
    connection = connections[using]
    with _open_backup(path) as archive:
        manifest = read_manifest(archive)
        verify(archive, manifest, say)

        tables = [entry["table"] for entry in manifest["tables"]]
        present = _rows_in(connection, sorted(set(tables) | {m._meta.db_table for m in _concrete_models(global_apps)}))
        if present and not force:
            sample = ", ".join(f"{t} ({n})" for t, n in sorted(present.items())[:5])
            raise BackupError(f"The database is not empty ({sample}…); restore into an empty database, "
                              "or pass --force to replace everything in it.")

        executor = MigrationExecutor(connection)
        graph = executor.loader.graph
        wanted = {tuple(m) for m in manifest["migrations"]}
        unknown = sorted(wanted - set(graph.nodes))
        if unknown:
            raise BackupError(f"The backup comes from a newer Kehu ({manifest.get('kehu_version')}): "
                              f"unknown migrations {unknown[:3]}.")
        targets = _state_targets(graph, wanted)
        plan = executor.migration_plan(targets)
        if any(backwards for _migration, backwards in plan):
            raise BackupError("The database's schema is newer than the backup's; restore into an empty database.")
        if plan:
            say(f"restore: bringing the schema to the backup's state ({len(plan)} migrations)")
            executor.migrate(targets)
        state_apps = executor.loader.project_state(targets).apps
        by_table = {m._meta.db_table: m for m in _concrete_models(state_apps)}
        missing = [t for t in tables if t not in by_table]
        if missing:
            raise BackupError(f"The backup has tables this Kehu does not know: {missing[:3]}.")

        with transaction.atomic(using=using):
            _empty(connection, [by_table[t] for t in tables] + [
                m for t, m in by_table.items() if t not in tables and t in present])
            for entry in manifest["tables"]:
                model = by_table[entry["table"]]
                loaded = _load_table(archive, entry, model, using)
                say(f"restore: {entry['table']}: {loaded} rows")
            _reset_sequences(connection, [by_table[t] for t in tables])
            _check(manifest, by_table, using)
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        say("restore: applying the migrations newer than the backup")
        call_command("migrate", database=using, interactive=False, verbosity=0)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    rows = sum(t["rows"] for t in manifest["tables"])
    say(f"restore: {len(tables)} tables, {rows} rows, counts, sums and content verified in {time.monotonic() - started:.1f}s")
    return manifest


def _state_targets(graph, applied: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """The last applied migration of each app: migrating to these gives the backup's schema."""
    targets = []
    for node in applied:
        children = {c for c in graph.node_map[node].children if c[0] == node[0]}
        if not children & applied:
            targets.append(node)
    return sorted(targets)


def _empty(connection, models_to_empty: list[type[models.Model]]) -> None:
    tables = [m._meta.db_table for m in models_to_empty]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE refuses tables with foreign-key checks still pending in this transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for table in tables:  # foreign keys are checked at commit, when all tables are full again
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def _load_table(archive: zipfile.ZipFile, entry: dict, model: type[models.Model], using: str) -> int:
    fields = {f.attname: f for f in _columns(model)}
    unknown = [c for c in entry["columns"] if c not in fields]
    if unknown:
        raise BackupError(f"Table {entry['table']} has columns this Kehu does not know: {unknown}.")
    for field in fields.values():
        # Historical models of this restore only: keep the stored stamps, do not stamp "now".
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            field.auto_now = field.auto_now_add = False  # type: ignore[attr-defined]  # a DateField's, as checked
    decoders = [(name, _decoder(fields[name])) for name in entry["columns"]]
    manager = model._base_manager.db_manager(using)
    batch: list[models.Model] = []
    count = 0
    with archive.open(entry["file"]) as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8"):
            values = json.loads(line)
            batch.append(model(**{name: decode(v) for (name, decode), v in zip(decoders, values, strict=True)}))
            if len(batch) >= BATCH:
                manager.bulk_create(batch)
                count += len(batch)
                batch.clear()
    if batch:
        manager.bulk_create(batch)
        count += len(batch)
    return count


def _reset_sequences(connection, restored: list[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), restored)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _check(manifest: dict, by_table: dict[str, type[models.Model]], using: str) -> None:
    problems = []
    for entry in manifest["tables"]:
        rows, sums, content = table_content(by_table[entry["table"]], using, entry["columns"])
        if rows != entry["rows"]:
            problems.append(f"{entry['table']}: {rows} rows, the backup has {entry['rows']}")
        for key, expected in entry["sums"].items():
            if sums.get(key, Decimal(0)) != Decimal(expected):
                problems.append(f"{entry['table']}.{key}: sum {sums.get(key)}, the backup has {expected}")
        if entry.get("content_sha256") and content != entry["content_sha256"]:  # absent in older backups
            problems.append(f"{entry['table']}: the rows' content differs from the backup's")
    if problems:
        raise BackupError("The restored data does not match the backup: " + "; ".join(problems[:5]))


def describe(path: str | Path) -> dict:
    with _open_backup(path) as archive:
        return read_manifest(archive)
