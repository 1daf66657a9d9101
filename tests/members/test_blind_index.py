"""Email, mobile and login ID are found by exact match through keyed blind indexes."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings

from members import services
from members.encryption import blind_index
from members.models import Member
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_lookup_by_email_finds_exactly_the_right_member():
    # given
    members = [MemberFactory() for _ in range(5)]
    target = members[2]
    # when
    found = list(Member.objects.by_email(target.email.upper()))
    # then
    assert found == [target]


def test_changing_a_members_email_moves_the_index():
    # given
    member = MemberFactory(email="old.address@hangyeol-it.co.kr")
    # when
    services.member_update(member=member, email="New.Address@Nurienergy.co.kr")
    # then
    assert not Member.objects.by_email("old.address@hangyeol-it.co.kr").exists()
    assert list(Member.objects.by_email("new.address@nurienergy.co.kr")) == [member]
    with connection.cursor() as cursor:
        cursor.execute("SELECT email_index FROM members_member WHERE id = %s", [member.pk])
        assert cursor.fetchone()[0] == blind_index("email", "new.address@nurienergy.co.kr")


def test_saving_only_the_email_field_still_moves_its_index():
    member = MemberFactory()
    member.email = "only.email@daonpharm.co.kr"
    member.save(update_fields=["email"])
    assert list(Member.objects.by_email("only.email@daonpharm.co.kr")) == [member]


def test_mobile_lookup_ignores_formatting_and_the_international_prefix():
    member = MemberFactory(mobile="010-2222-3333")
    assert list(Member.objects.by_mobile("+82 10 2222 3333")) == [member]
    assert list(Member.objects.by_mobile("01022223333")) == [member]


def test_login_id_lookup_authenticates_through_the_index():
    member = MemberFactory(login_id="HongGD", password="a-long-Passphrase-2023")
    assert Member.objects.get_by_natural_key("honggd") == member
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    # a login always authenticates with its request (the lockout needs it)
    request = RequestFactory().post("/admin/login/")
    assert authenticate(request, username="honggd", password="a-long-Passphrase-2023") == member
    assert authenticate(request, username="honggd", password="wrong-password-1234") is None


def test_an_email_is_unique_whatever_its_case():
    MemberFactory(email="same@hanulchem.co.kr")
    with pytest.raises(ValidationError) as caught:
        MemberFactory(email="SAME@hanulchem.co.kr")
    assert caught.value.message_dict["email"] == ["Email: this email address is already registered."]
    assert Member.objects.count() == 1


def test_index_values_depend_on_the_key_and_the_kind_of_value():
    assert blind_index("email", "a@b.kr") != blind_index("login_id", "a@b.kr")
    before = blind_index("email", "a@b.kr")
    with override_settings(BLIND_INDEX_KEY="another-blind-index-key-0123456789abcdef"):
        assert blind_index("email", "a@b.kr") != before
    assert len(before) == 64


def test_blind_index_refresh_repairs_stale_indexes_and_is_idempotent():
    # given: indexes made stale (as after a BLIND_INDEX_KEY change)
    members = [MemberFactory() for _ in range(3)]
    Member.objects.update(email_index=None, mobile_index=None)
    # when
    updated, last_pk, has_more = services.member_blind_indexes_refresh(batch_size=2)
    updated2, _last_pk2, has_more2 = services.member_blind_indexes_refresh(after_pk=last_pk, batch_size=2)
    # then
    assert (updated, has_more, updated2, has_more2) == (2, True, 1, False)
    assert all(Member.objects.by_email(m.email).get() == m for m in members)
    assert services.member_blind_indexes_refresh(batch_size=10)[0] == 0


def test_ipin_ci_finds_the_member_who_already_joined():
    ci = "Q" * 86 + "=="
    member = MemberFactory(ipin_ci=ci)
    MemberFactory()
    assert list(Member.objects.by_ipin_ci(ci)) == [member]
    assert not Member.objects.by_ipin_ci("R" * 86 + "==").exists()
