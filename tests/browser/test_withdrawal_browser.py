"""In a real browser: the officer selects two members who asked by phone, reads the preview, gives a reason
and withdraws them in one action; the ledger and the archive say what happened, in Korean."""

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from members.models import Member
from retention.models import ArchivedRecord, DestructionLog
from tests.members.factories import MemberFactory
from tests.retention.factories import world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]

PASSWORD = "officer-Passphrase-2023"


@pytest.fixture
def asked():
    """The officer and two members with learning records, made before the browser starts."""
    MemberFactory(login_id="officer", is_staff=True, is_superuser=True, password=PASSWORD)
    return [world(serial=n).member for n in (1, 2)]


@pytest.fixture
def page(asked, live_server, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM reads are synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                              args=["--no-sandbox", "--disable-background-networking"])
        yield chromium.new_page(locale="ko-KR")
        chromium.close()
        # The test's ORM calls ran inside Playwright's loop, on a connection of their own: closed here, inside it.
        # (Closed after the loop, that connection stayed open, and the test database could not be dropped.)
        connections.close_all()


def test_the_officer_withdraws_two_members_in_one_action_with_a_reason(live_server, asked, page):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/members/member/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/members/member/")
    # when: the two members are ticked and the withdrawal action chosen
    for member in asked:
        page.check(f"input[name=_selected_action][value='{member.pk}']")
    page.select_option("select[name=action]", "withdraw_members")
    page.click("button[name=index]")
    # then: a preview per member, in Korean; without a reason the form does not go
    assert page.locator(".module h2").count() >= 2
    assert "파기" in page.locator("#content").inner_text()
    page.click(".submit-row input[type=submit]")
    assert page.locator("[name=reason]").count() == 1
    assert Member.objects.filter(status="withdrawn").count() == 0
    # when: a reason is given
    page.fill("[name=reason]", "2026-11-29 전화로 탈퇴 요청, 본인 확인함")
    page.click(".submit-row input[type=submit]")
    page.wait_for_url("**/admin/members/member/")
    # then: both withdrawn, said on the page, one ledger run with the reason, the kept records archived
    assert page.locator(".messagelist .success").count() == 2
    assert set(Member.objects.filter(pk__in=[m.pk for m in asked]).values_list("status", flat=True)) == {"withdrawn"}
    runs = set(DestructionLog.objects.filter(event="withdrawal").values_list("run_id", flat=True))
    assert len(runs) == 1
    assert ArchivedRecord.objects.count() == 10
    # and the ledger and the archive read in Korean, with no value of the members on them
    for url in ("/admin/retention/destructionlog/", "/admin/retention/archivedrecord/"):
        page.goto(f"{live_server.url}{url}")
        body = page.locator("body").inner_text()
        assert "회원 탈퇴" in body if url.endswith("destructionlog/") else "분리 보관" in body or "보존" in body
        assert all(member.email not in body for member in asked)
        assert page.locator("html").get_attribute("lang") == "ko"
