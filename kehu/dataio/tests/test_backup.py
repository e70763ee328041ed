"""`kehu backup` and `kehu restore`: a restore loses nothing, refuses to overwrite, and a damaged
file is refused before anything is written."""

import base64
import datetime
import json
import os
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from kehu.credit.models import Investigation, InvestigationAttachment
from kehu.customers.models import Customer
from kehu.dataio.backup import BackupError, backup, restore
from kehu.demo.builder import DemoOptions, build_demo
from kehu.ledger.models import Order, OrderLine
from kehu.testing import shared_rows

pytestmark = pytest.mark.django_db

SMALL = DemoOptions(customers=60, order_lines=2000, today=datetime.date(2026, 11, 26))
PDF = b"%PDF-1.4\n\x00\xff\xfe binary \x00 attachment\n"


def build_with_attachment():
    build_demo(SMALL)
    investigation = Investigation.objects.order_by("pk").first()
    InvestigationAttachment.objects.create(investigation=investigation, name="营业执照.pdf",
                                           content_type="application/pdf", size=len(PDF), data=PDF)


@pytest.fixture(scope="module")
def demo_rows(django_db_setup, django_db_blocker):
    """One demo company for the module; each test's changes to it are rolled back."""
    with shared_rows(django_db_blocker, build_with_attachment):
        yield


@pytest.fixture
def demo(demo_rows, db):
    pass


def figures(manifest: dict) -> dict:
    return {t["table"]: (t["rows"], t["sums"]) for t in manifest["tables"]}


def kehu(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from kehu.cli import main; main()", *args, "--skip-checks"],
                          env=env, capture_output=True, text=True, timeout=120)


@contextmanager
def empty_database(tmp_path: Path, vendor: str):
    """The environment of a second, empty Kehu installation on SQLite or PostgreSQL."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["KEHU_DATA_DIR"] = str(tmp_path / "fresh")
    if vendor != "postgresql":
        yield env
        return
    import psycopg
    from psycopg import sql

    if connection.vendor == "postgresql":
        settings: Mapping[str, Any] = connection.settings_dict
        host, port, user, password = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432, settings["USER"], \
            settings["PASSWORD"] or None
    else:  # from SQLite into the PostgreSQL of KEHU_TEST_POSTGRES (default: the local server)
        import dj_database_url

        settings = dj_database_url.parse(os.environ.get("KEHU_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"))
        host, port, user, password = settings["HOST"], settings["PORT"] or 5432, settings["USER"], settings["PASSWORD"] or None
    name = f"kehu_restore_{uuid.uuid4().hex[:8]}"
    params = {"host": host, "port": port, "user": user, "password": password, "dbname": "postgres", "autocommit": True}
    try:
        with psycopg.connect(**params, connect_timeout=5) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server to restore into: {exc}")
    secret = f":{password}" if password else ""
    env["DATABASE_URL"] = f"postgres://{user}{secret}@{host}:{port}/{name}"
    try:
        yield env
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def fresh_database(tmp_path):
    """An empty Kehu installation on the same kind of database as the tests."""
    with empty_database(tmp_path, connection.vendor) as env:
        yield env


@pytest.fixture
def other_database(tmp_path):
    """An empty Kehu installation on the other kind of database: PostgreSQL from SQLite and back."""
    with empty_database(tmp_path, "sqlite" if connection.vendor == "postgresql" else "postgresql") as env:
        yield env


def test_backup_then_restore_into_a_fresh_database_loses_nothing(demo, tmp_path, fresh_database):
    first = backup(tmp_path / "kehu.zip", progress=None)
    assert figures(first)["ledger_orderline"][0] == OrderLine.objects.count() >= 2000
    assert figures(first)["credit_investigationattachment"][0] == 1

    restored = kehu("restore", str(tmp_path / "kehu.zip"), env=fresh_database)
    assert restored.returncode == 0, restored.stderr
    assert "counts, sums and content verified" in restored.stderr  # progress goes to stderr

    again = kehu("backup", str(tmp_path / "again.zip"), env=fresh_database)
    assert again.returncode == 0, again.stderr
    with zipfile.ZipFile(tmp_path / "again.zip") as archive:
        second = json.loads(archive.read("manifest.json"))
        attachment = json.loads(archive.read("tables/credit_investigationattachment.jsonl"))
    assert figures(second) == figures(first)
    assert contents(second) == contents(first)  # every table's rows identical
    # Same backend, same bytes: every table without JSON columns (PostgreSQL reorders JSON keys).
    json_tables = {"credit_creditpolicy", "credit_investigation", "credit_creditcheck", "credit_auditentry"}
    hashes = {t["table"]: t["sha256"] for t in second["tables"]}
    assert {t["table"]: t["sha256"] for t in first["tables"] if t["table"] not in json_tables} == {
        t: h for t, h in hashes.items() if t not in json_tables}
    columns = next(t["columns"] for t in second["tables"] if t["table"] == "credit_investigationattachment")
    assert base64.b64decode(attachment[columns.index("data")]) == PDF

    refused = kehu("restore", str(tmp_path / "kehu.zip"), env=fresh_database)
    assert refused.returncode != 0 and "not empty" in refused.stderr


def contents(manifest: dict) -> dict:
    return {t["table"]: (t["rows"], t["sums"], t["content_sha256"]) for t in manifest["tables"]}


def test_backup_then_restore_across_engines_keeps_every_row(demo, tmp_path, other_database):
    """SQLite → PostgreSQL, or PostgreSQL → SQLite: every table's rows identical afterwards."""
    first = backup(tmp_path / "kehu.zip", progress=None)
    restored = kehu("restore", str(tmp_path / "kehu.zip"), env=other_database)
    assert restored.returncode == 0, restored.stderr
    assert "counts, sums and content verified" in restored.stderr
    again = kehu("backup", str(tmp_path / "again.zip"), env=other_database)
    assert again.returncode == 0, again.stderr
    with zipfile.ZipFile(tmp_path / "again.zip") as archive:
        second = json.loads(archive.read("manifest.json"))
    assert second["vendor"] != first["vendor"]
    assert contents(second) == contents(first)
    assert contents(first)["ledger_orderline"][0] >= 2000


