import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    """Assertions read messages in English unless a test switches to Korean itself."""
    with translation.override("en"):
        yield


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failure (browser screenshots)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
