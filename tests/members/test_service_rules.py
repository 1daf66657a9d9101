"""Service rules that had no test: bulk creation validates every row, card numbers and payment methods follow
the enrolment, and a failed member_update leaves the caller's instance as it was."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from members import services
from members.models import Enrollment, Member, Payment, PaymentMethod, SensitiveIdentifier
from tests.members.factories import CourseFactory, MemberFactory, valid_card_number

pytestmark = pytest.mark.django_db
START, END = datetime.date(2026, 3, 2), datetime.date(2026, 4, 30)


def row(n: int, **overrides) -> dict:
    return {"login_id": f"bulk_{n}", "name": "김민서", "email": f"bulk{n}@example.com", "mobile": "010-2345-6789",
            "company_phone": "02 2163 5700"} | overrides


# member_bulk_create


def test_bulk_create_stores_every_row_in_its_normalised_form():
    # given rows typed as people type them
    rows = [row(1, login_id="Bulk_1", email="Bulk1@EXAMPLE.com"), row(2, mobile="+82 10 3456 7890")]
    # when
    created = services.member_bulk_create(rows=rows, password_hash="!")
    # then
    members = Member.objects.order_by("pk")
    assert len(created) == 2
    assert [(m.login_id, m.email, m.mobile, m.company_phone) for m in members] == [
        ("bulk_1", "Bulk1@example.com", "010-2345-6789", "02-2163-5700"),
        ("bulk_2", "bulk2@example.com", "010-3456-7890", "02-2163-5700"),
    ]
    assert Member.objects.by_email("BULK1@example.com").get() == members[0]


@pytest.mark.parametrize(
    ("bad", "key", "text"),
    [
        ({"email": "not-an-email"}, "row 3: email", "Email:"),
        ({"mobile": "010-123"}, "row 3: mobile", "Mobile phone:"),
        ({"login_id": "1abc"}, "row 3: login_id", "Login ID:"),
        ({"name": "홍"}, "row 3: name", "Name:"),
        ({"birth_date": datetime.date(1899, 12, 31)}, "row 3: birth_date", "Birth date:"),
        ({"department": "부" * 101}, "row 3: department", "Department:"),
    ],
)
def test_bulk_create_refuses_a_bad_row_by_number_and_field_and_saves_nothing(bad, key, text):
    # given two good rows and a bad third
    rows = [row(1), row(2), row(3, **bad)]
    # when
    with pytest.raises(ValidationError) as caught:
        services.member_bulk_create(rows=rows, password_hash="!")
    # then
    assert list(caught.value.message_dict) == [key]
    assert caught.value.message_dict[key][0].startswith(text)
    assert Member.objects.count() == 0


def test_bulk_create_leaves_a_duplicate_to_the_database_and_rolls_everything_back():
    # given a member and rows of which the second has their email
    MemberFactory(email="taken@example.com")
    # when
    with pytest.raises(Exception):  # noqa: B017, PT011 - the database constraint decides
        services.member_bulk_create(rows=[row(1), row(2, email="taken@example.com")], password_hash="!")
    # then
    assert Member.objects.count() == 1


# Card numbers and payment methods


@pytest.mark.parametrize("method", [PaymentMethod.CREDIT_CARD, PaymentMethod.BANK_TRANSFER,
                                    PaymentMethod.CORPORATE_INVOICE])
def test_a_card_number_is_collected_only_for_payment_by_naeil_learning_card(method):
    # given / when
    with pytest.raises(ValidationError) as caught:
        services.enrollment_create(member=MemberFactory(), course=CourseFactory(), started_on=START, ended_on=END,
                                   payment_method=method, card_number=valid_card_number())
    # then
    assert caught.value.message_dict == {
        "card_number": ["Card number: collected only for payment by Naeil learning card."]
    }
    assert (Enrollment.objects.count(), SensitiveIdentifier.objects.count()) == (0, 0)


def test_payment_by_naeil_learning_card_requires_a_card_number_unless_one_is_held():
    # given
    member, course = MemberFactory(), CourseFactory()
    # when: without a card number
    with pytest.raises(ValidationError) as caught:
        services.enrollment_create(member=member, course=course, started_on=START, ended_on=END,
                                   payment_method=PaymentMethod.NAEIL_CARD)
    # then
    assert caught.value.message_dict == {"card_number": ["Card number: required to pay by Naeil learning card."]}
    # and once a card is held, a later enrolment uses it
    services.enrollment_create(member=member, course=course, started_on=START, ended_on=END,
                               payment_method=PaymentMethod.NAEIL_CARD, card_number=valid_card_number())
    services.enrollment_create(member=member, course=course, started_on=START, ended_on=END,
                               payment_method=PaymentMethod.NAEIL_CARD)
    assert Enrollment.objects.count() == 2
    assert SensitiveIdentifier.objects.filter(kind="naeil_card").count() == 1


def test_a_card_number_is_stored_as_digits_only_with_its_purpose():
    # given
    card = valid_card_number()
    typed = "-".join(card[i : i + 4] for i in range(0, len(card), 4))
    # when
    services.enrollment_create(member=MemberFactory(), course=CourseFactory(), started_on=START, ended_on=END,
                               payment_method=PaymentMethod.NAEIL_CARD, card_number=typed)
    # then
    stored = SensitiveIdentifier.objects.get(kind="naeil_card")
    assert (stored.value, stored.legal_basis, stored.reissued) == (card, "naeil_card_application", False)


@pytest.mark.parametrize("method", [PaymentMethod.CREDIT_CARD, PaymentMethod.BANK_TRANSFER, PaymentMethod.NAEIL_CARD])
def test_a_payment_must_use_the_method_chosen_on_enrolment(method):
    # given an enrolment paid by corporate invoice
    enrollment = services.enrollment_create(member=MemberFactory(), course=CourseFactory(), started_on=START,
                                            ended_on=END, payment_method=PaymentMethod.CORPORATE_INVOICE)
    # when
    with pytest.raises(ValidationError) as caught:
        services.payment_record(enrollment=enrollment, amount=99000, method=method)
    # then
    assert caught.value.message_dict == {"method": ["Payment method: must match the method chosen on enrolment."]}
    assert Payment.objects.count() == 0


def test_an_unknown_payment_method_is_refused_under_its_field():
    # given / when
    with pytest.raises(ValidationError) as caught:
        services.enrollment_create(member=MemberFactory(), course=CourseFactory(), started_on=START, ended_on=END,
                                   payment_method="cash")
    # then
    assert caught.value.message_dict["payment_method"] == ["Payment method: choose one of the listed options."]


# member_update


def test_a_refused_update_leaves_the_callers_instance_as_it_was():
    # given a member, with a change the caller has not saved yet
    member = MemberFactory(email="before@example.com", department="인사팀")
    member.job_title = "과장"
    # when
    with pytest.raises(ValidationError):
        services.member_update(member=member, email="not-an-email", department="총무팀")
    # then: neither the refused values nor a reload from the database replaced what the caller held
    assert (member.email, member.department, member.job_title) == ("before@example.com", "인사팀", "과장")
    stored = Member.objects.get(pk=member.pk)
    assert (stored.email, stored.department, stored.job_title) == ("before@example.com", "인사팀", "대리")


def test_an_update_that_loses_a_race_leaves_the_instance_as_it_was(monkeypatch):
    # given another member took the email between our check and our save
    MemberFactory(email="taken@example.com")
    member = MemberFactory(email="mine@example.com")
    monkeypatch.setattr(Member, "validate_constraints", lambda self, exclude=None: None)
    # when
    with pytest.raises(ValidationError) as caught:
        services.member_update(member=member, email="taken@example.com")
    # then
    assert caught.value.message_dict == {"email": ["Email: this email address is already registered."]}
    assert member.email == "mine@example.com"
    assert Member.objects.by_email("mine@example.com").get() == member


def test_an_update_moves_the_blind_index_with_the_value():
    # given
    member = MemberFactory(email="old@example.com")
    # when
    services.member_update(member=member, email="New@Example.com")
    # then
    assert Member.objects.by_email("new@example.com").get() == member
    assert not Member.objects.by_email("old@example.com").exists()
