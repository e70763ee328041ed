"""Prospect development (P1–P5): where prospects come from, how they are graded and pursued, and the
team's shared pool (公海). A prospect is a Customer in the prospect lifecycle; its colour and pursuit
decision are written only through this app's services, which keep their history here."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.core.models import TimeStampedModel
from kehu.customers.models import ColourGrade, Customer, Industry, PursuitDecision, SourceMethod


class Exhibition(TimeStampedModel):
    """展览会搜集法: a show where prospects exhibit."""

    name = models.CharField(_("exhibition"), max_length=120)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    venue = models.CharField(_("venue"), max_length=120, blank=True)
    industry = models.ForeignKey(Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("exhibition")
        verbose_name_plural = _("exhibitions")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="exhibition_dates")]

    def __str__(self) -> str:
        return self.name


class Campaign(TimeStampedModel):
    """特定行业开发法: one industry studied, its member list worked through, representative firms first."""

    name = models.CharField(_("campaign"), max_length=120)
    industry = models.ForeignKey(Industry, verbose_name=_("industry"), on_delete=models.PROTECT, related_name="+")
    character = models.TextField(_("the industry's character"), blank=True)
    people = models.TextField(_("its people"), blank=True)
    climate = models.TextField(_("recent business climate"), blank=True)
    sunset = models.BooleanField(_("sunset industry"), default=False)
    avoid = models.TextField(_("talking points to avoid"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("industry campaign")
        verbose_name_plural = _("industry campaigns")

    def __str__(self) -> str:
        return self.name


class MemberStatus(models.TextChoices):
    WAITING = "waiting", _("Not yet approached")
    PROSPECT = "prospect", _("Filed as a prospect")
    DUPLICATE = "duplicate", _("Already someone's customer")
    SKIPPED = "skipped", _("Skipped")


class CampaignMember(TimeStampedModel):
    """A firm of the industry's member list."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("company name"), max_length=120)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    representative = models.BooleanField(_("representative firm"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=MemberStatus.choices, default=MemberStatus.WAITING)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-representative", "id"]
        verbose_name = _("member firm")
        verbose_name_plural = _("member firms")


class NewsSignal(models.TextChoices):
    MANAGEMENT = "management", _("Management change")
    JOB = "job", _("Job change")
    OWNERSHIP = "ownership", _("Ownership transfer")
    NEW_COMPANY = "new_company", _("New company")
    EXPANSION = "expansion", _("Expansion")
    CLASSIFIED = "classified", _("Classified advertisement")


class Clipping(TimeStampedModel):
    """报纸过滤法: a news item or classified ad that points to a prospect."""

    source = models.CharField(_("source"), max_length=120)
    published_on = models.DateField(_("published on"))
    signal = models.CharField(_("signal"), max_length=12, choices=NewsSignal.choices)
    text = models.TextField(_("text"), blank=True)
    photo = models.FileField(_("photo"), upload_to="clippings/%Y/%m/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-published_on", "-id"]
        verbose_name = _("news clipping")
        verbose_name_plural = _("news clippings")

    def __str__(self) -> str:
        return f"{self.source} {self.published_on:%Y-%m-%d}"


class FormerKind(models.TextChoices):
    """既有客户利用法: the handbook's three kinds of contacts from a former job."""

    SOLD_TO_ME = "sold_to_me", _("Used to sell to me")
    PEER = "peer", _("A peer")
    BOUGHT_FROM_ME = "bought_from_me", _("Bought my former products")


