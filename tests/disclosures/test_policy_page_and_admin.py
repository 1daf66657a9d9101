"""The policy page's recipients and processors tables come from the registries; the admin works in Korean,
records every registry edit, shows the policy outdated, and produces the files."""

import csv
import datetime
import io

import pytest
from django.utils import translation

from disclosures.loading import PROCESSORS, RECIPIENTS
from disclosures.models import CorrectionNotice, Processor, Provision, ProvisionBatch, Recipient, RegistryChange
from disclosures.services import provision_record, registry_entry_save
from members import services as member_services
from tests.disclosures.conftest import consenting_member, enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def korean():
    with translation.override("ko"):
        yield


def test_the_policy_page_lists_every_recipient_and_processor_of_the_seed(client, policy):
    page = client.get("/privacy/").content.decode()
    recipients = page[page.index('class="third-parties"'):page.index('id="s6"')]
    processors = page[page.index('class="processors"'):page.index('id="s7"')]
    for spec in RECIPIENTS:
        assert f"<td>{spec['name']}" in recipients
        assert spec["purpose"] in recipients
        assert spec["retention"] in recipients
    for spec in PROCESSORS:
        assert f"<td>{spec['name']}</td><td>{spec['work']}</td>" in processors
        assert spec["retention"] in processors


def test_a_partner_company_and_a_registry_edit_show_on_the_page_and_an_ended_contract_leaves_it(client, policy,
                                                                                                officer):
    group = Recipient.objects.get(name="과정제휴업체")
    registry_entry_save(entry=Recipient(name="(주)한결에듀", group=group, active_from=datetime.date(2024, 1, 1)),
                        actor=officer)
    ended = Processor.objects.get(name="더송북")
    ended.contract_end = datetime.date(2024, 6, 30)
    registry_entry_save(entry=ended, actor=officer)
    page = client.get("/privacy/").content.decode()
    assert "과정제휴업체 ((주)한결에듀)" in page
    assert "더송북" not in page[page.index('class="processors"'):page.index('id="s7"')]


def test_an_officer_edit_in_the_admin_is_recorded_and_the_admin_says_the_policy_is_outdated(client, policy, officer,
                                                                                            korean):
    # given
    client.force_login(officer)
    processor = Processor.objects.get(name="다우기술")
    url = f"/admin/disclosures/processor/{processor.pk}/change/"
    form = {"name": "다우기술", "work": "알림톡/문자메시지", "items_text": "휴대전화번호",
            "retention": "회원 탈퇴 시까지", "contract_start": "2023-12-01", "contract_end": "",
            "sub_processors": "", "overseas_detail": "", "order": "30"}
    # when
    response = client.post(url, form)
    # then
    assert response.status_code == 302
    change = RegistryChange.objects.get(action="change")
    assert change.actor == officer
    assert change.before["retention"] == "교육 서비스 제공기간"
    assert change.after["retention"] == "회원 탈퇴 시까지"
    page = client.get("/admin/disclosures/processor/").content.decode()
    assert "게시된 개인정보처리방침이 최신이 아닙니다" in page
    history = client.get(f"/admin/disclosures/registrychange/{change.pk}/change/").content.decode()
    assert "회원 탈퇴 시까지" in history


def test_the_disclosures_admin_pages_read_korean(client, policy, officer, korean, refund_course):
    client.force_login(officer)
    quality = Recipient.objects.get(name="한국산업인력공단 품질향상센터")
    member = consenting_member(quality, email="old@hangyeol-it.co.kr")
    provision_record(recipient=quality, members=[member],
                     items=["email"], basis="consent", actor=officer, purpose="훈련 모니터링")
    member_services.member_update(member=member, email="new@hangyeol-it.co.kr")
    for path, expected in [("recipient/", "제3자 제공받는 자"), ("processor/", "수탁자"),
                           ("provision/", "제3자 제공 대장"), ("provisionbatch/", "제3자 제공 건"),
                           ("correctionnotice/", "ol***@hangyeol-it.co.kr"), ("registrychange/", "방침에서 불러옴"),
                           ("processingrestriction/", "정정·처리정지 중인 요청"), ("provisionbatch/add/", "제공 근거")]:
        page = client.get(f"/admin/disclosures/{path}").content.decode()
        assert expected in page, path
        assert "old@hangyeol-it.co.kr" not in page


