"""The customer import runs the same duplicate check as entry: a lookalike of a customer Kehu has,
or of an earlier row, is refused with the existing record and its owner named."""

import pytest

from kehu.customers.models import Customer
from kehu.dataio.services import import_file
from kehu.dataio.tests.files import xlsx
from kehu.testing import make_customer

pytestmark = pytest.mark.django_db


def run(user, data, kind="customers"):
    return import_file(user=user, kind=kind, name="f.xlsx", source=xlsx(data), commit=True, assign="me")


def test_lookalikes_of_existing_customers_and_of_earlier_rows_are_refused(org):
    make_customer(org.bob, "上海宏达润滑油有限公司", phone="13900000009")
    done = run(org.alice, [
        ["客户名称", "电话"],
        ["宏达润滑油（上海）有限公司", ""],            # the same company, written otherwise
        ["全新物流有限公司", "139 0000 0009"],         # bob's customer's phone
        ["苏州华星机械制造有限公司", "13800000001"],
        ["华星机械制造（苏州）有限公司", "13800000002"],  # row 4 again
        ["常熟天马纺织有限公司", "13800000003"],
    ])
    messages = " ".join(e["message"] if isinstance(e, dict) else str(e) for e in done.errors)
    assert "鲍勃" in messages and len(done.errors) == 3, done.errors
    assert not done.committed  # an import is all or nothing
    assert Customer.objects.count() == 1


def test_clean_file_imports_with_name_keys(org):
    done = run(org.alice, [["客户名称", "电话"], ["苏州华星机械制造有限公司", "13800000001"]])
    assert done.committed, done.errors
    assert Customer.objects.get(name="苏州华星机械制造有限公司").name_key == "华星机械制造"
