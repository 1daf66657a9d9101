"""A member's 주민등록번호 is one identifier held under every legal basis it was collected for; a different
number is refused unless it is an explicit correction, which is recorded without the old number."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from members import services
from members.models import (
    Enrollment,
    PaymentMethod,
    SensitiveIdentifier,
    SensitiveIdentifierBasis,
    SensitiveIdentifierCorrection,
)
from tests.members.factories import CourseFactory, MemberFactory, valid_card_number, valid_rrn

pytestmark = pytest.mark.django_db
START, END = datetime.date(2026, 3, 2), datetime.date(2026, 4, 30)
RRN = valid_rrn(datetime.date(1990, 1, 1))
OTHER_RRN = valid_rrn(datetime.date(1991, 5, 5))


def enrol(member, course, **kwargs):
    return services.enrollment_create(member=member, course=course, started_on=START, ended_on=END,
                                      payment_method=kwargs.pop("payment_method", PaymentMethod.CORPORATE_INVOICE),
                                      **kwargs)


def bases_of(identifier):
    return [(basis.legal_basis, basis.enrollment_id) for basis in identifier.bases.order_by("pk")]


def test_enrolling_in_a_second_refund_type_course_adds_a_basis_and_replaces_nothing():
    # given a member enrolled in an SME core-job course with their number
    member = MemberFactory()
    first = enrol(member, CourseFactory(is_sme_core_job=True), rrn=RRN)
    # when they enrol in an employment-insurance refund course, typing the same number again
    second = enrol(member, CourseFactory(is_employment_insurance_refund=True), rrn=RRN.replace("-", ""))
    # then: one identifier, still the first basis, and both bases with their enrolments
    identifier = SensitiveIdentifier.objects.get(member=member)
    assert (identifier.value, identifier.legal_basis) == (RRN, "sme_core_job")
    assert bases_of(identifier) == [("sme_core_job", first.pk), ("employment_insurance_refund", second.pk)]


def test_enrolling_again_without_typing_the_number_adds_the_basis_too():
    # given
    member = MemberFactory()
    enrol(member, CourseFactory(is_insurance_required=True), rrn=RRN)
    # when
    second = enrol(member, CourseFactory(is_employment_insurance_refund=True))
    # then
    identifier = SensitiveIdentifier.objects.get(member=member)
    assert bases_of(identifier)[-1] == ("employment_insurance_refund", second.pk)


def test_a_different_number_for_the_same_member_is_refused_and_nothing_is_saved():
    # given
    member = MemberFactory()
    enrol(member, CourseFactory(is_sme_core_job=True), rrn=RRN)
    # when
    with pytest.raises(ValidationError) as caught:
        enrol(member, CourseFactory(is_employment_insurance_refund=True), rrn=OTHER_RRN)
    # then
    assert caught.value.message_dict["rrn"] == [
        "Resident registration number: differs from the number already recorded for this member; a recorded "
        "number is changed only by a correction, which keeps a record of it."
    ]
    identifier = SensitiveIdentifier.objects.get(member=member)
    assert identifier.value == RRN
    assert (Enrollment.objects.count(), identifier.bases.count()) == (1, 1)


def test_recording_keeps_one_row_per_basis_and_refuses_another_number():
    # given
    member = MemberFactory()
    services.sensitive_identifier_record(member=member, kind="rrn", value=RRN, legal_basis="sme_core_job")
    # when
    services.sensitive_identifier_record(member=member, kind="rrn", value=RRN, legal_basis="sme_core_job")
    services.sensitive_identifier_record(member=member, kind="rrn", value=RRN, legal_basis="insurance_required")
    with pytest.raises(ValidationError) as caught:
        services.sensitive_identifier_record(member=member, kind="rrn", value=OTHER_RRN,
                                             legal_basis="employment_insurance_refund")
    # then
    identifier = SensitiveIdentifier.objects.get(member=member)
    assert bases_of(identifier) == [("sme_core_job", None), ("insurance_required", None)]
    assert identifier.value == RRN
    assert caught.value.message_dict["value"][0].startswith("Resident registration number: differs")


def test_creating_a_member_with_a_number_records_its_basis():
    # given / when
    member = MemberFactory(rrn=RRN, rrn_legal_basis="employment_insurance_refund")
    # then
    assert bases_of(member.sensitive_identifiers.get()) == [("employment_insurance_refund", None)]


def test_a_card_number_is_held_under_each_card_payment_enrolment():
    # given
    member, card = MemberFactory(), valid_card_number()
    first = enrol(member, CourseFactory(), payment_method=PaymentMethod.NAEIL_CARD, card_number=card)
    # when
    second = enrol(member, CourseFactory(), payment_method=PaymentMethod.NAEIL_CARD)
    # then
    identifier = SensitiveIdentifier.objects.get(member=member, kind="naeil_card")
    assert bases_of(identifier) == [("naeil_card_application", first.pk), ("naeil_card_application", second.pk)]


def test_a_correction_changes_the_number_and_records_who_when_why_and_only_the_masked_old_number():
    # given
    member, officer = MemberFactory(), MemberFactory(is_staff=True)
    identifier = services.sensitive_identifier_record(member=member, kind="rrn", value=RRN,
                                                      legal_basis="sme_core_job")
    # when
    services.sensitive_identifier_correct(identifier=identifier, value=OTHER_RRN, actor=officer,
                                          reason="가입 시 오기 (본인 확인 후 정정)")
    # then
    identifier.refresh_from_db()
    correction = SensitiveIdentifierCorrection.objects.get(identifier=identifier)
    assert identifier.value == OTHER_RRN
    assert (correction.corrected_by, correction.reason) == (officer, "가입 시 오기 (본인 확인 후 정정)")
    assert correction.previous_masked == f"{RRN[:8]}******"
    assert bases_of(identifier) == [("sme_core_job", None)]
    # and the old number is nowhere in the correction row
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM members_sensitiveidentifiercorrection")
        raw = repr(cursor.fetchall())
    assert RRN not in raw
    assert RRN.replace("-", "") not in raw


def test_a_correction_locks_the_row_and_looks_up_neither_the_member_nor_the_officer():
    # given
    member, officer = MemberFactory(), MemberFactory(is_staff=True)
    identifier = services.sensitive_identifier_record(member=member, kind="rrn", value=RRN,
                                                      legal_basis="sme_core_job")
    # when
    with CaptureQueriesContext(connection) as captured:
        services.sensitive_identifier_correct(identifier=identifier, value=OTHER_RRN, actor=officer, reason="오기 정정")
    statements = [q["sql"] for q in captured.captured_queries]
    # then: the row locked, changed and its correction recorded; the member and kind it keeps and the officer
    # are not looked up again (the database's keys and one-per-kind constraint still hold them)
    assert [sql.split()[0] for sql in statements] == ["SAVEPOINT", "SELECT", "UPDATE", "INSERT", "RELEASE"]
    assert "FOR UPDATE" in statements[1]


def test_a_correction_needs_a_reason_and_a_different_number():
    # given
    member, officer = MemberFactory(), MemberFactory(is_staff=True)
    identifier = services.sensitive_identifier_record(member=member, kind="rrn", value=RRN,
                                                      legal_basis="sme_core_job")
    # when
    with pytest.raises(ValidationError) as no_reason:
        services.sensitive_identifier_correct(identifier=identifier, value=OTHER_RRN, actor=officer, reason=" ")
    with pytest.raises(ValidationError) as same:
        services.sensitive_identifier_correct(identifier=identifier, value=RRN, actor=officer, reason="확인")
    with pytest.raises(ValidationError) as malformed:
        services.sensitive_identifier_correct(identifier=identifier, value="900101-123", actor=officer,
                                              reason="확인")
    # then
    assert no_reason.value.message_dict["reason"][0].startswith("Reason: ")
    assert same.value.message_dict["value"] == [
        "Resident registration number: the corrected number is the same as the recorded one."
    ]
    assert malformed.value.message_dict["value"][0].startswith("Resident registration number: enter 13 digits")
    assert SensitiveIdentifierCorrection.objects.count() == 0
    identifier.refresh_from_db()
    assert identifier.value == RRN


def test_the_database_refuses_a_basis_that_does_not_fit_the_kind():
    # given an RRN
    identifier = services.sensitive_identifier_record(member=MemberFactory(), kind="rrn", value=RRN,
                                                      legal_basis="sme_core_job")
    # when / then: a card-application basis for it is refused by the database itself
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        SensitiveIdentifierBasis.objects.create(identifier=identifier, legal_basis="naeil_card_application")
    assert "sensitive_identifier_basis_fits_kind" in str(caught.value.__cause__.diag.constraint_name)


def test_the_migration_gives_every_existing_identifier_its_basis():
    # given an identifier saved before the basis table existed
    identifier = SensitiveIdentifier.objects.create(member=MemberFactory(), kind="rrn", value=RRN,
                                                    legal_basis="insurance_required")
    migration = importlib.import_module("members.migrations.0002_identifier_bases_and_corrections")
    # when
    migration.record_existing_bases(apps, None)
    # then
    assert bases_of(identifier) == [("insurance_required", None)]


def test_the_identifier_admin_shows_every_basis_and_the_corrections():
    # given
    officer = MemberFactory(login_id="officer", is_staff=True, is_superuser=True)
    member = MemberFactory()
    first = enrol(member, CourseFactory(is_sme_core_job=True), rrn=RRN)
    enrol(member, CourseFactory(is_employment_insurance_refund=True))
    identifier = SensitiveIdentifier.objects.get(member=member)
    services.sensitive_identifier_correct(identifier=identifier, value=OTHER_RRN, actor=officer, reason="오기 정정")
    client = Client()
    client.force_login(officer)
    # when
    listing = client.get("/admin/members/sensitiveidentifier/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    detail = client.get(f"/admin/members/sensitiveidentifier/{identifier.pk}/change/",
                        HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # then
    assert "SME core-job course, employment-insurance refund course" in listing
    assert "SME core-job course" in detail
    assert "employment-insurance refund course" in detail
    assert str(first) in detail
    assert "오*" in detail  # the reason, masked as declared
    assert RRN not in detail
    assert OTHER_RRN not in detail


def test_the_database_keeps_each_basis_once_per_enrolment_and_once_without_one():
    # given
    identifier = services.sensitive_identifier_record(member=MemberFactory(), kind="rrn", value=RRN,
                                                      legal_basis="sme_core_job")
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        SensitiveIdentifierBasis.objects.create(identifier=identifier, legal_basis="sme_core_job")
    SensitiveIdentifierBasis.objects.create(identifier=identifier, legal_basis="insurance_required")
    assert identifier.bases.count() == 2
