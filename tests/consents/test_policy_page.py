"""The public policy page is rendered from the live registries, in the policy's twelve sections."""

import datetime
import re

import pytest
import time_machine
from django.utils import translation

from consents import services
from consents.models import ConsentItem, PolicyContact
from consents.policy import SECTIONS
from members.registry import Retention, registry

pytestmark = pytest.mark.django_db


def test_the_policy_page_lists_every_consent_item_and_every_retention_rule_of_the_declaration(client, policy):
    # when
    page = client.get("/privacy/").content.decode()
    # then: every consent item, every retention rule with the fields the declaration gives it
    for item in ConsentItem.objects.all():
        assert item.title_ko in page
    for code, label in Retention.choices:
        with translation.override("ko"):
            assert str(label) in page
        assert f'data-retention="{code}"' in page
        row = re.search(rf'data-retention="{code}">(.*?)</tr>', page, re.S).group(1)
        for item in registry:
            if code in item.retention:
                with translation.override("ko"):
                    assert str(item.export_label) in row
    # and the §11 contacts and complaint bodies
    for contact in PolicyContact.objects.all():
        assert contact.name in page
    assert "privacy.kisa.or.kr" in page


def test_the_sections_follow_the_policys_order_with_its_own_headings(client, policy):
    page = client.get("/privacy/").content.decode()
    positions = [page.index(f'<section id="{anchor}">') for anchor, _heading in SECTIONS]
    assert positions == sorted(positions)
    assert len(SECTIONS) == 12
    assert "1. 개인정보 수집항목 및 이용목적" in page
    assert "12. 정책 변경에 따른 공지 의무" in page


def test_a_registry_change_shows_on_the_page_without_touching_a_template(client, policy):
    contact = PolicyContact.objects.get(role="officer")
    contact.name = "박새롬"
    contact.save()
    assert "박새롬" in client.get("/privacy/").content.decode()


def test_the_versions_page_shows_each_version_with_hash_and_a_readable_diff(client, policy):
    # given: a second version adding an item
    now = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC)
    with time_machine.travel(now, tick=False):
        draft = services.policy_version_draft(version="2026-03", effective_at=now + datetime.timedelta(days=7),
                                              change_summary="과정제휴업체 추가")
        ConsentItem.objects.create(code="provision_extra", kind="third_party", recipient="(주)추가협력사",
                                   title_ko="제3자 제공 (추가협력사)", title_en="Extra partner", purpose_ko="학습안내",
                                   purpose_en="guidance", items_ko="성명", items_en="name", retention_ko="1년",
                                   retention_en="1 year", refusal_ko="제한 없음", refusal_en="none",
                                   introduced_in=draft)
        version = services.policy_version_publish(version=draft)
    # when
    page = client.get("/privacy/versions/").content.decode()
    # then
    assert version.text_sha256 in page
    assert policy["collection_required"].introduced_in.text_sha256 in page
    assert 'class="diff-added">+ (주)추가협력사' in page
    assert "2023-12-01" in page


def test_the_page_switches_to_english(client, policy):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/privacy/"})
    assert response.status_code == 302
    page = client.get("/privacy/").content.decode()
    assert '<html lang="en"' in page
    assert "Personal data collected and the purposes of use" in page
    assert "Marketing by email" in page
