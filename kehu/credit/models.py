"""Credit control (K1–K4): investigations, limit applications, limits, order checks, exceptions,
write-offs and who is liable for them, review tasks, and an append-only audit trail."""

from typing import TypedDict

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kehu.core.messages import Message, message
from kehu.core.models import TimeStampedModel
from kehu.customers.models import Customer
from kehu.ledger.models import Order, Receivable

from . import scorecard

USER = settings.AUTH_USER_MODEL


class _Money(TypedDict):
    max_digits: int
    decimal_places: int


MONEY: _Money = {"max_digits": 14, "decimal_places": 2}


class CreditPolicy(models.Model):
    """Company credit policy. Versions take effect on a date; past decisions keep the version
    in force when they were made (a write-off records the one it used)."""

    effective_from = models.DateField(_("effective from"), unique=True)
    investigation_valid_days = models.PositiveSmallIntegerField(_("investigation valid for (days)"), default=365,
                                                                validators=[MinValueValidator(1), MaxValueValidator(3650)])
    limit_valid_days = models.PositiveSmallIntegerField(_("limit valid for (days)"), default=365,
                                                        validators=[MinValueValidator(1), MaxValueValidator(3650)])
    grace_days = models.PositiveSmallIntegerField(_("grace period for overdue items (days)"), default=7,
                                                  validators=[MaxValueValidator(365)])
    max_terms_days = models.PositiveSmallIntegerField(_("longest payment terms (days)"), default=180,
                                                      validators=[MinValueValidator(1), MaxValueValidator(365)])
    handler_share_pct = models.DecimalField(_("handler's share of an approved bad debt (%)"), max_digits=5,
                                            decimal_places=2, default=30,
                                            validators=[MinValueValidator(0), MaxValueValidator(100)])
    approver_share_pct = models.DecimalField(_("approver's share of an approved bad debt (%)"), max_digits=5,
                                             decimal_places=2, default=20,
                                             validators=[MinValueValidator(0), MaxValueValidator(100)])
    review_expiry_days = models.PositiveSmallIntegerField(_("prompt a review this many days before a limit expires"), default=30)
    review_utilisation_pct = models.PositiveSmallIntegerField(_("prompt a review when utilisation stays above (%)"), default=90)
    review_utilisation_days = models.PositiveSmallIntegerField(_("… for this many days"), default=14)
    review_overdue_days = models.PositiveSmallIntegerField(_("prompt a review when an item is overdue by (days)"), default=30)
    freeze_overdue_days = models.PositiveSmallIntegerField(_("prompt a cut or freeze when an item is overdue by (days)"), default=90)
    review_lateness_rise_days = models.PositiveSmallIntegerField(_("prompt a review when average days late rise by"), default=10)
    scorecard_rules = models.JSONField(_("scorecard: points per answer"), default=scorecard.default_rules)
    scorecard_bands = models.JSONField(_("scorecard: risk class by score"), default=scorecard.default_bands)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policies")
        constraints = [
            models.CheckConstraint(condition=Q(handler_share_pct__gte=0) & Q(approver_share_pct__gte=0)
                                   & Q(handler_share_pct__lte=100) & Q(approver_share_pct__lte=100),
                                   name="policy_shares_range"),
        ]

    def __str__(self) -> str:
        return str(_("Credit policy from %(day)s") % {"day": self.effective_from})


class Ownership(models.TextChoices):
    STATE = "state", _("State-owned")
    PRIVATE = "private", _("Private")
    FOREIGN = "foreign", _("Foreign or joint venture")
    INDIVIDUAL = "individual", _("Individual business")
    OTHER = "other", _("Other")


class RevenueBand(models.TextChoices):
    UNDER_5M = "u5m", _("Under ¥5 million")
    TO_20M = "5-20m", _("¥5–20 million")
    TO_100M = "20-100m", _("¥20–100 million")
    TO_500M = "100-500m", _("¥100–500 million")
    OVER_500M = "o500m", _("Over ¥500 million")


class PaymentRecord(models.TextChoices):
    NONE = "none", _("No record")
    GOOD = "good", _("Pays on time")
    SLOW = "slow", _("Pays late")
    BAD = "bad", _("Defaulted")


class Disputes(models.TextChoices):
    NONE = "none", _("None")
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major or pending judgments")


class Impression(models.TextChoices):
    GOOD = "good", _("Good: busy, orderly")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor: idle, disorderly")


class RiskClass(models.TextChoices):
    LOW = "low", _("Low risk")
    MEDIUM = "medium", _("Medium risk")
    HIGH = "high", _("High risk")
    REJECT = "reject", _("Do not extend credit")


