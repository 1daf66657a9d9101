"""Membership withdrawal (policy §8, PIPA §21): what a law keeps moves to the archive, the rest is destroyed
at once, and the ledger says so."""

import datetime
import hashlib

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import override_settings
from django.utils import timezone

from members.hooks import member_withdrawing
from members.models import Complaint, Enrollment, Member, MemberSession, SensitiveIdentifier
from members.sessions import SessionStore
from retention import crypto
from retention.models import ArchiveDataKey, ArchivedRecord, DestructionLog
from retention.routers import archive_alias
from retention.services import archived_payload, member_withdraw, retention_sweep
from retention.services import withdrawal as withdrawal_module
from tests.retention.factories import world
from tests.retention.scan import personal_values_found

pytestmark = pytest.mark.django_db(databases="__all__")


def test_withdrawal_archives_what_each_rule_keeps_until_trigger_date_plus_period():
    # given: courses that ended 30 days ago
    w = world(ended_days_ago=30)
    ended = w.refund.ended_on
    # when
    result = member_withdraw(member=w.member, actor=None, reason="회원 본인 탈퇴 신청")
    # then
    assert result.done
    rows = {(r.rule, r.source): r for r in ArchivedRecord.objects.all()}
    assert set(rows) == {
        ("employment_insurance_refund", "members.Member"),
        ("employment_insurance_refund", "members.SensitiveIdentifier"),
        ("disability_awareness", "members.Member"),
        ("ecommerce_contract", "members.Enrollment"),
        ("ecommerce_complaint", "members.Complaint"),
    }
    assert rows[("employment_insurance_refund", "members.Member")].destroy_after == ended + relativedelta(years=3)
    assert rows[("ecommerce_contract", "members.Enrollment")].destroy_after == ended + relativedelta(years=5)
    assert rows[("ecommerce_complaint", "members.Complaint")].destroy_after == ended + relativedelta(years=3)
    # only the fields each rule keeps, and the subject is a keyed pseudonym, not the member id
    refund = archived_payload(rows[("employment_insurance_refund", "members.Member")])
    assert refund["home_address"] == w.member.home_address
    assert "birth_date" not in refund
    assert "login_id" not in refund
    disability = archived_payload(rows[("disability_awareness", "members.Member")])
    assert disability["birth_date"] == "1990-01-01"
    assert "home_address" not in disability
    assert archived_payload(rows[("employment_insurance_refund", "members.SensitiveIdentifier")]) == {"value": w.rrn}
    assert {r.subject_key for r in rows.values()} == {crypto.subject_key(w.member.pk)}
    assert crypto.subject_key(w.member.pk) != hashlib.sha256(str(w.member.pk).encode()).hexdigest()
    with override_settings(BLIND_INDEX_KEY="another-blind-index-key-0123456789abcdef"):
        assert crypto.subject_key(w.member.pk) not in {r.subject_key for r in rows.values()}


def test_the_member_row_stays_as_a_tombstone_and_nobody_is_found_by_email_mobile_or_login_id():
    # given
    w = world()
    # when
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    # then
    tombstone = Member.objects.get(pk=w.member.pk)
    assert (tombstone.status, tombstone.name, tombstone.email, tombstone.birth_date) == ("withdrawn", "", "", None)
    assert tombstone.withdrawn_at is not None
    assert not tombstone.has_usable_password()
    assert (tombstone.email_index, tombstone.mobile_index, tombstone.login_id_index) == (None, None, None)
    assert not Member.objects.by_email(w.member.email).exists()
    assert not Member.objects.by_mobile(w.member.mobile).exists()
    assert not Member.objects.by_login_id(w.member.login_id).exists()
    assert not SensitiveIdentifier.objects.filter(member=w.member).exists()
    assert {e.shipping_address for e in Enrollment.objects.filter(member=w.member)} == {""}
    assert {e.applied_ip for e in Enrollment.objects.filter(member=w.member)} == {None}
    assert Complaint.objects.get(pk=w.complaint.pk).summary == ""


def test_no_live_table_holds_a_personal_value_after_withdrawal_nor_any_table_after_the_sweep():
    # given
    w = world(ended_days_ago=10)
    values = w.values()
    assert personal_values_found("default", values)  # the scan does find them before
    # when
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    # then: the live tables hold nothing (the archive's tables hold sealed payloads only)
    archive_tables = {"retention_archivedrecord", "retention_archivedatakey"}
    assert [hit for hit in personal_values_found("default", values) if hit[0] not in archive_tables] == []
    if archive_alias() == "archive":
        assert personal_values_found("default", values) == []
    assert any(w.member.email in archived_payload(r).values() for r in ArchivedRecord.objects.all())
    # when: every period has run out and the sweep runs
    with time_machine.travel(timezone.now() + relativedelta(years=5, days=1)):
        retention_sweep()
    # then: no table of either database holds or decrypts to any of the values
    for alias in connections:
        assert personal_values_found(alias, values) == []
    assert not ArchivedRecord.objects.exists()


