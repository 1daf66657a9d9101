"""Rotating FIELD_ENCRYPTION_KEY keeps the archive readable: rotate_keys re-wraps every data key, so the old
key can be removed (README, "Rotating keys") without destroying what a law keeps. Rotating BLIND_INDEX_KEY
re-keys the archive's pseudonymous subjects (never its archive keys), so a legal hold still finds them."""

import io

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from retention import crypto
from retention.models import ArchiveDataKey, ArchivedRecord, LegalHold
from retention.services import (
    archive_subjects_rekey,
    archived_payload,
    archived_records_of,
    legal_hold_place,
    member_withdraw,
    retention_sweep,
)
from tests.members.helpers_keys import NEW_FIELD_KEY, NEW_INDEX_KEY, OLD_FIELD_KEY, OLD_INDEX_KEY
from tests.retention.factories import staff, world

pytestmark = pytest.mark.django_db(databases="__all__")


def test_rotate_keys_rewraps_the_archive_data_keys_so_the_old_key_can_go():
    # given: a member withdrawn while OLD_FIELD_KEY sealed, so the archive's data keys are wrapped by it
    with override_settings(FIELD_ENCRYPTION_KEY=OLD_FIELD_KEY, FIELD_ENCRYPTION_OLD_KEYS=()):
        w = world(ended_days_ago=1)
        member_withdraw(member=w.member, actor=None, reason="탈퇴")
        old_ids = set(ArchiveDataKey.objects.values_list("wrapped_by", flat=True))
    record = ArchivedRecord.objects.get(rule="employment_insurance_refund", source="members.SensitiveIdentifier")
    # when: the new key is put in force with the old one as an old key, and rotate_keys runs
    with override_settings(FIELD_ENCRYPTION_KEY=NEW_FIELD_KEY, FIELD_ENCRYPTION_OLD_KEYS=(OLD_FIELD_KEY,)):
        call_command("rotate_keys", batch_size=2, stdout=io.StringIO())
    # then: with the old key removed, every archived payload still opens
    with override_settings(FIELD_ENCRYPTION_KEY=NEW_FIELD_KEY, FIELD_ENCRYPTION_OLD_KEYS=()):
        assert archived_payload(record) == {"value": w.rrn}
        assert all(archived_payload(r) for r in ArchivedRecord.objects.all())
        assert not old_ids & set(ArchiveDataKey.objects.values_list("wrapped_by", flat=True))


INDEX_OLD = override_settings(BLIND_INDEX_KEY=OLD_INDEX_KEY, BLIND_INDEX_OLD_KEYS=())
INDEX_ROTATING = override_settings(BLIND_INDEX_KEY=NEW_INDEX_KEY, BLIND_INDEX_OLD_KEYS=(OLD_INDEX_KEY,))
INDEX_NEW = override_settings(BLIND_INDEX_KEY=NEW_INDEX_KEY, BLIND_INDEX_OLD_KEYS=())


def later(**delta) -> time_machine.travel:
    return time_machine.travel(timezone.now() + relativedelta(**delta), tick=False)


def test_a_hold_placed_after_a_blind_index_rotation_still_keeps_the_members_archived_records():
    # given: a member withdrawn under the old blind-index key, and another member withdrawn likewise
    with INDEX_OLD:
        w, other = world(ended_days_ago=1, serial=1), world(ended_days_ago=1, serial=2)
        member_withdraw(member=w.member, actor=None, reason="탈퇴")
        member_withdraw(member=other.member, actor=None, reason="탈퇴")
        archived = {r.pk: r.archive_key for r in archived_records_of(w.member.pk)}
    officer = staff()
    assert archived
    # when: the new key comes into force with the old one kept, rotate_keys runs, then the old key is removed
    with INDEX_ROTATING:
        call_command("rotate_keys", batch_size=2, stdout=io.StringIO())
    with INDEX_NEW:
        # then: the member's archived rows are found under the new key alone, their archive keys unchanged
        assert {r.pk: r.archive_key for r in archived_records_of(w.member.pk)} == archived
        assert all(archived_payload(r) for r in archived_records_of(w.member.pk))
        # when: a hold is placed on the member, and every period has ended
        hold = legal_hold_place(member=w.member, actor=officer, reason="수사기관 자료 요청",
                                until=timezone.localdate() + relativedelta(years=7))
        with later(years=6):
            report = retention_sweep()
    # then: the sweep skipped the held member's rows and destroyed the other member's
    assert hold.subject_key == crypto.subject_key(w.member.pk, secret=NEW_INDEX_KEY)
    assert set(ArchivedRecord.objects.values_list("pk", flat=True)) == set(archived)
    assert report.held == len(archived)
    assert report.destroyed > 0


def test_while_old_keys_are_in_the_ring_a_hold_matches_rows_not_yet_rekeyed():
    # given: a member withdrawn under the old key, and a hold placed after the new key came into force but
    # before rotate_keys has re-keyed the archive
    with INDEX_OLD:
        w = world(ended_days_ago=1)
        member_withdraw(member=w.member, actor=None, reason="탈퇴")
        held = ArchivedRecord.objects.count()
    with INDEX_ROTATING:
        assert archived_records_of(w.member.pk).count() == held
        legal_hold_place(member=w.member, actor=staff(), reason="소송 진행 중",
                         until=timezone.localdate() + relativedelta(years=7))
        # when
        with later(years=6):
            report = retention_sweep()
    # then: nothing of the member was destroyed
    assert ArchivedRecord.objects.count() == held
    assert report.held == held
    assert report.destroyed == 0


def test_the_rekeying_is_resumable_and_changes_nothing_the_second_time():
    # given: a member withdrawn and a hold placed, both under the old key
    with INDEX_OLD:
        w = world(ended_days_ago=1)
        member_withdraw(member=w.member, actor=None, reason="탈퇴")
        legal_hold_place(member=w.member, actor=staff(), reason="소송 진행 중",
                         until=timezone.localdate() + relativedelta(years=7))
        old_subject = crypto.subject_key(w.member.pk)
    count = ArchivedRecord.objects.count()
    with INDEX_ROTATING:
        # when: the step runs twice
        first = archive_subjects_rekey(batch_size=1)
        second = archive_subjects_rekey(batch_size=1)
        new_subject = crypto.subject_key(w.member.pk)
    # then: every row and the hold carry the new key's pseudonym; the second run re-keyed nothing
    assert first[1] == count + 1
    assert second[1] == 0
    assert set(ArchivedRecord.objects.values_list("subject_key", flat=True)) == {new_subject}
    assert set(LegalHold.objects.values_list("subject_key", flat=True)) == {new_subject}
    assert old_subject != new_subject
