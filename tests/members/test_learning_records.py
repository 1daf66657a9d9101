"""Enrolment collects 주민등록번호 and card numbers only where policy §1 says, and saves nothing on bad input."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from members import services
from members.models import Enrollment, Payment, PaymentMethod, SensitiveIdentifier
from tests.members.factories import CourseFactory, MemberFactory, valid_card_number, valid_rrn

pytestmark = pytest.mark.django_db
START, END = datetime.date(2026, 3, 2), datetime.date(2026, 4, 30)


@pytest.mark.parametrize("flag", ["is_employment_insurance_refund", "is_sme_core_job", "is_insurance_required"])
def test_refund_type_courses_require_a_resident_registration_number(flag):
    member, course = MemberFactory(), CourseFactory(**{flag: True})
    with pytest.raises(ValidationError) as caught:
        services.enrollment_create(member=member, course=course, started_on=START, ended_on=END,
                                   payment_method=PaymentMethod.CORPORATE_INVOICE)
    assert "Resident registration number: required" in caught.value.message_dict["rrn"][0]
    assert Enrollment.objects.count() == 0


def test_enrolling_in_a_refund_course_records_the_rrn_with_the_courses_legal_basis():
    member, course = MemberFactory(), CourseFactory(is_sme_core_job=True)
    services.enrollment_create(member=member, course=course, started_on=START, ended_on=END,
                               payment_method=PaymentMethod.CORPORATE_INVOICE, rrn=valid_rrn())
    identifier = SensitiveIdentifier.objects.get(member=member)
    assert (identifier.kind, identifier.legal_basis) == ("rrn", "sme_core_job")


def test_an_rrn_is_not_collected_for_an_ordinary_course():
    member, course = MemberFactory(), CourseFactory()
    with pytest.raises(ValidationError) as caught:
        services.enrollment_create(member=member, course=course, started_on=START, ended_on=END,
                                   payment_method=PaymentMethod.CREDIT_CARD, rrn=valid_rrn())
    assert "collected only" in caught.value.message_dict["rrn"][0]
    assert SensitiveIdentifier.objects.count() == 0


def test_a_card_number_failing_luhn_saves_neither_enrolment_nor_identifier():
    member, course = MemberFactory(), CourseFactory(is_employment_insurance_refund=True)
    card = valid_card_number()
    bad_card = card[:-1] + str((int(card[-1]) + 1) % 10)
    with pytest.raises(ValidationError) as caught:
        services.enrollment_create(member=member, course=course, started_on=START, ended_on=END,
                                   payment_method=PaymentMethod.NAEIL_CARD, rrn=valid_rrn(), card_number=bad_card)
    assert "Luhn" in caught.value.message_dict["card_number"][0]
    assert (Enrollment.objects.count(), SensitiveIdentifier.objects.count()) == (0, 0)


def test_naeil_card_payment_needs_a_card_number_and_keeps_it_with_its_purpose():
    member, course = MemberFactory(), CourseFactory()
    with pytest.raises(ValidationError):
        services.enrollment_create(member=member, course=course, started_on=START, ended_on=END,
                                   payment_method=PaymentMethod.NAEIL_CARD)
    enrollment = services.enrollment_create(member=member, course=course, started_on=START, ended_on=END,
                                            payment_method=PaymentMethod.NAEIL_CARD,
                                            card_number=valid_card_number())
    card = SensitiveIdentifier.objects.get(member=member, kind="naeil_card")
    assert card.legal_basis == "naeil_card_application"
    payment = services.payment_record(enrollment=enrollment, amount=198000, method=PaymentMethod.NAEIL_CARD)
    assert Payment.objects.get() == payment


def test_a_course_cannot_end_before_it_starts():
    with pytest.raises(ValidationError) as caught:
        services.enrollment_create(member=MemberFactory(), course=CourseFactory(), started_on=END, ended_on=START,
                                   payment_method=PaymentMethod.CREDIT_CARD)
    assert "End date" in str(caught.value)


def test_shipping_address_is_collected_only_for_textbook_courses():
    with pytest.raises(ValidationError) as caught:
        services.enrollment_create(member=MemberFactory(), course=CourseFactory(), started_on=START, ended_on=END,
                                   payment_method=PaymentMethod.CREDIT_CARD, shipping_address="서울 중구 세종대로 1")
    assert "textbook" in caught.value.message_dict["shipping_address"][0]


def test_payments_refunds_and_complaints_keep_their_dates_in_order():
    enrollment = services.enrollment_create(member=MemberFactory(), course=CourseFactory(), started_on=START,
                                            ended_on=END, payment_method=PaymentMethod.CREDIT_CARD)
    payment = services.payment_record(enrollment=enrollment, amount=99000, method=PaymentMethod.CREDIT_CARD)
    with pytest.raises(ValidationError) as caught:
        services.payment_refund(payment=payment, refunded_at=payment.paid_at - datetime.timedelta(days=1))
    assert "refund cannot precede" in str(caught.value)
    with pytest.raises(ValidationError):
        services.payment_record(enrollment=enrollment, amount=0, method=PaymentMethod.CREDIT_CARD)
    complaint = services.complaint_receive(member=enrollment.member, summary="환불 문의")
    services.complaint_close(complaint=complaint)
    assert complaint.closed_at >= complaint.received_at
