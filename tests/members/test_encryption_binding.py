"""Issue 5, point 6: a token opens only in the column and the row it was sealed for; plaintext is padded;
version-1 tokens (no associated data, no padding) stay readable until rotate_keys rewrites them."""

import datetime
import hmac
import os
import uuid

import pytest
import time_machine
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction

from members import services
from members.encryption import new_seal
from members.models import Member, SensitiveIdentifier
from tests.members.factories import MemberFactory, valid_rrn
from tests.members.helpers_keys import raw_token, write_raw_token

pytestmark = pytest.mark.django_db
IDENTIFIERS = "members_sensitiveidentifier"


def _unreadable(value) -> bool:
    """Refused: shown as the marker (imported here, so that the paste tests run and fail on the old code)."""
    try:
        from members.encryption import Undecryptable
    except ImportError:  # the code before issue 5: a pasted value simply read
        return False
    return isinstance(value, Undecryptable)


def _rrn_holder(birth: datetime.date) -> SensitiveIdentifier:
    member = MemberFactory(birth_date=birth)
    return services.sensitive_identifier_record(member=member, kind="rrn", value=valid_rrn(birth),
                                                legal_basis="employment_insurance_refund")


def test_an_identifier_pasted_into_another_row_of_the_same_column_is_refused():
    # given: identifiers 2 and 3, as in the issue
    second, third = _rrn_holder(datetime.date(1985, 5, 5)), _rrn_holder(datetime.date(1990, 9, 9))
    # when: identifier 2's ciphertext is pasted into identifier 3 (the same column)
    write_raw_token(IDENTIFIERS, "value", third.pk, raw_token(IDENTIFIERS, "value", second.pk))
    # then: identifier 3 does not read as identifier 2's RRN; identifier 2 still reads
    pasted = SensitiveIdentifier.objects.get(pk=third.pk)
    assert _unreadable(pasted.value)
    assert SensitiveIdentifier.objects.get(pk=second.pk).value == second.value


def test_a_value_pasted_into_another_column_of_the_same_row_is_refused():
    member = MemberFactory(name="홍길동", company_name="한결정보기술")
    write_raw_token("members_member", "company_name", member.pk, raw_token("members_member", "name", member.pk))
    reread = Member.objects.get(pk=member.pk)
    assert _unreadable(reread.company_name)
    assert reread.name == "홍길동"


def test_a_value_pasted_into_another_model_is_refused():
    member = MemberFactory(home_address="서울특별시 마포구 월드컵북로 400")
    identifier = _rrn_holder(datetime.date(1980, 1, 2))
    write_raw_token(IDENTIFIERS, "value", identifier.pk, raw_token("members_member", "home_address", member.pk))
    assert _unreadable(SensitiveIdentifier.objects.get(pk=identifier.pk).value)


def test_a_row_seal_cannot_be_copied_into_another_row():
    # given: the seal is the row's identity in the associated data; copying it with the token would move a value
    first, second = MemberFactory(), MemberFactory()
    # then: the database refuses a second row with the same seal
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=second.pk).update(seal=first.seal)


def test_a_new_rows_seal_is_time_ordered_so_the_seal_index_grows_at_its_right_edge():
    # given: members signing up one after another, and a batch written at once
    signed_up = []
    for minute in range(5):
        with time_machine.travel(datetime.datetime(2026, 11, 29, 9, minute, 30, 250_000, tzinfo=datetime.UTC),
                                 tick=False):
            signed_up.append(MemberFactory())
    with time_machine.travel(datetime.datetime(2026, 11, 29, 10, tzinfo=datetime.UTC)):
        batch = services.member_bulk_create(password_hash=make_password(None), rows=[
            {"login_id": f"sealorder{n}", "name": "홍길동", "email": f"sealorder{n}@example.com"} for n in range(50)])
    # then: each seal is a version 7 UUID (RFC 9562) whose first 48 bits are its row's creation in milliseconds
    for member in signed_up:
        seal = Member.objects.get(pk=member.pk).seal
        assert (seal.version, seal.variant) == (7, uuid.RFC_4122)
        assert seal.int >> 80 == int(member.date_joined.timestamp() * 1000)
    # and: later rows sort after earlier ones, so a new seal's index entry lands beside the last one's
    assert [m.seal for m in signed_up] == sorted(m.seal for m in signed_up)
    assert max(m.seal for m in signed_up) < min(m.seal for m in batch)
    # and: the 74 random bits keep seals of the same millisecond apart
    assert len({m.seal for m in batch}) == 50
    with time_machine.travel(datetime.datetime(2026, 11, 29, 9, 0, tzinfo=datetime.UTC), tick=False):
        assert len({new_seal() for _ in range(10_000)}) == 10_000


def test_ciphertext_length_does_not_tell_a_name_length():
    short, long = MemberFactory(name="홍길"), MemberFactory(name="남궁민수")
    # 6 and 12 bytes of UTF-8 both pad to 16
    assert len(raw_token("members_member", "name", short.pk)) == len(raw_token("members_member", "name", long.pk))
    from members.encryption import TOKEN_VERSION

    token = raw_token("members_member", "name", short.pk)
    assert token[:1] == TOKEN_VERSION
    assert (len(token) - 1 - 4 - 12 - 16) % 16 == 0


def _version_1_token(plaintext: bytes) -> bytes:
    """A token as the code before issue 5 wrote it, built independently: 0x01 | key id | nonce | AES-GCM."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"privacy-backoffice/field-encryption/v1").derive(settings.FIELD_ENCRYPTION_KEY.encode())
    key_id = hmac.digest(key, b"key-id", "sha256")[:4]
    nonce = os.urandom(12)
    return b"\x01" + key_id + nonce + AESGCM(key).encrypt(nonce, plaintext, None)


def test_version_1_tokens_stay_readable_until_rotate_keys_rewrites_them():
    # given: a member whose name is still a version-1 token (written before the key ring)
    member = MemberFactory(name="홍길동")
    write_raw_token("members_member", "name", member.pk, _version_1_token("김철수".encode()))
    # then: it reads
    assert Member.objects.get(pk=member.pk).name == "김철수"
    # when: rotate_keys runs
    from members.encryption import key_ring
    from members.keys import rotate_keys

    summary = rotate_keys(batch_size=10)
    # then: the token is now version 2 under the current key, bound to its row, and reads the same
    assert summary.finished
    assert not summary.undecryptable
    assert key_ring().is_current(raw_token("members_member", "name", member.pk))
    assert Member.objects.get(pk=member.pk).name == "김철수"


def test_an_encrypted_field_cannot_be_written_without_its_row():
    member = MemberFactory()
    with pytest.raises(TypeError, match="sealed to its row"):
        Member.objects.filter(pk=member.pk).update(name="김철수")