class InvestigationSource(models.TextChoices):
    KEHU = "kehu", _("Investigated in Kehu")
    IMPORTED = "imported", _("Carried over from the previous system")


class Investigation(TimeStampedModel):
    """客户信用状况调查表. Every investigation is kept; the newest is current.

    One carried over from the previous system (with a limit approved there) has no answers and no
    score: it records that the investigation was done, not what it found. It never backs a new
    application: raising or lowering such a limit takes a fresh investigation in Kehu (K2)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="investigations")
    investigated_by = models.ForeignKey(USER, verbose_name=_("investigated by"), on_delete=models.PROTECT, related_name="+")
    investigated_on = models.DateField(_("investigated on"))
    source = models.CharField(_("source"), max_length=10, choices=InvestigationSource.choices,
                              default=InvestigationSource.KEHU, editable=False)
    # Null only when carried over (a constraint says so); a form still requires every answer.
    registered_capital = models.DecimalField(_("registered capital (CNY)"), **MONEY, null=True, validators=[MinValueValidator(0)])
    years_in_business = models.PositiveSmallIntegerField(_("years in business"), null=True, validators=[MaxValueValidator(300)])
    ownership = models.CharField(_("ownership"), max_length=12, choices=Ownership.choices)
    staff_size = models.PositiveIntegerField(_("staff"), null=True, validators=[MaxValueValidator(2_000_000)])
    revenue_band = models.CharField(_("annual revenue"), max_length=10, choices=RevenueBand.choices)
    main_suppliers = models.CharField(_("main suppliers"), max_length=300, blank=True)
    banks = models.CharField(_("banks"), max_length=300, blank=True)
    payment_record_us = models.CharField(_("payment record with us"), max_length=6, choices=PaymentRecord.choices)
    payment_record_others = models.CharField(_("payment record with others"), max_length=6, choices=PaymentRecord.choices)
    legal_disputes = models.CharField(_("legal disputes"), max_length=6, choices=Disputes.choices)
    impression = models.CharField(_("on-site impression"), max_length=6, choices=Impression.choices)
    notes = models.TextField(_("notes"), blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, editable=False)
    risk_class = models.CharField(_("risk class"), max_length=8, choices=RiskClass.choices, editable=False)
    score_detail = models.JSONField(_("score detail"), default=dict, editable=False)

    class Meta:
        ordering = ["-investigated_on", "-id"]
        verbose_name = _("credit investigation")
        verbose_name_plural = _("credit investigations")
        indexes = [models.Index(fields=["customer", "-investigated_on", "-id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(source="imported") | (Q(score__isnull=False) & ~Q(risk_class="")
                                                  & Q(registered_capital__isnull=False) & Q(years_in_business__isnull=False)
                                                  & Q(staff_size__isnull=False)),
                name="investigation_scored_unless_imported"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.investigated_on}"

    @property
    def is_imported(self) -> bool:
        return self.source == InvestigationSource.IMPORTED


class InvestigationAttachment(models.Model):
    """Kept in the database so app servers stay stateless."""

    investigation = models.ForeignKey(Investigation, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    uploaded_at = models.DateTimeField(auto_now_add=True)


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LimitApplication(TimeStampedModel):
    """客户授信额度申请表."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="limit_applications")
    applicant = models.ForeignKey(USER, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+")
    investigation = models.ForeignKey(Investigation, verbose_name=_("investigation"), on_delete=models.PROTECT, related_name="applications")
    requested_limit = models.DecimalField(_("requested limit (CNY)"), **MONEY)
    requested_terms_days = models.PositiveSmallIntegerField(_("requested payment terms (days)"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING)
    decided_by = models.ForeignKey(USER, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    approved_limit = models.DecimalField(_("approved limit (CNY)"), **MONEY, null=True, blank=True)
    approved_terms_days = models.PositiveSmallIntegerField(_("approved payment terms (days)"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("credit-limit application")
        verbose_name_plural = _("credit-limit applications")
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(status="pending"), name="one_pending_application"),
            models.CheckConstraint(condition=Q(requested_limit__gte=0), name="application_limit_ge_0"),
            models.CheckConstraint(condition=Q(approved_limit__isnull=True) | Q(approved_limit__lte=F("requested_limit")),
                                   name="application_approved_le_requested"),
            models.CheckConstraint(condition=~Q(decided_by=F("applicant")), name="application_no_self_approval"),
        ]


class CreditAccount(models.Model):
    """One row per customer: the row every order check locks, and the current limit."""

    customer = models.OneToOneField(Customer, on_delete=models.PROTECT, related_name="credit_account")
    frozen = models.BooleanField(_("frozen"), default=False)
    frozen_reason = models.CharField(_("reason for the freeze"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")


class CreditLimit(TimeStampedModel):
    """A customer's approved limit. A new approval supersedes the old one; history is kept."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="credit_limits")
    application = models.OneToOneField(LimitApplication, verbose_name=_("application"), on_delete=models.PROTECT, related_name="limit")
    amount = models.DecimalField(_("limit (CNY)"), **MONEY)
    terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"))
    approved_by = models.ForeignKey(USER, verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField(_("valid from"))
    review_on = models.DateField(_("review / expiry date"))
    is_current = models.BooleanField(_("current"), default=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("credit limit")
        verbose_name_plural = _("credit limits")
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(is_current=True), name="one_current_limit"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="limit_amount_ge_0"),
        ]


class CheckResult(models.TextChoices):
    PASSED = "passed", _("Passed")
    HELD = "held", _("Held")
    RELEASED = "released", _("Released by exception")


class CreditCheck(models.Model):
    """Every order-time check and what it found, kept for audit and for liability."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="credit_checks")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="credit_checks")
    checked_by = models.ForeignKey(USER, verbose_name=_("checked by"), on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)
    order_amount = models.DecimalField(_("this order (CNY)"), **MONEY)
    exposure_before = models.DecimalField(_("exposure before this order (CNY)"), **MONEY)
    limit_amount = models.DecimalField(_("limit (CNY)"), **MONEY, null=True, blank=True)
    credit_limit = models.ForeignKey(CreditLimit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    overdue_amount = models.DecimalField(_("overdue beyond grace (CNY)"), **MONEY, default=0)
    result = models.CharField(_("result"), max_length=10, choices=CheckResult.choices)
    reasons = models.JSONField(_("reasons"), default=list)
    exception = models.ForeignKey("CreditException", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("credit check")
        verbose_name_plural = _("credit checks")
        indexes = [models.Index(fields=["order", "-checked_at"])]

    @property
    def exposure_after(self):
        return self.exposure_before + self.order_amount

    @property
    def reasons_described(self) -> list[dict]:
        return [{**reason, "message": describe_reason(reason)} for reason in self.reasons]


REASON_TEXT = {
    "overdue": _("%(n)s receivable(s) overdue beyond the %(grace)s-day grace period, %(amount)s in all."),
    "frozen": _("The customer's credit is frozen: %(why)s"),
    "no_limit": _("The customer has no approved credit limit and the order is not cash."),
    "over_limit": _("Exposure %(exposure)s + this order %(order)s = %(after)s exceeds the limit %(limit)s by %(over)s."),
}


def reason_message(reason: dict) -> Message:
    """A stored hold reason as a sentence to word when read (a notification keeps it so)."""
    text = REASON_TEXT.get(reason.get("code", ""))
    if text is None:
        return message(reason.get("message", reason.get("code", "")))
    return message(text, **reason.get("params", {}))


def describe_reason(reason: dict) -> str:
    """A stored hold reason as a sentence in the active language."""
    text = REASON_TEXT.get(reason.get("code", ""))
    if text is None:
        return reason.get("message", reason.get("code", ""))
    try:
        return str(text) % reason.get("params", {})
    except (KeyError, ValueError, TypeError):
        return str(text)


class CreditException(TimeStampedModel):
    """An over-limit approval for one held order, at the amount it had when approved."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="credit_exceptions")
    requested_by = models.ForeignKey(USER, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    order_amount = models.DecimalField(_("order amount (CNY)"), **MONEY)
    exposure_after = models.DecimalField(_("exposure with this order (CNY)"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING)
    decided_by = models.ForeignKey(USER, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("credit exception")
        verbose_name_plural = _("credit exceptions")
        constraints = [
            models.CheckConstraint(condition=~Q(decided_by=F("requested_by")), name="exception_no_self_approval"),
            models.UniqueConstraint(fields=["order"], condition=Q(status="pending"), name="one_pending_exception_per_order"),
        ]


class WriteOffKind(models.TextChoices):
    DOUBTFUL = "doubtful", _("Doubtful (呆帐)")
    DEAD = "dead", _("Dead (死帐)")


class WriteOff(TimeStampedModel):
    receivable = models.ForeignKey(Receivable, verbose_name=_("receivable"), on_delete=models.PROTECT, related_name="write_offs")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="write_offs")
    kind = models.CharField(_("kind"), max_length=10, choices=WriteOffKind.choices)
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    recovered = models.DecimalField(_("recovered (CNY)"), **MONEY, default=0)
    written_off_on = models.DateField(_("written off on"))
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(USER, verbose_name=_("written off by"), on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(CreditPolicy, verbose_name=_("policy applied"), on_delete=models.PROTECT, related_name="+")
    covered = models.BooleanField(_("had credit cover"))
    cover_note = models.CharField(_("how the order was covered"), max_length=200, blank=True)

    class Meta:
        ordering = ["-written_off_on", "-id"]
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="writeoff_amount_gt_0"),
            models.CheckConstraint(condition=Q(recovered__gte=0) & Q(recovered__lte=F("amount")), name="writeoff_recovered_range"),
        ]


class LiabilityRole(models.TextChoices):
    HANDLER = "handler", _("Handler (承办人)")
    APPROVER = "approver", _("Approver (批准人)")


class Liability(models.Model):
    """What one person bears of one write-off (K3), reduced in proportion by recoveries."""

    write_off = models.ForeignKey(WriteOff, on_delete=models.PROTECT, related_name="liabilities")
    person = models.ForeignKey(USER, verbose_name=_("person"), on_delete=models.PROTECT, related_name="credit_liabilities")
    role = models.CharField(_("as"), max_length=10, choices=LiabilityRole.choices)
    share_pct = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("liability (CNY)"), **MONEY)
    reduced_by_recovery = models.DecimalField(_("reduced by recoveries (CNY)"), **MONEY, default=0)

    class Meta:
        ordering = ["-write_off__written_off_on", "-id"]
        verbose_name = _("liability")
        verbose_name_plural = _("liabilities")
        constraints = [
            models.CheckConstraint(condition=Q(reduced_by_recovery__lte=F("amount")), name="liability_reduction_le_amount"),
        ]

    @property
    def net(self):
        return self.amount - self.reduced_by_recovery


class Recovery(models.Model):
    write_off = models.ForeignKey(WriteOff, on_delete=models.PROTECT, related_name="recoveries")
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    received_on = models.DateField(_("received on"))
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_amount_gt_0")]


class ReviewReason(models.TextChoices):
    EXPIRING = "expiring", _("Limit expires soon")
    EXPIRED = "expired", _("Limit has expired")
    UTILISATION = "utilisation", _("Utilisation stays high")
    SLOWER = "slower", _("Payments are slowing down")
    OVERDUE = "overdue", _("Receivable overdue")
    FREEZE = "freeze", _("Cut or freeze the limit")


class ReviewTask(TimeStampedModel):
    """A prompt to re-investigate (K2), raised by the daily review; one open task per reason."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="credit_reviews")
    reason = models.CharField(_("reason"), max_length=12, choices=ReviewReason.choices)
    detail = models.CharField(_("detail"), max_length=300)
    raised_on = models.DateField(_("raised on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-raised_on", "-id"]
        verbose_name = _("credit review task")
        verbose_name_plural = _("credit review tasks")
        constraints = [
            models.UniqueConstraint(fields=["customer", "reason"], condition=Q(done_at__isnull=True), name="one_open_review_per_reason"),
        ]


class UtilisationSnapshot(models.Model):
    """Daily utilisation per customer with a limit, so 'stays high' can be judged."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    exposure = models.DecimalField(**MONEY)
    limit_amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "day"], name="one_snapshot_per_day")]


class AuditEntry(models.Model):
    """Append-only: who changed what in credit, when, before and after. Never edited or deleted."""

    at = models.DateTimeField(_("at"), auto_now_add=True)
    user = models.ForeignKey(USER, verbose_name=_("user"), null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object"), max_length=40)
    object_id = models.BigIntegerField(_("object id"))
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit entries cannot be deleted.")

    ACTIONS = {
        "investigation.create": _("Investigation recorded"),
        "application.submit": _("Limit application submitted"),
        "application.approve": _("Limit application approved"),
        "application.reject": _("Limit application rejected"),
        "limit.create": _("Credit limit granted"),
        "investigation.import": _("Investigation carried over from the previous system"),
        "application.import": _("Approved application carried over from the previous system"),
        "limit.import": _("Credit limit imported from the previous system"),
        "order.import_history": _("Order history brought in from the ERP"),
        "exception.request": _("Exception requested"),
        "exception.approve": _("Exception approved"),
        "exception.reject": _("Exception rejected"),
        "writeoff.create": _("Receivable written off"),
        "writeoff.recovery": _("Recovery on a write-off"),
        "account.freeze": _("Credit frozen"),
        "account.unfreeze": _("Credit unfrozen"),
        "review.done": _("Review prompt closed"),
        "policy.create": _("Credit policy version added"),
    }

    @property
    def action_label(self) -> str:
        return str(self.ACTIONS.get(self.action, self.action))

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field that changed; every field when there was no before."""
        before, after = self.before or {}, self.after or {}
        keys = [k for k in after if k not in {"updated_at", "created_at", "id"}]
        return [(k, before.get(k), after.get(k)) for k in keys if not before or before.get(k) != after.get(k)][:12]