def test_sessions_end_and_consents_are_told_through_the_hook():
    # given
    w = world()
    session = SessionStore()
    session["_auth_user_id"] = str(w.member.pk)
    session.create()
    someone = SessionStore()
    someone["_auth_user_id"] = str(w.member.pk + 1000)
    someone.create()
    other = MemberSession.objects.filter(pk=someone.session_key)
    assert MemberSession.objects.get(pk=session.session_key).member_id == w.member.pk
    heard = []

    def receiver(sender, member, actor, at, **kwargs):
        heard.append((member.pk, member.email, actor, at))

    member_withdrawing.connect(receiver)
    try:
        # when
        member_withdraw(member=w.member, actor=None, reason="탈퇴")
    finally:
        member_withdrawing.disconnect(receiver)
    # then: the receiver ran before the erasure, so it could still read the member
    assert heard
    assert heard[0][:3] == (w.member.pk, w.member.email, None)
    assert not MemberSession.objects.filter(pk=session.session_key).exists()
    assert other.exists()  # another member's session stays


def test_the_ledger_records_what_was_destroyed_and_never_a_value():
    # given
    w = world()
    officer = get_user_model().objects.create_superuser(login_id="officer01", password=None, name="이상철",
                                                         email="officer@alpaco.co.kr")
    # when
    member_withdraw(member=w.member, actor=officer, reason="전화로 탈퇴 요청 (2026-11-29)")
    # then
    entries = list(DestructionLog.objects.all())
    assert {(e.source, e.category, e.method, e.count) for e in entries} >= {
        ("members.Member", "contact", "erase", 1),
        ("members.SensitiveIdentifier", "unique_identifier", "delete", 2),
        ("members.Enrollment", "shipping", "erase", 3),
        ("members.Complaint", "service_record", "erase", 1),
    }
    assert {e.approved_by for e in entries} == {officer}
    assert len({e.run_id for e in entries}) == 1
    assert {e.reason for e in entries} == {"전화로 탈퇴 요청 (2026-11-29)"}
    assert [hit for hit in personal_values_found("default", w.values()) if hit[0] == "retention_destructionlog"] == []


def test_withdrawing_an_already_withdrawn_member_changes_nothing_and_says_so():
    # given
    w = world()
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    ledger, archived = DestructionLog.objects.count(), ArchivedRecord.objects.count()
    # when
    again = member_withdraw(member=w.member, actor=None, reason="탈퇴")
    # then
    assert not again.done
    assert again.message == "This member has already withdrawn; nothing was changed."
    assert (DestructionLog.objects.count(), ArchivedRecord.objects.count()) == (ledger, archived)


def test_a_withdrawal_needs_a_reason():
    w = world()
    with pytest.raises(Exception, match="Reason"):
        member_withdraw(member=w.member, actor=None, reason="  ")
    assert Member.objects.get(pk=w.member.pk).status == "active"


def test_a_crash_between_archive_and_destroy_is_finished_by_a_retry_without_duplicates(monkeypatch):
    # given: the destruction fails after the archive was written
    w = world()

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(withdrawal_module, "_erase_related", crash)
    with pytest.raises(RuntimeError):
        member_withdraw(member=w.member, actor=None, reason="탈퇴")
    # then: consistent: the member is untouched; the archive holds the kept records when it is a database of
    # its own (committed first), and nothing when it shares the main database (one transaction, rolled back)
    member = Member.objects.get(pk=w.member.pk)
    assert (member.status, member.email) == ("active", w.member.email)
    assert SensitiveIdentifier.objects.filter(member=member).count() == 2
    assert not DestructionLog.objects.exists()
    archived = sorted(ArchivedRecord.objects.values_list("archive_key", flat=True))
    assert len(archived) == (5 if archive_alias() != "default" else 0)
    # when: retried
    monkeypatch.undo()
    result = member_withdraw(member=member, actor=None, reason="탈퇴")
    # then: finished, and no archive row twice
    assert result.done
    after = sorted(ArchivedRecord.objects.values_list("archive_key", flat=True))
    assert len(after) == len(set(after)) == 5
    assert set(archived) <= set(after)
    assert ArchiveDataKey.objects.count() == 5
    assert Member.objects.get(pk=member.pk).status == "withdrawn"


def test_periods_already_over_keep_nothing():
    # given: courses that ended six years ago, every period over
    w = world(ended_days_ago=365 * 6 + 2)
    # when
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    # then
    assert not ArchivedRecord.objects.exists()


def test_the_archive_is_written_to_its_own_database_when_one_is_configured():
    w = world()
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    alias = archive_alias()
    with connections[alias].cursor() as cursor:
        tables = connections[alias].introspection.table_names(cursor)
    assert "retention_archivedrecord" in tables
    if alias == "archive":
        with connections["default"].cursor() as cursor:
            assert "retention_archivedrecord" not in connections["default"].introspection.table_names(cursor)
            assert "members_member" not in tables
    assert ArchivedRecord.objects.using(alias).count() == 5
    assert datetime.date.today() < ArchivedRecord.objects.using(alias).first().destroy_after
