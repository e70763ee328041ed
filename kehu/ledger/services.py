"""Changes to the sales ledger: orders through their status flow, receivables, payments.

Status flow (DESIGN.md): draft → confirmed → delivered → invoiced → paid, or cancelled from
draft, held or confirmed; an order the credit check stops is held until an exception releases it.
Confirming is where the ledger meets credit: the credit app owns that step. ``order_confirm``
calls the step named by ``settings.ORDER_CONFIRM_STEP`` (the credit check; there is no fallback), and
that step calls ``order_mark_confirmed`` or ``order_mark_held`` after its check, so the ledger never
imports credit. Nothing else calls those two (tests/test_architecture.py).

The ledger's own rules are written once here and used by every path that writes orders, the
import included: a line's amount (``line_amount``), a receivable's due date (``due_date``), a
prospect's first order (``customers_promote_on_order``) and money received before its invoice
(``customer_apply_unallocated_payments``).
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.accounts.permissions import can_enter_orders, can_manage_products, can_record_payments
from kehu.core.money import ZERO, check_amount, to_money
from kehu.core.unique import save_unique
from kehu.customers.models import Customer, Lifecycle
from kehu.customers.selectors import customer_visible
from kehu.customers.services import customers_won_by_orders

from .models import (
    NumberSequence,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Product,
    Receivable,
)
from .rollup import COUNTING_STATUSES, order_rollup_count

MAX_QUANTITY = Decimal("1000000")
MAX_UNIT_PRICE = Decimal("1000000")
MAX_ORDER_TOTAL = Decimal("100000000")
MAX_LINES = 200


def next_number(*, prefix: str) -> str:
    with transaction.atomic():
        seq, _created = NumberSequence.objects.get_or_create(prefix=prefix)
        NumberSequence.objects.filter(pk=seq.pk).update(next_value=F("next_value") + 1)
        seq.refresh_from_db()
        return f"{prefix}{seq.next_value - 1:06d}"


def line_amount(*, quantity: Decimal, unit_price: Decimal) -> Decimal:
    """A line's amount: quantity (to the millilitre) times the unit price, to the fen, half up."""
    return (quantity.quantize(Decimal("0.001")) * unit_price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def due_date(*, issued_on: datetime.date, terms_days: int) -> datetime.date:
    """A receivable falls due the order's payment terms after it is invoiced."""
    return issued_on + datetime.timedelta(days=terms_days)


def customers_promote_on_order(*, customer_ids: list[int]) -> int:
    """A prospect with an order that counts (confirmed or later) becomes a customer, and red (P3):
    ``customers.customers_won_by_orders``, the one rule for an order entered, confirmed or imported."""
    return customers_won_by_orders(customer_ids=customer_ids)


def _order_prefix(day: datetime.date) -> str:
    return f"SO{day:%Y%m}-"


def _check_customer_for_order(*, user: User, customer: Customer) -> None:
    if not can_enter_orders(user):
        raise PermissionDenied(_("Your role does not enter orders."))
    # Another rep's customer is answered as if it did not exist.
    if not customer_visible(user=user).filter(pk=customer.pk).exists():
        raise ValidationError({"customer": [_("No such customer in your book.")]})
    if customer.lifecycle == Lifecycle.LOST:
        raise ValidationError({"customer": [_("This customer is marked lost; reactivate it before entering orders.")]})


def _clean_lines(lines: list[dict[str, Any]]) -> list[OrderLine]:
    if not lines:
        raise ValidationError({"lines": [_("An order needs at least one line.")]})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": [_("An order has at most %(n)d lines.") % {"n": MAX_LINES}]})
    out: list[OrderLine] = []
    errors: list[str] = []
    for index, line in enumerate(lines, start=1):
        product = line.get("product")
        if not isinstance(product, Product):
            try:
                product = Product.objects.filter(pk=int(product), active=True).first() if product else None
            except (TypeError, ValueError):
                product = None
        if product is None or not product.active:
            errors.append(_("Line %(n)d: choose a product.") % {"n": index})
            continue
        try:
            quantity = Decimal(str(line.get("quantity", "")).replace(",", "").strip())
        except Exception:
            errors.append(_("Line %(n)d: the quantity is not a number.") % {"n": index})
            continue
        if not quantity.is_finite() or quantity <= 0:
            errors.append(_("Line %(n)d: the quantity must be greater than zero.") % {"n": index})
            continue
        if quantity > MAX_QUANTITY:
            errors.append(_("Line %(n)d: a quantity of %(q)s is not believable; check it.") % {"n": index, "q": f"{quantity:,}"})
            continue
        raw_price = line.get("unit_price")
        try:
            price = product.list_price if raw_price in (None, "") else to_money(raw_price)
            check_amount(price, maximum=MAX_UNIT_PRICE)
        except ValidationError as exc:
            errors.append(_("Line %(n)d: %(msg)s") % {"n": index, "msg": exc.messages[0]})
            continue
        quantity = quantity.quantize(Decimal("0.001"))
        amount = line_amount(quantity=quantity, unit_price=price)
        out.append(OrderLine(product=product, quantity=quantity, unit_price=price, amount=amount))
    if errors:
        raise ValidationError({"lines": errors})
    total = sum((line.amount for line in out), ZERO)
    if total > MAX_ORDER_TOTAL:
        raise ValidationError({"lines": [_("An order of %(total)s yuan is larger than Kehu accepts; check the amounts.") % {"total": f"{total:,.2f}"}]})
    return out


@transaction.atomic
def order_create(
    *,
    user: User,
    customer: Customer,
    lines: list[dict[str, Any]],
    order_date: datetime.date | None = None,
    payment_method: str = PaymentMethod.CREDIT,
    notes: str = "",
) -> Order:
    _check_customer_for_order(user=user, customer=customer)
    if payment_method not in PaymentMethod.values:
        raise ValidationError({"payment_method": [_("Choose how the customer pays.")]})
    clean = _clean_lines(lines)
    day = order_date or timezone.localdate()
    # Terms as approved now, not as the caller's copy of the customer remembers them.
    terms = Customer.objects.values_list("payment_terms_days", flat=True).get(pk=customer.pk)
    if day > timezone.localdate() + datetime.timedelta(days=366):
        raise ValidationError({"order_date": [_("The order date is too far in the future.")]})
    order = Order.objects.create(
        number=next_number(prefix=_order_prefix(day)),
        customer=customer,
        handler=customer.owner if customer.owner_id != user.pk and user.role != Role.REP else user,
        order_date=day,
        payment_method=payment_method,
        payment_terms_days=0 if payment_method == PaymentMethod.CASH else terms,
        total=sum((line.amount for line in clean), ZERO),
        notes=(notes or "")[:200],
        created_by=user,
    )
    for line in clean:
        line.order = order
    OrderLine.objects.bulk_create(clean)
    return order


@transaction.atomic
def order_update_lines(*, user: User, order: Order, lines: list[dict[str, Any]]) -> Order:
    """Change a draft or held order's lines. A held order goes back to draft: it must be checked again."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    _check_customer_for_order(user=user, customer=order.customer)
    if order.status not in (OrderStatus.DRAFT, OrderStatus.HELD):
        raise ValidationError(_("Only a draft or held order can be changed; cancel it and enter a new one."))
    clean = _clean_lines(lines)
    order.lines.all().delete()
    for line in clean:
        line.order = order
    OrderLine.objects.bulk_create(clean)
    order.total = sum((line.amount for line in clean), ZERO)
    order.status = OrderStatus.DRAFT
    order.save(update_fields=["total", "status", "updated_at"])
    return order


def _transition(order: Order, *, allowed_from: set[str], to: str, expect_total: Decimal | None = None,
                **changes: Any) -> Order:
    """Compare-and-set the status: only from the states allowed, whatever the caller's copy says
    (and, with ``expect_total``, only if the total is still the one the caller checked)."""
    changes["updated_at"] = timezone.now()
    rows = Order.objects.filter(pk=order.pk, status__in=allowed_from)
    if expect_total is not None:
        rows = rows.filter(total=expect_total)
    if not rows.update(status=to, **changes):
        order.refresh_from_db()
        if expect_total is not None and order.status in allowed_from:
            raise ValidationError(_("The order changed while it was being checked; confirm it again."))
        raise ValidationError(
            _("This order is %(status)s and cannot become %(target)s.")
            % {"status": order.get_status_display(), "target": OrderStatus(to).label}
        )
    order.status = to
    for field, value in changes.items():
        setattr(order, field, value)
    return order


@transaction.atomic(savepoint=False)
def order_mark_confirmed(*, order: Order, expect_total: Decimal | None = None) -> Order:
    """The ledger's own state change; the confirm step (credit) owns the check that comes first."""
    order = _transition(order, allowed_from={OrderStatus.DRAFT, OrderStatus.HELD}, to=OrderStatus.CONFIRMED,
                        expect_total=expect_total, confirmed_at=timezone.now())
    order_rollup_count(order=order, sign=1, total=expect_total)
    # A customer is never made a prospect again, so one already a customer needs no statement.
    if "customer" not in order._state.fields_cache or order.customer.lifecycle == Lifecycle.PROSPECT:
        customers_promote_on_order(customer_ids=[order.customer_id])
    return order


@transaction.atomic(savepoint=False)
def order_mark_held(*, order: Order, expect_total: Decimal | None = None) -> Order:
    return _transition(order, allowed_from={OrderStatus.DRAFT, OrderStatus.HELD}, to=OrderStatus.HELD,
                       expect_total=expect_total)


def order_check_confirmable(*, user: User, order: Order) -> None:
    _check_customer_for_order(user=user, customer=order.customer)
    if order.status not in (OrderStatus.DRAFT, OrderStatus.HELD):
        raise ValidationError(
            _("This order is %(status)s and cannot be confirmed.") % {"status": order.get_status_display()}
        )
    if order.total <= 0:
        raise ValidationError(_("An order with nothing to charge cannot be confirmed."))


def confirm_step() -> Any:
    """The confirm step named in the settings: the credit check (``kehu.credit.services``). It is
    read from the settings, never registered at run time, and there is no default: without it no
    order can be confirmed at all."""
    path = getattr(settings, "ORDER_CONFIRM_STEP", "")
    if not path:
        raise ImproperlyConfigured("ORDER_CONFIRM_STEP names no confirm step; orders cannot be confirmed.")
    return import_string(path)


@transaction.atomic
def order_confirm(*, user: User, order: Order) -> Order:
    """Confirm an order through the confirm step (the credit check).

    Returns the order, confirmed or held; a held order carries the reasons in its latest check.
    """
    order_check_confirmable(user=user, order=order)
    return confirm_step()(user=user, order=order)


def orders_confirm(*, user: User, orders: list[Order]) -> list[tuple[Order, str]]:
    """Confirm many orders, each through the same confirm step and lock as one confirmed alone,
    one transaction each, in customer order (so two bulk runs never wait on each other in a circle).
    Returns each order with its outcome: its new status, or the reason it could not be confirmed."""
    out: list[tuple[Order, str]] = []
    for order in sorted(orders, key=lambda o: (o.customer_id, o.pk)):
        try:
            order = order_confirm(user=user, order=Order.objects.select_related("customer").get(pk=order.pk))
        except (ValidationError, PermissionDenied) as exc:
            out.append((order, " ".join(getattr(exc, "messages", None) or [str(exc)])))
        else:
            out.append((order, order.status))
    return out


@transaction.atomic
def order_deliver(*, user: User, order: Order, day: datetime.date | None = None) -> Order:
    _check_customer_for_order(user=user, customer=order.customer)
    return _transition(order, allowed_from={OrderStatus.CONFIRMED}, to=OrderStatus.DELIVERED,
                       delivered_on=day or timezone.localdate())


@transaction.atomic
def order_invoice(*, user: User, order: Order, day: datetime.date | None = None) -> Order:
    """Invoicing creates the receivable, due after the order's payment terms."""
    _check_customer_for_order(user=user, customer=order.customer)
    day = day or timezone.localdate()
    order = _transition(order, allowed_from={OrderStatus.DELIVERED}, to=OrderStatus.INVOICED, invoiced_on=day)
    Receivable.objects.create(
        order=order, customer_id=order.customer_id, amount=order.total, issued_on=day,
        due_on=due_date(issued_on=day, terms_days=order.payment_terms_days),
    )
    customer_apply_unallocated_payments(customer_id=order.customer_id, day=day)
    return order


@transaction.atomic
def order_cancel(*, user: User, order: Order) -> Order:
    _check_customer_for_order(user=user, customer=order.customer)
    # The status under lock: a confirmed order stops counting as sales when it is cancelled.
    counted = Order.objects.select_for_update().filter(pk=order.pk).values_list("status", flat=True).first() in COUNTING_STATUSES
    order = _transition(order, allowed_from={OrderStatus.DRAFT, OrderStatus.HELD, OrderStatus.CONFIRMED}, to=OrderStatus.CANCELLED,
                        cancelled_at=timezone.now())
    if counted:
        order_rollup_count(order=order, sign=-1)
    return order


def _allocate(payment: Payment, receivable: Receivable, amount: Decimal, day: datetime.date) -> None:
    PaymentAllocation.objects.create(payment=payment, receivable=receivable, amount=amount)
    Receivable.objects.filter(pk=receivable.pk).update(paid=F("paid") + amount)
    receivable.refresh_from_db()
    if receivable.outstanding == 0:
        Receivable.objects.filter(pk=receivable.pk).update(settled_on=day)
        Order.objects.filter(pk=receivable.order_id, status=OrderStatus.INVOICED).update(status=OrderStatus.PAID)


def customer_apply_unallocated_payments(*, customer_id: int, day: datetime.date) -> None:
    """Money received before the invoice pays it as soon as it exists, oldest due first."""
    payments = Payment.objects.select_for_update().filter(customer_id=customer_id, unallocated__gt=0).order_by("received_on", "id")
    for payment in payments:
        _allocate_fifo(payment, day=day)


def _allocate_fifo(payment: Payment, *, day: datetime.date) -> None:
    remaining = payment.unallocated
    open_items = (
        Receivable.objects.select_for_update()
        .filter(customer_id=payment.customer_id, settled_on__isnull=True)
        .order_by("due_on", "id")
    )
    for receivable in open_items:
        if remaining <= 0:
            break
        share = min(remaining, receivable.outstanding)
        if share > 0:
            _allocate(payment, receivable, share, day)
            remaining -= share
    Payment.objects.filter(pk=payment.pk).update(unallocated=remaining)
    payment.unallocated = remaining


@transaction.atomic
def payment_record(
    *,
    user: User,
    customer: Customer,
    amount: Any,
    received_on: datetime.date | None = None,
    channel: str = "bank",
    reference: str = "",
    allocations: list[tuple[Receivable, Any]] | None = None,
) -> Payment:
    """Record money received and allocate it: to the receivables named, else oldest due first.

    What is not allocated stays on the payment as the customer's credit and pays the next invoice.
    """
    if not can_record_payments(user):
        raise PermissionDenied(_("Your role does not record payments."))
    if not customer_visible(user=user).filter(pk=customer.pk).exists():
        raise ValidationError({"customer": [_("No such customer in your book.")]})
    try:
        value = check_amount(to_money(amount), allow_zero=False)
    except ValidationError as exc:
        raise ValidationError({"amount": exc.messages}) from None
    day = received_on or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"received_on": [_("A payment cannot be received in the future.")]})
    payment = Payment.objects.create(
        customer=customer, received_on=day, amount=value, unallocated=value, channel=channel,
        reference=(reference or "")[:60], created_by=user,
    )
    if allocations:
        remaining = value
        for receivable, raw in allocations:
            receivable = Receivable.objects.select_for_update().get(pk=receivable.pk)
            share = to_money(raw)
            if receivable.customer_id != customer.pk:
                raise ValidationError({"allocations": [_("A payment can only pay this customer's receivables.")]})
            if share <= 0 or share > receivable.outstanding or share > remaining:
                raise ValidationError({"allocations": [
                    _("%(amount)s cannot be allocated to %(order)s: it owes %(owed)s and %(left)s of the payment is left.")
                    % {"amount": share, "order": receivable.order.number, "owed": receivable.outstanding, "left": remaining}
                ]})
            _allocate(payment, receivable, share, day)
            remaining -= share
        Payment.objects.filter(pk=payment.pk).update(unallocated=remaining)
        payment.unallocated = remaining
    else:
        _allocate_fifo(payment, day=day)
    return payment


@transaction.atomic
def product_save(*, user: User, data: dict[str, Any], product: Product | None = None) -> Product:
    """Create or change a catalogue product (admins only)."""
    if not can_manage_products(user):
        raise PermissionDenied(_("Only an administrator changes the product catalogue."))
    # The row as it is now, locked: two people changing different fields of one product keep both.
    product = Product.objects.select_for_update().get(pk=product.pk) if product and product.pk else Product()
    for field, value in data.items():
        setattr(product, field, value.strip() if isinstance(value, str) else value)
    errors: dict[str, list[str]] = {}
    if "list_price" in data:
        try:
            product.list_price = check_amount(to_money(product.list_price), maximum=MAX_UNIT_PRICE)
        except ValidationError as exc:
            errors["list_price"] = exc.messages
    if "pack_size" in data and not product.pack_size > 0:
        errors["pack_size"] = [_("The pack size must be greater than zero.")]
    if errors:
        raise ValidationError(errors)
    try:
        product.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    save_unique(product, field="code")  # the same code saved a moment ago elsewhere: refused, not an error
    return product
