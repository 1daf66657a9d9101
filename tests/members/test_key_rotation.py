"""Issue 5, point 4: a key ring and `rotate_keys`. During a rotation lookups, logins and duplicate checks use
every key; a rotation killed half-way and resumed ends with every value readable under the new keys only."""

import io
import threading

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings

from members import services
from members.encryption import EncryptedFieldMixin, blind_index
from members.models import Complaint, Enrollment, Member, PaymentMethod, SensitiveIdentifier
from tests.members.factories import CourseFactory, MemberFactory, valid_card_number, valid_rrn
from tests.members.helpers_keys import (
    NEW_FIELD_KEY,
    NEW_INDEX_KEY,
    OLD_FIELD_KEY,
    OLD_INDEX_KEY,
    damage,
    raw_token,
)

PASSWORD = "kR7#qLw9!xPz2"


def rotate_keys(**kwargs):
    from members.keys import rotate_keys as rotate

    return rotate(**kwargs)


def rotation_targets():
    from members.keys import rotation_targets as targets

    return targets()


def key_ring():
    from members.encryption import key_ring as ring

    return ring()


def _is_unreadable(value) -> bool:
    from members.encryption import Undecryptable

    return isinstance(value, Undecryptable)
OLD_KEYS = override_settings(FIELD_ENCRYPTION_KEY=OLD_FIELD_KEY, FIELD_ENCRYPTION_OLD_KEYS=[],
                             BLIND_INDEX_KEY=OLD_INDEX_KEY, BLIND_INDEX_OLD_KEYS=[])
ROTATING = override_settings(FIELD_ENCRYPTION_KEY=NEW_FIELD_KEY, FIELD_ENCRYPTION_OLD_KEYS=[OLD_FIELD_KEY],
                             BLIND_INDEX_KEY=NEW_INDEX_KEY, BLIND_INDEX_OLD_KEYS=[OLD_INDEX_KEY])
NEW_ONLY = override_settings(FIELD_ENCRYPTION_KEY=NEW_FIELD_KEY, FIELD_ENCRYPTION_OLD_KEYS=[],
                             BLIND_INDEX_KEY=NEW_INDEX_KEY, BLIND_INDEX_OLD_KEYS=[])


def _members_under_old_keys(count: int) -> list[Member]:
    """Members with every kind of encrypted row (identifiers, an enrolment, a complaint), written under the
    old keys, as a database looks before the keys change."""
    with OLD_KEYS:
        members = [MemberFactory(password=PASSWORD if n == 0 else None, mobile=f"010-{2000 + n:04d}-{3456:04d}",
                                 ipin_ci=f"{n:04d}" + "C" * 82 + "==") for n in range(count)]
        course = CourseFactory(is_employment_insurance_refund=True, ships_textbook=True)
        for member in members[:3]:
            services.enrollment_create(member=member, course=course, started_on=member.date_joined.date(),
                                       ended_on=member.date_joined.date(), payment_method=PaymentMethod.NAEIL_CARD,
                                       card_number=valid_card_number(), rrn=valid_rrn(), applied_ip="211.36.140.17",
                                       shipping_address="서울특별시 중구 세종대로 110", shipping_phone="010-9876-5432")
            services.complaint_receive(member=member, summary="교재 배송 지연 문의")
    return members


def _every_value_reads_under_the_current_keys_only() -> int:
    """Every encrypted value of every model opens, and its token is version 2 under the current key."""
    ring, checked = key_ring(), 0
    for target in rotation_targets():
        for row in target.model._base_manager.all():
            for field in target.encrypted:
                raw = row.__dict__.get(field.attname)
                if raw is None:
                    continue
                assert ring.is_current(raw), f"{target.label}.{field.name} of {row.pk} is not under the new key"
                assert not _is_unreadable(getattr(row, field.attname)), f"{target.label}.{field.name}"
                checked += 1
            for index in target.indexes:
                assert getattr(row, index.attname) == blind_index(index.normalizer, getattr(row, index.source))
    return checked


def _lookups_work(members: list[Member]) -> None:
    for member in members:
        assert Member.objects.by_email(member.email.upper()).get() == member
        assert Member.objects.by_login_id(member.login_id).get() == member
        assert Member.objects.by_mobile(member.mobile).get() == member
        assert Member.objects.by_ipin_ci(member.ipin_ci).get() == member


def _login_request():
    """A login always authenticates with its request: the lockout (django-axes) counts by it."""
    return RequestFactory().post("/accounts/login/")


