"""docs/permissions.md is the table the permission modules make, and what it says holds in Kehu."""

from pathlib import Path

import pytest
from django.conf import settings

from kehu.analytics.permissions_table import permissions_markdown, permissions_matrix
from kehu.dataio.selectors import import_kinds


def test_the_docs_table_is_made_from_the_code():
    on_disk = (Path(settings.BASE_DIR) / "docs" / "permissions.md").read_text(encoding="utf-8").strip()
    assert on_disk == permissions_markdown().strip(), "run: kehu permissions --markdown > docs/permissions.md"


def test_the_table_in_chinese_names_the_roles_in_chinese():
    table = permissions_markdown(language="zh-hans")
    assert "业务员" in table and "Sales rep" not in table


@pytest.mark.parametrize("who, kinds", [
    ("alice", {"customers", "prospects", "contacts", "orders"}),
    ("sam", {"customers", "prospects", "contacts", "orders"}),
    ("cathy", {"orders", "payments", "credit_limits"}),
    ("sid", {"customers", "prospects", "contacts", "orders", "credit_limits"}),
    ("ada", {"customers", "prospects", "contacts", "products", "orders", "payments", "credit_limits"}),
])
def test_the_upload_page_offers_what_the_table_says(org, who, kinds):
    assert {k for k, _label in import_kinds(user=getattr(org, who))} == kinds


def test_every_rule_is_decided_for_every_role():
    for _title, rows in permissions_matrix():
        for label, allowed in rows:
            assert label and len(allowed) == 6