def test_a_restore_whose_rows_differ_from_the_backup_is_rolled_back(demo, tmp_path):
    backup(tmp_path / "kehu.zip", progress=None)
    with zipfile.ZipFile(tmp_path / "kehu.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        files = {n: archive.read(n) for n in archive.namelist() if n != "manifest.json"}
    entry = next(t for t in manifest["tables"] if t["table"] == "customers_customer")
    entry["content_sha256"] = "0" * 64  # the data file is intact, but not what was backed up
    with zipfile.ZipFile(tmp_path / "changed.zip", "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for name, data in files.items():
            archive.writestr(name, data)
    before = Customer.objects.count()
    with pytest.raises(BackupError, match="customers_customer: the rows' content differs"):
        restore(tmp_path / "changed.zip", force=True, progress=None)
    assert Customer.objects.count() == before


def test_restore_refuses_a_database_with_data(demo, tmp_path):
    backup(tmp_path / "kehu.zip", progress=None)
    with pytest.raises(BackupError, match="not empty"):
        restore(tmp_path / "kehu.zip", progress=None)
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(tmp_path / "kehu.zip"), verbosity=0)


def test_forced_restore_replaces_everything(demo, tmp_path):
    manifest = backup(tmp_path / "kehu.zip", progress=None)
    names = dict(Customer.objects.values_list("pk", "name"))
    OrderLine.objects.filter(pk__in=OrderLine.objects.order_by("pk").values("pk")[:100]).delete()
    Customer.objects.filter(pk=min(names)).update(name="改过的名字")
    InvestigationAttachment.objects.all().delete()

    restore(tmp_path / "kehu.zip", force=True, progress=None)
    assert dict(Customer.objects.values_list("pk", "name")) == names
    assert bytes(InvestigationAttachment.objects.get().data) == PDF
    assert figures(backup(tmp_path / "after.zip", progress=None)) == figures(manifest)


def damaged_copies(source: Path, tmp_path: Path) -> dict[str, Path]:
    raw = source.read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(raw[: len(raw) * 2 // 3])
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"this is not a backup")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(tampered, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "tables/ledger_orderline.jsonl":
                data = data[: len(data) // 2]  # a table cut short, the manifest left as it was
            out.writestr(item, data)
    no_manifest = tmp_path / "no_manifest.zip"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(no_manifest, "w") as out:
        for item in src.infolist():
            if item.filename != "manifest.json":
                out.writestr(item, src.read(item.filename))
    return {"truncated": truncated, "garbage": garbage, "tampered": tampered, "no_manifest": no_manifest}


def test_damaged_files_are_refused_and_nothing_is_written(demo, tmp_path):
    backup(tmp_path / "kehu.zip", progress=None)
    Order.objects.filter(pk=Order.objects.order_by("pk").values("pk")[:1]).update(notes="保留")
    before = (Order.objects.count(), OrderLine.objects.count(), Order.objects.filter(notes="保留").count())
    for kind, path in damaged_copies(tmp_path / "kehu.zip", tmp_path).items():
        with pytest.raises(BackupError) as caught:
            restore(path, force=True, progress=None)
        assert str(caught.value), kind
        after = (Order.objects.count(), OrderLine.objects.count(), Order.objects.filter(notes="保留").count())
        assert after == before, kind
    with pytest.raises(BackupError, match="No such file"):
        restore(tmp_path / "missing.zip", progress=None)


def test_backup_file_appears_only_when_complete(demo, tmp_path):
    backup(tmp_path / "kehu.zip", progress=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kehu.zip"]
