from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel

from .mapping import KIND_CHOICES


class ImportMapping(TimeStampedModel):
    """The column mapping last used for a layout of columns (kind + header fingerprint)."""

    kind = models.CharField(_("kind"), max_length=20, choices=KIND_CHOICES)
    fingerprint = models.CharField(max_length=64)
    header = models.JSONField(_("header"), default=list)
    mapping = models.JSONField(_("mapping"), default=list)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        constraints = [models.UniqueConstraint(fields=["kind", "fingerprint"], name="import_mapping_unique")]


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    COMMITTING = "committing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(TimeStampedModel):
    """One uploaded file on its way in. The file and the progress live here, not on an app server,
    so any server can answer the progress poll."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(_("kind"), max_length=20, choices=KIND_CHOICES)
    filename = models.CharField(_("file name"), max_length=200)
    data = models.BinaryField()
    size = models.PositiveBigIntegerField(default=0)
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=list)
    assign = models.CharField(_("new customers go"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=JobStatus.choices, default=JobStatus.UPLOADED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    # What the user said the file's unknown values mean: field → {value as written: answer}.
    values = models.JSONField(default=dict, blank=True)
    # The background run of a large file (kehu.core.jobs): its progress, and its end if the worker died.
    run = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    @property
    def percent(self) -> int:
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def running(self) -> bool:
        return self.status in (JobStatus.CHECKING, JobStatus.COMMITTING)
