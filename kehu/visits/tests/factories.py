"""Test data for field work: customers with grades and positions in Shanghai, through the real services."""

import itertools
from decimal import Decimal

from kehu.customers.models import Customer, Lifecycle
from kehu.testing import make_customer

_n = itertools.count(1)
DISTRICTS = [("浦东新区", 31.2215, 121.5440), ("徐汇区", 31.1885, 121.4365), ("闵行区", 31.1128, 121.3817),
             ("静安区", 31.2290, 121.4480)]


def graded_customer(owner, grade: str = "C", *, district: int = 0, lifecycle: str = Lifecycle.CUSTOMER,
                    exact: bool = True, **data) -> Customer:
    """A customer of ``owner`` with an ABC grade (written as the grading work writes the field)."""
    n = next(_n)
    name, lat, lng = DISTRICTS[district % len(DISTRICTS)]
    offset = Decimal(n % 17) / Decimal(1000)
    customer = make_customer(owner, name=f"{name}测试{grade}{n}有限公司", lifecycle=lifecycle,
                             **({"lat": Decimal(str(lat)) + offset, "lng": Decimal(str(lng)) + offset} if exact else {}),
                             **data)
    Customer.objects.filter(pk=customer.pk).update(abc_grade=grade if lifecycle != Lifecycle.PROSPECT else "",
                                                   district=name, city="上海市", province="上海市")
    customer.refresh_from_db()
    return customer