@pytest.mark.django_db
def test_lookups_logins_and_duplicate_checks_work_at_every_point_of_a_rotation():
    # given: members written under the old keys; the new keys are put in force with the old ones as old keys
    members = _members_under_old_keys(7)
    with ROTATING:
        # then: before any row is rewritten, the officer logs in and every lookup finds its member
        _lookups_work(members)
        assert authenticate(_login_request(), username=members[0].login_id, password=PASSWORD) == members[0]
        # when: the rotation runs two members at a time, checked between batches
        for _ in range(10):
            rotate_keys(batch_size=2, max_batches=1)
            # then: every lookup and the login keep working, half-rotated or not
            _lookups_work(members)
            login = {"username": members[0].login_id, "password": PASSWORD}
            assert Client().post("/accounts/login/", login).status_code == 302
            # and a second member cannot register with an email or login ID that an old-key row holds
            with pytest.raises(ValidationError) as clash:
                MemberFactory(email=members[-1].email.upper(), login_id=members[-2].login_id)
            assert set(clash.value.message_dict) >= {"email", "login_id"}
        call_command("rotate_keys", batch_size=2, stdout=io.StringIO())
    # then: with the old keys removed, every value of every model reads and every lookup works
    with NEW_ONLY:
        assert _every_value_reads_under_the_current_keys_only() > 7 * 14
        _lookups_work(members)
        assert authenticate(_login_request(), username=members[0].login_id, password=PASSWORD) == members[0]


@pytest.mark.django_db(transaction=True)
def test_lookups_and_logins_succeed_while_rotate_keys_runs_in_another_thread():
    # given: members under the old keys
    members = _members_under_old_keys(60)
    failures: list[str] = []
    lookups = 0
    done = threading.Event()

    def look_up() -> None:
        nonlocal lookups
        from django.db import connection

        try:
            while not done.is_set():
                for member in members:
                    if Member.objects.by_email(member.email).first() != member:
                        failures.append(f"email of {member.pk}")
                    if Member.objects.by_login_id(member.login_id).first() != member:
                        failures.append(f"login ID of {member.pk}")
                    lookups += 1
                if authenticate(_login_request(), username=members[0].login_id, password=PASSWORD) != members[0]:
                    failures.append("login")
        finally:
            connection.close()

    with ROTATING:
        worker = threading.Thread(target=look_up)
        worker.start()
        # when: the rotation runs in small committed batches while the other thread looks members up
        try:
            summary = rotate_keys(batch_size=5)
        finally:
            done.set()
            worker.join(timeout=120)
    # then: no lookup or login failed, and the rotation finished
    assert summary.finished
    assert summary.rewritten >= 60
    assert lookups > 0
    assert failures == []
    with NEW_ONLY:
        _every_value_reads_under_the_current_keys_only()


@pytest.mark.django_db
def test_a_rotation_killed_half_way_and_resumed_leaves_every_value_readable_under_the_new_key_only(monkeypatch):
    # given: a rotation that dies in its third batch (as a killed process would, its transaction rolled back)
    members = _members_under_old_keys(9)
    from members import keys

    real_batch, calls = keys.rotate_batch, []

    def dying_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_batch(*args, **kwargs)

    with ROTATING:
        monkeypatch.setattr(keys, "rotate_batch", dying_batch)
        with pytest.raises(KeyboardInterrupt):
            rotate_keys(batch_size=2)
        monkeypatch.setattr(keys, "rotate_batch", real_batch)
        # then: half-way, some rows are under the new key and some still under the old one
        tokens = [raw_token("members_member", "name", m.pk) for m in members]
        assert 0 < sum(key_ring().is_current(t) for t in tokens) < len(members)
        # when: it is run again
        summary = rotate_keys(batch_size=2)
        assert summary.finished
        assert summary.undecryptable == []
        assert summary.index_clashes == []
        # a third run finds nothing to do
        assert rotate_keys(batch_size=2).rewritten == 0
    # then: the old keys are removed from the settings and every value reads under the new key only
    with NEW_ONLY:
        assert _every_value_reads_under_the_current_keys_only() > 9 * 14
        _lookups_work(members)
        assert {m.name for m in Member.objects.all()} == {m.name for m in members}
        assert SensitiveIdentifier.objects.count() == 6
        assert Enrollment.objects.count() == 3
        assert Complaint.objects.get(member=members[0]).summary == "교재 배송 지연 문의"
    # and: the old key alone no longer opens anything
    with OLD_KEYS:
        assert _is_unreadable(Member.objects.get(pk=members[0].pk).name)


