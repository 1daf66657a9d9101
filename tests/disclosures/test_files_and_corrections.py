"""The two real provision files (CSV, UTF-8 with BOM) and correction notices (policy §7)."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from disclosures.models import Basis, CorrectionNotice, Recipient
from disclosures.selectors import member_provisions, notices_to_send
from disclosures.services import correction_notices_send, provision_export, provision_record
from members import services as member_services
from members.models import SensitiveIdentifier
from tests.disclosures.conftest import consenting_member, enrol

pytestmark = pytest.mark.django_db


def _rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_employment_insurance_report_file_holds_name_rrn_employer_and_contact(moel, officer, refund_course):
    # given
    member = consenting_member(moel, name="김민준", company_name="한결정보기술", mobile="010-2000-1234")
    enrol(member, refund_course)
    rrn = SensitiveIdentifier.objects.get(member=member, kind="rrn").value
    # when
    batch, content = provision_export(recipient=moel, members=[member], items=moel.item_codes,
                                      basis=Basis.STATUTE, actor=officer, purpose="2026년 3월 고용보험 신고")
    # then
    assert _rows(content) == [["성명", "주민등록번호", "소속사", "연락처"],
                              ["김민준", rrn, "한결정보기술", "010-2000-1234"]]
    assert member_provisions(member.pk).get().batch == batch


def test_the_training_monitoring_file_holds_email_mobile_birth_date_ip_and_learning(quality, officer,
                                                                                    refund_course):
    member = consenting_member(quality, email="minjun@hangyeol-it.co.kr", mobile="010-2000-1234")
    enrol(member, refund_course)
    _batch, content = provision_export(recipient=quality, members=[member], items=quality.item_codes,
                                       basis=Basis.CONSENT, actor=officer, purpose="훈련 모니터링")
    header, row = _rows(content)
    assert header == ["이메일", "휴대전화번호", "생년월일", "IP", "학습정보"]
    assert row[:4] == ["minjun@hangyeol-it.co.kr", "010-2000-1234", "1990-01-01", "203.0.113.9"]
    assert row[4] == f"{refund_course.title}(2026-03-02~2026-04-30)"


def test_a_refused_export_produces_no_file_and_no_ledger_row(quality, officer):
    member = consenting_member(quality)
    stranger = member_services.member_create(login_id="stranger01", password=None, name="이서연",
                                             email="seoyeon@example.com")
    with pytest.raises(ValidationError):
        provision_export(recipient=quality, members=[member, stranger], items=["email"], basis=Basis.CONSENT,
                         actor=officer, purpose="훈련 모니터링")
    assert not member_provisions(member.pk).exists()


def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_quoted(quality, officer):
    member = consenting_member(quality)
    member_services.member_update(member=member, company_name="=HYPERLINK(1)")
    partner_group = Recipient.objects.get(name="과정제휴업체")
    assert partner_group.is_group
    from disclosures.files import csv_bytes

    assert _rows(csv_bytes(["소속사"], [[member.company_name]]))[1] == ["'=HYPERLINK(1)"]


def test_a_correction_creates_a_notice_only_for_recipients_that_received_the_corrected_item(moel, quality,
                                                                                            officer, refund_course):
    # given: moel received the name and mobile, quality the email and mobile
    member = consenting_member(moel, name="김민준", mobile="010-2000-1234", email="minjun@hangyeol-it.co.kr")
    enrol(member, refund_course)
    provision_record(recipient=moel, members=[member], items=moel.item_codes, basis=Basis.STATUTE, actor=officer,
                     purpose="고용보험 신고")
    provision_record(recipient=quality, members=[member], items=quality.item_codes, basis=Basis.STATUTE,
                     actor=officer, purpose="훈련 모니터링")
    # when: the name is corrected
    member_services.member_update(member=member, name="김민수")
    # then: only moel, which received the name, gets a notice, with the old value masked
    notice = CorrectionNotice.objects.get()
    assert notice.recipient == moel
    assert notice.items == ["name"]
    assert notice.old_values_masked == {"name": "김*준"}
    assert notice.sent_at is None
    # when: the mobile is corrected, both get one
    member_services.member_update(member=member, mobile="010-3000-5678")
    assert set(CorrectionNotice.objects.filter(items=["mobile"]).values_list("recipient__name", flat=True)) == {
        moel.name, quality.name}


def test_a_correction_of_an_item_nobody_received_or_of_nothing_creates_no_notice(quality, officer):
    member = consenting_member(quality)
    provision_record(recipient=quality, members=[member], items=["email"], basis=Basis.CONSENT, actor=officer,
                     purpose="훈련 모니터링")
    member_services.member_update(member=member, department="재무팀", email=member.email)
    assert not CorrectionNotice.objects.exists()


def test_a_failed_correction_leaves_no_notice(quality, officer):
    member = consenting_member(quality)
    provision_record(recipient=quality, members=[member], items=["email"], basis=Basis.CONSENT, actor=officer,
                     purpose="훈련 모니터링")
    with pytest.raises(ValidationError):
        member_services.member_update(member=member, email="not an email", mobile="010-1")
    assert not CorrectionNotice.objects.exists()


def test_sending_produces_the_recipients_file_with_the_new_value_and_records_when(quality, officer):
    # given
    member = consenting_member(quality, email="old.address@hangyeol-it.co.kr")
    provision_record(recipient=quality, members=[member], items=["email", "mobile"], basis=Basis.CONSENT,
                     actor=officer, purpose="훈련 모니터링")
    member_services.member_update(member=member, email="new.address@hangyeol-it.co.kr")
    assert notices_to_send().count() == 1
    # when
    _sent, content = correction_notices_send(recipient=quality, actor=officer)
    # then
    rows = _rows(content)
    assert rows[0] == ["통지 번호", "성명", "정정 항목", "정정 전 (마스킹)", "정정 후", "정정 일시"]
    assert rows[1][1:5] == [member.name, "이메일", "ol***@hangyeol-it.co.kr", "new.address@hangyeol-it.co.kr"]
    notice = CorrectionNotice.objects.get()
    assert notice.sent_at is not None
    assert notice.sent_by == officer
    assert not notices_to_send().exists()
    # and nothing is left to send a second time
    with pytest.raises(ValidationError):
        correction_notices_send(recipient=quality, actor=officer)


def test_a_member_sees_every_provision_of_their_data(moel, quality, officer, refund_course):
    member = consenting_member(quality)
    enrol(member, refund_course)
    provision_record(recipient=quality, members=[member], items=["email"], basis=Basis.CONSENT, actor=officer,
                     purpose="훈련 모니터링")
    provision_record(recipient=moel, members=[member], items=moel.item_codes, basis=Basis.STATUTE, actor=officer,
                     purpose="고용보험 신고")
    rows = list(member_provisions(member.pk))
    assert [(row.recipient.name, row.purpose, row.basis) for row in rows] == [
        (moel.name, "고용보험 신고", "statute"), (quality.name, "훈련 모니터링", "consent")]
    assert rows[1].consent_record.item.code == "provision_hrdk_quality"