def test_the_admin_provision_form_records_the_batch_and_downloads_the_csv(client, policy, officer, refund_course,
                                                                         korean):
    # given
    client.force_login(officer)
    moel = Recipient.objects.get(name="고용노동부 한국산업인력공단")
    members = [consenting_member(moel) for _ in range(2)]
    for member in members:
        enrol(member, refund_course)
    # when
    response = client.post("/admin/disclosures/provisionbatch/add/", {
        "recipient": moel.pk, "basis": "statute", "course": refund_course.pk, "member_ids": "",
        "purpose": "2026년 3월 고용보험 신고"})
    # then
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["성명", "주민등록번호", "소속사", "연락처"]
    assert len(rows) == 3
    assert Provision.objects.filter(recipient=moel).count() == 2


def test_the_admin_provision_form_names_every_refused_member_and_provides_nobody(client, policy, officer, korean):
    client.force_login(officer)
    quality = Recipient.objects.get(name="한국산업인력공단 품질향상센터")
    allowed = consenting_member(quality)
    refused = member_services.member_create(login_id="norefund1", password=None, name="이서연",
                                            email="seoyeon@example.com")
    response = client.post("/admin/disclosures/provisionbatch/add/", {
        "recipient": quality.pk, "basis": "consent", "member_ids": f"{allowed.pk}, {refused.pk}",
        "purpose": "훈련 모니터링"})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"회원 #{refused.pk}" in page
    assert f"회원 #{allowed.pk}:" not in page
    assert not ProvisionBatch.objects.exists()


def test_the_send_action_downloads_the_recipients_correction_file_and_records_it_sent(client, policy, officer):
    client.force_login(officer)
    quality = Recipient.objects.get(name="한국산업인력공단 품질향상센터")
    member = consenting_member(quality, email="old@hangyeol-it.co.kr")
    provision_record(recipient=quality, members=[member], items=["email"], basis="consent", actor=officer,
                     purpose="훈련 모니터링")
    member_services.member_update(member=member, email="new@hangyeol-it.co.kr")
    notice = CorrectionNotice.objects.get()
    response = client.post("/admin/disclosures/correctionnotice/",
                           {"action": "send", "_selected_action": [notice.pk]})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "new@hangyeol-it.co.kr" in response.content.decode("utf-8-sig")
    notice.refresh_from_db()
    assert notice.sent_at is not None


def test_a_partner_company_added_in_the_admin_is_recorded_under_its_group(client, policy, officer):
    client.force_login(officer)
    group = Recipient.objects.get(name="과정제휴업체")
    response = client.post("/admin/disclosures/recipient/add/", {
        "name": "(주)한결에듀", "group": group.pk, "purpose": "", "items_text": "", "retention": "",
        "statute": "", "statute_rule": "", "active_from": "2026-03-09", "active_to": "", "order": "70"})
    assert response.status_code == 302
    partner = Recipient.objects.get(name="(주)한결에듀")
    assert partner.terms == group
    change = RegistryChange.objects.get(action="add")
    assert change.before is None
    assert change.after["group_id"] == group.pk
    assert change.actor == officer


def test_an_open_request_is_recorded_and_closed_in_the_admin(client, policy, officer):
    from disclosures.models import ProcessingRestriction

    client.force_login(officer)
    member = member_services.member_create(login_id="request01", password=None, name="김민준",
                                           email="request01@example.com")
    response = client.post("/admin/disclosures/processingrestriction/add/", {
        "member": member.pk, "kind": "correction", "reason": "전화로 소속사 정정 요청"})
    assert response.status_code == 302
    restriction = ProcessingRestriction.objects.get()
    assert restriction.opened_by == officer
    assert restriction.closed_at is None
    client.post("/admin/disclosures/processingrestriction/", {"action": "close",
                                                               "_selected_action": [restriction.pk]})
    restriction.refresh_from_db()
    assert restriction.closed_by == officer
