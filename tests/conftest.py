import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    """Assertions read messages in English unless a test switches to Korean itself."""
    with translation.override("en"):
        yield
