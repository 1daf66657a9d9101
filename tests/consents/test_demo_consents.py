"""Demo members get the required consents and a realistic mix of optional ones, in bulk (channel import)."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consents import selectors
from consents.models import ConsentItem, ConsentRecord
from members.models import Member
from members.signals import members_bulk_created

pytestmark = pytest.mark.django_db


def test_demo_data_records_every_required_consent_and_a_mix_of_optional_ones(policy):
    # when
    call_command("demo_data", members=60, verbosity=0)
    # then
    members = list(Member.objects.filter(is_staff=False).values_list("pk", flat=True))
    state = selectors.current_consents(members)
    items = list(ConsentItem.objects.all())
    assert len(state) == 60
    for member_state in state.values():
        assert {code for code, record in member_state.items() if record.granted} >= {
            item.code for item in items if item.required}
        assert {record.channel for record in member_state.values()} == {"import"}
    optional_shares = [sum(s[item.code].granted for s in state.values()) for item in items if not item.required]
    assert all(share < 60 for share in optional_shares)
    assert sum(optional_shares) > 0


def test_the_records_of_a_batch_are_written_in_a_few_queries(policy):
    # given
    call_command("demo_data", members=5, verbosity=0)
    batch = list(Member.objects.filter(is_staff=False))
    ConsentRecord.objects.filter(member__in=batch).count()
    # when
    from consents.services import consents_import

    with CaptureQueriesContext(connection) as queries:
        written = consents_import(members=batch)
    # then
    assert written == 5 * ConsentItem.objects.count()
    assert len(queries) <= 5


def test_without_a_loaded_policy_the_receiver_writes_nothing(db):
    call_command("demo_data", members=3, verbosity=0)
    assert ConsentRecord.objects.count() == 0
    members_bulk_created.send(sender=Member, members=list(Member.objects.all()), channel="import")
    assert ConsentRecord.objects.count() == 0
