"""Creating a member: Argon2 passwords, validation that names the field and rule, nothing half-saved."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from members import services
from members.models import Member, SensitiveIdentifier
from tests.members.factories import MemberFactory, valid_rrn

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2():
    member = MemberFactory(password="a-long-Passphrase-2023")
    assert member.password.startswith("argon2$argon2id$")
    assert member.check_password("a-long-Passphrase-2023")
    assert "a-long-Passphrase-2023" not in member.password


def test_a_member_created_without_a_password_cannot_sign_in_with_any_password():
    # when
    first = services.member_create(login_id="nopass01", password=None, name="김민수", email="n1@example.com")
    second = services.member_create(login_id="nopass02", password=None, name="이서연", email="n2@example.com")
    # then: Django's unusable marker, different for each member, matching no password
    for member in (first, second):
        member.refresh_from_db()
        assert not member.has_usable_password()
        assert not member.check_password("")
        assert not member.check_password(member.password)
    assert first.password != second.password


@pytest.mark.parametrize(
    ("field", "value", "code_text"),
    [
        ("rrn", "900101-1234567", "check digit"),
        ("rrn", "901301-1234567", "real date"),
        ("rrn", "12345", "13 digits"),
        ("mobile", "010-123", "Mobile phone"),
        ("company_phone", "12-345", "Phone number"),
        ("email", "not-an-email", "Email"),
        ("login_id", "1abc", "Login ID"),
    ],
)
def test_malformed_values_are_refused_and_nothing_is_saved(field, value, code_text):
    # given
    extra = {"rrn_legal_basis": "employment_insurance_refund"} if field == "rrn" else {}
    # when
    with pytest.raises(ValidationError) as caught:
        MemberFactory(**{field: value}, **extra)
    # then: the error is keyed by the field and its message names the rule
    assert code_text in " ".join(caught.value.message_dict[field])
    assert Member.objects.count() == 0
    assert SensitiveIdentifier.objects.count() == 0


def test_a_resident_registration_number_without_a_legal_basis_is_refused():
    with pytest.raises(ValidationError) as caught:
        MemberFactory(rrn=valid_rrn())
    assert "legal basis" in caught.value.message_dict["rrn_legal_basis"][0]
    assert Member.objects.count() == 0


def test_a_resident_registration_number_is_kept_apart_with_its_legal_basis():
    member = MemberFactory(rrn=valid_rrn(datetime.date(1990, 1, 1)).replace("-", ""),
                           rrn_legal_basis="sme_core_job")
    identifier = SensitiveIdentifier.objects.get(member=member)
    assert (identifier.kind, identifier.legal_basis) == ("rrn", "sme_core_job")
    assert identifier.value[:7] == "900101-"
    assert "52조의2" in str(identifier.legal_basis_text) or "52-2" in str(identifier.legal_basis_text)


def test_validation_messages_are_korean_by_default_and_english_on_request():
    with pytest.raises(ValidationError) as caught:
        MemberFactory(mobile="123")
    with translation.override("ko"):
        korean = caught.value.message_dict["mobile"][0]
    assert "휴대전화" in korean
    assert "Mobile phone" in caught.value.message_dict["mobile"][0]


def test_all_errors_are_reported_at_once():
    with pytest.raises(ValidationError) as caught:
        MemberFactory(mobile="123", email="nope", name="")
    assert {"mobile", "email", "name"} <= set(caught.value.message_dict)


def test_a_weak_password_is_refused_and_nothing_saved():
    with pytest.raises(ValidationError) as caught:
        MemberFactory(password="1234")
    assert "password" in caught.value.message_dict
    assert Member.objects.count() == 0


def test_withdrawn_members_cannot_log_in():
    member = MemberFactory(password="a-long-Passphrase-2023")
    member.status, member.withdrawn_at = Member.Status.WITHDRAWN, datetime.datetime.now(datetime.UTC)
    member.save()
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    # a login always authenticates with its request (the lockout needs it)
    request = RequestFactory().post("/admin/login/")
    assert authenticate(request, username=member.login_id, password="a-long-Passphrase-2023") is None


def test_django_field_messages_also_name_the_field_in_either_language():
    with pytest.raises(ValidationError) as caught:
        MemberFactory(name="", department="부" * 101)
    assert caught.value.message_dict["name"] == ["Name: This field cannot be blank."]
    assert caught.value.message_dict["department"][0].startswith("Department: Ensure this value has at most 100")
    with translation.override("ko"):
        assert caught.value.message_dict["name"][0].startswith("이름: ")
        assert "100" in caught.value.message_dict["department"][0]


def test_createsuperuser_makes_a_staff_account_through_the_service(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "officer-Passphrase-2023")
    call_command("createsuperuser", interactive=False, login_id="Privacy_Officer", name="신승철",
                 email="alpha@alpaco.co.kr", verbosity=0)
    officer = Member.objects.get_by_natural_key("privacy_officer")
    assert officer.is_superuser
    assert officer.is_staff
    assert officer.check_password("officer-Passphrase-2023")


@pytest.mark.django_db(transaction=True)
def test_a_taken_email_is_refused_by_name_outside_a_transaction_and_inside_one_the_transaction_goes_on():
    from django.db import transaction

    from members.services import member_create

    MemberFactory(login_id="taken01", email="taken@hangyeol-it.co.kr")
    fields = {"login_id": "fresh01", "password": None, "name": "김민준", "email": "Taken@hangyeol-it.co.kr"}
    # outside any transaction (autocommit): the field is named, nothing else happens
    with pytest.raises(ValidationError) as refused:
        member_create(**fields)
    assert "email" in refused.value.message_dict
    # inside a caller's transaction: refused the same way, and the caller's transaction can still write
    with transaction.atomic():
        with pytest.raises(ValidationError):
            member_create(**fields)
        member_create(**fields | {"email": "fresh@hangyeol-it.co.kr"})
    assert Member.objects.filter(login_id_index__isnull=False).count() == 2
