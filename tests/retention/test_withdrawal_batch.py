"""Withdrawing many members in one call (the officer's action over a selection): the same rules as one
withdrawal, set-based, one ledger run, consents closed for each member, and a cost that does not grow with
the batch."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from consents import selectors as consent_selectors
from consents.loading import policy_load
from consents.models import ConsentRecord, GuardianConsent
from consents.services import member_sign_up
from members.models import Member, MemberSession, SensitiveIdentifier, StaffAccessChange
from members.sessions import SessionStore
from retention.models import ArchivedRecord, DestructionLog
from retention.services import member_withdraw, members_withdraw
from tests.consents.factories import sign_up_kwargs
from tests.retention.factories import staff, world

pytestmark = pytest.mark.django_db(databases="__all__")


def test_a_batch_withdraws_each_member_as_one_withdrawal_would_with_one_ledger_run():
    # given: three members, one of them already withdrawn
    worlds = [world(serial=n) for n in range(3)]
    member_withdraw(member=worlds[2].member, actor=None, reason="본인 탈퇴")
    officer = staff()
    before = DestructionLog.objects.count()
    # when
    results = members_withdraw(members=[w.member for w in worlds], actor=officer, reason="전화로 탈퇴 요청")
    # then: the two are withdrawn, the third is a no-op that says so, in the order given
    assert [r.done for r in results] == [True, True, False]
    assert [r.member.pk for r in results] == [w.member.pk for w in worlds]
    assert "already withdrawn" in results[2].message or "이미" in results[2].message
    for w in worlds:
        member = Member.objects.get(pk=w.member.pk)
        assert (member.status, member.email, member.email_index) == ("withdrawn", "", None)
        assert not SensitiveIdentifier.objects.filter(member=member).exists()
    # each withdrawn member has their kept records archived (five each, as for one member)
    assert ArchivedRecord.objects.count() == 15
    assert all(r.archived == 5 for r in results[:2])
    # one ledger run for the call, counts summed over the members, the officer and reason recorded
    entries = DestructionLog.objects.order_by("id")[before:]
    assert len({e.run_id for e in entries}) == 1
    assert {(e.approved_by_id, e.reason) for e in entries} == {(officer.pk, "전화로 탈퇴 요청")}
    members_erased = [e for e in entries if e.source == "members.Member"]
    assert members_erased
    assert all(e.count == 2 for e in members_erased)
    identifiers = [e for e in entries if e.source == "members.SensitiveIdentifier"]
    assert [e.count for e in identifiers] == [4]  # two identifiers each


def test_a_batch_closes_every_granted_consent_and_ends_every_session_of_its_members():
    # given: two members who signed up granting the optional items, each signed in
    policy_load()
    members = [member_sign_up(**sign_up_kwargs(grant_optional=True)) for _ in range(2)]
    granted = {m.pk: {code for code, r in consent_selectors.current_consents([m.pk])[m.pk].items() if r.granted}
               for m in members}
    for member in members:
        session = SessionStore()
        session["_auth_user_id"] = str(member.pk)
        session.create()
    # when
    members_withdraw(members=members, actor=None, reason="탈퇴")
    # then: one withdrawal record per granted item, nothing granted any more, no session left
    state = consent_selectors.current_consents([m.pk for m in members])
    for member in members:
        assert granted[member.pk]
        assert {code for code, r in state[member.pk].items() if r.granted} == set()
        closed = ConsentRecord.objects.filter(member=member, granted=False)
        assert {r.item.code for r in closed} >= granted[member.pk]
    assert not MemberSession.objects.filter(member_id__in=[m.pk for m in members]).exists()


def test_the_statements_of_a_batch_do_not_grow_with_its_size():
    # given: a batch of two and a batch of eight members alike (the archive's month partitions already made
    # by an earlier withdrawal, as they are but once a month)
    member_withdraw(member=world(serial=99).member, actor=None, reason="탈퇴")
    small = [world(serial=n).member for n in range(2)]
    large = [world(serial=n).member for n in range(10, 18)]
    # when
    with CaptureQueriesContext(connection) as two:
        members_withdraw(members=small, actor=None, reason="탈퇴")
    with CaptureQueriesContext(connection) as eight:
        members_withdraw(members=large, actor=None, reason="탈퇴")
    # then
    assert len(eight.captured_queries) == len(two.captured_queries)


def test_withdrawal_erases_the_personal_fields_of_consent_records_and_guardian_consent_and_ledgers_them():
    # given: an adult and a child (with a guardian's consent) who signed up from a browser
    policy_load()
    adult = member_sign_up(**sign_up_kwargs(ip="198.51.100.23", user_agent="Mozilla/5.0 (Windows NT 10.0) 웨일"))
    ten_years_old = datetime.date(datetime.date.today().year - 10, 1, 1)
    child_fields = sign_up_kwargs()["member_fields"] | {"birth_date": ten_years_old}
    child = member_sign_up(**sign_up_kwargs(member_fields=child_fields, ip="198.51.100.24",
                                            guardian={"name": "김철수", "contact": "010-9876-5432", "consent": True}))
    assert ConsentRecord.objects.filter(member=adult, ip="198.51.100.23").exists()
    # when
    members_withdraw(members=[adult, child], actor=None, reason="탈퇴")
    # then: the records stay as evidence, without where they came from; the guardian's details are gone
    records = ConsentRecord.objects.filter(member__in=[adult, child])
    assert records.exists()
    assert not records.exclude(ip__isnull=True, user_agent="").exists()
    guardian = GuardianConsent.objects.get(member=child)
    assert (guardian.guardian_name, guardian.guardian_contact, guardian.ip) == ("", "", None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM consents_consentrecord WHERE user_agent LIKE %s OR host(ip) LIKE %s",
                       ["%웨일%", "198.51.100.%"])
        assert cursor.fetchone()[0] == 0
    # and the ledger says so, never with a value
    erased = DestructionLog.objects.filter(event="withdrawal", source="consents.ConsentRecord")
    assert erased.exists()
    assert all(entry.method == "erase" for entry in erased)
    assert DestructionLog.objects.filter(source="consents.GuardianConsent", count=1).exists()
    # and the records are still append-only for anything else
    with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
        ConsentRecord.objects.filter(member=adult).update(user_agent="x")


def test_withdrawing_a_staff_member_revokes_every_access_and_records_the_revocation():
    # given: a staff member in a group with a direct permission, and a plain member
    clerk = world(serial=1).member
    Member.objects.filter(pk=clerk.pk).update(is_staff=True)
    clerk.refresh_from_db()
    group = Group.objects.create(name="민원 담당")
    clerk.groups.add(group)
    clerk.user_permissions.add(Permission.objects.get(codename="view_member"))
    plain = world(serial=2).member
    officer = staff()
    # when
    members_withdraw(members=[clerk, plain], actor=officer, reason="퇴사에 따른 탈퇴")
    # then: no access is left, and one record says what was revoked, by whom and why
    clerk = Member.objects.get(pk=clerk.pk)
    assert (clerk.is_staff, clerk.is_superuser, list(clerk.groups.all()), list(clerk.user_permissions.all())) == (
        False, False, [], [])
    change = StaffAccessChange.objects.get(member=clerk)
    assert change.before == {"is_staff": True, "is_superuser": False, "groups": ["민원 담당"],
                             "permissions": ["members.view_member"]}
    assert change.after == {"is_staff": False, "is_superuser": False, "groups": [], "permissions": []}
    assert (change.actor_id, change.reason) == (officer.pk, "퇴사에 따른 탈퇴")
    assert not StaffAccessChange.objects.filter(member=plain).exists()
