import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Messages are read in English here; the Chinese ones are checked by the translation test."""
    with translation.override("en"):
        yield
