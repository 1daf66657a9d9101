"""provision_record: the only way data leaves. Each refusal reason, all-or-nothing batches, ledger rows, and a
query count that does not grow with the batch."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consents.services import consent_withdraw
from disclosures.models import Basis, Provision, ProvisionBatch, Recipient
from disclosures.services import ProvisionRefused, provision_record, restriction_close, restriction_open
from members.models import Member
from tests.disclosures.conftest import consenting_member, enrol
from tests.members.factories import CourseFactory, MemberFactory

pytestmark = pytest.mark.django_db


def _provide(recipient, members, actor, *, items=None, basis=Basis.CONSENT):
    return provision_record(recipient=recipient, members=members, items=items or recipient.terms.item_codes,
                            basis=basis, actor=actor, purpose="2026년 3월 정기 제공")


def _refused(call) -> dict[int, list[str]]:
    with pytest.raises(ProvisionRefused) as error:
        call()
    return error.value.refusals


def test_each_provided_member_gets_a_ledger_row_with_recipient_items_basis_time_actor_and_batch(quality, officer):
    # given
    members = [consenting_member(quality) for _ in range(3)]
    # when
    batch = _provide(quality, members, officer)
    # then
    rows = list(Provision.objects.filter(batch=batch).order_by("member_id"))
    assert [row.member_id for row in rows] == sorted(member.pk for member in members)
    for row in rows:
        assert row.recipient == quality
        assert row.actor == officer
        assert row.basis == "consent"
        assert row.items == ["email", "mobile", "birth_date", "ip", "learning"]
        assert row.provided_at == batch.provided_at
        assert row.consent_record.item.code == "provision_hrdk_quality"
    assert batch.member_count == 3
    assert batch.basis_text


def test_refused_without_an_active_consent_to_the_recipient(quality, officer):
    # given: one never consented, one withdrew
    never = MemberFactory()
    withdrew = consenting_member(quality)
    consent_withdraw(member=withdrew, item=quality.consent_item)
    # when
    refusals = _refused(lambda: _provide(quality, [never, withdrew], officer))
    # then
    assert set(refusals) == {never.pk, withdrew.pk}
    assert all("no active consent" in reasons[0] for reasons in refusals.values())
    assert not Provision.objects.exists()
    assert not ProvisionBatch.objects.exists()


def test_refused_when_the_statute_does_not_cover_the_member(moel, officer, refund_course):
    # given: one not enrolled in a refund course; one enrolled, but the RRN is held for an SME core-job course
    not_enrolled = MemberFactory()
    other_basis = MemberFactory()
    enrol(other_basis, CourseFactory(is_sme_core_job=True))
    enrol(other_basis, refund_course, rrn=False)
    covered = MemberFactory()
    enrol(covered, refund_course)
    # when
    refusals = _refused(lambda: _provide(moel, [not_enrolled, other_basis, covered], officer, basis=Basis.STATUTE))
    # then
    assert set(refusals) == {not_enrolled.pk, other_basis.pk}
    assert "refund course" in refusals[not_enrolled.pk][0]
    assert "resident registration number" in refusals[other_basis.pk][0]
    assert not Provision.objects.exists()
    # and the covered member alone is provided on the statute, without a consent record
    batch = _provide(moel, [covered], officer, basis=Basis.STATUTE)
    row = Provision.objects.get(batch=batch)
    assert row.basis == "statute"
    assert row.consent_record is None
    assert "제52조의2제1항" in batch.basis_text


def test_refused_when_the_member_has_withdrawn(quality, officer):
    member = consenting_member(quality)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.WITHDRAWN, withdrawn_at=timezone.now())
    refusals = _refused(lambda: _provide(quality, [member], officer))
    assert refusals == {member.pk: ["the member has withdrawn"]}


@pytest.mark.parametrize("kind", ["correction", "processing_stop"])
def test_refused_while_a_correction_or_processing_stop_request_is_open(quality, officer, kind):
    # given
    member = consenting_member(quality)
    restriction = restriction_open(member=member, kind=kind, reason="전화 요청", actor=officer)
    # when / then
    refusals = _refused(lambda: _provide(quality, [member], officer))
    assert "is open (policy §7)" in refusals[member.pk][0]
    # and once the request is closed the member can be provided again
    restriction_close(restriction=restriction, actor=officer)
    assert _provide(quality, [member], officer).member_count == 1


def test_a_mix_of_allowed_and_refused_members_provides_nobody_and_names_every_refused_member(quality, officer):
    allowed = [consenting_member(quality) for _ in range(2)]
    refused = [MemberFactory(), MemberFactory()]
    refusals = _refused(lambda: _provide(quality, [allowed[0], refused[0], allowed[1], refused[1]], officer))
    assert set(refusals) == {member.pk for member in refused}
    assert not Provision.objects.exists()
    assert not ProvisionBatch.objects.exists()


def test_one_member_can_be_refused_for_several_reasons_at_once(quality, officer):
    member = MemberFactory()
    restriction_open(member=member, kind="correction", actor=officer)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.WITHDRAWN, withdrawn_at=timezone.now())
    assert len(_refused(lambda: _provide(quality, [member], officer))[member.pk]) == 3


@pytest.mark.parametrize(("case", "field"), [
    ("unknown item", "items"),
    ("item the recipient does not receive", "items"),
    ("no items", "items"),
    ("inactive recipient", "recipient"),
    ("group", "recipient"),
    ("empty member list", "members"),
    ("no statute", "basis"),
    ("no purpose", "purpose"),
])
def test_bad_input_changes_nothing_and_names_the_field(quality, officer, case, field):
    member = consenting_member(quality)
    kwargs = {"recipient": quality, "members": [member], "items": ["email"], "basis": Basis.CONSENT,
              "actor": officer, "purpose": "모니터링"}
    if case == "unknown item":
        kwargs["items"] = ["email", "shoe_size"]
    elif case == "item the recipient does not receive":
        kwargs["items"] = ["email", "rrn"]
    elif case == "no items":
        kwargs["items"] = []
    elif case == "inactive recipient":
        Recipient.objects.filter(pk=quality.pk).update(active_to=datetime.date(2024, 1, 1))
        kwargs["recipient"] = Recipient.objects.get(pk=quality.pk)
    elif case == "group":
        kwargs["recipient"] = Recipient.objects.get(name="과정제휴업체")
        kwargs["items"] = ["email"]
    elif case == "empty member list":
        kwargs["members"] = []
    elif case == "no statute":
        kwargs["recipient"] = Recipient.objects.get(name="NICE 평가정보")
        kwargs["items"], kwargs["basis"] = ["name"], Basis.STATUTE
    elif case == "no purpose":
        kwargs["purpose"] = "  "
    with pytest.raises(ValidationError) as error:
        provision_record(**kwargs)
    assert field in error.value.message_dict
    assert not Provision.objects.exists()
    assert not ProvisionBatch.objects.exists()


def test_a_partner_company_is_provided_under_its_groups_consent(policy, officer):
    group = Recipient.objects.get(name="과정제휴업체")
    partner = Recipient.objects.create(name="(주)한결에듀", group=group, active_from=datetime.date(2024, 1, 1))
    member = consenting_member(group)
    batch = provision_record(recipient=partner, members=[member], items=["name", "email"], basis=Basis.CONSENT,
                             actor=officer, purpose="학습안내")
    assert Provision.objects.get(batch=batch).consent_record.item.code == "provision_partners"


def test_the_number_of_queries_does_not_grow_with_the_batch(moel, officer, refund_course):
    def covered(count):
        members = []
        for _ in range(count):
            member = consenting_member(moel)
            enrol(member, refund_course)
            members.append(member)
        return members

    small, large = covered(2), covered(12)
    counts = {}
    for name, members in (("consent small", small), ("consent large", large)):
        with CaptureQueriesContext(connection) as queries:
            _provide(moel, members, officer)
        counts[name] = len(queries)
    for name, members in (("statute small", small), ("statute large", large)):
        with CaptureQueriesContext(connection) as queries:
            _provide(moel, members, officer, basis=Basis.STATUTE)
        counts[name] = len(queries)
    assert counts["consent small"] == counts["consent large"]
    assert counts["statute small"] == counts["statute large"]


def test_a_member_given_by_id_is_provided_like_a_member_object(quality, officer):
    member = consenting_member(quality)
    batch = _provide(quality, [member.pk, member], officer)
    assert batch.member_count == 1



def test_opening_a_restriction_is_one_insert_without_looking_up_the_member_or_the_officer(quality, officer):
    # given
    member = consenting_member(quality)
    # when
    with CaptureQueriesContext(connection) as captured:
        restriction = restriction_open(member=member, kind="correction", reason="전화 요청", actor=officer)
    # then
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["SAVEPOINT", "INSERT", "RELEASE"]
    assert (restriction.member, restriction.opened_by) == (member, officer)