class FormerContact(TimeStampedModel):
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.CASCADE,
                            related_name="former_contacts")
    kind = models.CharField(_("kind"), max_length=16, choices=FormerKind.choices)
    person = models.CharField(_("person"), max_length=60)
    company = models.CharField(_("company name"), max_length=120)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    former_employer = models.CharField(_("my former employer"), max_length=120, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("former-job contact")
        verbose_name_plural = _("former-job contacts")


class ProspectOrigin(models.Model):
    """Where one prospect came from: its method (P1) and the record it was filed from."""

    customer = models.OneToOneField(Customer, primary_key=True, on_delete=models.CASCADE, related_name="origin")
    method = models.CharField(_("source method"), max_length=20, choices=SourceMethod.choices)
    exhibition = models.ForeignKey(Exhibition, null=True, blank=True, on_delete=models.SET_NULL, related_name="origins")
    booth = models.CharField(_("booth"), max_length=40, blank=True)
    supply = models.CharField(_("current oil supply"), max_length=200, blank=True)
    background = models.TextField(_("background"), blank=True)
    campaign_member = models.ForeignKey(CampaignMember, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="origins")
    clipping = models.ForeignKey(Clipping, null=True, blank=True, on_delete=models.SET_NULL, related_name="origins")
    former_contact = models.ForeignKey(FormerContact, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    referrer = models.CharField(_("referred by"), max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The way through the funnel, kept for the yield report: when it first reached yellow and red
    # (colour_set), and — once won — the first confirmed order's date, the days from filing to it
    # and the sales of its first year (the daily job, from the ledger).
    yellow_at = models.DateTimeField(null=True, blank=True)
    red_at = models.DateTimeField(null=True, blank=True)
    won_on = models.DateField(null=True, blank=True)
    days_to_close = models.PositiveIntegerField(null=True, blank=True)
    first_year_sales = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("prospect origin")
        verbose_name_plural = _("prospect origins")
        indexes = [models.Index(fields=["method"], name="origin_method")]


class ColourLevel(models.Model):
    """An administrator's subdivision of a colour (P3), e.g. yellow 1 = quotation sent."""

    colour = models.CharField(_("colour grade"), max_length=10, choices=ColourGrade.choices)
    number = models.PositiveSmallIntegerField(_("sub-level"), validators=[MinValueValidator(1), MaxValueValidator(9)])
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["colour", "number"]
        verbose_name = _("colour sub-level")
        verbose_name_plural = _("colour sub-levels")
        constraints = [models.UniqueConstraint(fields=["colour", "number"], name="colour_level_unique")]

    def __str__(self) -> str:
        return f"{self.get_colour_display()} {self.number} {self.name}"


class ColourChange(models.Model):
    """P3 history: who graded the prospect what, when and why."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="colour_changes")
    colour = models.CharField(_("colour grade"), max_length=10, choices=ColourGrade.choices)
    sub = models.PositiveSmallIntegerField(_("sub-level"), null=True, blank=True)
    previous = models.CharField(_("previous grade"), max_length=10, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "colour"], name="colourchange_customer")]


class DecisionChange(models.Model):
    """P5 history: continue / keep trying / give up, with the reason and the next review."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="decision_changes")
    decision = models.CharField(_("pursuit decision"), max_length=12, choices=PursuitDecision.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    review_on = models.DateField(_("next review"), null=True, blank=True)
    revived = models.BooleanField(_("revived"), default=False)
    claimed = models.BooleanField(_("claimed from the shared pool"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]


class ProspectPolicy(models.Model):
    """The company's prospecting policy (one row): P2 pool targets, the shared pool's rules."""

    rep_target = models.PositiveIntegerField(
        _("prospects per rep"), default=10, help_text=_("P2: the least number of active prospects a rep keeps."))
    untouched_days = models.PositiveIntegerField(
        _("days untouched before the shared pool"), default=60, validators=[MinValueValidator(7)])
    claim_cap = models.PositiveIntegerField(
        _("claims per rep"), default=5, help_text=_("How many prospects one rep may claim from the shared pool…"))
    claim_window_days = models.PositiveIntegerField(_("…in this many days"), default=30, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("prospecting policy")
        verbose_name_plural = _("prospecting policy")

    def __str__(self) -> str:
        return str(_("Prospecting policy"))


class RepTarget(models.Model):
    """A rep's own pool target, overriding the policy's."""

    rep = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.CASCADE,
                               related_name="prospect_target")
    target = models.PositiveIntegerField(_("prospect pool target"))

    class Meta:
        verbose_name = _("rep's pool target")
        verbose_name_plural = _("reps' pool targets")


class PoolReason(models.TextChoices):
    GIVEN_UP = "given_up", _("Given up")
    UNTOUCHED = "untouched", _("Untouched too long")


class SharedPoolEntry(models.Model):
    """A prospect in its team's shared pool (公海), until another rep claims it; the claim is its log."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="pool_entries")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("why"), max_length=10, choices=PoolReason.choices)
    previous_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField(_("in the pool since"), auto_now_add=True)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="pool_claims")
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    closed = models.BooleanField(default=False)  # left without a claim: revived by its owner

    class Meta:
        ordering = ["since", "id"]
        verbose_name = _("shared pool entry")
        verbose_name_plural = _("shared pool")
        constraints = [
            # One open entry per prospect: the claim's conditional UPDATE on it has exactly one winner.
            models.UniqueConstraint(fields=["customer"], condition=Q(claimed_by__isnull=True, closed=False),
                                    name="pool_one_open_entry"),
        ]
        indexes = [
            models.Index(fields=["team", "claimed_by", "closed"], name="pool_team_open"),
            models.Index(fields=["claimed_by", "claimed_at"], name="pool_claims_by"),
        ]


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPROVED = "approved", _("Handed over")
    REFUSED = "refused", _("Refused")


class HandoverRequest(models.Model):
    """A rep who met a company someone else already has asks for it; the owner's supervisor decides."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="handover_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "requested_by"], condition=Q(status="pending"),
                                    name="handover_one_pending"),
        ]


class FunnelMonth(models.Model):
    """The yield report's figures summed per owner × month of filing × method (``by="method"``) and
    again × record (``by="record"``: the exhibition, campaign, news source…), so the company funnel
    reads a few thousand rows instead of every prospect. Written only by
    ``services.funnel_summary_refresh`` (whole, by the daily job; the owner-months a prospecting
    service touches, at once); ``selectors.funnel`` adds raw rows for partial months."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    by = models.CharField(max_length=6)  # "method" or "record": what ``key`` is
    key = models.CharField(max_length=200, blank=True)  # the customer's source, or its source_detail
    month = models.DateField()  # the first day of the month the prospect was filed (local time)
    created = models.PositiveIntegerField(default=0)
    yellow = models.PositiveIntegerField(default=0)
    red = models.PositiveIntegerField(default=0)
    first_year_sales = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    touch_cost = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # Days from filing to the first order of the customers won, as {days: how many}: the median stays exact.
    days_to_close = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "month"], name="funnelmonth_owner_month"),
                   models.Index(fields=["by", "month"], name="funnelmonth_by_month")]
