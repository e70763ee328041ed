from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kehu.core.catalogue import ProductCategory
from kehu.core.models import TimeStampedModel
from kehu.customers.models import Customer


class Unit(models.TextChoices):
    LITRE = "L", _("litre")
    KG = "kg", _("kg")
    TONNE = "t", _("tonne")
    BARREL = "barrel", _("barrel")
    DRUM = "drum", _("drum")
    CARTON = "carton", _("carton")


class Product(TimeStampedModel):
    code = models.CharField(_("product code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=ProductCategory.choices)
    grade = models.CharField(_("grade"), max_length=60, blank=True, help_text=_("e.g. 15W-40 CI-4, ISO VG 46, 0# diesel"))
    pack_size = models.DecimalField(_("pack size"), max_digits=10, decimal_places=3, default=1)
    pack_unit = models.CharField(_("pack unit"), max_length=10, choices=Unit.choices, default=Unit.LITRE)
    sales_unit = models.CharField(_("sales unit"), max_length=10, choices=Unit.choices, default=Unit.DRUM)
    list_price = models.DecimalField(_("list price (CNY)"), max_digits=12, decimal_places=2)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category", "code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_price_ge_0"),
            models.CheckConstraint(condition=Q(pack_size__gt=0), name="product_pack_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.grade}".strip()


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    HELD = "held", _("Held for credit")
    CONFIRMED = "confirmed", _("Confirmed")
    DELIVERED = "delivered", _("Delivered")
    INVOICED = "invoiced", _("Invoiced")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentMethod(models.TextChoices):
    CREDIT = "credit", _("On credit")
    CASH = "cash", _("Cash / prepaid")


class Order(TimeStampedModel):
    number = models.CharField(_("order number"), max_length=40, unique=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders")
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handler"), on_delete=models.PROTECT, related_name="handled_orders",
        help_text=_("The rep who handled the business (承办人)."),
    )
    order_date = models.DateField(_("order date"))
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    payment_method = models.CharField(_("payment"), max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.CREDIT)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=0)
    total = models.DecimalField(_("total (CNY)"), max_digits=14, decimal_places=2, default=0)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    invoiced_on = models.DateField(_("invoiced on"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-order_date", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_ge_0"),
        ]
        indexes = [
            models.Index(fields=["customer", "-order_date"]),
            models.Index(fields=["customer", "status"]),
            models.Index(fields=["handler", "-order_date"]),
            models.Index(fields=["order_date"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_editable(self) -> bool:
        return self.status in (OrderStatus.DRAFT, OrderStatus.HELD)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price (CNY)"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="line_price_ge_0"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="line_amount_ge_0"),
        ]


class Receivable(TimeStampedModel):
    """What an invoiced order leaves the customer owing, due by the order's payment terms."""

    order = models.OneToOneField(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="receivable")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="receivables")
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    paid = models.DecimalField(_("paid (CNY)"), max_digits=14, decimal_places=2, default=0)
    written_off = models.DecimalField(_("written off (CNY)"), max_digits=14, decimal_places=2, default=0)
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    settled_on = models.DateField(_("settled on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("receivable")
        verbose_name_plural = _("receivables")
        constraints = [
            models.CheckConstraint(condition=Q(paid__gte=0) & Q(written_off__gte=0), name="receivable_nonneg"),
            models.CheckConstraint(
                condition=Q(amount__gte=F("paid") + F("written_off")), name="receivable_not_overpaid"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "due_on"], condition=Q(settled_on__isnull=True), name="receivable_open_idx"),
        ]

    @property
    def outstanding(self):
        return self.amount - self.paid - self.written_off


class PaymentChannel(models.TextChoices):
    BANK = "bank", _("Bank transfer")
    CASH = "cash", _("Cash")
    ACCEPTANCE = "acceptance", _("Bank acceptance bill")
    OTHER = "other", _("Other")


class Payment(TimeStampedModel):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="payments")
    received_on = models.DateField(_("received on"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    unallocated = models.DecimalField(_("unallocated (CNY)"), max_digits=14, decimal_places=2, default=0)
    channel = models.CharField(_("channel"), max_length=12, choices=PaymentChannel.choices, default=PaymentChannel.BANK)
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_gt_0"),
            models.CheckConstraint(condition=Q(unallocated__gte=0) & Q(unallocated__lte=F("amount")), name="payment_unallocated_range"),
        ]
        indexes = [models.Index(fields=["customer", "-received_on"])]


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    receivable = models.ForeignKey(Receivable, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_gt_0")]


class NumberSequence(models.Model):
    """Gap-free order numbers per prefix, incremented with a conditional UPDATE."""

    prefix = models.CharField(max_length=20, unique=True)
    next_value = models.PositiveBigIntegerField(default=1)


class CustomerMonthSales(models.Model):
    """Sales per customer per calendar month (by order date), net of anything taken back.

    Kept current by ``ledger.rollup.sales_rollup_apply`` from every state change that makes an
    order count or stop counting, so grading reads one row per customer-month instead of every
    order line. ``month`` is the first day of the month.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    amount = models.DecimalField(_("sales (CNY)"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("monthly sales")
        verbose_name_plural = _("monthly sales")
        constraints = [
            models.UniqueConstraint(fields=["customer", "month"], name="customer_month_sales_unique"),
        ]
        indexes = [models.Index(fields=["month", "customer", "amount"], name="month_sales_idx")]
