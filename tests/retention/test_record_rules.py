"""The record rules (retention.records): the sweep purges consent records, provision ledger rows and
staff-access records once their keeping period has ended and not before, through the owning app's purge path;
the ledger counts exactly what went; a legal hold keeps them; --dry-run changes nothing; the append-only
triggers still refuse an ordinary DELETE."""

import datetime
from io import StringIO

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum
from django.db.utils import ProgrammingError
from django.urls import reverse
from django.utils import timezone, translation

from consents.loading import policy_load
from consents.models import ConsentItem, ConsentRecord, GuardianConsent, MarketingNotice
from consents.services import consent_grant
from disclosures.models import Basis, Provision, Recipient
from disclosures.services import provision_record
from members.models import Member, StaffAccessChange
from members.staff_access import staff_access_change
from retention.models import ArchivedRecord, DestructionLog, RecordDeferral, RetentionRule
from retention.records import RECORD_RULES
from retention.services import (
    archived_records_of,
    legal_hold_place,
    legal_hold_release,
    member_withdraw,
    retention_rule_update,
    retention_sweep,
)
from tests.members.factories import MemberFactory
from tests.retention.factories import world

pytestmark = pytest.mark.django_db(databases="__all__")

MOEL = "고용노동부 한국산업인력공단"  # keeps what it receives 3 years (policy §5)
NICE = "NICE 평가정보"  # keeps it while the identity-check service is provided


def later(**delta) -> time_machine.travel:
    return time_machine.travel(timezone.now() + relativedelta(**delta), tick=False)


def ledger(rule: str) -> dict[str, int]:
    rows = (DestructionLog.objects.filter(event="sweep", rule=f"record:{rule}").values("source")
            .annotate(total=Sum("count")).order_by())
    return {row["source"]: row["total"] for row in rows}


def evidence(member: Member) -> dict[str, int]:
    return {"consents.ConsentRecord": ConsentRecord.objects.filter(member=member).count(),
            "consents.MarketingNotice": MarketingNotice.objects.filter(member=member).count(),
            "consents.GuardianConsent": GuardianConsent.objects.filter(member=member).count()}


@pytest.fixture
def items(db) -> dict[str, ConsentItem]:
    policy_load()  # consent items, retention rules, recipients (as load_policy does)
    return {item.code: item for item in ConsentItem.objects.all()}


@pytest.fixture
def officer(db) -> Member:
    return MemberFactory(login_id="officer01", email="officer@alpaco.co.kr", is_staff=True, is_superuser=True)


def consenting(items: dict[str, ConsentItem], member: Member | None = None) -> Member:
    member = member or MemberFactory()
    consent_grant(member=member, item=items["collection_required"])
    consent_grant(member=member, item=items["marketing_email"])  # writes a marketing result notice too
    return member


def provide(recipient_name: str, member: Member, actor: Member) -> Provision:
    recipient = Recipient.objects.get(name=recipient_name)
    consent_grant(member=member, item=recipient.consent_item)
    batch = provision_record(recipient=recipient, members=[member], items=["name", "mobile"], basis=Basis.CONSENT,
                             actor=actor, purpose="정기 제공")
    return Provision.objects.get(batch=batch)


def test_withdrawn_member_consents_are_purged_once_the_archive_keeps_nothing_of_the_member(items):
    # given: a withdrawn member whose contract records the archive keeps 5 years, and an active member
    w = world(ended_days_ago=1)
    consenting(items, w.member)
    staying = consenting(items)
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    before = evidence(w.member)
    assert before["consents.ConsentRecord"] >= 4
    assert before["consents.MarketingNotice"] >= 1
    # when: the 3-year records are gone but the 5-year ones are not yet
    with later(years=3, days=1):
        retention_sweep()
    # then: the consent records are still the evidence of what the archive keeps
    assert ArchivedRecord.objects.exists()
    assert evidence(w.member) == before
    assert ledger("withdrawn_member_consents") == {}
    # when: the last archived record's period ends
    with later(years=5, days=2):
        report = retention_sweep()
    # then: the archive is empty and the member's consent evidence went in the same sweep, counted exactly
    assert not ArchivedRecord.objects.exists()
    assert evidence(w.member) == {label: 0 for label in before}
    assert ledger("withdrawn_member_consents") == {label: count for label, count in before.items() if count}
    assert report.rules["record:withdrawn_member_consents"].destroyed == sum(before.values())
    entry = DestructionLog.objects.filter(rule="record:withdrawn_member_consents").first()
    assert (entry.method, entry.run_id) == ("delete", report.run_id)
    # and an active member's consents are their current state: never purged
    assert ConsentRecord.objects.filter(member=staying).count() == 2


