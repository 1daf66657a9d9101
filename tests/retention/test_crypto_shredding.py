"""Crypto-shredding (policy §3 "재생할 수 없는 기술적 방법"): destroying the data key makes every copy of an
archived payload unreadable, a backup taken before included."""

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from retention import crypto
from retention.models import ArchiveDataKey, ArchivedRecord
from retention.services import archived_payload, member_withdraw, retention_sweep
from tests.retention.factories import world

pytestmark = pytest.mark.django_db(databases="__all__")


def test_a_backup_of_the_ciphertext_cannot_be_decrypted_after_destruction():
    # given: an archived record, and a backup of its ciphertext taken before the sweep
    w = world(ended_days_ago=1)
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    record = ArchivedRecord.objects.get(rule="employment_insurance_refund", source="members.SensitiveIdentifier")
    backup = bytes(record.payload), record.archive_key
    assert archived_payload(record) == {"value": w.rrn}
    # when: its period ends and the sweep destroys it
    with time_machine.travel(timezone.now() + relativedelta(years=3, days=2)):
        retention_sweep()
    # then: the key is gone, and the backup opens with no key we hold
    assert not ArchiveDataKey.objects.filter(archive_key=backup[1]).exists()
    assert not ArchivedRecord.objects.filter(archive_key=backup[1]).exists()
    with pytest.raises(crypto.UndecryptableError):
        crypto.open_sealed(backup[0], None, context=backup[1])
    for key in ArchiveDataKey.objects.all():  # no other remaining key opens it either
        with pytest.raises(crypto.UndecryptableError):
            crypto.open_sealed(backup[0], key.wrapped, context=backup[1])


def test_each_payload_has_its_own_data_key_stored_apart():
    w = world()
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    keys = list(ArchiveDataKey.objects.values_list("wrapped", flat=True))
    assert len(keys) == ArchivedRecord.objects.count() == len({bytes(k) for k in keys})
    assert {f.name for f in ArchivedRecord._meta.fields}.isdisjoint({"wrapped", "data_key"})


def test_a_payload_moved_to_another_record_does_not_open():
    w = world()
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    first, second = ArchivedRecord.objects.order_by("id")[:2]
    wrapped = ArchiveDataKey.objects.get(archive_key=first.archive_key).wrapped
    with pytest.raises(crypto.UndecryptableError):
        crypto.open_sealed(first.payload, wrapped, context=second.archive_key)
