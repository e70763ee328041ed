"""Test-wide fixtures: named users per role (alice the rep, …) on a small organisation."""

import os

os.environ.setdefault("KEHU_FAST_PASSWORD_HASHER", "1")

import pytest  # noqa: E402


@pytest.fixture
def org(db):
    from kehu.testing import build_org

    return build_org()
