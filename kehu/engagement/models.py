from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel
from kehu.customers.models import Contact, Customer


class TouchMethod(models.TextChoices):
    """P4: the ways of keeping in touch, chosen by industry and person."""

    LETTER = "letter", _("Advertising letter")
    VISIT = "visit", _("Visit")
    BROCHURE = "brochure", _("New-product brochure")
    PROMOTION = "promotion", _("Promotion")
    CHAT = "chat", _("Online chat")
    SOUVENIR = "souvenir", _("Small souvenir")
    GREETING = "greeting", _("Greeting card")
    CONDOLENCE = "condolence", _("Condolence")
    BIRTHDAY_GIFT = "birthday_gift", _("Birthday gift")
    CALL = "call", _("Phone call")


class TouchStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Touchpoint(TimeStampedModel):
    """One contact of P4 with a customer or prospect, planned or done."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="touchpoints")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="touchpoints")
    method = models.CharField(_("touch method"), max_length=16, choices=TouchMethod.choices)
    status = models.CharField(_("status"), max_length=10, choices=TouchStatus.choices, default=TouchStatus.PLANNED)
    planned_on = models.DateField(_("planned for"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    cost = models.DecimalField(_("cost (CNY)"), max_digits=10, decimal_places=2, default=0,
                               validators=[MinValueValidator(0)])
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    # What a reminder turned into this touchpoint (e.g. "birthday:12:2026"), so it is planned once.
    reminder_key = models.CharField(max_length=60, blank=True, editable=False)
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.PROTECT,
                            related_name="touchpoints")

    class Meta:
        ordering = ["-done_on", "-planned_on", "-id"]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        constraints = [
            models.CheckConstraint(condition=Q(cost__gte=0), name="touchpoint_cost_ge_0"),
            models.CheckConstraint(condition=~Q(status="done") | Q(done_on__isnull=False), name="touchpoint_done_has_date"),
            models.CheckConstraint(condition=~Q(status="planned") | Q(planned_on__isnull=False),
                                   name="touchpoint_planned_has_date"),
            models.UniqueConstraint(fields=["customer", "reminder_key"], condition=~Q(reminder_key=""),
                                    name="touchpoint_reminder_once"),
        ]
        indexes = [
            models.Index(fields=["customer", "done_on"], name="touch_customer_done"),
            models.Index(fields=["rep", "status", "planned_on"], name="touch_rep_planned"),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} · {self.customer.name}"


class LifeEventKind(models.TextChoices):
    WEDDING = "wedding", _("Wedding")
    BEREAVEMENT = "bereavement", _("Bereavement")
    BIRTH = "birth", _("Birth of a child")
    PROMOTION = "promotion", _("Promotion")
    OTHER = "other", _("Other occasion")


class LifeEvent(TimeStampedModel):
    """A happy or sad occasion in a contact's life: a greeting card or a condolence is due (P4)."""

    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE,
                                related_name="life_events")
    kind = models.CharField(_("occasion"), max_length=12, choices=LifeEventKind.choices)
    on = models.DateField(_("date"))
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("occasion")
        verbose_name_plural = _("occasions")
        indexes = [models.Index(fields=["on"], name="lifeevent_on")]


class TouchTotal(models.Model):
    """Each customer's touches done so far, kept by the touchpoint services (one row per customer),
    so reports add up the cost of touches per method without reading every touchpoint."""

    customer = models.OneToOneField(Customer, primary_key=True, on_delete=models.CASCADE, related_name="touch_total")
    touches = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    last_done_on = models.DateField(null=True, blank=True)
