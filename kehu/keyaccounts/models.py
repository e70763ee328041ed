"""The key-account programme (C3): the policy, candidates and their decision, account plans."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer


class KeyAccountPolicy(models.Model):
    """Never edited in place: each change is a new row, so the history is the table."""

    share_threshold_pct = models.DecimalField(
        _("candidate at a share of its region's sales of (%)"), max_digits=5, decimal_places=2, default=5,
        validators=[MinValueValidator(0.01), MaxValueValidator(100)],
    )
    window_months = models.PositiveSmallIntegerField(_("window (months)"), default=12,
                                                     validators=[MinValueValidator(1), MaxValueValidator(60)])
    senior_visit_every_days = models.PositiveSmallIntegerField(
        _("senior managers visit every (days)"), default=90, validators=[MinValueValidator(7), MaxValueValidator(365)]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("key-account policy")
        verbose_name_plural = _("key-account policies")


class CandidateReason(models.TextChoices):
    SHARE = "share", _("Share of its region's sales")
    MARKED = "marked", _("Marked by management")


class CandidateStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a senior manager")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")


class KeyAccountCandidate(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"))
    reason = models.CharField(_("reason"), max_length=10, choices=CandidateReason.choices)
    region_share_pct = models.DecimalField(_("share of region (%)"), max_digits=6, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CandidateStatus.choices, default=CandidateStatus.PENDING)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("marked by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("key-account candidate")
        verbose_name_plural = _("key-account candidates")
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(status="pending"), name="one_pending_candidate"),
        ]


class AccountPlan(models.Model):
    """A key account's plan: goals, needs match, our share of its business, risks, next steps."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"))
    goals = models.TextField(_("goals"), blank=True)
    needs_match = models.TextField(_("needs match"), blank=True)
    our_share_pct = models.PositiveSmallIntegerField(_("our share of their business (%)"), null=True, blank=True,
                                                     validators=[MaxValueValidator(100)])
    risks = models.TextField(_("risks"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    senior_visit_every_days = models.PositiveSmallIntegerField(
        _("senior managers visit every (days)"), null=True, blank=True,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        constraints = [models.CheckConstraint(condition=Q(our_share_pct__lte=100), name="plan_share_le_100")]