def test_a_member_of_whom_nothing_is_kept_loses_the_consent_records_at_the_first_sweep_after_withdrawal(items):
    # given: a member with consents but no course, payment or provision, withdrawn today
    member = consenting(items)
    member_withdraw(member=member, actor=None, reason="탈퇴")
    count = ConsentRecord.objects.filter(member=member).count()
    # when: a sweep the same day
    retention_sweep()
    # then: nothing yet (the period runs from the withdrawal)
    assert ConsentRecord.objects.filter(member=member).count() == count
    # when: the next night's sweep
    with later(days=1):
        retention_sweep()
    # then
    assert not ConsentRecord.objects.filter(member=member).exists()
    assert ledger("withdrawn_member_consents")["consents.ConsentRecord"] == count


def test_provision_rows_go_when_the_recipients_period_has_passed_and_not_before(items, officer):
    # given: a provision to a recipient keeping data 3 years, and one to a recipient keeping it while the
    # service is provided, both to a member who stays
    member = consenting(items)
    three_years = provide(MOEL, member, officer)
    while_served = provide(NICE, member, officer)
    # when: a day short of 3 years
    with later(years=3, days=-1):
        retention_sweep()
    # then
    assert set(Provision.objects.values_list("pk", flat=True)) == {three_years.pk, while_served.pk}
    # when: 3 years and a day
    with later(years=3, days=1):
        report = retention_sweep()
    # then: the 3-year recipient's row is gone; the other recipient still keeps the data of a member it serves
    assert list(Provision.objects.values_list("pk", flat=True)) == [while_served.pk]
    assert ledger("provision_ledger") == {"disclosures.Provision": 1} == {
        "disclosures.Provision": report.rules["record:provision_ledger"].destroyed}
    assert ConsentRecord.objects.filter(member=member).exists()


def test_a_withdrawn_members_provision_row_and_then_consents_go_once_the_recipient_no_longer_serves_them(
        items, officer):
    # given: a provision to a recipient that keeps the data while the service is provided, then withdrawal
    member = consenting(items)
    row = provide(NICE, member, officer)
    relied_on = row.consent_record_id
    member_withdraw(member=member, actor=None, reason="탈퇴")
    # when: the next day's sweep (the service ended, but the yearly provision notice keeps it a year)
    with later(days=1):
        retention_sweep()
    # then: the row stays, and so do the consent records it relies on
    assert Provision.objects.filter(pk=row.pk).exists()
    assert ConsentRecord.objects.filter(pk=relied_on).exists()
    # when: a year and a day after the provision
    with later(years=1, days=1):
        retention_sweep()
    # then: the row went first, then, in the same sweep, the consent records nothing keeps any longer
    assert not Provision.objects.filter(pk=row.pk).exists()
    assert not ConsentRecord.objects.filter(member=member).exists()
    assert ledger("provision_ledger") == {"disclosures.Provision": 1}


def test_staff_access_records_are_kept_3_years_after_they_stopped_describing_access_held(officer):
    # given: on day 0 a member is made staff, a year later the access is revoked; another stays staff
    start = timezone.now()
    leaver, stayer = MemberFactory(), MemberFactory()
    with time_machine.travel(start, tick=False):
        granted = staff_access_change(actor=officer, member=leaver, is_staff=True, is_superuser=False, groups=[],
                                      permissions=[], reason="입사")
        current = staff_access_change(actor=officer, member=stayer, is_staff=True, is_superuser=False, groups=[],
                                      permissions=[], reason="입사")
    with time_machine.travel(start + relativedelta(years=1), tick=False):
        revoked = staff_access_change(actor=officer, member=leaver, is_staff=False, is_superuser=False, groups=[],
                                      permissions=[], reason="퇴사")
    # when: 4 years less a day after day 0 (the grant stopped applying only 3 years less a day ago)
    with later(years=4, days=-1):
        retention_sweep()
    # then
    assert set(StaffAccessChange.objects.values_list("pk", flat=True)) == {granted.pk, current.pk, revoked.pk}
    # when: 4 years and a day
    with later(years=4, days=1):
        report = retention_sweep()
    # then: the grant and its revocation are gone; the record of access still held stays
    assert list(StaffAccessChange.objects.values_list("pk", flat=True)) == [current.pk]
    assert ledger("staff_access_changes") == {"members.StaffAccessChange": 2}
    assert report.rules["record:staff_access_changes"].destroyed == 2


