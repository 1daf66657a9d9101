"""Every field declared encrypted is ciphertext in the database, and every personal field is declared."""

import datetime
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_cryptography.fields import EncryptedMixin

from members import services
from members.encryption import BlindIndexField
from members.models import Complaint, Enrollment, Member, PaymentMethod, SensitiveIdentifier
from members.registry import check_declarations, personal, registry
from tests.members.factories import CourseFactory, valid_card_number, valid_rrn

PROJECT_APPS = ("members", "consents", "retention", "disclosures")
PERSONAL_LOOKING = re.compile(
    r"name|phone|mobile|email|address|birth|rrn|resident|card|ipin|(^|_)(ci|di|ip)$|employee|company|department"
    r"|job_title|login|password|summary"
)
NOT_PERSONAL = {("members", "Course", "title"),
                # the policy's own text and its published contacts (policy §11), not members' data
                ("consents", "PolicyVersion", "change_summary"), ("consents", "PolicyContact", "name"),
                ("consents", "PolicyContact", "phone"), ("consents", "PolicyContact", "email"),
                ("consents", "ComplaintBody", "name_ko"), ("consents", "ComplaintBody", "name_en"),
                ("consents", "ComplaintBody", "phone"),
                # companies and bodies that receive, process or provide data, named in the policy (§1, §5, §6)
                ("disclosures", "Recipient", "name"), ("disclosures", "Processor", "name"),
                ("disclosures", "Source", "name"), ("disclosures", "ImportBatch", "filename")}


def _raw_rows(table: str) -> bytes:
    """Every cell of the table as the database returns it: bytes for binary columns, text otherwise."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}"')
        cells = [cell for row in cursor.fetchall() for cell in row]
    return b"\x00".join(bytes(cell) if isinstance(cell, bytes | memoryview) else str(cell).encode() for cell in cells)


@pytest.fixture
def everything_saved():
    # given: one member with every personal field, both identifiers, an enrolment and a complaint
    member = services.member_create(
        login_id="honggildong77", password=None, name="홍길동", email="Gildong.Hong@Hangyeol-IT.co.kr",
        mobile="010-2345-6789", company_name="한결정보기술", department="전략기획팀", job_title="과장",
        employee_number="20190421", company_phone="02-2163-5700", birth_date=datetime.date(1988, 3, 14),
        home_address="서울특별시 마포구 월드컵북로 400", home_phone="02-3153-1234", ipin_ci="A" * 86 + "==",
        ipin_di="B" * 64, rrn=valid_rrn(datetime.date(1988, 3, 14)), rrn_legal_basis="employment_insurance_refund",
    )
    arps = CourseFactory(ships_textbook=True)
    card = valid_card_number()
    enrollment = services.enrollment_create(
        member=member, course=arps, started_on=datetime.date(2026, 1, 5), ended_on=datetime.date(2026, 3, 5),
        payment_method=PaymentMethod.NAEIL_CARD, card_number=card, applied_ip="211.36.140.17",
        shipping_address="서울특별시 중구 세종대로 110", shipping_phone="010-9876-5432")
    complaint = services.complaint_receive(member=member, summary="교재 배송 지연 문의")
    return [member, *member.sensitive_identifiers.all(), enrollment, complaint]


@pytest.mark.django_db
def test_raw_rows_of_every_personal_table_hold_no_plaintext_of_encrypted_values(everything_saved):
    # when: each table holding personal data is read with raw SQL
    for instance in everything_saved:
        raw = _raw_rows(instance._meta.db_table)
        # then: no value saved encrypted appears in it, in any spelling we stored or typed
        for item in registry.for_model(type(instance)):
            if not item.encrypted:
                continue
            value = getattr(instance, item.name)
            assert value, f"{item.label} was not filled in by the fixture"
            text = value.isoformat() if isinstance(value, datetime.date) else str(value)
            for spelling in {text, text.replace("-", ""), text.lower()}:
                assert spelling.encode() not in raw, f"{item.label} is stored in plaintext in {instance._meta.db_table}"


@pytest.mark.django_db
def test_encrypted_values_read_back_unchanged(everything_saved):
    member = Member.objects.get(pk=everything_saved[0].pk)
    assert (member.name, member.email, member.birth_date) == ("홍길동", "Gildong.Hong@hangyeol-it.co.kr",
                                                             datetime.date(1988, 3, 14))
    assert SensitiveIdentifier.objects.get(member=member, kind="rrn").value.startswith("880314-")
    assert Enrollment.objects.get(member=member).applied_ip == "211.36.140.17"
    assert Complaint.objects.get(member=member).summary == "교재 배송 지연 문의"


def test_every_personal_looking_field_of_the_project_is_declared():
    undeclared = []
    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, BlindIndexField):
                    # an index is declared through the field it indexes
                    assert registry.get(model, field.source), f"{model.__name__}.{field.source} undeclared"
                    continue
                looks_personal = PERSONAL_LOOKING.search(field.name) or isinstance(field, EncryptedMixin)
                exempt = (app, model.__name__, field.name) in NOT_PERSONAL
                if looks_personal and not exempt and not registry.get(model, field.name):
                    undeclared.append(f"{model.__name__}.{field.name}")
    assert undeclared == []


def test_declarations_match_the_encryption_of_the_model_fields():
    assert check_declarations() == []


def test_a_field_declared_encrypted_but_stored_in_plaintext_fails_the_check():
    # given: a declaration claiming a plaintext column is encrypted
    key = (Member, "status")
    registry.fields[key] = personal(Member, "status", "account", mask="partial", label="status")
    try:
        # when / then
        assert [error.id for error in check_declarations()] == ["members.E003"]
    finally:
        del registry.fields[key]


@pytest.mark.django_db
def test_personal_data_stays_readable_when_secret_key_changes(everything_saved):
    # the field key is FIELD_ENCRYPTION_KEY alone: rotating SECRET_KEY must not lose personal data
    with override_settings(SECRET_KEY="another-secret-key-for-sessions-only-0123456789abcdef"):
        assert Member.objects.get(pk=everything_saved[0].pk).name == "홍길동"


@pytest.mark.django_db
def test_a_value_sealed_under_another_field_key_is_refused_not_misread(everything_saved):
    from members.encryption import Undecryptable

    with override_settings(FIELD_ENCRYPTION_KEY="a-different-field-encryption-key-0123456789"):
        member = Member.objects.get(pk=everything_saved[0].pk)
        # the value is refused (shown as the marker), never misread and never a 500 (issue 5, point 7)
        assert isinstance(member.name, Undecryptable)


@pytest.mark.django_db
def test_the_key_ring_is_kept_until_a_field_key_setting_changes(everything_saved):
    from members.encryption import key_ring

    # given: the ring is built once and handed out again (a list page opens hundreds of values)
    kept = key_ring()
    assert key_ring() is kept
    # when: an old key is added, then the sealing key changed
    with override_settings(FIELD_ENCRYPTION_OLD_KEYS=["an-old-field-encryption-key-0123456789abcdef"]):
        # then: the new setting is in force at once, and a value sealed under the current key still opens
        assert key_ring() is not kept
        assert len(key_ring().ciphers) == 2
        assert Member.objects.get(pk=everything_saved[0].pk).name == "홍길동"
    with override_settings(FIELD_ENCRYPTION_KEY="a-different-field-encryption-key-0123456789"):
        assert key_ring().current.key_id != kept.current.key_id
    # and: with the settings back, the ring for them is in force again
    assert key_ring().current.key_id == kept.current.key_id
    assert len(key_ring().ciphers) == 1


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")
