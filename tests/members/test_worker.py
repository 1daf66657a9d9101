"""A task runs end to end through a real Celery worker process on Redis."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app
from members.models import Member
from members.tasks import refresh_blind_indexes
from tests.members.factories import MemberFactory

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30


class WorkerDidNotStart(Exception):
    pass


def start_worker(queue: str, env: dict[str, str]) -> tuple[subprocess.Popen, tempfile.TemporaryFile]:
    """A worker process on its own queue, returned once it answers a ping. A worker that exits or does not
    answer in time fails at once, with what it wrote to stderr."""
    stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by the fixture, after the worker
    hostname = f"{queue}@{socket.gethostname()}"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue, "-n", hostname,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr.seek(0)
            raise WorkerDidNotStart(f"the worker exited with {process.returncode}:\n{stderr.read()}")
        if app.control.ping(destination=[hostname], timeout=0.5):
            return process, stderr
    process.kill()
    process.wait(timeout=10)
    stderr.seek(0)
    raise WorkerDidNotStart(f"the worker did not answer within {START_TIMEOUT} s:\n{stderr.read()}")


def _worker_env(**overrides: str) -> dict[str, str]:
    db = connection.settings_dict
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}", **overrides}


@pytest.fixture
def worker_queue(transactional_db):
    """A worker process on its own queue, connected to this test's database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    try:
        process, stderr = start_worker(queue, _worker_env())
    except WorkerDidNotStart as error:
        pytest.fail(str(error))
    yield queue
    process.terminate()
    process.wait(timeout=30)
    stderr.close()


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
        time.sleep(0.1)
    assert all(Member.objects.by_email(m.email).get() == m for m in members)


@pytest.mark.worker
@pytest.mark.django_db
def test_a_worker_that_cannot_start_fails_fast_with_its_stderr():
    # given settings the worker cannot import
    env = _worker_env(DJANGO_SETTINGS_MODULE="config.settings.does_not_exist")
    started = time.monotonic()
    # when
    with pytest.raises(WorkerDidNotStart) as caught:
        start_worker(f"test-{uuid.uuid4().hex[:8]}", env)
    # then: well before the 60 s a task result waits, and with the reason
    assert time.monotonic() - started < START_TIMEOUT
    assert "config.settings.does_not_exist" in str(caught.value)
