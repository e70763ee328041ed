from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.accounts.models import Region
from kehu.core.catalogue import ProductCategory
from kehu.core.models import TimeStampedModel


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class ColourGrade(models.TextChoices):
    """P3: red = deal closed, yellow = likely to close soon, green = potential."""

    RED = "red", _("Red · deal closed")
    YELLOW = "yellow", _("Yellow · likely soon")
    GREEN = "green", _("Green · potential")


class SourceMethod(models.TextChoices):
    """P1: the named prospecting methods; recorded so each method's yield can be measured."""

    EXHIBITION = "exhibition", _("Exhibition")
    TARGET_INDUSTRY = "target_industry", _("Target industry")
    NEWS = "news", _("News filtering")
    PREVIOUS_CUSTOMERS = "previous_customers", _("Previous customers")
    REFERRAL = "referral", _("Referral")
    INBOUND = "inbound", _("Inbound")
    OTHER = "other", _("Other")


class PursuitDecision(models.TextChoices):
    """P5: what to do with a prospect in the visit plan."""

    CONTINUE = "continue", _("Continue visiting")
    LOW_CADENCE = "low_cadence", _("Keep trying, low cadence")
    GIVE_UP = "give_up", _("Give up")


class AbcGrade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class GeoSource(models.TextChoices):
    NONE = "", _("No location")
    DISTRICT = "district", _("District centre (approximate)")
    GEOCODED_AREA = "geo_area", _("Geocoded street or area (approximate)")
    GEOCODED = "geocoded", _("Geocoded from the address")
    EXACT = "exact", _("Exact")


# Positions precise enough to draw as the customer's own and to measure a check-in against.
PRECISE_GEO_SOURCES = frozenset({GeoSource.EXACT, GeoSource.GEOCODED})
# Positions derived from the address: they go when the address changes or is cleared.
ADDRESS_GEO_SOURCES = frozenset({GeoSource.DISTRICT, GeoSource.GEOCODED_AREA, GeoSource.GEOCODED})


