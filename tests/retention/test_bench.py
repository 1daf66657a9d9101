"""`bench retention` prints its figures with ratios and leaves the database as it found it."""

import pytest
from django.core.management import call_command
from django.db import connections

from members.models import Member
from retention.models import ArchivedRecord, DestructionLog, RetentionRule
from retention.routers import archive_alias

pytestmark = pytest.mark.django_db(databases="__all__")


def test_bench_retention_prints_figures_with_ratios_and_leaves_nothing_behind(capsys):
    # when
    call_command("bench", "retention", size=400)
    # then
    out = capsys.readouterr().out
    assert "plain DELETE of the expired rows" in out
    assert "plain DELETE of the expired rows, partitioned copy" in out
    assert "retention sweep (expired months dropped, then SKIP LOCKED batches)" in out
    assert "sweep peak Python heap at N/10" in out
    assert "withdrawals one by one (200 members, rolled back)" in out
    assert "withdrawals 100 at a time, the officer action (200, rolled back)" in out
    assert "targets:" in out
    archive = connections[archive_alias()]
    with archive.cursor() as cursor:
        tables = archive.introspection.table_names(cursor)
    assert [name for name in tables if name.startswith("bench_retention_")] == []
    assert (Member.objects.count(), ArchivedRecord.objects.count(), DestructionLog.objects.count(),
            RetentionRule.objects.count()) == (0, 0, 0, 0)
