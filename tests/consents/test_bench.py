"""`bench consents` prints its figures and leaves the main tables as it found them."""

import pytest
from django.core.management import call_command
from django.db import connection

from consents.models import ConsentItem, ConsentRecord, MarketingNotice, PolicyVersion
from members.models import Member

pytestmark = pytest.mark.django_db


def _inserted_in_this_transaction(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT n_tup_ins FROM pg_stat_xact_user_tables WHERE relname = %s "
                       "AND schemaname = 'public'", [table])
        row = cursor.fetchone()
    return row[0] if row else 0


def test_bench_consents_prints_figures_with_ratios_and_leaves_no_rows(capsys):
    # given: what this transaction had inserted before the bench
    tables = ("members_member", "consents_consentrecord", "consents_marketingnotice")
    before = {table: _inserted_in_this_transaction(table) for table in tables}
    # when
    call_command("bench", "consents", size=60)
    # then
    out = capsys.readouterr().out
    assert "queries of one sign-up" in out
    assert "selector in one query: met" in out
    assert "sign-up query count independent of the number of items: met" in out
    # nothing was inserted into the main tables, so not even dead rows are left behind
    for table in tables:
        assert _inserted_in_this_transaction(table) == before[table], table
    assert (Member.objects.count(), ConsentRecord.objects.count(), MarketingNotice.objects.count(),
            ConsentItem.objects.count(), PolicyVersion.objects.count()) == (0, 0, 0, 0, 0)
