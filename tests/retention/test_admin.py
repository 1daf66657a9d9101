"""The officer's console for retention, in Korean: rules with recorded changes, the archive's metadata only,
legal holds, the ledger read-only and exportable, the last sweep on the index, the withdrawal action."""

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone, translation

from members.models import Member
from retention.models import ArchiveAccess, ArchivedRecord, DestructionLog, LegalHold, RetentionRule
from retention.services import member_withdraw, retention_sweep
from tests.members.factories import MemberFactory
from tests.retention.factories import world

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def officer():
    return MemberFactory(login_id="officer", email="officer@alpaco.co.kr", is_staff=True, is_superuser=True)


@pytest.fixture
def client(officer):
    client = Client(headers={"accept-language": "ko"})
    client.force_login(officer)
    return client


def korean(client: Client, url: str, **kwargs) -> str:
    with translation.override("ko"):
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_rules_list_shows_periods_and_what_is_due_in_the_next_30_days_in_korean(client):
    # given: a member whose refund course ended almost three years ago
    w = world(ended_days_ago=365 * 3 - 5)
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    # when
    page = korean(client, "/admin/retention/retentionrule/")
    # then
    assert "보존 규칙" in page
    assert "향후 30일 내 파기 예정" in page
    assert "3 년" in page
    # refund: the member row and the 주민등록번호; disability-awareness and complaint: one each; contract: 5 years
    due = [cell.split("<")[0] for cell in page.split('class="field-due_in_30_days">')[1:]]
    assert sorted(due) == ["0", "0", "1", "1", "2"]


def test_shortening_a_rule_in_the_admin_without_a_reason_is_refused_and_nothing_saved(client, officer):
    world()
    rule = RetentionRule.objects.get(code="ecommerce_contract")
    url = f"/admin/retention/retentionrule/{rule.pk}/change/"
    data = {"data_category": rule.data_category, "legal_basis": rule.legal_basis, "period_amount": 4,
            "period_unit": "years", "trigger": rule.trigger, "active": "on", "reason": "",
            "changes-TOTAL_FORMS": 0, "changes-INITIAL_FORMS": 0}
    with translation.override("ko"):
        refused = client.post(url, data)
    assert refused.status_code == 200
    assert "사유: 보존 기간을 줄이려면 사유를 적어야 합니다." in refused.content.decode()
    assert RetentionRule.objects.get(pk=rule.pk).period_amount == 5
    assert rule.changes.count() == 1
    # with a reason
    accepted = client.post(url, {**data, "reason": "법령 개정"})
    assert accepted.status_code == 302
    assert RetentionRule.objects.get(pk=rule.pk).period_amount == 4
    change = rule.changes.first()
    assert (change.changed_by, change.reason, change.before["period_amount"]) == (officer, "법령 개정", 5)


def test_the_archive_shows_metadata_only_and_the_payload_needs_the_permission_and_a_reason(client, officer):
    # given
    w = world()
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    record = ArchivedRecord.objects.get(rule="employment_insurance_refund", source="members.SensitiveIdentifier")
    # then: list and detail show no payload
    listing = korean(client, "/admin/retention/archivedrecord/")
    detail = korean(client, f"/admin/retention/archivedrecord/{record.pk}/change/")
    assert w.rrn not in listing + detail
    # a staff member without the permission cannot open it
    clerk = MemberFactory(login_id="clerk01", email="clerk@alpaco.co.kr", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_archivedrecord"))
    clerk_client = Client()
    clerk_client.force_login(clerk)
    assert clerk_client.post(f"/admin/retention/archivedrecord/{record.pk}/open/", {"reason": "x"}).status_code == 403
    # the officer opens it with a reason, and the opening is recorded
    without_reason = client.post(f"/admin/retention/archivedrecord/{record.pk}/open/", {"reason": ""})
    assert w.rrn not in without_reason.content.decode()
    opened = client.post(f"/admin/retention/archivedrecord/{record.pk}/open/", {"reason": "고용노동부 환급 심사 요청"})
    assert w.rrn in opened.content.decode()
    access = ArchiveAccess.objects.get()
    assert (access.opened_by, access.reason, access.archive_key) == (officer, "고용노동부 환급 심사 요청",
                                                                     record.archive_key)


def test_a_legal_hold_is_placed_in_the_admin_through_the_service(client, officer):
    w = world()
    response = client.post("/admin/retention/legalhold/add/", {
        "member": w.member.pk, "reason": "수사기관 보존 요청", "until": "2099-12-31"})
    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.held_by, hold.member) == (officer, w.member)
    assert len(hold.subject_key) == 64