def test_a_legal_hold_keeps_the_members_records_until_it_is_released(items, officer):
    # given: a withdrawn member with a provision and consents, under a legal hold until 7 years from now
    member = consenting(items)
    provide(MOEL, member, officer)
    member_withdraw(member=member, actor=None, reason="탈퇴")
    hold = legal_hold_place(member=member, actor=officer, reason="소송 진행 중",
                            until=timezone.localdate() + relativedelta(years=7))
    kept = evidence(member)
    # when: every period has ended
    with later(years=6):
        report = retention_sweep()
    # then: nothing of the member went, and the report says what the hold kept
    assert Provision.objects.filter(member=member).count() == 1
    assert evidence(member) == kept
    assert report.rules["record:provision_ledger"].held == 1
    assert report.rules["record:withdrawn_member_consents"].held == sum(kept.values())
    assert ledger("provision_ledger") == ledger("withdrawn_member_consents") == {}
    # when: the hold is released
    legal_hold_release(hold=hold, actor=officer)
    with later(years=6):
        retention_sweep()
    # then
    assert not Provision.objects.filter(member=member).exists()
    assert evidence(member) == {label: 0 for label in kept}
    assert ledger("provision_ledger") == {"disclosures.Provision": 1}


def test_dry_run_reports_per_rule_and_changes_nothing(items, officer):
    # given: a withdrawn member with a provision, consents and a staff access that ended with the withdrawal
    member = consenting(items)
    provide(MOEL, member, officer)
    staff_access_change(actor=officer, member=member, is_staff=True, is_superuser=False, groups=[],
                        permissions=[], reason="강사 계정")
    member_withdraw(member=member, actor=None, reason="탈퇴")
    counts = (Provision.objects.count(), ConsentRecord.objects.count(), StaffAccessChange.objects.count())
    # when
    with later(years=4):
        out = StringIO()
        call_command("retention_sweep", "--dry-run", stdout=out)
        dry = retention_sweep(dry_run=True)
    # then: nothing changed, nothing written in the ledger, and each rule says what it would destroy
    assert (Provision.objects.count(), ConsentRecord.objects.count(), StaffAccessChange.objects.count()) == counts
    assert not DestructionLog.objects.filter(event="sweep").exists()
    assert "record:provision_ledger" in out.getvalue()
    would = {code: line.destroyed for code, line in dry.rules.items() if code.startswith("record:")}
    # two staff-access records: the grant, and its revocation written by the withdrawal
    assert would == {"record:provision_ledger": 1, "record:staff_access_changes": 2,
                     "record:withdrawn_member_consents": sum(evidence(member).values())}
    # and the real sweep destroys exactly what the dry run announced
    with later(years=4):
        done = retention_sweep()
    assert {code: done.rules[code].destroyed for code in would} == would


def test_the_append_only_triggers_still_refuse_an_ordinary_delete_after_a_purge(items, officer):
    # given: a sweep has purged one member's provision row and consent records through pgtrigger.ignore
    gone = consenting(items)
    provide(NICE, gone, officer)
    member_withdraw(member=gone, actor=None, reason="탈퇴")
    staying = consenting(items)
    provide(MOEL, staying, officer)
    with later(years=1, days=1):
        retention_sweep()
    assert not ConsentRecord.objects.filter(member=gone).exists()
    # when / then: any other DELETE of either table is still refused by the database
    for table, member in (("consents_consentrecord", staying), ("disclosures_provision", staying)):
        with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE member_id = %s", [member.pk])
    assert ConsentRecord.objects.filter(member=staying).count() >= 3
    assert Provision.objects.filter(member=staying).count() == 1


def test_a_bounded_sweep_purges_in_batches_and_the_task_chain_finishes_it(items):
    # given: five withdrawn members with nothing else kept
    members = [consenting(items) for _ in range(5)]
    for member in members:
        member_withdraw(member=member, actor=None, reason="탈퇴")
    total = ConsentRecord.objects.filter(member__in=members).count()
    # when: sweeps of at most four batches (the purpose rules take two) of two members, until nothing is left
    with later(days=1):
        reports = [retention_sweep(batch_size=2, max_batches=4)]
        while reports[-1].has_more and len(reports) < 10:
            reports.append(retention_sweep(batch_size=2, max_batches=4))
    # then: every record went once, each batch its own ledger rows
    assert not ConsentRecord.objects.filter(member__in=members).exists()
    assert ledger("withdrawn_member_consents")["consents.ConsentRecord"] == total
    assert DestructionLog.objects.filter(rule="record:withdrawn_member_consents",
                                         source="consents.ConsentRecord").count() == 3
    assert len(reports) > 1


