"""A partner import's invitations leave from a real Celery worker on Redis, each once."""

import time

import pytest

from config.celery import app
from disclosures.imports import partner_import
from disclosures.models import ImportedMember
from disclosures.tasks import send_invitations
from tests.members.test_worker import worker_queue  # noqa: F401  (the fixture)


@pytest.fixture
def _email_in_memory(monkeypatch):
    """The worker process sends through the in-memory email backend (no SMTP server here)."""
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")


@pytest.mark.worker
@pytest.mark.usefixtures("_email_in_memory")
def test_the_invitations_of_an_import_are_sent_by_a_real_worker_once(worker_queue, source, officer):  # noqa: F811
    # given: an import of 6 new members, committed
    text = "이름,이메일,동의참조번호\r\n" + "".join(f"김민준,worker{n}@hangyeol-it.co.kr,HG-{n}\r\n" for n in range(6))
    batch = partner_import(source=source, content=text.encode(), filename="members.csv", actor=officer,
                           base_url="https://learn.example.com/")
    app.control.purge()  # the import's own task, queued on commit to the default queue no test worker reads
    assert ImportedMember.objects.filter(batch=batch, invited_at__isnull=True).count() == 6
    # when: the task goes through Redis to the worker, twice
    first = send_invitations.apply_async(args=(batch.pk, "https://learn.example.com/"), queue=worker_queue)
    assert first.get(timeout=60) == {"sent": 6, "more": False}
    again = send_invitations.apply_async(args=(batch.pk, "https://learn.example.com/"), queue=worker_queue)
    # then: every created member is marked invited, and the second run found nothing left to send
    assert again.get(timeout=60) == {"sent": 0, "more": False}
    for _ in range(50):
        if not ImportedMember.objects.filter(batch=batch, invited_at__isnull=True).exists():
            break
        time.sleep(0.1)
    assert not ImportedMember.objects.filter(batch=batch, invited_at__isnull=True).exists()
