"""Sign-up: every consent asked separately, recorded in the same transaction; bad input saves nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consents import selectors, services
from consents.models import ConsentItem, ConsentRecord, GuardianConsent, PolicyVersion
from members.models import Member, MemberSession
from tests.consents.factories import member_fields, sign_up_kwargs, signup_post

pytestmark = pytest.mark.django_db


def test_sign_up_refusing_every_optional_item_succeeds_and_records_each_decision(policy):
    # when
    member = services.member_sign_up(**sign_up_kwargs(grant_optional=False))
    # then: one record per item shown, required granted, optional refused, all with the evidence fields
    records = {r.item.code: r for r in ConsentRecord.objects.filter(member=member).select_related("item")}
    assert set(records) == {item.code for item in selectors.signup_items()}
    assert all(r.granted == r.item.required for r in records.values())
    assert {r.channel for r in records.values()} == {"web"}
    assert {r.ip for r in records.values()} == {"203.0.113.7"}
    assert all(r.text.text and len(r.text_id) == 64 for r in records.values())


def test_sign_up_without_a_required_item_creates_nothing(policy):
    # given
    kwargs = sign_up_kwargs()
    kwargs["decisions"]["collection_required"] = False
    # when
    with pytest.raises(ValidationError) as caught:
        services.member_sign_up(**kwargs)
    # then
    assert "required" in caught.value.message_dict["consent_collection_required"][0]
    assert Member.objects.count() == 0
    assert ConsentRecord.objects.count() == 0


@pytest.mark.parametrize("forgery", ["unknown_code", "stale_version", "tampered_hash", "missing_hash"])
def test_a_forged_sign_up_creates_nothing(policy, forgery):
    # given
    kwargs = sign_up_kwargs()
    if forgery == "unknown_code":
        kwargs["decisions"]["free_pizza"] = True
        field = "consents"
    elif forgery == "stale_version":
        kwargs["policy_version"] = PolicyVersion.objects.create(
            version="2019-01-01", effective_at=timezone.now() - datetime.timedelta(days=2000)).pk
        field = "policy_version"
    elif forgery == "tampered_hash":
        kwargs["shown"]["provision_nice"] = "0" * 64
        field = "consent_provision_nice"
    else:
        del kwargs["shown"]["marketing_email"]
        field = "consent_marketing_email"
    # when
    with pytest.raises(ValidationError) as caught:
        services.member_sign_up(**kwargs)
    # then
    assert field in caught.value.message_dict
    assert Member.objects.count() == 0
    assert ConsentRecord.objects.count() == 0


def test_member_field_errors_and_consent_errors_are_reported_together(policy):
    kwargs = sign_up_kwargs(member_fields=member_fields(email="not-an-email"))
    kwargs["decisions"]["collection_required"] = False
    with pytest.raises(ValidationError) as caught:
        services.member_sign_up(**kwargs)
    assert {"email", "consent_collection_required"} <= set(caught.value.message_dict)
    assert Member.objects.count() == 0


def test_under_14_without_a_guardian_is_refused(policy):
    # given: a child of 12
    today = timezone.localdate()
    kwargs = sign_up_kwargs(member_fields=member_fields(birth_date=today.replace(year=today.year - 12)))
    # when
    with pytest.raises(ValidationError) as caught:
        services.member_sign_up(**kwargs)
    # then
    assert {"guardian_name", "guardian_contact", "guardian_consent"} <= set(caught.value.message_dict)
    assert Member.objects.count() == 0


def test_under_14_with_the_guardians_consent_is_recorded_encrypted(policy):
    today = timezone.localdate()
    kwargs = sign_up_kwargs(member_fields=member_fields(birth_date=today.replace(year=today.year - 12)),
                            guardian={"name": "김철수", "contact": "010-9876-5432", "consent": True})
    member = services.member_sign_up(**kwargs)
    guardian = GuardianConsent.objects.get(member=member)
    assert (guardian.guardian_name, guardian.guardian_contact) == ("김철수", "010-9876-5432")
    with connection.cursor() as cursor:
        cursor.execute("SELECT guardian_name FROM consents_guardianconsent WHERE id = %s", [guardian.pk])
        assert "김철수".encode() not in bytes(cursor.fetchone()[0])


def test_the_query_count_of_a_sign_up_does_not_grow_with_the_number_of_items(policy):
    # given: one sign-up with the seed items, then five more items
    with CaptureQueriesContext(connection) as first:
        services.member_sign_up(**sign_up_kwargs())
    seed_version = PolicyVersion.objects.get()
    for n in range(5):
        ConsentItem.objects.create(code=f"extra_{n}", kind="collection", title_ko=f"추가 {n}", title_en=f"Extra {n}",
                                   purpose_ko="목적", purpose_en="purpose", items_ko="항목", items_en="items",
                                   retention_ko="기간", retention_en="period", refusal_ko="거부", refusal_en="refuse",
                                   introduced_in=seed_version)
    # when
    with CaptureQueriesContext(connection) as second:
        member = services.member_sign_up(**sign_up_kwargs())
    # then
    assert ConsentRecord.objects.filter(member=member).count() == len(selectors.signup_items())
    assert len(second) == len(first)


def test_the_signup_page_asks_each_item_separately_in_korean(client, policy):
    # when
    response = client.get("/accounts/signup/")
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ko' in page
    for item in selectors.signup_items():
        assert f'name="consent_{item.code}"' in page
        assert item.title_ko in page
    assert page.count("동의를 거부할 경우 이용자에게 제공되는 교육 서비스 제공이 불가합니다.") == \
        ConsentItem.objects.filter(required=True).count()
    assert "NICE평가정보" in page
    assert "제공받는 자" in page
    # every visible input has a label
    for name in ("login_id", "password", "name", "email", "mobile", "birth_date", "guardian_name"):
        assert f'<label for="id_{name}"' in page


def test_signing_up_through_the_page_logs_the_member_in(client, policy):
    response = client.post("/accounts/signup/", signup_post())
    assert response.status_code == 302, response.content.decode()[:3000]
    member = Member.objects.get()
    assert ConsentRecord.objects.filter(member=member).count() == len(selectors.signup_items())
    assert client.get("/accounts/consents/").status_code == 200


def test_a_forged_post_shows_the_error_next_to_the_field_and_creates_nothing(client, policy):
    data = signup_post()
    del data["consent_collection_required"]
    data["consent_free_pizza"] = "on"
    response = client.post("/accounts/signup/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "free_pizza" in page
    assert "this consent is required" in page or "필수" in page
    assert Member.objects.count() == 0
    assert ConsentRecord.objects.count() == 0


def test_login_uses_djangos_login_view_with_authenticate(client, policy):
    services.member_sign_up(**sign_up_kwargs())
    member = Member.objects.get()
    response = client.post("/accounts/login/", {"username": member.login_id, "password": "a-long-Passphrase-2023"})
    assert response.status_code == 302
    assert response.url == "/accounts/consents/"
    # the session row names the member, so a withdrawal ends it with one indexed DELETE
    assert MemberSession.objects.get(pk=client.session.session_key).member_id == member.pk
    client.logout()
    refused = client.post("/accounts/login/", {"username": member.login_id, "password": "wrong-password-1"})
    assert refused.status_code == 200


def test_an_under_14_account_made_without_the_guardians_consent_cannot_log_in_until_it_is_given(client, policy):
    # given: a member under 14 created outside the sign-up page (an import, say), with no guardian's consent
    from members.services import member_create

    ten_years_ago = timezone.localdate() - datetime.timedelta(days=365 * 10)
    child = member_create(**member_fields(birth_date=ten_years_ago), password="a-long-Passphrase-2023")
    login = {"username": child.login_id, "password": "a-long-Passphrase-2023"}
    # when / then: the right password is refused, saying why, and nobody is logged in
    refused = client.post("/accounts/login/", login, HTTP_ACCEPT_LANGUAGE="ko")
    assert refused.status_code == 200
    assert "법정대리인" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # and once the guardian has consented, the account opens
    GuardianConsent.objects.create(member=child, guardian_name="홍길동", guardian_contact="010-2345-6789")
    assert client.post("/accounts/login/", login).status_code == 302


@pytest.mark.parametrize("age", [30, 12])
def test_a_sign_up_opens_one_savepoint_and_looks_up_no_key_it_has_just_written(policy, age):
    # given: an adult, or a child of 12 with the guardian's consent
    today = timezone.localdate()
    kwargs = sign_up_kwargs(member_fields=member_fields(birth_date=today.replace(year=today.year - age)),
                            guardian={"name": "김보호", "contact": "010-9999-8888", "consent": True})
    # when
    with CaptureQueriesContext(connection) as captured:
        member = services.member_sign_up(**kwargs)
    statements = [q["sql"] for q in captured.captured_queries]
    # then: the service's own savepoint only (none nested for the member), the INSERTs, and no SELECT of a key
    # (the member, the guardian's member) the sign-up wrote itself
    assert [sql.split()[0] for sql in statements].count("SAVEPOINT") == 1
    assert not [sql for sql in statements if sql.startswith("SELECT 1 AS")]
    assert GuardianConsent.objects.filter(member=member).exists() is (age == 12)
    assert ConsentRecord.objects.filter(member=member).count() == len(selectors.signup_items())