class Industry(TimeStampedModel):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    sunset = models.BooleanField(_("sunset industry"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")

    def __str__(self) -> str:
        return self.name


class Customer(TimeStampedModel):
    """The customer card (客户卡). Prospects are customers in the prospect lifecycle stage."""

    code = models.CharField(_("customer code"), max_length=40, unique=True)
    name = models.CharField(_("company name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT, related_name="customers"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="customers"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner rep"), on_delete=models.PROTECT, related_name="customers"
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)

    address = models.CharField(_("address"), max_length=200, blank=True)
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    adcode = models.CharField(_("district code"), max_length=6, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    geo_source = models.CharField(_("location source"), max_length=10, choices=GeoSource.choices, blank=True, default="")

    lifecycle = models.CharField(_("lifecycle"), max_length=10, choices=Lifecycle.choices, default=Lifecycle.PROSPECT)
    colour = models.CharField(_("colour grade"), max_length=10, choices=ColourGrade.choices, blank=True)
    colour_sub = models.PositiveSmallIntegerField(
        _("colour sub-grade"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text=_("Optional subdivision of the colour grade, 1 = closest to the next grade."),
    )
    source = models.CharField(_("source method"), max_length=20, choices=SourceMethod.choices, blank=True)
    source_detail = models.CharField(_("source detail"), max_length=200, blank=True,
                                     help_text=_("Which exhibition, publication, referrer…"))
    pursuit = models.CharField(_("pursuit decision"), max_length=12, choices=PursuitDecision.choices, blank=True)
    pursuit_reason = models.CharField(_("reason for the decision"), max_length=200, blank=True)
    is_key_account = models.BooleanField(_("key account"), default=False)
    # C3: who runs a key account and which senior manager visits it; visit planning reads these.
    key_account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("key-account manager"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="managed_key_accounts",
    )
    key_account_sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("senior-manager sponsor"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="sponsored_key_accounts",
    )
    abc_grade = models.CharField(_("ABC grade"), max_length=1, choices=AbcGrade.choices, blank=True)
    abc_graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)

    # Needs profile (C4); product-level needs are CustomerNeed rows.
    current_supplier = models.CharField(_("current supplier"), max_length=120, blank=True)
    buying_process = models.TextField(_("buying process"), blank=True)
    our_share_pct = models.PositiveSmallIntegerField(
        _("our share of their business (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    # Credit terms used for receivables' due dates; the credit app maintains them.
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=0, validators=[MaxValueValidator(365)]
    )
    notes = models.TextField(_("notes"), blank=True)

    # Search: pinyin, initials, contact names and phones folded into one lower-case column,
    # kept current by the service functions that change customers and contacts.
    pinyin = models.CharField(_("pinyin"), max_length=400, blank=True, editable=False)
    initials = models.CharField(_("pinyin initials"), max_length=120, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    # The name with its spelling variations folded away (customers.duplicates.company_name_key):
    # one company typed twice meets itself here.
    name_key = models.CharField(_("name key"), max_length=120, blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["uscc"], condition=~Q(uscc=""), name="customer_uscc_unique"),
            models.CheckConstraint(condition=Q(our_share_pct__lte=100), name="customer_share_le_100"),
        ]
        indexes = [
            models.Index(fields=["owner", "code"]),
            models.Index(fields=["region", "code"]),
            models.Index(fields=["lifecycle", "code"]),
            models.Index(fields=["abc_grade", "code"]),
            models.Index(fields=["industry", "code"]),
            models.Index(fields=["colour", "code"]),
            models.Index(fields=["name_key"], name="customer_name_key"),
            models.Index(fields=["phone"], name="customer_phone"),
        ]

    @property
    def location_approximate(self) -> bool:
        """The position is a district centre or a street/area, not the customer's own address."""
        return self.geo_source not in PRECISE_GEO_SOURCES

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class DecisionRole(models.TextChoices):
    DECIDER = "decider", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    BUYER = "buyer", _("Purchaser")
    USER = "user", _("User")
    FINANCE = "finance", _("Finance")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class Contact(TimeStampedModel):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    title = models.CharField(_("title"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    wechat = models.CharField(_("WeChat"), max_length=60, blank=True)
    email = models.EmailField(_("email"), blank=True)
    decision_role = models.CharField(_("decision role"), max_length=12, choices=DecisionRole.choices, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    birthday_lunar = models.BooleanField(_("birthday is in the lunar calendar"), default=False)
    birthday_leap = models.BooleanField(_("leap month"), default=False)
    birthday_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True,
                                                     validators=[MinValueValidator(1900), MaxValueValidator(2100)])
    birthday_month = models.PositiveSmallIntegerField(_("birthday month"), null=True, blank=True,
                                                      validators=[MinValueValidator(1), MaxValueValidator(12)])
    birthday_day = models.PositiveSmallIntegerField(_("birthday day"), null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(31)])
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["-is_primary", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.CheckConstraint(
                condition=Q(birthday_month__isnull=True, birthday_day__isnull=True)
                | Q(birthday_month__gte=1, birthday_month__lte=12, birthday_day__gte=1, birthday_day__lte=31),
                name="contact_birthday_valid",
            ),
        ]
        indexes = [models.Index(fields=["phone"], name="contact_phone")]

    def __str__(self) -> str:
        return self.name


class NeedCategory(models.TextChoices):
    """The catalogue's categories, and "other" for needs Kehu's products do not cover."""

    ENGINE_OIL = ProductCategory.ENGINE_OIL.value, ProductCategory.ENGINE_OIL.label
    HYDRAULIC_OIL = ProductCategory.HYDRAULIC_OIL.value, ProductCategory.HYDRAULIC_OIL.label
    GEAR_OIL = ProductCategory.GEAR_OIL.value, ProductCategory.GEAR_OIL.label
    GREASE = ProductCategory.GREASE.value, ProductCategory.GREASE.label
    INDUSTRIAL_OIL = ProductCategory.INDUSTRIAL_OIL.value, ProductCategory.INDUSTRIAL_OIL.label
    DIESEL = ProductCategory.DIESEL.value, ProductCategory.DIESEL.label
    GASOLINE = ProductCategory.GASOLINE.value, ProductCategory.GASOLINE.label
    OTHER = "other", _("Other")


class CustomerNeed(TimeStampedModel):
    """C4: what the customer needs and how far we meet it."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="needs")
    category = models.CharField(_("product category"), max_length=20, choices=NeedCategory.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    monthly_volume = models.DecimalField(_("monthly volume"), max_digits=12, decimal_places=2, null=True, blank=True,
                                         validators=[MinValueValidator(0)])
    unit = models.CharField(_("unit"), max_length=10, default="L")
    current_supplier = models.CharField(_("current supplier"), max_length=120, blank=True)
    our_share_pct = models.PositiveSmallIntegerField(_("our share (%)"), null=True, blank=True,
                                                     validators=[MaxValueValidator(100)])

    class Meta:
        ordering = ["category"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        constraints = [
            models.CheckConstraint(condition=Q(monthly_volume__gte=0) | Q(monthly_volume__isnull=True), name="need_volume_ge_0"),
            models.CheckConstraint(condition=Q(our_share_pct__lte=100), name="need_share_le_100"),
        ]


class CustomerCodeSequence(models.Model):
    """Next number for customer codes assigned by Kehu (imported customers keep the ERP's)."""

    prefix = models.CharField(max_length=10, unique=True)
    next_value = models.PositiveBigIntegerField(default=1)
