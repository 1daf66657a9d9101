"""Bad input: every message names the field the person typed (Korean, English on request), control characters
are refused in every text field and password, and nothing is half-saved."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from members import services
from members.models import Complaint, Enrollment, Member, PaymentMethod, SensitiveIdentifier
from tests.members.factories import CourseFactory, MemberFactory, valid_card_number, valid_rrn

pytestmark = pytest.mark.django_db
START, END = datetime.date(2026, 3, 2), datetime.date(2026, 4, 30)
PASSWORD = "a-long-Passphrase-2023"


def refusal(action, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        action(*args, **kwargs)
    return caught.value.message_dict


def in_korean(action, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        action(*args, **kwargs)
    with translation.override("ko"):
        return caught.value.message_dict


def member_fields(**overrides):
    fields = {"login_id": "hong_gd", "password": None, "name": "홍길동", "email": "hong@example.com"}
    return fields | overrides


# Control characters (point 10)


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("name", "홍\x00길동", "Name"),
        ("company_name", "한결\x00정보기술", "Company name"),
        ("department", "인사\x1b팀", "Department"),
        ("job_title", "대\n리", "Job title"),
        ("employee_number", "2019\x000001", "Employee number"),
        ("home_address", "서울특별시 강남구\u202e 테헤란로 1", "Home address"),
        ("email", "hong\x00@example.com", "Email"),
        ("login_id", "hong\x00gd", "Login ID"),
        ("mobile", "010-1234-\x005678", "Mobile phone"),
    ],
)
def test_control_characters_are_refused_in_every_member_text_field_with_its_name(field, value, label):
    # given / when
    errors = refusal(services.member_create, **member_fields(**{field: value}))
    # then: one message, under the field, that names it and the rule
    assert errors[field] == [
        f"{label}: must not contain control characters (such as NUL, escape or direction overrides)."
    ]
    assert Member.objects.count() == 0


def test_control_characters_are_refused_in_passwords_with_the_fields_name():
    # given / when
    created = refusal(services.member_create, **member_fields(password="a-long-\x00Passphrase-2023"))
    member = MemberFactory()
    changed = refusal(services.member_password_set, member=member, password="a-long-Pass\x07phrase-2023")
    # then
    for errors in (created, changed):
        assert errors["password"] == [
            "Password: must not contain control characters (such as NUL, escape or direction overrides)."
        ]


def test_control_characters_are_refused_when_a_member_changes_their_details():
    # given
    member = MemberFactory(department="인사팀")
    # when
    errors = refusal(services.member_update, member=member, department="총무\x00팀")
    # then
    assert errors["department"][0].startswith("Department: must not contain control characters")
    assert Member.objects.get(pk=member.pk).department == "인사팀"


def test_control_characters_are_refused_in_a_shipping_address():
    # given
    course = CourseFactory(ships_textbook=True)
    # when
    errors = refusal(services.enrollment_create, member=MemberFactory(), course=course, started_on=START,
                     ended_on=END, payment_method=PaymentMethod.CREDIT_CARD,
                     shipping_address="서울 중구\x00 세종대로 1")
    # then
    assert errors["shipping_address"][0].startswith("Shipping address: must not contain control characters")
    assert Enrollment.objects.count() == 0


def test_a_complaint_summary_may_have_line_breaks_but_no_other_control_characters():
    # given
    member = MemberFactory()
    # when
    kept = services.complaint_receive(member=member, summary="환불 문의\n교재 미수령\t2건")
    errors = refusal(services.complaint_receive, member=member, summary="환불\x00 문의")
    # then
    assert Complaint.objects.get(pk=kept.pk).summary == "환불 문의\n교재 미수령\t2건"
    assert errors["summary"][0].startswith("Summary: must not contain control characters")


def test_bulk_create_refuses_control_characters_by_row_and_field():
    # given
    rows = [{"login_id": "kim_a", "name": "김민서", "email": "a@example.com"},
            {"login_id": "kim_b", "name": "김\x00민서", "email": "b@example.com"}]
    # when
    errors = refusal(services.member_bulk_create, rows=rows, password_hash="!")
    # then
    assert errors["row 2: name"][0].startswith("Name: must not contain control characters")
    assert Member.objects.count() == 0


def test_enrolment_without_a_shipping_address_or_phone_treats_none_as_empty():
    # given / when
    enrollment = services.enrollment_create(member=MemberFactory(), course=CourseFactory(), started_on=START,
                                            ended_on=END, payment_method=PaymentMethod.CREDIT_CARD,
                                            shipping_address=None, shipping_phone=None)
    # then
    assert (enrollment.shipping_address, enrollment.shipping_phone) == ("", "")


# Messages that name their field (point 11)


def test_an_overlong_resident_registration_number_is_reported_under_rrn_with_its_name():
    # given / when
    errors = refusal(services.member_create, **member_fields(rrn="9" * 30,
                                                             rrn_legal_basis="employment_insurance_refund"))
    # then: no "Value: ..." message
    assert errors["rrn"]
    assert all(message.startswith("Resident registration number:") for message in errors["rrn"]), errors
    assert Member.objects.count() == 0


def test_an_overlong_card_number_is_reported_under_card_number_with_its_name():
    # given / when
    errors = refusal(services.enrollment_create, member=MemberFactory(), course=CourseFactory(), started_on=START,
                     ended_on=END, payment_method=PaymentMethod.NAEIL_CARD, card_number="4" * 25)
    # then
    assert errors["card_number"]
    assert all(message.startswith("Card number:") for message in errors["card_number"]), errors


def test_password_errors_are_prefixed_with_the_fields_name_in_either_language():
    # given / when
    english = refusal(services.member_create, **member_fields(password="1234"))
    korean = in_korean(services.member_create, **member_fields(password="1234"))
    # then
    assert len(english["password"]) >= 2  # too short, too common, entirely numeric
    assert all(message.startswith("Password: ") for message in english["password"])
    assert all(message.startswith("비밀번호: ") for message in korean["password"])


def test_an_end_date_before_the_start_date_is_reported_under_the_end_date():
    # given / when
    errors = refusal(services.enrollment_create, member=MemberFactory(), course=CourseFactory(), started_on=END,
                     ended_on=START, payment_method=PaymentMethod.CREDIT_CARD)
    # then
    assert errors == {"ended_on": ["End date: a course cannot end before it starts."]}


def test_a_refund_before_the_payment_and_a_close_before_the_complaint_are_reported_under_their_dates():
    # given
    enrollment = services.enrollment_create(member=MemberFactory(), course=CourseFactory(), started_on=START,
                                            ended_on=END, payment_method=PaymentMethod.CREDIT_CARD)
    payment = services.payment_record(enrollment=enrollment, amount=99000, method=PaymentMethod.CREDIT_CARD)
    complaint = services.complaint_receive(member=enrollment.member, summary="환불 문의")
    # when
    refund = refusal(services.payment_refund, payment=payment, refunded_at=payment.paid_at - datetime.timedelta(1))
    close = refusal(services.complaint_close, complaint=complaint,
                    closed_at=complaint.received_at - datetime.timedelta(1))
    zero = refusal(services.payment_record, enrollment=enrollment, amount=0, method=PaymentMethod.CREDIT_CARD)
    # then
    assert refund == {"refunded_at": ["Refunded at: a refund cannot precede the payment."]}
    assert close == {"closed_at": ["Closed at: a complaint cannot be closed before it was received."]}
    assert zero == {"amount": ["Amount: a payment must be more than 0 won."]}


def test_the_loser_of_a_race_on_email_or_login_id_is_told_which_field(monkeypatch):
    # given: a member, and validation that cannot see them (another request saved them after it checked)
    MemberFactory(login_id="taken_id", email="taken@example.com")
    monkeypatch.setattr(Member, "validate_constraints", lambda self, exclude=None: None)
    # when
    email = refusal(services.member_create, **member_fields(email="taken@example.com"))
    login_id = refusal(services.member_create, **member_fields(login_id="taken_id", email="other@example.com"))
    # then: the database constraint decided, and the message names the field
    assert email == {"email": ["Email: this email address is already registered."]}
    assert login_id == {"login_id": ["Login ID: this login ID is already in use."]}
    assert Member.objects.count() == 1


def test_the_loser_of_a_race_on_a_members_resident_registration_number_is_told_under_rrn(monkeypatch):
    # given: another request records a number for the same member between our check and our save
    member, course = MemberFactory(), CourseFactory(is_sme_core_job=True)
    original_save = services._save

    def racing_save(*instances, **kwargs):
        SensitiveIdentifier.objects.create(member=member, kind="rrn", value=valid_rrn(), legal_basis="sme_core_job")
        return original_save(*instances, **kwargs)

    monkeypatch.setattr(services, "_save", racing_save)
    # when
    errors = refusal(services.enrollment_create, member=member, course=course, started_on=START, ended_on=END,
                     payment_method=PaymentMethod.CORPORATE_INVOICE, rrn=valid_rrn())
    # then
    assert list(errors) == ["rrn"]
    assert errors["rrn"][0].startswith("Resident registration number: another request recorded this")


def test_a_reissued_card_number_is_reported_under_reissued():
    # given / when
    errors = refusal(services.sensitive_identifier_record, member=MemberFactory(), kind="naeil_card",
                     value=valid_card_number(), legal_basis="naeil_card_application", reissued=True)
    # then: not under "value_legal_basis"
    assert list(errors) == ["reissued"]
    assert errors["reissued"][0].startswith("Reissued: only a resident registration number is reissued")


def test_a_legal_basis_that_does_not_fit_the_kind_is_reported_under_legal_basis():
    # given / when
    errors = refusal(services.sensitive_identifier_record, member=MemberFactory(), kind="rrn", value=valid_rrn(),
                     legal_basis="naeil_card_application")
    # then
    assert list(errors) == ["legal_basis"]
    assert errors["legal_basis"][0].startswith("Legal basis: a resident registration number is kept only")


@pytest.mark.parametrize("typed", ["1990-13-45", "not a date", "1990-02-30"])
def test_a_bad_birth_date_names_the_field_and_does_not_echo_the_input(typed):
    # given / when
    english = refusal(services.member_create, **member_fields(birth_date=typed))
    korean = in_korean(services.member_create, **member_fields(birth_date=typed))
    # then
    for message in english["birth_date"] + korean["birth_date"]:
        assert typed not in message
    assert english["birth_date"][0].startswith("Birth date: ")
    assert korean["birth_date"][0].startswith("생년월일: ")


@pytest.mark.parametrize(
    ("fields", "field", "english", "korean"),
    [
        ({"mobile": "123"}, "mobile", "Mobile phone:", "휴대전화번호:"),
        ({"company_phone": "02-0752-2637"}, "company_phone", "Phone number:", "전화번호:"),
        ({"rrn": "850301-9234567", "rrn_legal_basis": "sme_core_job"}, "rrn", "Resident registration number:",
         "주민등록번호:"),
        ({"rrn": valid_rrn(), "rrn_legal_basis": "naeil_card_application"}, "rrn_legal_basis", "Legal basis:",
         "수집 근거:"),
        ({"department": "부" * 101}, "department", "Department:", "부서"),
        ({"name": "홍\x00길동"}, "name", "Name:", "이름:"),
    ],
)
def test_every_refusal_names_its_field_in_korean_and_in_english(fields, field, english, korean):
    # given / when
    in_english = refusal(services.member_create, **member_fields(**fields))
    korean_messages = in_korean(services.member_create, **member_fields(**fields))
    # then
    assert list(in_english) == [field]
    assert all(message.startswith(english) for message in in_english[field]), in_english
    assert all(message.startswith(korean) for message in korean_messages[field]), korean_messages


# None where text is expected (found by probing the services)


def test_none_for_a_members_text_field_means_empty_not_a_database_error():
    # given
    member = MemberFactory(mobile="010-2345-6789")
    # when
    services.member_update(member=member, mobile=None, home_address=None)
    # then
    assert (Member.objects.get(pk=member.pk).mobile, member.home_address) == ("", "")
    errors = refusal(services.member_create, **member_fields(name=None))
    assert errors == {"name": ["Name: This field cannot be blank."]}


def test_a_complaint_without_a_summary_is_received_with_an_empty_one():
    # given / when
    complaint = services.complaint_receive(member=MemberFactory(), summary=None)
    # then
    assert Complaint.objects.get(pk=complaint.pk).summary == ""


def test_an_empty_password_is_refused_under_its_name():
    # given
    member = MemberFactory()
    # when / then
    for password in (None, ""):
        assert refusal(services.member_password_set, member=member, password=password) == {
            "password": ["Password: enter a password."]
        }


def test_an_unknown_legal_basis_or_kind_gets_one_message_under_its_field():
    # given / when
    basis = refusal(services.member_create, **member_fields(rrn=valid_rrn(), rrn_legal_basis="foo"))
    kind = refusal(services.sensitive_identifier_record, member=MemberFactory(), kind="passport", value="M1234567",
                   legal_basis="sme_core_job")
    # then
    assert basis == {"rrn_legal_basis": ["Legal basis or purpose: choose one of the listed options."]}
    assert kind == {"kind": ["Kind: choose one of the listed options."]}


def test_the_loser_of_a_race_on_a_card_number_is_told_under_card_number_even_with_an_rrn(monkeypatch):
    # given: another request records a card for the member between our check and our save
    member, course = MemberFactory(), CourseFactory(is_sme_core_job=True)
    original_save = services._save

    def racing_save(*instances, **kwargs):
        if any(getattr(instance, "kind", None) == "naeil_card" for instance in instances):
            SensitiveIdentifier.objects.create(member=member, kind="naeil_card", value=valid_card_number(),
                                               legal_basis="naeil_card_application")
        return original_save(*instances, **kwargs)

    monkeypatch.setattr(services, "_save", racing_save)
    # when
    errors = refusal(services.enrollment_create, member=member, course=course, started_on=START, ended_on=END,
                     payment_method=PaymentMethod.NAEIL_CARD, rrn=valid_rrn(), card_number=valid_card_number())
    # then: nothing of the enrolment is saved, and the message is about the card
    assert list(errors) == ["card_number"]
    assert errors["card_number"][0].startswith("Card number: another request recorded this")
    assert not Enrollment.objects.exists()
    assert not SensitiveIdentifier.objects.filter(kind="rrn").exists()
