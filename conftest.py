"""Test-wide fixtures: named users per role (alice the rep, …) on a small organisation."""

import pytest


def pytest_configure(config):
    from django.conf import settings

    # Hashing is not what the tests test, and Argon2 is slow by design (a test asserts that
    # production uses Argon2 by reading the settings module itself).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    """A page request activates its language in this thread; the next test starts from the default."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def org(db):
    from kehu.testing import build_org

    return build_org()
