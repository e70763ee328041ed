"""Imports: check a file (the preview, no writes) and commit it (all rows or none, in one transaction).

The page, the ``kehu import`` command and the worker's task (tasks.py) all call ``import_file``.
"""

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from kehu.accounts.models import User
from kehu.core import jobs
from kehu.core.models import Job
from kehu.core.tables import ReadError, Table, open_table
from kehu.core.uploads import upload_name

from .base import Column, Outcome, chunks
from .importers import IMPORTERS
from .mapping import (
    CREATE,
    FIELDS,
    KINDS,
    field_names,
    fingerprint,
    guess_mapping,
    known_header,
    missing_required,
)
from .models import ImportJob, ImportMapping, JobStatus
from .selectors import value_options

log = logging.getLogger(__name__)
CHUNK_ROWS = 10_000
SYNC_ROWS = 3000  # files up to this many rows are checked and committed within the request
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
JOB_KIND = "dataio.import"

Progress = Callable[[int, int | None], None]


class _Rollback(Exception):
    pass


def mapping_for(*, kind: str, header: list[str]) -> list[str]:
    """The mapping saved for this layout of columns, else one guessed from the header names."""
    saved = ImportMapping.objects.filter(kind=kind, fingerprint=fingerprint(header)).first()
    if saved is not None and len(saved.mapping) == len(header):
        return list(saved.mapping)
    return guess_mapping(kind, header)


def mapping_clean(*, kind: str, header: list[str], mapping: list[str]) -> list[str]:
    allowed = field_names(kind)
    mapping = [(m if m in allowed else "") for m in list(mapping)[: len(header)]]
    mapping += [""] * (len(header) - len(mapping))
    seen: set[str] = set()
    for i, name in enumerate(mapping):
        if name in seen:
            raise ValidationError(_("Two columns are mapped to “%(field)s”.") % {
                "field": next(str(f.label) for f in FIELDS[kind] if f.name == name)})
        if name:
            seen.add(name)
        mapping[i] = name
    return mapping


def mapping_save(*, user: User, kind: str, header: list[str], mapping: list[str]) -> ImportMapping:
    mapping = mapping_clean(kind=kind, header=header, mapping=mapping)
    saved, _created = ImportMapping.objects.update_or_create(
        kind=kind, fingerprint=fingerprint(header), defaults={"header": header, "mapping": mapping, "updated_by": user})
    return saved


def read_header(*, kind: str, name: str, source: Path | bytes) -> Table:
    return open_table(name, source, known=known_header(kind))


