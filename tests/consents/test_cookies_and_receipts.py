"""Cookie choice (policy §9) and consent receipts."""

import pytest

from consents import services
from consents.cookies import ANALYTICS_COOKIE, CHOICE_COOKIE
from consents.models import ConsentRecord
from members.models import Member
from tests.consents.factories import sign_up_kwargs

pytestmark = pytest.mark.django_db


def test_analytics_cookies_are_set_only_after_an_anonymous_visitors_choice(client, policy):
    # given: the banner is shown and no analytics cookie is set
    first = client.get("/privacy/")
    assert 'action="/privacy/cookies/"' in first.content.decode()
    assert ANALYTICS_COOKIE not in first.cookies
    # when: the visitor allows them
    response = client.post("/privacy/cookies/", {"choice": "granted", "next": "/privacy/"})
    # then: the choice is a signed cookie only, and the analytics cookie follows on the next page
    assert CHOICE_COOKIE in response.cookies
    assert ConsentRecord.objects.count() == 0
    after = client.get("/privacy/")
    assert after.cookies[ANALYTICS_COOKIE].value
    assert 'action="/privacy/cookies/"' not in after.content.decode()
    # when: they refuse later, the analytics cookie is removed
    client.post("/privacy/cookies/", {"choice": "refused"})
    assert client.get("/privacy/").cookies[ANALYTICS_COOKIE].value == ""


def test_a_members_cookie_choice_is_a_consent_record(client, policy):
    member = services.member_sign_up(**sign_up_kwargs())
    client.force_login(member)
    client.post("/privacy/cookies/", {"choice": "granted"})
    record = ConsentRecord.objects.filter(member=member, item__code="analytics_cookies").get()
    assert record.granted
    assert record.channel == "web"


def test_a_forged_cookie_choice_is_ignored(client, policy):
    client.cookies[CHOICE_COOKIE] = "granted"
    response = client.get("/privacy/")
    assert ANALYTICS_COOKIE not in response.cookies
    assert 'action="/privacy/cookies/"' in response.content.decode()


def test_a_receipt_shows_item_version_exact_text_by_hash_time_and_channel(client, policy):
    member = services.member_sign_up(**sign_up_kwargs())
    record = ConsentRecord.objects.filter(member=member, item__code="provision_nice").get()
    client.force_login(member)
    page = client.get(f"/accounts/consents/receipts/{record.pk}/").content.decode()
    assert record.text_id in page
    assert "NICE평가정보" in page
    assert "2023-12-01" in page
    assert "웹" in page


def test_a_member_cannot_see_another_members_receipt(client, policy):
    owner = services.member_sign_up(**sign_up_kwargs())
    other = services.member_sign_up(**sign_up_kwargs())
    record = ConsentRecord.objects.filter(member=owner).first()
    client.force_login(other)
    assert client.get(f"/accounts/consents/receipts/{record.pk}/").status_code == 404
    assert Member.objects.count() == 2


def test_a_member_changes_an_optional_consent_on_their_page(client, policy):
    member = services.member_sign_up(**sign_up_kwargs())
    client.force_login(member)
    client.post("/accounts/consents/", {"item": "marketing_email", "action": "grant"})
    client.post("/accounts/consents/", {"item": "marketing_email", "action": "grant"})
    client.post("/accounts/consents/", {"item": "collection_required", "action": "withdraw"})
    records = ConsentRecord.objects.filter(member=member)
    assert records.filter(item__code="marketing_email").count() == 2  # sign-up refusal, then one grant
    assert records.filter(item__code="collection_required").count() == 1
