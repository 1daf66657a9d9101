"""Consent records are append-only evidence; the current state is the latest record per (member, item)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from consents import selectors, services
from consents.models import ConsentRecord
from members.models import Member
from tests.concurrency import at_once
from tests.consents.factories import sign_up_kwargs
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _record(policy):
    member = services.member_sign_up(**sign_up_kwargs())
    return member, ConsentRecord.objects.filter(member=member).first()


def test_the_orm_cannot_update_or_delete_a_consent_record(policy):
    # given
    _member, record = _record(policy)
    original = record.granted
    # when / then: the model refuses, and so does the database for queryset writes
    record.granted = not original
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
        ConsentRecord.objects.filter(pk=record.pk).update(granted=not original)
    with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
        ConsentRecord.objects.filter(pk=record.pk).delete()
    assert ConsentRecord.objects.get(pk=record.pk).granted is original


@pytest.mark.parametrize("sql", ["UPDATE consents_consentrecord SET granted = NOT granted WHERE id = %s",
                                 "DELETE FROM consents_consentrecord WHERE id = %s"])
def test_raw_sql_cannot_update_or_delete_a_consent_record_on_postgresql(policy, sql):
    # given
    _member, record = _record(policy)
    # when / then: the trigger refuses it
    refused = pytest.raises(ProgrammingError, match="Cannot update or delete")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [record.pk])
    assert ConsentRecord.objects.filter(pk=record.pk, granted=record.granted).exists()


def test_the_purge_path_is_the_only_way_to_delete_records(policy):
    # given
    member, _ = _record(policy)
    other, _ = _record(policy)
    count = ConsentRecord.objects.filter(member=member).count()
    # when
    deleted = services.consent_records_purge(member_ids=[member.pk])
    # then: that member's records are gone, the other's remain, and the trigger is back in force
    assert deleted["consents.ConsentRecord"] == count
    assert not ConsentRecord.objects.filter(member=member).exists()
    assert ConsentRecord.objects.filter(member=other).exists()
    with pytest.raises(ProgrammingError), transaction.atomic():
        ConsentRecord.objects.filter(member=other).delete()


def test_the_current_state_is_the_latest_record_and_is_read_for_many_members_in_one_query(policy):
    # given: three members, one of whom withdraws email marketing after granting it
    members = [services.member_sign_up(**sign_up_kwargs(grant_optional=True)) for _ in range(3)]
    services.consent_withdraw(member=members[0], item=policy["marketing_email"])
    # when
    with CaptureQueriesContext(connection) as queries:
        state = selectors.current_consents([m.pk for m in members])
    # then
    assert len(queries) == 1
    assert state[members[0].pk]["marketing_email"].granted is False
    assert state[members[1].pk]["marketing_email"].granted is True
    assert set(state[members[2].pk]) == {item.code for item in selectors.signup_items()}


def test_withdrawing_a_consent_that_is_not_active_is_a_no_op(policy):
    # given: a member who refused SMS marketing at sign-up
    member = services.member_sign_up(**sign_up_kwargs())
    before = ConsentRecord.objects.count()
    # when
    result = services.consent_withdraw(member=member, item=policy["marketing_sms"])
    # then
    assert result is None
    assert ConsentRecord.objects.count() == before


def test_a_member_without_any_record_has_no_consent(policy):
    member = MemberFactory()
    assert selectors.current_consents([member.pk]) == {}
    assert services.consent_withdraw(member=member, item=policy["marketing_sms"]) is None


def test_a_consent_change_looks_up_no_key_it_already_holds(policy):
    # given: a member who refused SMS marketing at sign-up
    member = services.member_sign_up(**sign_up_kwargs())
    item = policy["marketing_sms"]
    # when
    with CaptureQueriesContext(connection) as captured:
        record = services.consent_grant(member=member, item=item)
    statements = [q["sql"] for q in captured.captured_queries]
    # then: the policy in force, the member's lock (its key alone), the latest decision, the text, the record and
    # its marketing result notice (정보통신망법 §50⑧); no existence check of the member, item, version or text
    assert [sql.split()[0] for sql in statements] == [
        "SAVEPOINT", "SELECT", "SELECT", "SELECT", "INSERT", "INSERT", "INSERT", "RELEASE"]
    assert "consents_marketingnotice" in statements[6]
    assert statements[2].startswith('SELECT "members_member"."id" AS "pk" FROM')
    assert "FOR UPDATE" in statements[2]
    assert (record.granted, record.member_id) == (True, member.pk)


def test_a_consent_change_for_a_member_who_no_longer_exists_names_the_member(policy):
    # given: a member row deleted after it was read (no record points at it)
    member = MemberFactory()
    Member.objects.filter(pk=member.pk).delete()
    # when
    with pytest.raises(ValidationError) as caught:
        services.consent_grant(member=member, item=policy["marketing_sms"])
    # then
    assert caught.value.message_dict == {"member": ["Member: this member no longer exists."]}
    assert ConsentRecord.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_identical_consent_changes_at_once_write_one_record(policy):
    # given: a member who refused SMS marketing at sign-up
    member = services.member_sign_up(**sign_up_kwargs())
    item = policy["marketing_sms"]
    before = ConsentRecord.objects.filter(member=member, item=item).count()
    # when: the same change twice at once, each on its own connection
    results, errors = at_once(*[lambda: services.consent_grant(member=member, item=item)] * 2)
    # then: the member's lock lets one write the record; the other finds it granted and writes nothing
    assert errors == [None, None]
    assert sorted(result is None for result in results) == [False, True]
    assert ConsentRecord.objects.filter(member=member, item=item).count() == before + 1