def test_members_the_archive_still_keeps_are_deferred_so_a_bounded_sweep_gets_past_them(items):
    # given: three withdrawn members the archive keeps for years, then two of whom nothing is kept
    kept = [world(ended_days_ago=1, serial=n).member for n in range(3)]
    free = [consenting(items) for _ in range(2)]
    for member in kept:
        consenting(items, member)
    for member in [*kept, *free]:
        member_withdraw(member=member, actor=None, reason="탈퇴")
    first_due = {member.pk: min(archived_records_of(member.pk).values_list("destroy_after", flat=True))
                 for member in kept}
    # when: sweeps of at most four batches of one member (the purpose rules take two), until nothing is left
    with later(days=1):
        reports = [retention_sweep(batch_size=1, max_batches=4)]
        while reports[-1].has_more and len(reports) < 10:
            reports.append(retention_sweep(batch_size=1, max_batches=4))
    # then: the chain ended; the free members' consents went, the kept members' stay, each deferred until the
    # day after its first archived row's destroy_after, not read again before then
    assert not reports[-1].has_more
    assert not ConsentRecord.objects.filter(member__in=free).exists()
    assert ConsentRecord.objects.filter(member__in=kept).count() == 4 * len(kept)
    deferred = dict(RecordDeferral.objects.filter(rule="withdrawn_member_consents").values_list("key", "recheck_on"))
    assert deferred == {pk: day + datetime.timedelta(days=1) for pk, day in first_due.items()}


def test_a_shortened_retention_period_ends_the_deferral_so_the_consents_follow_the_new_dates(items, officer):
    # given: a withdrawn member whose consents are deferred until the archive's 3-year rows may go
    w = world(ended_days_ago=1)
    consenting(items, w.member)
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    with later(days=1):
        retention_sweep()
    assert RecordDeferral.objects.filter(key=w.member.pk).exists()
    # when: the officer shortens every rule to 1 year, with a reason
    for rule in RetentionRule.objects.all():
        retention_rule_update(rule=rule, actor=officer, reason="법령 개정", period_amount=1, period_unit="years")
    with later(years=1, days=2):
        retention_sweep()
    # then: the archive went on the new dates, and the consents with it
    assert not RecordDeferral.objects.exists()
    assert not ArchivedRecord.objects.exists()
    assert not ConsentRecord.objects.filter(member=w.member).exists()


def test_the_rule_list_in_the_admin_shows_what_each_record_rule_destroys_in_the_next_30_days(items, officer,
                                                                                               client):
    # given: a withdrawn member whose consents go at the next sweep, and one withdrawn with a 3-year provision
    member = consenting(items)
    member_withdraw(member=member, actor=None, reason="탈퇴")
    provide(MOEL, consenting(items), officer)
    client.force_login(officer)
    # when
    response = client.get(reverse("admin:retention_retentionrule_changelist"))
    # then
    assert response.status_code == 200
    rows = dict((rule.code, due) for rule, due in response.context["record_rules"])
    assert rows == {"provision_ledger": 0, "staff_access_changes": 0,
                    "withdrawn_member_consents": sum(evidence(member).values())}
    with translation.override("ko"):
        assert str(RECORD_RULES[-1].label) in response.content.decode()


def test_a_recipients_period_is_read_from_the_policy_wording():
    from disclosures.selectors import recipient_retention_period

    # given / when / then
    assert recipient_retention_period(Recipient(retention="3년")) == relativedelta(years=3)
    assert recipient_retention_period(Recipient(retention="6개월")) == relativedelta(months=6)
    assert recipient_retention_period(Recipient(retention="본인확인 서비스 제공기간")) is None
    assert recipient_retention_period(Recipient(retention="회원탈퇴 시 혹은 위탁계약 종료 시")) is None
    assert datetime.date(2026, 1, 1) + recipient_retention_period(Recipient(retention="90일")) == \
        datetime.date(2026, 4, 1)
