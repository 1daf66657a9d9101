"""A task runs end to end through a real Celery worker process on Redis."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from members.models import Member
from members.tasks import refresh_blind_indexes
from tests.members.factories import MemberFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_queue(transactional_db):
    """A worker process on its own queue, connected to this test's database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    yield queue
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.worker
def test_refresh_blind_indexes_runs_through_a_real_worker(worker_queue):
    # given: stale indexes in the database the worker reads
    members = [MemberFactory() for _ in range(5)]
    Member.objects.update(email_index=None)
    # when: the task is sent through Redis and a worker runs it, chaining a second batch
    result = refresh_blind_indexes.apply_async(kwargs={"batch_size": 3}, queue=worker_queue)
    first = result.get(timeout=60)
    # then
    assert first == {"updated": 3, "last_pk": members[2].pk, "has_more": True}
    for _ in range(300):
        if not Member.objects.filter(email_index__isnull=True).exists():
            break
        import time

        time.sleep(0.1)
    assert all(Member.objects.by_email(m.email).get() == m for m in members)
