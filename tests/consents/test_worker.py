"""Through a real Celery worker on Redis: the re-confirmation sweep, chaining its batches; a sign-up's notices."""

import datetime
import time

import pytest
import time_machine
from django.core.management import call_command

from consents import services
from consents.models import ConsentItem, ConsentRecord, MarketingNotice
from consents.tasks import marketing_reconfirmation_sweep, send_marketing_notices
from members.models import Member
from tests.consents.factories import sign_up_kwargs
from tests.members.test_worker import worker_queue  # noqa: F401  (the fixture)


@pytest.fixture
def _email_in_memory(monkeypatch):
    """The worker process sends through the in-memory email backend (no SMTP server here)."""
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")


@pytest.mark.worker
@pytest.mark.usefixtures("_email_in_memory")
def test_the_reconfirmation_sweep_runs_through_a_real_worker(worker_queue):  # noqa: F811
    # given: members whose marketing consents were recorded 2 years minus 10 days ago
    call_command("load_policy", verbosity=0)
    with time_machine.travel(datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=2 * 365 - 10)):
        call_command("demo_data", members=30, verbosity=0)
    granted = ConsentRecord.objects.filter(item__kind__in=["marketing_email", "marketing_sms", "marketing_night"],
                                           granted=True).count()
    assert granted > 0
    # when: the task is sent through Redis in batches of 7 members
    result = marketing_reconfirmation_sweep.apply_async(kwargs={"batch_size": 7}, queue=worker_queue)
    first = result.get(timeout=60)
    # then: every batch ran (the first chained the rest) and each active consent got one sent notice
    assert first["has_more"] is True
    for _ in range(300):
        if MarketingNotice.objects.filter(kind="reconfirmation", sent_at__isnull=False).count() == granted:
            break
        time.sleep(0.1)
    assert MarketingNotice.objects.filter(kind="reconfirmation", sent_at__isnull=False).count() == granted
    assert Member.objects.count() > 30
    assert ConsentItem.objects.count() == 12


@pytest.mark.worker
@pytest.mark.usefixtures("_email_in_memory")
def test_a_sign_ups_marketing_notices_are_sent_by_a_real_worker_once(worker_queue, monkeypatch):  # noqa: F811
    # given: a sign-up opting in to every marketing channel; its task is taken as it is queued after commit
    call_command("load_policy", verbosity=0)
    queued = []
    monkeypatch.setattr(send_marketing_notices, "delay", queued.append)
    member = services.member_sign_up(**sign_up_kwargs(grant_optional=True))
    assert len(queued) == 1
    # when: the task goes through Redis to a worker, twice
    first = send_marketing_notices.apply_async(args=(queued[0],), queue=worker_queue).get(timeout=60)
    again = send_marketing_notices.apply_async(args=(queued[0],), queue=worker_queue).get(timeout=60)
    # then: the three result notices were sent once
    assert (first, again) == (3, 0)
    assert MarketingNotice.objects.filter(member=member, kind="result", sent_at__isnull=False).count() == 3
