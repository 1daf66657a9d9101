"""Staff see personal values masked in the admin, and find members by exact email through the blind index."""

import pytest
from django.test import Client

from members import services
from members.models import SensitiveIdentifier
from tests.members.factories import MemberFactory, valid_rrn

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client():
    officer = MemberFactory(login_id="officer", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(officer)
    return client


def test_member_list_shows_masked_values_never_the_plaintext(officer_client):
    MemberFactory(name="홍길동", email="hong@example.com", mobile="010-1234-5678")
    page = officer_client.get("/admin/members/member/").content.decode()
    assert "홍*동" in page
    assert "ho***@example.com" in page
    assert "010-****-5678" in page
    assert "홍길동" not in page
    assert "hong@example.com" not in page
    assert "010-1234-5678" not in page


def test_member_detail_shows_every_personal_field_masked(officer_client):
    member = MemberFactory(name="홍길동", email="hong@example.com", home_address="서울특별시 강남구 테헤란로 123")
    page = officer_client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert "서울특별시 강남구 ***" in page
    assert "테헤란로 123" not in page
    assert "hong@example.com" not in page


def test_search_finds_a_member_by_exact_email_through_the_blind_index(officer_client):
    target = MemberFactory(email="find.me@onnuritel.co.kr")
    MemberFactory()
    searched = officer_client.post("/admin/members/member/search/", {"q": "FIND.ME@onnuritel.co.kr"})
    assert "onnuritel" not in searched["Location"]
    page = officer_client.get(searched["Location"])
    assert list(page.context["cl"].result_list) == [target]


def test_sensitive_identifiers_are_masked_and_read_only(officer_client):
    member = MemberFactory()
    services.sensitive_identifier_record(member=member, kind="rrn", value=valid_rrn(),
                                         legal_basis="employment_insurance_refund")
    identifier = SensitiveIdentifier.objects.get()
    page = officer_client.get("/admin/members/sensitiveidentifier/").content.decode()
    assert f"{identifier.value[:8]}******" in page
    assert identifier.value not in page
    assert officer_client.get(f"/admin/members/sensitiveidentifier/{identifier.pk}/delete/").status_code == 403


def test_staff_without_the_identifier_permission_cannot_open_identifiers():
    staff = MemberFactory(is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/members/sensitiveidentifier/").status_code == 403
