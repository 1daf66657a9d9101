import pytest

from consents.loading import policy_load
from consents.models import ConsentItem


@pytest.fixture
def policy(db):
    """The seed policy, loaded as `load_policy` does."""
    policy_load()
    return {item.code: item for item in ConsentItem.objects.all()}


@pytest.fixture
def notices_by_the_worker(monkeypatch):
    """send_marketing_notices runs here, as the worker runs it, when a change queues it (tests/consents/test_worker.py
    runs one through a real worker). Returns the notice ids of each queued task."""
    from consents.tasks import send_marketing_notices

    queued = []

    def delay(notice_ids):
        queued.append(sorted(notice_ids))
        return send_marketing_notices.apply(args=(notice_ids,))

    monkeypatch.setattr(send_marketing_notices, "delay", delay)
    return queued
