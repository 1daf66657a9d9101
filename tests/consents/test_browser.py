"""The sign-up in real Chromium (Debian's, driven by Playwright), with JavaScript off: server-rendered pages."""

import os
from pathlib import Path

import pytest
from django.db import connections

from consents import selectors
from consents.loading import policy_load
from consents.models import ConsentRecord
from members.models import Member

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "browser-screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def browser_page(request, live_server, transactional_db):
    playwright_sync = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    policy_load()
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-background-networking"])
        context = browser.new_context(java_script_enabled=False, locale="ko-KR")
        page = context.new_page()
        try:
            yield page
        finally:
            failed = getattr(request.node, "rep_call", None)
            if failed is None or failed.failed:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
            context.close()
            browser.close()
            # The test's ORM calls ran inside Playwright's loop, on a connection of their own: close it here.
            connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_sign_up_refusing_every_optional_item_then_read_the_policy_and_switch_to_english(browser_page, live_server):
    page = browser_page
    # given: the sign-up page, in Korean by default
    page.goto(f"{live_server.url}/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.locator("h1").inner_text() == "회원가입"
    # when: the form is filled through its labels, and only the required consents are ticked
    page.get_by_label("로그인ID").fill("browser01")
    page.get_by_label("비밀번호", exact=True).fill("a-long-Passphrase-2023")
    page.get_by_label("비밀번호 확인").fill("a-long-Passphrase-2023")
    page.get_by_label("이름").first.fill("이서연")
    page.get_by_label("이메일").fill("seoyeon.lee@hangyeol-it.co.kr")
    page.get_by_label("휴대전화번호").first.fill("010-4321-8765")
    page.get_by_label("생년월일").fill("1992-04-03")
    items = selectors.signup_items()
    for item in items:
        if item.required:
            page.locator(f"#id_consent_{item.code}").check()
    page.get_by_role("button", name="회원가입").click()
    # then: the member is in, on their consents page, with every optional item refused
    page.wait_for_url(f"{live_server.url}/accounts/consents/")
    assert page.locator("h1").inner_text() == "동의 관리"
    member = Member.objects.by_login_id("browser01").get()
    records = ConsentRecord.objects.filter(member=member).select_related("item")
    assert records.count() == len(items)
    assert all(record.granted == record.item.required for record in records)
    assert {record.user_agent[:7] for record in records} == {"Mozilla"}
    # when: they read the policy page
    page.get_by_role("link", name="개인정보처리방침").first.click()
    assert page.locator("#s1 h2").inner_text() == "1. 개인정보 수집항목 및 이용목적"
    assert page.locator("#s12 h2").inner_text() == "12. 정책 변경에 따른 공지 의무"
    # when: they switch to English, without JavaScript
    page.get_by_label("언어").select_option("en")
    page.get_by_role("button", name="언어 변경").click()
    # then
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#s1 h2").inner_text() == "1. Personal data collected and the purposes of use"
    assert page.get_by_role("button", name="Change language").is_visible()
