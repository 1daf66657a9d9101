"""Policy changes (policy §12): draft, publish at least 7 days ahead, a notice until the date, current on its
date, and a new required item asked again at next login."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from consents import selectors, services
from consents.models import ConsentItem, ConsentRecord, PolicyVersion
from tests.consents.factories import PASSWORD, sign_up_kwargs

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)


def _draft(days: float, version: str = "2026-03") -> PolicyVersion:
    return services.policy_version_draft(version=version, effective_at=NOW + datetime.timedelta(days=days),
                                         change_summary="제3자 제공 항목 추가")


def _required_item(version: PolicyVersion) -> ConsentItem:
    return ConsentItem.objects.create(
        code="provision_new_partner", kind="third_party", required=True, recipient="(주)새협력사",
        title_ko="개인정보 제3자 제공 동의 (새협력사)", title_en="Provision to a third party (new partner)",
        purpose_ko="학습 관리", purpose_en="Learning management", items_ko="성명, 이메일", items_en="Name, email",
        retention_ko="교육 서비스 제공기간", retention_en="While the service is provided",
        refusal_ko="동의를 거부할 경우 이용자에게 제공되는 교육 서비스 제공이 불가합니다.",
        refusal_en="If you refuse, the education service cannot be provided to you.", introduced_in=version)


@time_machine.travel(NOW, tick=False)
def test_a_version_effective_sooner_than_7_days_after_publishing_is_refused(policy):
    # given
    draft = _draft(days=6.9)
    # when
    with pytest.raises(ValidationError) as caught:
        services.policy_version_publish(version=draft)
    # then
    assert "7 days" in caught.value.message_dict["effective_at"][0]
    draft.refresh_from_db()
    assert draft.published_at is None
    assert draft.text_sha256 == ""


@time_machine.travel(NOW, tick=False)
def test_publishing_7_days_ahead_freezes_the_text_with_its_hash(policy):
    # given
    draft = _draft(days=7)
    _required_item(draft)
    # when
    published = services.policy_version_publish(version=draft)
    # then
    assert published.published_at == NOW
    assert "(주)새협력사" in published.text
    import hashlib

    assert published.text_sha256 == hashlib.sha256(published.text.encode()).hexdigest()
    with pytest.raises(ValidationError):
        services.policy_version_publish(version=published)


def test_the_notice_shows_until_the_date_and_the_version_becomes_current_on_it(client, policy):
    # given: published on NOW, effective 10 days later
    with time_machine.travel(NOW, tick=False):
        draft = _draft(days=10)
        services.policy_version_publish(version=draft)
        # then: before the date, the old version is current and pages carry the notice
        assert selectors.current_version().version == "2023-12-01"
        page = client.get("/privacy/").content.decode()
        assert "2026-03" in page
        assert "개인정보처리방침이 2026-03-12부터 변경됩니다" in page
    with time_machine.travel(NOW + datetime.timedelta(days=10, seconds=1), tick=False):
        # then: on the date it is current and the notice is gone
        assert selectors.current_version().version == "2026-03"
        assert "변경됩니다" not in client.get("/privacy/").content.decode()


def test_a_new_required_item_is_asked_again_at_next_login_and_nothing_is_assumed(client, policy):
    # given: a member who signed up under the seed version, then a version that adds a required item
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        member = services.member_sign_up(**sign_up_kwargs())
    with time_machine.travel(NOW, tick=False):
        draft = _draft(days=7)
        item = _required_item(draft)
        services.policy_version_publish(version=draft)
    with time_machine.travel(NOW + datetime.timedelta(days=8), tick=False):
        # when: the member logs in
        response = client.post("/accounts/login/", {"username": member.login_id, "password": PASSWORD})
        # then: they are sent to the renewal page, and no record was assumed for them
        assert response.status_code == 302
        assert response.url.startswith("/accounts/consents/renew/")
        assert not ConsentRecord.objects.filter(member=member, item=item).exists()
        assert client.get("/accounts/consents/").url == "/accounts/consents/renew/"
        # when: they submit without ticking it
        refused = client.post("/accounts/consents/renew/", {})
        assert refused.status_code == 200
        assert not ConsentRecord.objects.filter(member=member, item=item).exists()
        # when: they agree
        client.post("/accounts/consents/renew/", {"granted": [item.code]})
        record = ConsentRecord.objects.get(member=member, item=item)
        assert record.granted
        assert record.policy_version.version == "2026-03"
        assert selectors.pending_required_items(member.pk) == []
