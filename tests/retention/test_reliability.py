"""Reliability on PostgreSQL: concurrent sweeps, a worker killed mid-sweep, beat and worker end to end."""

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connections
from django.db.models import Q, Sum
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from retention.models import ArchiveDataKey, ArchivedRecord, DestructionLog, LegalHold, SweepReceipt
from retention.partitions import partition_name
from retention.services import retention_rules_load, retention_sweep
from retention.tasks import retention_sweep as retention_sweep_task
from tests.members.factories import MemberFactory
from tests.retention.bulk import archive_rows

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

YESTERDAY = datetime.date.today() - datetime.timedelta(days=2)
NEXT_YEAR = datetime.date.today() + datetime.timedelta(days=365)
# Wholly past months: the sweep counts and drops them whole (retention.partitions).
PAST_MONTHS = [(datetime.date.today().replace(day=1) - relativedelta(months=n)).replace(day=15) for n in range(2, 8)]


def ledger_total() -> int:
    return DestructionLog.objects.filter(event="sweep").aggregate(total=Sum("count"))["total"] or 0


def _url(alias: str) -> str:
    db = connections[alias].settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _env() -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": _url("default")}
    if "archive" in connections.settings:
        env["ARCHIVE_DATABASE_URL"] = _url("archive")
    return env


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", *args], cwd=ROOT, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _worker(queue: str) -> subprocess.Popen:
    return _start("worker", "--pool=solo", "-Q", queue, "--without-gossip", "--without-mingle",
                  "--without-heartbeat", "--loglevel=WARNING")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(condition, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def hold_one_row(destroy_after: datetime.date) -> str:
    """A legal hold on one row of the month: the month cannot be dropped whole, so it goes by batches
    whatever today's date (on the 1st, YESTERDAY's month would otherwise be wholly past)."""
    subject = ArchivedRecord.objects.filter(destroy_after=destroy_after).values_list("subject_key", flat=True)[0]
    officer = MemberFactory(is_staff=True)
    LegalHold.objects.create(member=MemberFactory(), subject_key=subject, reason="소송", held_by=officer,
                             until=NEXT_YEAR)
    return subject


def test_two_sweeps_at_once_destroy_every_expired_row_exactly_once():
    # given: a month that goes by batches (SKIP LOCKED)
    retention_rules_load()
    archive_rows(3001, destroy_after=YESTERDAY)
    held = hold_one_row(YESTERDAY)
    archive_rows(200, destroy_after=NEXT_YEAR)
    unexpired = set(ArchivedRecord.objects.filter(Q(destroy_after=NEXT_YEAR) | Q(subject_key=held))
                    .values_list("pk", flat=True))
    reports, errors = [], []

    def sweep() -> None:
        try:
            reports.append(retention_sweep(batch_size=50))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            for connection in connections.all():
                connection.close()

    # when
    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert errors == []
    assert sum(report.destroyed for report in reports) == 3000
    assert all(report.destroyed > 0 for report in reports)  # both did real work
    assert set(ArchivedRecord.objects.values_list("pk", flat=True)) == unexpired
    assert ArchiveDataKey.objects.count() == 201
    assert ledger_total() == 3000
    assert not SweepReceipt.objects.exists()


def test_two_sweeps_at_once_drop_each_wholly_past_month_exactly_once():
    # given: six wholly past months, and rows not yet expired
    retention_rules_load()
    for month in PAST_MONTHS:
        archive_rows(500, destroy_after=month)
    archive_rows(200, destroy_after=NEXT_YEAR)
    reports, errors = [], []

    def sweep() -> None:
        try:
            reports.append(retention_sweep())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            for connection in connections.all():
                connection.close()

    # when
    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then: every month's partitions are gone, each counted once in the ledger
    assert errors == []
    assert sum(report.destroyed for report in reports) == 3000 == ledger_total()
    assert set(ArchivedRecord.objects.values_list("destroy_after", flat=True)) == {NEXT_YEAR}
    assert ArchiveDataKey.objects.count() == 200
    assert not SweepReceipt.objects.exists()
    archive = connections[ArchivedRecord.objects.db]
    with archive.cursor() as cursor:
        tables = set(archive.introspection.table_names(cursor))
    for month in PAST_MONTHS:
        assert partition_name(ArchivedRecord._meta.db_table, month.replace(day=1)) not in tables
        assert partition_name(ArchiveDataKey._meta.db_table, month.replace(day=1)) not in tables


@pytest.mark.worker
def test_a_worker_killed_mid_sweep_then_restarted_leaves_no_expired_row_and_an_exact_ledger():
    # given: a large sweep in small batches
    retention_rules_load()
    total = 8_000
    archive_rows(total + 1, destroy_after=YESTERDAY)
    held = hold_one_row(YESTERDAY)
    archive_rows(300, destroy_after=NEXT_YEAR)
    unexpired = set(ArchivedRecord.objects.filter(Q(destroy_after=NEXT_YEAR) | Q(subject_key=held))
                    .values_list("archive_key", flat=True))
    expired = ArchivedRecord.objects.filter(destroy_after=YESTERDAY).exclude(subject_key=held)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = _worker(queue)
    try:
        retention_sweep_task.apply_async(kwargs={"batch_size": 50}, queue=queue)
        # when: killed with SIGKILL once it is well under way
        assert _wait(lambda: expired.count() < total * 0.8)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        left = expired.count()
        assert 0 < left < total
        # and restarted, with the sweep sent again (as beat does the next day)
        worker = _worker(queue)
        retention_sweep_task.apply_async(kwargs={"batch_size": 50}, queue=queue)
        assert _wait(lambda: not expired.exists() and not SweepReceipt.objects.exists() and ledger_total() == total)
    finally:
        _stop(worker)
    # then
    assert set(ArchivedRecord.objects.values_list("archive_key", flat=True)) == unexpired
    assert ArchiveDataKey.objects.count() == len(unexpired)
    assert ledger_total() == total


@pytest.mark.worker
def test_beat_triggers_the_sweep_through_a_worker_on_redis_and_the_ledger_says_so():
    # given: expired rows, and the sweep scheduled in django-celery-beat every second on this test's queue
    retention_rules_load()
    archive_rows(500, destroy_after=YESTERDAY)
    archive_rows(20, destroy_after=NEXT_YEAR)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    every_second, _created = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name=f"sweep {queue}", task="retention.tasks.retention_sweep",
                                interval=every_second, queue=queue, kwargs='{"batch_size": 100}')
    worker = _worker(queue)
    beat = _start("beat", "--loglevel=WARNING", "--max-interval=1")
    try:
        # when / then
        assert _wait(lambda: ledger_total() == 500, timeout=120)
    finally:
        _stop(beat)
        _stop(worker)
    assert ArchivedRecord.objects.count() == 20
    assert DestructionLog.objects.filter(event="sweep", method="crypto_shred").exists()
    assert timezone.now() - DestructionLog.objects.latest("occurred_at").occurred_at < datetime.timedelta(minutes=5)
