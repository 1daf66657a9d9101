"""Rotating FIELD_ENCRYPTION_KEY keeps the archive readable: rotate_keys re-wraps every data key, so the old
key can be removed (README, "Rotating keys") without destroying what a law keeps."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from retention.models import ArchiveDataKey, ArchivedRecord
from retention.services import archived_payload, member_withdraw
from tests.members.helpers_keys import NEW_FIELD_KEY, OLD_FIELD_KEY
from tests.retention.factories import world

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
