"""`bench keys` prints its figures with ratios and leaves the database as it found it."""

import pytest
from django.core.management import call_command
from django.db import connection

from members.models import KeyCanary, Member
from tests.members.factories import MemberFactory


@pytest.mark.django_db(transaction=True)
def test_bench_keys_prints_figures_and_leaves_the_database_as_found(capsys):
    # given: a member and the canaries of this database
    member = MemberFactory()
    from members.keys import check_keys

    check_keys()
    canaries = {c.purpose: bytes(c.value) for c in KeyCanary.objects.all()}
    # when
    call_command("bench", "keys", size=200)
    out = capsys.readouterr().out
    # then: the figures
    assert "rotation: rows rewritten per second" in out
    assert "peak memory of the rotation at N = 200" in out
    assert "lookup by email during the rotation, median" in out
    assert "  rows rewritten, seconds" in out
    assert "    400 " in out.replace(",", "")
    # and nothing of it is left: no schema, the same members, the same canaries, the member still reads
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'bench_keys_%%'")
        assert cursor.fetchone()[0] == 0
    assert list(Member.objects.all()) == [member]
    assert Member.objects.get().name == member.name
    assert {c.purpose: bytes(c.value) for c in KeyCanary.objects.all()} == canaries


def test_bench_members_is_still_found():
    from members.management.commands.bench import _areas

    assert {"members", "keys"} <= set(_areas())
