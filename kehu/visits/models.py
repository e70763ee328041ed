import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class CadencePolicy(models.Model):
    """C2 and P5: how often each kind of customer is visited, and what leaving a visit out costs.

    Never changed in place: an edit adds a row, so the rows are the policy's history and the
    newest one is in force.
    """

    a_per_month = models.PositiveSmallIntegerField(_("A visits a month"), default=4, validators=[MaxValueValidator(31)])
    b_per_month = models.PositiveSmallIntegerField(_("B visits a month"), default=2, validators=[MaxValueValidator(31)])
    c_per_month = models.PositiveSmallIntegerField(_("C visits a month"), default=1, validators=[MaxValueValidator(31)])
    key_account_senior_per_month = models.PositiveSmallIntegerField(
        _("senior-manager visits to a key account a month"), default=1, validators=[MaxValueValidator(31)])
    prospect_continue_per_month = models.PositiveSmallIntegerField(
        _("visits a month to a prospect to continue"), default=2, validators=[MaxValueValidator(31)])
    prospect_low_per_month = models.PositiveSmallIntegerField(
        _("visits a month to a prospect kept at low cadence"), default=1, validators=[MaxValueValidator(31)])
    a_mornings = models.BooleanField(_("A visits in the morning"), default=True)

    a_minutes = models.PositiveSmallIntegerField(_("minutes of an A visit"), default=40,
                                                 validators=[MinValueValidator(5), MaxValueValidator(240)])
    b_minutes = models.PositiveSmallIntegerField(_("minutes of a B visit"), default=30,
                                                 validators=[MinValueValidator(5), MaxValueValidator(240)])
    c_minutes = models.PositiveSmallIntegerField(_("minutes of a C visit"), default=25,
                                                 validators=[MinValueValidator(5), MaxValueValidator(240)])
    prospect_minutes = models.PositiveSmallIntegerField(_("minutes of a prospect visit"), default=30,
                                                        validators=[MinValueValidator(5), MaxValueValidator(240)])

    a_penalty = models.PositiveIntegerField(_("cost of leaving out an A visit"), default=10000)
    b_penalty = models.PositiveIntegerField(_("cost of leaving out a B visit"), default=3000)
    c_penalty = models.PositiveIntegerField(_("cost of leaving out a C visit"), default=1000)
    prospect_penalty = models.PositiveIntegerField(_("cost of leaving out a prospect visit"), default=2000)

    day_start = models.TimeField(_("working day starts"), default=datetime.time(8, 30))
    day_end = models.TimeField(_("working day ends"), default=datetime.time(17, 30))
    morning_end = models.TimeField(_("morning ends"), default=datetime.time(12, 0))
    far_metres = models.PositiveIntegerField(_("check-in flagged beyond (metres)"), default=500)

    created_at = models.DateTimeField(_("in force from"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("why it changed"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("cadence policy")
        verbose_name_plural = _("cadence policies")
        constraints = [
            models.CheckConstraint(condition=Q(day_start__lt=models.F("day_end")), name="cadence_day_ordered"),
        ]


class CompanyHoliday(models.Model):
    """A day off the company gives beyond the official calendar (edited by the admin)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["date"]
        verbose_name = _("company holiday")
        verbose_name_plural = _("company holidays")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class PlanKind(models.TextChoices):
    MONTH = "month", _("Monthly plan")
    WEEK = "week", _("Weekly plan")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for changes")


class Plan(TimeStampedModel):
    """A rep's monthly or weekly visit plan (F2): generated, edited by the rep, approved by the supervisor."""

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.CASCADE,
                            related_name="visit_plans")
    kind = models.CharField(_("kind"), max_length=5, choices=PlanKind.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    calendar_notice = models.CharField(_("calendar notice"), max_length=300, blank=True)

    class Meta:
        ordering = ["-starts_on", "rep_id", "kind"]
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        constraints = [
            models.UniqueConstraint(fields=["rep", "kind", "starts_on"], name="visit_plan_unique"),
            models.CheckConstraint(condition=Q(starts_on__lte=models.F("ends_on")), name="visit_plan_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_on:%Y-%m-%d} {self.rep}"


class EntryKind(models.TextChoices):
    REGULAR = "regular", _("Regular visit")
    SENIOR = "senior", _("Visit with a senior manager")
    PROSPECT = "prospect", _("Prospect visit")
    FOLLOW_UP = "follow_up", _("Follow-up")


class Slot(models.TextChoices):
    MORNING = "am", _("Morning")
    AFTERNOON = "pm", _("Afternoon")
    ANY = "any", _("Any time")


class EntryStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Not reached")
    CANCELLED = "cancelled", _("Cancelled")


# The routing core's reasons for leaving a visit out (fixed English sentences, kehu.visits.routing.REASONS),
# worded in the reader's language when shown.
SKIP_REASONS = {
    "The visit is longer than every one of its time windows.":
        _("The visit is longer than every one of its time windows."),
    "It cannot be reached and finished inside its time windows and the working day.":
        _("It cannot be reached and finished inside its time windows and the working day."),
    "It does not fit in the day alongside more valuable visits.":
        _("It does not fit in the day alongside more valuable visits."),
    "Its skip penalty is less than the extra travel it needs.":
        _("Its skip penalty is less than the extra travel it needs."),
}


class PlanEntry(TimeStampedModel):
    """One planned visit to a customer on a day. A senior manager going along is the companion, and
    the visit shows in their plan as well as the rep's."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="entries")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="plan_entries")
    date = models.DateField(_("date"))
    slot = models.CharField(_("time of day"), max_length=3, choices=Slot.choices, default=Slot.ANY)
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices, default=EntryKind.REGULAR)
    grade = models.CharField(_("grade"), max_length=8, blank=True)  # A/B/C/P at planning time: the adherence key
    area = models.CharField(_("area"), max_length=30, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=30)
    goal = models.CharField(_("visit goal"), max_length=200, blank=True)
    companion = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("with"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="companion_entries")
    status = models.CharField(_("status"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.PLANNED)
    skip_reason = models.CharField(_("why not reached"), max_length=200, blank=True)
    # The week's routes could not hold it when the weekly plan was made: it stays on its best day,
    # and the plan says so (services.week_routes, unfit_notices).
    unfit = models.BooleanField(_("does not fit in the week"), default=False)
    # A follow-up planned by a visit's next step: saving the visit's log again moves this one
    # instead of planning another.
    from_visit = models.OneToOneField("Visit", verbose_name=_("next step of"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="follow_up")

    class Meta:
        ordering = ["date", "position", "id"]
        verbose_name = _("planned visit")
        verbose_name_plural = _("planned visits")
        indexes = [models.Index(fields=["plan", "date"]), models.Index(fields=["customer", "date"])]

    @property
    def skip_reason_text(self) -> str:
        return str(SKIP_REASONS.get(self.skip_reason, self.skip_reason))


class DayStart(models.Model):
    """F1: the pre-departure checklist of a rep's day, and when the day was started."""

    ITEMS = ("appearance", "sales_map", "industry", "graded", "cards", "goals")

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="day_starts")
    date = models.DateField(_("date"))
    appearance = models.BooleanField(_("Appearance checked"), default=False)
    sales_map = models.BooleanField(_("Sales map looked over"), default=False)
    industry = models.BooleanField(_("Customers' industries studied"), default=False)
    graded = models.BooleanField(_("Customers classified and graded"), default=False)
    cards = models.BooleanField(_("Customer cards ready"), default=False)
    goals = models.BooleanField(_("Visit goals and number of visits set"), default=False)
    skip_reason = models.CharField(_("why the checklist is not complete"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)

    class Meta:
        ordering = ["-date", "rep_id"]
        verbose_name = _("pre-departure checklist")
        verbose_name_plural = _("pre-departure checklists")
        constraints = [models.UniqueConstraint(fields=["rep", "date"], name="day_start_unique")]

    @property
    def complete(self) -> bool:
        return all(getattr(self, item) for item in self.ITEMS)


class DayRoute(models.Model):
    """The route the routing core planned for a rep's day, as it planned it (its plan dict)."""

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="day_routes")
    date = models.DateField(_("date"))
    plan = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rep", "date"], name="day_route_unique")]


class Outcome(models.TextChoices):
    ORDER = "order", _("Order or agreement")
    PROGRESS = "progress", _("Progress")
    NO_PROGRESS = "no_progress", _("No progress")
    NOT_MET = "not_met", _("Contact not met")


class Visit(TimeStampedModel):
    """A visit as it happened: the check-in (time, place, distance) and the log."""

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.PROTECT,
                            related_name="visits")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="visits")
    entry = models.OneToOneField(PlanEntry, verbose_name=_("planned visit"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="visit")
    checked_in_at = models.DateTimeField(_("checked in at"))
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(_("location accuracy (m)"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("distance from the customer (m)"), null=True, blank=True)
    far = models.BooleanField(_("far from the customer"), default=False)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    summary = models.TextField(_("what happened"), blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step on"), null=True, blank=True)
    products = models.ManyToManyField("ledger.Product", verbose_name=_("products discussed"), blank=True,
                                      related_name="+")
    logged_at = models.DateTimeField(_("logged at"), null=True, blank=True)

    class Meta:
        ordering = ["-checked_in_at", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [models.Index(fields=["rep", "checked_in_at"]), models.Index(fields=["customer", "checked_in_at"])]


class VisitPhoto(models.Model):
    """Kept in the database so app servers stay stateless."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    uploaded_at = models.DateTimeField(auto_now_add=True)


class VisitComment(models.Model):
    """A supervisor's comment on a visit log (点评)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class OpeningHours(models.Model):
    """When a customer receives visitors: one or two windows a day (a lunch closure makes two)."""

    customer = models.OneToOneField("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                    related_name="opening_hours")
    windows = models.CharField(_("opening hours"), max_length=60,
                               help_text=_("e.g. 08:30-12:00,13:30-17:00"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")


class RepBase(models.Model):
    """Where a rep's day starts and ends (office or home), in WGS-84."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.CASCADE,
                                related_name="visit_base")
    label = models.CharField(_("name"), max_length=60, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)

    class Meta:
        verbose_name = _("rep's base")
        verbose_name_plural = _("reps' bases")