def test_the_ledger_is_read_only_and_exports_csv_with_a_bom(client):
    # given
    w = world()
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    ids = list(DestructionLog.objects.values_list("pk", flat=True))
    # then: no add, change or delete
    assert client.get("/admin/retention/destructionlog/add/").status_code == 403
    assert client.post(f"/admin/retention/destructionlog/{ids[0]}/delete/").status_code == 403
    # when: exported
    with translation.override("ko"):
        response = client.post("/admin/retention/destructionlog/", {"action": "export_csv",
                                                                    "_selected_action": ids})
    # then
    body = response.content
    assert response["Content-Type"].startswith("text/csv")
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("파기 일시,")
    assert len(text.splitlines()) == len(ids) + 1
    assert w.member.email not in text


def test_the_admin_index_shows_the_last_sweep(client):
    with time_machine.travel(timezone.now() + relativedelta(days=1)):
        retention_sweep()
    page = korean(client, "/admin/")
    assert "최근 파기 실행" in page
    assert "완료" in page


def test_the_withdrawal_action_asks_for_a_reason_and_shows_the_preview_first(client, officer):
    # given
    w = world()
    url = "/admin/members/member/"
    # when: the action is chosen
    with translation.override("ko"):
        preview = client.post(url, {"action": "withdraw_members", "_selected_action": [w.member.pk]})
    # then: a preview, nothing changed yet
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "고용보험 환급 적정성 심의" in page
    assert "즉시 파기" in page
    assert Member.objects.get(pk=w.member.pk).status == "active"
    # when: confirmed without a reason, then with one
    client.post(url, {"action": "withdraw_members", "_selected_action": [w.member.pk], "confirm": "yes"})
    assert Member.objects.get(pk=w.member.pk).status == "active"
    done = client.post(url, {"action": "withdraw_members", "_selected_action": [w.member.pk], "confirm": "yes",
                             "reason": "전화로 탈퇴 요청, 본인 확인"})
    assert done.status_code == 302
    assert Member.objects.get(pk=w.member.pk).status == "withdrawn"
    assert set(DestructionLog.objects.values_list("reason", flat=True)) == {"전화로 탈퇴 요청, 본인 확인"}
    assert set(DestructionLog.objects.values_list("approved_by", flat=True)) == {officer.pk}


def test_the_ledger_names_rules_and_record_types_in_korean(client):
    # given: one member who stays (their textbook course ended), one who leaves
    world(ended_days_ago=1, serial=1)
    leaving = world(ended_days_ago=1, serial=2)
    retention_sweep()
    member_withdraw(member=leaving.member, actor=None, reason="탈퇴")
    # when
    page = korean(client, "/admin/retention/destructionlog/")
    # then
    assert "교재 배송지 주소·전화번호: 과정이 끝나고 교재 발송을 마침" in page
    assert "purpose:textbook_shipping" not in page
    assert "members.Member" not in page
    assert "<td class=\"field-source_name\">회원</td>" in page


def test_the_archive_list_at_scale_counts_to_a_cap_reads_no_payload_and_lists_no_distinct_values(client,
                                                                                                 monkeypatch):
    # given: archived records, and an archive that looks big to the paginator
    from django.db import connections, router
    from django.test.utils import CaptureQueriesContext

    w = world()
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    monkeypatch.setattr("members.admin_lists.ESTIMATE_FROM", 1)
    archive = connections[router.db_for_read(ArchivedRecord)]
    # when
    with CaptureQueriesContext(archive) as captured:
        page = korean(client, "/admin/retention/archivedrecord/")
    # then: the page reads the shown columns only, counts no further than the cap, and draws no filter choice
    # (nor a date-hierarchy link) from the whole archive
    statements = [query["sql"].upper() for query in captured.captured_queries]
    assert statements
    assert not any('"PAYLOAD"' in sql or '"FIELDS"' in sql for sql in statements)
    assert all("LIMIT" in sql for sql in statements if "COUNT(" in sql), statements
    assert not any("DISTINCT" in sql for sql in statements), statements
    assert "파기 예정" in page


def test_the_archive_list_filters_by_when_destruction_is_due_and_by_source(client):
    # given
    w = world()
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    records = list(ArchivedRecord.objects.all())
    assert records
    # when / then: every record is due after next month (years away), none this month
    later = korean(client, "/admin/retention/archivedrecord/?due=later")
    this_month = korean(client, "/admin/retention/archivedrecord/?due=month")
    assert all(f"/admin/retention/archivedrecord/{record.pk}/change/" in later for record in records)
    assert not any(f"/admin/retention/archivedrecord/{record.pk}/change/" in this_month for record in records)
    source = records[0].source
    by_source = korean(client, f"/admin/retention/archivedrecord/?source={source}")
    assert all((f"/admin/retention/archivedrecord/{record.pk}/change/" in by_source) == (record.source == source)
               for record in records)
    # and a value no choice offers shows the list unfiltered rather than an error
    assert korean(client, "/admin/retention/archivedrecord/?due=yesterday")


def test_a_read_only_list_is_titled_in_plain_korean(client):
    # Django's Korean catalogue titles a list the user may only view "보기위한 1분리 보관 기록 를(을) 선택".
    page = korean(client, "/admin/retention/archivedrecord/")
    assert "<h1>조회할 분리 보관 기록 선택</h1>" in page
