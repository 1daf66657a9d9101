"""The officer's console: Korean, records read-only, versions published through the 7-day rule."""

import datetime

import pytest
from django.utils import timezone

from consents import services
from consents.models import ConsentRecord, PolicyVersion
from members.masking import mask_ip
from tests.admin_search import admin_search
from tests.consents.factories import sign_up_kwargs
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client):
    officer = MemberFactory(login_id="officer", password="officer-Passphrase-2023", is_staff=True,
                            is_superuser=True)
    client.force_login(officer)
    return client


def test_consent_records_are_read_only_and_filterable_in_korean(officer_client, policy):
    member = services.member_sign_up(**sign_up_kwargs())
    record = ConsentRecord.objects.filter(member=member).first()
    page = officer_client.get(f"/admin/consents/consentrecord/?item__id__exact={record.item_id}").content.decode()
    assert "동의 기록" in page
    assert mask_ip("203.0.113.7") in page
    assert "203.0.113.7" not in page
    detail = officer_client.get(f"/admin/consents/consentrecord/{record.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert officer_client.post(f"/admin/consents/consentrecord/{record.pk}/delete/").status_code == 403
    found = admin_search(officer_client, "/admin/consents/consentrecord/", str(member.pk))
    assert found.status_code == 200
    assert set(found.context["cl"].result_list) == set(ConsentRecord.objects.filter(member=member))


def test_publishing_from_the_admin_enforces_the_7_day_rule(officer_client, policy):
    draft = services.policy_version_draft(version="2027-01", effective_at=timezone.now() + datetime.timedelta(days=3),
                                          change_summary="변경")
    response = officer_client.post("/admin/consents/policyversion/", {"action": "publish",
                                                                      "_selected_action": [draft.pk]}, follow=True)
    assert "7일" in response.content.decode()
    assert PolicyVersion.objects.get(pk=draft.pk).published_at is None


def test_admin_pages_carry_the_language_switch(officer_client, policy):
    page = officer_client.get("/admin/consents/consentitem/").content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert "동의 항목" in page


def test_a_draft_is_added_in_the_admin_and_stays_unpublished(officer_client, policy):
    response = officer_client.post("/admin/consents/policyversion/add/", {
        "version": "2027-02", "change_summary": "위탁업체 변경",
        "effective_at_0": "2027-02-01", "effective_at_1": "00:00:00"})
    assert response.status_code == 302
    draft = PolicyVersion.objects.get(version="2027-02")
    assert draft.published_at is None
    assert draft.text_sha256 == ""
