"""Grading policy with its history, stored grading runs (snapshots) and grade overrides."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import AbcGrade, Customer


class Method(models.TextChoices):
    SHARE = "share", _("Cumulative share of sales")
    COUNT = "count", _("By count (top 20% / next 30% / rest)")


class Scope(models.TextChoices):
    COMPANY = "company", _("Company")
    REGION = "region", _("Region")
    TEAM = "team", _("Team")


class GradingPolicy(models.Model):
    """C1's policy. Never edited in place: each change is a new row, so the history is the table."""

    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.SHARE)
    window_months = models.PositiveSmallIntegerField(
        _("window (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    share_a = models.DecimalField(_("A: cumulative sales below (%)"), max_digits=5, decimal_places=2, default=80)
    share_b = models.DecimalField(_("B: cumulative sales below (%)"), max_digits=5, decimal_places=2, default=95)
    count_a = models.DecimalField(_("A: top customers (%)"), max_digits=5, decimal_places=2, default=20)
    count_b = models.DecimalField(_("A and B: top customers (%)"), max_digits=5, decimal_places=2, default=50)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("changed by"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("grading policy")
        verbose_name_plural = _("grading policies")
        constraints = [
            models.CheckConstraint(condition=Q(share_a__gt=0) & Q(share_a__lt=F("share_b")) & Q(share_b__lte=100),
                                   name="grading_share_order"),
            models.CheckConstraint(condition=Q(count_a__gt=0) & Q(count_a__lt=F("count_b")) & Q(count_b__lte=100),
                                   name="grading_count_order"),
            models.CheckConstraint(condition=Q(window_months__gte=1) & Q(window_months__lte=60), name="grading_window_range"),
        ]


class GradeRun(models.Model):
    """One stored grading: the policy used, the as-of date and scope; its rows are the snapshot."""

    as_of = models.DateField(_("as of"))
    window_months = models.PositiveSmallIntegerField(_("window (months)"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    threshold_a = models.DecimalField(max_digits=5, decimal_places=2)
    threshold_b = models.DecimalField(max_digits=5, decimal_places=2)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.COMPANY)
    policy = models.ForeignKey(GradingPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    total_sales = models.DecimalField(_("total sales (CNY)"), max_digits=18, decimal_places=2, default=0)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("grading run")
        verbose_name_plural = _("grading runs")
        indexes = [models.Index(fields=["scope", "-as_of"])]


class GradeSnapshot(models.Model):
    """A customer's sales and grade in one run (and, for region/team runs, within which group)."""

    run = models.ForeignKey(GradeRun, on_delete=models.CASCADE, related_name="rows")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=20, blank=True)  # region or team id for those scopes
    sales = models.DecimalField(max_digits=16, decimal_places=2)
    rank = models.PositiveIntegerField()
    grade = models.CharField(max_length=1, choices=AbcGrade.choices)
    applied = models.CharField(max_length=1, choices=AbcGrade.choices, blank=True)  # after any override

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="snapshot_run_customer")]
        indexes = [models.Index(fields=["customer", "run"])]


class OverrideStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class GradeOverride(models.Model):
    """A manual grade with a reason and an expiry, in force once a supervisor approves it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"))
    grade = models.CharField(_("grade"), max_length=1, choices=AbcGrade.choices)
    reason = models.CharField(_("reason"), max_length=300)
    expires_on = models.DateField(_("expires on"))
    status = models.CharField(_("status"), max_length=10, choices=OverrideStatus.choices, default=OverrideStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("grade override")
        verbose_name_plural = _("grade overrides")
        constraints = [
            models.CheckConstraint(condition=~Q(status="approved") | ~Q(decided_by=F("requested_by")),
                                   name="override_not_self_approved"),
        ]
        indexes = [models.Index(fields=["customer", "status", "expires_on"])]
