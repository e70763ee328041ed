import datetime
from decimal import Decimal

from kehu.ledger.services import order_confirm, order_create

AS_OF = datetime.date(2026, 12, 1)


def sale(org, customer, amount, day=datetime.date(2026, 6, 15), *, user=None, payment_method="cash"):
    """A confirmed order of ``amount`` yuan, entered and confirmed through the ledger's services."""
    user = user or customer.owner
    order = order_create(user=user, customer=customer, order_date=day, payment_method=payment_method,
                         lines=[{"product": org.product, "quantity": "1", "unit_price": str(Decimal(amount))}])
    return order_confirm(user=user, order=order)