@pytest.mark.django_db
def test_rotation_finds_every_encrypted_field_through_the_fields():
    found = {(t.label, f.name) for t in rotation_targets() for f in t.encrypted}
    from django.apps import apps

    declared = {(m._meta.label, f.name) for m in apps.get_models() for f in m._meta.concrete_fields
                if isinstance(f, EncryptedFieldMixin)}
    assert found == declared
    assert ("members.SensitiveIdentifier", "value") in found
    assert ("members.Complaint", "summary") in found


@pytest.mark.django_db
def test_rotate_keys_skips_and_reports_an_undecryptable_value_and_goes_on(capsys):
    members = _members_under_old_keys(4)
    damage("members_member", "department", members[1].pk)
    with ROTATING:
        call_command("rotate_keys", batch_size=2)
    out, err = capsys.readouterr()
    assert f"cannot be decrypted, skipped: members_member.department of row {members[1].pk}" in err
    assert "1 values cannot be decrypted" in out
    with NEW_ONLY:
        reread = Member.objects.get(pk=members[1].pk)
        assert _is_unreadable(reread.department)
        assert reread.name == members[1].name
        assert reread.email == members[1].email
        assert Member.objects.get(pk=members[2].pk).department == members[2].department


@pytest.mark.django_db
def test_a_duplicate_let_in_before_the_rotation_does_not_stop_it():
    # given: the old bug: under a new index key a second member registered with an existing email
    first = _members_under_old_keys(1)[0]
    with override_settings(BLIND_INDEX_KEY=NEW_INDEX_KEY, BLIND_INDEX_OLD_KEYS=[], FIELD_ENCRYPTION_KEY=OLD_FIELD_KEY):
        second = MemberFactory(email=first.email)
    # when: the rotation meets the clash
    with ROTATING:
        summary = rotate_keys(batch_size=10)
    # then: it reports it and finishes every other row
    assert summary.finished
    assert summary.index_clashes == [("members_member.email_index", str(first.pk))]
    assert Member.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


@pytest.mark.django_db
def test_progress_is_reported_per_batch(capsys):
    _members_under_old_keys(5)
    with ROTATING:
        call_command("rotate_keys", batch_size=2, max_batches=2)
        out = capsys.readouterr().out
        assert "members.Member: 2 of 5 rows checked, 2 rewritten in this batch" in out
        assert "members.Member: 4 of 5 rows checked" in out
        assert "run rotate_keys again to go on" in out
        call_command("rotate_keys", batch_size=2)
        assert "FIELD_ENCRYPTION_OLD_KEYS and BLIND_INDEX_OLD_KEYS can be removed" in capsys.readouterr().out


@pytest.mark.django_db
def test_rotate_keys_reports_a_damaged_value_already_under_the_current_key():
    # given: nothing to rotate, but one altered byte in one identifier sealed under the key in force
    member = MemberFactory()
    identifier = services.sensitive_identifier_record(member=member, kind="rrn", value=valid_rrn(),
                                                      legal_basis="employment_insurance_refund")
    damage("members_sensitiveidentifier", "value", identifier.pk)
    # when
    summary = rotate_keys(batch_size=10)
    # then: the run finds and reports it, rewrites nothing, and finishes
    assert summary.undecryptable == [("members_sensitiveidentifier.value", str(identifier.pk))]
    assert summary.rewritten == 0
    assert summary.finished


@pytest.mark.django_db
def test_refresh_blind_indexes_does_not_fail_on_a_duplicate_let_in_before():
    # given: the sequence: a new BLIND_INDEX_KEY, and a second member registered with an existing email
    first = _members_under_old_keys(1)[0]
    new_index_key = override_settings(BLIND_INDEX_KEY=NEW_INDEX_KEY, BLIND_INDEX_OLD_KEYS=[],
                                      FIELD_ENCRYPTION_KEY=OLD_FIELD_KEY)
    with new_index_key:
        second = MemberFactory(email=first.email)
        # when: the refresh task's batch runs (it failed on member_email_unique before)
        updated, last_pk, has_more = services.member_blind_indexes_refresh(batch_size=10)
    # then: it goes on; the clashing email index is left for the officer, the rest refreshed
    assert (updated, last_pk, has_more) == (1, second.pk, False)
    with new_index_key:
        assert Member.objects.by_login_id(first.login_id).get() == first
        assert Member.objects.by_email(first.email).get() == second