def import_file(*, user: User, kind: str, name: str, source: Path | bytes, mapping: list[str] | None = None,
                commit: bool = False, progress: Progress | None = None, chunk_rows: int = CHUNK_ROWS,
                assign: str = "", values: dict[str, dict[str, str]] | None = None) -> Outcome:
    """Check (``commit=False``) or import a file. A commit writes every row or, on any error, none.
    ``assign`` is the rule for the owners of new customers without an owner column (customers.assignment);
    ``values`` what unknown reference values mean (``job_answer_values``), applied to every row with them."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    outcome = Outcome(kind=kind)
    try:
        table = read_header(kind=kind, name=name, source=source)
    except ReadError as exc:
        outcome.problem = str(exc)
        return outcome
    try:
        mapping = mapping_clean(kind=kind, header=table.header, mapping=mapping) if mapping is not None \
            else mapping_for(kind=kind, header=table.header)
    except ValidationError as exc:
        outcome.problem = exc.messages[0]
        return outcome
    missing = missing_required(kind, mapping)
    if missing:
        separator = pgettext("list separator", ", ")
        outcome.problem = ngettext("No column holds: %(fields)s.", "No columns hold: %(fields)s.", len(missing)) % {
            "fields": separator.join(str(f.label) for f in missing)}
        return outcome
    columns = [Column(i, name_, table.header[i], table.letters[i]) for i, name_ in enumerate(mapping) if name_]
    importer = IMPORTERS[kind](user=user, columns=columns, commit=commit, outcome=outcome, assign=assign, values=values)
    try:
        importer.check_allowed()
    except PermissionDenied as exc:
        outcome.problem = str(exc)
        return outcome

    def run() -> None:
        done = 0
        for chunk in chunks(_mapped(table, columns), chunk_rows):
            outcome.rows += len(chunk)
            importer.process(chunk)
            done = chunk[-1][0] - table.header_row
            if progress:
                progress(done, table.total_rows)
        importer.finish()
        if progress:
            progress(max(done, table.total_rows or 0), max(done, table.total_rows or 0))

    if not commit:
        try:
            run()
        except ReadError as exc:  # the file turned unreadable part way (a damaged CSV)
            outcome.problem = str(exc)
        return outcome
    try:
        with transaction.atomic():
            run()
            if not outcome.ok:
                raise _Rollback
            outcome.committed = True
    except _Rollback:
        outcome.committed = False
        outcome.created = outcome.updated = 0
    except ReadError as exc:
        outcome.committed = False
        outcome.created = outcome.updated = 0
        outcome.problem = str(exc)
    except (DatabaseError, ValidationError) as exc:  # a constraint the checks did not foresee
        log.warning("import of %s refused by the database: %s", name, exc)
        outcome.committed = False
        outcome.created = outcome.updated = 0
        outcome.problem = _("The database refused the import, so nothing was written: %(error)s") % {"error": exc}
    return outcome


def _mapped(table: Table, columns: list[Column]):
    for number, values in table.rows:
        yield number, {c.field: values[c.index] if c.index < len(values) else None for c in columns}


# ── jobs: the upload page's file, progress and result ────────────────────────────────────────

def job_create(*, user: User, kind: str, filename: str, data: bytes) -> ImportJob:
    if kind not in KINDS:
        raise ValidationError({"kind": [_("Choose what the file holds.")]})
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": [_("The file is larger than 200 MB.")]})
    try:
        table = read_header(kind=kind, name=filename, source=data)
    except ReadError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    return ImportJob.objects.create(
        user=user, kind=kind, filename=upload_name(filename), data=data, size=len(data), header=table.header,
        mapping=mapping_for(kind=kind, header=table.header), total=table.total_rows or 0,
    )


def job_get(*, user: User, pk: int | str) -> ImportJob:
    """Only the person who uploaded a file sees its import."""
    return ImportJob.objects.defer("data").get(pk=pk, user=user)


def job_run(*, job: ImportJob, commit: bool, progress: Progress | None = None) -> Outcome:
    """Check or commit an uploaded file, keeping its result on the job row."""
    job = ImportJob.objects.get(pk=job.pk)
    user = job.user
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.COMMITTING if commit else JobStatus.CHECKING, done=0)
    started = time.monotonic()
    counted = [0, job.total]

    def track(done: int, total: int | None) -> None:
        counted[0], counted[1] = done, max(total or 0, done)
        if progress is not None:
            progress(done, total)

    try:
        outcome = import_file(user=user, kind=job.kind, name=job.filename, source=bytes(job.data),
                              mapping=job.mapping, commit=commit, progress=track, assign=job.assign,
                              values=job.values)
    except Exception:
        log.exception("import job %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, result={"problem": _("The import stopped with an internal error; nothing was written.")})
        raise
    result = outcome.as_dict() | {"seconds": round(time.monotonic() - started, 1)}
    if commit:
        status = JobStatus.DONE if outcome.committed else JobStatus.FAILED
    else:
        status = JobStatus.CHECKED
    ImportJob.objects.filter(pk=job.pk).update(status=status, result=result, done=counted[0], total=max(counted))
    return outcome


def job_lost(run: Job) -> None:
    """The worker running an import died (kehu.core.jobs.sweep): the import failed, nothing written."""
    ImportJob.objects.filter(run=run, status__in=[JobStatus.CHECKING, JobStatus.COMMITTING]).update(
        status=JobStatus.FAILED, result={"problem": run.message})


def job_start(*, job: ImportJob, commit: bool, mapping: list[str] | None = None, assign: str | None = None) -> bool:
    """Run the job now (small files) or queue it for the worker (large ones); True when queued."""
    if job.running:
        raise ValidationError(_("This import is already running."))
    if assign is not None and not commit:
        ImportJob.objects.filter(pk=job.pk).update(assign=assign[:40])
        job.assign = assign[:40]
    if mapping is not None:
        mapping = mapping_clean(kind=job.kind, header=job.header, mapping=mapping)
        mapping_save(user=job.user, kind=job.kind, header=job.header, mapping=mapping)
        ImportJob.objects.filter(pk=job.pk).update(mapping=mapping)
    if commit:
        result = job.result or {}
        if job.status != JobStatus.CHECKED or result.get("problem") or result.get("error_count", 1):
            raise ValidationError(_("Check the file, and correct its errors, before importing it."))
    # The status is claimed with a compare-and-set so two clicks cannot start two runs.
    claimed = ImportJob.objects.filter(pk=job.pk).exclude(status__in=[JobStatus.CHECKING, JobStatus.COMMITTING]).update(
        status=JobStatus.COMMITTING if commit else JobStatus.CHECKING)
    if not claimed:
        raise ValidationError(_("This import is already running."))
    if job.total <= SYNC_ROWS:
        job_run(job=job, commit=commit)
        return False
    from .tasks import import_run  # the task module imports this one

    with transaction.atomic():  # the worker sees the job, its task and the import's link to it at once
        run = jobs.start(kind=JOB_KIND, user=job.user, task=import_run, total=job.total, import_id=job.pk,
                         commit=commit)
        ImportJob.objects.filter(pk=job.pk).update(run=run)
    return True


def job_answer_values(*, job: ImportJob, answers: list[tuple[str, str, str]]) -> bool:
    """Say what the file's unknown values mean, ``(field, value as written, answer)`` each — a known
    value to map it to, or CREATE to add it (where the user may) — once for every row with that value;
    an empty answer forgets one. Then check the file again. True when the check runs in the worker."""
    saved = {name: dict(given) for name, given in (job.values or {}).items()}
    for field, value, answer in answers:
        if not answer:
            saved.get(field, {}).pop(value, None)
            continue
        options, can_create = value_options(user=job.user, kind=job.kind, field=field)
        if answer not in {key for key, _label in options} and not (answer == CREATE and can_create):
            raise ValidationError(_("“%(value)s” cannot become that: choose one of the values offered.") % {"value": value})
        saved.setdefault(field, {})[value] = answer
    ImportJob.objects.filter(pk=job.pk).update(values={k: v for k, v in saved.items() if v})
    job.values = saved
    return job_start(job=job, commit=False)


def job_rows(job: ImportJob) -> list[dict[str, Any]]:
    """The mapping table of the page: each column's header, its field and a sample value."""
    return [{"index": i, "header": h, "field": job.mapping[i] if i < len(job.mapping) else ""} for i, h in enumerate(job.header)]
